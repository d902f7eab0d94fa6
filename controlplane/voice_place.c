/* SPDX-License-Identifier: BSD-3-Clause */
/* Where a chat's voice room lives: the voice state built at start-up, the VIP:port claim and release in Redis, and the balancer's choice of relay. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/lb.h"

#include "cp_priv.h"
#include "voice.h"

int vr_cp_voice_init(struct vr_cp *cp, char *err, size_t errlen)
{
	const struct vr_config *cfg = cp->cfg;
	struct vr_cp_voice *v = calloc(1, sizeof(*v));
	char lb_err[256];

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cp->voice = v;
	/* a gateway for chat only: voice_join says so (VOICE_UNAVAILABLE) */
	if (cfg->nb_cp_relays == 0) {
		v->why = "voice is not configured on this gateway (controlplane.voice.relays is empty)";
		return 0;
	}
	for (uint32_t i = 0; i < cfg->nb_vips && v->nvips < VR_MAX_VIPS; i++) {
		const struct vr_cfg_vip *vip = &cfg->vips[i];

		if (vip->hash_key != VR_HASH_DST_PORT)
			continue;
		vr_addr_str(&vip->addr, v->vip[v->nvips], VR_CP_ADDR_LEN);
		snprintf(v->lo[v->nvips], sizeof(v->lo[0]), "%u", vip->port_lo);
		snprintf(v->hi[v->nvips], sizeof(v->hi[0]), "%u", vip->port_hi);
		v->nvips++;
	}
	if (v->nvips == 0) {
		snprintf(err, errlen, "controlplane.voice.relays is set but no balancer VIP hashes on the destination "
				      "port (hash: dst-port): voice rooms have no place");
		goto fail;
	}
	v->lb = vr_lb_state_build(cfg, NULL, lb_err, sizeof(lb_err));
	if (!v->lb) {
		snprintf(err, errlen, "the balancer's view cannot be built: %s", lb_err);
		goto fail;
	}
	for (uint32_t i = 0; i < cfg->nb_cp_relays; i++) {
		v->relays[i] = vr_cp_relay_new(cp->loop, &cfg->cp_relays[i]);
		if (!v->relays[i]) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		v->nrelays++;
	}
	return 0;
fail:
	vr_cp_voice_free(cp);
	return -1;
}

void vr_cp_voice_free(struct vr_cp *cp)
{
	struct vr_cp_voice *v = cp->voice;
	struct vr_cp_voice_user *vu, *tmp;

	if (!v)
		return;
	/*
	 * Once the loop has run dry no op is left (each waits for a store or
	 * relay callback, and those keep the loop running); what can be left is
	 * the seat of a user whose leave could not be queued (out of memory).
	 */
	HASH_ITER(hh, v->users, vu, tmp) {
		while (vu->head) {
			struct vr_cp_voice_op *op = vu->head;

			vu->head = op->next;
			vr_cp_voice_op_free(op);
		}
		HASH_DEL(v->users, vu);
		free(vu);
	}
	vr_lb_state_free(v->lb);
	for (unsigned i = 0; i < v->nrelays; i++)
		vr_cp_relay_free(v->relays[i]);
	free(v);
	cp->voice = NULL;
}

/* FNV-1a (32 bits) of the chat id: where the search for its room's port starts, the same in every process. */
static uint32_t room_hash(const char *room)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)room; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

_Static_assert(7 + 3 * VR_MAX_VIPS <= VR_CP_SCRIPT_ARGS_MAX, "a voice claim with every VIP fits a script call");

int vr_cp_voice_claim(struct vr_cp *cp, const char *uid, const char *room, uint32_t ssrc, uint32_t member_id,
		      vr_cp_store_cb cb, void *arg)
{
	const struct vr_cp_voice *v = cp->voice;
	char key[VR_CP_ID_LEN + 16], ssrc_s[12], mid[12], h[12], n[12];
	const char *argv[7 + 3 * VR_MAX_VIPS] = {key, uid, room, ssrc_s, mid, h, n};
	int argc = 7;

	/* VOICE_CLAIM (store_scripts.c): KEYS voice_member:<uid>; ARGV uid, room, ssrc, member id, h, n, n x (vip, lo, hi) */
	snprintf(key, sizeof(key), "voice_member:%s", uid);
	snprintf(ssrc_s, sizeof(ssrc_s), "%u", ssrc);
	snprintf(mid, sizeof(mid), "%u", member_id);
	snprintf(h, sizeof(h), "%u", room_hash(room));
	snprintf(n, sizeof(n), "%u", v->nvips);
	for (unsigned i = 0; i < v->nvips; i++) {
		argv[argc++] = v->vip[i];
		argv[argc++] = v->lo[i];
		argv[argc++] = v->hi[i];
	}
	return vr_cp_store_script(cp->store, VR_CP_SCRIPT_VOICE_CLAIM, cb, arg, 1, argc, argv, NULL) == 0 ? 0 : -1;
}

int vr_cp_voice_release(struct vr_cp *cp, const char *uid, const char *expect, vr_cp_store_cb cb, void *arg)
{
	char key[VR_CP_ID_LEN + 16];
	const char *argv[3] = {key, uid, expect};

	/* VOICE_RELEASE (store_scripts.c): KEYS voice_member:<uid>; ARGV uid, the room expected ("" any) */
	snprintf(key, sizeof(key), "voice_member:%s", uid);
	return vr_cp_store_script(cp->store, VR_CP_SCRIPT_VOICE_RELEASE, cb, arg, 1, 3, argv, NULL) == 0 ? 0 : -1;
}

/*
 * A UDP packet to VIP:port, classified and given a backend by the
 * balancer's own code (room affinity: the Maglev table of the VIP, keyed
 * by address and port), then the relay of that backend's address.
 */
struct vr_cp_relay *vr_cp_voice_relay_of(struct vr_cp_voice *v, const char *vip, const char *port_text, char *why,
					 size_t n)
{
	unsigned long port = strtoul(port_text, NULL, 10);
	struct vr_pkt_info pi;
	struct vr_lb_choice ch;
	struct vr_lb_clock clk;
	struct vr_addr a;
	char be[VR_CP_ADDR_LEN];

	if (vr_addr_parse(vip, &a) != 0 || port == 0 || port > 65535) {
		snprintf(why, n, "the room's place %s:%s is not an address and port", vip, port_text);
		return NULL;
	}
	memset(&pi, 0, sizeof(pi));
	memset(&ch, 0, sizeof(ch));
	pi.cls = VR_PKT_UDP;
	memcpy(pi.key.dst, a.a.b, sizeof(pi.key.dst));
	pi.key.family = a.family;
	pi.key.proto = IPPROTO_UDP;
	pi.key.dport = htons((uint16_t)port);
	if (vr_lb_classify(v->lb, &pi, &ch) != VR_DROP_NONE || ch.vip->hash_key != VR_HASH_DST_PORT) {
		snprintf(why, n, "%s port %lu is in no dst-port VIP of the configuration", vip, port);
		return NULL;
	}
	/* A dst-port VIP keeps rooms in its own table; the conntrack is not read. */
	clk.now = 0;
	clk.now_s = (uint32_t)(vr_cp_now_ms() / 1000);
	if (vr_lb_choose(v->lb, NULL, &pi, &clk, &ch) != VR_DROP_NONE) {
		snprintf(why, n, "VIP %s has no backend up", vip);
		return NULL;
	}
	for (unsigned i = 0; i < v->nrelays; i++)
		if (vr_addr_eq(vr_cp_relay_addr(v->relays[i]), &ch.backend->addr))
			return v->relays[i];
	snprintf(why, n, "backend %s of %s port %lu is in no controlplane.voice.relays entry",
		 vr_addr_str(&ch.backend->addr, be, sizeof(be)), vip, port);
	return NULL;
}

json_t *vr_cp_voice_members_json(const redisReply *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			json_array_append_new(a, json_string(r->element[i]->str));
	return a;
}
