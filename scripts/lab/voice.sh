# SPDX-License-Identifier: BSD-3-Clause
# Shell functions for SRTP voice clients in the lab (voice_client.py, voice_check.py), shared by the relay test and the demo.
# shellcheck shell=bash disable=SC2034
#
# Source after common.sh (needs WORK, LAB_PIDS, PY, LAB_DIR, log, die):
#
#   voice_refs c1 c2 c3 c4                 # $VOICE_DIR/ref-cN.wav, one sentence each
#   VOICE_SSRC[c1]=0x11110001 ...          # the SSRC each sends (checked by voice_check)
#   voice_schedule 2                        # all start sending in 2 s, stop together
#   voice_client_start c1 vr-c1 10.77.1.11:40000 10.77.100.1:50000 "$TX" "$RX" [voice_client.py options]
#   voice_clients_wait c1 c2 ...
#   voice_check_client c1 --expect c2,c3 --self c1

VOICE_DIR=${VOICE_DIR:-}
# One sentence per client, different words and pitch, about 4.5-5 s each:
# different sentences correlate at ~0.2-0.4 (envelope), the same at ~0.96.
VOICE_TEXTS=(
	"The quick brown fox jumps over the lazy dog, while the voice relay carries every word."
	"Seven silver swans swam silently southwards across the quiet lake at dawn."
	"Please call Stella and ask her to bring these things with her from the store."
	"A large rainbow appeared in the northern sky after the heavy summer storm."
)
VOICE_PITCH=(40 55 70 30)
VOICE_LEAD_SILENCE=${VOICE_LEAD_SILENCE:-1.0}
declare -gA VOICE_REF=() VOICE_SSRC=() VOICE_PID=()

voice_dir() {
	[ -n "$VOICE_DIR" ] || VOICE_DIR=$WORK/voice
	mkdir -p "$VOICE_DIR"
}

# voice_refs NAME...: the Nth name speaks VOICE_TEXTS[N-1] into $VOICE_DIR/ref-NAME.wav.
voice_refs() {
	voice_dir
	local i=0 n
	for n in "$@"; do
		espeak-ng -p "${VOICE_PITCH[$i]}" -w "$VOICE_DIR/ref-$n.wav" "${VOICE_TEXTS[$i]}" || die "espeak-ng failed"
		VOICE_REF[$n]=$VOICE_DIR/ref-$n.wav
		log "reference $n: $(soxi -D "${VOICE_REF[$n]}") s, \"${VOICE_TEXTS[$i]}\""
		i=$((i + 1))
	done
}

# voice_key [SUITE]: a random RFC 4568 inline key (base64 key||salt) for the suite.
voice_key() {
	case "${1:-AES_CM_128_HMAC_SHA1_80}" in
	AEAD_AES_128_GCM) head -c 28 /dev/urandom | base64 ;;
	*) head -c 30 /dev/urandom | base64 ;;
	esac
}

# voice_schedule LEAD_S: every client started from now on begins sending at
# now + LEAD_S (VOICE_START_AT) and stops at VOICE_UNTIL, after the longest
# reference, the lead silence and a margin.
voice_schedule() {
	local longest=0 f d
	for f in "${VOICE_REF[@]}"; do
		d=$(soxi -D "$f")
		longest=$("$PY" -c "print(max($longest, $d))")
	done
	VOICE_START_AT=$("$PY" -c "import time; print(f'{time.time() + $1:.3f}')")
	VOICE_UNTIL=$("$PY" -c "print(f'{$VOICE_START_AT + $VOICE_LEAD_SILENCE + $longest + ${VOICE_TAIL_S:-2.5}:.3f}')")
}

# voice_client_start NAME NS LOCAL REMOTE TX_KEY RX_KEY [voice_client.py options...]
# Starts a client in namespace NS in the background (PID in LAB_PIDS and
# VOICE_PID[NAME]), sending ref-NAME.wav (if there is one) with SSRC
# VOICE_SSRC[NAME], writing into $VOICE_DIR/NAME/; waits until it plays.
voice_client_start() {
	local name=$1 ns=$2 local_=$3 remote=$4 tx=$5 rx=$6
	shift 6
	voice_dir
	local out=$VOICE_DIR/$name
	rm -rf "$out"
	mkdir -p "$out"
	local -a args=(--name "$name" --local "$local_" --remote "$remote" --tx-key "$tx" --rx-key "$rx"
		--out-dir "$out" --lead-silence "$VOICE_LEAD_SILENCE")
	[ -z "${VOICE_REF[$name]:-}" ] || args+=(--wav "${VOICE_REF[$name]}")
	[ -z "${VOICE_SSRC[$name]:-}" ] || args+=(--ssrc "${VOICE_SSRC[$name]}")
	[ -z "${VOICE_START_AT:-}" ] || args+=(--start-at "$VOICE_START_AT")
	if [ -n "${VOICE_UNTIL:-}" ]; then args+=(--until "$VOICE_UNTIL"); else args+=(--seconds "${VOICE_SECONDS:-12}"); fi
	ip netns exec "$ns" "$PY" "$LAB_DIR/voice_client.py" "${args[@]}" "$@" >"$VOICE_DIR/$name.log" 2>&1 &
	VOICE_PID[$name]=$!
	LAB_PIDS+=("$!")
	local _
	for _ in $(seq 100); do
		grep -q PLAYING "$VOICE_DIR/$name.log" && break
		kill -0 "${VOICE_PID[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	grep -q PLAYING "$VOICE_DIR/$name.log" || { cat "$VOICE_DIR/$name.log" >&2; die "voice client $name did not start in $ns"; }
	log "voice client $name in $ns: $local_ -> $remote${VOICE_SSRC[$name]:+, SSRC ${VOICE_SSRC[$name]}}${*:+ ($*)}"
}

# voice_clients_wait NAME...: wait for the clients to finish; fails if one exited non-zero.
voice_clients_wait() {
	local n rc bad=0
	for n in "$@"; do
		rc=0
		wait "${VOICE_PID[$n]}" || rc=$?
		if [ "$rc" -ne 0 ]; then
			tail -20 "$VOICE_DIR/$n.log" >&2
			log "voice client $n exited with $rc"
			bad=1
		fi
		log "voice client $n: $(grep -E 'sent [0-9]+ packets' "$VOICE_DIR/$n.log" | tail -1 | sed 's/.*: sent/sent/')"
	done
	[ "$bad" -eq 0 ] || die "voice client failed"
}

# voice_check_client NAME [voice_check.py options: --expect A,B --self NAME | --expect-none ...]
# Judges $VOICE_DIR/NAME/ against every reference (with its SSRC); figures in
# $VOICE_DIR/check-NAME.json (or --json). Returns voice_check.py's status.
voice_check_client() {
	local name=$1 n
	shift
	local -a refs=()
	for n in "${!VOICE_REF[@]}"; do
		refs+=(--ref "$n=${VOICE_REF[$n]}${VOICE_SSRC[$n]:+@${VOICE_SSRC[$n]}}")
	done
	"$PY" "$LAB_DIR/voice_check.py" --rx-dir "$VOICE_DIR/$name" "${refs[@]}" --json "$VOICE_DIR/check-$name.json" "$@"
}
