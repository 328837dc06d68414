"""What a node's reverse rule says about each input, asked with placeholder output gradients.

Both engines need it where gradients meet integer or boolean values, which carry no gradient of their own:

- an undefined marker travels on only through the inputs the outputs really depend on (an undefined gradient
  reaching ``shape(x)`` says nothing about ``x``);
- where a gradient reaches an integer output computed from floats, the op decides: a step function (a
  comparison, a cast to an integer, ``isnan``) has derivative zero there, while an op that declares its
  derivative undefined (``argmax``) makes the gradient undefined.

What the rule builds for the probe is never used.
"""

from __future__ import annotations

from typing import Any

from arignote_core import Apply, TensorType

from .errors import UndefinedGrad
from .registry import pullback_rule
from .tensor_utils import is_differentiable

#: a probe entry for an input the outputs depend on (with a gradient, possibly zero)
CONNECTED = True


def probe_inputs(node: Apply) -> list[Any]:
    """For each input of ``node``: None (disconnected), an UndefinedGrad, or CONNECTED."""
    rule = pullback_rule(node.op)
    everything: list[Any] = [CONNECTED] * len(node.inputs)
    if rule is None:
        return everything
    probes = []
    for out in node.outputs:
        if not isinstance(out.type, TensorType):
            return everything
        dtype = out.type.dtype if is_differentiable(out) else "float64"
        probes.append(TensorType(dtype, out.type.shape)())
    try:
        result = rule(node.op, node, probes)
    except Exception:  # a rule that cannot take a probe: assume every input is connected
        return everything
    return [g if g is None or isinstance(g, UndefinedGrad) else CONNECTED for g in result]
