"""Prints N TCP ports on 127.0.0.1 that were free a moment ago (the kernel's picks), space-separated.

Used by dev/check-wheel.sh and dev/build-image.sh to start test servers without fixed ports.
Usage: free-ports.py [N]   (default 3)
"""

import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
sockets = [socket.socket() for _ in range(count)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
for s in sockets:
    s.close()
