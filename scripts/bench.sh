#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Performance benchmarks of voxrelay: `bench.sh balancer` (cycles per packet against testpmd's io ceiling), `bench.sh pktgen` (voxrelay-gen against testpmd txonly, NDR through voxrelay-dp), `bench.sh relay`, `bench.sh gateway`, `bench.sh xdp` (the AF_XDP steering program: ns per packet, forwarding with and without it).
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
# gateway: the issue's load; --quick shrinks it
GW_CONNS=100000
GW_CHATS=1000
GW_WINDOW=""
GW_WINDOW_DEFAULT=10
GW_WARMUP=""
GW_HOLD=10

usage() {
	cat >&2 <<EOF
usage: $0 SUBCOMMAND [options]
subcommands:
  balancer   voxrelay-dp (role balancer, conntrack + Maglev + GUE) against dpdk-testpmd io forwarding,
             same memif/null ports, same worker core, fed by voxrelay-blast; prints a table and, last, one JSON line
  pktgen     voxrelay-gen (pktgen/gen): (1) flat out into net_null against dpdk-testpmd txonly, both on
             cpu 1: Mpps of each and ratio gen / testpmd (target >= 0.8); (2) voxrelay-gen (cpu 0, memif
             server) -> voxrelay-dp balancer (worker cpu 1) -> back over the same memif: RFC 2544 NDR and
             latency p50/p99 at 50 % of it; last line one JSON object
  control    voxrelay-dp forwarding at full rate while backend.set changes arrive at --rate per second:
             forwarding rate with and without them, their ratio, and each change's time from request
             to the first packet forwarded with it (p50/p99); last line one JSON object
  relay      voxrelay-relay-bench on one core (no DPDK): raw libsrtp protect+unprotect, then the relay's
             fan-out core at 1..5000 rooms of 5 (SRTP ops/s per core and ratio to raw), bytes per member,
             100,000 members built; last line one JSON object
  gateway    voxrelay-cp (cpu 1) with its own redis-server and voxrelay-gw-load (both cpu 0):
             (a) --connections authenticated WebSocket connections: server RSS per connection;
             (b) chats of 10 flat out: deliveries per second of server CPU time;
             (c) half that message rate: delivery latency p50/p95/p99; last line one JSON object
  xdp        the AF_XDP steering program (bpf/steer.bpf.c): (1) voxrelay-steer-bench on the last cpu:
             BPF_PROG_TEST_RUN with repeat, ns per packet of voice, junk and flood against a trivial
             XDP program, drop Mpps per core, and voice from 10,000 sources once each; (2) voxrelay-dp
             balancer on net_af_xdp over a veth, fed by voxrelay-blast (net_af_xdp, cpu 0) in another
             namespace: forwarding Mpps with DPDK's default XDP program and with steer: true,
             alternated; last line one JSON object
options (relay):
  --rooms N        headline room count (default: the benchmark's, 2000)
  --quick          CI smoke: a short curve, 5,000 members extrapolated to 100,000
options (gateway):
  --connections N  connections of (a) (default $GW_CONNS; capped by RLIMIT_NOFILE if it cannot be raised)
  --chats C        chats of 10 members in (b) and (c) (default $GW_CHATS)
  --window S       measured seconds of (b) and (c) (default $GW_WINDOW_DEFAULT); --warmup S before each
  --hold S         seconds (a) keeps its connections after all are ready (default $GW_HOLD)
  --quick          smoke run: 2,000 connections, 100 chats, 5 s windows
  --perf           also perf record -g voxrelay-cp during (b); report in OUT/fanout.perf.txt
options (pktgen):
  --streams N      streams of voxrelay-gen (default 10000)
  --window S       seconds each of (1)'s two measurements (default 10); testpmd after --warmup S
  --trial S        seconds per RFC 2544 trial of (2) (default 2)
  --max-rate PPS   upper bound of the search (default $PG_MAX_RATE)
  --frame-size B   frame bytes WITH the FCS (default $PG_FRAME; testpmd sends B - 4)
  --quick          smoke run: 1,000 streams, 3 s windows, 1 s warm-up, 0.5 s trials, resolution 0.05
options (xdp):
  --repeat N       (1) BPF_PROG_TEST_RUN repeat per packet (default 1000000; --quick 100000)
  --packets N      (1) distinct packets per class, a multiple of 8 (default 64; --quick 32)
  --sources N      (1) sources of the once-per-run voice classes (default 10000)
  --flows N        (2) sources of the sender, one flow each (default $XDP_FLOWS_DEFAULT)
  --window S       (2) seconds per window (default $XDP_WINDOW_DEFAULT); --warmup S before it (default 2)
  --rounds R       (2) windows per variant, default and steer alternating (default $XDP_ROUNDS_DEFAULT; at least 2)
  --no-forward     skip (2): no DPDK, no hugepages, no namespaces
  --perf           (2) also profile cpu 0 (where lb0's XDP program runs) in each window: the program's
                   ns per packet in the pipeline; reports in OUT/<round>-<variant>.perf.txt
  --quick          smoke run: (1) as above, 2 rounds; (2) 2 rounds of 3 s windows after 1 s
options (control):
  --rate N         changes per second (default $CHANGE_RATE)
  --window S       seconds per window (default $CHANGE_WINDOW); --rounds, --flows, --warmup as below
options (balancer):
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
# network namespaces we made (bench.sh xdp), deleted on exit after their processes
NETNS_CREATED=()
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
	for p in "${NETNS_CREATED[@]}"; do
		ip netns del "$p" 2>/dev/null || true
	done
	for p in "${SYSCTL_RESTORE[@]}"; do
		sysctl -q -w "$p" || true
	done
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

# others may hold hugepages: make sure NEED_HUGEPAGES of them are free, never lowering the total
ensure_hugepages() {
	local total free
	total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "$free" -lt "$NEED_HUGEPAGES" ]; then
		"$ROOT/scripts/hugepages.sh" $((total + NEED_HUGEPAGES - free))
	else
		"$ROOT/scripts/hugepages.sh" "$total"
	fi
}

prepare() {
	if [ "$DO_DEPS" = 1 ]; then
		"$ROOT/scripts/deps.sh"
	fi
	if [ "$DO_BUILD" = 1 ]; then
		[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" >/dev/null
		local targets=(dataplane/dp/voxrelay-dp pktgen/voxrelay-blast)
		[ "$1" = pktgen ] && targets+=(pktgen/gen/voxrelay-gen)
		ninja -C "$BUILD" "${targets[@]}" >/dev/null
	fi
	[ -x "$BLAST_BIN" ] || die "$BLAST_BIN is missing (build it or drop --no-build)"
	command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd is missing (Debian package dpdk)"
	ensure_hugepages
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
	if [ -x "$GEN_BIN" ]; then
		cp "$GEN_BIN" "$OUT/bin/voxrelay-gen"
		GEN_BIN=$OUT/bin/voxrelay-gen
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
# voxrelay-gen: its ceiling against testpmd txonly on the same core, then
# voxrelay-gen -> voxrelay-dp (balancer) -> voxrelay-gen over memif: NDR and latency

GEN_BIN=$BUILD/pktgen/gen/voxrelay-gen
PG_SOCK=/run/vr-bench-pktgen.sock
PG_CTL_SOCK=/run/voxrelay/bench-pg-dp.sock
PG_STREAMS=""
PG_WINDOW=""
PG_TRIAL=""
PG_MAX_RATE=3e6
# with the FCS (RFC 2544): 214-byte mbufs, G.711 20 ms over IPv4
PG_FRAME=218
PG_DP_DROPS=""

# pg_txonly_testpmd WINDOW: dpdk-testpmd txonly into net_null on cpu 1 (main lcore on cpu 0);
# TP_MPPS = its TX Mpps over WINDOW seconds, from two `show port stats all` WINDOW s apart
pg_txonly_testpmd() {
	local window=$1 fifo=$OUT/testpmd-txonly.in log=$OUT/testpmd-txonly.log tp_pid tp_in pps
	rm -f "$fifo"
	mkfifo "$fifo"
	stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 0 --file-prefix vr-bench-pg-testpmd --no-pci \
		--log-level=lib.eal:error --vdev "net_null0,no-rx=1" -- \
		-i --forward-mode=txonly --txpkts=$((PG_FRAME - 4)) --port-topology=loop --nb-cores=1 \
		--rxq=1 --txq=1 --burst=32 --total-num-mbufs=32768 --auto-start \
		<"$fifo" >"$log" 2>&1 &
	tp_pid=$!
	PIDS+=("$tp_pid")
	exec {tp_in}>"$fifo"
	wait_line "$log" 'packet forwarding - ports=' 60 "$tp_pid"
	sleep "$WARMUP"
	# the second show's "Tx-pps" is testpmd's own rate since the first (its clock)
	printf 'show port stats all\n' >&"$tp_in"
	sleep "$window"
	printf 'show port stats all\n' >&"$tp_in"
	sleep 0.5
	printf 'stop\nquit\n' >&"$tp_in"
	exec {tp_in}>&-
	for _ in $(seq 100); do kill -0 "$tp_pid" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$tp_pid"
	pps=$(grep -oE 'Tx-pps: *[0-9]+' "$log" | sed -n 2p | grep -oE '[0-9]+$') ||
		die "no second 'Tx-pps' in $log"
	[ "$pps" -gt 0 ] || die "testpmd sent nothing (see $log)"
	TP_MPPS=$(awk "BEGIN {printf \"%.4f\", $pps / 1e6}")
}

# pg_gen_null STREAMS WINDOW: voxrelay-gen flat out into net_null, worker on cpu 1;
# GEN_MPPS = its TX Mpps from its JSON report (sent / duration_s)
pg_gen_null() {
	local streams=$1 window=$2 pid rc=0
	"$GEN_BIN" -l 0,1 --main-lcore 0 --file-prefix vr-bench-pg-gen --no-pci --log-level=lib.eal:error \
		--vdev "net_null0,no-rx=1" -- --flat-out --expect none --codec g711 --frame-size "$PG_FRAME" \
		--no-rtcp --streams "$streams" --duration "$window" --json "$OUT/gen-null.json" \
		>"$OUT/gen-null.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait "$pid" || rc=$?
	forget_pid "$pid"
	[ "$rc" = 0 ] || log "voxrelay-gen into net_null exited $rc (see $OUT/gen-null.log)"
	grep -E '^duration ' "$OUT/gen-null.log" >&2 || { tail -n 20 "$OUT/gen-null.log" >&2; die "voxrelay-gen into net_null wrote no report"; }
	GEN_MPPS=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("%.4f" % (r["sent"] / r["duration_s"] / 1e6))' \
		"$OUT/gen-null.json")
}

# pg_dp_config OUTFILE: voxrelay-dp as balancer on one port, the memif client, sending its
# GUE packets back through the same port to the generator (gateway_mac = the generator's MAC)
pg_dp_config() {
	local out=$1
	{
		cat <<-EOF
		# written by scripts/bench.sh pktgen; the balancer section is conf/bench-balancer.yaml's
		dataplane:
		  role: balancer
		  eal:
		    file_prefix: vr-bench-pg-dp
		    main_lcore: 0
		    huge: true
		    args: ["--log-level=lib.eal:error"]
		  control:
		    socket: $PG_CTL_SOCK
		  worker_lcores: [1]
		  ports:
		    # no tx_port: what arrives here leaves here, encapsulated, to the generator
		    - name: in
		      device: "net_memif0,role=client,socket=$SOCK,mac=$RECEIVER_MAC"
		      ipv4: 10.78.0.2
		      gateway_ipv4: 10.78.0.1
		      gateway_mac: "$SENDER_MAC"

		EOF
		sed -n '/^balancer:/,$p' "$CONF"
	} >"$out"
	grep -q "address: $VIP\$" "$out" || die "$CONF has no VIP $VIP"
	"$DP_BIN" --check-config "$out" >/dev/null
}

# pg_ndr STREAMS TRIAL RESOLUTION: voxrelay-gen (memif server, both lcores on cpu 0) ->
# voxrelay-dp (worker on cpu 1) -> voxrelay-gen; RFC 2544 search, JSON in OUT/rfc2544.json
pg_ndr() {
	local streams=$1 trial=$2 res=$3 gen_pid dp_pid rc=0
	pg_dp_config "$OUT/dp.yaml"
	rm -f "$SOCK" "$OUT/rfc2544.json"
	"$GEN_BIN" --lcores '(0,1)@0' --file-prefix vr-bench-pg-gen --no-pci --log-level=lib.eal:error \
		--vdev "net_memif0,role=server,socket=$SOCK,mac=$SENDER_MAC" -- \
		--streams "$streams" --codec g711 --vip "$VIP" --port "$VIP_PORT" --dst-mac "$RECEIVER_MAC" \
		--gue-port 6080 --expect echo --rfc2544 --frame-sizes "$PG_FRAME" --max-rate "$PG_MAX_RATE" \
		--trial "$trial" --resolution "$res" --latency-load 0.5 --link-timeout 60 \
		--json "$OUT/rfc2544.json" >"$OUT/gen-ndr.log" 2>&1 &
	gen_pid=$!
	PIDS+=("$gen_pid")
	wait_line "$OUT/gen-ndr.log" 'waiting for link' 60 "$gen_pid"
	"$DP_BIN" -c "$OUT/dp.yaml" >"$OUT/dp.log" 2>&1 &
	dp_pid=$!
	PIDS+=("$dp_pid")
	wait_line "$OUT/dp.log" 'voxrelay-dp: ready' 60 "$dp_pid"
	wait_line "$OUT/gen-ndr.log" 'link up' 60 "$gen_pid"
	# the search ends on its own: ~log2(1/resolution) trials of TRIAL + 0.5 s drain, then the latency trial
	wait "$gen_pid" || rc=$?
	forget_pid "$gen_pid"
	# the generator has stopped sending and closed its side: nothing is in flight for voxrelay-dp
	stop_pid "$dp_pid"
	# its counters at exit, over every trial: tx_full = the generator did not take its packets back in time
	grep -q '^== voxrelay-dp counters' "$OUT/dp.log" || log "voxrelay-dp printed no counters at exit (see $OUT/dp.log)"
	PG_DP_DROPS=$(sed -n 's/^drops: *//p' "$OUT/dp.log" | tail -n 1)
	grep -E '^rfc2544: ' "$OUT/gen-ndr.log" >&2 || true
	if [ "$rc" != 0 ] || [ ! -s "$OUT/rfc2544.json" ]; then
		tail -n 20 "$OUT/gen-ndr.log" >&2
		die "voxrelay-gen's RFC 2544 search failed (exit $rc, $OUT/gen-ndr.log)"
	fi
}

bench_pktgen() {
	local streams window trial res
	SOCK=$PG_SOCK
	prepare pktgen
	[ -x "$GEN_BIN" ] || die "$GEN_BIN is missing (build it or drop --no-build)"
	[ -x "$DP_BIN" ] || die "$DP_BIN is missing"
	if [ "$QUICK" = 1 ]; then
		streams=${PG_STREAMS:-1000} window=${PG_WINDOW:-3} trial=${PG_TRIAL:-0.5} res=0.05
		# GW_WARMUP holds --warmup when it was given
		WARMUP=${GW_WARMUP:-1}
	else
		streams=${PG_STREAMS:-10000} window=${PG_WINDOW:-10} trial=${PG_TRIAL:-2} res=0.01
	fi
	[ "$(nproc)" -ge 2 ] || die "needs 2 cpus (cpu 0: main lcores and the generator of the NDR run, cpu 1: the measured lcore)"
	printf 'date=%s cpu=%s cpus=%s version=%s gen_sha256=%s dp_sha256=%s streams=%s window_s=%s trial_s=%s loadavg=%s\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
		"$(nproc)" "$VERSION" "$(sha256sum "$GEN_BIN" | cut -c1-16)" "$(sha256sum "$DP_BIN" | cut -c1-16)" \
		"$streams" "$window" "$trial" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/conditions.txt" >&2

	log "1/3 testpmd txonly, $((PG_FRAME - 4))-byte packets into net_null, lcore 1 on cpu 1: ${WARMUP} s warm-up, ${window} s window"
	pg_txonly_testpmd "$window"
	log "testpmd txonly: $TP_MPPS Mpps"
	log "2/3 voxrelay-gen flat out, $PG_FRAME-byte frames, $streams streams into net_null, worker on cpu 1: ${window} s"
	pg_gen_null "$streams" "$window"
	log "voxrelay-gen: $GEN_MPPS Mpps"
	log "3/3 RFC 2544: voxrelay-gen (cpu 0) -> memif -> voxrelay-dp balancer (worker cpu 1) -> memif -> voxrelay-gen, $streams streams, ${trial} s trials up to $PG_MAX_RATE pps"
	pg_ndr "$streams" "$trial" "$res"

	echo
	sed -n '/^RFC 2544 throughput/,$p' "$OUT/gen-ndr.log" | grep -E '^(RFC|[|+])' || true
	python3 - "$OUT" "$GEN_MPPS" "$TP_MPPS" "$VERSION" "$streams" "$window" "$trial" "$PG_MAX_RATE" "$PG_DP_DROPS" <<'PY' | tee "$OUT/summary.txt"
import json, sys
out, gen, tp, version, streams, window, trial, max_rate, dp_drops = sys.argv[1:]
gen, tp, max_rate = float(gen), float(tp), float(max_rate)
row = json.load(open(f"{out}/rfc2544.json"))["rows"][0]
ratio = gen / tp
ndr = row["mpps"]
rows = [
    ("voxrelay-gen flat out (cpu 1)", f"{gen:.3f} Mpps", ""),
    ("testpmd txonly (cpu 1)", f"{tp:.3f} Mpps", ""),
    ("ratio gen / testpmd", f"{ratio:.3f}", ">= 0.8 " + ("met" if ratio >= 0.8 else "NOT met")),
    ("NDR gen -> voxrelay-dp -> gen", f"{ndr:.3f} Mpps in {row['trials']} trials",
     "at --max-rate: the search's bound, not the DUT's" if ndr * 1e6 >= 0.99 * max_rate else ""),
    ("latency at 50 % of NDR", f"p50 {row['p50_us']} us, p99 {row['p99_us']} us", ""),
]
print(f"{'pktgen, ' + str(row['frame_len']) + '-byte frames':34s} {'measured':30s} target")
for r in rows:
    print(f"{r[0]:34s} {r[1]:30s} {r[2]}")
if dp_drops:
    print(f"note: voxrelay-dp dropped over all trials: {dp_drops}"
          + (" (tx_full: its TX into the memif toward the generator was full, i.e. the generator's"
             " receive on its shared cpu 0 fell behind)" if "tx_full" in dp_drops else ""))
res = {
    "streams": int(streams), "frame_len": row["frame_len"], "window_s": float(window), "trial_s": float(trial),
    "max_rate_pps": max_rate, "dp_drops_all_trials": dp_drops or None, "version": version,
    "gen_mpps_per_core": round(gen, 4),
    "testpmd_txonly_mpps_per_core": round(tp, 4),
    "ratio": round(ratio, 4),
    "ndr_mpps": ndr,
    "latency_p50_us": row["p50_us"],
    "latency_p99_us": row["p99_us"],
}
print(json.dumps(res))
PY
}

# ---------------------------------------------------------------------------
# the relay's fan-out core on one core: no DPDK, no hugepages, no sender

RELAY_BIN=$BUILD/pktgen/voxrelay-relay-bench
RELAY_ROOMS=""
QUICK=0

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
	[ "$QUICK" = 1 ] && args+=(--quick)
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
# the chat gateway: voxrelay-cp alone on the last cpu; its redis-server and the
# load client (voxrelay-gw-load) on cpu 0

CP_BIN=$BUILD/controlplane/voxrelay-cp
GWLOAD_BIN=$BUILD/pktgen/voxrelay-gw-load
GW_CONNS_ARG=""
GW_CHATS_ARG=""
GW_HOLD_ARG=""
SYSCTL_RESTORE=()

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# "some avg10" of /proc/pressure/cpu: the share of time something waited for a cpu (shared machines)
cpu_pressure() {
	awk '/^some/ {sub("avg10=", "", $2); print $2}' /proc/pressure/cpu 2>/dev/null || echo null
}

# sysctl_at_least KEY VALUE: raise KEY for this run only (restored on exit)
sysctl_at_least() {
	local key=$1 want=$2 cur
	cur=$(sysctl -n "$key")
	[ "$cur" -ge "$want" ] && return 0
	SYSCTL_RESTORE+=("$key=$cur")
	sysctl -q -w "$key=$want"
	log "$key raised from $cur to $want for this run"
}

# gw_start TAG: a fresh redis-server and voxrelay-cp (REDIS_PID, CP_PID, CP_PORT)
gw_start() {
	local tag=$1 rport i
	rport=$(free_port)
	rm -rf "$OUT/$tag.redis"
	mkdir -p "$OUT/$tag.redis"
	# AOF fsynced once a second, not on every write as in tests/cp: the
	# benchmark measures the gateway, and appendfsync always would make every
	# send_message wait for the disk of a shared VM
	taskset -c "$GW_CLIENT_CPU" redis-server --port "$rport" --bind 127.0.0.1 --dir "$OUT/$tag.redis" \
		--appendonly yes --appendfsync everysec --save "" --daemonize no \
		--logfile "$OUT/$tag.redis.log" >/dev/null 2>&1 &
	REDIS_PID=$!
	PIDS+=("$REDIS_PID")
	for i in $(seq 100); do
		redis-cli -p "$rport" ping >/dev/null 2>&1 && break
		kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited (see $OUT/$tag.redis.log)"
		sleep 0.1
	done
	CP_PORT=$(free_port)
	# the test suite's configuration (tests/cp/cputil.py): a file for voxrelay-cp alone
	cat >"$OUT/$tag.yaml" <<-EOF
	controlplane:
	  listen:
	    address: 127.0.0.1
	    port: $CP_PORT
	  redis:
	    url: redis://127.0.0.1:$rport/0
	  auth:
	    hs256_secret_file: $OUT/jwt.secret
	    timeout: 60s
	  heartbeat_interval: 30s
	  presence_ttl: 90s
	  web_root: $ROOT/controlplane/web
	EOF
	# limits for a benchmark: room for every connection, and a rate limit
	# (100,000 messages per user per second) that a sender never reaches
	WS_MAX_CONNECTIONS=$GW_MAX_CONNS WS_MAX_CONNECTIONS_PER_USER=5 \
		WS_RATE_LIMIT_MAX_MESSAGES=100000 WS_RATE_LIMIT_WINDOW=1000 \
		taskset -c "$GW_SERVER_CPU" "$OUT/bin/voxrelay-cp" -c "$OUT/$tag.yaml" >"$OUT/$tag.cp.log" 2>&1 &
	CP_PID=$!
	PIDS+=("$CP_PID")
	wait_line "$OUT/$tag.cp.log" 'voxrelay-cp: ready' 30 "$CP_PID"
	# its Redis connections (commands and pub/sub) come up after "ready"
	sleep 1
}

gw_stop() {
	stop_pid "$CP_PID"
	stop_pid "$REDIS_PID"
	rm -rf "$OUT/$1.redis"
}

# gw_client TAG ARGS...: voxrelay-gw-load on cpu 0 in the background (GWC_PID), log in OUT/TAG.client.log
gw_client() {
	local tag=$1
	shift
	taskset -c "$GW_CLIENT_CPU" "$OUT/bin/voxrelay-gw-load" --secret "$OUT/jwt.secret" --port "$CP_PORT" \
		--server-pid "$CP_PID" --redis-pid "$REDIS_PID" --json "$@" >"$OUT/$tag.client.log" 2>&1 &
	GWC_PID=$!
	PIDS+=("$GWC_PID")
}

# gw_client_wait TAG: wait for the client, show its log, keep its JSON line in OUT/TAG.json
gw_client_wait() {
	local tag=$1 rc=0
	wait "$GWC_PID" || rc=$?
	forget_pid "$GWC_PID"
	cat "$OUT/$tag.client.log" >&2
	tail -n 1 "$OUT/$tag.client.log" | grep '^{' >"$OUT/$tag.json" || die "$tag: voxrelay-gw-load wrote no result (exit $rc)"
	[ "$rc" = 0 ] || log "$tag: voxrelay-gw-load exited $rc (failures above); its figures are kept"
}

json_get() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

bench_gateway() {
	local conns chats window warmup hold need hard limited="" rate p0 perf_pid="" cpus requested
	if [ "$DO_DEPS" = 1 ]; then
		"$ROOT/scripts/deps.sh"
	fi
	if [ "$DO_BUILD" = 1 ]; then
		[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" >/dev/null
		ninja -C "$BUILD" controlplane/voxrelay-cp pktgen/voxrelay-gw-load >/dev/null
	fi
	[ -x "$CP_BIN" ] || die "$CP_BIN is missing (build it or drop --no-build)"
	[ -x "$GWLOAD_BIN" ] || die "$GWLOAD_BIN is missing (build it or drop --no-build)"
	command -v redis-server >/dev/null || die "redis-server is missing (Debian package redis-server)"
	if [ "$DO_PERF" = 1 ]; then
		command -v perf >/dev/null || die "--perf needs perf (Debian package linux-perf)"
	fi
	if [ "$QUICK" = 1 ]; then
		conns=${GW_CONNS_ARG:-2000} chats=${GW_CHATS_ARG:-100} window=${GW_WINDOW:-5} warmup=${GW_WARMUP:-2}
		hold=${GW_HOLD_ARG:-3}
	else
		conns=${GW_CONNS_ARG:-$GW_CONNS} chats=${GW_CHATS_ARG:-$GW_CHATS} window=${GW_WINDOW:-$GW_WINDOW_DEFAULT}
		warmup=${GW_WARMUP:-3} hold=${GW_HOLD_ARG:-$GW_HOLD}
	fi
	cpus=$(nproc)
	GW_CLIENT_CPU=0
	GW_SERVER_CPU=$((cpus - 1))
	[ "$cpus" -ge 2 ] || log "one cpu: server, client and Redis all share cpu 0; the figures say little"
	OUT=${OUT:-$BUILD/bench/gateway-$(date -u +%Y%m%dT%H%M%SZ)}
	mkdir -p "$OUT/bin"
	log "logs and results in $OUT"
	# run copies: a rebuild during the run must not change what is measured
	cp "$CP_BIN" "$GWLOAD_BIN" "$OUT/bin/"
	VERSION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
	openssl rand -hex 32 >"$OUT/jwt.secret"

	# One descriptor per connection on each side (voxrelay-cp and the client
	# are separate processes, each with this limit). Raising the hard limit
	# needs CAP_SYS_RESOURCE; without it the run is cut to what fits.
	requested=$conns
	need=$((conns + 1024))
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
		ulimit -Hn "$need" 2>/dev/null || true
		hard=$(ulimit -Hn)
	fi
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
		limited="RLIMIT_NOFILE hard limit $hard (raising it needs CAP_SYS_RESOURCE)"
		log "$conns connections need $need file descriptors per process; $limited: (a) runs $((hard - 1024)) connections"
		conns=$((hard - 1024))
		need=$hard
	fi
	ulimit -n "$need"
	GW_MAX_CONNS=$((conns + 1000 > 1000000 ? 1000000 : conns + 1000))
	# The client spreads its connections over loopback sources 127.0.0.1..K
	# (about 25,000 each), so the ephemeral port range needs no change. The
	# listen backlog is SOMAXCONN (4096) capped by net.core.somaxconn, and the
	# client opens at most 512 at once.
	sysctl_at_least net.core.somaxconn 1024
	sysctl_at_least net.ipv4.tcp_max_syn_backlog 1024
	printf 'date=%s cpu=%s cpus=%s version=%s server_cpu=%s client_and_redis_cpu=%s ulimit_n=%s port_range=%s somaxconn=%s loadavg=%s cpu_pressure_avg10=%s\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$cpus" \
		"$VERSION" "$GW_SERVER_CPU" "$GW_CLIENT_CPU" "$(ulimit -n)" \
		"$(sysctl -n net.ipv4.ip_local_port_range | tr '\t' -)" "$(sysctl -n net.core.somaxconn)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)" "$(cpu_pressure)" | tee "$OUT/conditions.txt" >&2
	[ "$cpus" -le 2 ] && log "only $cpus cpus: the load client and redis-server share cpu $GW_CLIENT_CPU, voxrelay-cp has cpu $GW_SERVER_CPU"

	log "(a) $conns connections, held ${hold} s"
	p0=$(cpu_pressure)
	gw_start conn
	gw_client conn --connect "$conns" --hold "$hold"
	gw_client_wait conn
	gw_stop conn
	echo "{\"before\": $p0, \"after\": $(cpu_pressure)}" >"$OUT/conn.pressure.json"

	log "(b) $chats chats of 10, flat out: ${warmup} s warm-up, ${window} s window"
	p0=$(cpu_pressure)
	gw_start fanout
	gw_client fanout --fanout --chats "$chats" --warmup "$warmup" --duration "$window"
	if [ "$DO_PERF" = 1 ]; then
		wait_line "$OUT/fanout.client.log" 'chats ready' 300 "$GWC_PID"
		sleep "$warmup"
		perf record -q -g -p "$CP_PID" -o "$OUT/fanout.perf.data" -- sleep "$window" >/dev/null 2>&1 &
		perf_pid=$!
		PIDS+=("$perf_pid")
	fi
	gw_client_wait fanout
	if [ -n "$perf_pid" ]; then
		wait "$perf_pid" || true
		forget_pid "$perf_pid"
		perf report -i "$OUT/fanout.perf.data" -g none --no-children --percentage relative --sort dso,sym \
			--stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 40 >"$OUT/fanout.perf.txt" || true
		log "perf: $OUT/fanout.perf.txt"
	fi
	gw_stop fanout
	echo "{\"before\": $p0, \"after\": $(cpu_pressure)}" >"$OUT/fanout.pressure.json"

	# half the message rate (b) sustained, paced evenly over the senders
	rate=$(python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["sent_per_sec"] / 2))' "$OUT/fanout.json")
	[ "$rate" -gt 0 ] || die "(b) sent nothing; no rate for (c)"
	log "(c) $chats chats of 10 at $rate messages/s (half of (b)): ${warmup} s warm-up, ${window} s window"
	p0=$(cpu_pressure)
	gw_start latency
	gw_client latency --fanout --chats "$chats" --warmup "$warmup" --duration "$window" --rate "$rate"
	gw_client_wait latency
	gw_stop latency
	echo "{\"before\": $p0, \"after\": $(cpu_pressure)}" >"$OUT/latency.pressure.json"

	echo
	python3 - "$OUT" "$requested" "${limited:-}" "$VERSION" "$cpus" <<'PY' | tee "$OUT/summary.txt"
import json, sys
out, requested, limited, version, cpus = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
a = json.load(open(f"{out}/conn.json"))
b = json.load(open(f"{out}/fanout.json"))
c = json.load(open(f"{out}/latency.json"))
press = {k: json.load(open(f"{out}/{k}.pressure.json")) for k in ("conn", "fanout", "latency")}
rss = a["rss_bytes_per_connection"]
core = b["delivered_per_sec_per_core"]
rows = [
    ("(a) connections ready", f"{a['connections']:,} of {a['requested']:,}", "100,000", ""),
    ("    server RSS per connection", f"{rss:,.0f} B", "<= 10,240 B", f"{rss / 10240:.2f} of the budget"),
    ("(b) deliveries/s per server core", f"{core:,.0f}", ">= 200,000", f"{core / 200000:.2f} of the target"),
    ("    wall clock", f"{b['sent_per_sec']:,.0f} msg/s, {b['delivered_per_sec']:,.0f} deliveries/s", "", ""),
    ("    cpu share: server / redis / client", f"{b['server_cpu_share']:.2f} / {b['redis_cpu_share']:.2f} / {b['client_cpu_share']:.2f}", "", ""),
    (f"(c) latency at {c['rate_target']:,.0f} msg/s", f"p50 {c['p50_ms']:.2f} p95 {c['p95_ms']:.2f} p99 {c['p99_ms']:.2f} ms",
     "p99 <= 10 ms", f"p99 {c['p99_ms'] / 10:.2f} x the target"),
    ("    promised to users", "", "p95 <= 50, p99 <= 100 ms",
     "met" if c["p95_ms"] <= 50 and c["p99_ms"] <= 100 else "NOT met"),
]
print(f"{'gateway':40s} {'measured':44s} {'target':26s}")
for r in rows:
    print(f"{r[0]:40s} {r[1]:44s} {r[2]:26s} {r[3]}")
notes = []
if limited:
    notes.append(f"connections limited by {limited}")
if cpus <= 2:
    notes.append(f"{cpus} cpus: voxrelay-cp alone on cpu {cpus - 1}, the load client and redis-server share cpu 0")
for k, v in press.items():
    if v["after"] is not None and v["before"] is not None and max(v["before"], v["after"]) > 10:
        notes.append(f"cpu pressure during {k}: {v['before']}..{v['after']} % (other processes competed for the cpus)")
for n in notes:
    print("note:", n)
res = {
    "connections": a["connections"],
    "rss_bytes_per_connection": round(rss, 1),
    "delivered_per_sec_per_core": round(core, 1),
    "p50_ms": c["p50_ms"], "p95_ms": c["p95_ms"], "p99_ms": c["p99_ms"],
    "connections_requested": requested,
    "connections_limited_by": limited or None,
    "server_rss_before": a["server_rss_before"], "server_rss_end": a["server_rss_end"],
    "chats": b["chats"], "members": b["members"],
    "flat_out_messages_per_sec": b["sent_per_sec"], "flat_out_delivered_per_sec": b["delivered_per_sec"],
    "flat_out_server_cpu_share": b["server_cpu_share"], "flat_out_redis_cpu_share": b["redis_cpu_share"],
    "flat_out_client_cpu_share": b["client_cpu_share"],
    "latency_rate_messages_per_sec": c["rate_target"], "latency_delivered_per_sec": c["delivered_per_sec"],
    "latency_server_cpu_share": c["server_cpu_share"], "max_ms": c["max_ms"],
    "errors": a["failed"] + a["closed_during_hold"] + b["send_errors"] + b["closed"] + c["send_errors"] + c["closed"],
    "missing_deliveries": b["missing"] + c["missing"],
    "cpu_pressure_avg10": press, "cpus": cpus, "window_s": b["window_s"], "version": version,
}
print(json.dumps(res))
PY
}

# ---------------------------------------------------------------------------
# the AF_XDP steering program (bpf/steer.bpf.c): (1) its cost per packet under
# BPF_PROG_TEST_RUN (voxrelay-steer-bench), (2) voxrelay-dp's forwarding on
# net_af_xdp over a veth with DPDK's default XDP program and with steer: true

STEER_BENCH_BIN=$BUILD/tests/bpf/voxrelay-steer-bench
STEER_OBJ=$BUILD/bpf/steer.bpf.o
# namespaces of our own, not the lab's: a lab test running beside the
# benchmark keeps its lab, and no lab lock is needed
XDP_NS_GEN=vr-bx-gen
XDP_NS_DP=vr-bx-dp
XDP_GEN_DEV=gen0
XDP_CTL_SOCK=/run/voxrelay/bench-xdp-dp.sock
XDP_FILE_PREFIX=vr-bench-xdp-dp
# the first port of the lab's voice VIP (conf/lab.yaml: 10.77.100.1 ports 50000-50999)
XDP_PORT=50000
XDP_FLOWS_DEFAULT=10000
# short windows, many rounds: on a shared machine alternating often says more
# than measuring long
XDP_WINDOW_DEFAULT=5
XDP_ROUNDS_DEFAULT=5
XDP_FLOWS=""
XDP_WINDOW=""
XDP_ROUNDS=""
XDP_REPEAT=""
XDP_PACKETS=""
XDP_SOURCES=""
XDP_FORWARD=1
# the steering program's rate limit in (2): per source, far above what one of
# XDP_FLOWS sources sends at any rate a veth reaches, so it costs its bucket
# update per packet but drops nothing
XDP_RATE_PPS=1000
XDP_BURST=2000

# The veth of (2): gen0 in XDP_NS_GEN (the sender, with the MAC of the lab
# router's side) to lb0 in XDP_NS_DP (voxrelay-dp, the lab's MAC). Neither kernel side
# has an address; IPv6 and ARP off so the kernels send nothing of their own.
xdp_netns_up() {
	local ns
	# shellcheck source=SCRIPTDIR/lab/topology.sh
	. "$ROOT/scripts/lab/topology.sh"
	for ns in "$XDP_NS_GEN" "$XDP_NS_DP"; do
		# ours by name: left over by a run that was killed
		ip netns del "$ns" 2>/dev/null || true
		ip netns add "$ns"
		NETNS_CREATED+=("$ns")
		ip -n "$ns" link set lo up
	done
	ip link add "$XDP_GEN_DEV" netns "$XDP_NS_GEN" address "$LAB_RT_LMAC" type veth \
		peer name "$LAB_LB_DEV" netns "$XDP_NS_DP" address "$LAB_LB_MAC"
	ip netns exec "$XDP_NS_GEN" sysctl -qw "net.ipv6.conf.$XDP_GEN_DEV.disable_ipv6=1"
	ip netns exec "$XDP_NS_DP" sysctl -qw "net.ipv6.conf.$LAB_LB_DEV.disable_ipv6=1"
	ip -n "$XDP_NS_GEN" link set "$XDP_GEN_DEV" arp off up
	ip -n "$XDP_NS_DP" link set "$LAB_LB_DEV" arp off up
}

# xdp_dp_config OUTFILE VARIANT: the lab's balancer (conf/lab.yaml's balancer
# section) on lb0, replies to the sender's MAC; VARIANT steer adds steer: true
# with the run's copy of steer.bpf.o and a per-source rate limit
xdp_dp_config() {
	local out=$1 variant=$2
	{
		cat <<-EOF
		# written by scripts/bench.sh xdp ($variant); the balancer section is conf/lab.yaml's
		dataplane:
		  role: balancer
		  eal:
		    file_prefix: $XDP_FILE_PREFIX
		    main_lcore: 0
		    huge: true
		    memory_mb: 256
		    args: ["--log-level=lib.eal:error", "--huge-unlink"]
		  control:
		    socket: $XDP_CTL_SOCK
		  worker_lcores: [1]
		  mbufs: 8191
		  burst: 32
		  stats_interval: 0s
		EOF
		if [ "$variant" = steer ]; then
			cat <<-EOF
			  xdp_filter:
			    rate_pps: $XDP_RATE_PPS
			    burst: $XDP_BURST
			EOF
		fi
		cat <<-EOF
		  ports:
		    - name: lb0
		      device: "net_af_xdp0,iface=$LAB_LB_DEV"
		      mtu: 1500
		      ipv4: $LAB_LB4
		      ipv6: $LAB_LB6
		      gateway_ipv4: $LAB_RT_L4
		      gateway_ipv6: $LAB_RT_L6
		      # no ARP: the sender's AF_XDP socket takes everything that reaches gen0
		      gateway_mac: "$LAB_RT_LMAC"
		EOF
		if [ "$variant" = steer ]; then
			cat <<-EOF
			      steer: true
			      steer_program: $OUT/bin/steer.bpf.o
			EOF
		fi
		echo
		sed -n '/^balancer:/,$p' "$ROOT/conf/lab.yaml"
	} >"$out"
	grep -q "address: $LAB_VIP4\$" "$out" || die "conf/lab.yaml has no VIP $LAB_VIP4"
	"$DP_BIN" --check-config "$out" >/dev/null
}

# cpu_snap PID: "CPU ticks of PID (all threads)  /proc/pressure/cpu some total (us)  CLOCK_REALTIME ns"
cpu_snap() {
	printf '%s %s %s\n' "$(sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}')" \
		"$(awk -F'total=' '/^some/ {print $2}' /proc/pressure/cpu 2>/dev/null || echo 0)" "$(date +%s%N)"
}

# telemetry_get CMD: one DPDK telemetry request to voxrelay-dp (XDP_FILE_PREFIX), its JSON on stdout
telemetry_get() {
	python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1]); from bench_stats import Telemetry
print(json.dumps(Telemetry(sys.argv[2]).query(sys.argv[3])))' "$ROOT/pktgen" \
		"/var/run/dpdk/$XDP_FILE_PREFIX/dpdk_telemetry.v2" "$1"
}

# xdp_fwd_run TAG VARIANT ROUND FLOWS WINDOW: voxrelay-dp on lb0 (worker cpu 1)
# with VARIANT's XDP program, voxrelay-blast on gen0 (cpu 0) flat out; one
# record in OUT/fwd.jsonl
xdp_fwd_run() {
	local tag=$1 variant=$2 round=$3 flows=$4 window=$5 dp_pid xdp perf_pid=""
	xdp_dp_config "$OUT/$tag.yaml" "$variant"
	ip netns exec "$XDP_NS_DP" "$DP_BIN" -c "$OUT/$tag.yaml" --stats-json "$OUT/$tag.dp.json" \
		>"$OUT/$tag.dp.log" 2>&1 &
	dp_pid=$!
	PIDS+=("$dp_pid")
	wait_line "$OUT/$tag.dp.log" 'voxrelay-dp: ready' 60 "$dp_pid"
	# what is attached: DPDK's default program (through libxdp) or ours
	xdp=$(ip -n "$XDP_NS_DP" -d link show "$LAB_LB_DEV" | grep -oE 'prog/xdp[a-z]* id [0-9]+( name [^ ]+)?' | head -n 1 || true)
	log "$tag: lb0 has ${xdp:-no XDP program?}"
	ip netns exec "$XDP_NS_GEN" "$BLAST_BIN" -l 0 --file-prefix vr-bench-xdp-gen --no-pci \
		--log-level=lib.eal:error --vdev "net_af_xdp0,iface=$XDP_GEN_DEV" -- \
		--duration 0 --flows "$flows" --size "$FRAME" --vip "$LAB_VIP4" --port "$XDP_PORT" \
		--dst-mac "$LAB_LB_MAC" --json "$OUT/$tag.blast.json" >"$OUT/$tag.blast.log" 2>&1 &
	BLAST_PID=$!
	PIDS+=("$BLAST_PID")
	wait_line "$OUT/$tag.blast.log" 'link up' 60 "$BLAST_PID"
	wait_line "$OUT/$tag.blast.log" 'sent once' 60 "$BLAST_PID"
	sleep "$WARMUP"
	cpu_snap "$BLAST_PID" >"$OUT/$tag.cpu.txt"
	if [ "$DO_PERF" = 1 ]; then
		# cpu 0: the veth delivers to lb0 on the cpu that sent, so lb0's XDP
		# program runs there, in the sender's softirq; call graphs, so that
		# the program's line also counts the helpers it calls
		perf record -q -g -e cpu-clock -F 4000 -C 0 -o "$OUT/$tag.perf.data" -- sleep "$window" >/dev/null 2>&1 &
		perf_pid=$!
		PIDS+=("$perf_pid")
	fi
	python3 "$STATS" sample --pid "$dp_pid" --out "$OUT/$tag.samples.jsonl" --samples "$window" --interval 1 \
		--telemetry "/var/run/dpdk/$XDP_FILE_PREFIX/dpdk_telemetry.v2"
	cpu_snap "$BLAST_PID" >>"$OUT/$tag.cpu.txt"
	if [ -n "$perf_pid" ]; then
		wait "$perf_pid" || true
		forget_pid "$perf_pid"
		perf report -i "$OUT/$tag.perf.data" --children --percentage relative --sort sym --stdio 2>/dev/null |
			grep -v '^#' | grep -E '^ +[0-9]' | head -n 60 >"$OUT/$tag.perf.txt" || true
	fi
	if [ "$variant" = steer ]; then
		telemetry_get /voxrelay/steer >"$OUT/$tag.steer.json" || log "$tag: no /voxrelay/steer answer"
	fi
	stop_pid "$BLAST_PID"
	stop_pid "$dp_pid"
	[ -s "$OUT/$tag.dp.json" ] || die "voxrelay-dp wrote no $OUT/$tag.dp.json"
	python3 - "$OUT" "$tag" "$variant" "$round" "$flows" "$xdp" <<'PY' | tee -a "$OUT/fwd.jsonl" >&2
import json, os, sys
out, tag, variant, rnd, flows, xdp = sys.argv[1:]
s = [json.loads(l) for l in open(f"{out}/{tag}.samples.jsonl") if l.strip()]
final = json.load(open(f"{out}/{tag}.dp.json"))
def rate(a, b, key):
    return (b["stats"][key] - a["stats"][key]) / ((b["wall_ns"] - a["wall_ns"]) / 1e9) / 1e6
first, last = s[0], s[-1]
wall = (last["wall_ns"] - first["wall_ns"]) / 1e9
cpu = sum(last["oncpu_ns"][t] - first["oncpu_ns"][t] for t in last["oncpu_ns"]) / 1e9
rec = {
    "tag": tag, "variant": variant, "round": int(rnd), "flows": int(flows), "xdp": xdp, "window_s": round(wall, 3),
    "fwd_mpps": round(rate(first, last, "tx_packets"), 4),
    "rx_mpps": round(rate(first, last, "rx_packets"), 4),
    "fwd_mpps_per_second": [round(rate(a, b, "tx_packets"), 4) for a, b in zip(s, s[1:])],
    "worker_cpu_share": round(min(1.0, cpu / wall), 4),
    "drops": {k: v for k, v in final.get("drops", {}).items() if v},
}
# the sender's CPU time (its own work and the softirq of both veth ends it
# runs inline) and how long something waited for a cpu, over the window
(t0, p0, n0), (t1, p1, n1) = [[int(x) for x in l.split()] for l in open(f"{out}/{tag}.cpu.txt")]
span = (n1 - n0) / 1e9
rec["sender_cpu_share"] = round((t1 - t0) / os.sysconf("SC_CLK_TCK") / span, 3)
rec["cpu_pressure_some"] = round((p1 - p0) / 1e6 / span, 3)
b = f"{out}/{tag}.blast.json"
if os.path.exists(b):
    rec["sender_tx_mpps"] = json.load(open(b)).get("tx_mpps")
# with --perf: the XDP program's share of cpu 0 (itself and the helpers it
# calls) in ns per packet the dataplane received
pf = f"{out}/{tag}.perf.txt"
if os.path.exists(pf):
    for line in open(pf):
        f = line.split()
        if len(f) >= 5 and f[4].startswith("bpf_prog_") and f[4].endswith(("_vr_steer_xdp", "_xsk_def_prog")):
            share = float(f[0].rstrip("%")) / 100
            rec["xdp_prog_cpu0_share"] = round(share, 4)
            rec["xdp_prog_ns_per_packet"] = round(share * 1e3 / rec["rx_mpps"], 1) if rec["rx_mpps"] else None
            break
st = f"{out}/{tag}.steer.json"
if os.path.exists(st) and os.path.getsize(st) > 0:
    rec["steer"] = json.load(open(st))
print(json.dumps(rec))
PY
}

bench_xdp() {
	local cpus cpu args=() flows window rounds r v order
	if [ "$DO_DEPS" = 1 ]; then
		"$ROOT/scripts/deps.sh"
	fi
	if [ "$DO_BUILD" = 1 ]; then
		[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" >/dev/null
		local targets=(tests/bpf/voxrelay-steer-bench)
		[ "$XDP_FORWARD" = 1 ] && targets+=(dataplane/dp/voxrelay-dp pktgen/voxrelay-blast bpf/steer.bpf.o)
		ninja -C "$BUILD" "${targets[@]}" >/dev/null
	fi
	[ -x "$STEER_BENCH_BIN" ] || die "$STEER_BENCH_BIN is missing (build it or drop --no-build)"
	if [ "$DO_PERF" = 1 ]; then
		command -v perf >/dev/null || die "--perf needs perf (Debian package linux-perf)"
	fi
	if [ "$QUICK" = 1 ]; then
		flows=${XDP_FLOWS:-$XDP_FLOWS_DEFAULT} window=${XDP_WINDOW:-3} rounds=${XDP_ROUNDS:-2}
		WARMUP=${GW_WARMUP:-1}
	else
		flows=${XDP_FLOWS:-$XDP_FLOWS_DEFAULT} window=${XDP_WINDOW:-$XDP_WINDOW_DEFAULT} rounds=${XDP_ROUNDS:-$XDP_ROUNDS_DEFAULT}
		WARMUP=${GW_WARMUP:-2}
	fi
	[ "$rounds" -ge 2 ] || die "--rounds: at least 2 per variant (the machine is shared; one window says little)"
	cpus=$(nproc)
	OUT=${OUT:-$BUILD/bench/xdp-$(date -u +%Y%m%dT%H%M%SZ)}
	mkdir -p "$OUT/bin"
	log "logs and results in $OUT"
	# run copies: a rebuild during the run must not change what is measured
	cp "$STEER_BENCH_BIN" "$OUT/bin/"
	VERSION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
	printf 'date=%s cpu=%s cpus=%s kernel=%s version=%s flows=%s window_s=%s rounds=%s loadavg=%s cpu_pressure_avg10=%s\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$cpus" \
		"$(uname -r)" "$VERSION" "$flows" "$window" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)" \
		"$(cpu_pressure)" | tee "$OUT/conditions.txt" >&2

	# (1) on the last cpu: cpu 0 is where the rest of the machine tends to run
	cpu=$((cpus - 1))
	[ "$QUICK" = 1 ] && args+=(--quick)
	[ -n "$XDP_REPEAT" ] && args+=(--repeat "$XDP_REPEAT")
	[ -n "$XDP_PACKETS" ] && args+=(--packets "$XDP_PACKETS")
	[ -n "$XDP_SOURCES" ] && args+=(--sources "$XDP_SOURCES")
	log "(1) voxrelay-steer-bench on cpu $cpu ${args[*]}"
	"$OUT/bin/voxrelay-steer-bench" --cpu "$cpu" "${args[@]}" | tee "$OUT/test_run.log" >&2
	tail -n 1 "$OUT/test_run.log" | grep '^{' >"$OUT/test_run.json" || die "voxrelay-steer-bench wrote no result"

	: >"$OUT/fwd.jsonl"
	if [ "$XDP_FORWARD" = 1 ]; then
		[ -x "$DP_BIN" ] || die "$DP_BIN is missing (build it or drop --no-build)"
		[ -x "$BLAST_BIN" ] || die "$BLAST_BIN is missing (build it or drop --no-build)"
		[ -r "$STEER_OBJ" ] || die "$STEER_OBJ is missing (build it or drop --no-build)"
		[ "$cpus" -ge 2 ] || die "(2) needs 2 cpus (cpu 0: sender and main lcore, cpu 1: the worker)"
		ensure_hugepages
		cp "$DP_BIN" "$BLAST_BIN" "$STEER_OBJ" "$OUT/bin/"
		DP_BIN=$OUT/bin/voxrelay-dp BLAST_BIN=$OUT/bin/voxrelay-blast
		xdp_netns_up
		for ((r = 1; r <= rounds; r++)); do
			# the order flips every round so that a drift of the machine's load
			# does not always favour the same variant
			if ((r % 2)); then order="default steer"; else order="steer default"; fi
			for v in $order; do
				log "(2) round $r/$rounds, $v XDP program: $flows sources flat out from cpu 0, ${WARMUP} s + ${window} s"
				xdp_fwd_run "r$r-$v" "$v" "$r" "$flows" "$window"
			done
		done
	fi

	echo
	python3 - "$OUT" "$VERSION" "$XDP_FORWARD" <<'PY' | tee "$OUT/summary.txt"
import json, re, statistics, sys
out, version, forward = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
t = json.load(open(f"{out}/test_run.json"))
recs = [json.loads(l) for l in open(f"{out}/fwd.jsonl") if l.strip()]
res = {k: t[k] for k in ("ns_per_packet_voice", "ns_per_packet_junk", "drop_mpps_per_core")}
print(f"{'(1) BPF_PROG_TEST_RUN, repeat ' + str(t['repeat']):44s} ns/packet  net of baseline")
for name, key in (("baseline: trivial XDP_PASS program", "baseline_ns"),
                  ("voice, rate limit on (XDP_REDIRECT)" if t["xsk"] else "voice, rate limit on (no socket: XDP_PASS)",
                   "ns_per_packet_voice"),
                  ("voice, rate limit off", "ns_per_packet_voice_no_rate_limit"),
                  ("junk (0x45, RTP v3, short, fragment)", "ns_per_packet_junk"),
                  ("flood (one source over its rate)", "ns_per_packet_flood"),
                  ("drop path: (junk + flood) / 2", "ns_per_packet_drop")):
    print(f"{name:44s} {t[key]:9.2f}  {t[key] - t['baseline_ns']:9.2f}")
print(f"{'drop Mpps per core = 1000 / drop path ns':44s} {t['drop_mpps_per_core']:9.2f}")
print(f"{str(t['sources']) + ' sources, each run once (repeat 1):':44s} {'':9s}  net of the trivial program run so")
print(f"{'  voice, rate limit on':44s} {'':9s}  {t['net_ns_voice_many_sources']:9.2f}")
print(f"{'  voice, rate limit off':44s} {'':9s}  {t['net_ns_voice_many_sources_no_rate_limit']:9.2f}")
for k in ("ns_per_packet_flood", "ns_per_packet_voice_no_rate_limit", "ns_per_packet_drop", "baseline_ns",
          "net_ns_voice", "net_ns_junk", "net_ns_flood", "net_ns_voice_many_sources",
          "net_ns_voice_many_sources_no_rate_limit", "flood_passed_fraction", "xsk"):
    res[k] = t[k]
res.update({"test_run_repeat": t["repeat"], "test_run_packets_per_class": t["packets_per_class"],
            "test_run_sources": t["sources"], "test_run_passes": t["passes"],
            "test_run_rounds": t["rounds"], "test_run_cpu": t["cpu"]})
if forward and recs:
    by = {v: [r for r in recs if r["variant"] == v] for v in ("default", "steer")}
    med = {v: statistics.median(r["fwd_mpps"] for r in by[v]) for v in by}
    paired = [s["fwd_mpps"] / d["fwd_mpps"] for d in by["default"] for s in by["steer"]
              if s["round"] == d["round"] and d["fwd_mpps"] > 0]
    print()
    print(f"(2) voxrelay-dp on net_af_xdp over a veth, {recs[0]['flows']} sources, {recs[0]['window_s']:.0f} s windows")
    print(f"{'round':6s} {'XDP program':30s} {'fwd Mpps':>9s} {'sent Mpps':>10s} {'worker cpu':>11s} "
          f"{'sender cpu':>11s} {'cpu pressure':>13s}")
    for r in recs:
        print(f"{r['round']:<6d} {('default: ' if r['variant'] == 'default' else 'steer: ') + r['xdp'].split(' name ')[-1]:30s} "
              f"{r['fwd_mpps']:9.3f} {r.get('sender_tx_mpps') or 0:10.3f} {r['worker_cpu_share']:11.2f} "
              f"{r['sender_cpu_share']:11.2f} {r['cpu_pressure_some']:13.2f}")
    ratio = med["steer"] / med["default"] if med["default"] else None
    print(f"median fwd Mpps: default {med['default']:.3f}, steer {med['steer']:.3f}; ratio steer / default "
          + (f"{ratio:.3f}" if ratio is not None else "-") + "; paired per round: " + " ".join(f"{p:.3f}" for p in paired))
    prof = {v: [r["xdp_prog_ns_per_packet"] for r in by[v] if r.get("xdp_prog_ns_per_packet")] for v in by}
    if prof["default"] and prof["steer"]:
        print("XDP program on cpu 0 (perf, with the helpers it calls), ns per packet: default "
              + " ".join(f"{x:.0f}" for x in prof["default"]) + "; steer " + " ".join(f"{x:.0f}" for x in prof["steer"]))
        res["xdp_prog_ns_default"] = round(statistics.median(prof["default"]), 1)
        res["xdp_prog_ns_steer"] = round(statistics.median(prof["steer"]), 1)
    disturbed = [r["tag"] for r in recs if r["worker_cpu_share"] < 0.9]
    if disturbed:
        print("note: the worker had less than 0.9 of its cpu in " + ", ".join(disturbed)
              + ": other processes took it, and those windows measure them")
    drops = {r["tag"]: r["drops"] for r in recs if r["drops"]}
    if drops:
        print("note: voxrelay-dp dropped:", json.dumps(drops))
    steer_seen = [r.get("steer") for r in by["steer"] if r.get("steer")]
    res.update({
        "fwd_mpps_default": round(med["default"], 4), "fwd_mpps_steer": round(med["steer"], 4),
        "ratio": round(ratio, 4) if ratio is not None else None,
        "ratio_paired_median": round(statistics.median(paired), 4) if paired else None,
        "fwd_mpps_default_rounds": [r["fwd_mpps"] for r in by["default"]],
        "fwd_mpps_steer_rounds": [r["fwd_mpps"] for r in by["steer"]],
        "rx_mpps_default_rounds": [r["rx_mpps"] for r in by["default"]],
        "rx_mpps_steer_rounds": [r["rx_mpps"] for r in by["steer"]],
        "sender_tx_mpps_rounds": {r["tag"]: r.get("sender_tx_mpps") for r in recs},
        "worker_cpu_share_rounds": {r["tag"]: r["worker_cpu_share"] for r in recs},
        "sender_cpu_share_rounds": {r["tag"]: r["sender_cpu_share"] for r in recs},
        "cpu_pressure_rounds": {r["tag"]: r["cpu_pressure_some"] for r in recs},
        "xdp_programs": sorted({f"{r['variant']}: " + re.sub(r" id [0-9]+", "", r["xdp"]) for r in recs}),
        "fwd_flows": recs[0]["flows"], "fwd_window_s": recs[0]["window_s"],
        "steer_counters_last": steer_seen[-1] if steer_seen else None,
        "dp_drops": drops or None,
    })
else:
    print("(2) skipped (--no-forward)")
res["version"] = version
print(json.dumps(res))
PY
}

# ---------------------------------------------------------------------------

[ $# -ge 1 ] || { usage; exit 2; }
cmd=$1
shift
while [ $# -gt 0 ]; do
	case $1 in
	--flows) FLOWS=$2; XDP_FLOWS=$2; shift 2 ;;
	--small-flows) SMALL_FLOWS=$2; shift 2 ;;
	--size) FRAME=$2; shift 2 ;;
	--interval) INTERVAL=$2; shift 2 ;;
	--samples) SAMPLES=$2; shift 2 ;;
	--rounds) ROUNDS=$2; XDP_ROUNDS=$2; shift 2 ;;
	--ceiling-tries) CEILING_TRIES=$2; shift 2 ;;
	--rate) CHANGE_RATE=$2; shift 2 ;;
	--window) CHANGE_WINDOW=$2; GW_WINDOW=$2; PG_WINDOW=$2; XDP_WINDOW=$2; shift 2 ;;
	--streams) PG_STREAMS=$2; shift 2 ;;
	--trial) PG_TRIAL=$2; shift 2 ;;
	--max-rate) PG_MAX_RATE=$2; shift 2 ;;
	--frame-size) PG_FRAME=$2; shift 2 ;;
	--warmup) WARMUP=$2; GW_WARMUP=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--no-deps) DO_DEPS=0; shift ;;
	--no-build) DO_BUILD=0; shift ;;
	--perf) DO_PERF=1; shift ;;
	--rooms) RELAY_ROOMS=$2; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--connections) GW_CONNS_ARG=$2; shift 2 ;;
	--chats) GW_CHATS_ARG=$2; shift 2 ;;
	--hold) GW_HOLD_ARG=$2; shift 2 ;;
	--repeat) XDP_REPEAT=$2; shift 2 ;;
	--packets) XDP_PACKETS=$2; shift 2 ;;
	--sources) XDP_SOURCES=$2; shift 2 ;;
	--no-forward) XDP_FORWARD=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage; exit 2 ;;
	esac
done

case $cmd in
balancer) bench_balancer ;;
pktgen) bench_pktgen ;;
control) bench_control ;;
relay) bench_relay ;;
gateway) bench_gateway ;;
xdp) bench_xdp ;;
*) usage; exit 2 ;;
esac
