#!/usr/bin/env python3
"""Checks behind dev/validate-manifests.sh that need a library rather than a command-line tool.

Run with the tools venv's Python (deploy/tools/requirements.txt). Subcommands:

  render   OUT_DIR              render the chart with Helm's Go SDK (helm-python-sdk) for every scenario
                                below, and run Helm's linter on each; writes OUT_DIR/<scenario>.yaml
  crs      FILE...              validate ScaledObject and ServiceMonitor documents against models
                                generated from the KEDA and Prometheus Operator CRD schemas
  names    FILE...              object names: at most 63 characters, DNS labels for Services
  metrics  OUT_RULES FILE...    every PromQL expression of the dashboard JSON / rendered ScaledObjects
                                parses, and names only metrics the server exports (read from the Swift
                                sources); writes them as a Prometheus rules file for `promtool check rules`
  haproxy-cfg RENDERED OUT      the gateway ConfigMap's haproxy.cfg out of a rendered chart, for a
                                local `haproxy -c`
  prometheus-config IN OUT      the scrape config without the jobs Debian's promtool cannot parse
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "offload"
NAMESPACE = "hep"

# name -> (release name, values). Together they switch every template branch on at least once.
SCENARIOS: dict[str, tuple[str, dict[str, Any]]] = {
    "defaults": ("offload", {}),
    "everything": (
        "sonic",
        {
            "image": {"repository": "registry.example.org/hep/offload", "tag": "0.1.0"},
            "imagePullSecrets": [{"name": "registry"}],
            "server": {
                "modelControlMode": "explicit",
                "loadModels": ["lhcb_ghost_mlp", "jet_tagger_qg"],
                "extraArgs": ["--max-queue-size", "1024"],
                "env": [{"name": "TZ", "value": "UTC"}],
            },
            "modelRepository": {
                "volume": {"persistentVolumeClaim": {"claimName": "hep-models", "readOnly": True}},
                "subPath": "zoo",
            },
            "podAnnotations": {"example.org/team": "trigger"},
            "podLabels": {"example.org/tier": "inference"},
            "nodeSelector": {"kubernetes.io/arch": "amd64"},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "inference", "effect": "NoSchedule"}],
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "kubernetes.io/hostname",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"app.kubernetes.io/component": "server"}},
                }
            ],
            "podDisruptionBudget": {"enabled": True},
            "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}}},
            "autoscaling": {"keda": {"enabled": True, "activationThresholdMilliseconds": 0.1}},
            "grafanaDashboard": {"enabled": True, "namespace": "monitoring", "annotations": {"grafana_folder": "HEP"}},
            "gateway": {"replicaCount": 2, "service": {"type": "LoadBalancer"}},
        },
    ),
    "minimal": (
        "a-release-name-long-enough-to-need-truncation-of-names",
        {
            "gateway": {"enabled": False},
            "metrics": {"podAnnotations": False},
            "server": {"modelControlMode": "poll", "repositoryPollSeconds": 30},
            "preStopSleepSeconds": 0,
            "resources": {},
            "autoscaling": {"keda": {"enabled": True, "query": "avg(nv_inference_pending_request_count)"}},
        },
    ),
}


def fail(message: str) -> None:
    print(f"[manifest-checks] FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def documents(paths: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in paths:
        for doc in yaml.safe_load_all(Path(path).read_text()):
            if doc:
                yield path, doc


# ---- render -------------------------------------------------------------------------------------


def cmd_render(out_dir: str) -> None:
    import helm_python as helm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    print(f"helm-python-sdk {helm.__version__}: libhelm_c {helm.helm_c_version()}, Helm SDK {helm.helm_sdk_version()}")
    problems = 0
    with helm.Chart.load(str(CHART)) as chart:
        print(f"chart {chart.name} {chart.version}")
        for scenario, (release, values) in SCENARIOS.items():
            # `helm lint --strict`: warnings count as failures.
            report = helm.lint(str(CHART), values, strict=True, namespace=NAMESPACE, kube_version="v1.30.0")
            for message in report.get("messages", []):
                severity = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}.get(message["severity"], "?")
                print(f"  lint [{scenario}] {severity} {message['path']}: {message['error']}")
                if message["severity"] >= 2:
                    problems += 1
            for error in report.get("errors", []) or []:
                print(f"  lint [{scenario}] ERROR {error}")
                problems += 1
            chart.validate_schema(values)
            rendered = chart.render(values, name=release, namespace=NAMESPACE, is_install=True)
            manifests = []
            for template in sorted(rendered):
                text = rendered[template]
                if template.endswith("NOTES.txt"):
                    (out / f"{scenario}.NOTES.txt").write_text(text)
                    continue
                if text.strip():
                    manifests.append(f"# Source: {template}\n{text.strip()}\n")
            (out / f"{scenario}.yaml").write_text("---\n".join(manifests))
            kinds = sorted(doc["kind"] for _, doc in documents([str(out / f"{scenario}.yaml")]))
            print(f"  rendered [{scenario}] release {release}: {', '.join(kinds)}")
    if problems:
        fail(f"helm lint reported {problems} problem(s)")


# ---- custom resources ---------------------------------------------------------------------------


def strict_check(model: Any, doc: dict[str, Any], where: str) -> list[str]:
    """Validate with the generated pydantic model, then report input keys the model dropped
    (the models ignore unknown fields; a dropped key is a field the CRD schema does not have)."""
    obj = model.model_validate(doc)
    dumped = obj.model_dump(by_alias=True, exclude_none=False)
    problems: list[str] = []

    def compare(given: Any, kept: Any, path: str) -> None:
        if isinstance(given, dict):
            if not isinstance(kept, dict):
                problems.append(f"{where}: {path} is not an object in the schema")
                return
            for key, value in given.items():
                if key not in kept:
                    problems.append(f"{where}: unknown field {path}.{key}")
                else:
                    compare(value, kept[key], f"{path}.{key}")
        elif isinstance(given, list) and isinstance(kept, list):
            for index, (a, b) in enumerate(zip(given, kept)):
                compare(a, b, f"{path}[{index}]")

    compare(doc, dumped, "")
    return problems


def cmd_crs(paths: list[str]) -> None:
    from cloudcoil.models.keda import v1alpha1 as keda
    from cloudcoil.models.prometheus_operator import v1 as monitoring

    models = {
        ("keda.sh/v1alpha1", "ScaledObject"): keda.ScaledObject,
        ("monitoring.coreos.com/v1", "ServiceMonitor"): monitoring.ServiceMonitor,
    }
    problems: list[str] = []
    checked = 0
    for path, doc in documents(paths):
        model = models.get((doc.get("apiVersion"), doc.get("kind")))
        if model is None:
            continue
        where = f"{Path(path).name}: {doc['kind']} {doc['metadata']['name']}"
        try:
            problems += strict_check(model, doc, where)
        except Exception as error:  # pydantic.ValidationError and friends
            problems.append(f"{where}: {error}")
        checked += 1
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        fail(f"{len(problems)} problem(s) in custom resources")
    print(f"custom resources: {checked} ScaledObject/ServiceMonitor document(s) match their CRD schemas")


# ---- names --------------------------------------------------------------------------------------

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def cmd_names(paths: list[str]) -> None:
    problems = []
    count = 0
    for path, doc in documents(paths):
        name = doc["metadata"]["name"]
        count += 1
        if doc["kind"] == "Service" and (len(name) > 63 or not DNS_LABEL.match(name)):
            problems.append(f"{Path(path).name}: Service name '{name}' is not a DNS-1035 label of at most 63 characters")
        elif len(name) > 63 or not DNS_SUBDOMAIN.match(name):
            problems.append(f"{Path(path).name}: {doc['kind']} name '{name}' is invalid or longer than 63 characters")
        for key, value in (doc["metadata"].get("labels") or {}).items():
            if len(str(value)) > 63:
                problems.append(f"{Path(path).name}: label {key}={value} longer than 63 characters")
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        fail("invalid object names")
    print(f"names: {count} object(s) have valid names and label values")


# ---- metrics ------------------------------------------------------------------------------------

# Series Prometheus itself adds to every target; allowed in queries besides the server's metrics.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def server_metric_names() -> set[str]:
    """The metric names the server exports, read from its Swift sources: the per-model counters and
    gauges (`counter("nv_…")`, `label: "nv_…"`) and the process gauges (`gauge(NAME, UNIT, …)`, whose
    exported name is NAME_UNIT, or NAME when the unit is empty)."""
    names: set[str] = set()
    runtime = REPO / "Sources" / "InferenceRuntime" / "Statistics" / "ModelMetrics.swift"
    endpoint = REPO / "Sources" / "InferenceServer" / "MetricsEndpoint.swift"
    for path in (runtime, endpoint):
        if not path.is_file():
            fail(f"{path} not found: the metric list comes from the server's sources")
    names.update(re.findall(r'counter\("(nv_[a-z0-9_]+)"\)', runtime.read_text()))
    names.update(re.findall(r'label:\s*"(nv_[a-z0-9_]+)"', runtime.read_text()))
    for name, unit in re.findall(r'gauge\(\s*"([a-z0-9_]+)",\s*"([a-z0-9_]*)"', endpoint.read_text()):
        names.add(f"{name}_{unit}" if unit else name)
    if len(names) < 10:
        fail(f"found only {sorted(names)} in the sources; has the metrics code moved?")
    return names


GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
}


def grafana_to_promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    # Template variables ($job, ${model}) stand in label matchers' values.
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", "x", expr)


def dashboard_queries(path: Path) -> list[tuple[str, str]]:
    dashboard = json.loads(path.read_text())
    queries: list[tuple[str, str]] = []

    def visit(panels: list[dict[str, Any]]) -> None:
        for panel in panels:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    queries.append((f"panel '{panel.get('title')}' {target.get('refId')}", target["expr"]))
            visit(panel.get("panels", []))

    visit(dashboard.get("panels", []))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        text = query.get("query") if isinstance(query, dict) else query
        match = re.fullmatch(r"label_values\((.+),\s*[A-Za-z_]+\)", text or "")
        if match:
            queries.append((f"variable '{variable['name']}'", match.group(1)))
    if not queries:
        fail(f"no queries found in {path}")
    return queries


def cmd_metrics(out_rules: str, paths: list[str]) -> None:
    import promql_parser

    known = server_metric_names()
    print(f"server metrics ({len(known)}): {', '.join(sorted(known))}")
    # Triton's GPU gauges, which Offload exports only with a GPU execution provider (#24): a query may name
    # them as long as it also answers without them (SuperSONIC's server count, `... or count(nv_cpu_...)`).
    known |= {"nv_gpu_utilization", "nv_gpu_memory_total_bytes", "nv_gpu_memory_used_bytes", "nv_gpu_power_usage"}
    queries: list[tuple[str, str]] = []
    for name in paths:
        path = Path(name)
        if path.suffix == ".json":
            queries += [(f"{path.name} {where}", expr) for where, expr in dashboard_queries(path)]
        else:
            for _, doc in documents([name]):
                if doc.get("kind") == "ScaledObject":
                    for trigger in doc["spec"]["triggers"]:
                        if trigger["type"] == "prometheus":
                            queries.append((f"{path.name} ScaledObject {doc['metadata']['name']}", trigger["metadata"]["query"]))
    problems = []
    rules = []
    for where, expr in queries:
        promql = grafana_to_promql(expr)
        try:
            tree = promql_parser.parse(promql)
        except Exception as error:
            problems.append(f"{where}: does not parse: {error}\n    {expr}")
            continue
        used: set[str] = set()

        def collect(node: Any) -> None:
            if type(node).__name__ == "VectorSelector" and node.name:
                used.add(node.name)

        promql_parser.walk(tree, collect)
        if not used:
            problems.append(f"{where}: uses no metric\n    {expr}")
        for metric in sorted(used - known - PROMETHEUS_SERIES):
            problems.append(f"{where}: metric '{metric}' is not exported by the server")
        rules.append({"record": f"offload:check_{len(rules)}", "expr": promql})
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        fail(f"{len(problems)} problem(s) in PromQL queries")
    Path(out_rules).write_text(yaml.safe_dump({"groups": [{"name": "offload-queries", "rules": rules}]}, sort_keys=False))
    print(f"PromQL: {len(queries)} queries parse and use only exported metrics (rules file {out_rules})")


# ---- extraction helpers -------------------------------------------------------------------------


def cmd_haproxy_cfg(rendered: str, out: str) -> None:
    for _, doc in documents([rendered]):
        if doc.get("kind") == "ConfigMap" and "haproxy.cfg" in (doc.get("data") or {}):
            Path(out).write_text(doc["data"]["haproxy.cfg"])
            print(f"gateway haproxy.cfg of ConfigMap {doc['metadata']['name']} -> {out}")
            return
    fail(f"no ConfigMap with haproxy.cfg in {rendered}")


def cmd_prometheus_config(source: str, out: str) -> None:
    config = yaml.safe_load(Path(source).read_text())
    kept, dropped = [], []
    for job in config.get("scrape_configs", []):
        (dropped if "kubernetes_sd_configs" in job else kept).append(job)
    config["scrape_configs"] = kept
    Path(out).write_text(yaml.safe_dump(config, sort_keys=False))
    names = ", ".join(job["job_name"] for job in dropped) or "none"
    print(f"scrape config for promtool: {len(kept)} job(s) kept; without kubernetes_sd_configs support: {names}")


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        fail(__doc__ or "usage")
    command, args = argv[1], argv[2:]
    if command == "render" and len(args) == 1:
        cmd_render(args[0])
    elif command == "crs" and args:
        cmd_crs(args)
    elif command == "names" and args:
        cmd_names(args)
    elif command == "metrics" and len(args) >= 2:
        cmd_metrics(args[0], args[1:])
    elif command == "haproxy-cfg" and len(args) == 2:
        cmd_haproxy_cfg(*args)
    elif command == "prometheus-config" and len(args) == 2:
        cmd_prometheus_config(*args)
    else:
        fail(f"bad arguments: {' '.join(argv[1:])}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
