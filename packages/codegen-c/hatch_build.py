"""Wheel build hook: compile the C runtime into the wheel, so that an install's first function runs only gcc on its
own kernels (the runtime is the longest single build of a cold start).

The runtime's source and settings come from ``src/arignote_c/runtime/source.py`` and the compiler and flags from
``src/arignote_c/toolchain.py``, both loaded alone (standard library only). Flags are portable (no
-march=native): a wheel may run on another CPU than the one that built it. Without a compiler, or when it fails,
the wheel is built without the runtime and says why; the runtime is then built into the cache at first use.
Editable installs skip it (their source changes under them; the cache follows it).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = Path(__file__).resolve().parent / "src" / "arignote_c"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class RuntimeBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        source = _load(PACKAGE / "runtime" / "source.py", "_arignote_runtime_source")
        self._work = Path(tempfile.mkdtemp(prefix="arignote-rt-"))
        try:
            built = _build_runtime(source, self._work)
        except Exception as exc:  # a wheel without the runtime still works: it is built at first use instead
            self.app.display_warning(f"arignote-codegen-c: the wheel carries no prebuilt C runtime ({exc}); it will "
                                     "be built into the module cache at first use")
            return
        build_data["force_include"][str(built)] = f"arignote_c/runtime/{source.PREBUILT_DIR.name}/{built.name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def _build_runtime(source: ModuleType, work: Path) -> Path:
    """The runtime module built in ``work`` by the compiler ``$CC`` names (else gcc, then cc)."""
    import numpy as np  # noqa: PLC0415  (a build requirement: hatch loads this file for sdists too)

    toolchain = _load(PACKAGE / "toolchain.py", "_arignote_toolchain")
    return source.build_prebuilt(toolchain.find_compiler(os.environ.get("CC")), toolchain.BASE_FLAGS,  # type: ignore
                                 importlib.machinery.EXTENSION_SUFFIXES[0],
                                 [sysconfig.get_paths()["include"], np.get_include()], work)
