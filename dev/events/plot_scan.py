"""Plot of an `offload events scan --json scan.json` file: events/s vs client threads per mode, and the
server's model utilisation for the remote modes.

    .venv/bin/python dev/events/plot_scan.py scan.json --out docs/images/events/scan.png
"""

from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scan")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rows = json.load(open(args.scan))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    labels = {"remote": "remote-async (ExternalWork)", "sync-remote": "remote-sync", "local": "local (in-process)"}
    for mode in dict.fromkeys(r["mode"] for r in rows):
        mine = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["threads"])
        threads = [r["threads"] for r in mine]
        left.plot(threads, [r["eventsPerSecond"] for r in mine], marker="o", label=labels.get(mode, mode))
        if any(r.get("serverModelUtilisation") is not None for r in mine):
            right.plot(
                threads,
                [100 * (r.get("serverModelUtilisation") or 0) for r in mine],
                marker="o",
                label=labels.get(mode, mode),
            )
    left.set(xlabel="client worker threads", ylabel="events/s", title="event throughput")
    right.set(xlabel="client worker threads", ylabel="% of wall time", title="server model instances busy")
    left.legend()
    right.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)


if __name__ == "__main__":
    main()
