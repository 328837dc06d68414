"""The executable: a graph's nodes in order, each a kernel launch on the device (``launch.py``) or its NumPy
``perform`` on the host, with values kept where they were made and copied only across that boundary.

A call uploads each input a kernel reads once; kernels read and write device arrays from the memory pool
(``memory.py``); a host step downloads the device values it reads (once each), and its results are uploaded
only when a kernel reads them. Values are dropped after their last reader, so their blocks serve later steps.
Each kernel has a slot in one device array of error flags, read once at the end of a call (the call's one
synchronization), and a flag set raises the error NumPy would, naming the kernel's node and the user's line.
A caller running a program many times (a scan's step) may leave that read for later
(``run(inputs, check_errors=False)``, then ``check_errors()`` once after its loop): flags stay set from call to
call, so the later read sees every error since the last check.
Outputs are host arrays, or with ``outputs="device"`` device arrays (shared variables' new values are host
arrays unless the variable lives on the device). Inputs may be device arrays: this runtime's, or another
library's (``__cuda_array_interface__``, DLPack), read where they lie (``interop.py``).

Shared variables made with ``device="cuda"`` (or every one of a function compiled with the option
``shared_on_device``) live on the device (``shared_state.py``): the first call uploads the host value and stores
the device copy in the variable's container, later calls read that copy, and their updates are stored as device
arrays, new ones (the old block returns to the pool when the container lets it go), with no copy to the host
until ``get_value`` asks. A device value of another driver's memory (another emulated function's) is copied
through the host.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from arignote_c.emit.context import Unsupported
from arignote_core.evaluator import raise_node_error
from arignote_core.fgraph import FunctionGraph
from arignote_core.graph import Apply, Constant, Variable
from arignote_core.shared import SharedVariable

from .device_array import DeviceArray
from .driver import Driver
from .interop import from_cuda_array_interface, from_dlpack, has_cuda_array_interface, is_cuda_dlpack
from .launch import raise_kernel_error
from .lowering import lower
from .memory import MemoryPool
from .ops.control import CONTROL_FLOW_OPS, plan_control_flow
from .plan import Geometry, GraphRewriter, KernelPlan, LaunchContext, TooManyDims
from .shared_state import SharedDeviceValue
from .views import VIEW_REASON, device_view, is_view

#: the dtype kinds a device array holds (other values, and arrays of objects or strings, stay on the host)
_DEVICE_KINDS = "biufc"


def plan_graph(fgraph: FunctionGraph, rewriter: GraphRewriter | None = None
               ) -> tuple[list[tuple[Apply, KernelPlan | None]], dict[Apply, str]]:
    """Each node with its kernel plan, or None where it runs on the host (with the reason, by node).
    Control-flow nodes plan their inner graphs here, each a copy rewritten by ``rewriter`` (the mode's, which
    rewrote ``fgraph`` itself before) so that a scan's step is fused as any graph is."""
    steps: list[tuple[Apply, KernelPlan | None]] = []
    reasons: dict[Apply, str] = {}
    for node in fgraph.toposort():
        try:
            steps.append((node, plan_control_flow(node, rewriter) if isinstance(node.op, CONTROL_FLOW_OPS)
                          else lower(node)))
        except Unsupported as exc:
            steps.append((node, None))
            reasons[node] = VIEW_REASON if is_view(node) else str(exc)
    return steps, reasons


def _perform(node: Apply, values: list[Any]) -> list[Any]:
    results = node.op.perform(node, values)
    dtypes = [getattr(o.type, "dtype", None) for o in node.outputs]
    return [r if d is None or (type(r) is np.ndarray and r.dtype.name == d) else np.asarray(r, dtype=d)
            for r, d in zip(results, dtypes, strict=True)]


def _described(values: Sequence[Any]) -> list[Any]:
    """What an error message says of ``values`` (shape and dtype), without keeping their memory."""
    return [SimpleNamespace(shape=getattr(v, "shape", None), dtype=getattr(v, "dtype", type(v).__name__))
            for v in values]


def _checked(var: Variable, value: DeviceArray, kind: str = "device array") -> DeviceArray:
    """A device array given for input ``var`` (as a ``kind``), whose dtype and number of dimensions it must
    have."""
    dtype, ndim = getattr(var.type, "dtype", None), getattr(var.type, "ndim", None)
    if value.dtype.name != dtype or value.ndim != ndim:
        raise TypeError(f"input {var} takes {ndim}-d {dtype} arrays, not a {value.ndim}-d {value.dtype} {kind}")
    return value


def _same_memory(a: Driver, b: Driver) -> bool:
    """Whether device pointers of ``a`` are valid for ``b``: one driver, or two of one CUDA context (pycuda's
    drivers of one device share its primary context). Emulated drivers each check their own allocations."""
    context = getattr(a, "context", None)
    return a is b or (context is not None and context is getattr(b, "context", None))


def _resident(var: Variable, all_shared: bool) -> bool:
    """Whether shared variable ``var`` lives on the device between calls: made with ``device="cuda"``, or every
    one under the option ``shared_on_device``, if it holds numbers a device array can."""
    return (isinstance(var, SharedVariable) and (all_shared or var.device == "cuda")
            and getattr(var.type, "ndim", None) is not None
            and np.dtype(getattr(var.type, "dtype", "O")).kind in _DEVICE_KINDS)


def _why_resident(var: Variable) -> str:
    return 'device="cuda"' if getattr(var, "device", None) == "cuda" else "the option shared_on_device"


class _Call:
    """One call's values: on the host and on the device, by variable, each copied across at most once."""

    def __init__(self, program: CudaProgram, inputs: Sequence[Any]) -> None:
        self.program = program
        self.host: dict[Variable, Any] = {}
        self.device: dict[Variable, DeviceArray] = {}
        #: the device values of shared variables, whose host copies serve host steps
        self.shared: dict[Variable, SharedDeviceValue] = {}
        for k, (var, value) in enumerate(zip(program.inputs, inputs, strict=True)):
            found = program.device_input(k, var, value)
            if found is None:
                self.host[var] = value
                continue
            self.device[var] = found
            if isinstance(value, SharedDeviceValue):
                self.shared[var] = value
            elif isinstance(value, np.ndarray):  # a shared variable's host value, uploaded
                self.host[var] = value
        #: kernel steps launched in this call, with what their inputs were
        self.launched: dict[int, list[Any]] = {}

    def on_device(self, var: Variable) -> DeviceArray:
        found = self.device.get(var)
        if found is None:
            value = var.data if isinstance(var, Constant) else self.host[var]
            found = DeviceArray.from_host(self.program.pool, value, getattr(var.type, "dtype", None))
            self.device[var] = found
        return found

    def on_host(self, var: Variable) -> Any:
        if isinstance(var, Constant):
            return var.data
        if var not in self.host:
            shared = self.shared.get(var)
            self.host[var] = self.device[var].get() if shared is None else shared.host()
        return self.host[var]

    def inputs_of(self, node: Apply) -> list[Any]:
        """``node``'s input values wherever they are (for messages)."""
        return [v.data if isinstance(v, Constant) else self.host.get(v, self.device.get(v)) for v in node.inputs]

    def drop(self, variables: Sequence[Variable]) -> None:
        for var in variables:
            self.host.pop(var, None)
            self.device.pop(var, None)


def _keep_open() -> None:
    """What closing a program does to a pool it was given: nothing (its owner closes it)."""


class CudaProgram:
    """Runs ``steps`` over the values of ``fgraph``'s variables through ``driver`` (see the module's docstring)."""

    @staticmethod
    def accepts_device_input(value: Any) -> bool:
        """Whether ``value`` is taken as an input as it is (graph-core's ``Function`` passes it on instead of
        converting it to a host array): a device array of this runtime, or another library's CUDA memory
        (``__cuda_array_interface__``, DLPack of device type CUDA)."""
        return isinstance(value, DeviceArray) or has_cuda_array_interface(value) or is_cuda_dlpack(value)

    def __init__(self, fgraph: FunctionGraph, steps: list[tuple[Apply, KernelPlan | None]],
                 reasons: dict[Apply, str], driver: Driver, geometry: Geometry, where: str,
                 outputs: str = "host", pool: MemoryPool | None = None, shared_on_device: bool = False) -> None:
        self.inputs = list(fgraph.inputs)
        self.outputs = list(fgraph.outputs)
        #: positions of the inputs that are shared variables living on the device, and the outputs that update them
        self.resident = {k for k, var in enumerate(self.inputs) if _resident(var, shared_on_device)}
        self.device_updates = {i for i, k in fgraph.updates.items() if k in self.resident}
        host = set(fgraph.updates) if outputs == "device" else set(range(len(self.outputs)))
        self.host_results = host - self.device_updates
        self.steps = steps
        self.reasons = reasons
        self.driver = driver
        self.geometry = geometry
        self.where = where
        # a pool given (an inner graph's program shares its caller's) stays open for its owner to close
        self.pool = MemoryPool(driver) if pool is None else pool
        self._finalizer = weakref.finalize(self, self.pool.close if pool is None else _keep_open)
        kernels = {kernel.name: kernel for _, plan in steps if plan is not None for kernel in plan.kernels}
        module = driver.load_module(list(kernels.values())) if kernels else None
        self._functions = {name: driver.get_function(module, kernel) for name, kernel in kernels.items()}
        self._slots = {k: slot for slot, k in enumerate(k for k, (_, plan) in enumerate(steps) if plan is not None)}
        flags = np.zeros(max(len(self._slots), 1), dtype=np.int32)
        self._flags: DeviceArray | None = DeviceArray.from_host(self.pool, flags)
        #: constants kernels read, uploaded once
        self._constants: dict[Variable, DeviceArray] = {var: DeviceArray.from_host(self.pool, var.data, var.type.dtype)
                           for node, plan in steps if plan is not None
                           for var in (node.inputs[i] for i in plan.operands) if isinstance(var, Constant)}
        self._dead = self._last_uses()
        self._views = {k for k, (node, plan) in enumerate(steps) if plan is None and is_view(node)}
        #: kernel steps launched since the flags were last read, with what their inputs were (at the first launch)
        self._unchecked: dict[int, list[Any]] = {}

    def device_input(self, k: int, var: Variable, value: Any) -> DeviceArray | None:
        """Input ``k``'s value (of variable ``var``) on the device where it is there already or lives there,
        else None (a host value, uploaded if a kernel reads it)."""
        if isinstance(value, SharedDeviceValue):
            array = self._usable(value.array)
            if array is not value.array and k in self.resident:
                self._store(var, array, value.host())
            return array
        if isinstance(value, DeviceArray):
            return _checked(var, self._usable(value))
        if k in self.resident:  # the host value of a variable living on the device: up once, kept there
            array = DeviceArray.from_host(self.pool, value, getattr(var.type, "dtype", None))
            self._store(var, array, value)
            return array
        if has_cuda_array_interface(value):
            return _checked(var, from_cuda_array_interface(value, self.pool, f"input {var}"), type(value).__name__)
        if is_cuda_dlpack(value):
            return _checked(var, self._usable(from_dlpack(value, self.pool)), f"{type(value).__name__} (DLPack)")
        return None

    def _usable(self, array: DeviceArray) -> DeviceArray:
        """``array``, or a copy in this program's memory where its pointers are not valid here."""
        if array.pool is self.pool or _same_memory(array.pool.driver, self.driver):
            return array
        return DeviceArray.from_host(self.pool, array.get())

    @staticmethod
    def _store(var: Variable, array: DeviceArray, host: Any) -> None:
        """Keep ``array`` as shared variable ``var``'s value (``host``: the same value on the host), for the
        next calls of every function that reads it. Its value is unchanged: the call's read lock suffices."""
        assert isinstance(var, SharedVariable)
        var.store(SharedDeviceValue(array, host))

    def _last_uses(self) -> list[list[Variable]]:
        """For each step, the values no later step reads (and no output is)."""
        last: dict[Variable, int] = {}
        for k, (node, _) in enumerate(self.steps):
            last.update((var, k) for var in node.inputs)
            for var in node.outputs:
                last.setdefault(var, k)
        dead: list[list[Variable]] = [[] for _ in self.steps]
        kept = set(self.outputs)
        for var, k in last.items():
            if var not in kept and not isinstance(var, Constant):
                dead[k].append(var)
        return dead

    def __call__(self, inputs: Sequence[Any]) -> list[Any]:
        return self.run(inputs)

    def run(self, inputs: Sequence[Any], check_errors: bool = True) -> list[Any]:
        """The outputs for ``inputs``. With ``check_errors=False`` the kernels' error flags are not read at the
        end (no copy, no synchronization): the caller must call ``check_errors()`` before it trusts or returns
        any result of this call or a later one, since a kernel that failed leaves garbage to whatever reads its
        output. A step that raises reads the flags first, whatever ``check_errors`` says: an earlier kernel's
        error (of this call or an unchecked earlier one) is raised instead of the step's, which may have read its
        garbage."""
        if self._flags is None:
            raise RuntimeError("this CUDA function was closed: compile it again to call it")
        call = _Call(self, inputs)
        call.device.update(self._constants)
        for k, (node, plan) in enumerate(self.steps):
            try:
                view = (device_view(node, call.device[node.inputs[0]], [call.on_host(v) for v in node.inputs[1:]])
                        if k in self._views and node.inputs[0] in call.device else None)
                if view is not None:
                    call.device[node.outputs[0]] = view
                elif plan is None or not self._launch(call, k, node, plan):
                    call.host.update(zip(node.outputs, _perform(node, [call.on_host(v) for v in node.inputs]),
                                         strict=True))
            except Exception as exc:
                self._note(call)  # an earlier kernel's error comes first: this step may have read its garbage
                self.check_errors()
                raise_node_error(node, call.inputs_of(node), exc)
            call.drop(self._dead[k])
        self._note(call)
        if check_errors:
            self.check_errors()
        return [self._result(call, index, var) for index, var in enumerate(self.outputs)]

    def _launch(self, call: _Call, k: int, node: Apply, plan: KernelPlan) -> bool:
        """Run ``node``'s kernel; False where it must run on the host this time."""
        operands = set(plan.operands)
        values = [call.on_device(v) if i in operands else call.on_host(v) for i, v in enumerate(node.inputs)]
        assert self._flags is not None
        err = self._flags.pointer + self._flags.itemsize * self._slots[k]
        try:
            results = plan.run(plan, values, LaunchContext(self.driver, self._functions, self.pool, self.geometry, err))
        except TooManyDims:
            results = None
        if results is None:
            return False
        call.launched[k] = _described(values)
        call.device.update(zip(node.outputs, results, strict=True))
        return True

    def _note(self, call: _Call) -> None:
        """Add the kernels ``call`` launched to those whose flags are to be read."""
        for k, described in call.launched.items():
            self._unchecked.setdefault(k, described)
        call.launched = {}

    def check_errors(self) -> None:
        """Read the error flags of the kernels launched since the last read (one small copy, and so a
        synchronization; nothing where none was launched) and raise the error of the first kernel, in the
        program's order, whose flag is set, as NumPy would, naming its node and the user's line; the flags are
        cleared."""
        launched, self._unchecked = self._unchecked, {}
        if not launched or self._flags is None:
            return
        flags = self._flags.get()
        if not flags.any():
            return
        self.driver.htod(self._flags.pointer, np.zeros_like(flags))
        for k, described in sorted(launched.items()):
            flag = int(flags[self._slots[k]])
            if flag:
                try:
                    raise_kernel_error(flag)
                except Exception as exc:
                    raise_node_error(self.steps[k][0], described, exc)

    def _result(self, call: _Call, index: int, var: Variable) -> Any:
        if index in self.host_results:
            return call.on_host(var)
        if index in self.device_updates:  # a new array (borrowed memory copied: its owner may change it)
            if var in call.device and not isinstance(var, Constant):
                array = call.device[var]
                return SharedDeviceValue(array.copy() if array.is_borrowed else array)
            dtype = getattr(var.type, "dtype", None)
            return SharedDeviceValue(DeviceArray.from_host(self.pool, call.on_host(var), dtype))
        if var in call.device and not isinstance(var, Constant):
            return call.device[var]
        value = call.on_host(var)
        if isinstance(value, np.ndarray) and value.dtype.kind in _DEVICE_KINDS:
            return DeviceArray.from_host(self.pool, value)
        return value

    def close(self) -> None:
        """Free the device memory of this function (arrays returned to the caller stay valid until dropped)."""
        self._flags = None
        self._constants = {}
        self._finalizer()

    def report(self) -> str:
        kernels = [plan for _, plan in self.steps if plan is not None]
        views = sum(is_view(node) for node in self.reasons)
        lines = [f"CUDA backend ({self.where}): {len(kernels)} kernel(s), {views} view(s), "
                 f"{len(self.reasons) - views} node(s) on the host",
                 f"  device memory: {self.pool.allocated} allocation(s), {self.pool.held} bytes held, "
                 f"{self.pool.reused} reuse(s)"]
        lines += [f"  kernel {kernel.name}: {plan.node.op}" + (f" ({plan.describe(self.driver)})" if plan.describe
                                                                else "")
                  for plan in kernels for kernel in plan.kernels]
        lines += [f"  {'view' if is_view(node) else 'host':6} {node.op}: {reason}"
                  for node, reason in self.reasons.items()]
        lines += [f"  shared {var}: on the device ({_why_resident(var)})"
                  for var in (self.inputs[k] for k in sorted(self.resident))]
        return "\n".join(lines)
