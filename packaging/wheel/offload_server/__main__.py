"""`python -m offload_server ARGS...` runs `offload ARGS...` (the process is replaced, so signals and
the exit status are the server's own), with ONNX Runtime taken from this interpreter's `onnxruntime`
package unless OFFLOAD_ONNXRUNTIME_LIBRARY is set.

`python -m offload_server --print-zoo` prints the bundled model zoo's path instead.
"""

from __future__ import annotations

import os
import sys

from . import binary, onnxruntime_library, zoo


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--print-zoo"]:
        print(zoo())
        return 0
    try:
        executable = binary()
    except FileNotFoundError as error:
        print(f"offload_server: {error}", file=sys.stderr)
        return 1
    environment = dict(os.environ)
    if not environment.get("OFFLOAD_ONNXRUNTIME_LIBRARY"):
        library = onnxruntime_library()
        if library is not None:
            environment["OFFLOAD_ONNXRUNTIME_LIBRARY"] = str(library)
    os.execve(executable, [str(executable), *args], environment)
    return 127  # not reached: execve replaces the process or raises


if __name__ == "__main__":
    sys.exit(main())
