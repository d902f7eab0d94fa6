#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the replay profiles small, checks them with tshark, replays one with tcpreplay over a veth pair in a namespace.
set -euo pipefail

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PY=/usr/bin/python3
CHECK="$REPO/tests/profiles/check_profile.py"
FLOWS=50
DURATION=3
NS="vrprof-$$"
IFA="vrp$$a"        # interface names stay under 15 characters
IFB="vrp$$b"

log() { echo "profiles: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || { log "needs root (network namespace); skipped"; exit 77; }
for t in tshark tcpreplay editcap ip; do
	command -v "$t" >/dev/null || { log "$t missing (scripts/deps.sh); skipped"; exit 77; }
done
"$PY" -c 'import scapy' 2>/dev/null || { log "python3-scapy missing (scripts/deps.sh); skipped"; exit 77; }

WORK=$(mktemp -d /tmp/vrprof.XXXXXX)
CAP_PID=
cleanup() {
	[ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null && wait "$CAP_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

# 1. build, twice with the same parameters (identical bytes) and once with another seed (different bytes)
common=(--flows "$FLOWS" --duration "$DURATION" --rooms 10 --src-mac 02:00:00:0a:00:01 --dst-mac 02:00:00:0a:00:02)
"$REPO/scripts/make-profiles.sh" "$WORK/a" "${common[@]}" --profiles g711,g711-v6,srtp,srtp-v6 >&2
"$REPO/scripts/make-profiles.sh" "$WORK/b" "${common[@]}" --profiles g711 >/dev/null
"$REPO/scripts/make-profiles.sh" "$WORK/c" "${common[@]}" --profiles g711 --seed 2 >/dev/null
cmp -s "$WORK/a/g711-$FLOWS.pcap" "$WORK/b/g711-$FLOWS.pcap" || die "same parameters, different output"
cmp -s "$WORK/a/g711-$FLOWS.pcap" "$WORK/c/g711-$FLOWS.pcap" && die "another seed, same output"

# 2. the files: exact counts (a G.711 flow sends duration / 20 ms packets), spread, sequence, timing, checksums
for p in "g711-$FLOWS" "g711-$FLOWS-v6" "srtp-webrtc-$FLOWS" "srtp-webrtc-$FLOWS-v6"; do
	"$PY" "$CHECK" "$WORK/a/$p.pcap" "$WORK/a/$p.pcap.json" >&2 || die "$p.pcap"
done
rtp=$(tshark -n -r "$WORK/a/g711-$FLOWS.pcap" -d udp.port==50000-50009,rtp -Y rtp 2>/dev/null | wc -l)
[ "$rtp" -eq $((FLOWS * DURATION * 50)) ] || die "g711: $rtp RTP packets, expected $((FLOWS * DURATION * 50))"

# the checker can fail: one packet less, one packet with a broken UDP checksum
editcap "$WORK/a/g711-$FLOWS.pcap" "$WORK/cut.pcap" 100
"$PY" "$CHECK" "$WORK/cut.pcap" "$WORK/a/g711-$FLOWS.pcap.json" 2>/dev/null && die "checker accepted a missing packet"
"$PY" - "$WORK/a/g711-$FLOWS.pcap" "$WORK/bad.pcap" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[24 + 16 + 14 + 20 + 6] ^= 0x55                     # first frame: UDP checksum
open(sys.argv[2], "wb").write(b)
EOF
"$PY" "$CHECK" "$WORK/bad.pcap" "$WORK/a/g711-$FLOWS.pcap.json" 2>/dev/null && die "checker accepted a bad checksum"

# 3. replay the G.711 profile (with its RTCP) in real time onto a veth pair, capture the other end
ip netns add "$NS"
ip -n "$NS" link add "$IFA" type veth peer name "$IFB"
for i in "$IFA" "$IFB"; do
	ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
	ip -n "$NS" link set "$i" up
done
# until the link watcher has attached the real qdisc, a new veth drops what is sent on it
for _ in $(seq 100); do
	st=$(ip -n "$NS" -o link show "$IFA"; ip -n "$NS" -o link show "$IFB")
	grep -q noop <<<"$st" || [ "$(grep -c 'state UP' <<<"$st")" -ne 2 ] || break
	sleep 0.1
done
ip netns exec "$NS" tshark -n -i "$IFB" -B 64 -f udp -w "$WORK/replayed.pcap" 2>"$WORK/tshark.err" &
CAP_PID=$!
for _ in $(seq 100); do grep -q "Capturing on" "$WORK/tshark.err" 2>/dev/null && break; sleep 0.1; done
grep -q "Capturing on" "$WORK/tshark.err" || die "tshark did not start: $(cat "$WORK/tshark.err")"
sleep 0.5
ip netns exec "$NS" tcpreplay -q -i "$IFA" "$WORK/a/g711-$FLOWS.pcap" >"$WORK/tcpreplay.out" 2>&1 ||
	die "tcpreplay: $(cat "$WORK/tcpreplay.out")"
sleep 1
kill -INT "$CAP_PID"
wait "$CAP_PID" || true
CAP_PID=
grep -E 'Actual|Failed' "$WORK/tcpreplay.out" >&2 || true
"$PY" "$CHECK" "$WORK/replayed.pcap" "$WORK/a/g711-$FLOWS.pcap.json" --original "$WORK/a/g711-$FLOWS.pcap" \
	--timing-tolerance 0.05 >&2 || die "the replayed capture"
log "PASS"
