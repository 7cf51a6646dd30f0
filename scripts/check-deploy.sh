#!/usr/bin/env bash
# Validates deploy/ without Docker or Kubernetes: every YAML/JSON file parses; Kubernetes objects
# have their required fields, GPU agents request nvidia.com/gpu and the server pod carries scrape
# annotations; every metric the Grafana dashboard and the compose stack rely on is one the server
# exports (server/server_metrics.cc); promtool checks the scrape configs when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 - <<'PY'
import glob, json, re, sys
import yaml

errors = []
def fail(msg): errors.append(msg)

for path in glob.glob("deploy/**/*.yml", recursive=True) + glob.glob("deploy/**/*.yaml", recursive=True):
    try:
        docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    except yaml.YAMLError as e:
        fail(f"{path}: {e}"); continue
    if "kubernetes/" in path:
        for d in docs:
            for field in ("apiVersion", "kind", "metadata"):
                if field not in d: fail(f"{path}: {d.get('kind')} lacks {field}")
            if d.get("kind") in ("Deployment", "DaemonSet"):
                spec = d["spec"]
                if spec["selector"]["matchLabels"].items() - spec["template"]["metadata"]["labels"].items():
                    fail(f"{path}: {d['kind']} selector does not match its pod labels")
                containers = spec["template"]["spec"]["containers"]
                if not all("image" in c and "name" in c for c in containers): fail(f"{path}: container without image/name")
                if d["kind"] == "DaemonSet" and not any(
                        c.get("resources", {}).get("limits", {}).get("nvidia.com/gpu") for c in containers):
                    fail(f"{path}: the agent DaemonSet requests no nvidia.com/gpu")
                if d["kind"] == "Deployment" and spec["template"]["metadata"].get("annotations", {}).get(
                        "prometheus.io/scrape") != "true":
                    fail(f"{path}: the server pod has no prometheus.io/scrape annotation")
    if path.endswith("docker-compose.yml"):
        services = docs[0]["services"]
        for name in ("convlat-server", "prometheus", "grafana"):
            if name not in services: fail(f"{path}: no {name} service")

exported = set(re.findall(r'\.Name\("(convlat_[a-z_]+)"\)', open("server/server_metrics.cc").read()))
def known(metric):
    return metric in exported or any(metric == m + suffix for m in exported for suffix in ("_bucket", "_sum", "_count"))
dashboards = glob.glob("deploy/grafana/dashboards/*.json")
if not dashboards: fail("no Grafana dashboard")
for path in dashboards:
    dashboard = json.load(open(path))
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for metric in re.findall(r"convlat_[a-z_]+", target["expr"]):
                if not known(metric): fail(f"{path}: panel '{panel['title']}' uses {metric}, which the server does not export")
if errors:
    print("\n".join(errors)); sys.exit(1)
print(f"deploy: {len(glob.glob('deploy/**/*.y*ml', recursive=True))} YAML and {len(dashboards)} dashboard files valid; "
      f"{len(exported)} server metrics known")
PY
if command -v promtool >/dev/null; then
  promtool check config deploy/prometheus.yml
  promtool check config deploy/prometheus-compose.yml
fi
