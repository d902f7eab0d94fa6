#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab check of the voice tooling without a relay: SRTP voice clients talk straight to each other across the clients' bridge.
#
# What the relay test (lab_relay.sh) relies on, shown here client to client:
# one socket per client sends and receives (symmetric RTP); a receiver decrypts
# every SSRC with its one rx key and decodes each into its own WAV;
# voice_check.py names the speaker of each WAV, and fails on hearing itself,
# on a missing speaker and on a stream under a wrong key. Two rounds: PCMA
# with AES_CM_128_HMAC_SHA1_80 and the RFC 6464 audio level over IPv4; Opus
# with AEAD_AES_128_GCM over IPv6.
#
#   c1 --> c2 <-- c3      c2 decodes two SSRCs (c1, c3) with its rx key, which c1 and c3 send with
#   c1 <-- c2             c1 hears c2
#   c3 <-- c4 (wrong key) c3 gets datagrams that never authenticate: its check must fail
#          c4             hears nothing
#
# Not in meson.build: run it by hand (root), it takes about 40 s.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
# shellcheck source=../../scripts/lab/voice.sh
. "$LAB_DIR/voice.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_voice_direct: needs root; skipped"; exit 77; }
lab_lock
lab_workdir
trap lab_cleanup EXIT

NAMES=(c1 c2 c3 c4)
voice_refs "${NAMES[@]}"
for i in "${!NAMES[@]}"; do VOICE_SSRC[${NAMES[$i]}]=$(printf '0x%08x' $((0xC0DE0001 + i))); done
PORT=40000
lab_up

# round SUITE CODEC FAMILY(4|6) [voice_client options for every client]
round() {
	local suite=$1 codec=$2 fam=$3
	shift 3
	local -a addr=() opts=(--suite "$suite" --codec "$codec" "$@")
	local i
	for i in 0 1 2 3; do
		if [ "$fam" = 6 ]; then addr+=("[${LAB_CLIENT_6[$i]}]:$PORT"); else addr+=("${LAB_CLIENT_4[$i]}:$PORT"); fi
	done
	local k1 k2 k3 k4 wrong
	k1=$(voice_key "$suite") k2=$(voice_key "$suite") k3=$(voice_key "$suite") k4=$(voice_key "$suite")
	wrong=$(voice_key "$suite")
	VOICE_DIR=$WORK/voice-$codec-v$fam
	log "round: $codec, $suite, IPv$fam ($*)"
	# c2's own traffic on the wire: everything it sends must leave from the port it receives on.
	ip netns exec vr-c2 tshark -q -i eth0 -f "udp port $PORT" -w "$WORK/c2-$codec.pcap" >"$WORK/tshark-$codec.log" 2>&1 &
	local cap=$!
	LAB_PIDS+=("$cap")
	for _ in $(seq 50); do grep -q Capturing "$WORK/tshark-$codec.log" && break; sleep 0.1; done
	voice_schedule 2
	voice_client_start c1 vr-c1 "${addr[0]}" "${addr[1]}" "$k2" "$k1" "${opts[@]}"
	voice_client_start c2 vr-c2 "${addr[1]}" "${addr[0]}" "$k1" "$k2" "${opts[@]}"
	voice_client_start c3 vr-c3 "${addr[2]}" "${addr[1]}" "$k2" "$k3" "${opts[@]}"
	voice_client_start c4 vr-c4 "${addr[3]}" "${addr[2]}" "$wrong" "$k4" "${opts[@]}"
	ip netns exec vr-c2 ss -uanp >"$VOICE_DIR/ss-c2.txt"
	voice_clients_wait c1 c2 c3 c4
	kill -INT "$cap" 2>/dev/null || true
	wait "$cap" 2>/dev/null || true

	# One UDP socket in c2, and every datagram c2 sent left from it.
	local socks
	socks=$(grep -c "users:" "$VOICE_DIR/ss-c2.txt" || true)
	[ "$socks" -eq 1 ] || { cat "$VOICE_DIR/ss-c2.txt" >&2; die "c2 has $socks UDP sockets, expected 1"; }
	local me=${addr[1]%:*}
	me=${me#[}
	me=${me%]}
	local flows
	flows=$(tshark -r "$WORK/c2-$codec.pcap" -T fields -e ip.src -e ipv6.src -e udp.srcport -e ip.dst -e ipv6.dst -e udp.dstport 2>/dev/null |
		awk '{print $1, $2, "->", $3, $4}' | sort | uniq -c)
	log "c2's eth0 (datagrams, src port -> dst port):"
	printf '%s\n' "$flows" | sed 's/^/    /' >&2
	printf '%s\n' "$flows" | awk -v me="$me" -v p="$PORT" '$2 == me && $3 != p {bad = 1} END {exit bad}' ||
		die "c2 sent from a port other than $PORT"
	printf '%s\n' "$flows" | awk -v me="$me" -v p="$PORT" '$2 == me && $3 == p {n += $1} END {exit !(n > 100)}' ||
		die "c2's datagrams to c1 are not on the wire"

	# Positive checks.
	voice_check_client c2 --expect c1,c3 --self c2 >&2 || die "c2 did not hear exactly c1 and c3"
	voice_check_client c1 --expect c2 --self c1 >&2 || die "c1 did not hear exactly c2"
	voice_check_client c4 --expect-none >&2 || die "c4 heard something"
	# Negative controls: the check must be able to fail.
	if voice_check_client c2 --expect c2,c3 --self c1 --json "$VOICE_DIR/neg-self.json" >"$VOICE_DIR/neg-self.txt"; then
		cat "$VOICE_DIR/neg-self.txt" >&2
		die "voice_check accepted c2's output as c1's (c1 is in it: hearing oneself must fail)"
	fi
	log "control: c2's output judged as c1's fails: $(grep FAIL: "$VOICE_DIR/neg-self.txt" | tr '\n' ' ')"
	if voice_check_client c3 --expect c4 --self c3 --json "$VOICE_DIR/neg-key.json" >"$VOICE_DIR/neg-key.txt"; then
		cat "$VOICE_DIR/neg-key.txt" >&2
		die "voice_check accepted c4's stream under a wrong key"
	fi
	log "control: c4 -> c3 under a wrong key fails: $(grep FAIL: "$VOICE_DIR/neg-key.txt" | tr '\n' ' ')"
	"$PY" - "$VOICE_DIR/c3/summary.json" "${VOICE_SSRC[c4]}" <<'EOF' || die "c3's summary does not show c4's datagrams failing authentication"
import json, sys
s = json.load(open(sys.argv[1]))
v = s["rx"]["ssrcs"].get(f"{int(sys.argv[2], 0):#010x}")
print(f"c3 from c4 (wrong key): {v}; srtpdec dropped {s['rx']['srtpdec_drop_count']}", file=sys.stderr)
sys.exit(0 if v and v["datagrams"] > 100 and v["packets"] == 0 and s["rx"]["srtpdec_drop_count"] >= v["datagrams"] else 1)
EOF
	# Figures.
	"$PY" - "$VOICE_DIR" <<'EOF' >&2
import json, sys, os
d = sys.argv[1]
for n in ("c1", "c2", "c3", "c4"):
    s = json.load(open(os.path.join(d, n, "summary.json")))
    rx = ", ".join(f"{k}: {v['packets']}/{v['datagrams']} pkts, lost {v.get('lost', '-')}, wav {v.get('wav_duration_s', '-')} s"
                   + (f", level ext {v['audio_level_packets']}" if 'audio_level_packets' in v else "")
                   for k, v in s["rx"]["ssrcs"].items())
    print(f"    {n}: sent {s['tx']['packets']} (level ext {s['tx']['audio_level_packets']}); received {rx or 'nothing'}")
EOF
}

round AES_CM_128_HMAC_SHA1_80 pcma 4 --audio-level-id 1
round AEAD_AES_128_GCM opus 6
log "lab_voice_direct: PASS"
