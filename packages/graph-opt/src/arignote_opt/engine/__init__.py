"""The rewrite engine: rules, patterns, rule sets, phases, walkers. It works on graphs of any op set and
imports nothing of graph-core's tensor library."""

from .hooks import (
                    constant_value,
                    index_key,
                    is_commutative,
                    node_keys,
                    register_commutative,
                    register_constant_reader,
                    register_index_key,
                    register_operators,
)
from .merge import Merger
from .options import Phase, RewriteOptions
from .patterns import (
                    AnyOf,
                    Call,
                    Const,
                    Is,
                    Node,
                    OpMatch,
                    OpPatterns,
                    Pattern,
                    PatternRule,
                    Ref,
                    Template,
                    Through,
                    Var,
                    as_pattern,
)
from .replace import new_nodes, replace_all
from .report import PhaseStats, RewriteError, RewriteReport, RewriteWarning, RuleFailure, RuleStats
from .rewriter import Rewriter, copy_graph, graph_of, run_phase
from .rules import GraphRule, MethodRule, NodeRule, Replacement, Rule, graph_rule, node_rule
from .ruleset import RuleSet
from .syntax import PatternSyntaxError, parse_pattern, parse_rule, parse_template
from .walker import Walker

__all__ = ["AnyOf", "Call", "Const", "GraphRule", "Is", "Merger", "MethodRule", "Node", "NodeRule", "OpMatch",
           "OpPatterns", "Pattern", "PatternRule", "PatternSyntaxError", "Phase", "PhaseStats", "Ref", "Replacement",
           "RewriteError", "RewriteOptions", "RewriteReport", "RewriteWarning", "Rewriter", "Rule", "RuleFailure",
           "RuleSet", "RuleStats", "Template", "Through", "Var", "Walker", "as_pattern", "constant_value",
           "copy_graph", "graph_of", "graph_rule", "index_key", "is_commutative", "new_nodes", "node_keys",
           "node_rule", "parse_pattern", "parse_rule", "parse_template", "register_commutative",
           "register_constant_reader", "register_index_key", "register_operators", "replace_all", "run_phase"]
