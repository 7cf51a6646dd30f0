#!/usr/bin/env python3
"""The report of scripts/gpu-check.sh: from what its stages left in WORK, writes layers.csv
(per layer: the agent's network runner vs convlat's prediction), networks.csv (per network and
batch and precision: convlat's prediction, the runner, PyTorch) and summary.md into OUT.
Standard library only (it runs with whatever python3 the GPU host has); run after every stage,
so each call rewrites the three files from scratch.

    gpu_check_report.py --work WORK --out OUT [--backend cudnn] [--budget 480] [--elapsed 0]
"""

import argparse
import csv
import glob
import os
import re
import statistics
import sys
import xml.etree.ElementTree as ElementTree

STAGES = [
    "environment", "gtests", "sweep-fp32-nchw-staircase", "sweep-fp32-nchw-default", "sweep-fp32-nchw-ops",
    "networks-runner", "queries", "networks-pytorch", "sweep-fp16-nhwc-staircase", "sweep-fp16-nhwc-default",
    "sweep-fp16-nhwc-ops", "sweep-fp32-nchw-more"
]
LAYER_COLUMNS = ["network", "batch", "precision", "layer", "op", "measured_us", "implementation", "predicted_us",
                 "predicted_by", "error_percent"]
NETWORK_COLUMNS = ["network", "batch", "precision", "predicted_us", "runner_us", "pytorch_us",
                   "predicted_vs_runner_error_percent", "predicted_vs_pytorch_error_percent", "runner_layers",
                   "runner_skipped", "notes"]
RUN_NAME = re.compile(r"^(?P<network>.+)\.b(?P<batch>\d+)\.(?P<precision>fp\d+-n\w+)\.(tsv|csv)$")


def error_percent(predicted, measured):
    if predicted is None or measured is None or measured <= 0:
        return None
    return 100.0 * (predicted - measured) / measured


def fmt(value, digits=1):
    return "" if value is None else f"{value:.{digits}f}"


def read_runner(path):
    """The agent's `network` output: total_us, one line per layer, skipped lines; or error."""
    run = {"total_us": None, "layers": [], "skipped": [], "error": None}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "total_us" and len(fields) > 1:
                run["total_us"] = float(fields[1])
            elif fields[0] == "skipped":
                run["skipped"].append("\t".join(fields[1:]))
            elif fields[0] == "error":
                run["error"] = "\t".join(fields[1:])
            elif len(fields) >= 3:
                try:
                    run["layers"].append({"name": fields[0], "op": fields[1], "us": float(fields[2]),
                                          "implementation": fields[3] if len(fields) > 3 else ""})
                except ValueError:
                    pass
    return run


def read_query(path):
    """`convlat-client query --format csv`: layer rows, then the total row ("total", or "total (lower
    bound)" when layers were left out) and the rows of what it is made of (indented: "  measured-model",
    "  spec-estimated", "  left out"), in milliseconds."""
    layers, total, lower_bound = [], None, False
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            name = row.get("layer") or ""
            if name.startswith("  "):
                continue  # the total's makeup
            try:
                us = float(row["latency_ms"]) * 1000.0
            except (KeyError, TypeError, ValueError):
                continue
            # The model that predicted the layer starts the explanation; "not-modelled" layers (ops on a
            # platform nothing is known of) have no prediction and are left out of the total.
            model = (row.get("explanation") or "").split(",")[0]
            if name.startswith("total"):
                total, lower_bound = us, name != "total"
            else:
                layers.append({"name": row["layer"], "op": row.get("op", ""), "model": model,
                               "us": None if model == "not-modelled" else us})
    return {"total_us": total, "total_is_lower_bound": lower_bound, "layers": layers}


def runs_in(folder):
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "*"))):
        match = RUN_NAME.match(os.path.basename(path))
        if match:
            found[(match["network"], int(match["batch"]), match["precision"])] = path
    return found


def read_pytorch(path):
    rows = {}
    if os.path.exists(path):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                rows[(row["network"], int(row["batch"]), row["precision"])] = row
    return rows


def write_csv(path, columns, rows):
    temporary = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    os.replace(temporary, path)


def gtest_results(folder):
    totals = {"passed": 0, "failed": 0, "skipped": 0, "binaries": 0, "failures": [], "skip_reasons": set()}
    for path in sorted(glob.glob(os.path.join(folder, "*.xml"))):
        totals["binaries"] += 1
        try:
            root = ElementTree.parse(path).getroot()
        except ElementTree.ParseError as error:
            totals["failures"].append(f"{os.path.basename(path)}: unreadable XML ({error})")
            continue
        for case in root.iter("testcase"):
            name = f"{case.get('classname')}.{case.get('name')}"
            if case.find("failure") is not None:
                totals["failed"] += 1
                totals["failures"].append(name)
            elif case.find("skipped") is not None or case.get("result") == "skipped":
                totals["skipped"] += 1
                skipped = case.find("skipped")
                if skipped is not None and skipped.get("message"):
                    totals["skip_reasons"].add(skipped.get("message").strip().splitlines()[-1][:160])
            else:
                totals["passed"] += 1
    return totals


def measurement_rows(path):
    if not os.path.exists(path):
        return None
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return sum(1 for _ in f) - 1


def environment_lines(path):
    wanted = ("name, driver_version", "CUDA Version", "release", "cudnn:", "torch ", "needs:", "libcudnn", "libcupti",
              "libcudart", "libcuda.so")
    lines = []
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            previous = ""
            for line in f:
                line = line.rstrip("\n")
                if previous.startswith("name, driver_version"):
                    lines.append(line)
                if any(key in line for key in wanted):
                    lines.append(line)
                previous = line
    return lines


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--backend", default="cudnn")
    parser.add_argument("--budget", type=int, default=0)
    parser.add_argument("--elapsed", type=int, default=0)
    args = parser.parse_args(argv)

    runner = {key: read_runner(path) for key, path in runs_in(os.path.join(args.work, "runner")).items()}
    queries = {key: read_query(path) for key, path in runs_in(os.path.join(args.work, "query")).items()}
    pytorch = read_pytorch(os.path.join(args.work, "pytorch.csv"))

    layer_rows, errors_by_network, worst = [], {}, []
    for key in sorted(set(runner) | set(queries)):
        network, batch, precision = key
        run = runner.get(key, {"layers": []})
        query_layers = queries.get(key, {"layers": []})["layers"]
        predicted = {layer["name"]: layer["us"] for layer in query_layers}
        predicted_by = {layer["name"]: layer["model"] for layer in query_layers}
        measured_names = set()
        for layer in run["layers"]:
            measured_names.add(layer["name"])
            p = predicted.get(layer["name"])
            e = error_percent(p, layer["us"])
            if e is not None:
                errors_by_network.setdefault(key, []).append(abs(e))
                worst.append((abs(e), network, batch, layer["name"], layer["op"], layer["us"], p))
            layer_rows.append([network, batch, precision, layer["name"], layer["op"], fmt(layer["us"], 2),
                               layer["implementation"], fmt(p, 2), predicted_by.get(layer["name"], ""), fmt(e)])
        for layer in query_layers:
            if layer["name"] not in measured_names:
                layer_rows.append([network, batch, precision, layer["name"], layer["op"], "", "", fmt(layer["us"], 2),
                                   layer["model"], ""])
    write_csv(os.path.join(args.out, "layers.csv"), LAYER_COLUMNS, layer_rows)

    network_rows = []
    for key in sorted(set(runner) | set(queries) | set(pytorch)):
        network, batch, precision = key
        run = runner.get(key)
        query = queries.get(key)
        torch_row = pytorch.get(key, {})
        predicted_us = query["total_us"] if query else None
        runner_us = run["total_us"] if run else None
        pytorch_us = float(torch_row["median_us"]) if torch_row.get("median_us") else None
        notes = []
        if run and run["error"]:
            notes.append("runner: " + run["error"])
        if torch_row.get("error"):
            notes.append("pytorch: " + torch_row["error"])
        unmodelled = sum(1 for layer in query["layers"] if layer["us"] is None) if query else 0
        if unmodelled:
            notes.append(f"{unmodelled} layers not modelled (no op timings on the platform), left out of the prediction")
        if query and query.get("total_is_lower_bound"):
            notes.append("the prediction is a lower bound")
        estimated = sum(1 for layer in query["layers"] if layer["model"] == "spec-roofline") if query else 0
        if estimated:
            notes.append(f"{estimated} layers estimated from the GPU's peaks (spec-roofline), not from its measurements")
        if precision != "fp32-nchw":
            notes.append("no prediction: a network query has no data type")
        network_rows.append([network, batch, precision, fmt(predicted_us), fmt(runner_us), fmt(pytorch_us),
                             fmt(error_percent(predicted_us, runner_us)), fmt(error_percent(predicted_us, pytorch_us)),
                             len(run["layers"]) if run else "", len(run["skipped"]) if run else "",
                             "; ".join(notes)])
    write_csv(os.path.join(args.out, "networks.csv"), NETWORK_COLUMNS, network_rows)

    stages = {}
    stages_path = os.path.join(args.work, "stages.tsv")
    if os.path.exists(stages_path):
        with open(stages_path, encoding="utf-8") as f:
            for line in f:
                fields = line.rstrip("\n").split("\t") + ["", "", "", ""]
                stages[fields[0]] = fields[1:4]
    tests = gtest_results(os.path.join(args.work, "gtest"))

    md = [f"# convlat GPU check ({args.backend})", "",
          f"{args.elapsed} s of a {args.budget} s budget. Files: environment.txt, gtest.xml, "
          "measurements-fp32-nchw.csv, measurements-fp16-nhwc.csv, layers.csv, networks.csv, log.txt.", "",
          "## Environment", ""]
    md += [f"    {line}" for line in environment_lines(os.path.join(args.out, "environment.txt"))] or ["(none yet)"]
    md += ["", "## Coverage", "", "| stage | outcome | seconds | detail |", "|---|---|---|---|"]
    for stage in STAGES:
        outcome, seconds, detail = stages.get(stage, ["not reached", "", ""])
        md.append(f"| {stage} | {outcome} | {seconds} | {detail} |")
    md += ["", "## GPU tests", "",
           f"{tests['binaries']} binaries: {tests['passed']} passed, {tests['failed']} failed, "
           f"{tests['skipped']} skipped."]
    md += [f"- failed: {name}" for name in tests["failures"]]
    md += [f"- skipped because: {reason}" for reason in sorted(tests["skip_reasons"])]
    md += ["", "## Sweeps", "", "| file | successful measurements |", "|---|---|"]
    for precision in ("fp32-nchw", "fp16-nhwc"):
        rows = measurement_rows(os.path.join(args.out, f"measurements-{precision}.csv"))
        md.append(f"| measurements-{precision}.csv | {'not written' if rows is None else rows} |")
    md += ["", "## Networks", "", "Median microseconds of a pass; error = (predicted - measured) / measured.", "",
           "| network | batch | precision | convlat | runner | PyTorch | vs runner % | vs PyTorch % |",
           "|---|---|---|---|---|---|---|---|"]
    md += [f"| {' | '.join(str(v) for v in row[:8])} |" for row in network_rows] or ["| (none yet) |"]
    md += ["", "## Per-layer accuracy (convlat vs the runner)", ""]
    if errors_by_network:
        all_errors = [e for errors in errors_by_network.values() for e in errors]
        md.append(f"{len(all_errors)} layers: median |error| {statistics.median(all_errors):.1f} %, "
                  f"mean {statistics.mean(all_errors):.1f} %.")
        md += ["", "| network | batch | precision | layers | median abs error % |", "|---|---|---|---|---|"]
        for (network, batch, precision), errors in sorted(errors_by_network.items()):
            md.append(f"| {network} | {batch} | {precision} | {len(errors)} | {statistics.median(errors):.1f} |")
        md += ["", "Worst layers:", ""]
        for e, network, batch, name, op, measured, predicted in sorted(worst, reverse=True)[:8]:
            md.append(f"- {network} b{batch} {name} ({op}): measured {measured:.1f} us, predicted {predicted:.1f} us "
                      f"({e:.0f} %)")
    else:
        md.append("No layer both measured and predicted yet.")
    md += ["", "## Not covered", ""]
    missing = [f"- {stage}: {stages[stage][0]} ({stages[stage][2]})" for stage in STAGES
               if stage in stages and stages[stage][0] in ("skipped", "cut", "failed") and not stage.endswith("-more")]
    missing += [f"- {stage}: not reached" for stage in STAGES if stage not in stages and not stage.endswith("-more")]
    md += missing or ["Everything ran to the end."]
    temporary = os.path.join(args.out, ".summary.md.tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    os.replace(temporary, os.path.join(args.out, "summary.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
