#!/usr/bin/python3
"""Hand-written mutations of the invariants convlat promises, each of which a test must kill.

Each mutation edits one scratch copy of the source (never the working tree), rebuilds the test
binaries that guard the invariant, runs those tests, and restores the file. A mutation is
"killed" when at least one of its tests fails; one that "survived" is a promise no test pins
down. The scratch copy and its build stay in build-mutants/ so that later runs rebuild only
what a mutation touches (ccache keeps the restored files' objects).

Usage: scripts/mutants.sh [--list | --check] [--only SUBSTRING[,SUBSTRING...]] [--jobs N]
--check only verifies that every mutation still applies to the working tree (ctest MutantsApply).
Exit status: 0 when every mutation was killed, 1 when one survived, 2 when one no longer
applies to the source or its build broke (the table says which).
"""

import argparse
import dataclasses
import os
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORK = ROOT / "build-mutants"
SCRATCH = WORK / "src"
BUILD = WORK / "build"


@dataclasses.dataclass(frozen=True)
class Edit:
    path: str  # relative to the repository root
    old: str  # must occur exactly once
    new: str


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    invariant: str
    edits: tuple
    targets: tuple  # CMake targets to rebuild (the test binaries that guard the invariant)
    tests: str  # ctest -R regex


def _token_check_removed(rpc: str, service: str = "server/profiler_service.cc", metrics: str = "metrics_") -> Mutation:
    check = "  if (absl::Status s = auth_.Check(*context); !s.ok()) return timer.Finish(ToGrpcStatus(s));\n"
    timer = f'  RequestTimer timer({metrics}, "{rpc}");\n'
    return Mutation(
        name=f"token-{rpc}",
        invariant=f"{rpc} refuses a call without the agent token",
        edits=(Edit(service, timer + check, timer),),
        targets=("security_test", "agent_token_test", "agent_delivery_test"),
        tests="SecurityTest|AgentTokenTest|WithoutTheAgentTokenTest|DeliveryTest",
    )


MUTATIONS = (
    _token_check_removed("RegisterPlatform"),
    _token_check_removed("GetSweepPlan"),
    _token_check_removed("PushMeasurements"),
    _token_check_removed("RetireMeasurements", "server/admin_service.cc", "core_.metrics"),
    _token_check_removed("RemovePlatform", "server/admin_service.cc", "core_.metrics"),
    _token_check_removed("PurgeRetired", "server/admin_service.cc", "core_.metrics"),
    Mutation(
        name="spool-removed-before-ack",
        invariant="a spooled batch leaves the spool only when the server acknowledged it",
        edits=(
            Edit(
                "profiler_agent/delivery/pusher.cc",
                "    if (!stream->Write(*batch) || !stream->Read(&ack)) {\n",
                "    spool_.Remove(path).IgnoreError();\n    if (!stream->Write(*batch) || !stream->Read(&ack)) {\n",
            ),
            Edit("profiler_agent/delivery/pusher.cc", "      if (absl::Status s = spool_.Remove(path); !s.ok()) return s;\n", ""),
        ),
        targets=("pusher_ack_test", "agent_delivery_test"),
        tests="PusherAckTest|PusherTest",
    ),
    Mutation(
        name="idempotency-sqlite",
        invariant="SQLite stores a batch id once (a resend is a duplicate, another batch under it is refused)",
        edits=(Edit("server/sqlite_store.cc", "    if (sqlite3_changes(db_) == 0) {\n", "    if (false) {\n"),),
        targets=("store_test",),
        tests="SqliteStoreTest|BatchIdReuseTest",
    ),
    Mutation(
        name="idempotency-postgres",
        invariant="PostgreSQL stores a batch id once, across replicas",
        edits=(Edit("server/postgres_store.cc", "    if (inserted.affected_rows() == 0) {\n", "    if (false) {\n"),),
        targets=("postgres_store_test", "store_test"),
        tests="PostgresStoreTest|BatchIdReuseTest",
    ),
    Mutation(
        name="validation-batch-ok",
        invariant="a malformed measurement batch is refused, naming the field",
        edits=(
            Edit(
                "server/request_validation.cc",
                "absl::Status ValidateBatch(const v1::MeasurementBatch& batch) {\n",
                "absl::Status ValidateBatch(const v1::MeasurementBatch& batch) {\n  return absl::OkStatus();\n",
            ),
        ),
        targets=("server_test",),
        tests="RequestValidationTest|MeasurementIngest",
    ),
    Mutation(
        name="validation-layers-ok",
        invariant="a query's layers out of range are refused, naming the field",
        edits=(
            Edit(
                "server/request_validation.cc",
                "absl::Status ValidateLayers(const google::protobuf::RepeatedPtrField<v1::ConvParams>& layers, "
                "absl::string_view field) {\n",
                "absl::Status ValidateLayers(const google::protobuf::RepeatedPtrField<v1::ConvParams>& layers, "
                "absl::string_view field) {\n  return absl::OkStatus();\n",
            ),
        ),
        targets=("server_test",),
        tests="RequestValidationTest",
    ),
    Mutation(
        name="sanity-check-ops-skipped",
        invariant="an implausible op fit is not served (the next fallback is, and GetPlatformModel says why)",
        edits=(
            Edit(
                "model/serving_model.cc",
                "  if (!KeepPlausibleOpGroups(*ops, op_samples, serving.rejected)) {\n",
                "  if (false) {\n",
            ),
        ),
        targets=("server_test", "serving_model_test"),
        tests="PlausibilityTest|ServingModel",
    ),
    Mutation(
        name="sanity-check-conv-passes-all",
        invariant="an implausible convolution model is rejected before serving",
        edits=(
            Edit(
                "model/plausibility_checks.cc",
                "std::optional<Implausibility> CheckConvModel(const LatencyModel& model, const std::vector<Sample>& "
                "samples) {\n",
                "std::optional<Implausibility> CheckConvModel(const LatencyModel& model, const std::vector<Sample>& "
                "samples) {\n  return std::nullopt;\n",
            ),
        ),
        targets=("plausibility_checks_test",),
        tests="PlausibilityChecksTest",
    ),
    Mutation(
        name="refit-without-op-model",
        invariant="a refit publishes the whole model it fitted (convolutions and ops together)",
        edits=(Edit("server/served_snapshot.cc", "  snapshot->op_model = std::move(fitted.ops);\n", ""),),
        targets=("server_test",),
        tests="NetworkQuery|PlatformQuery|Services",
    ),
)


def run(command, cwd, log, timeout=None) -> int:
    with open(log, "a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        try:
            return subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            out.write("timed out\n")
            return 124


def sync_scratch() -> None:
    """The scratch copy mirrors the working tree's tracked and unignored files."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        relative = raw.decode()
        source, target = ROOT / relative, SCRATCH / relative
        if not source.is_file():
            continue
        if target.exists() and target.read_bytes() == source.read_bytes():
            continue  # unchanged: keep its mtime so make does not rebuild it
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def configure(log) -> bool:
    if (BUILD / "CMakeCache.txt").exists():
        return True
    launcher = ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"] if shutil.which("ccache") else []
    command = ["cmake", "-S", str(SCRATCH), "-B", str(BUILD), "-DCMAKE_BUILD_TYPE=RelWithDebInfo", *launcher]
    return run(command, ROOT, log) == 0


def apply(mutation: Mutation) -> dict:
    """Applies the edits to the scratch copy; returns the originals to restore, or raises."""
    originals = {}
    for edit in mutation.edits:
        path = SCRATCH / edit.path
        text = originals.get(edit.path, path.read_text())
        originals.setdefault(edit.path, text)
        current = path.read_text()
        if current.count(edit.old) != 1:
            restore(originals)  # an earlier edit of this mutation must not stay behind
            raise LookupError(f"{edit.path}: the text to mutate occurs {current.count(edit.old)} times, not once")
        path.write_text(current.replace(edit.old, edit.new, 1))
    return originals


def failed_tests(ctest_output: str) -> list:
    """The names ctest lists after 'The following tests FAILED:'."""
    _, _, listed = ctest_output.partition("The following tests FAILED:")
    names = []
    for line in listed.splitlines():
        parts = line.split(" - ", 1)
        if len(parts) == 2 and parts[0].strip().isdigit():
            names.append(parts[1].split(" (")[0].split("  #")[0].strip())
    return names


def check_applies(chosen) -> int:
    stale = 0
    for mutation in chosen:
        for edit in mutation.edits:
            count = (ROOT / edit.path).read_text().count(edit.old)
            if count != 1:
                stale += 1
                print(f"{mutation.name}: {edit.path}: the text to mutate occurs {count} times, not once")
    if stale:
        print("mutants: update scripts/mutants.py to the source's new text", file=sys.stderr)
        return 1
    print(f"mutants: all {len(chosen)} mutations apply to the source")
    return 0


def restore(originals: dict) -> None:
    for relative, text in originals.items():
        (SCRATCH / relative).write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the mutations and exit")
    parser.add_argument("--check", action="store_true", help="only check that every mutation applies to the source")
    parser.add_argument("--only", default="", help="run only mutations whose name contains one of these (comma-separated)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    wanted = args.only.split(",")
    chosen = [m for m in MUTATIONS if any(part in m.name for part in wanted)]
    if args.list:
        for m in chosen:
            print(f"{m.name:28} {m.invariant}")
        return 0
    if args.check:
        return check_applies(chosen)
    if not chosen:
        print(f"mutants: no mutation name contains '{args.only}' (see --list)", file=sys.stderr)
        return 2

    WORK.mkdir(exist_ok=True)
    log = WORK / "mutants.log"
    log.write_text("")
    print(f"mutants: {len(chosen)} mutations; scratch copy and build in {WORK}, log in {log}")
    sync_scratch()
    if not configure(log):
        print(f"mutants: cmake failed on the scratch copy (see {log})", file=sys.stderr)
        return 2
    # The unmutated build must pass the tests first, or a failure would not mean a kill.
    all_targets = sorted({t for m in chosen for t in m.targets})
    started = time.monotonic()
    if run(["cmake", "--build", str(BUILD), "-j", str(args.jobs), "--target", *all_targets], ROOT, log) != 0:
        print(f"mutants: the unmutated scratch copy does not build (see {log})", file=sys.stderr)
        return 2
    baseline = "|".join(f"({m.tests})" for m in chosen)
    if run(["ctest", "--test-dir", str(BUILD), "-R", baseline, "-j", str(args.jobs)], ROOT, log) != 0:
        print(f"mutants: the unmutated tests fail; fix them first (see {log})", file=sys.stderr)
        return 2
    print(f"mutants: baseline built and green in {time.monotonic() - started:.0f} s")

    rows = []
    for index, mutation in enumerate(chosen, 1):
        print(f"[{index}/{len(chosen)}] {mutation.name} ...", end="", flush=True)
        started = time.monotonic()
        try:
            originals = apply(mutation)
        except LookupError as error:
            rows.append((mutation, "STALE", 0.0, [str(error)]))
            print(" STALE")
            continue
        killers = []
        try:
            build = ["cmake", "--build", str(BUILD), "-j", str(args.jobs), "--target", *mutation.targets]
            if run(build, ROOT, log) != 0:
                outcome = "BUILD-BROKEN"
            else:
                tests = ["ctest", "--test-dir", str(BUILD), "-R", mutation.tests, "-j", str(args.jobs)]
                before = log.stat().st_size
                outcome = "killed" if run(tests, ROOT, log, timeout=1800) != 0 else "SURVIVED"
                killers = failed_tests(log.read_text()[before:])
        finally:
            restore(originals)
        seconds = time.monotonic() - started
        rows.append((mutation, outcome, seconds, killers))
        print(f" {outcome} ({seconds:.0f} s)")

    # Leave the scratch build matching the source, so the next run starts from a clean baseline.
    run(["cmake", "--build", str(BUILD), "-j", str(args.jobs), "--target", *all_targets], ROOT, log)
    print()
    print(f"| {'mutation':28} | {'outcome':12} | {'seconds':>7} | invariant | killed by |")
    print(f"|{'-' * 30}|{'-' * 14}|{'-' * 9}|-----------|-----------|")
    for mutation, outcome, seconds, detail in rows:
        shown = ", ".join(detail[:2]) + (f" and {len(detail) - 2} more" if len(detail) > 2 else "")
        print(f"| {mutation.name:28} | {outcome:12} | {seconds:7.0f} | {mutation.invariant} | {shown} |")
    outcomes = [outcome for _, outcome, _, _ in rows]
    if "SURVIVED" in outcomes:
        print("\nmutants: a mutation survived: the tests above do not pin that invariant down", file=sys.stderr)
        return 1
    if any(o in ("STALE", "BUILD-BROKEN") for o in outcomes):
        print("\nmutants: a mutation no longer applies or does not build; update scripts/mutants.py", file=sys.stderr)
        return 2
    print(f"\nmutants: all {len(rows)} mutations killed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
