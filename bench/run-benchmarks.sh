#!/usr/bin/env bash
# Reproduces the foundation numbers in BENCHMARKS.md on this machine, in one run:
#   1. the load generator: mixes A/B/C x Zipfian/uniform x 16/64 clients (closed loop)
#   2. the load generator, open loop, mix A at about half of the closed-loop peak
#   3. YCSB 0.17.0's own client with LogShard's binding: workloads A/B/C at 16 and 64 threads
#   4. configurations side by side (interleaved, two rounds), measured with wrk
#   5. JMH: routing cost (hash + range lookup)
#   6. group commit under skew: batching on/off side by side (interleaved, two rounds), load generator,
#      mix A, Zipfian keys
#   7. profiler overhead: recording on/off side by side (interleaved, PROFILER_ROUNDS rounds, default 2,
#      the order alternating): throughput of YCSB workload A and of the load generator's mix A, and the
#      node's CPU time per request at a fixed open-loop rate (PROFILER_CPU_RATE, 500/s, after 20 s of it unmeasured)
#      and, in one node, with recording paused and resumed at runtime (PUT /v1/admin/profiler),
#      PROFILER_TOGGLES intervals (16) of RUN_SECONDS (PROFILER_PARTS="throughput cpu toggle"); then
#      each round's on/off ratios and their mean with a 95 % confidence interval
#   8. transfer: move a range holding ~100 MB (100k keys x 1 KiB) between log instances under an
#      open-loop YCSB-A load at half (and a quarter of) the closed-loop maximum, live protocol and the naive
#      stop-and-copy baseline side by side in one run (TRANSFER_KEYS, default 100000)
#   9. the fence over many moves: MOVES (20) live moves of a range of MOVES_KEYS (10000) keys back and
#      forth under open-loop YCSB-A at MOVES_RATE requests/s (default: a quarter of the maximum);
#      fence and write-gap percentiles (MOVES_WARMUP: seconds of load before the first move, default 0)
#  10. cluster mode: a local Cassandra (logshard cassandra) and two node JVMs; MOVES live moves of a
#      range of MOVES_KEYS keys between the nodes (and log instances) under open-loop YCSB-A sent to
#      the first node at MOVES_RATE requests/s (default: a quarter of the maximum)
#  11. the planner: its three modes side by side on seeded simulated workloads (planner-sim, PLANNER_SEEDS
#      seeds, default 3; no node needed), the diurnal cycle at tight capacities (3,800, 4,000 and 4,200
#      requests/s per instance, reactive and predictive, seeds 1-10, on which the predictive mode's
#      forecast.error-margin was chosen, and seeds 11-20, which it was not chosen on), and JMH: one
#      planning round over 1,000 and 100,000 ranges
#  12. the planner on a live node: a hotspot (80 % of YCSB-A's requests to Zipfian keys of r3) from 16
#      closed-loop clients for PLANNER_SECONDS (120) on a fresh node, planner off and at its default
#      (predictive) side by side, interleaved, PLANNER_ROUNDS rounds (2)
#  13. the embedded engines side by side: real YCSB A (16, 64 threads) and C on H2, RocksDB and
#      RocksDB with fsync, ENGINE_ROUNDS (2) interleaved rounds, and each data directory's size
#  14. the data directory's size against writes: 1,000,000 writes of 1 KiB over 10,000 keys on
#      RocksDB and H2 (DISK_ENGINES, DISK_WRITES, DISK_CHUNK_SECONDS, DISK_IDLE_SECONDS), then idle
#  15. kill -9 trials: CRASH_TRIALS (20) SIGKILLs of a node under compare-and-set increments, each
#      followed by a restart that checks no acknowledged increment was lost
#  16. the fence on both engines: section 9's live moves at a quarter and half of the maximum
#      (FENCE_FRACTIONS), FENCE_MOVES (20) each, on RocksDB and H2 (FENCE_ENGINES)
#  17. overload: 64 closed-loop clients (the maximum), then an open loop at twice what they got for
#      OVERLOAD_SECONDS (60), then 16 closed-loop clients for 20 s (recovery), with the node's RSS and
#      heap sampled every 2 s; max-requests-in-flight off (the default) and OVERLOAD_LIMIT (64) side by
#      side, OVERLOAD_ROUNDS (2) interleaved rounds; OVERLOAD_PIN=1 pins the node to CPU 0, the client to CPU 1
# Every node binds 127.0.0.1 on a free port, with a fresh data directory, and is stopped after.
# Env: RUN_SECONDS (15), WARMUP_SECONDS (5), NODE_JAR (the node to measure), OUT (bench/results/<time>), SECTIONS ("1 2 3 4 5 6 7 8 9 11 12 13 14 15 16 17", 10 only when named).
# Needs wrk (apt-get install wrk).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN_SECONDS="${RUN_SECONDS:-15}"
WARMUP_SECONDS="${WARMUP_SECONDS:-5}"
OUT="${OUT:-$ROOT/bench/results/$(date -u +%Y%m%d-%H%M%S)}"
NODE_JAR="${NODE_JAR:-$ROOT/cluster-config/target/logshard-node.jar}"
BENCH_JAR="$ROOT/bench/target/logshard-bench.jar"
SECTIONS="${SECTIONS:-1 2 3 4 5 6 7 8 9 11 12 13 14 15 16 17}"
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

echo "building..." >&2
(cd "$ROOT" && mvn -q -B -Dmaven.test.skip=true package -pl cluster-config,bench -am)

NODE_PID=""
URL=""
DATA_DIR=""
start_node() { # start_node <label> [java options...]
  local label="$1"; shift
  DATA_DIR="$(mktemp -d)"
  ${NODE_PREFIX:-} java "$@" -jar "$NODE_JAR" start --port 0 --data-dir "$DATA_DIR" > "$OUT/node-$label.log" 2>&1 &
  NODE_PID=$!
  await_node "$label" 60
}
await_node() { # await_node <label> <seconds>: sets URL once the node's log names it and it is ready
  local label="$1"
  for _ in $(seq 1 $(( $2 * 2 ))); do
    URL="$(grep -so 'http://127.0.0.1:[0-9]*' "$OUT/node-$label.log" | head -1 || true)"
    [ -n "$URL" ] && curl -sf "$URL/health/ready" >/dev/null && return 0
    sleep 0.5
  done
  echo "node $label did not start" >&2; exit 1
}
stop_node() {
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null || true
  NODE_PID=""
  [ -n "$DATA_DIR" ] && rm -rf "$DATA_DIR"
  DATA_DIR=""
}
trap stop_node EXIT

load() { java -jar "$BENCH_JAR" load --url "$URL" --seconds "$RUN_SECONDS" --warmup-seconds "$WARMUP_SECONDS" "$@"; }
ycsb() { java -cp "$BENCH_JAR:$ROOT/bench/target/lib/*" site.ycsb.Client -db dev.logshard.bench.ycsb.LogShardDB \
  -p logshard.url="$URL" -p recordcount=10000 -p writeallfields=true \
  -p measurementtype=hdrhistogram -p hdrhistogram.percentiles=50,99,99.9 "$@"; }

# --- 1 + 2: the load generator -------------------------------------------------------------
if want 1 || want 2 || want 3; then
start_node main
java -jar "$BENCH_JAR" load --url "$URL" --preload --seconds 1 --warmup-seconds 0 --label preload > /dev/null
for mix in A B C; do
  for dist in zipfian uniform; do
    for clients in 16 64; do
      load --mix "$mix" --distribution "$dist" --clients "$clients" --label "gen" | tee -a "$OUT/generator.txt"
    done
  done
done
peak=$(awk '/mix=A dist=zipfian clients=64/ {for(i=1;i<=NF;i++) if($i ~ /^ops_per_s=/){split($i,a,"="); print a[2]}}' "$OUT/generator.txt")
rate=$(( ${peak%.*} / 2 ))
load --mode open --rate "$rate" --mix A --distribution zipfian --label "open-50pct" | tee -a "$OUT/generator.txt"

# --- 3: YCSB ---------------------------------------------------------------------------------
ycsb -load -P "$ROOT/bench/workloads/workloada" -threads 16 > "$OUT/ycsb-load.txt" 2>&1
for w in a b c; do
  for threads in 16 64; do
    ycsb -t -P "$ROOT/bench/workloads/workload$w" -threads "$threads" \
      -p operationcount=100000000 -p maxexecutiontime="$RUN_SECONDS" > "$OUT/ycsb-$w-$threads.txt" 2>&1
    awk -v w="$w" -v t="$threads" -F', ' '
      /^\[OVERALL\], Throughput/ {tp=$3}
      /^\[(READ|UPDATE)\], 50thPercentileLatency/ {p50[$1]=$3}
      /^\[(READ|UPDATE)\], 99thPercentileLatency/ {p99[$1]=$3}
      /^\[(READ|UPDATE)\], 99.9PercentileLatency/ {p999[$1]=$3}
      /^\[(READ|UPDATE)-FAILED\], Operations/ {failed+=$3}
      END {printf "YCSB workload=%s threads=%d ops_per_s=%.0f read_p50_ms=%.2f read_p99_ms=%.2f read_p999_ms=%.2f update_p50_ms=%.2f update_p99_ms=%.2f update_p999_ms=%.2f failed=%d\n",
        toupper(w), t, tp, p50["[READ]"]/1000, p99["[READ]"]/1000, p999["[READ]"]/1000, p50["[UPDATE]"]/1000, p99["[UPDATE]"]/1000, p999["[UPDATE]"]/1000, failed}' \
      "$OUT/ycsb-$w-$threads.txt" | tee -a "$OUT/ycsb.txt"
  done
done
stop_node
fi

# --- 4: configurations side by side (wrk, uniform keys, 1 KiB values) -------------------------
if want 4; then
declare -A CONFIGS=(
  [logshard]=""
  [no-batching]="-Dlogshard.batching.enabled=off"
  [stock-jdbc]="-Dlogshard.embedded.engine=h2 -Dlogshard.batching.enabled=off -Dlogshard.embedded.journal-write-parallelism=8 -Dlogshard.embedded.h2-url-settings=;DB_CLOSE_ON_EXIT=FALSE"
)
for round in 1 2; do
  for config in logshard no-batching stock-jdbc; do
    # shellcheck disable=SC2086
    start_node "$config-$round" ${CONFIGS[$config]}
    java -jar "$BENCH_JAR" load --url "$URL" --preload --seconds 1 --warmup-seconds 0 --label preload > /dev/null
    for spec in "A 0.5 16" "A 0.5 64" "write-only 0 16"; do
      set -- $spec
      wrk -t2 -c"$3" -d"$RUN_SECONDS"s -s "$ROOT/bench/wrk/ycsb-mix.lua" "$URL" -- "$2" > "$OUT/wrk-$config-$1-$3-$round.txt" 2>&1
      awk -v c="$config" -v m="$1" -v n="$3" -v r="$round" '
        /Requests\/sec/ {rps=$2} /^ +Latency/ {lat=$2}
        /Non-2xx/ {bad=$NF}
        END {printf "WRK config=%s mix=%s connections=%d round=%d req_per_s=%.0f mean_latency=%s non2xx=%d\n", c, m, n, r, rps, lat, bad}' \
        "$OUT/wrk-$config-$1-$3-$round.txt" | tee -a "$OUT/configs.txt"
    done
    du -sh "$DATA_DIR" | awk -v c="$config" -v r="$round" '{print "DISK config=" c " round=" r " size=" $1}' | tee -a "$OUT/configs.txt"
    stop_node
  done
done
fi

# --- 5: JMH ----------------------------------------------------------------------------------
if want 5; then
java -cp "$BENCH_JAR:$ROOT/bench/target/lib/*" org.openjdk.jmh.Main RoutingBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s \
  > "$OUT/jmh.txt" 2>&1
grep -E "^(Benchmark +|RoutingBenchmark\.)" "$OUT/jmh.txt" | tee -a "$OUT/summary.txt"
fi

# --- 6: group commit under skew ----------------------------------------------------------------
if want 6; then
for round in 1 2; do
  for batching in on off; do
    start_node "batching-$batching-$round" "-Dlogshard.batching.enabled=$batching"
    java -jar "$BENCH_JAR" load --url "$URL" --preload --seconds 1 --warmup-seconds 0 --label preload > /dev/null
    for clients in 16 64; do
      load --mix A --distribution zipfian --clients "$clients" --label "batching-$batching-round-$round" | tee -a "$OUT/batching.txt"
    done
    stop_node
  done
done
fi

# --- 7: profiler overhead ----------------------------------------------------------------------
if want 7; then
PROFILER_PARTS="${PROFILER_PARTS:-throughput cpu toggle}"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$NODE_PID/stat"; }
if [[ " $PROFILER_PARTS " == *" throughput "* || " $PROFILER_PARTS " == *" cpu "* ]]; then
for round in $(seq 1 "${PROFILER_ROUNDS:-2}"); do
  # Alternate which goes first, so a drift of the machine does not favour one side.
  order="on off"; [ $((round % 2)) -eq 0 ] && order="off on"
  for profiler in $order; do
    start_node "profiler-$profiler-$round" "-Dlogshard.profiler.enabled=$profiler"
    if [[ " $PROFILER_PARTS " == *" throughput "* ]]; then
      ycsb -load -P "$ROOT/bench/workloads/workloada" -threads 16 > "$OUT/ycsb-load-profiler-$profiler-$round.txt" 2>&1
      ycsb -t -P "$ROOT/bench/workloads/workloada" -threads 16 \
        -p operationcount=100000000 -p maxexecutiontime="$RUN_SECONDS" > "$OUT/ycsb-a-profiler-$profiler-$round.txt" 2>&1
      awk -v p="$profiler" -v r="$round" -F', ' '
        /^\[OVERALL\], Throughput/ {tp=$3}
        /^\[READ\], 99thPercentileLatency/ {rp99=$3}
        /^\[UPDATE\], 99thPercentileLatency/ {up99=$3}
        END {printf "PROFILER profiler=%s round=%d ycsb_a_ops_per_s=%.0f read_p99_ms=%.2f update_p99_ms=%.2f\n", p, r, tp, rp99/1000, up99/1000}' \
        "$OUT/ycsb-a-profiler-$profiler-$round.txt" | tee -a "$OUT/profiler.txt"
    fi
    java -jar "$BENCH_JAR" load --url "$URL" --preload --seconds 1 --warmup-seconds 0 --label preload > /dev/null
    if [[ " $PROFILER_PARTS " == *" throughput "* ]]; then
      load --mix A --distribution zipfian --clients 64 --label "profiler-$profiler-round-$round" | tee -a "$OUT/profiler.txt"
    fi
    if [[ " $PROFILER_PARTS " == *" cpu "* ]]; then
      # The node's CPU time per request at a fixed open-loop rate (every request completes in both
      # configurations): what the profiler costs, far less noisy than throughput on a shared machine.
      java -jar "$BENCH_JAR" load --url "$URL" --mode open --mix A --distribution zipfian --rate "${PROFILER_CPU_RATE:-500}" \
        --seconds 20 --warmup-seconds 0 --label warmup > /dev/null
      before=$(cpu_ticks)
      result=$(java -jar "$BENCH_JAR" load --url "$URL" --mode open --mix A --distribution zipfian --rate "${PROFILER_CPU_RATE:-500}" \
        --seconds "$RUN_SECONDS" --warmup-seconds 0 --label "cpu-$profiler-$round" | grep '^RESULT')
      after=$(cpu_ticks)
      ops=$(sed -E 's/.* ops=([0-9]+) .*/\1/' <<< "$result")
      awk -v p="$profiler" -v r="$round" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v ops="$ops" \
        'BEGIN {printf "PROFILER_CPU profiler=%s round=%d ops=%d cpu_ms=%.0f cpu_us_per_op=%.1f\n", p, r, ops, t * 1000 / hz, t * 1e6 / hz / ops}' \
        | tee -a "$OUT/profiler.txt"
    fi
    stop_node
  done
done
fi
if [[ " $PROFILER_PARTS " == *" toggle "* ]]; then
  start_node "profiler-toggle" "-Dlogshard.profiler.enabled=on"
  java -jar "$BENCH_JAR" load --url "$URL" --preload --seconds 1 --warmup-seconds 0 --label preload > /dev/null
  # In one node (same JIT, same heap): recording paused and resumed at runtime, alternating; the
  # node's CPU time per request at a fixed open-loop rate in each interval.
  # Long enough for the JIT to settle (after 20 s the first pair was still 40 % off).
  java -jar "$BENCH_JAR" load --url "$URL" --mode open --mix A --distribution zipfian --rate "${PROFILER_CPU_RATE:-500}" \
    --seconds 60 --warmup-seconds 0 --label warmup > /dev/null
  for interval in $(seq 1 "${PROFILER_TOGGLES:-16}"); do
    round=$(((interval + 1) / 2)); first=$((interval % 2))
    state=on; [ $(((round + first) % 2)) -eq 0 ] && state=off # pairs on-off, off-on, on-off, …
    recording=true; [ "$state" = off ] && recording=false
    curl -sf -X PUT "$URL/v1/admin/profiler" -d "{\"recording\":$recording}" > /dev/null
    before=$(cpu_ticks)
    result=$(java -jar "$BENCH_JAR" load --url "$URL" --mode open --mix A --distribution zipfian \
      --rate "${PROFILER_CPU_RATE:-500}" --seconds "$RUN_SECONDS" --warmup-seconds 0 --label "toggle-$state" | grep '^RESULT')
    after=$(cpu_ticks)
    ops=$(sed -E 's/.* ops=([0-9]+) .*/\1/' <<< "$result")
    awk -v p="$state" -v r="$round" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v ops="$ops" \
      'BEGIN {printf "PROFILER_TOGGLE profiler=%s round=%d ops=%d cpu_ms=%.0f cpu_us_per_op=%.1f\n", p, r, ops, t * 1000 / hz, t * 1e6 / hz / ops}' \
      | tee -a "$OUT/profiler.txt"
  done
  stop_node
fi
# Paired by round: on/off ratio per round (throughput, and CPU per request), mean and 95 % confidence
# interval (Student t).
awk '
  function t95(df) { split("12.71 4.30 3.18 2.78 2.57 2.45 2.36 2.31 2.26 2.23 2.20 2.18", t, " "); return df <= 12 ? t[df] : 2.0 }
  function summary(name, ratio, n,   i, sum, mean, ss, half) {
    for (i = 1; i <= n; i++) sum += ratio[i]; mean = sum / n
    for (i = 1; i <= n; i++) ss += (ratio[i] - mean) ^ 2
    half = n > 1 ? t95(n - 1) * sqrt(ss / (n - 1)) / sqrt(n) : 0
    printf "PROFILER_OVERHEAD %s rounds=%d mean_on_off_ratio=%.4f ci95=[%.4f, %.4f]\n", name, n, mean, mean - half, mean + half
  }
  /^PROFILER profiler=/ { split($2, a, "="); split($3, b, "="); split($4, c, "="); y[a[2], b[2]] = c[2]; if (b[2] > rounds) rounds = b[2] }
  /^PROFILER_CPU/ { split($2, a, "="); split($3, b, "="); split($6, c, "="); cpu[a[2], b[2]] = c[2]; if (b[2] > rounds) rounds = b[2] }
  /^PROFILER_TOGGLE/ { split($2, a, "="); split($3, b, "="); split($6, c, "="); tog[a[2], b[2]] = c[2]; if (b[2] > rounds) rounds = b[2] }
  /^RESULT label=profiler-/ { match($0, /label=profiler-(on|off)-round-[0-9]+/); split(substr($0, RSTART + 15, RLENGTH - 15), l, "-round-");
    match($0, /ops_per_s=[0-9.]+/); g[l[1], l[2]] = substr($0, RSTART + 10, RLENGTH - 10) }
  END {
    for (r = 1; r <= rounds; r++) {
      if (y["off", r] > 0) { ry[++ny] = y["on", r] / y["off", r] }
      if (g["off", r] > 0) { rg[++ng] = g["on", r] / g["off", r] }
      if (cpu["off", r] > 0) { rc[++nc] = cpu["on", r] / cpu["off", r] }
      if (tog["off", r] > 0 && tog["on", r] > 0) { rt[++nt] = tog["on", r] / tog["off", r] }
      yr = "-"; gr = "-"; cr = "-"
      if (y["off", r] > 0) yr = sprintf("%.4f", y["on", r] / y["off", r])
      if (g["off", r] > 0) gr = sprintf("%.4f", g["on", r] / g["off", r])
      if (cpu["off", r] > 0) cr = sprintf("%.4f", cpu["on", r] / cpu["off", r])
      printf "PROFILER_ROUND round=%d ycsb_a_on_off=%s generator_on_off=%s cpu_per_op_on_off=%s\n", r, yr, gr, cr
    }
    if (ny) summary("ycsb_a_throughput", ry, ny)
    if (ng) summary("generator_mix_a_throughput", rg, ng)
    if (nc) summary("cpu_per_request", rc, nc)
    if (nt) summary("cpu_per_request_one_node_toggled", rt, nt)
  }' "$OUT/profiler.txt" | tee "$OUT/profiler-summary.txt"
fi

# --- 8: transfer under load ---------------------------------------------------------------------
if want 8; then
start_node transfer "-Xmx2g" "-Dlogshard.transfer.cleanup-after=5s"
java -jar "$BENCH_JAR" transfer --url "$URL" --range-keys "${TRANSFER_KEYS:-100000}" --records 10000 \
  --modes live,stop-and-copy --rate-fractions 0.5,0.25 | tee "$OUT/transfer-full.txt" | grep -v '^SECOND' | tee "$OUT/transfer.txt"
stop_node
fi

# --- 9: the fence over many moves ----------------------------------------------------------------
if want 9; then
start_node moves "-Xmx2g" "-Dlogshard.transfer.cleanup-after=1s"
java -jar "$BENCH_JAR" transfer --url "$URL" --range-keys "${MOVES_KEYS:-10000}" --records 10000 \
  --modes live --rate "${MOVES_RATE:-0}" --rate-fractions 0.25 --repeat "${MOVES:-20}" --before-seconds 10 --after-seconds 2 \
  --warmup-seconds "${MOVES_WARMUP:-0}" | tee "$OUT/moves-full.txt" | grep '^RESULT' | tee "$OUT/moves.txt"
stop_node
fi

# --- 10: moves between nodes (cluster mode) -------------------------------------------------------
if [[ " $SECTIONS " == *" 10 "* ]]; then
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
CASS_DIR="$(mktemp -d)"; CQL_PORT="$(free_port)"; PORT_A="$(free_port)"; PORT_B="$(free_port)"
java -jar "$NODE_JAR" cassandra --data-dir "$CASS_DIR" --port "$CQL_PORT" --storage-port "$(free_port)" --heap 1g \
  > "$OUT/cassandra.log" 2>&1 &
CASS_PID=$!
for _ in $(seq 1 360); do grep -qs 'serving CQL' "$OUT/cassandra.log" && break; sleep 0.5; done
grep -q 'serving CQL' "$OUT/cassandra.log" || { echo "Cassandra did not start" >&2; kill "$CASS_PID"; exit 1; }
CLUSTER_PIDS=()
start_cluster_node() { # start_cluster_node <label> <cluster port> [start options...]
  local label="$1" port="$2"; shift 2
  java -Xmx2g -Dlogshard.transfer.cleanup-after=1s -jar "$NODE_JAR" start --port 0 --data-dir "$(mktemp -d)" \
    --mode cluster --cassandra "127.0.0.1:$CQL_PORT" --cluster-port "$port" "$@" > "$OUT/node-$label.log" 2>&1 &
  CLUSTER_PIDS+=($!)
  await_node "$label" 120
}
start_cluster_node b "$PORT_B"          # the first node alone creates the keyspaces
start_cluster_node a "$PORT_A" --seed "127.0.0.1:$PORT_B"
java -jar "$BENCH_JAR" transfer --url "$URL" --range-keys "${MOVES_KEYS:-10000}" --records 10000 --across-nodes \
  --modes live --rate "${MOVES_RATE:-0}" --rate-fractions 0.25 --repeat "${MOVES:-20}" --before-seconds 10 --after-seconds 2 \
  | tee "$OUT/cluster-moves-full.txt" | grep '^RESULT' | tee "$OUT/cluster-moves.txt"
kill "${CLUSTER_PIDS[@]}" 2>/dev/null; wait "${CLUSTER_PIDS[@]}" 2>/dev/null || true
kill "$CASS_PID"; wait "$CASS_PID" 2>/dev/null || true
rm -rf "$CASS_DIR"
fi

# --- 11: the planner (simulated; JMH) -----------------------------------------------------------
if want 11; then
java -jar "$BENCH_JAR" planner-sim --seeds "${PLANNER_SEEDS:-3}" | tee "$OUT/planner-sim-full.txt" \
  | grep -E '^(\||SUMMED)' | tee "$OUT/planner-sim.txt"
# The diurnal cycle with capacities so tight that reactive goes over them (at the 5,000 above neither does).
for first in 1 11; do
  for cap in 3800 4000 4200; do
    java -jar "$BENCH_JAR" planner-sim --shapes diurnal --modes reactive,predictive --seeds 10 --first-seed "$first" \
      --capacity "$cap" | tee -a "$OUT/planner-sim-full.txt" | grep -E '^SUMMED' \
      | sed "s/^SUMMED diurnal/SUMMED diurnal at $cap, seeds $first-$((first + 9))/" | tee -a "$OUT/planner-sim.txt"
  done
done
java -cp "$BENCH_JAR:$ROOT/bench/target/lib/*" org.openjdk.jmh.Main PlannerBenchmark -f 3 -wi 3 -i 5 -w 2s -r 2s \
  > "$OUT/jmh-planner.txt" 2>&1
grep -E "^(Benchmark +|PlannerBenchmark\.)" "$OUT/jmh-planner.txt" | tee -a "$OUT/planner-sim.txt"
fi

# --- 12: the planner on a live node ------------------------------------------------------------
if want 12; then
for round in $(seq 1 "${PLANNER_ROUNDS:-2}"); do
  for planner in off predictive; do
    start_node "planner-$planner-$round" "-Xmx2g"
    java -jar "$BENCH_JAR" planner --url "$URL" --planner "$planner" --seconds "${PLANNER_SECONDS:-120}" \
      --label "$planner-$round" | tee -a "$OUT/planner-live-full.txt" | grep -E '^(RESULT|DECISION)' | tee -a "$OUT/planner-live.txt"
    stop_node
  done
done
fi

# --- 13: the embedded engines side by side ----------------------------------------------------
# Real YCSB (10,000 records of ~1 KiB loaded with 16 threads, then workload A at 16 and 64 threads
# and C at 16) on a fresh node per engine, at its defaults: H2, RocksDB (durability process) and
# RocksDB with durability fsync; interleaved, ENGINE_ROUNDS rounds (2); the data directory's size
# after each run.
if want 13; then
declare -A ENGINES=(
  [h2]="-Dlogshard.embedded.engine=h2"
  [rocksdb]="-Dlogshard.embedded.engine=rocksdb"
  [rocksdb-fsync]="-Dlogshard.embedded.engine=rocksdb -Dlogshard.rocksdb.settings.durability=fsync"
)
for round in $(seq 1 "${ENGINE_ROUNDS:-2}"); do
  for engine in h2 rocksdb rocksdb-fsync; do
    # shellcheck disable=SC2086
    start_node "engine-$engine-$round" ${ENGINES[$engine]}
    ycsb -load -P "$ROOT/bench/workloads/workloada" -threads 16 > "$OUT/engine-$engine-$round-load.txt" 2>&1
    for run in a:16 a:64 c:16; do
      w="${run%%:*}"; threads="${run##*:}"
      ycsb -t -P "$ROOT/bench/workloads/workload$w" -threads "$threads" \
        -p operationcount=100000000 -p maxexecutiontime="$RUN_SECONDS" > "$OUT/engine-$engine-$round-$w-$threads.txt" 2>&1
      awk -v e="$engine" -v r="$round" -v w="$w" -v t="$threads" -v du="$(du -sb "$DATA_DIR" | cut -f1)" -F', ' '
        /^\[OVERALL\], Throughput/ {tp=$3}
        /^\[(READ|UPDATE)\], 99thPercentileLatency/ {p99[$1]=$3}
        /^\[(READ|UPDATE)-FAILED\], Operations/ {failed+=$3}
        END {printf "ENGINE engine=%s round=%d workload=%s threads=%d ops_per_s=%.0f read_p99_ms=%.2f update_p99_ms=%.2f failed=%d data_dir_bytes=%d\n",
          e, r, toupper(w), t, tp, p99["[READ]"]/1000, p99["[UPDATE]"]/1000, failed, du}' \
        "$OUT/engine-$engine-$round-$w-$threads.txt" | tee -a "$OUT/engines.txt"
    done
    stop_node
  done
done
fi

# --- 14: the data directory's size against writes ---------------------------------------------
# 1,000,000 writes of 1 KiB over 10,000 keys (uniform, 64 clients, writes only) on a fresh node per
# engine, in chunks of DISK_CHUNK_SECONDS (20); after each chunk the writes so far and the data
# directory's size; then DISK_IDLE_SECONDS (60) without load and the size again (the node keeps
# running: no restart).
if want 14; then
for engine in ${DISK_ENGINES:-rocksdb h2}; do
  start_node "disk-$engine" "-Dlogshard.embedded.engine=$engine"
  java -jar "$BENCH_JAR" load --url "$URL" --preload --seconds 1 --warmup-seconds 0 --label preload > /dev/null
  written=10000
  echo "DISK engine=$engine writes=$written data_dir_bytes=$(du -sb "$DATA_DIR" | cut -f1)" | tee -a "$OUT/disk.txt"
  while [ "$written" -lt "${DISK_WRITES:-1000000}" ]; do
    ops=$(java -jar "$BENCH_JAR" load --url "$URL" --mix W --distribution uniform --clients 64 \
      --seconds "${DISK_CHUNK_SECONDS:-20}" --warmup-seconds 0 --label "disk-$engine" \
      | awk '/^RESULT/ {for(i=1;i<=NF;i++) if($i ~ /^ops=/){split($i,a,"="); print a[2]}}')
    written=$(( written + ops ))
    echo "DISK engine=$engine writes=$written data_dir_bytes=$(du -sb "$DATA_DIR" | cut -f1)" | tee -a "$OUT/disk.txt"
  done
  sleep "${DISK_IDLE_SECONDS:-60}"
  echo "DISK engine=$engine writes=$written idle_s=${DISK_IDLE_SECONDS:-60} data_dir_bytes=$(du -sb "$DATA_DIR" | cut -f1)" \
    | tee -a "$OUT/disk.txt"
  stop_node
done
fi

# --- 15: kill -9 trials under compare-and-set increments -----------------------------------------
# A node process on one data directory, 16 clients incrementing 64 counters by compare-and-set; a
# SIGKILL after 2-8 s, a restart, every counter read back (at least the last acknowledged increment,
# at most the last attempted); CRASH_TRIALS (20) times. At the node's defaults (RocksDB).
if want 15; then
java -jar "$BENCH_JAR" crash-trials --node-jar "$NODE_JAR" --trials "${CRASH_TRIALS:-20}" \
  | tee "$OUT/crash-trials-full.txt" | grep -E '^(TRIAL|RESULT)' | tee "$OUT/crash-trials.txt"
fi

# --- 16: the fence on both engines ------------------------------------------------------------------
# Section 9's live moves (a range of 10,000 keys back and forth between fast and standard under
# open-loop YCSB-A at a quarter and at half of the measured maximum, FENCE_MOVES (20) moves each) on
# RocksDB and on H2, at their defaults.
if want 16; then
for engine in ${FENCE_ENGINES:-rocksdb h2}; do
  start_node "fence-$engine" "-Xmx2g" "-Dlogshard.transfer.cleanup-after=1s" "-Dlogshard.embedded.engine=$engine"
  java -jar "$BENCH_JAR" transfer --url "$URL" --range-keys 10000 --records 10000 --modes live --rate 0 \
    --rate-fractions "${FENCE_FRACTIONS:-0.25,0.5}" --repeat "${FENCE_MOVES:-20}" --before-seconds 10 --after-seconds 2 \
    | tee -a "$OUT/fence-engines-full.txt" | grep '^RESULT' | sed "s/^RESULT/RESULT engine=$engine/" \
    | tee -a "$OUT/fence-engines.txt"
  stop_node
done
fi

# --- 17: overload --------------------------------------------------------------------------------
# Closed loop at 64 clients, then an open loop at twice their throughput (up to 1,024 requests
# outstanding), then 16 clients again; the node's RSS (/proc) and heap (jstat) every 2 s. The
# per-node bound on data requests in flight off (0, the default) and at OVERLOAD_LIMIT, interleaved.
if want 17; then
client=""; NODE_PREFIX=""
if [ "${OVERLOAD_PIN:-0}" = 1 ]; then client="taskset -c 1"; NODE_PREFIX="taskset -c 0"; fi
for round in $(seq 1 "${OVERLOAD_ROUNDS:-2}"); do
  for limit in 0 "${OVERLOAD_LIMIT:-64}"; do
    label="overload-limit$limit-$round"
    start_node "$label" "-Dlogshard.http.max-requests-in-flight=$limit"
    ( while kill -0 "$NODE_PID" 2>/dev/null; do awk '/VmRSS/{print $2}' "/proc/$NODE_PID/status"; sleep 2; done ) > "$OUT/$label-rss.txt" &
    sampler=$!
    jstat -gc "$NODE_PID" 2000 > "$OUT/$label-jstat.txt" 2>/dev/null &
    jstat_pid=$!
    $client java -jar "$BENCH_JAR" load --url "$URL" --preload --clients 64 --seconds 20 --warmup-seconds 5 \
      --label "closed64-$label" | grep '^RESULT' | tee -a "$OUT/overload.txt"
    rate=$(( 2 * $(grep "label=closed64-$label mode" "$OUT/overload.txt" | sed 's/.*ops_per_s=\([0-9]*\).*/\1/') ))
    $client java -jar "$BENCH_JAR" load --url "$URL" --mode open --rate "$rate" --max-in-flight 1024 \
      --seconds "${OVERLOAD_SECONDS:-60}" --warmup-seconds 5 --label "open-$label" | grep '^RESULT' | tee -a "$OUT/overload.txt"
    $client java -jar "$BENCH_JAR" load --url "$URL" --clients 16 --seconds 20 --warmup-seconds 0 \
      --label "after-$label" | grep '^RESULT' | tee -a "$OUT/overload.txt"
    kill "$jstat_pid" 2>/dev/null || true
    stop_node
    kill "$sampler" 2>/dev/null || true
    # heap used: jstat -gc's S0U + S1U + EU + OU (KB)
    echo "MEMORY label=$label max_rss_mb=$(sort -n "$OUT/$label-rss.txt" | tail -1 | awk '{printf "%.0f", $1/1024}')" \
      "max_heap_used_mb=$(awk '$1 ~ /^[0-9.]+$/ {u=$3+$4+$6+$8; if (u>m) m=u} END {printf "%.0f", m/1024}' "$OUT/$label-jstat.txt")" \
      | tee -a "$OUT/overload.txt"
  done
done
NODE_PREFIX=""
fi

cat "$OUT"/generator.txt "$OUT"/ycsb.txt "$OUT"/configs.txt "$OUT"/batching.txt "$OUT"/profiler.txt \
  "$OUT"/profiler-summary.txt "$OUT"/transfer.txt "$OUT"/moves.txt "$OUT"/cluster-moves.txt "$OUT"/planner-sim.txt "$OUT"/planner-live.txt "$OUT"/engines.txt "$OUT"/disk.txt "$OUT"/crash-trials.txt "$OUT"/fence-engines.txt "$OUT"/overload.txt >> "$OUT/summary.txt" 2>/dev/null || true
echo "results in $OUT" >&2
