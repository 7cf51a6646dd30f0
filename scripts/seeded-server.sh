# Sourced by scripts/load.sh and scripts/validate_cpu_networks.sh: starts a loopback
# convlat-server in a temporary directory, seeds the platform `platform` (default cpu-epyc-2core)
# from this repository's measurements of it (data/measurements/$platform/; the caller may name some
# of them in `seed_csvs`), waits for its model, and sets `address`. The server and the directory go
# away when the calling script exits.
platform="${platform:-cpu-epyc-2core}"
# The last-level cache one core of the platform's VM sees (CSV files do not say): what lets the
# server place each layer of a network between its evicted and hot timings. Each value comes from
# that platform's README: the EPYC VM's sysfs, the Zen 5 VM's pointer-chase probe.
# And what the agent's cache scrubber read there before each evicted run (0: twice that cache), for
# a calibration to time layers the way the platform's measurements were timed.
case "$platform" in
  cpu-zen5-2core)
    last_level_cache_bytes="${last_level_cache_bytes:-10485760}"
    scrubber_bytes="${scrubber_bytes:-268435456}"
    ;;
  *)
    last_level_cache_bytes="${last_level_cache_bytes:-33554432}"
    scrubber_bytes="${scrubber_bytes:-0}"
    ;;
esac
work="$(mktemp -d)"
trap 'kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
build/server/convlat-server --listen 127.0.0.1:0 --metrics 127.0.0.1:0 --db "$work/seeded.db" \
  --port_file "$work/port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
address="127.0.0.1:$(head -1 "$work/port")"
for csv in ${seed_csvs:-data/measurements/$platform/*.csv}; do
  build/profiler_agent/convlat-agent import --server "$address" --platform "$platform" --spool "$work/spool" \
    --last_level_cache_bytes "$last_level_cache_bytes" \
    --batch_size 1000 "$csv" >/dev/null 2>&1
done
# Ready once the model has been fitted on everything imported (each import triggers a refit).
stored="$(build/client/convlat-client --server "$address" platforms --format csv | grep "^$platform," | cut -d, -f6)"
for _ in $(seq 300); do
  build/client/convlat-client --server "$address" model --platform "$platform" --format json 2>/dev/null |
    grep -q "\"measurements_seen\": \"$stored\"" && break
  sleep 0.2
done
