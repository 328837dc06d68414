"""Ops defined outside autograd-sym: rules as methods on the op, or registered from outside."""

from dataclasses import dataclass

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag


@dataclass(frozen=True)
class Cube(ac.Op):
    """x ** 3, with its rules as methods (the fallback the registry uses for user-defined ops)."""

    def make_node(self, x):
        x = ac.as_tensor(x)
        return ac.Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0] ** 3]

    def pullback(self, node, output_grads):
        (x,), (g,) = node.inputs, output_grads
        return [g * 3.0 * x ** 2]

    def pushforward(self, node, tangents):
        return [tangents[0] * 3.0 * node.inputs[0] ** 2]


@dataclass(frozen=True)
class Floorish(ac.Op):
    """An op whose rules are registered from outside."""

    def make_node(self, x):
        x = ac.as_tensor(x)
        return ac.Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0] * 1.0]


@ag.register_pullback(Floorish)
def _floorish_pullback(op, node, output_grads):
    return [output_grads[0]]


@ag.register_pushforward(Floorish)
def _floorish_pushforward(op, node, tangents):
    return [tangents[0]]


def test_method_rules_are_used(rng):
    ag.verify_grad(lambda x: Cube()(x), [rng.normal(size=3)])
    ag.verify_rop(lambda x: Cube()(x), [rng.normal(size=3)])


def test_registered_rules_are_used(rng):
    ag.verify_grad(lambda x: Floorish()(x) * x, [rng.normal(size=3)])
    ag.verify_rop(lambda x: Floorish()(x) * x, [rng.normal(size=3)])


def test_a_rule_of_the_wrong_shape_is_reported():
    @dataclass(frozen=True)
    class Broken(Floorish):
        def pullback(self, node, output_grads):
            return [output_grads[0].sum()]

    x = ac.dvector("x")
    with pytest.raises(ag.GradientRuleError, match="Broken"):
        ag.grad(Broken()(x).sum(), x)


def test_verify_grad_catches_a_wrong_rule(rng):
    @dataclass(frozen=True)
    class WrongCube(Cube):
        def pullback(self, node, output_grads):
            return [output_grads[0] * 2.0 * node.inputs[0] ** 2]

        def pushforward(self, node, tangents):
            return [tangents[0] * 2.0 * node.inputs[0] ** 2]

    with pytest.raises(ag.GradientCheckError, match="input 0"):
        ag.verify_grad(lambda x: WrongCube()(x), [rng.uniform(1, 2, size=3)])
    with pytest.raises(ag.GradientCheckError, match="Rop"):
        ag.verify_rop(lambda x: WrongCube()(x), [rng.uniform(1, 2, size=3)])


def test_rule_returning_undefined_is_explicit():
    @dataclass(frozen=True)
    class Opaque(Floorish):
        def pullback(self, node, output_grads):
            return [ag.undefined_grad(self, 0, "Opaque is a black box")]

    x, y = ac.dvector("x"), ac.dvector("y")
    cost = (Opaque()(x) * y).sum()
    with pytest.raises(ag.UndefinedGradientError, match="Opaque is a black box"):
        ag.grad(cost, x)
    np.testing.assert_allclose(ac.function([x, y], ag.grad(cost, y))([2.0], [1.0]), [2.0])


@dataclass(frozen=True)
class ScaledRoll(ac.Op):
    """y = roll(x, k) * 2: linear in x; the integer k is a parameter input."""

    def make_node(self, x, k):
        x, k = ac.as_tensor(x), ac.as_tensor(k)
        return ac.Apply(self, [x, k], [x.type])

    def perform(self, node, inputs):
        return [np.roll(inputs[0], int(inputs[1])) * 2.0]

    def pullback(self, node, output_grads):
        return [ScaledRoll()(output_grads[0], -node.inputs[1]), None]


ag.register_linear(ScaledRoll)


def test_a_linear_op_pushes_its_tangent_through_itself(rng):
    """register_linear: the pushforward is the op applied to the tangent, the parameter inputs kept."""
    k = ac.constant(np.int64(2))
    ag.verify_rop(lambda x: ScaledRoll()(x, k) * x, [rng.normal(size=5)])
    x, v = ac.dvector("x"), ac.dvector("v")
    value, tangent = rng.normal(size=5), rng.normal(size=5)
    got = ac.function([x, v], ag.Rop(ScaledRoll()(x, k), x, v), on_unused_input="ignore")(value, tangent)
    np.testing.assert_allclose(got, np.roll(tangent, 2) * 2.0)
