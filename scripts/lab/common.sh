# SPDX-License-Identifier: BSD-3-Clause
# Shell functions the demo and the lab tests share: locking, starting and stopping the decap, the dataplane, receivers.
# shellcheck shell=bash disable=SC2034

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
# shellcheck source=topology.sh
. "$LAB_DIR/topology.sh"

PY=/usr/bin/python3
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$REPO/$BUILD" ;; esac
DP_BIN=${DP_BIN:-$BUILD/dataplane/dp/voxrelay-dp}
DECAP_BIN=${DECAP_BIN:-$BUILD/bpf/voxrelay-decap}
LAB_SH="$REPO/scripts/lab.sh"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "FAIL: $*"
	exit 1
}

# One lab per machine: the namespace names are fixed, so a second demo or
# test run would tear down the first one's lab. Wait for it instead.
lab_lock() {
	exec 9>/run/lock/voxrelay-lab.lock
	if ! flock -n 9; then
		log "another lab run holds /run/lock/voxrelay-lab.lock; waiting"
		flock -w "${LAB_LOCK_WAIT:-900}" 9 || die "lab lock not released"
	fi
}

# A scratch directory, removed at exit unless KEEP=1.
lab_workdir() {
	WORK=$(mktemp -d /tmp/voxrelay-lab.XXXXXX)
	log "work directory $WORK"
}

# Everything started in the background is recorded here and stopped, by PID,
# at cleanup; the lab's namespaces go last.
LAB_PIDS=()
lab_cleanup() {
	local rc=$?
	set +e
	local p
	for p in "${LAB_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${LAB_PIDS[@]}"; do
		# Bounded: whatever ignores SIGTERM gets SIGKILL after 10 s.
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	"$LAB_SH" down >/dev/null 2>&1
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
			log "kept $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

need_binaries() {
	[ -x "$DP_BIN" ] || die "$DP_BIN not built (BUILD=$BUILD)"
	[ -x "$DECAP_BIN" ] || die "$DECAP_BIN not built (BUILD=$BUILD)"
}

lab_up() {
	"$LAB_SH" down >/dev/null 2>&1 || true
	"$LAB_SH" up >&2
}

# Index of backend namespace $1 in LAB_BACKENDS.
be_index() {
	local i
	for i in "${!LAB_BACKENDS[@]}"; do
		[ "${LAB_BACKENDS[$i]}" != "$1" ] || { echo "$i"; return 0; }
	done
	return 1
}

# voxrelay-decap on eth0 of each backend namespace given (default: all).
start_decap() {
	local ns pid
	for ns in "${@:-${LAB_BACKENDS[@]}}"; do
		ip netns exec "$ns" "$DECAP_BIN" --iface eth0 --vip "$LAB_VIP4" --vip "$LAB_VIP6" \
			--gue-port "$LAB_GUE_PORT" >"$WORK/decap-$ns.log" 2>&1 &
		pid=$!
		LAB_PIDS+=("$pid")
		eval "DECAP_PID_${ns//-/_}=$pid"
	done
	for ns in "${@:-${LAB_BACKENDS[@]}}"; do
		for _ in $(seq 100); do
			grep -q 'attached to' "$WORK/decap-$ns.log" 2>/dev/null && break
			sleep 0.1
		done
		grep -q 'attached to' "$WORK/decap-$ns.log" || {
			cat "$WORK/decap-$ns.log" >&2
			die "voxrelay-decap did not attach in $ns"
		}
	done
	log "voxrelay-decap attached on ${*:-${LAB_BACKENDS[*]}}"
}

# Stop the decap loaders (they print their counters on SIGTERM).
stop_decap() {
	local ns pid
	for ns in "${@:-${LAB_BACKENDS[@]}}"; do
		pid=$(eval "echo \${DECAP_PID_${ns//-/_}:-}")
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# Last counter line a decap loader printed, as JSON {"decap_gue": N, ...}.
decap_counters_json() {
	local ns=$1
	grep 'iface=' "$WORK/decap-$ns.log" 2>/dev/null | tail -1 |
		"$PY" -c 'import sys,json; l=sys.stdin.read().split(); print(json.dumps({k:int(v) for k,v in (x.split("=",1) for x in l if "=" in x and x.split("=",1)[1].isdigit())}))'
}

# udp_sink.py in each backend namespace given, bound to $SINK_ADDRS (default
# the VIP in both families), ports $SINK_PORTS (default 5004; a range A-B works).
SINK_PORTS=${SINK_PORTS:-5004}
SINK_ADDRS=${SINK_ADDRS:-"$LAB_VIP4 $LAB_VIP6"}
start_sinks() {
	local ns a
	local -a binds=()
	for a in $SINK_ADDRS; do binds+=(--bind "$a"); done
	for ns in "${@:-${LAB_BACKENDS[@]}}"; do
		ip netns exec "$ns" "$PY" "$LAB_DIR/udp_sink.py" "${binds[@]}" \
			--port "$SINK_PORTS" --name "$ns" --out "$WORK/sink-$ns.json" >"$WORK/sink-$ns.log" 2>&1 &
		LAB_PIDS+=("$!")
		eval "SINK_PID_${ns//-/_}=$!"
	done
	for ns in "${@:-${LAB_BACKENDS[@]}}"; do
		for _ in $(seq 100); do [ -s "$WORK/sink-$ns.json" ] && break; sleep 0.1; done
		[ -s "$WORK/sink-$ns.json" ] || { cat "$WORK/sink-$ns.log" >&2; die "udp_sink did not start in $ns"; }
	done
}

stop_sinks() {
	local ns pid
	for ns in "${@:-${LAB_BACKENDS[@]}}"; do
		pid=$(eval "echo \${SINK_PID_${ns//-/_}:-}")
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# Start voxrelay-dp in the balancer namespace on config $1 and wait for "ready".
# DPDK's AF_XDP driver loads its XDP program through libxdp, which wants its
# multi-program dispatcher on bpffs. Inside `ip netns exec` /sys is remounted
# without /sys/fs/bpf, and with bpffs mounted the dispatcher fails to load on
# this kernel (EPERM); either way libxdp falls back to attaching the single
# program, which is all one AF_XDP socket needs. So: no bpffs, expect the
# "Falling back to loading single prog" message in dp.log.
DP_PID=
start_dp() {
	local cfg=$1
	DP_CFG=$cfg
	: >"$WORK/dp.log"
	ip netns exec "$LAB_LB" \
		"$DP_BIN" -c "$cfg" --stats-json "$WORK/stats.json" >>"$WORK/dp.log" 2>&1 &
	DP_PID=$!
	LAB_PIDS+=("$DP_PID")
	local t
	for t in $(seq 600); do
		grep -q 'voxrelay-dp: ready' "$WORK/dp.log" && break
		kill -0 "$DP_PID" 2>/dev/null || { cat "$WORK/dp.log" >&2; die "voxrelay-dp exited before ready"; }
		sleep 0.1
	done
	grep -q 'voxrelay-dp: ready' "$WORK/dp.log" || { tail -30 "$WORK/dp.log" >&2; die "voxrelay-dp not ready after 60 s"; }
	log "voxrelay-dp ready after ~$((t / 10)) s: $(grep 'voxrelay-dp: ready' "$WORK/dp.log")"
}

# SIGHUP and wait until the dataplane logs the outcome; fails on "reload failed".
reload_dp() {
	local before after
	before=$(grep -c 'reloaded ' "$WORK/dp.log" || true)
	local fails
	fails=$(grep -c 'reload failed' "$WORK/dp.log" || true)
	kill -HUP "$DP_PID"
	for _ in $(seq 100); do
		after=$(grep -c 'reloaded ' "$WORK/dp.log" || true)
		[ "$after" -gt "$before" ] && break
		[ "$(grep -c 'reload failed' "$WORK/dp.log" || true)" -gt "$fails" ] && {
			grep 'reload failed' "$WORK/dp.log" | tail -1 >&2
			die "voxrelay-dp rejected the new configuration"
		}
		sleep 0.1
	done
	[ "$after" -gt "$before" ] || die "voxrelay-dp logged no reload within 10 s of SIGHUP"
	log "reloaded: $(grep 'reloaded ' "$WORK/dp.log" | tail -1)"
}

# SIGTERM the dataplane; it writes $WORK/stats.json.
stop_dp() {
	[ -n "$DP_PID" ] || return 0
	kill -TERM "$DP_PID" 2>/dev/null || true
	local rc=0
	wait "$DP_PID" || rc=$?
	DP_PID=
	[ "$rc" -eq 0 ] || log "voxrelay-dp exited with $rc"
	[ -s "$WORK/stats.json" ] || die "voxrelay-dp wrote no $WORK/stats.json"
	return "$rc"
}

# Ask, from the router, who has the balancer's addresses: the dataplane must
# answer ARP (and ND). Prints the MAC; fails if nobody answers.
probe_balancer() {
	ip netns exec "$LAB_RT" "$PY" - "$LAB_RT_LDEV" "$LAB_LB4" "$LAB_LB6" "$LAB_RT_L6" <<'EOF'
import sys, logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import ARP, Ether, IPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, ICMPv6ND_NA, srp1, get_if_hwaddr, conf
from scapy.utils6 import in6_getnsma, in6_getnsmac
from socket import inet_pton, AF_INET6
conf.verb = 0
dev, v4, v6, my6 = sys.argv[1:]
me = get_if_hwaddr(dev)
ok = True
r = srp1(Ether(dst="ff:ff:ff:ff:ff:ff", src=me) / ARP(op=1, hwsrc=me, psrc="10.77.0.1", pdst=v4), iface=dev, timeout=2, retry=2)
if r is not None and ARP in r and r[ARP].op == 2:
    print(f"ARP {v4} is-at {r[ARP].hwsrc}")
else:
    print(f"ARP {v4}: no answer"); ok = False
ns = in6_getnsma(inet_pton(AF_INET6, v6))
from socket import inet_ntop
nsa = inet_ntop(AF_INET6, ns)
p = Ether(dst=in6_getnsmac(ns), src=me) / IPv6(src=my6, dst=nsa, hlim=255) / ICMPv6ND_NS(tgt=v6) / ICMPv6NDOptSrcLLAddr(lladdr=me)
r = srp1(p, iface=dev, timeout=2, retry=2)
if r is not None and ICMPv6ND_NA in r:
    print(f"ND {v6} is-at {r.src}")
else:
    print(f"ND {v6}: no answer"); ok = False
sys.exit(0 if ok else 1)
EOF
}

# The lab configuration with the backend list of the VIP entry serving
# address $2 port $3 replaced: yaml_backends OUT ADDR PORT BACKEND[=state]...
yaml_backends() {
	local out=$1 addr=$2 port=$3
	shift 3
	"$PY" "$LAB_DIR/yaml_backends.py" "${LAB_YAML:-$REPO/conf/lab.yaml}" "$out" --vip "$addr" --port "$port" "$@"
}

# Audio end to end: espeak-ng speaks $AUDIO_TEXT, a client sends it as
# RTP/Opus (20 ms frames, real time) to VIP $1 port $2 from client port $3;
# every backend namespace listed in $AUDIO_BACKENDS runs a GStreamer receiver
# on the VIP; exactly one of them must get the stream (the VIP hashes on the
# destination port), and audio_check.py compares what it decoded with what
# was sent. Leaves $WORK/audio.json (figures) and $WORK/audio-backend.
AUDIO_TEXT=${AUDIO_TEXT:-"The quick brown fox jumps over the lazy dog, while the voice relay carries every word to the backend."}
AUDIO_OTHER_TEXT="Seven silver swans swam silently southwards across the quiet lake at dawn, far from any city."
RTP_CAPS="application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96"
audio_job() {
	local vip=$1 port=$2 sport=$3 ns
	local -a rx_pids=()
	espeak-ng -w "$WORK/ref.wav" "$AUDIO_TEXT" || die "espeak-ng failed"
	for ns in ${AUDIO_BACKENDS:-${LAB_BACKENDS[*]}}; do
		rm -f "$WORK/rx-$ns.wav"
		ip netns exec "$ns" gst-launch-1.0 -e \
			udpsrc address="$vip" port="$port" caps="$RTP_CAPS" buffer-size=1048576 \
			! rtpjitterbuffer latency=200 ! rtpopusdepay ! opusdec \
			! audioconvert ! audio/x-raw,channels=1 ! wavenc ! filesink location="$WORK/rx-$ns.wav" \
			>"$WORK/gst-rx-$ns.log" 2>&1 &
		rx_pids+=("$!")
		LAB_PIDS+=("$!")
	done
	# The receivers are bound once gst-launch reports PLAYING.
	for ns in ${AUDIO_BACKENDS:-${LAB_BACKENDS[*]}}; do
		for _ in $(seq 100); do grep -q PLAYING "$WORK/gst-rx-$ns.log" && break; sleep 0.1; done
		grep -q PLAYING "$WORK/gst-rx-$ns.log" || { cat "$WORK/gst-rx-$ns.log" >&2; die "GStreamer receiver in $ns did not start"; }
	done
	log "sending $(soxi -D "$WORK/ref.wav") s of speech as RTP/Opus from ${LAB_CLIENTS[0]} port $sport to $vip:$port"
	local t0=$SECONDS
	ip netns exec "${LAB_CLIENTS[0]}" gst-launch-1.0 \
		filesrc location="$WORK/ref.wav" ! wavparse ! audioconvert ! audioresample \
		! audio/x-raw,rate=48000,channels=1 ! opusenc frame-size=20 bitrate=32000 \
		! rtpopuspay pt=96 ! udpsink host="$vip" port="$port" bind-port="$sport" sync=true \
		>"$WORK/gst-tx.log" 2>&1 || { cat "$WORK/gst-tx.log" >&2; die "GStreamer sender failed"; }
	log "sender done in $((SECONDS - t0)) s"
	# Past the jitter buffer's latency, EOS makes wavenc finish its header.
	sleep 1
	local p
	for p in "${rx_pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${rx_pids[@]}"; do wait "$p" 2>/dev/null || true; done

	local got=() sz
	for ns in ${AUDIO_BACKENDS:-${LAB_BACKENDS[*]}}; do
		sz=$(stat -c %s "$WORK/rx-$ns.wav" 2>/dev/null || echo 0)
		# A WAV header alone is 44 bytes; anything that got media is far bigger.
		if [ "$sz" -gt 1000 ]; then got+=("$ns"); fi
		log "receiver $ns: $sz bytes"
	done
	echo "${got[*]}" >"$WORK/audio-backend"
	if [ "${#got[@]}" -ne 1 ]; then
		echo '{"pass": false, "error": "the stream reached '"${#got[@]}"' backends, expected 1"}' >"$WORK/audio.json"
		log "audio reached ${#got[@]} backends (${got[*]:-none}); expected exactly one"
		return 1
	fi
	log "audio arrived at ${got[0]}"
	"$PY" "$LAB_DIR/audio_check.py" "$WORK/ref.wav" "$WORK/rx-${got[0]}.wav" --json "$WORK/audio.json" >&2
}

# The real captures, rewritten for the lab and replayed by tcpreplay from the
# clients at their recorded pace (each copy of a stream is a concurrent call):
# G.711 from the first client over IPv4 and over IPv6, G.729 (both directions
# of the call as two streams) from the second over IPv4, all to port
# $REPLAY_PORT of the VIP. Leaves MANIFEST=SENT lines in $WORK/replay-sent.
CAPTURES=${CAPTURES:-$(cd "$REPO/.." && pwd)/shared/captures}
REPLAY_PORT=${REPLAY_PORT:-5004}
REPLAY_FLOWS=${REPLAY_FLOWS:-100}
replay_captures() {
	local rw="$LAB_DIR/rewrite_pcap.py"
	[ -r "$CAPTURES/sip-g711a-rtp.pcap" ] || die "no captures in $CAPTURES (set CAPTURES)"
	"$PY" "$rw" "$CAPTURES/sip-g711a-rtp.pcap" -o "$WORK/g711-v4.pcap" \
		--src-mac "${LAB_CLIENT_MAC[0]}" --dst-mac "$LAB_RT_CMAC" --src-ip "${LAB_CLIENT_4[0]}" \
		--dst-ip "$LAB_VIP4" --dst-port "$REPLAY_PORT" --flows "$REPLAY_FLOWS" --sport-base 20000 >&2
	"$PY" "$rw" "$CAPTURES/sip-g711a-rtp.pcap" -o "$WORK/g711-v6.pcap" \
		--src-mac "${LAB_CLIENT_MAC[0]}" --dst-mac "$LAB_RT_CMAC" --src-ip "${LAB_CLIENT_6[0]}" \
		--dst-ip "$LAB_VIP6" --dst-port "$REPLAY_PORT" --flows "$((REPLAY_FLOWS / 2))" --sport-base 22000 >&2
	"$PY" "$rw" "$CAPTURES/g729-two-way-rtp.pcap" -o "$WORK/g729-v4.pcap" \
		--src-mac "${LAB_CLIENT_MAC[1]}" --dst-mac "$LAB_RT_CMAC" --src-ip "${LAB_CLIENT_4[1]}" \
		--dst-ip "$LAB_VIP4" --dst-port "$REPLAY_PORT" --flows "$REPLAY_FLOWS" --sport-base 21000 >&2
	# The router must know the balancer's MAC before the burst starts, or
	# the first packets of many flows wait in (and overflow) its ARP queue.
	local fam
	for fam in "$LAB_VIP4" "$LAB_VIP6"; do
		ip netns exec "${LAB_CLIENTS[0]}" "$PY" -c 'import socket,sys; a=sys.argv[1]; s=socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"VRP warmup", (a, int(sys.argv[2])))' "$fam" "$REPLAY_PORT" || true
	done
	sleep 0.5
	log "replaying $(for f in g711-v4 g711-v6 g729-v4; do printf '%s ' "$f:$("$PY" -c "import json;print(json.load(open('$WORK/$f.pcap.json'))['packets'])")"; done)packets"
	(ip netns exec "${LAB_CLIENTS[0]}" tcpreplay -i eth0 "$WORK/g711-v4.pcap" >"$WORK/tcpreplay-g711-v4.log" 2>&1 &&
		ip netns exec "${LAB_CLIENTS[0]}" tcpreplay -i eth0 "$WORK/g711-v6.pcap" >"$WORK/tcpreplay-g711-v6.log" 2>&1) &
	local p1=$!
	ip netns exec "${LAB_CLIENTS[1]}" tcpreplay -i eth0 "$WORK/g729-v4.pcap" >"$WORK/tcpreplay-g729-v4.log" 2>&1 &
	local p2=$! rc=0
	wait "$p1" || rc=1
	wait "$p2" || rc=1
	[ "$rc" -eq 0 ] || { cat "$WORK"/tcpreplay-*.log >&2; die "tcpreplay failed"; }
	# Sockets drain what is still queued.
	sleep 1
	: >"$WORK/replay-sent"
	local f sent
	for f in g711-v4 g711-v6 g729-v4; do
		sent=$(awk '/Successful packets:/ {print $3}' "$WORK/tcpreplay-$f.log")
		echo "$WORK/$f.pcap.json=${sent:-0}" >>"$WORK/replay-sent"
		log "tcpreplay $f: $(grep -E 'Actual:|Rated:' "$WORK/tcpreplay-$f.log" | tr -s ' ' | tr '\n' ' ')"
	done
}

# The health tests' helpers. lab_ctl JSON: one request on the dataplane's
# control socket ($CTL_SOCK), its answer line on stdout.
lab_ctl() { printf '%s\n' "$1" | "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
print(s.makefile().readline(), end="")' "$CTL_SOCK"; }
health_json() { lab_ctl '{"op":"health.list"}'; }

# health_send TAG SPORT_BASE: 300 IPv4 flows x 2 datagrams to VIP:$PORT from the first client, tagged.
health_send() {
	ip netns exec vr-c1 "$PY" "$LAB_DIR/flow_sender.py" --src "${LAB_CLIENT_4[0]}" --dst "$LAB_VIP4" --port "$PORT" \
		--flows 300 --sport-base "$2" --packets 2 --pps 1500 --tag "$1" >&2
	sleep 1
}
