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

/*
 * Join, atomically: KEYS voice_member:<uid>; ARGV uid, room, ssrc, member
 * id, h (where the port search starts), n, then n x (vip, lo, hi): the
 * dst-port VIPs with their ranges laid end to end. A room without a place
 * claims the first port from h on (mod the total) that no other chat's
 * room holds (voice_port:<vip>:<port>, SET NX), so two chats never share a
 * relay room. Returns {vip, port, [members], fresh}; errors IN_VOICE (the
 * user is in a room: leave first), NO_PORT, TAKEN (SSRC or member id
 * already in the room: draw again).
 */
static const char join_lua[] =
	"local uid, room, ssrc, mid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
	"if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('IN_VOICE') end\n"
	"local rk, fresh = 'voice_room:' .. room, 0\n"
	"local vip, port = redis.call('HGET', rk, 'vip'), redis.call('HGET', rk, 'port')\n"
	"if not vip then\n"
	"  local h, n, total = tonumber(ARGV[5]), tonumber(ARGV[6]), 0\n"
	"  for i = 0, n - 1 do total = total + tonumber(ARGV[9 + 3 * i]) - tonumber(ARGV[8 + 3 * i]) + 1 end\n"
	"  for t = 0, math.min(total, 256) - 1 do\n"
	"    local idx, cv, cp = (h + t) % total, nil, nil\n"
	"    for i = 0, n - 1 do\n"
	"      local lo, hi = tonumber(ARGV[8 + 3 * i]), tonumber(ARGV[9 + 3 * i])\n"
	"      if idx <= hi - lo then cv, cp = ARGV[7 + 3 * i], string.format('%d', lo + idx) break end\n"
	"      idx = idx - (hi - lo + 1)\n"
	"    end\n"
	"    if redis.call('SET', 'voice_port:' .. cv .. ':' .. cp, room, 'NX') then vip, port = cv, cp break end\n"
	"  end\n"
	"  if not vip then return redis.error_reply('NO_PORT') end\n"
	"  redis.call('HSET', rk, 'vip', vip, 'port', port)\n"
	"  fresh = 1\n"
	"end\n"
	"for _, v in ipairs(redis.call('HVALS', rk)) do\n"
	"  local s, m = string.match(v, '^(%d+) (%d+)$')\n"
	"  if s == ssrc or m == mid then return redis.error_reply('TAKEN') end\n"
	"end\n"
	"redis.call('SET', KEYS[1], room)\n"
	"redis.call('SADD', 'voice_members:' .. room, uid)\n"
	"redis.call('HSET', rk, 'u:' .. uid, ssrc .. ' ' .. mid)\n"
	"return {vip, port, redis.call('SMEMBERS', 'voice_members:' .. room), fresh}\n";

/*
 * Leave, atomically: KEYS voice_member:<uid>; ARGV uid, the room expected
 * ("" any). nil if the user is in no room (or another one); else
 * {room, "<ssrc> <member id>", vip, port, [members left]}. The last
 * member out releases the room's port for other chats.
 */
static const char leave_lua[] =
	"local room = redis.call('GET', KEYS[1])\n"
	"if not room or (ARGV[2] ~= '' and room ~= ARGV[2]) then return false end\n"
	"local rk, mk = 'voice_room:' .. room, 'voice_members:' .. room\n"
	"local info = redis.call('HGET', rk, 'u:' .. ARGV[1]) or ''\n"
	"local vip, port = redis.call('HGET', rk, 'vip') or '', redis.call('HGET', rk, 'port') or ''\n"
	"redis.call('DEL', KEYS[1])\n"
	"redis.call('SREM', mk, ARGV[1])\n"
	"redis.call('HDEL', rk, 'u:' .. ARGV[1])\n"
	"local members = redis.call('SMEMBERS', mk)\n"
	"if #members == 0 then\n"
	"  redis.call('DEL', rk)\n"
	"  local pk = 'voice_port:' .. vip .. ':' .. port\n"
	"  if redis.call('GET', pk) == room then redis.call('DEL', pk) end\n"
	"end\n"
	"return {room, info, vip, port, members}\n";

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

int vr_cp_voice_claim(struct vr_cp *cp, const char *uid, const char *room, uint32_t ssrc, uint32_t member_id,
		      vr_cp_store_cb cb, void *arg)
{
	const struct vr_cp_voice *v = cp->voice;
	char key[VR_CP_ID_LEN + 16], ssrc_s[12], mid[12], h[12], n[12];
	const char *argv[10 + 3 * VR_MAX_VIPS] = {"EVAL", join_lua, "1", key, uid, room, ssrc_s, mid, h, n};
	size_t lens[10 + 3 * VR_MAX_VIPS];
	int argc = 10;

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
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (!cp->store || vr_cp_store_cmd(cp->store, cb, arg, argc, argv, lens) != 0)
		return -1;
	return 0;
}

int vr_cp_voice_release(struct vr_cp *cp, const char *uid, const char *expect, vr_cp_store_cb cb, void *arg)
{
	char key[VR_CP_ID_LEN + 16];
	const char *argv[6] = {"EVAL", leave_lua, "1", key, uid, expect};
	size_t lens[6];

	snprintf(key, sizeof(key), "voice_member:%s", uid);
	for (int i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	if (!cp->store || vr_cp_store_cmd(cp->store, cb, arg, 6, argv, lens) != 0)
		return -1;
	return 0;
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
