"""The op library's names are written out (no ``globals().update``), so that readers and type checkers see them:
these tests catch a scalar op whose function, or a name whose definition, was forgotten."""

import arignote_core as ac
from arignote_core.scalars import SCALAR_OPS
from arignote_core.tensors import math


def test_every_elementwise_function_and_alias_is_bound_by_name():
    assert set(SCALAR_OPS) - {"switch", "clip", "identity"} == set(math.ELEMWISE_FUNCTIONS)
    for name, function in math.ELEMWISE_FUNCTIONS.items():
        assert vars(math).get(name) is function, name
    for alias, name in math.ALIASES.items():
        assert vars(math).get(alias) is math.ELEMWISE_FUNCTIONS[name], alias


def test_every_exported_name_exists_in_its_module_and_in_the_package():
    for module in ac.LIBRARY_MODULES:
        assert module.__all__ == sorted(set(module.__all__)), module.__name__
        for name in module.__all__:
            assert hasattr(module, name) and hasattr(ac, name), f"{module.__name__}.{name}"


def test_the_package_exports_every_library_name_and_constructor_by_name():
    from arignote_core.tensors import basic

    exported = set(ac.__all__)
    assert ac.__all__ == sorted(exported) and all(hasattr(ac, name) for name in exported)
    for module in ac.LIBRARY_MODULES:
        assert set(module.__all__) <= exported, module.__name__
    for name, make in basic.CONSTRUCTORS.items():
        assert vars(basic).get(name) is make and getattr(ac, name) is make and name in exported, name
