/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's fan-out core: per-member libsrtp sessions, SSRC lookup, unprotect once and protect per recipient with the sender's ROC. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <srtp2/srtp.h>

#include "voxrelay/relay.h"
#include "voxrelay/rtp.h"

/* A member counts as a speaker for this long after its last forwarded RTP. */
#define SPEAKER_HOLD_NS 1000000000ull

static const char *const drop_names[] = {
#define VR_RELAY_DROP_NAME(id, name) name,
	VR_RELAY_DROPS(VR_RELAY_DROP_NAME)
#undef VR_RELAY_DROP_NAME
};

const char *vr_relay_drop_name(enum vr_relay_drop d)
{
	return (unsigned)d < VR_RELAY_DROP_MAX ? drop_names[d] : "unknown";
}

const char *vr_relay_suite_name(enum vr_relay_suite s)
{
	switch (s) {
	case VR_RELAY_SUITE_NONE:
		return "NONE";
	case VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80";
	case VR_RELAY_SUITE_AEAD_AES_128_GCM:
		return "AEAD_AES_128_GCM";
	default:
		return "unknown";
	}
}

int vr_relay_suite_key_len(enum vr_relay_suite s)
{
	switch (s) {
	case VR_RELAY_SUITE_NONE:
		return 0;
	case VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80:
		return VR_RELAY_KEY_LEN_AES_CM_128;
	case VR_RELAY_SUITE_AEAD_AES_128_GCM:
		return VR_RELAY_KEY_LEN_AES_128_GCM;
	default:
		return -EINVAL;
	}
}

int vr_relay_global_init(void)
{
	return srtp_init() == srtp_err_status_ok ? 0 : -EIO;
}

/* ---- SSRC table ---- */

static uint32_t ssrc_hash(uint32_t ssrc)
{
	return (ssrc * 0x9e3779b1u) ^ (ssrc >> 16);
}

static int ht_find(const struct vr_relay_room *room, uint32_t ssrc)
{
	for (uint32_t i = ssrc_hash(ssrc) & room->ht_mask;; i = (i + 1) & room->ht_mask) {
		if (room->ht_slot[i] == 0)
			return -1;
		if (room->ht_ssrc[i] == ssrc)
			return room->ht_slot[i] - 1;
	}
}

static void ht_insert(struct vr_relay_room *room, uint32_t ssrc, uint32_t slot)
{
	uint32_t i = ssrc_hash(ssrc) & room->ht_mask;

	while (room->ht_slot[i] != 0)
		i = (i + 1) & room->ht_mask;
	room->ht_ssrc[i] = ssrc;
	room->ht_slot[i] = (uint16_t)(slot + 1);
}

/* Control path: rebuild after a removal (no tombstones on the fast path). */
static void ht_rebuild(struct vr_relay_room *room)
{
	memset(room->ht_slot, 0, (room->ht_mask + 1) * sizeof(room->ht_slot[0]));
	for (uint32_t s = 0; s < room->conf.max_members; s++) {
		const struct vr_relay_member *m = &room->members[s];

		for (unsigned k = 0; m->in_use && k < m->nssrc; k++)
			ht_insert(room, m->streams[k].ssrc, s);
	}
}

/* ---- room ---- */

struct vr_relay_room *vr_relay_room_create(const struct vr_relay_room_conf *conf)
{
	struct vr_relay_room *room = NULL;
	uint32_t size = 16;
	int err = EINVAL;

	if (!conf || conf->max_members < 2 || conf->max_members > VR_RELAY_MAX_MEMBERS ||
	    conf->max_speakers < 1 || conf->max_speakers > conf->max_members)
		goto fail;
	err = ENOMEM;
	room = calloc(1, sizeof(*room));
	if (!room)
		goto fail;
	room->conf = *conf;
	while (size < 2u * conf->max_members * VR_RELAY_MAX_SSRCS)
		size <<= 1;
	room->ht_mask = size - 1;
	room->members = calloc(conf->max_members, sizeof(room->members[0]));
	room->ht_ssrc = calloc(size, sizeof(room->ht_ssrc[0]));
	room->ht_slot = calloc(size, sizeof(room->ht_slot[0]));
	if (!room->members || !room->ht_ssrc || !room->ht_slot)
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
	free(m->out_index);
	explicit_bzero(m, sizeof(*m));
}

void vr_relay_room_free(struct vr_relay_room *room)
{
	if (!room)
		return;
	for (uint32_t s = 0; room->members && s < room->conf.max_members; s++)
		member_clear(&room->members[s]);
	free(room->members);
	free(room->ht_ssrc);
	free(room->ht_slot);
	free(room);
}

struct vr_relay_member *vr_relay_member_find(struct vr_relay_room *room, uint32_t id)
{
	for (uint32_t s = 0; room && s < room->conf.max_members; s++)
		if (room->members[s].in_use && room->members[s].id == id)
			return &room->members[s];
	return NULL;
}

/* ---- members ---- */

static void policy_for(srtp_policy_t *p, enum vr_relay_suite suite, uint32_t ssrc, const uint8_t *key)
{
	memset(p, 0, sizeof(*p));
	if (suite == VR_RELAY_SUITE_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&p->rtp);
		srtp_crypto_policy_set_rtcp_default(&p->rtcp);
	}
	p->ssrc.type = ssrc_specific;
	p->ssrc.value = ssrc;
	p->key = (unsigned char *)key;
	p->window_size = VR_RELAY_REPLAY_WINDOW;
	p->allow_repeat_tx = 0; /* a duplicate never reaches protect: unprotect drops it first */
}

/* Streams for @from's SSRCs in @to's outbound session. */
static int add_out_streams(struct vr_relay_member *to, const uint32_t *from_ssrcs, unsigned n,
			   const uint8_t *to_key_if_new)
{
	srtp_policy_t p;

	if (to->suite == VR_RELAY_SUITE_NONE)
		return 0;
	for (unsigned k = 0; k < n; k++) {
		policy_for(&p, to->suite, from_ssrcs[k], to_key_if_new);
		if (srtp_add_stream(to->srtp_out, &p) != srtp_err_status_ok)
			return -EIO;
	}
	return 0;
}

static void remove_out_streams(struct vr_relay_member *to, const uint32_t *ssrcs, unsigned n)
{
	if (to->suite == VR_RELAY_SUITE_NONE || !to->srtp_out)
		return;
	for (unsigned k = 0; k < n; k++)
		srtp_remove_stream(to->srtp_out, htonl(ssrcs[k]));
}

static void member_ssrcs(const struct vr_relay_member *m, uint32_t *ss)
{
	for (unsigned k = 0; k < m->nssrc; k++)
		ss[k] = m->streams[k].ssrc;
}

int vr_relay_member_add(struct vr_relay_room *room, const struct vr_relay_member_conf *mc)
{
	struct vr_relay_member *m = NULL;
	uint32_t slot = 0, o, added_to = 0;
	int klen, rc = -EINVAL;
	srtp_policy_t p;
	srtp_t s;

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
	if (vr_relay_member_find(room, mc->id))
		goto out;
	for (unsigned i = 0; i < mc->nssrc; i++)
		if (ht_find(room, mc->ssrcs[i]) >= 0)
			goto out;
	rc = -ENOSPC;
	while (slot < room->conf.max_members && room->members[slot].in_use)
		slot++;
	if (slot == room->conf.max_members)
		goto out;

	m = &room->members[slot];
	memset(m, 0, sizeof(*m));
	m->id = mc->id;
	m->suite = (uint8_t)mc->suite;
	m->nssrc = (uint8_t)mc->nssrc;
	for (unsigned k = 0; k < mc->nssrc; k++) {
		m->streams[k].ssrc = mc->ssrcs[k];
		vr_rtpstats_init(&m->streams[k].stats, mc->clock_hz ? mc->clock_hz : 48000);
	}
	if (mc->addr) {
		m->addr = *mc->addr;
		m->port = mc->port;
		m->addr_fixed = 1;
		m->addr_verified = 1;
	}
	rc = -ENOMEM;
	m->out_index = calloc((size_t)room->conf.max_members * VR_RELAY_MAX_SSRCS, sizeof(uint64_t));
	if (!m->out_index)
		goto fail_member;
	if (mc->suite != VR_RELAY_SUITE_NONE) {
		rc = -EIO;
		memcpy(m->out_key, mc->out_key, (size_t)klen);
		/* Inbound: one stream per SSRC it sends (so its ROC exists before the first packet). */
		if (srtp_create(&s, NULL) != srtp_err_status_ok)
			goto fail_member;
		m->srtp_in = s;
		for (unsigned k = 0; k < mc->nssrc; k++) {
			policy_for(&p, mc->suite, mc->ssrcs[k], mc->in_key);
			if (srtp_add_stream(m->srtp_in, &p) != srtp_err_status_ok)
				goto fail_member;
		}
		/* Outbound: one stream per SSRC of every other member. */
		if (srtp_create(&s, NULL) != srtp_err_status_ok)
			goto fail_member;
		m->srtp_out = s;
		for (o = 0; o < room->conf.max_members; o++) {
			const struct vr_relay_member *om = &room->members[o];
			uint32_t ss[VR_RELAY_MAX_SSRCS];

			if (o == slot || !om->in_use)
				continue;
			member_ssrcs(om, ss);
			if (add_out_streams(m, ss, om->nssrc, m->out_key) != 0)
				goto fail_member;
		}
	}
	/* Its SSRCs into every other member's outbound session. */
	rc = -EIO;
	for (o = 0; o < room->conf.max_members; o++) {
		struct vr_relay_member *om = &room->members[o];

		if (o == slot || !om->in_use)
			continue;
		if (add_out_streams(om, mc->ssrcs, mc->nssrc, om->out_key) != 0)
			goto fail_others;
		/* a slot's previous occupant left its indices behind */
		memset(&om->out_index[(size_t)slot * VR_RELAY_MAX_SSRCS], 0,
		       VR_RELAY_MAX_SSRCS * sizeof(uint64_t));
		added_to = o + 1;
	}
	m->in_use = 1;
	room->nmembers++;
	for (unsigned k = 0; k < mc->nssrc; k++)
		ht_insert(room, mc->ssrcs[k], slot);
	rc = 0;
	goto out;
fail_others:
	/* remove_out_streams() tolerates streams that were never added */
	for (o = 0; o <= added_to && o < room->conf.max_members; o++)
		if (o != slot && room->members[o].in_use)
			remove_out_streams(&room->members[o], mc->ssrcs, mc->nssrc);
fail_member:
	member_clear(m);
out:
	return rc;
}

int vr_relay_member_remove(struct vr_relay_room *room, uint32_t id)
{
	struct vr_relay_member *m = vr_relay_member_find(room, id);
	uint32_t ss[VR_RELAY_MAX_SSRCS];

	if (!m)
		return -ENOENT;
	member_ssrcs(m, ss);
	for (uint32_t o = 0; o < room->conf.max_members; o++)
		if (&room->members[o] != m && room->members[o].in_use)
			remove_out_streams(&room->members[o], ss, m->nssrc);
	member_clear(m);
	room->nmembers--;
	ht_rebuild(room);
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

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline enum vr_relay_verdict drop(struct vr_relay_room *room, struct vr_relay_out *out,
					 enum vr_relay_drop why)
{
	room->drops[why]++;
	out->reason = why;
	return VR_RELAY_DROP;
}

/* libsrtp's own guess of the index of @seq from a session's highest index
 * (srtp_rdbx_estimate_index(): RFC 3711 Appendix A, except that below index
 * 2^15 it always guesses ROC 0). */
static uint32_t srtp_guess_roc(uint64_t highest, uint16_t seq)
{
	struct vr_roc r;
	uint32_t v;

	if (highest <= 0x8000)
		return 0;
	vr_roc_init(&r, (uint16_t)highest, (uint32_t)(highest >> 16));
	vr_roc_estimate(&r, seq, &v);
	return v;
}

static bool speaker_slot_free(const struct vr_relay_room *room, const struct vr_relay_member *m,
			      uint64_t now_ns)
{
	uint32_t active = 0;

	if (m->last_rtp_ns && now_ns - m->last_rtp_ns < SPEAKER_HOLD_NS)
		return true;
	for (uint32_t s = 0; s < room->conf.max_members; s++) {
		const struct vr_relay_member *o = &room->members[s];

		if (o->in_use && o != m && o->last_rtp_ns && now_ns - o->last_rtp_ns < SPEAKER_HOLD_NS)
			active++;
	}
	return active < room->conf.max_speakers;
}

/*
 * Unprotect an SRTP packet of stream @st with the sender's session. @v is
 * our RFC 3711 guess of its ROC (the same libsrtp makes). Returns the libsrtp
 * status; on success *v is the ROC the packet authenticated with.
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

enum vr_relay_verdict vr_relay_input(struct vr_relay_room *room, uint8_t *p, uint32_t len,
				     const struct vr_addr *src, uint16_t sport, uint64_t now_ns,
				     struct vr_relay_out *out)
{
	struct vr_relay_member *m;
	struct vr_relay_stream *st = NULL;
	struct vr_rtp_hdr h;
	bool rtcp, advanced = false;
	uint32_t ssrc, v = 0, slot, k;
	int ilen = (int)len;
	srtp_err_status_t e;
	int sl;

	out->count = 0;
	out->reason = VR_RELAY_DROP_NONE;
	room->rx_packets++;
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
		ssrc = rd32(p + 4);
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

	if (!rtcp && st->started)
		vr_roc_estimate(&st->roc, h.seq, &v);
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
			advanced = true;
			st->highest = idx;
			vr_roc_init(&st->roc, h.seq, v);
			st->started = 1;
		}
		if (m->suite != VR_RELAY_SUITE_NONE) {
			uint32_t lib_roc;

			/* libsrtp's stream ROC must be ours (same RFC 3711 estimate, same
			 * packets); if ever not, trust the one that authenticated. */
			if (srtp_get_stream_roc(m->srtp_in, ssrc, &lib_roc) == srtp_err_status_ok &&
			    lib_roc != st->roc.roc) {
				st->roc_resyncs++;
				st->roc.roc = lib_roc;
			}
		}
		if (!speaker_slot_free(room, m, now_ns)) {
			m->c.rx_drops++;
			return drop(room, out, VR_RELAY_DROP_TOO_MANY_SPEAKERS);
		}
		m->last_rtp_ns = now_ns;
		vr_rtpstats_update(&st->stats, h.seq, h.ts, now_ns, (uint32_t)ilen - h.hdr_len);
	} else {
		st->rtcp_packets++;
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

	for (uint32_t r = 0; r < room->conf.max_members; r++) {
		struct vr_relay_member *rc = &room->members[r];
		struct vr_relay_tx *t;
		int olen = ilen;

		if (r == slot || !rc->in_use || !rc->addr_verified)
			continue;
		if (out->count == out->ntx) {
			room->drops[VR_RELAY_DROP_NO_OUT_BUFFER]++;
			continue;
		}
		t = &out->tx[out->count];
		if (t->cap < (uint32_t)ilen + (rtcp ? VR_RELAY_TAILROOM_RTCP : VR_RELAY_TAILROOM_RTP)) {
			room->drops[VR_RELAY_DROP_OUT_BUFFER_SMALL]++;
			continue;
		}
		memcpy(t->buf, p, (size_t)ilen);
		if (rc->suite != VR_RELAY_SUITE_NONE) {
			if (rtcp) {
				/* SRTCP carries its own explicit index: nothing to align. */
				e = srtp_protect_rtcp(rc->srtp_out, t->buf, &olen);
			} else {
				/*
				 * The recipient must see the packet under the SENDER's index
				 * (ROC * 2^16 + SEQ): SEQ is forwarded unchanged, and its
				 * receiver guesses the ROC from the SEQs it sees, exactly as we
				 * did. Left alone, libsrtp's protect side would guess the ROC
				 * from what this outbound stream sent last, which is wrong when
				 * (a) more than 2^15 packets went by since (a loss at the
				 * sender, or the recipient had no address, or joined late at
				 * ROC > 0): it would place the packet 2^16 too low, and the
				 * recipient would fail to authenticate everything after; or
				 * (b) the index is so far from its last that its guess and ours
				 * disagree around a wrap. So we mirror the stream's highest
				 * index (out_index) and, whenever libsrtp's guess would differ
				 * from the sender's ROC, hand it the right ROC for this packet
				 * (srtp_set_stream_roc sets the pending ROC used by the next
				 * protect). Reordering inside +-2^15, even across a wrap, gives
				 * the same guess on both sides and needs nothing.
				 * libsrtp treats a pending ROC of 0 as "none"; a packet of
				 * ROC 0 is guessed right anyway (libsrtp guesses ROC 0 below
				 * index 2^15, and the packet is never older than the window).
				 */
				uint64_t *oi = &rc->out_index[(size_t)slot * VR_RELAY_MAX_SSRCS + k];
				uint64_t idx = ((uint64_t)v << 16) | h.seq;

				if (*oi == 0 || srtp_guess_roc(*oi - 1, h.seq) != v)
					srtp_set_stream_roc(rc->srtp_out, ssrc, v);
				e = srtp_protect(rc->srtp_out, t->buf, &olen);
				if (e == srtp_err_status_ok && idx + 1 > *oi)
					*oi = idx + 1;
				else if (e != srtp_err_status_ok)
					srtp_set_stream_roc(rc->srtp_out, ssrc, 0);
			}
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
	return VR_RELAY_FORWARD;
}
