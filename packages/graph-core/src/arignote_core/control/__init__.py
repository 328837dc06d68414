"""Control flow: ops that hold inner graphs (``OpFromGraph``, the lazy ``ifelse``, ``scan``'s
loops and ``map``/``reduce``/``foldl``/``foldr`` on them)."""

from .ifelse import IfElse, ifelse
from .inner import GraphRunner, InnerGraph, InnerGraphOp, free_variables
from .opfromgraph import OpFromGraph
from .scan_api import scan, until
from .scan_functional import foldl, foldr, map, reduce
from .scan_info import ScanInfo
from .scan_op import Scan

__all__ = ["GraphRunner", "IfElse", "InnerGraph", "InnerGraphOp", "OpFromGraph", "Scan", "ScanInfo", "foldl", "foldr",
           "free_variables", "ifelse", "map", "reduce", "scan", "until"]
