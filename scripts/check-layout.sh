#!/usr/bin/env bash
# Checks the source layout that docs and reviews rely on (run by ctest as LayoutChecks):
# - model/ stages include only themselves and the stages they build on (the order in model/CMakeLists.txt
#   and the README tour); model/ includes nothing of gRPC, the server, the agent, the client or common/;
# - no folder under model/ holds more than 12 source files, and no source file is over 400 lines.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 - <<'PY'
import glob, os, re, sys

# Each stage and the stages it may include (its own folder always).
ALLOWED = {
    "fit": set(),
    "layers": set(),
    "residency": {"layers"},
    "measured": {"layers"},
    "latency": {"fit", "layers", "residency", "measured"},
    "two_mode": {"fit", "layers", "latency"},
    "sweeps": {"fit", "layers", "latency", "two_mode"},
    "datasets": {"fit", "layers", "latency"},
    "baselines": {"fit", "layers", "latency"},
    "eval": {"fit", "layers", "latency", "two_mode", "sweeps", "datasets", "baselines", "interval"},
    "onnx": {"layers"},
    "interval": {"fit", "layers", "latency"},
    "transfer": {"fit", "layers", "latency", "interval"},
    "": {"fit", "layers", "measured", "latency", "two_mode", "interval", "transfer"},  # model/serving_model, kind_routed_model
}
FORBIDDEN_IN_MODEL = ("grpcpp/", "grpc/", "server/", "profiler_agent/", "client/", "common/", "spdlog/")
MAX_FILES_PER_FOLDER = 12
MAX_LINES = 400

errors = []
include = re.compile(r'^\s*#include\s+"([^"]+)"', re.M)
for path in sorted(glob.glob("model/**/*.h", recursive=True) + glob.glob("model/**/*.cc", recursive=True)):
    parts = path.split("/")
    stage = parts[1] if len(parts) >= 3 else ""  # model/STAGE/internal/ belongs to STAGE
    if stage not in ALLOWED:
        errors.append(f"{path}: model/{stage}/ is not a known stage (add it to scripts/check-layout.sh and the README tour)")
        continue
    for target in include.findall(open(path, encoding="utf-8").read()):
        if target.startswith(FORBIDDEN_IN_MODEL) or target.endswith(".grpc.pb.h"):
            errors.append(f"{path}: includes {target}; the model library knows nothing of gRPC or the binaries")
        elif target.startswith("model/"):
            t = target.split("/")
            target_stage = t[1] if len(t) >= 3 else ""
            if target_stage != stage and target_stage not in ALLOWED[stage]:
                errors.append(f"{path}: model/{stage or '.'} includes {target}, against the stage order")

for folder in sorted({os.path.dirname(p) for p in glob.glob("model/**/*", recursive=True) if os.path.isfile(p)}):
    sources = [f for f in os.listdir(folder) if f.endswith((".h", ".cc"))]
    if len(sources) > MAX_FILES_PER_FOLDER:
        errors.append(f"{folder}/: {len(sources)} source files; split it (at most {MAX_FILES_PER_FOLDER})")

for top in ("common", "model", "server", "profiler_agent", "client", "tests"):
    for path in sorted(glob.glob(f"{top}/**/*", recursive=True)):
        if path.endswith((".h", ".cc", ".cu")):
            lines = sum(1 for _ in open(path, encoding="utf-8"))
            if lines > MAX_LINES:
                errors.append(f"{path}: {lines} lines; split it by concern (at most {MAX_LINES})")

for e in errors:
    print("check-layout:", e, file=sys.stderr)
if errors:
    sys.exit(1)
print("check-layout: model/ stages, folder sizes and file lengths are in order")
PY
