#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: spoken audio as RTP/Opus through the balancer reaches one backend's kernel socket intact.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_audio: needs root; skipped"; exit 77; }
need_binaries
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap lab_cleanup EXIT

# The check itself must reject other speech and silence, or a pass below
# would mean nothing.
espeak-ng -w "$WORK/ref.wav" "$AUDIO_TEXT"
espeak-ng -w "$WORK/other.wav" "$AUDIO_OTHER_TEXT"
sox -n -r 48000 -c 1 -b 16 "$WORK/silence.wav" trim 0 "$(soxi -D "$WORK/ref.wav")"
for bad in other silence; do
	if "$PY" "$LAB_DIR/audio_check.py" "$WORK/ref.wav" "$WORK/$bad.wav" >"$WORK/control-$bad.txt" 2>&1; then
		cat "$WORK/control-$bad.txt"
		die "audio_check accepted $bad.wav as the reference sentence"
	fi
	log "control: audio_check rejects $bad.wav ($(grep -E '^(env_corr|spec_corr)=' "$WORK/control-$bad.txt" | tr '\n' ' '))"
done

BES=(vr-be1 vr-be2 vr-be3)
lab_up
start_decap "${BES[@]}"
start_dp "$REPO/conf/lab.yaml"
probe_balancer >&2 || die "the balancer does not answer ARP/ND"
rc=0
AUDIO_BACKENDS="${BES[*]}" audio_job "$LAB_VIP4" 50000 40000 || rc=$?

# Direct server return: a backend answers from the VIP straight to the
# client (the router routes it; no reverse-path filter drops it).
for ns in "${BES[@]}"; do
	ip netns exec "$ns" "$PY" "$LAB_DIR/udp_echo.py" serve "$LAB_VIP4" 5004 "$ns" >"$WORK/echo-$ns.log" 2>&1 &
	LAB_PIDS+=("$!")
done
for ns in "${BES[@]}"; do
	for _ in $(seq 50); do grep -q serving "$WORK/echo-$ns.log" && break; sleep 0.1; done
done
ip netns exec "${LAB_CLIENTS[1]}" "$PY" "$LAB_DIR/udp_echo.py" ask "$LAB_VIP4" 5004 5 >&2 ||
	die "no direct-server-return answers from the VIP"
stop_dp
stop_decap "${BES[@]}"
for ns in "${BES[@]}"; do log "decap $ns: $(decap_counters_json "$ns")"; done
[ "$rc" -eq 0 ] || die "audio check failed"

# The balancer's own accounting agrees: the backend it sent the voice-room
# VIP's packets to is the one whose socket got the stream.
got=$(cat "$WORK/audio-backend")
addr=${LAB_BACKEND_4[$(be_index "$got")]}
"$PY" - "$WORK/stats.json" "$addr" "$LAB_DIR" <<'PYEOF' || die "balancer counters disagree with the receivers"
import json, sys
sys.path.insert(0, sys.argv[3])
from report import backends_by_vip
st = json.load(open(sys.argv[1]))
addr = sys.argv[2]
voice = [lst for label, lst in backends_by_vip(st) if label.endswith(":50000-50999")]
if len(voice) != 1:
    sys.exit(f"no single voice VIP (ports 50000-50999) in {sys.argv[1]}")
sent = {b["address"]: b["tx_packets"] for b in voice[0]}
print("balancer tx_packets per backend of the voice VIP:", sent)
busy = [a for a, n in sent.items() if n > 0]
sys.exit(0 if busy == [addr] and sent[addr] >= 250 else 1)
PYEOF
log "lab_audio: PASS"
