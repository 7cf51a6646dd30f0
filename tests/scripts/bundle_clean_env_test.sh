#!/usr/bin/env bash
# BundleRunsInACleanEnvironment: unpacks the bundle that BundlePack made and, with every library
# of /usr/lib/x86_64-linux-gnu hidden but the C/C++ runtime (and bash's libtinfo), starts each of
# its programs, runs a server, a tiny CPU sweep pushed to it and a network query: a library the
# bundle lacks makes a program fail to load, and the test with it.
#
# The libraries are hidden without privileges: in new user and mount namespaces (unshare -rm),
# a folder holding only the kept libraries is bind-mounted over /usr/lib/x86_64-linux-gnu
# (/lib is a link to /usr/lib on Debian 12). CUDA stays where the host has it (/usr/local/cuda):
# the launcher finds it there, as it would on a GPU host.
#
#   bundle_clean_env_test.sh BUNDLE.tar.xz
set -euo pipefail
bundle=${1:?usage: $0 BUNDLE.tar.xz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xJf "$bundle" -C "$work"
root="$work/convlat-linux-x86_64"

system=/usr/lib/x86_64-linux-gnu
mkdir "$work/kept"
for lib in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libutil.so.1 \
  libresolv.so.2 libstdc++.so.6 libgcc_s.so.1 libtinfo.so.6; do
  cp -L "$system/$lib" "$work/kept/"
done
if ! unshare -rm /bin/sh -c 'mount --bind "$0" /usr/lib/x86_64-linux-gnu' "$work/kept" 2>"$work/unshare.err"; then
  echo "SKIP: cannot hide the system's libraries in a namespace of the test's own here (unshare -rm, mount --bind):"
  cat "$work/unshare.err"
  exit 77
fi

cat >"$work/inside.sh" <<'INSIDE'
# Runs with only the kept libraries: bash builtins, the bundle, and libc-only tools (sleep, cat).
set -euo pipefail
root=$1 work=$2
if [[ -e /usr/lib/x86_64-linux-gnu/libprotobuf.so.32 || -e /usr/lib/x86_64-linux-gnu/libgrpc.so.29 ]]; then
  echo "FAIL: the system's libraries are still visible"; exit 1
fi
# Every program loads (a missing library stops it before main: "error while loading shared libraries").
for binary in "$root"/libexec/convlat-* "$root"/libexec/tests/*; do
  [[ -f "$binary" ]] || continue
  name=${binary##*/}
  if [[ "$binary" == */tests/* ]]; then
    "$root/launch" "$name" --gtest_list_tests >"$work/loaded.txt" 2>&1 || { cat "$work/loaded.txt"; echo "FAIL: $name"; exit 1; }
  else
    "$root/launch" "$name" --helpshort >"$work/loaded.txt" 2>&1 || true
    if [[ ! -s "$work/loaded.txt" || "$(<"$work/loaded.txt")" == *"error while loading shared libraries"* ]]; then
      cat "$work/loaded.txt"; echo "FAIL: $name did not start"; exit 1
    fi
  fi
  echo "loads: $name"
done

"$root/bin/convlat-server" --listen 127.0.0.1:0 --metrics= --port_file "$work/port" --db "$work/convlat.db" \
  >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
# Generous: on a 2-core machine this test runs beside GpuCheckDryRun and the rest of the suite.
for _ in {1..900}; do [[ -s "$work/port" ]] && break; sleep 0.1; done
[[ -s "$work/port" ]] || { cat "$work/server.log"; echo "FAIL: no server"; exit 1; }
read -r port <"$work/port"
address=127.0.0.1:$port
echo "server at $address"

# Twelve layers for 20 ms each (about 2.5 s): the query needs a model the server will serve, and five
# for 10 ms each, timed beside the rest of the suite, once gave a roofline the plausibility checks
# refused (its smallest predictions 100x below what those layers had taken), so no model, and no answer.
"$root/bin/convlat-agent" --platform bundle-cpu --server "$address" --backend cpu --sweep quick --max_configs 12 \
  --spool "$work/spool" --csv_out "$work/measured.csv" --min_time 0.02
mapfile -t rows <"$work/measured.csv"
((${#rows[@]} == 13)) || { echo "FAIL: expected 12 measurements in the CSV, got $((${#rows[@]} - 1))"; exit 1; }

for _ in {1..300}; do
  "$root/bin/convlat-client" --server "$address" model --platform bundle-cpu >/dev/null 2>&1 && break
  sleep 0.2
done
# Still no model: say why (the server's log has the fit and what the checks refused), not just that
# the query failed.
"$root/bin/convlat-client" --server "$address" model --platform bundle-cpu >"$work/model.txt" 2>&1 ||
  { cat "$work/model.txt"; grep -iE "refit|refused|implausible|fallback" "$work/server.log" | tail -5; echo "FAIL: no model"; exit 1; }
"$root/bin/convlat-client" --server "$address" --format csv query "$root/share/convlat/onnx/squeezenet1_1.onnx" \
  --platform bundle-cpu --batch 1 >"$work/query.csv"
answer=$(<"$work/query.csv")
[[ "$answer" == *$'\n'\"total* || "$answer" == *$'\n'total* ]] || { echo "$answer"; echo "FAIL: no total in the query's answer"; exit 1; }
echo "query answered: ${answer##*$'\n'}"
INSIDE

unshare -rm /bin/sh -c 'mount --bind "$0" /usr/lib/x86_64-linux-gnu && exec /bin/bash "$1" "$2" "$3"' \
  "$work/kept" "$work/inside.sh" "$root" "$work"
echo "PASS: the bundle runs with only the C/C++ runtime of the system"
