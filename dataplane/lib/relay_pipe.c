/* SPDX-License-Identifier: BSD-3-Clause */
/* Cache warm-up pipeline for the relay: the packets ahead of vr_relay_input() walk, one dependent load a step, to the libsrtp contexts they will use. */

/*
 * Why. With hundreds of rooms and more, every packet of the relay uses five
 * libsrtp sessions (the sender's inbound, four recipients' outbound) whose
 * contexts were last touched 20 ms ago and are out of cache: each SRTP
 * operation then waits on a chain of dependent misses (session -> stream
 * list -> stream -> keys -> cipher -> OpenSSL context ...), one after the
 * other, and the relay runs at the speed of cold libsrtp (measured: raw
 * libsrtp over 10,000 sessions in random order does a fifth of what it does
 * over one). Software prefetch cannot shorten a chain, but it can walk many
 * chains at once: each push advances every packet in flight by one level,
 * so the misses of VR_RELAY_PIPE_DEPTH (16) packets x 5 sessions overlap
 * instead of queueing (a chain is about 13 levels: SSRC bucket, member,
 * session, list stub, up to 4 list nodes, stream, keys, cipher and HMAC
 * objects, their states, the OpenSSL contexts).
 *
 * The walk needs libsrtp's private structures (srtp_priv.h and the crypto
 * headers of the same subproject source it was built from, so the layouts
 * are the library's by construction). It only ever prefetches beyond what
 * it reads, reads only libsrtp's own pointers (never OpenSSL's opaque
 * contexts, whose first lines it merely prefetches), and is skipped for
 * anything it does not recognise, so at worst it warms the wrong lines.
 */
#include <stddef.h>
#include <string.h>

#include <arpa/inet.h>

#include "srtp_priv.h"
#include "aes_icm_ext.h"
#include "aes_gcm.h"

#include "voxrelay/relay.h"

enum {
	C_DONE = 0,
	C_CTX,    /* chain points at an srtp_ctx_t (prefetched) */
	C_STUB,   /* at the stream list's head stub */
	C_NODE,   /* at a stream of the list (ssrc compared) */
	C_STREAM, /* at the stream of our SSRC */
	C_KEYS,   /* at its session keys */
	C_STATE,  /* cipher and auth objects fetched */
};

enum {
	S_NEW = 0, /* room and packet prefetched */
	S_HT,      /* SSRC table bucket prefetched */
	S_MEMBER,  /* sender's member (and the members array) prefetched */
	S_CHAINS,  /* sessions known, chains walking */
	S_DONE,
};

#define PF(a) __builtin_prefetch((const void *)(a), 0, 3)

static inline void pf_lines(const void *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		PF((const uint8_t *)a + 64 * i);
}

/* One level of one session's chain (see the enum); @ssrc network order. */
static void chain_step(const void **cur, uint8_t *st, uint32_t ssrc, bool rtcp)
{
	switch (*st) {
	case C_CTX: {
		const srtp_ctx_t *ctx = *cur;
		const srtp_stream_ctx_t *stub = (const srtp_stream_ctx_t *)ctx->stream_list;

		/* the list head is a whole stream struct; only its next is used */
		PF(&stub->next);
		*cur = stub;
		*st = C_STUB;
		break;
	}
	case C_STUB:
	case C_NODE: {
		const srtp_stream_ctx_t *s = *cur;

		if (*st == C_NODE && s->ssrc == ssrc) {
			PF(s->session_keys);
			if (s->rtp_rdbx.bitmask.word) {
				PF(s->rtp_rdbx.bitmask.word);
				PF((const uint8_t *)s->rtp_rdbx.bitmask.word + 64);
			}
			*st = C_STREAM;
			break;
		}
		s = s->next;
		if (!s) { /* not cloned yet: the template will be used, cold */
			*st = C_DONE;
			break;
		}
		PF(s);
		PF(&s->next);
		*cur = s;
		*st = C_NODE;
		break;
	}
	case C_STREAM: {
		const srtp_session_keys_t *k = ((const srtp_stream_ctx_t *)*cur)->session_keys;

		if (!k) {
			*st = C_DONE;
			break;
		}
		PF(rtcp ? k->rtcp_cipher : k->rtp_cipher);
		PF(rtcp ? k->rtcp_auth : k->rtp_auth);
		PF(k->limit);
		*cur = k;
		*st = C_KEYS;
		break;
	}
	case C_KEYS: {
		const srtp_session_keys_t *k = *cur;
		const srtp_cipher_t *c = rtcp ? k->rtcp_cipher : k->rtp_cipher;
		const srtp_auth_t *a = rtcp ? k->rtcp_auth : k->rtp_auth;

		if (c)
			PF(c->state);
		if (a)
			PF(a->state);
		*st = C_STATE;
		break;
	}
	case C_STATE: {
		const srtp_session_keys_t *k = *cur;
		const srtp_cipher_t *c = rtcp ? k->rtcp_cipher : k->rtp_cipher;
		const srtp_auth_t *a = rtcp ? k->rtcp_auth : k->rtp_auth;

		/* OpenSSL's contexts are opaque: warm their first lines only */
		if (c && c->state) {
			if (c->algorithm == SRTP_AES_GCM_128 || c->algorithm == SRTP_AES_GCM_256)
				pf_lines(((const srtp_aes_gcm_ctx_t *)c->state)->ctx, 3);
			else if (c->algorithm == SRTP_AES_ICM_128 || c->algorithm == SRTP_AES_ICM_192 ||
				 c->algorithm == SRTP_AES_ICM_256)
				pf_lines(((const srtp_aes_icm_ctx_t *)c->state)->ctx, 3);
		}
		/* hmac_ossl.c's state starts with its OpenSSL context pointer */
		if (a && a->state && a->type && a->type->id == SRTP_HMAC_SHA1)
			pf_lines(*(void *const *)a->state, 2);
		*st = C_DONE;
		break;
	}
	default:
		*st = C_DONE;
		break;
	}
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Same hash and layout as relay.c's SSRC table. */
static inline uint32_t ssrc_hash(uint32_t ssrc)
{
	return (ssrc * 0x9e3779b1u) ^ (ssrc >> 16);
}

static void slot_step(struct vr_relay_pipe_slot *s)
{
	const struct vr_relay_room *room = s->room;

	switch (s->step) {
	case S_NEW: {
		uint32_t i;

		if (s->len < 12 || (s->p[0] & 0xc0) != 0x80) {
			s->step = S_DONE;
			return;
		}
		s->rtcp = s->p[1] >= 192 && s->p[1] <= 223;
		s->ssrc = s->rtcp ? rd32(s->p + 4) : rd32(s->p + 8);
		i = ssrc_hash(s->ssrc) & room->ht_mask;
		PF(&room->ht[i]);
		PF(room->members);
		s->step = S_HT;
		return;
	}
	case S_HT: {
		const struct vr_relay_member *m;
		int sl = -1;

		for (uint32_t i = ssrc_hash(s->ssrc) & room->ht_mask;; i = (i + 1) & room->ht_mask) {
			uint64_t e = room->ht[i];

			if (e == 0)
				break;
			if ((uint32_t)(e >> 32) == s->ssrc) {
				sl = (int)(uint32_t)e - 1;
				break;
			}
		}
		if (sl < 0) {
			s->step = S_DONE;
			return;
		}
		s->slot = sl;
		m = &room->members[sl];
		PF(m);
		PF((const uint8_t *)m + sizeof(*m) - 1);
		/* the recipients, read by the fan-out loop */
		pf_lines(room->members, (unsigned)((room->conf.max_members * sizeof(*m) + 63) / 64 < 16
							   ? (room->conf.max_members * sizeof(*m) + 63) / 64
							   : 16));
		s->step = S_MEMBER;
		return;
	}
	case S_MEMBER: {
		const struct vr_relay_member *m = &room->members[s->slot];

		PF(m->streams);
		s->nchain = 0;
		if (m->suite != VR_RELAY_SUITE_NONE && m->srtp_in) {
			s->chain[s->nchain] = m->srtp_in;
			s->cstep[s->nchain++] = C_CTX;
			PF(m->srtp_in);
		}
		for (uint32_t r = 0; r < room->conf.max_members && s->nchain < VR_RELAY_PIPE_CHAINS; r++) {
			const struct vr_relay_member *rc = &room->members[r];

			if ((int)r == s->slot || !rc->in_use || !rc->addr_verified || rc->suite == VR_RELAY_SUITE_NONE ||
			    !rc->srtp_out)
				continue;
			s->chain[s->nchain] = rc->srtp_out;
			s->cstep[s->nchain++] = C_CTX;
			PF(rc->srtp_out);
		}
		s->step = S_CHAINS;
		return;
	}
	case S_CHAINS: {
		const struct vr_relay_member *m = &room->members[s->slot];
		bool busy = false;

		if (!s->out_done) {
			for (unsigned k = 0; k < m->nssrc; k++)
				if (m->streams[k].ssrc == s->ssrc) {
					PF(m->streams[k].out_index);
					break;
				}
			s->out_done = 1;
		}
		for (unsigned c = 0; c < s->nchain; c++) {
			if (s->cstep[c] == C_DONE)
				continue;
			chain_step(&s->chain[c], &s->cstep[c], htonl(s->ssrc), s->rtcp);
			busy = true;
		}
		if (!busy)
			s->step = S_DONE;
		return;
	}
	default:
		return;
	}
}

void vr_relay_pipe_init(struct vr_relay_pipe *pp)
{
	memset(pp, 0, sizeof(*pp));
	for (unsigned i = 0; i < VR_RELAY_PIPE_DEPTH; i++)
		pp->slot[i].step = S_DONE;
}

void vr_relay_pipe_push(struct vr_relay_pipe *pp, const struct vr_relay_room *room, const uint8_t *p,
			uint32_t len)
{
	struct vr_relay_pipe_slot *s = &pp->slot[pp->head];

	/* the oldest packet's walk ends here (it is the one being processed);
	 * the others advance one level, then the newcomer starts */
	pp->head = (pp->head + 1) % VR_RELAY_PIPE_DEPTH;
	for (unsigned i = 0; i < VR_RELAY_PIPE_DEPTH; i++)
		if (pp->slot[i].step != S_DONE && &pp->slot[i] != s)
			slot_step(&pp->slot[i]);
	s->step = S_DONE;
	if (!room || !p)
		return;
	s->room = room;
	s->p = p;
	s->len = len;
	s->out_done = 0;
	s->nchain = 0;
	s->step = S_NEW;
	PF(room);
	PF((const uint8_t *)room + 64);
	PF(p);
	PF(p + 8);
}
