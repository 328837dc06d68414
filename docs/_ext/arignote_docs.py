"""Sphinx glue for Arignote's documentation.

- Every ``python`` code block of a page (the packages' READMEs included) runs under the doctest builder, in
  order, in one namespace per page: the docs cannot show code that does not run. Its printed output is not
  compared; a ``{doctest}`` block compares what it shows.
- ``.. arignote-api:: package`` (reStructuredText: inside ``{eval-rst}`` in a MyST page) writes the reference
  of a package's public names (``__all__``): a summary table, then each function, class and submodule from its
  docstring. A name that another package documents (the meta-package re-exports most of graph-core) links
  there instead of being documented twice.
- A public name without a docstring is a warning, so the build (``-W``) fails on it; so is a reference to a
  name that does not exist (a reference to one that exists but is not public is shown as text).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import sys
import types
from functools import cache
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

#: the packages of the reference, in the order their pages claim the objects they share
PACKAGES = ("arignote_core", "arignote_opt", "arignote_grad", "arignote_c", "arignote_nn", "arignote_cuda",
            "arignote_dist", "arignote")


def run_python_blocks(app: Sphinx, doctree: nodes.document) -> None:
    """Mark every ``python`` literal block as a doctest ``testcode`` of the page's default group, each followed
    by a hidden output that accepts whatever it prints."""
    for block in list(doctree.findall(nodes.literal_block)):
        if block.get("language") != "python" or "testnodetype" in block:
            continue
        block["testnodetype"], block["groups"], block["options"] = "testcode", ["default"], {}
        block["test"] = block.astext() + "\nprint()"  # ends what it prints with a line, which "..." matches
        output = nodes.comment("...", "...", testnodetype="testoutput", groups=["default"],
                               options={doctest.ELLIPSIS: True})
        block.parent.insert(block.parent.index(block) + 1, output)


def _public(module: types.ModuleType) -> list[str]:
    return [name for name in getattr(module, "__all__", ()) if not name.startswith("_")]


@cache
def owners() -> dict[int, str]:
    """The documented name of every public object: the first package (then submodule) that lists it."""
    modules = [importlib.import_module(name) for name in PACKAGES]
    found = {id(module): module.__name__ for module in modules}  # ``ar.nn`` is arignote_nn's page
    for module in modules:
        for name in _public(module):
            found.setdefault(id(getattr(module, name)), f"{module.__name__}.{name}")
    for module in modules:
        for name in _public(module):
            sub = getattr(module, name)
            if isinstance(sub, types.ModuleType) and found[id(sub)] == f"{module.__name__}.{name}":
                for member in _public(sub):
                    found.setdefault(id(getattr(sub, member)), f"{sub.__name__}.{member}")
    return found


def _kind(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "class"
    return "function" if callable(obj) else "data"


class ApiDirective(SphinxDirective):
    """``.. arignote-api:: arignote_core``: the reference of one package's ``__all__``."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        package = importlib.import_module(self.arguments[0])
        own, shared = [], []
        for name in _public(package):
            full = f"{package.__name__}.{name}"
            (own if owners()[id(getattr(package, name))] == full else shared).append(name)
        lines = [f".. automodule:: {package.__name__}", "", ".. currentmodule:: " + package.__name__, "",
                 ".. autosummary::", "", *(f"   {name}" for name in own), ""]
        if shared:
            links = ", ".join(f":obj:`{name} <{owners()[id(getattr(package, name))]}>`" for name in shared)
            lines += [f"Also here, documented where they are defined: {links}.", ""]
        for name in own:
            lines += self._entry(package, name)
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), self.content_offset,
                                container := nodes.container())
        return list(container.children)

    @staticmethod
    def _entry(package: types.ModuleType, name: str) -> list[str]:
        obj, full = getattr(package, name), f"{package.__name__}.{name}"
        kind = _kind(obj)
        if kind == "module":
            documented = [m for m in _public(obj) if owners()[id(getattr(obj, m))] == f"{obj.__name__}.{m}"]
            members = ["   :members: " + ", ".join(documented)] if documented else []
            return [f".. automodule:: {obj.__name__}", *members, ""]
        directive = {"class": "autoclass", "function": "autofunction", "data": "autodata"}[kind]
        options = {"class": ["   :members:"], "data": ["   :no-value:"]}.get(kind, [])
        return [f".. {directive}:: {full}", *options, ""]


def check_docstring(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Warn about a public function, class or module documented without a docstring; leave out the docstring
    that a data object (a registry dict) only has from its type."""
    if what == "data" and inspect.getdoc(type(obj)) == "\n".join(lines).strip():
        lines.clear()
    if what in ("function", "class", "module", "exception") and not any(line.strip() for line in lines):
        logger.warning("%s %s has no docstring", what, name, type="arignote", subtype="docstring")


def internal_reference(app: Sphinx, env: Any, node: nodes.Element, contnode: nodes.Node) -> nodes.Node | None:
    """A Python reference to a name that exists but is not public (a type in a signature, a helper a docstring
    names relative to its own module) is shown as text; one to a name that exists nowhere in the packages stays a
    broken reference."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    if _exists(target):
        return contnode
    ours = [m for name, m in list(sys.modules.items()) if name.split(".")[0] in PACKAGES]
    return contnode if any(_attribute(module, target.split(".")) for module in ours) else None


def _attribute(obj: Any, path: list[str]) -> bool:
    for name in path:
        if not hasattr(obj, name):
            return False
        obj = getattr(obj, name)
    return True


def _exists(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        return _attribute(module, parts[cut:])
    return False


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", run_python_blocks)
    app.connect("autodoc-process-docstring", check_docstring)
    app.connect("missing-reference", internal_reference)
    app.add_directive("arignote-api", ApiDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
