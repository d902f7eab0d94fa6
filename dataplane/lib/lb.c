/* SPDX-License-Identifier: BSD-3-Clause */
/* Balancer state building (stable ids, Maglev tables, room tables) and the per-packet backend choice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <rte_byteorder.h>

#include "voxrelay/hash.h"
#include "voxrelay/lb.h"

#define ROOM_SEED 0x9e3779b9u
#define FLOW_SEED 0x1b873593u

static uint32_t addr_slot_hash(const struct vr_addr *a)
{
	return vr_addr_hash(a, 0) & (VR_LB_ADDR_SLOTS - 1);
}

static void rooms_put(struct vr_lb_rooms *r)
{
	if (r != NULL && --r->refcnt == 0)
		free(r);
}

void vr_lb_state_free(struct vr_lb_state *st)
{
	if (st == NULL)
		return;
	for (uint32_t i = 0; i < VR_MAX_VIPS; i++) {
		if (!st->vip_in_use[i])
			continue;
		if (st->vips[i].maglev_refcnt != NULL && --*st->vips[i].maglev_refcnt == 0) {
			vr_maglev_free(st->vips[i].maglev);
			free(st->vips[i].maglev_refcnt);
		}
		rooms_put(st->vips[i].rooms);
	}
	free(st);
}

static const struct vr_lb_vip *prev_vip_match(const struct vr_lb_state *prev, const struct vr_cfg_vip *cv)
{
	if (prev == NULL)
		return NULL;
	for (uint32_t i = 0; i < VR_MAX_VIPS; i++) {
		const struct vr_lb_vip *v = &prev->vips[i];
		if (prev->vip_in_use[i] && vr_addr_eq(&v->addr, &cv->addr) && v->port_lo == cv->port_lo &&
		    v->port_hi == cv->port_hi)
			return v;
	}
	return NULL;
}

/* The id @prev gave the backend at @a of VIP @vip_id. A VIP keeps its id
 * across builds, so only that VIP's own backends need looking at. */
static int prev_backend_match(const struct vr_lb_state *prev, uint16_t vip_id, const struct vr_addr *a)
{
	const struct vr_lb_vip *pv;

	if (prev == NULL || !prev->vip_in_use[vip_id])
		return -1;
	pv = &prev->vips[vip_id];
	for (uint32_t j = 0; j < pv->nb_backends; j++) {
		uint16_t id = pv->backend_ids[j];
		const struct vr_lb_backend *b = &prev->backends[id];

		if (b->in_use && b->vip_id == vip_id && vr_addr_eq(&b->addr, a))
			return (int)id;
	}
	return -1;
}

/* A free id is one neither this state nor the previous one uses, so that a
 * worker still reading the previous state never sees an id change owner
 * under it; the generation covers older conntrack entries. */
static int alloc_id(const uint8_t *used_now, const uint8_t *used_prev, uint32_t max, uint32_t *cursor)
{
	for (uint32_t n = 0; n < max; n++) {
		uint32_t i = (*cursor + n) % max;
		if (!used_now[i] && !(used_prev != NULL && used_prev[i])) {
			*cursor = i + 1;
			return (int)i;
		}
	}
	return -1;
}

static int index_vip_address(struct vr_lb_state *st, const struct vr_lb_vip *v)
{
	uint32_t h = addr_slot_hash(&v->addr);
	for (uint32_t n = 0; n < VR_LB_ADDR_SLOTS; n++) {
		__typeof__(st->addr_slots[0]) *s = &st->addr_slots[(h + n) & (VR_LB_ADDR_SLOTS - 1)];
		if (s->nb == 0 || vr_addr_eq(&s->addr, &v->addr)) {
			if (s->nb == VR_ARRAY_SIZE(s->ids))
				return -EINVAL;
			s->addr = v->addr;
			s->ids[s->nb++] = v->id;
			return 0;
		}
	}
	return -ENOSPC;
}

/* The previous state's table of the same VIP, if it was built from the same
 * up backends (name, weight, id, in the same order) and size. */
static bool reuse_table(const struct vr_lb_state *prev, const struct vr_cfg_vip *cv, struct vr_lb_vip *v,
			const struct vr_maglev_backend *mb, uint32_t nb_up, uint32_t size)
{
	const struct vr_lb_vip *pv = prev_vip_match(prev, cv);
	uint32_t k = 0;

	if (pv == NULL || pv->maglev == NULL || pv->maglev_refcnt == NULL || pv->maglev->size != size)
		return false;
	for (uint32_t j = 0; j < pv->nb_backends; j++) {
		const struct vr_lb_backend *b = &prev->backends[pv->backend_ids[j]];

		if (b->state != VR_BACKEND_UP)
			continue;
		if (k == nb_up || mb[k].id != pv->backend_ids[j] || mb[k].weight != b->weight ||
		    strcmp(mb[k].name, b->name) != 0)
			return false;
		k++;
	}
	if (k != nb_up)
		return false;
	v->maglev = pv->maglev;
	v->maglev_refcnt = pv->maglev_refcnt;
	++*v->maglev_refcnt;
	return true;
}

static int build_vip(struct vr_lb_state *st, struct vr_lb_vip *v, const struct vr_cfg_vip *cv,
		     const struct vr_lb_state *prev, uint8_t *be_used_now, const uint8_t *be_used_prev,
		     uint32_t *be_cursor, char *err, size_t errlen)
{
	struct vr_maglev_backend mb[VR_ARRAY_SIZE(v->backend_ids)];
	uint32_t nb_up = 0;

	v->addr = cv->addr;
	v->port_lo = cv->port_lo;
	v->port_hi = cv->port_hi;
	v->hash_key = cv->hash_key;
	v->encap = cv->encap;
	v->gue_port = cv->gue_port;
	if (cv->nb_backends > VR_ARRAY_SIZE(v->backend_ids)) {
		snprintf(err, errlen, "VIP at line %u: more than %zu backends", cv->pos.line,
			 VR_ARRAY_SIZE(v->backend_ids));
		return -EINVAL;
	}
	for (uint32_t j = 0; j < cv->nb_backends; j++) {
		const struct vr_cfg_backend *cb = &cv->backends[j];
		int id = prev_backend_match(prev, v->id, &cb->addr);
		struct vr_lb_backend *b;

		if (id < 0 || be_used_now[id]) {
			id = alloc_id(be_used_now, be_used_prev, VR_MAX_BACKENDS, be_cursor);
			if (id < 0) {
				snprintf(err, errlen, "out of backend ids (%d)", VR_MAX_BACKENDS);
				return -ENOSPC;
			}
			st->backend_gen_hwm[id]++;
		}
		be_used_now[id] = 1;
		b = &st->backends[id];
		b->addr = cb->addr;
		b->vip_id = v->id;
		b->gen = st->backend_gen_hwm[id];
		b->in_use = 1;
		b->state = cb->state;
		b->weight = cb->weight;
		snprintf(b->name, sizeof(b->name), "%s", cb->name);
		v->backend_ids[v->nb_backends++] = (uint16_t)id;
		if (cb->state == VR_BACKEND_UP) {
			mb[nb_up].name = b->name;
			mb[nb_up].weight = cb->weight;
			mb[nb_up].id = (uint16_t)id;
			nb_up++;
		}
	}
	if (reuse_table(prev, cv, v, mb, nb_up, st->maglev_size))
		goto table_done;
	v->maglev_refcnt = malloc(sizeof(*v->maglev_refcnt));
	v->maglev = v->maglev_refcnt != NULL ? vr_maglev_build(mb, nb_up, st->maglev_size) : NULL;
	if (v->maglev == NULL) {
		free(v->maglev_refcnt);
		v->maglev_refcnt = NULL;
		snprintf(err, errlen, "VIP at line %u: cannot build the Maglev table: %s", cv->pos.line,
			 strerror(errno));
		return -errno;
	}
	*v->maglev_refcnt = 1;
table_done:
	for (uint32_t s = 0; s < v->maglev->size; s++) {
		uint16_t id = v->maglev->slots[s];
		if (id != VR_BACKEND_NONE)
			st->backends[id].maglev_slots++;
	}
	if (v->hash_key == VR_HASH_DST_PORT) {
		const struct vr_lb_vip *pv = prev_vip_match(prev, cv);
		if (pv != NULL && pv->rooms != NULL) {
			v->rooms = pv->rooms;
		} else {
			uint32_t n = (uint32_t)v->port_hi - v->port_lo + 1;
			v->rooms = calloc(1, sizeof(*v->rooms) + (size_t)n * sizeof(uint64_t));
			if (v->rooms == NULL) {
				snprintf(err, errlen, "out of memory for room table");
				return -ENOMEM;
			}
			v->rooms->nb_ports = n;
		}
		v->rooms->refcnt++;
	}
	return index_vip_address(st, v);
}

struct vr_lb_state *vr_lb_state_build(const struct vr_config *cfg, const struct vr_lb_state *prev,
				      char *err, size_t errlen)
{
	static __thread uint8_t be_used_prev[VR_MAX_BACKENDS];
	uint8_t vip_used_prev[VR_MAX_VIPS] = {0};
	uint8_t be_used_now[VR_MAX_BACKENDS] = {0};
	uint32_t vip_cursor = 0, be_cursor = 0;
	struct vr_lb_state *st;
	int rc;

	if (cfg->nb_vips > VR_MAX_VIPS) {
		snprintf(err, errlen, "more than %d VIPs", VR_MAX_VIPS);
		errno = EINVAL;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "out of memory for the balancer state");
		errno = ENOMEM;
		return NULL;
	}
	st->generation = prev != NULL ? prev->generation + 1 : 1;
	st->maglev_size = cfg->maglev_size;
	st->ct_timeout_s = (cfg->ct_udp_timeout_ms + 999) / 1000;
	memset(be_used_prev, 0, sizeof(be_used_prev));
	if (prev != NULL) {
		memcpy(st->backend_gen_hwm, prev->backend_gen_hwm, sizeof(st->backend_gen_hwm));
		memcpy(vip_used_prev, prev->vip_in_use, sizeof(vip_used_prev));
		for (uint32_t i = 0; i < VR_MAX_BACKENDS; i++)
			be_used_prev[i] = prev->backends[i].in_use;
	}
	/* First keep the ids of VIPs that survive, then give new ones free ids. */
	int ids[VR_MAX_VIPS];
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		const struct vr_lb_vip *pv = prev_vip_match(prev, &cfg->vips[i]);
		ids[i] = pv != NULL ? pv->id : -1;
		if (ids[i] >= 0)
			st->vip_in_use[ids[i]] = 1;
	}
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		if (ids[i] < 0) {
			ids[i] = alloc_id(st->vip_in_use, vip_used_prev, VR_MAX_VIPS, &vip_cursor);
			if (ids[i] < 0) {
				snprintf(err, errlen, "out of VIP ids (%d)", VR_MAX_VIPS);
				rc = -ENOSPC;
				goto fail;
			}
			st->vip_in_use[ids[i]] = 1;
		}
	}
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		struct vr_lb_vip *v = &st->vips[ids[i]];
		v->id = (uint16_t)ids[i];
		rc = build_vip(st, v, &cfg->vips[i], prev, be_used_now, be_used_prev, &be_cursor, err, errlen);
		if (rc < 0)
			goto fail;
		st->nb_vips++;
	}
	return st;
fail:
	vr_lb_state_free(st);
	errno = -rc;
	return NULL;
}

const struct vr_lb_vip *vr_lb_vip_find(const struct vr_lb_state *st, const struct vr_pkt_info *pi)
{
	struct vr_addr dst;
	uint16_t port = rte_be_to_cpu_16(pi->key.dport);

	dst.family = pi->key.family;
	memcpy(dst.a.b, pi->key.dst, 16);
	uint32_t h = addr_slot_hash(&dst);
	for (uint32_t n = 0; n < VR_LB_ADDR_SLOTS; n++) {
		const __typeof__(st->addr_slots[0]) *s = &st->addr_slots[(h + n) & (VR_LB_ADDR_SLOTS - 1)];
		if (s->nb == 0)
			return NULL;
		if (!vr_addr_eq(&s->addr, &dst))
			continue;
		for (uint32_t i = 0; i < s->nb; i++) {
			const struct vr_lb_vip *v = &st->vips[s->ids[i]];
			if (port >= v->port_lo && port <= v->port_hi)
				return v;
		}
		return NULL;
	}
	return NULL;
}

/* A remembered backend still serves its flows while it is up or draining
 * and the id was not given to another backend since. */
static inline bool backend_keeps(const struct vr_lb_state *st, uint16_t vip_id, uint16_t id, uint16_t gen)
{
	const struct vr_lb_backend *b;

	if (id >= VR_MAX_BACKENDS)
		return false;
	b = &st->backends[id];
	return b->in_use && b->gen == gen && b->vip_id == vip_id && b->state != VR_BACKEND_DOWN;
}

#define ROOM_ID(w) ((uint16_t)((w) >> 48))
#define ROOM_GEN(w) ((uint16_t)((w) >> 32))
#define ROOM_SEEN(w) ((uint32_t)(w))
#define ROOM_WORD(id, gen, s) (((uint64_t)(id) << 48) | ((uint64_t)(gen) << 32) | (uint64_t)(s))

static enum vr_drop select_room(const struct vr_lb_state *st, const struct vr_lb_vip *v, struct vr_pkt_info *pi,
				const struct vr_lb_clock *clk, struct vr_lb_choice *out)
{
	uint64_t *slot = &v->rooms->slot[rte_be_to_cpu_16(pi->key.dport) - v->port_lo];
	uint64_t w = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	struct vr_flow_key rk;

	if (w != 0 && clk->now_s - ROOM_SEEN(w) <= st->ct_timeout_s &&
	    backend_keeps(st, v->id, ROOM_ID(w), ROOM_GEN(w))) {
		/* Refresh at most once a second so members on several lcores
		 * do not bounce the cache line on every packet. */
		if (ROOM_SEEN(w) != clk->now_s)
			__atomic_compare_exchange_n(slot, &w, ROOM_WORD(ROOM_ID(w), ROOM_GEN(w), clk->now_s), false,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		out->backend_id = ROOM_ID(w);
		out->ct_hit = 1;
		return VR_DROP_NONE;
	}
	/* The room hash covers only the VIP address and port: every balancer
	 * behind ECMP computes it alike, whatever its ids. */
	memset(&rk, 0, sizeof(rk));
	memcpy(rk.dst, pi->key.dst, 16);
	rk.dport = pi->key.dport;
	rk.proto = pi->key.proto;
	rk.family = pi->key.family;
	uint16_t id = vr_maglev_lookup(v->maglev, vr_flow_hash(&rk, ROOM_SEED));
	if (id == VR_BACKEND_NONE)
		return VR_DROP_NO_BACKEND;
	uint64_t nw = ROOM_WORD(id, st->backends[id].gen, clk->now_s);
	if (!__atomic_compare_exchange_n(slot, &w, nw, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Another lcore placed the room first: follow it if usable. */
		if (backend_keeps(st, v->id, ROOM_ID(w), ROOM_GEN(w)))
			id = ROOM_ID(w);
	}
	out->backend_id = id;
	out->ct_hit = 0;
	return VR_DROP_NONE;
}

enum vr_drop vr_lb_classify(const struct vr_lb_state *st, struct vr_pkt_info *pi, struct vr_lb_choice *out)
{
	const struct vr_lb_vip *v = vr_lb_vip_find(st, pi);

	if (VR_UNLIKELY(v == NULL))
		return VR_DROP_NO_VIP;
	out->vip = v;
	/* The flow hash never includes the VIP id: balancers with different
	 * reload histories must still agree. */
	pi->key.vip_id = 0;
	out->hash = vr_flow_hash(&pi->key, FLOW_SEED);
	pi->key.vip_id = v->id;
	return VR_DROP_NONE;
}

enum vr_drop vr_lb_choose(const struct vr_lb_state *st, struct vr_conntrack *ct, struct vr_pkt_info *pi,
			  const struct vr_lb_clock *clk, struct vr_lb_choice *out)
{
	const struct vr_lb_vip *v = out->vip;
	enum vr_drop rc;

	if (v->hash_key == VR_HASH_DST_PORT) {
		rc = select_room(st, v, pi, clk, out);
		if (rc != VR_DROP_NONE)
			return rc;
	} else {
		struct vr_ct_value cv;
		if (vr_ct_lookup(ct, &pi->key, out->hash, clk->now, &cv) &&
		    backend_keeps(st, v->id, cv.backend_id, cv.backend_gen)) {
			out->backend_id = cv.backend_id;
			out->ct_hit = 1;
		} else {
			uint16_t id = vr_maglev_lookup(v->maglev, out->hash);
			if (id == VR_BACKEND_NONE)
				return VR_DROP_NO_BACKEND;
			cv.backend_id = id;
			cv.backend_gen = st->backends[id].gen;
			vr_ct_upsert(ct, &pi->key, out->hash, clk->now, &cv);
			out->backend_id = id;
			out->ct_hit = 0;
		}
	}
	out->backend = &st->backends[out->backend_id];
	return VR_DROP_NONE;
}

enum vr_drop vr_lb_select(const struct vr_lb_state *st, struct vr_conntrack *ct, struct vr_pkt_info *pi,
			  const struct vr_lb_clock *clk, struct vr_lb_choice *out)
{
	enum vr_drop rc = vr_lb_classify(st, pi, out);

	return rc != VR_DROP_NONE ? rc : vr_lb_choose(st, ct, pi, clk, out);
}
