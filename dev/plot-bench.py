#!/usr/bin/env python3
"""Plots an `offload bench` report.

Usage:
    .venv/bin/python dev/plot-bench.py REPORT_JSON OUTDIR

Reads one report written by `offload bench --json ...` (schema "offload-bench/1")
and writes three plots into OUTDIR, each as PNG (120 dpi) and SVG:

    <model>-latency-vs-throughput   p50/p90/p99 latency against inferences/s,
                                    one marker per load point, annotated with
                                    its concurrency or request rate; a dashed
                                    vertical line at the baseline throughput
                                    ("direct ONNX Runtime") when the report has one
    <model>-throughput-vs-load      inferences/s against concurrency or request
                                    rate, with the ratio to the baseline on a
                                    secondary axis (and next to each point) when
                                    the report has one
    <model>-latency-breakdown       stacked bars per load point: server queue,
                                    compute input/infer/output, server overhead
                                    and "client + network" (client mean latency
                                    minus server request time); a single client
                                    mean bar for points without server statistics

The written paths are printed, one a line. Exits 1 with a message on stderr when
the report is missing or malformed. Needs matplotlib (dev/requirements.txt).
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_PREFIX = "offload-bench/"
SUPPORTED_SCHEMA = "offload-bench/1"
PNG_DPI = 120


class ReportError(Exception):
    """The report file is missing, unreadable or does not match the schema."""


# --------------------------------------------------------------------------
# Report parsing and validation
# --------------------------------------------------------------------------

@dataclass
class ServerStats:
    request_us: float
    queue_us: float
    compute_input_us: float
    compute_infer_us: float
    compute_output_us: float
    overhead_us: float


@dataclass
class Point:
    load: float              # concurrency or request rate, depending on load_mode
    stable: bool
    inferences_per_second: float
    p50: float
    p90: float
    p99: float
    mean: float
    server: ServerStats | None
    ratio_to_baseline: float | None


@dataclass
class Report:
    model: str
    model_version: str
    protocol: str
    batch_size: int
    load_mode: str           # "concurrency" or "request_rate"
    baseline_ips: float | None
    points: list[Point]


def _require(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise ReportError(f"{where}: missing key '{key}'")
    return obj[key]


def _number(value: Any, where: str, *, nullable: bool = False) -> float | None:
    if value is None:
        if nullable:
            return None
        raise ReportError(f"{where}: expected a number, got null")
    # bool is an int subclass; reject it explicitly.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportError(f"{where}: expected a number, got {type(value).__name__}")
    if not math.isfinite(float(value)):
        if nullable:
            return None
        raise ReportError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ReportError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ReportError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _parse_server(raw: Any, where: str) -> ServerStats | None:
    if raw is None:
        return None
    obj = _object(raw, where)
    fields = {}
    for key in ("request_us", "queue_us", "compute_input_us", "compute_infer_us",
                "compute_output_us", "overhead_us"):
        fields[key] = _number(_require(obj, key, where), f"{where}.{key}")
    return ServerStats(**fields)


def _parse_point(raw: Any, index: int, load_mode: str) -> Point:
    where = f"points[{index}]"
    obj = _object(raw, where)
    load = _number(_require(obj, load_mode, where), f"{where}.{load_mode}", nullable=True)
    if load is None:
        raise ReportError(f"{where}: load_mode is '{load_mode}' but '{load_mode}' is null")
    stable = _require(obj, "stable", where)
    if not isinstance(stable, bool):
        raise ReportError(f"{where}.stable: expected true or false")
    lat = _object(_require(obj, "latency_us", where), f"{where}.latency_us")

    def lat_value(key: str) -> float:
        # A point whose requests all failed may carry null/NaN latencies: plot as a gap.
        value = _number(_require(lat, key, f"{where}.latency_us"),
                        f"{where}.latency_us.{key}", nullable=True)
        return math.nan if value is None else value

    return Point(
        load=load,
        stable=stable,
        inferences_per_second=_number(_require(obj, "inferences_per_second", where),
                                      f"{where}.inferences_per_second"),
        p50=lat_value("p50"),
        p90=lat_value("p90"),
        p99=lat_value("p99"),
        mean=lat_value("mean"),
        server=_parse_server(_require(obj, "server", where), f"{where}.server"),
        ratio_to_baseline=_number(obj.get("ratio_to_baseline"),
                                  f"{where}.ratio_to_baseline", nullable=True),
    )


def load_report(path: Path) -> Report:
    if not path.exists():
        raise ReportError(f"{path}: no such file")
    if not path.is_file():
        raise ReportError(f"{path}: not a regular file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read: {exc}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON: {exc}") from exc

    top = _object(raw, "report")
    schema = _string(_require(top, "schema", "report"), "report.schema")
    if not schema.startswith(SCHEMA_PREFIX):
        raise ReportError(f"report.schema is '{schema}', not an offload bench report "
                          f"(expected '{SUPPORTED_SCHEMA}')")
    if schema != SUPPORTED_SCHEMA:
        raise ReportError(f"report.schema '{schema}' is not supported (expected '{SUPPORTED_SCHEMA}')")

    load_mode = _string(_require(top, "load_mode", "report"), "report.load_mode")
    if load_mode not in ("concurrency", "request_rate"):
        raise ReportError(f"report.load_mode: expected 'concurrency' or 'request_rate', got '{load_mode}'")

    batch = _number(_require(top, "batch_size", "report"), "report.batch_size")
    baseline_ips = None
    baseline = _require(top, "baseline", "report")
    if baseline is not None:
        bobj = _object(baseline, "report.baseline")
        baseline_ips = _number(_require(bobj, "inferences_per_second", "report.baseline"),
                               "report.baseline.inferences_per_second", nullable=True)

    raw_points = _require(top, "points", "report")
    if not isinstance(raw_points, list):
        raise ReportError("report.points: expected a list")
    if not raw_points:
        raise ReportError("report.points: empty, nothing to plot")
    points = [_parse_point(p, i, load_mode) for i, p in enumerate(raw_points)]
    points.sort(key=lambda p: p.load)

    return Report(
        model=_string(_require(top, "model", "report"), "report.model"),
        model_version=_string(top.get("model_version") or "", "report.model_version"),
        protocol=_string(_require(top, "protocol", "report"), "report.protocol"),
        batch_size=int(batch),
        load_mode=load_mode,
        baseline_ips=baseline_ips,
        points=points,
    )


# --------------------------------------------------------------------------
# Plotting
# --------------------------------------------------------------------------

def _import_pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise ReportError("matplotlib is not installed; run dev/python-env.sh and use "
                          ".venv/bin/python") from exc
    matplotlib.use("Agg")
    # Stable SVG element ids, so that re-plotting the same report gives the same file.
    matplotlib.rcParams["svg.hashsalt"] = "offload-bench"
    import matplotlib.pyplot as plt
    return plt


def _file_stem(model: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("._")
    return stem or "model"


def _title(report: Report, what: str) -> str:
    model = report.model + (f" v{report.model_version}" if report.model_version else "")
    return f"{model}: {what}\nbatch size {report.batch_size}, {report.protocol}"


def _load_axis_label(report: Report) -> str:
    return "concurrency" if report.load_mode == "concurrency" else "request rate (requests/s)"


def _load_text(report: Report, load: float) -> str:
    if report.load_mode == "concurrency":
        return f"c={int(load)}"
    return f"{load:g}/s"


def _wide_range(values: list[float]) -> bool:
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    return len(positive) >= 2 and max(positive) / min(positive) > 20


def _save(fig, outdir: Path, name: str) -> list[Path]:
    written = []
    for ext in ("png", "svg"):
        path = outdir / f"{name}.{ext}"
        if ext == "png":
            fig.savefig(path, dpi=PNG_DPI)
        else:
            # No creation date: the SVG is a pure function of the report.
            fig.savefig(path, metadata={"Date": None})
        written.append(path)
    return written


def plot_latency_vs_throughput(plt, report: Report, outdir: Path, stem: str) -> list[Path]:
    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    xs = [p.inferences_per_second for p in report.points]
    for key, style in (("p50", "o-"), ("p90", "s-"), ("p99", "^-")):
        ax.plot(xs, [getattr(p, key) for p in report.points], style, label=key, markersize=5)
    # Annotate the p50 markers with the load that produced them.
    for p in report.points:
        if math.isfinite(p.p50):
            label = _load_text(report, p.load) + ("" if p.stable else " (unstable)")
            ax.annotate(label, (p.inferences_per_second, p.p50), textcoords="offset points",
                        xytext=(5, -12), fontsize=8)
    x_values = list(xs)
    if report.baseline_ips is not None and report.baseline_ips > 0:
        ax.axvline(report.baseline_ips, linestyle="--", color="gray",
                   label=f"direct ONNX Runtime ({report.baseline_ips:,.0f} infer/s)")
        x_values.append(report.baseline_ips)
    if _wide_range(x_values):
        ax.set_xscale("log")
    ax.set_xlabel("throughput (inferences/s)")
    ax.set_ylabel("latency (µs)")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    ax.set_title(_title(report, "latency vs throughput"))
    written = _save(fig, outdir, f"{stem}-latency-vs-throughput")
    plt.close(fig)
    return written


def plot_throughput_vs_load(plt, report: Report, outdir: Path, stem: str) -> list[Path]:
    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    loads = [p.load for p in report.points]
    ips = [p.inferences_per_second for p in report.points]
    handles = ax.plot(loads, ips, "o-", color="C0", label="achieved inferences/s")
    unstable = [p for p in report.points if not p.stable]
    if unstable:
        handles += ax.plot([p.load for p in unstable], [p.inferences_per_second for p in unstable],
                           "x", color="C3", markersize=9, linestyle="none", label="unstable point")
    if report.load_mode == "request_rate":
        # Offered load, for comparison: every request carries batch_size inferences.
        handles += ax.plot(loads, [r * report.batch_size for r in loads], ":", color="gray",
                           label="offered inferences/s")
    ax.set_xlabel(_load_axis_label(report))
    ax.set_ylabel("throughput (inferences/s)")
    ax.set_ylim(bottom=0)
    ax.margins(x=0.08)
    if report.load_mode == "concurrency":
        ax.set_xticks(loads)
        ax.set_xticklabels([str(int(v)) for v in loads])
    ax.grid(True, alpha=0.3)

    ratios = [p for p in report.points if p.ratio_to_baseline is not None]
    if report.baseline_ips is not None and report.baseline_ips > 0 and ratios:
        # ratio_to_baseline is inferences_per_second / baseline, so the secondary
        # axis is the primary one rescaled: align the two and label each point with
        # its ratio instead of drawing a second line over the first.
        ax2 = ax.twinx()
        bottom, top = ax.get_ylim()
        ax2.set_ylim(bottom / report.baseline_ips, top / report.baseline_ips)
        ax2.set_ylabel(f"ratio to direct ONNX Runtime ({report.baseline_ips:,.0f} infer/s)")
        for p in ratios:
            ax.annotate(f"×{p.ratio_to_baseline:.3g}", (p.load, p.inferences_per_second),
                        textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8,
                        color="C1")
    ax.legend(handles=handles, loc="upper left", fontsize=9)
    ax.set_title(_title(report, f"throughput vs {report.load_mode.replace('_', ' ')}"))
    written = _save(fig, outdir, f"{stem}-throughput-vs-load")
    plt.close(fig)
    return written


BREAKDOWN_PARTS = (
    # (label, function of (point, server) -> µs)
    ("server queue", lambda p, s: s.queue_us),
    ("compute input", lambda p, s: s.compute_input_us),
    ("compute infer", lambda p, s: s.compute_infer_us),
    ("compute output", lambda p, s: s.compute_output_us),
    ("server overhead", lambda p, s: s.overhead_us),
    ("client + network", lambda p, s: max(0.0, p.mean - s.request_us) if math.isfinite(p.mean) else 0.0),
)


def plot_latency_breakdown(plt, report: Report, outdir: Path, stem: str) -> list[Path]:
    n = len(report.points)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * n + 3.5), 5.5), layout="constrained")
    positions = list(range(n))
    bottoms = [0.0] * n
    for i, (label, part) in enumerate(BREAKDOWN_PARTS):
        heights = [part(p, p.server) if p.server is not None else 0.0 for p in report.points]
        if any(h > 0 for h in heights):
            ax.bar(positions, heights, bottom=bottoms, width=0.6, label=label, color=f"C{i}")
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    without_server = [(i, p) for i, p in enumerate(report.points) if p.server is None]
    if without_server:
        ax.bar([i for i, _ in without_server],
               [p.mean if math.isfinite(p.mean) else 0.0 for _, p in without_server],
               width=0.6, label="client mean (no server statistics)", color="C7")
        for i, p in without_server:
            bottoms[i] = p.mean if math.isfinite(p.mean) else 0.0
    # Total (client mean latency) on top of each bar.
    for i, p in enumerate(report.points):
        if math.isfinite(p.mean):
            ax.annotate(f"{p.mean:,.0f}", (i, bottoms[i]), textcoords="offset points",
                        xytext=(0, 3), ha="center", fontsize=8)
    ax.set_xticks(positions)
    ax.set_xticklabels([_load_text(report, p.load) + ("" if p.stable else "\n(unstable)")
                        for p in report.points])
    ax.set_xlabel(_load_axis_label(report))
    ax.set_ylabel("mean latency (µs)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    # Legend top to bottom in stacking order (top of the bar first).
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax.set_title(_title(report, "mean latency breakdown"))
    written = _save(fig, outdir, f"{stem}-latency-breakdown")
    plt.close(fig)
    return written


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if len(argv) != 3:
        print("usage: plot-bench.py REPORT_JSON OUTDIR", file=sys.stderr)
        return 2
    report_path, outdir = Path(argv[1]), Path(argv[2])
    try:
        report = load_report(report_path)
        plt = _import_pyplot()
        try:
            outdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportError(f"{outdir}: cannot create output directory: {exc}") from exc
        stem = _file_stem(report.model)
        written = []
        written += plot_latency_vs_throughput(plt, report, outdir, stem)
        written += plot_throughput_vs_load(plt, report, outdir, stem)
        written += plot_latency_breakdown(plt, report, outdir, stem)
    except ReportError as exc:
        print(f"plot-bench: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
