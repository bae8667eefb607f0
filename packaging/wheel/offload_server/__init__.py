"""The `offload` server binary installed by the `offload-server` wheel, and what it needs.

The wheel installs the static `offload` executable into the environment's scripts directory
(`PREFIX/bin`), the bundled model zoo inside this package, and depends on the pinned `onnxruntime`
wheel whose `libonnxruntime.so` the binary loads at run time.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import sysconfig
from pathlib import Path

__all__ = ["__version__", "binary", "onnxruntime_library", "zoo"]

__version__ = "0.1.0"


def _scripts_directories() -> list[Path]:
    """Where pip may have put the `offload` script for this interpreter, best first."""
    directories = [Path(sysconfig.get_path("scripts"))]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        directories.append(Path(sysconfig.get_path("scripts", scheme=user_scheme)))
    directories.append(Path(sys.executable).parent)
    return directories


def binary() -> Path:
    """The installed `offload` executable.

    Raises FileNotFoundError naming the places searched when the wheel's script is missing.
    """
    searched = _scripts_directories()
    for directory in searched:
        candidate = directory / "offload"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("offload")
    if on_path:
        return Path(on_path)
    places = ", ".join(str(d) for d in searched)
    raise FileNotFoundError(
        f"the offload executable is not in {places} or on PATH: reinstall the wheel "
        "(pip install --force-reinstall offload-server)"
    )


def onnxruntime_library() -> Path | None:
    """`libonnxruntime.so` of the `onnxruntime` package importable here, or None."""
    spec = importlib.util.find_spec("onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        capi = Path(location) / "capi"
        libraries = sorted(capi.glob("libonnxruntime.so*"), key=lambda p: len(p.name), reverse=True)
        if libraries:
            return libraries[0]
    return None


def zoo() -> Path:
    """The bundled model zoo, a Triton model repository."""
    return Path(__file__).resolve().parent / "models"
