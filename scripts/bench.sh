#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Performance benchmarks of voxrelay: `bench.sh balancer` (cycles per packet against testpmd's io ceiling), `bench.sh pktgen` (voxrelay-gen against testpmd txonly, NDR through voxrelay-dp), `bench.sh relay`, `bench.sh gateway`.
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
  xdp        not written yet
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

[ $# -ge 1 ] || { usage; exit 2; }
cmd=$1
shift
while [ $# -gt 0 ]; do
	case $1 in
	--flows) FLOWS=$2; shift 2 ;;
	--small-flows) SMALL_FLOWS=$2; shift 2 ;;
	--size) FRAME=$2; shift 2 ;;
	--interval) INTERVAL=$2; shift 2 ;;
	--samples) SAMPLES=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--ceiling-tries) CEILING_TRIES=$2; shift 2 ;;
	--rate) CHANGE_RATE=$2; shift 2 ;;
	--window) CHANGE_WINDOW=$2; GW_WINDOW=$2; PG_WINDOW=$2; shift 2 ;;
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
xdp) die "'$cmd' is not written yet" ;;
*) usage; exit 2 ;;
esac
