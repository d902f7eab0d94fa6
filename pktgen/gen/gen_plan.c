/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's member plan: rooms, addresses, SSRCs and keys from a seed, and the receiver lookup by address. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "voxrelay/config.h"
#include "voxrelay/hash.h"
#include "voxrelay/relay.h"
#include "voxrelay/splitmix.h"

#include "gen_opts.h"
#include "gen_plan.h"

static uint64_t addr_key(const struct vr_addr *a, uint16_t port)
{
	/* the low 64 bits of the (IPv4-mapped) address: streams differ there by construction */
	uint64_t lo;

	memcpy(&lo, a->a.b + 8, sizeof(lo));
	return (lo ^ ((uint64_t)port << 48) ^ ((uint64_t)port << 1)) | 1;
}

static uint32_t slot_of(uint64_t k, uint32_t mask)
{
	return vr_hash_mix((uint32_t)k ^ vr_hash_mix((uint32_t)(k >> 32))) & mask;
}

uint32_t vr_gen_plan_lookup(const struct vr_gen_plan *p, const struct vr_addr *addr, uint16_t port)
{
	uint64_t k = addr_key(addr, port);

	for (uint32_t i = slot_of(k, p->addr_mask);; i = (i + 1) & p->addr_mask) {
		if (p->addr_keys[i] == k) {
			const struct vr_gen_member *m = &p->members[p->addr_vals[i]];

			/* the key folds the address: confirm it */
			if (m->sport == port && vr_addr_eq(&m->src, addr))
				return p->addr_vals[i];
		} else if (!p->addr_keys[i]) {
			return UINT32_MAX;
		}
	}
}

int vr_gen_plan_index(struct vr_gen_plan *p)
{
	memset(p->addr_keys, 0, (p->addr_mask + 1ull) * sizeof(*p->addr_keys));
	for (uint32_t s = 0; s < p->nb_members; s++) {
		const struct vr_gen_member *m = &p->members[s];
		uint64_t k = addr_key(&m->src, m->sport);
		uint32_t i = slot_of(k, p->addr_mask);

		for (;; i = (i + 1) & p->addr_mask) {
			if (!p->addr_keys[i])
				break;
			if (p->addr_keys[i] == k && vr_addr_eq(&p->members[p->addr_vals[i]].src, &m->src) &&
			    p->members[p->addr_vals[i]].sport == m->sport)
				return -EEXIST;
		}
		p->addr_keys[i] = k;
		p->addr_vals[i] = s;
	}
	return 0;
}

void vr_gen_plan_set(struct vr_gen_plan *p, uint32_t i, const struct vr_addr *src, uint16_t sport, uint16_t dport,
		     uint32_t ssrc)
{
	struct vr_gen_member *m = &p->members[i];

	m->src = *src;
	m->sport = sport;
	m->dport = dport;
	m->ssrc = ssrc;
}

static void fill_keys(struct vr_gen_member *m, uint64_t *rng)
{
	for (size_t i = 0; i < VR_GEN_KEY_LEN; i += 8) {
		uint64_t a = vr_splitmix64(rng), b = vr_splitmix64(rng);
		size_t n = VR_GEN_KEY_LEN - i < 8 ? VR_GEN_KEY_LEN - i : 8;

		memcpy(m->tx_key + i, &a, n);
		memcpy(m->rx_key + i, &b, n);
	}
}

struct vr_gen_plan *vr_gen_plan_create(const struct vr_gen_opts *o)
{
	struct vr_gen_plan *p = calloc(1, sizeof(*p));
	uint64_t rng = o->key_seed ^ 0x6b65797365656421ull;
	uint32_t size = 2, n = o->streams;

	if (!p)
		goto fail;
	while (size < 2 * n)
		size <<= 1;
	p->nb_members = n;
	p->room_size = o->rooms ? (n + o->rooms - 1) / o->rooms : 1;
	p->nb_rooms = o->rooms ? (n + p->room_size - 1) / p->room_size : 0;
	p->members = calloc(n, sizeof(*p->members));
	p->addr_keys = calloc(size, sizeof(*p->addr_keys));
	p->addr_vals = calloc(size, sizeof(*p->addr_vals));
	if (!p->members || !p->addr_keys || !p->addr_vals)
		goto fail;
	p->addr_mask = size - 1;
	for (uint32_t i = 0; i < n; i++) {
		struct vr_gen_member *m = &p->members[i];

		m->room = o->rooms ? i / p->room_size : i;
		m->slot = o->rooms ? i % p->room_size : 0;
		fill_keys(m, &rng);
	}
	return p;
fail:
	vr_gen_plan_free(p);
	errno = ENOMEM;
	return NULL;
}

void vr_gen_plan_free(struct vr_gen_plan *p)
{
	if (!p)
		return;
	free(p->members);
	free(p->addr_keys);
	free(p->addr_vals);
	free(p);
}

/* The SDES inline form of a key || salt (RFC 4568 section 6.1): base64. */
static json_t *key_b64(const uint8_t *key, int len)
{
	char out[4 * ((VR_GEN_KEY_LEN + 2) / 3) + 1];

	EVP_EncodeBlock((unsigned char *)out, key, len);
	return json_string(out);
}

int vr_gen_plan_write_json(const struct vr_gen_plan *p, const struct vr_gen_opts *o, enum vr_relay_suite suite,
			   FILE *f)
{
	int klen = vr_relay_suite_key_len(suite), rc = 0;
	json_t *rooms = json_array(), *members = NULL, *root;
	char vip[64], a[64];

	vr_addr_str(&o->vip, vip, sizeof(vip));
	root = json_pack("{s:s, s:s, s:s, s:o}", "vip", vip, "suite", o->srtp, "codec", o->codec, "rooms", rooms);
	if (!root)
		return -ENOMEM;
	for (uint32_t s = 0; s < p->nb_members && !rc; s++) {
		const struct vr_gen_member *m = &p->members[s];
		json_t *mj;

		/* a room's members are consecutive streams, slot 0 first */
		if (m->slot == 0) {
			members = json_array();
			rc |= json_array_append_new(rooms,
						    json_pack("{s:i, s:o}", "port", m->dport, "members", members));
		}
		vr_addr_str(&m->src, a, sizeof(a));
		mj = json_pack("{s:I, s:I, s:I, s:s, s:i}", "stream", (json_int_t)s, "id", (json_int_t)m->slot + 1,
			       "ssrc", (json_int_t)m->ssrc, "addr", a, "port", m->sport);
		if (mj && klen > 0) {
			rc |= json_object_set_new(mj, "tx_key", key_b64(m->tx_key, klen));
			rc |= json_object_set_new(mj, "rx_key", key_b64(m->rx_key, klen));
		}
		rc |= json_array_append_new(members, mj);
	}
	if (!rc)
		rc = json_dumpf(root, f, JSON_COMPACT);
	json_decref(root);
	if (rc)
		return -ENOMEM;
	return fputc('\n', f) == EOF || ferror(f) ? -EIO : 0;
}
