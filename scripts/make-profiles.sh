#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the replay pcaps of pktgen/profiles (real captures scaled to N flows) into pktgen/profiles/out/ or OUTDIR.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3        # Debian's, with python3-scapy; never the python3 first on PATH
usage() {
	cat <<EOF
usage: $0 [OUTDIR] [options]
  OUTDIR                 where the pcaps go (default $REPO/pktgen/profiles/out)
  --flows N              concurrent flows per profile (1000)
  --duration S           seconds of traffic per flow; the capture is looped (10)
  --rooms R              rooms, one VIP port each (flows/5)
  --port-base P          VIP port of room 0 (50000)
  --vip A                IPv4 VIP (203.0.113.10)
  --vip6 A               IPv6 VIP (2001:db8::10)
  --client-net P         IPv4 prefix of the clients (10.0.0.0/8)
  --client-net6 P        IPv6 prefix of the clients (2001:db8:8000::/33)
  --src-mac M            Ethernet source (02:00:00:00:00:01: the generator's port)
  --dst-mac M            Ethernet destination (02:00:00:00:00:02: the device under test)
  --ptime MS             G.711 packetisation, re-packetised from the capture's 30 ms (20)
  --rtcp-interval S      mean RTCP interval per G.711 flow, 0 for none (5)
  --seed N               seed of every random choice (1); same parameters, same bytes
  --epoch T              Unix time of the first packet slot (1700000000)
  --profiles LIST        g711,g711-v6,srtp[,srtp-v6] (g711,g711-v6,srtp)
  --captures DIR         the real captures ($REPO/../shared/captures)
EOF
}

OUT="$REPO/pktgen/profiles/out"
CAPTURES="${VR_CAPTURES:-$REPO/../shared/captures}"
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--captures) CAPTURES="$2"; shift 2 ;;
	--flows | --duration | --rooms | --port-base | --vip | --vip6 | --client-net | --client-net6 | \
		--src-mac | --dst-mac | --ptime | --rtcp-interval | --seed | --profiles | --epoch)
		[ $# -ge 2 ] || { echo "make-profiles: $1 needs a value" >&2; exit 2; }
		args+=("$1" "$2"); shift 2 ;;
	-*) echo "make-profiles: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) OUT="$1"; shift ;;
	esac
done

[ -x "$PY" ] || { echo "make-profiles: $PY missing (scripts/deps.sh)" >&2; exit 1; }
"$PY" -c 'import scapy' 2>/dev/null || { echo "make-profiles: python3-scapy missing (scripts/deps.sh)" >&2; exit 1; }
for f in sip-g711a-rtp.pcap rtcp-compound.pcap webrtc-pcma-srtp-sdes.pcap; do
	[ -r "$CAPTURES/$f" ] || { echo "make-profiles: $CAPTURES/$f missing" >&2; exit 1; }
done
mkdir -p "$OUT"
"$PY" "$REPO/pktgen/profiles/make_profiles.py" --out "$OUT" --captures "$CAPTURES" "${args[@]}"
