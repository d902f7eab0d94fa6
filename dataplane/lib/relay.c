/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's fan-out core: per-member libsrtp sessions (one template each way), SSRC lookup, unprotect once and protect per recipient with the sender's ROC. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <srtp2/srtp.h>

#include "voxrelay/relay.h"
#include "voxrelay/rtp.h"
#include "voxrelay/srtp_hmac.h"

#include "bytes.h"

static const char *const drop_names[] = {
#define VR_RELAY_DROP_NAME(id, name) name,
	VR_RELAY_DROPS(VR_RELAY_DROP_NAME)
#undef VR_RELAY_DROP_NAME
};

const char *vr_relay_drop_name(enum vr_relay_drop d)
{
	return (unsigned)d < VR_RELAY_DROP_MAX ? drop_names[d] : "unknown";
}

int vr_relay_global_init(void)
{
	if (srtp_init() != srtp_err_status_ok)
		return -EIO;
	return vr_srtp_hmac_install();
}

/* ---- SSRC table ---- */

static inline uint32_t ssrc_hash(uint32_t ssrc)
{
	return (ssrc * 0x9e3779b1u) ^ (ssrc >> 16);
}

/* One 64-bit word per entry, ssrc << 32 | (slot + 1), so a probe reads one word. */
static inline int ht_find(const struct vr_relay_room *room, uint32_t ssrc)
{
	for (uint32_t i = ssrc_hash(ssrc) & room->ht_mask;; i = (i + 1) & room->ht_mask) {
		uint64_t e = room->ht[i];

		if (e == 0)
			return -1;
		if ((uint32_t)(e >> 32) == ssrc)
			return (int)(uint32_t)e - 1;
	}
}

static void ht_insert(uint64_t *ht, uint32_t mask, uint32_t ssrc, uint32_t slot)
{
	uint32_t i = ssrc_hash(ssrc) & mask;

	while (ht[i] != 0)
		i = (i + 1) & mask;
	ht[i] = (uint64_t)ssrc << 32 | (slot + 1);
}

/* Refill @ht (mask @mask) from the members: after a removal (no tombstones
 * on the fast path) or into a bigger table. */
static void ht_fill(const struct vr_relay_room *room, uint64_t *ht, uint32_t mask)
{
	memset(ht, 0, ((size_t)mask + 1) * sizeof(ht[0]));
	for (uint32_t s = 0; s < room->conf.max_members; s++) {
		const struct vr_relay_member *m = &room->members[s];

		for (unsigned k = 0; m->in_use && k < m->nssrc; k++)
			ht_insert(ht, mask, m->streams[k].ssrc, s);
	}
}

/* Make room for @more SSRCs: at most half full, so a miss (an unknown SSRC,
 * the attacker's case) ends within a probe or two. Sized to the SSRCs the
 * room has rather than the most it could have: rooms of 5 with one SSRC
 * each keep 16 entries (128 bytes) instead of 64. Control path. */
static int ht_reserve(struct vr_relay_room *room, uint32_t more)
{
	uint32_t need = 2 * (room->nssrcs + more), size = room->ht_mask + 1;
	uint64_t *ht;

	if (need <= size)
		return 0;
	while (size < need)
		size <<= 1;
	ht = calloc(size, sizeof(*ht));
	if (!ht)
		return -ENOMEM;
	ht_fill(room, ht, size - 1);
	free(room->ht);
	room->ht = ht;
	room->ht_mask = size - 1;
	return 0;
}

/* ---- room ---- */

#define HT_MIN 8

struct vr_relay_room *vr_relay_room_create(const struct vr_relay_room_conf *conf)
{
	struct vr_relay_room *room = NULL;
	struct vr_relay_room_conf c;
	int err = EINVAL;

	if (!conf || conf->max_members < 2 || conf->max_members > VR_RELAY_MAX_MEMBERS ||
	    conf->max_speakers > conf->max_members || conf->audio_level_id > 14)
		goto fail;
	c = *conf;
	if (c.max_speakers == 0)
		c.max_speakers = VR_RELAY_DEFAULT_SPEAKERS < c.max_members ? VR_RELAY_DEFAULT_SPEAKERS
									    : c.max_members;
	err = ENOMEM;
	room = calloc(1, sizeof(*room));
	if (!room)
		goto fail;
	room->conf = c;
	room->ht_mask = HT_MIN - 1;
	room->members = calloc(c.max_members, sizeof(room->members[0]));
	room->ht = calloc(HT_MIN, sizeof(room->ht[0]));
	room->sel = calloc(c.max_speakers, sizeof(room->sel[0]));
	if (!room->members || !room->ht || !room->sel)
		goto fail;
	return room;
fail:
	vr_relay_room_free(room);
	errno = err;
	return NULL;
}

static void member_clear(struct vr_relay_member *m)
{
	if (!m)
		return;
	if (m->srtp_in)
		srtp_dealloc(m->srtp_in);
	if (m->srtp_out)
		srtp_dealloc(m->srtp_out);
	free(m->streams);
	explicit_bzero(m, sizeof(*m));
}

void vr_relay_room_free(struct vr_relay_room *room)
{
	if (!room)
		return;
	for (uint32_t s = 0; room->members && s < room->conf.max_members; s++)
		member_clear(&room->members[s]);
	free(room->members);
	free(room->ht);
	free(room->sel);
	free(room);
}

static const struct vr_relay_member *member_find(const struct vr_relay_room *room, uint32_t id)
{
	for (uint32_t s = 0; room && s < room->conf.max_members; s++)
		if (room->members[s].in_use && room->members[s].id == id)
			return &room->members[s];
	return NULL;
}

struct vr_relay_member *vr_relay_member_find(struct vr_relay_room *room, uint32_t id)
{
	return (struct vr_relay_member *)member_find(room, id);
}

/* ---- members ---- */

/* Forget @to's outbound clones of @ssrcs (srtp_remove_stream frees the clone's
 * replay state only: the contexts stay with the template). Absent is fine. */
static void remove_out_clones(struct vr_relay_member *to, const struct vr_relay_stream *ss, unsigned n)
{
	if (to->suite == VR_RELAY_SUITE_NONE || !to->srtp_out)
		return;
	for (unsigned k = 0; k < n; k++)
		srtp_remove_stream(to->srtp_out, htonl(ss[k].ssrc));
}

int vr_relay_member_add(struct vr_relay_room *room, const struct vr_relay_member_conf *mc)
{
	struct vr_relay_member *m = NULL;
	uint32_t slot = 0, maxm;
	size_t sz;
	int klen, rc = -EINVAL;

	if (!room || !mc || mc->nssrc < 1 || mc->nssrc > VR_RELAY_MAX_SSRCS)
		goto out;
	klen = vr_relay_suite_key_len(mc->suite);
	if (klen < 0 || (klen > 0 && (!mc->in_key || !mc->out_key)) || (mc->addr && mc->port == 0))
		goto out;
	for (unsigned i = 0; i < mc->nssrc; i++)
		for (unsigned j = 0; j < i; j++)
			if (mc->ssrcs[i] == mc->ssrcs[j])
				goto out;
	rc = -EEXIST;
	if (member_find(room, mc->id))
		goto out;
	for (unsigned i = 0; i < mc->nssrc; i++)
		if (ht_find(room, mc->ssrcs[i]) >= 0)
			goto out;
	rc = -ENOSPC;
	maxm = room->conf.max_members;
	while (slot < maxm && room->members[slot].in_use)
		slot++;
	if (slot == maxm)
		goto out;
	rc = ht_reserve(room, mc->nssrc); /* a bigger table is harmless if we fail below */
	if (rc != 0)
		goto out;

	m = &room->members[slot];
	memset(m, 0, sizeof(*m));
	m->id = mc->id;
	m->suite = (uint8_t)mc->suite;
	m->nssrc = (uint8_t)mc->nssrc;
	m->spk.level = 127;
	if (mc->addr) {
		m->addr = *mc->addr;
		m->port = mc->port;
		m->addr_fixed = 1;
		m->addr_verified = 1;
	}
	/* The streams and, behind them, their out_index arrays: one allocation,
	 * sized to the SSRCs it has (not VR_RELAY_MAX_SSRCS). */
	rc = -ENOMEM;
	sz = mc->nssrc * (sizeof(struct vr_relay_stream) + (size_t)maxm * sizeof(uint64_t));
	m->streams = calloc(1, sz);
	if (!m->streams)
		goto fail;
	for (unsigned k = 0; k < mc->nssrc; k++) {
		struct vr_relay_stream *st = &m->streams[k];

		st->ssrc = mc->ssrcs[k];
		st->out_index = (uint64_t *)(m->streams + mc->nssrc) + (size_t)k * maxm;
		vr_rtpstats_init(&st->stats, mc->clock_hz ? mc->clock_hz : 48000);
	}
	if (mc->suite != VR_RELAY_SUITE_NONE) {
		/* One template each way: RFC 3711 4.3 derives the session keys
		 * from the master key and the index-independent labels only, so
		 * every SSRC can use the same cipher and HMAC contexts;
		 * srtp_stream_clone() gives each SSRC its own replay window and ROC
		 * and points at the template's. */
		m->srtp_in = vr_relay_srtp_session(mc->suite, mc->in_key, true, VR_RELAY_REPLAY_WINDOW);
		if (!m->srtp_in)
			goto fail_errno;
		m->srtp_out = vr_relay_srtp_session(mc->suite, mc->out_key, false, VR_RELAY_REPLAY_WINDOW);
		if (!m->srtp_out)
			goto fail_errno;
	}
	/* Nothing can fail from here: the others learn about the newcomer. */
	for (uint32_t o = 0; o < maxm; o++) {
		struct vr_relay_member *om = &room->members[o];

		if (o == slot || !om->in_use)
			continue;
		/* the slot's previous occupant left its indices behind */
		for (unsigned k = 0; k < om->nssrc; k++)
			om->streams[k].out_index[slot] = 0;
		/* member_remove() already took these out; a clone left by anything
		 * else would carry an old index and refuse the newcomer as a replay */
		remove_out_clones(om, m->streams, m->nssrc);
	}
	m->in_use = 1;
	room->nmembers++;
	room->nssrcs += mc->nssrc;
	for (unsigned k = 0; k < mc->nssrc; k++)
		ht_insert(room->ht, room->ht_mask, mc->ssrcs[k], slot);
	return 0;
fail_errno:
	rc = -errno;
fail:
	member_clear(m);
out:
	return rc;
}

int vr_relay_member_remove(struct vr_relay_room *room, uint32_t id)
{
	struct vr_relay_member *m = vr_relay_member_find(room, id);
	uint32_t slot;

	if (!m)
		return -ENOENT;
	slot = (uint32_t)(m - room->members);
	for (uint32_t o = 0; o < room->conf.max_members; o++) {
		struct vr_relay_member *om = &room->members[o];

		if (o == slot || !om->in_use)
			continue;
		remove_out_clones(om, m->streams, m->nssrc);
		for (unsigned k = 0; k < om->nssrc; k++)
			om->streams[k].out_index[slot] = 0;
	}
	for (uint16_t i = 0; i < room->nsel; i++)
		if (room->sel[i] == slot) {
			room->sel[i] = room->sel[--room->nsel];
			break;
		}
	room->nssrcs -= m->nssrc;
	member_clear(m);
	room->nmembers--;
	ht_fill(room, room->ht, room->ht_mask);
	return 0;
}

int vr_relay_member_set_address(struct vr_relay_room *room, uint32_t id, const struct vr_addr *addr,
				uint16_t port)
{
	struct vr_relay_member *m = vr_relay_member_find(room, id);

	if (!m)
		return -ENOENT;
	if (addr && port == 0)
		return -EINVAL;
	if (addr) {
		m->addr = *addr;
		m->port = port;
	} else {
		memset(&m->addr, 0, sizeof(m->addr));
		m->port = 0;
	}
	m->addr_fixed = addr != NULL;
	m->addr_verified = addr != NULL;
	m->latched = 0;
	return 0;
}

/* ---- the packet path ---- */

static inline enum vr_relay_verdict drop(struct vr_relay_room *room, struct vr_relay_out *out,
					 enum vr_relay_drop why)
{
	room->drops[why]++;
	out->reason = why;
	return VR_RELAY_DROP;
}

/*
 * Unprotect an SRTP packet of stream @st with the sender's session. @v is
 * libsrtp's guess of its ROC (vr_roc_guess()). Returns the libsrtp status;
 * on success *v is the ROC the packet authenticated with.
 *
 * Beyond the RFC: after a loss of more than 2^15 packets every guess is a
 * packet "older than the window" (libsrtp refuses it with replay_old before
 * any crypto, the buffer untouched), so we try once more with ROC + 1 forced
 * (srtp_set_stream_roc sets libsrtp's pending ROC for the next packet of the
 * stream). Authentication decides; a forged packet costs one more HMAC.
 */
static srtp_err_status_t unprotect_rtp(struct vr_relay_member *m, struct vr_relay_stream *st, uint8_t *p,
				       int *ilen, uint16_t seq, uint32_t *v)
{
	int len0 = *ilen;
	srtp_err_status_t e = srtp_unprotect(m->srtp_in, p, ilen);
	uint64_t guess = ((uint64_t)*v << 16) | seq;

	if (e == srtp_err_status_replay_old && st->started && st->highest > guess &&
	    st->highest - guess > VR_RELAY_REPLAY_WINDOW && *v + 1 != 0) {
		*ilen = len0;
		srtp_set_stream_roc(m->srtp_in, st->ssrc, *v + 1);
		e = srtp_unprotect(m->srtp_in, p, ilen);
		if (e == srtp_err_status_ok)
			(*v)++;
		else
			srtp_set_stream_roc(m->srtp_in, st->ssrc, 0); /* 0 clears the pending ROC */
	}
	return e;
}

/*
 * The first copy of @ssrc to a recipient at sender ROC @v > 0. libsrtp
 * clones the outbound template on the first protect of an SSRC, and a fresh
 * clone guesses ROC 0 (index below 2^15), which would put the packet 2^16*v
 * too low and make the recipient fail everything after. The pending ROC
 * (srtp_set_stream_roc) can only be set on a stream that exists, so make
 * the clone exist first: protect a 12-byte scratch header of the same SSRC
 * and SEQ (never sent; nothing encrypted, one short HMAC), which records
 * index SEQ at ROC 0 in the clone; then set the pending ROC v. The real
 * protect then estimates v * 2^16 + SEQ, more than 2^15 above the clone's
 * index, takes libsrtp's "index advanced" path (srtp_rdbx_set_roc_seq: ROC
 * v, s_l SEQ, window cleared) and clears the pending ROC. An SRTCP copy may
 * have made the clone already: then setting the ROC succeeds at once.
 */
static srtp_err_status_t clone_at_roc(srtp_t s, uint32_t ssrc, uint16_t seq, uint32_t v)
{
	_Alignas(8) uint8_t scratch[12 + SRTP_MAX_TRAILER_LEN];
	int len = 12;
	srtp_err_status_t e;

	if (srtp_set_stream_roc(s, ssrc, v) == srtp_err_status_ok)
		return srtp_err_status_ok;
	vr_rtp_write_hdr(scratch, 0, seq, 0, ssrc);
	e = srtp_protect(s, scratch, &len);
	if (e != srtp_err_status_ok)
		return e;
	return srtp_set_stream_roc(s, ssrc, v);
}

/*
 * Protect one RTP copy for recipient @rc under the SENDER's index v * 2^16 +
 * seq. SEQ is forwarded unchanged and the recipient guesses the ROC from the
 * SEQs it sees, exactly as we did. Left alone, libsrtp's protect side would
 * guess the ROC from what this outbound stream sent last, which is wrong
 * when (a) more than 2^15 packets went by since (a loss at the sender, the
 * recipient had no address, the sender was not among the loudest, or the
 * recipient joined late at ROC > 0): it would place the packet 2^16 too low,
 * and the recipient would fail to authenticate everything after; or (b) the
 * index is so far from its last that its guess and ours disagree around a
 * wrap. So we mirror the stream's highest index (*oi) and, whenever
 * libsrtp's guess would differ from the sender's ROC, hand it the right ROC
 * for this packet (the pending ROC used by the next protect, which libsrtp
 * clears once its index has advanced). Reordering inside +-2^15, even across
 * a wrap, gives the same guess on both sides and needs nothing. libsrtp
 * treats a pending ROC of 0 as "none"; a packet of ROC 0 is guessed right
 * anyway (libsrtp guesses ROC 0 up to index 2^15, and the packet is never
 * older than the window, which unprotect enforced).
 */
static srtp_err_status_t protect_rtp(struct vr_relay_member *rc, uint64_t *oi, uint32_t ssrc, uint8_t *b,
				     int *olen, uint16_t seq, uint32_t v)
{
	uint64_t idx = ((uint64_t)v << 16) | seq;
	srtp_err_status_t e;

	if (*oi == 0) {
		if (v != 0 && (e = clone_at_roc(rc->srtp_out, ssrc, seq, v)) != srtp_err_status_ok)
			return e;
	} else if (vr_roc_guess(*oi - 1, seq) != v) {
		srtp_set_stream_roc(rc->srtp_out, ssrc, v);
	}
	e = srtp_protect(rc->srtp_out, b, olen);
	if (e == srtp_err_status_ok) {
		if (idx + 1 > *oi)
			*oi = idx + 1;
	} else {
		srtp_set_stream_roc(rc->srtp_out, ssrc, 0);
	}
	return e;
}

/* Keep an SRTCP sender report for vr_relay_ssrc_stats(): one parse per RTCP
 * datagram, about one a second per stream. Malformed RTCP is still
 * forwarded (the recipient decides); we just learn nothing from it. */
static void note_sr(struct vr_relay_stream *st, const uint8_t *p, uint32_t len, uint64_t now_ns)
{
	struct vr_rtcp_info ri;

	if (vr_rtcp_parse(p, len, VR_RTCP_REDUCED_SIZE, &ri) == VR_RTP_OK && ri.is_sr && ri.ssrc == st->ssrc) {
		st->sr.valid = 1;
		st->sr.si = ri.sr;
		st->sr.arrival_ns = now_ns;
	}
}

enum vr_relay_verdict vr_relay_receive(struct vr_relay_room *room, uint8_t *p, uint32_t len,
				       const struct vr_addr *src, uint16_t sport, uint64_t now_ns,
				       struct vr_relay_rx *rx, struct vr_relay_out *out)
{
	struct vr_relay_member *m;
	struct vr_relay_stream *st = NULL;
	struct vr_rtp_hdr h;
	struct vr_rtp_audio_level al = { 0 };
	bool rtcp, advanced = false;
	uint32_t ssrc, v = 0, slot, k;
	int ilen = (int)len;
	srtp_err_status_t e;
	int sl;

	out->count = 0;
	out->reason = VR_RELAY_DROP_NONE;
	room->rx_packets++;
	room->last_ns = now_ns;
	switch (vr_demux_classify(p, len)) {
	case VR_DEMUX_RTP:
		break;
	case VR_DEMUX_STUN:
	case VR_DEMUX_DTLS:
		room->slow_path++;
		return VR_RELAY_SLOW_PATH;
	default:
		return drop(room, out, VR_RELAY_DROP_NOT_RTP);
	}
	rtcp = vr_rtp_is_rtcp(p, len);
	if (rtcp) {
		/* SRTCP leaves the first 8 bytes (header, sender SSRC) in clear (RFC 3711 3.4) */
		if (len < 8)
			return drop(room, out, VR_RELAY_DROP_RTCP_MALFORMED);
		ssrc = vr_rd32(p + 4);
	} else {
		if (vr_rtp_parse(p, len, VR_RTP_OPAQUE_PAYLOAD, &h) != VR_RTP_OK)
			return drop(room, out, VR_RELAY_DROP_RTP_MALFORMED);
		ssrc = h.ssrc;
	}
	sl = ht_find(room, ssrc);
	if (sl < 0)
		return drop(room, out, VR_RELAY_DROP_UNKNOWN_SSRC);
	slot = (uint32_t)sl;
	m = &room->members[slot];
	for (k = 0; k < m->nssrc; k++)
		if (m->streams[k].ssrc == ssrc)
			break;
	st = &m->streams[k];
	/* A fixed address is checked before any crypto: cheap refusal of strangers. */
	if (m->addr_fixed && (m->port != sport || !vr_addr_eq(&m->addr, src))) {
		m->c.rx_drops++;
		return drop(room, out, VR_RELAY_DROP_SRC_MISMATCH);
	}
	/* The RFC 6464 element is in the header extension, which SRTP leaves in
	 * clear (no RFC 6904 here): read it now, believe it only once the packet
	 * authenticated. A level element without its byte is ignored, not a
	 * reason to drop the voice. */
	if (!rtcp && room->conf.audio_level_id && h.extension &&
	    vr_rtp_audio_level(p, &h, room->conf.audio_level_id, &al) != VR_RTP_OK)
		al.present = 0;

	if (!rtcp && st->started)
		v = vr_roc_guess(st->highest, h.seq);
	if (m->suite == VR_RELAY_SUITE_NONE)
		e = srtp_err_status_ok;
	else if (rtcp)
		e = srtp_unprotect_rtcp(m->srtp_in, p, &ilen);
	else
		e = unprotect_rtp(m, st, p, &ilen, h.seq, &v);
	if (e != srtp_err_status_ok) {
		m->c.rx_drops++;
		return drop(room, out,
			    e == srtp_err_status_auth_fail ? VR_RELAY_DROP_AUTH_FAIL
			    : e == srtp_err_status_replay_fail || e == srtp_err_status_replay_old
				    ? VR_RELAY_DROP_REPLAY
				    : VR_RELAY_DROP_SRTP_ERROR);
	}

	/* Authenticated (or plain): now, and only now, the packet may teach us anything. */
	if (!rtcp) {
		uint64_t idx = ((uint64_t)v << 16) | h.seq;

		if (!st->started || idx > st->highest) {
			if (st->started && v != vr_relay_stream_roc(st) && m->suite != VR_RELAY_SUITE_NONE) {
				uint32_t lib_roc;

				/* Once per wrap: libsrtp's ROC must be the one we
				 * mirrored (same estimate, same packets); if ever not,
				 * trust the one that authenticated. */
				if (srtp_get_stream_roc(m->srtp_in, ssrc, &lib_roc) == srtp_err_status_ok &&
				    lib_roc != v) {
					st->roc_resyncs++;
					v = lib_roc;
					idx = ((uint64_t)v << 16) | h.seq;
				}
			}
			advanced = true;
			st->highest = idx;
			st->started = 1;
		}
		m->last_rtp_ns = now_ns;
		vr_rtpstats_update(&st->stats, h.seq, h.ts, now_ns, (uint32_t)ilen - h.hdr_len);
	} else {
		st->rtcp_packets++;
		note_sr(st, p, (uint32_t)ilen, now_ns);
	}
	if (!m->addr_verified) {
		m->addr = *src;
		m->port = sport;
		m->addr_verified = 1;
		m->latched = 1;
	} else if (m->latched && advanced && (m->port != sport || !vr_addr_eq(&m->addr, src))) {
		/* NAT rebinding: follow only a packet that authenticated AND is the
		 * newest of its stream, so neither a forgery nor a stale copy can. */
		m->addr = *src;
		m->port = sport;
		m->c.relatches++;
	}
	m->c.rx_packets++;
	m->c.rx_bytes += (uint32_t)ilen;
	out->sender_id = m->id;
	if (al.present && !vr_relay_speaker_observe(room, m, al.level, al.voice, now_ns)) {
		/* everything above still happened: ROC, statistics and latching
		 * follow every authenticated packet, forwarded or not */
		m->c.rx_drops++;
		return drop(room, out, VR_RELAY_DROP_NOT_LOUDEST);
	}

	rx->slot = slot;
	rx->stream = k;
	rx->ssrc = ssrc;
	rx->len = (uint32_t)ilen;
	rx->roc = v;
	rx->seq = rtcp ? 0 : h.seq;
	rx->rtcp = rtcp;
	rx->copies = 0;
	for (uint32_t r = 0; r < room->conf.max_members; r++)
		rx->copies += r != slot && room->members[r].in_use && room->members[r].addr_verified;
	return VR_RELAY_FORWARD;
}

uint32_t vr_relay_fanout(struct vr_relay_room *room, const uint8_t *p, const struct vr_relay_rx *rx,
			 struct vr_relay_out *out)
{
	struct vr_relay_stream *st = &room->members[rx->slot].streams[rx->stream];
	srtp_err_status_t e;

	out->count = 0;
	for (uint32_t r = 0; r < room->conf.max_members; r++) {
		struct vr_relay_member *rc = &room->members[r];
		struct vr_relay_tx *t;
		int olen = (int)rx->len;

		if (r == rx->slot || !rc->in_use || !rc->addr_verified)
			continue;
		if (out->count == out->ntx) {
			room->drops[VR_RELAY_DROP_NO_OUT_BUFFER]++;
			continue;
		}
		t = &out->tx[out->count];
		if (t->cap < rx->len + (rx->rtcp ? VR_RELAY_TAILROOM_RTCP : VR_RELAY_TAILROOM_RTP)) {
			room->drops[VR_RELAY_DROP_OUT_BUFFER_SMALL]++;
			continue;
		}
		memcpy(t->buf, p, rx->len);
		if (rc->suite != VR_RELAY_SUITE_NONE) {
			/* SRTCP carries its own explicit index: nothing to align. */
			e = rx->rtcp ? srtp_protect_rtcp(rc->srtp_out, t->buf, &olen)
				     : protect_rtp(rc, &st->out_index[r], rx->ssrc, t->buf, &olen, rx->seq, rx->roc);
			if (e != srtp_err_status_ok) {
				room->drops[VR_RELAY_DROP_PROTECT_FAIL]++;
				continue;
			}
		}
		t->len = (uint32_t)olen;
		t->member_id = rc->id;
		t->addr = rc->addr;
		t->port = rc->port;
		rc->c.tx_packets++;
		rc->c.tx_bytes += (uint32_t)olen;
		out->count++;
	}
	room->tx_packets += out->count;
	return out->count;
}

enum vr_relay_verdict vr_relay_input(struct vr_relay_room *room, uint8_t *p, uint32_t len,
				     const struct vr_addr *src, uint16_t sport, uint64_t now_ns,
				     struct vr_relay_out *out)
{
	struct vr_relay_rx rx;
	enum vr_relay_verdict v = vr_relay_receive(room, p, len, src, sport, now_ns, &rx, out);

	if (v == VR_RELAY_FORWARD)
		vr_relay_fanout(room, p, &rx, out);
	return v;
}
