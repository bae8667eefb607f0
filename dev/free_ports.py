"""TCP ports on 127.0.0.1 that were free a moment ago (the kernel's picks).

As a command, prints N of them space-separated (dev/check-wheel.sh, dev/build-image.sh,
dev/validate-manifests.sh start test servers on them); as a module, `free_ports(n)` returns them
(dev/bench/overload_real.py, deploy/tools/prometheus_live.py).
Usage: free_ports.py [N]   (default 3)
"""

import socket
import sys


def free_ports(count: int) -> list[int]:
    """COUNT distinct free ports: every socket is held until all are chosen."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


if __name__ == "__main__":
    print(" ".join(str(p) for p in free_ports(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
