#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Performance benchmarks of voxrelay: `bench.sh balancer` (cycles per packet against testpmd's io ceiling), `bench.sh pktgen`, `bench.sh relay`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VR_BUILD:-$ROOT/build}
DP_BIN=$BUILD/dataplane/dp/voxrelay-dp
BLAST_BIN=$BUILD/pktgen/voxrelay-blast
STATS=$ROOT/pktgen/bench_stats.py
CONF=$ROOT/conf/bench-balancer.yaml
SOCK=/run/vr-bench.sock
# The sender is the memif server with the gateway's MAC; the receiver (testpmd or voxrelay-dp) is the client.
SENDER_MAC=02:00:00:00:00:01
RECEIVER_MAC=02:00:00:00:00:10
VIP=10.78.100.1
VIP_PORT=40000
# blast needs ~60 MiB, voxrelay-dp ~200 MiB with 1 M flows, testpmd ~100 MiB; twice that for margin
NEED_HUGEPAGES=400

FLOWS=1000000
CHANGE_RATE=1000
CHANGE_WINDOW=5
CTL_SOCK=/run/voxrelay/bench-dp.sock
SMALL_FLOWS=10000
FRAME=218
WARMUP=3
INTERVAL=2
SAMPLES=5
ROUNDS=3
CEILING_TRIES=2
DO_DEPS=1
DO_BUILD=1
DO_PERF=0
OUT=""
VERSION=unknown

usage() {
	cat >&2 <<EOF
usage: $0 SUBCOMMAND [options]
subcommands:
  balancer   voxrelay-dp (role balancer, conntrack + Maglev + GUE) against dpdk-testpmd io forwarding,
             same memif/null ports, same worker core, fed by voxrelay-blast; prints a table and, last, one JSON line
  pktgen     voxrelay-blast alone into net_null: the sender's own ceiling
  control    voxrelay-dp forwarding at full rate while backend.set changes arrive at --rate per second:
             forwarding rate with and without them, their ratio, and each change's time from request
             to the first packet forwarded with it (p50/p99); last line one JSON object
  relay      voxrelay-relay-bench on one core (no DPDK): raw libsrtp protect+unprotect, then the relay's
             fan-out core at 1..5000 rooms of 5 (SRTP ops/s per core and ratio to raw), bytes per member,
             100,000 members built; last line one JSON object
  gateway, xdp   not written yet
options (relay):
  --rooms N        headline room count (default: the benchmark's, 2000)
  --quick          CI smoke: a short curve, 5,000 members extrapolated to 100,000
options (control):
  --rate N         changes per second (default $CHANGE_RATE)
  --window S       seconds per window (default $CHANGE_WINDOW); --rounds, --flows, --warmup as below
options (balancer, pktgen):
  --flows N        flows of the main case (default $FLOWS)
  --small-flows N  flows of the small case (default $SMALL_FLOWS; 0 skips it)
  --size B         frame bytes without FCS (default $FRAME)
  --warmup S       seconds after every flow was sent once before measuring (default $WARMUP)
  --interval S     seconds per sample (default $INTERVAL)
  --samples K      samples per measurement; window = K x interval (default $SAMPLES)
  --rounds R       repeat every case R times, alternating (default $ROUNDS)
  --ceiling-tries T testpmd runs per round (default $CEILING_TRIES): its cost depends on how the
                   memif rings happen to settle (see docs/benchmarks.md); the lowest run counts
  --out DIR        keep logs and results here (default build/bench/<subcommand>-<date>)
  --no-deps        do not run scripts/deps.sh
  --no-build       do not run meson/ninja
  --perf           also profile voxrelay-dp's worker cpus during each window (perf, cpu-clock);
                   reports in OUT/<case>.perf.txt
EOF
}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# processes we started, stopped by pid on exit

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -f "$SOCK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# Stop a process we started: INT, then KILL after 10 s.
stop_pid() {
	local pid=$1
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget_pid "$pid"
}

# wait_line FILE REGEX TIMEOUT_S PID: until FILE has a line matching REGEX; fails if PID dies first.
wait_line() {
	local file=$1 re=$2 t=$3 pid=$4 i
	for ((i = 0; i < t * 10; i++)); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || { tail -n 20 "$file" >&2; die "process $pid exited before '$re' ($file)"; }
		sleep 0.1
	done
	tail -n 20 "$file" >&2
	die "no '$re' in $file after ${t}s"
}

# ---------------------------------------------------------------------------
# preparation

prepare() {
	if [ "$DO_DEPS" = 1 ]; then
		"$ROOT/scripts/deps.sh"
	fi
	if [ "$DO_BUILD" = 1 ]; then
		[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" >/dev/null
		ninja -C "$BUILD" dataplane/dp/voxrelay-dp pktgen/voxrelay-blast >/dev/null
	fi
	[ -x "$BLAST_BIN" ] || die "$BLAST_BIN is missing (build it or drop --no-build)"
	command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd is missing (Debian package dpdk)"
	# others may hold hugepages: make sure NEED_HUGEPAGES of them are free, never lowering the total
	local total free
	total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "$free" -lt "$NEED_HUGEPAGES" ]; then
		"$ROOT/scripts/hugepages.sh" $((total + NEED_HUGEPAGES - free))
	else
		"$ROOT/scripts/hugepages.sh" "$total"
	fi
	OUT=${OUT:-$BUILD/bench/$1-$(date -u +%Y%m%dT%H%M%SZ)}
	mkdir -p "$OUT/bin"
	log "logs and results in $OUT"
	# run copies: a rebuild during the run must not mix two versions in one result
	cp "$BLAST_BIN" "$OUT/bin/voxrelay-blast"
	BLAST_BIN=$OUT/bin/voxrelay-blast
	if [ -x "$DP_BIN" ]; then
		cp "$DP_BIN" "$OUT/bin/voxrelay-dp"
		DP_BIN=$OUT/bin/voxrelay-dp
	fi
	VERSION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
}

# ---------------------------------------------------------------------------
# the sender

# start_blast TAG FLOWS [blast options]: voxrelay-blast as memif server on cpu 0, until stopped.
start_blast() {
	local tag=$1 flows=$2
	shift 2
	rm -f "$SOCK"
	"$BLAST_BIN" -l 0 --file-prefix vr-bench-blast --no-pci --log-level=lib.eal:error \
		--vdev "net_memif0,role=server,socket=$SOCK,mac=$SENDER_MAC" -- \
		--duration 0 --flows "$flows" --size "$FRAME" --vip "$VIP" --port "$VIP_PORT" \
		--dst-mac "$RECEIVER_MAC" --json "$OUT/$tag.blast.json" "$@" >"$OUT/$tag.blast.log" 2>&1 &
	BLAST_PID=$!
	PIDS+=("$BLAST_PID")
	wait_line "$OUT/$tag.blast.log" 'waiting for link' 30 "$BLAST_PID"
}

# Stop sending but keep the memif connection (SIGUSR1): the memif PMD unmaps
# its rings when the peer leaves, and a sender inside tx_burst then crashes.
quiet_blast() {
	kill -USR1 "$BLAST_PID" 2>/dev/null || return 0
	for _ in $(seq 100); do
		grep -q '^blast: sent' "$1" && return 0
		sleep 0.1
	done
	log "voxrelay-blast did not confirm the pause ($1)"
}

# ---------------------------------------------------------------------------
# the ceiling: testpmd io forwarding memif -> null on the same worker core

run_testpmd() {
	local tag=$1 round=$2 flows=$3 fifo tp_pid tp_in
	start_blast "$tag" "$flows"
	fifo=$OUT/$tag.testpmd.in
	rm -f "$fifo"
	mkfifo "$fifo"
	# io fwd makes a stream each way; no-rx=1 keeps the null port from making up
	# packets, so only what blast sends through memif is counted as work
	stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 0 --file-prefix vr-bench-testpmd --no-pci \
		--log-level=lib.eal:error \
		--vdev "net_memif0,role=client,socket=$SOCK,mac=$RECEIVER_MAC" --vdev "net_null0,no-rx=1" -- \
		-i --forward-mode=io --nb-cores=1 --rxq=1 --txq=1 --burst=32 --total-num-mbufs=32768 \
		--record-core-cycles --record-burst-stats --auto-start \
		<"$fifo" >"$OUT/$tag.testpmd.log" 2>&1 &
	tp_pid=$!
	PIDS+=("$tp_pid")
	exec {tp_in}>"$fifo"
	wait_line "$OUT/$tag.blast.log" 'link up' 30 "$BLAST_PID"
	wait_line "$OUT/$tag.blast.log" 'sent once' 60 "$BLAST_PID"
	sleep "$WARMUP"
	python3 "$STATS" sample --pid "$tp_pid" --out "$OUT/$tag.samples.jsonl" \
		--samples "$SAMPLES" --interval "$INTERVAL" --fifo "$fifo"
	quiet_blast "$OUT/$tag.blast.log"
	printf 'stop\nquit\n' >&"$tp_in"
	exec {tp_in}>&-
	for _ in $(seq 100); do kill -0 "$tp_pid" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$tp_pid"
	stop_pid "$BLAST_PID"
	python3 "$STATS" case --kind testpmd --name testpmd-io --round "$round" --flows "$flows" \
		--frame "$FRAME" --samples "$OUT/$tag.samples.jsonl" --log "$OUT/$tag.testpmd.log" \
		--blast "$OUT/$tag.blast.json" >>"$OUT/results.jsonl"
	tail -n 1 "$OUT/results.jsonl" >&2
}

# ---------------------------------------------------------------------------
# voxrelay-dp as balancer on the same ports and core

# dp_config OUTFILE WORKERS: the bench configuration with our socket and lcores.
dp_config() {
	local out=$1 workers=$2 lc
	lc=$(seq -s, 1 "$workers")
	sed -e "s#socket=[^,\"]*#socket=$SOCK#" \
		-e "s#^\(  *file_prefix:\).*#\1 vr-bench-dp#" \
		-e "s#^\(  *worker_lcores:\).*#\1 [$lc]#" "$CONF" >"$out"
	"$DP_BIN" --check-config "$out" >/dev/null
}

run_dp() {
	local tag=$1 round=$2 flows=$3 name=$4 workers=${5:-1} dp_pid perf_pid=""
	dp_config "$OUT/$tag.yaml" "$workers"
	start_blast "$tag" "$flows" --queues "$workers"
	"$DP_BIN" -c "$OUT/$tag.yaml" --stats-json "$OUT/$tag.dp.json" >"$OUT/$tag.dp.log" 2>&1 &
	dp_pid=$!
	PIDS+=("$dp_pid")
	wait_line "$OUT/$tag.dp.log" 'voxrelay-dp: ready' 60 "$dp_pid"
	wait_line "$OUT/$tag.blast.log" 'link up' 30 "$BLAST_PID"
	# every flow must be in conntrack before the window opens, so that the
	# window measures lookups of known flows and not first-packet inserts
	wait_line "$OUT/$tag.blast.log" 'sent once' 120 "$BLAST_PID"
	sleep "$WARMUP"
	if [ "$DO_PERF" = 1 ]; then
		perf record -q -e cpu-clock -F 2000 -C "$(seq -s, 1 "$workers")" -o "$OUT/$tag.perf.data" \
			-- sleep "$(awk "BEGIN {print $SAMPLES * $INTERVAL}")" >/dev/null 2>&1 &
		perf_pid=$!
		PIDS+=("$perf_pid")
	fi
	python3 "$STATS" sample --pid "$dp_pid" --out "$OUT/$tag.samples.jsonl" \
		--samples "$SAMPLES" --interval "$INTERVAL" \
		--telemetry "/var/run/dpdk/vr-bench-dp/dpdk_telemetry.v2"
	if [ -n "$perf_pid" ]; then
		wait "$perf_pid" || true
		forget_pid "$perf_pid"
		# only the worker threads' samples: the cpus also ran whatever else the machine had
		perf report -i "$OUT/$tag.perf.data" --no-children --percentage relative --comms "$(seq -s, -f 'rte-worker-%g' 1 "$workers")" \
			--sort dso,sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 40 >"$OUT/$tag.perf.txt" || true
	fi
	quiet_blast "$OUT/$tag.blast.log"
	stop_pid "$dp_pid"
	stop_pid "$BLAST_PID"
	[ -s "$OUT/$tag.dp.json" ] || die "voxrelay-dp wrote no $OUT/$tag.dp.json"
	python3 "$STATS" case --kind dp --name "$name" --round "$round" --flows "$flows" \
		--frame "$FRAME" --samples "$OUT/$tag.samples.jsonl" --stats-json "$OUT/$tag.dp.json" \
		--blast "$OUT/$tag.blast.json" >>"$OUT/results.jsonl"
	tail -n 1 "$OUT/results.jsonl" >&2
}

bench_balancer() {
	prepare balancer
	[ -x "$DP_BIN" ] || die "$DP_BIN is missing"
	if [ "$DO_PERF" = 1 ]; then
		command -v perf >/dev/null || die "--perf needs perf (Debian package linux-perf)"
	fi
	local r t cpus two_workers
	cpus=$(nproc)
	# the sender and the main lcore share cpu 0; two workers need cpus 1 and 2
	if [ "$cpus" -ge 3 ]; then
		two_workers=yes
	else
		two_workers="skipped: $cpus CPUs (sender + main lcore on cpu 0 and 2 workers need 3)"
		log "2 workers: $two_workers"
	fi
	: >"$OUT/results.jsonl"
	for ((r = 1; r <= ROUNDS; r++)); do
		for ((t = 1; t <= CEILING_TRIES; t++)); do
			log "round $r/$ROUNDS: testpmd io ceiling, run $t/$CEILING_TRIES"
			run_testpmd "r$r-testpmd$t" "$r" "$FLOWS"
		done
		log "round $r/$ROUNDS: voxrelay-dp balancer, $FLOWS flows"
		run_dp "r$r-dp" "$r" "$FLOWS" voxrelay-balancer 1
		if [ "$SMALL_FLOWS" -gt 0 ]; then
			log "round $r/$ROUNDS: voxrelay-dp balancer, $SMALL_FLOWS flows"
			run_dp "r$r-dp-small" "$r" "$SMALL_FLOWS" voxrelay-balancer-10k 1
		fi
		if [ "$two_workers" = yes ]; then
			log "round $r/$ROUNDS: voxrelay-dp balancer, 2 workers, $FLOWS flows"
			run_dp "r$r-dp-2w" "$r" "$FLOWS" voxrelay-balancer-2w 2
		fi
	done
	echo
	python3 "$STATS" summary --results "$OUT/results.jsonl" \
		"date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "host=$(hostname)" \
		"cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "cpus=$cpus" \
		"kernel=$(uname -r)" "dpdk=$(pkg-config --modversion libdpdk)" "rounds=$ROUNDS" "ceiling_tries=$CEILING_TRIES" \
		"version=$VERSION" "dp_sha256=$(sha256sum "$DP_BIN" | cut -c1-16)" \
		"window_s=$(awk "BEGIN {print $SAMPLES * $INTERVAL}")" "warmup_s=$WARMUP" "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)" \
		"two_workers=$two_workers" | tee "$OUT/summary.txt"
}

# ---------------------------------------------------------------------------
# control changes under full load

bench_control() {
	prepare control
	[ -x "$DP_BIN" ] || die "$DP_BIN is missing"
	local tag=control dp_pid
	dp_config "$OUT/$tag.yaml" 1
	start_blast "$tag" "$FLOWS"
	"$DP_BIN" -c "$OUT/$tag.yaml" >"$OUT/$tag.dp.log" 2>&1 &
	dp_pid=$!
	PIDS+=("$dp_pid")
	wait_line "$OUT/$tag.dp.log" 'voxrelay-dp: ready' 60 "$dp_pid"
	wait_line "$OUT/$tag.blast.log" 'link up' 30 "$BLAST_PID"
	wait_line "$OUT/$tag.blast.log" 'sent once' 120 "$BLAST_PID"
	sleep "$WARMUP"
	# pinned to the sender's cpu: the worker's cpu runs the worker alone
	taskset -c 0 python3 "$ROOT/pktgen/bench_control.py" --socket "$CTL_SOCK" \
		--telemetry "/var/run/dpdk/vr-bench-dp/dpdk_telemetry.v2" --vip "$VIP" --port "$VIP_PORT" \
		--rate "$CHANGE_RATE" --window "$CHANGE_WINDOW" --rounds "$ROUNDS" --out "$OUT/control.json" \
		| tee "$OUT/summary.txt"
	quiet_blast "$OUT/$tag.blast.log"
	stop_pid "$dp_pid"
	stop_pid "$BLAST_PID"
	printf 'date=%s cpu=%s cpus=%s version=%s flows=%s window_s=%s rounds=%s loadavg=%s\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
		"$(nproc)" "$VERSION" "$FLOWS" "$CHANGE_WINDOW" "$ROUNDS" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
}

# ---------------------------------------------------------------------------
# the sender's own ceiling

bench_pktgen() {
	prepare pktgen
	local secs
	secs=$(awk "BEGIN {print $SAMPLES * $INTERVAL}")
	"$BLAST_BIN" -l 0 --file-prefix vr-bench-blast --no-pci --log-level=lib.eal:error \
		--vdev "net_null0,no-rx=1" -- --duration "$secs" --flows "$FLOWS" --size "$FRAME" \
		--vip "$VIP" --port "$VIP_PORT" --json "$OUT/blast-null.json" >"$OUT/blast-null.log" 2>&1
	grep '^blast: sent' "$OUT/blast-null.log"
	tail -n 1 "$OUT/blast-null.json"
}

# ---------------------------------------------------------------------------
# the relay's fan-out core on one core: no DPDK, no hugepages, no sender

RELAY_BIN=$BUILD/pktgen/voxrelay-relay-bench
RELAY_ROOMS=""
RELAY_QUICK=0

bench_relay() {
	local args=() cpu
	if [ "$DO_DEPS" = 1 ]; then
		"$ROOT/scripts/deps.sh"
	fi
	if [ "$DO_BUILD" = 1 ]; then
		[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" >/dev/null
		ninja -C "$BUILD" pktgen/voxrelay-relay-bench >/dev/null
	fi
	[ -x "$RELAY_BIN" ] || die "$RELAY_BIN is missing (build it or drop --no-build)"
	OUT=${OUT:-$BUILD/bench/relay-$(date -u +%Y%m%dT%H%M%SZ)}
	mkdir -p "$OUT/bin"
	log "logs and results in $OUT"
	# run copy: a rebuild during the run must not change what is measured
	cp "$RELAY_BIN" "$OUT/bin/voxrelay-relay-bench"
	VERSION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
	[ -n "$RELAY_ROOMS" ] && args+=(--rooms "$RELAY_ROOMS")
	[ "$RELAY_QUICK" = 1 ] && args+=(--quick)
	# the last cpu: cpu 0 is where the rest of the machine tends to run
	cpu=$(($(nproc) - 1))
	# the conditions first (stderr), so the benchmark's JSON stays the last line
	printf 'date=%s cpu=%s cpus=%s version=%s bench_cpu=%s loadavg=%s\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
		"$(nproc)" "$VERSION" "$cpu" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/conditions.txt" >&2
	"$OUT/bin/voxrelay-relay-bench" --cpu "$cpu" "${args[@]}" | tee "$OUT/relay.log"
	tail -n 1 "$OUT/relay.log" >"$OUT/results.json"
}

# ---------------------------------------------------------------------------

[ $# -ge 1 ] || { usage; exit 2; }
cmd=$1
shift
while [ $# -gt 0 ]; do
	case $1 in
	--flows) FLOWS=$2; shift 2 ;;
	--small-flows) SMALL_FLOWS=$2; shift 2 ;;
	--size) FRAME=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--interval) INTERVAL=$2; shift 2 ;;
	--samples) SAMPLES=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--ceiling-tries) CEILING_TRIES=$2; shift 2 ;;
	--rate) CHANGE_RATE=$2; shift 2 ;;
	--window) CHANGE_WINDOW=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--no-deps) DO_DEPS=0; shift ;;
	--no-build) DO_BUILD=0; shift ;;
	--perf) DO_PERF=1; shift ;;
	--rooms) RELAY_ROOMS=$2; shift 2 ;;
	--quick) RELAY_QUICK=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage; exit 2 ;;
	esac
done

case $cmd in
balancer) bench_balancer ;;
pktgen) bench_pktgen ;;
control) bench_control ;;
relay) bench_relay ;;
gateway | xdp) die "'$cmd' is not written yet" ;;
*) usage; exit 2 ;;
esac
