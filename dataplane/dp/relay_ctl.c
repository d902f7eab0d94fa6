/* SPDX-License-Identifier: BSD-3-Clause */
/* Control operations of the relay role (docs/control.md): rooms and members, handed to the lcore that owns the room. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <rte_hash.h>
#include <rte_jhash.h>

#include "ctlops.h"
#include "relay_dp.h"

static struct vr_relay_dir *dir_of(struct vr_dp *dp, struct ctl_reply *r)
{
	struct rte_hash_parameters hp = {
		.name = "vr_relay_dir",
		.key_len = sizeof(struct vr_relay_room_key),
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
	};
	struct vr_relay_dir *d;

	if (dp->relay_dir != NULL)
		return dp->relay_dir;
	if (dp->cfg->role != VR_ROLE_RELAY) {
		vr_ctl_fail(r, -EOPNOTSUPP, "this dataplane's role is not relay");
		return NULL;
	}
	hp.entries = dp->cfg->relay_max_rooms < 64 ? 64 : dp->cfg->relay_max_rooms;
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->h = rte_hash_create(&hp)) == NULL) {
		free(d);
		vr_ctl_fail(r, -ENOMEM, "out of memory");
		return NULL;
	}
	d->next_id = 1;
	/* the telemetry thread reads the directory under ctl_lock (relay_telemetry.c): published whole */
	pthread_mutex_lock(&dp->ctl_lock);
	dp->relay_dir = d;
	pthread_mutex_unlock(&dp->ctl_lock);
	return d;
}

void vr_dp_relay_dir_free(struct vr_dp *dp)
{
	struct vr_relay_dir *d = dp->relay_dir;
	const void *key;
	void *data;
	uint32_t it = 0;

	if (d == NULL)
		return;
	pthread_mutex_lock(&dp->ctl_lock); /* telemetry reads it under ctl_lock */
	dp->relay_dir = NULL;
	pthread_mutex_unlock(&dp->ctl_lock);
	while (rte_hash_iterate(d->h, &key, &data, &it) >= 0)
		free(data);
	rte_hash_free(d->h);
	free(d);
}

/* "vip" and "port" of a room: a relay VIP's address and a port of its range. */
static int arg_room_key(struct vr_dp *dp, json_t *args, struct vr_relay_room_key *k, struct vr_addr *vip,
			struct ctl_reply *r)
{
	uint32_t port = 0;
	bool given;
	char buf[64];
	int rc = vr_ctl_arg_addr(args, "vip", vip, r);

	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "port", 1, 65535, &port, &given, r);
	if (rc != 0)
		return rc;
	if (!given)
		return vr_ctl_fail(r, -EINVAL, "\"port\": the room's port is required");
	if (vr_dp_relay_is_vip(dp->cfg, vip, (uint16_t)port)) {
		vr_dp_relay_room_key(k, vip, (uint16_t)port);
		return 0;
	}
	return vr_ctl_fail(r, -ENOENT, "%s port %u is in no relay VIP (relay.vips)", vr_addr_str(vip, buf, sizeof(buf)),
			   port);
}

/* The room named by the arguments, or NULL with the reason in @r. */
static struct vr_relay_dir_room *find_room(struct vr_dp *dp, json_t *args, struct ctl_reply *r, int *rc)
{
	struct vr_relay_dir *d = dir_of(dp, r);
	struct vr_relay_room_key k;
	struct vr_addr vip;
	void *data;
	char buf[64];

	if (d == NULL) {
		*rc = -EOPNOTSUPP;
		return NULL;
	}
	*rc = arg_room_key(dp, args, &k, &vip, r);
	if (*rc != 0)
		return NULL;
	if (rte_hash_lookup_data(d->h, &k, &data) < 0) {
		*rc = vr_ctl_fail(r, -ENOENT, "no room %s port %u", vr_addr_str(&vip, buf, sizeof(buf)), k.port);
		return NULL;
	}
	return data;
}

static json_t *room_json(struct vr_dp *dp, const struct vr_relay_dir_room *dr)
{
	char vip[64];

	return json_pack("{s:s, s:i, s:I, s:i, s:i, s:i, s:i, s:i}", "vip", vr_addr_str(&dr->vip, vip, sizeof(vip)),
			 "port", dr->key.port, "id", (json_int_t)dr->conf.id, "max_members", dr->conf.max_members,
			 "max_speakers", dr->conf.max_speakers, "audio_level_id", dr->conf.audio_level_id, "members",
			 dr->members, "lcore", dp->workers[dr->owner]->lcore_id);
}

/* The answer of vr_dp_relay_call() (@rc) to @c, run by lcore @owner; 0 or -errno with the reason in @r. */
static int owner_result(struct vr_dp *dp, uint32_t owner, const struct vr_relay_cmd *c, int rc, struct ctl_reply *r,
			const char *what)
{
	if (rc != 0)
		return vr_ctl_fail(r, rc, "%s: lcore %u did not answer", what, dp->workers[owner]->lcore_id);
	if (c->rc != 0)
		return vr_ctl_fail(r, c->rc, "%s: %s", what, strerror(-c->rc));
	return 0;
}

/* Run @c on the room's owner; 0 or -errno with the reason in @r. Any thread: @dr is not changed. */
static int call_owner(struct vr_dp *dp, const struct vr_relay_dir_room *dr, struct vr_relay_cmd *c,
		      struct ctl_reply *r, const char *what)
{
	return owner_result(dp, dr->owner, c, vr_dp_relay_call(dp, dr->owner, c), r, what);
}

/*
 * The room's member count from the owner's answer to @c (@rc from
 * vr_dp_relay_call()). A command that timed out may still run later and
 * change the room: the count is then stale until the owner answers again.
 * Control thread (the directory's writer).
 */
static void take_members(struct vr_relay_dir_room *dr, const struct vr_relay_cmd *c, int rc)
{
	if (rc != 0) {
		dr->members_stale = 1;
	} else if (c->rc != -ENOENT) {
		dr->members = c->nmembers;
		dr->members_stale = 0;
	}
}

/* Run @c on the room's owner and keep the member count it answers; as call_owner(). Control thread. */
static int call_room(struct vr_dp *dp, struct vr_relay_dir_room *dr, struct vr_relay_cmd *c, struct ctl_reply *r,
		     const char *what)
{
	int rc = vr_dp_relay_call(dp, dr->owner, c);

	take_members(dr, c, rc);
	return owner_result(dp, dr->owner, c, rc, r, what);
}

/* Ask the owner for the member count of a room whose last command timed out; left as it is when it cannot answer. */
static void refresh_members(struct vr_dp *dp, struct vr_relay_dir_room *dr)
{
	struct vr_relay_cmd c;

	memset(&c, 0, sizeof(c));
	c.op = VR_RCMD_ROOM_SHOW; /* without a view: the count alone */
	c.key = dr->key;
	take_members(dr, &c, vr_dp_relay_call(dp, dr->owner, &c));
}

/* room.add {vip, port, max_members?, max_speakers?, audio_level_id?} */
int vr_ctl_op_room_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_relay_dir *d = dir_of(dp, r);
	struct vr_relay_dir_room *dr;
	struct vr_relay_cmd c;
	uint32_t maxm = dp->cfg->relay_max_members, maxs = dp->cfg->relay_max_speakers, alid = 0;
	bool given;
	int rc;

	(void)ch;
	if (d == NULL)
		return -EOPNOTSUPP;
	memset(&c, 0, sizeof(c));
	dr = calloc(1, sizeof(*dr));
	if (dr == NULL)
		return vr_ctl_fail(r, -ENOMEM, "out of memory");
	rc = arg_room_key(dp, args, &dr->key, &dr->vip, r);
	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "max_members", 2, VR_RELAY_MAX_MEMBERS, &maxm, &given, r);
	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "max_speakers", 1, VR_RELAY_MAX_MEMBERS, &maxs, &given, r);
	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "audio_level_id", 0, 14, &alid, &given, r);
	if (rc == 0 && maxs > maxm)
		rc = vr_ctl_fail(r, -EINVAL, "\"max_speakers\" (%u) is more than \"max_members\" (%u)", maxs, maxm);
	if (rc == 0 && rte_hash_lookup(d->h, &dr->key) >= 0)
		rc = vr_ctl_fail(r, -EEXIST, "the room exists");
	if (rc == 0 && d->n >= dp->cfg->relay_max_rooms)
		rc = vr_ctl_fail(r, -ENOSPC, "%u rooms already (relay.max_rooms)", d->n);
	if (rc != 0) {
		free(dr);
		return rc;
	}
	dr->conf.id = d->next_id++;
	dr->conf.vip = dr->vip;
	dr->conf.vip_port = dr->key.port;
	dr->conf.max_members = (uint16_t)maxm;
	dr->conf.max_speakers = (uint16_t)maxs;
	dr->conf.audio_level_id = (uint8_t)alid;
	dr->owner = vr_dp_relay_owner(dp, &dr->key);
	c.op = VR_RCMD_ROOM_ADD;
	c.key = dr->key;
	c.room = dr->conf;
	rc = call_owner(dp, dr, &c, r, "room.add");
	if (rc == 0) {
		/* the telemetry thread reads the directory under ctl_lock */
		pthread_mutex_lock(&dp->ctl_lock);
		rc = rte_hash_add_key_data(d->h, &dr->key, dr);
		if (rc == 0)
			d->n++;
		pthread_mutex_unlock(&dp->ctl_lock);
		if (rc != 0) {
			c.op = VR_RCMD_ROOM_REMOVE;
			vr_dp_relay_call(dp, dr->owner, &c);
			rc = vr_ctl_fail(r, -ENOMEM, "room directory full");
		}
	}
	if (rc != 0) {
		free(dr);
		return rc;
	}
	r->result = json_pack("{s:o}", "room", room_json(dp, dr));
	return 0;
}

/* room.remove {vip, port} */
int vr_ctl_op_room_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_relay_cmd c;
	int rc;
	struct vr_relay_dir_room *dr = find_room(dp, args, r, &rc);

	(void)ch;
	if (dr == NULL)
		return rc;
	memset(&c, 0, sizeof(c));
	c.op = VR_RCMD_ROOM_REMOVE;
	c.key = dr->key;
	rc = call_room(dp, dr, &c, r, "room.remove");
	if (rc != 0)
		return rc;
	r->result = json_pack("{s:o}", "room", room_json(dp, dr));
	pthread_mutex_lock(&dp->ctl_lock); /* telemetry reads the directory under it */
	rte_hash_del_key(dp->relay_dir->h, &dr->key);
	dp->relay_dir->n--;
	pthread_mutex_unlock(&dp->ctl_lock);
	free(dr);
	return 0;
}

/* room.list {}: every room, its owner and member count. */
int vr_ctl_op_room_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_relay_dir *d = dir_of(dp, r);
	const void *key;
	void *data;
	uint32_t it = 0;
	json_t *list;

	(void)args, (void)ch;
	if (d == NULL)
		return -EOPNOTSUPP;
	list = json_array();
	while (list != NULL && rte_hash_iterate(d->h, &key, &data, &it) >= 0) {
		struct vr_relay_dir_room *dr = data;

		if (dr->members_stale)
			refresh_members(dp, dr);
		json_array_append_new(list, room_json(dp, dr));
	}
	r->result = json_pack("{s:o, s:i}", "rooms", list, "max_rooms", dp->cfg->relay_max_rooms);
	return r->result != NULL ? 0 : vr_ctl_fail(r, -ENOMEM, "out of memory");
}

static json_t *drops_json(const uint64_t *drops)
{
	json_t *j = json_object();

	for (int i = 1; i < VR_RELAY_DROP_MAX && j != NULL; i++)
		json_object_set_new(j, vr_relay_drop_name((enum vr_relay_drop)i), json_integer((json_int_t)drops[i]));
	return j;
}

static json_t *member_view_json(const struct vr_relay_member_view *mv)
{
	char a[64];
	json_t *ssrcs = json_array();

	for (uint32_t k = 0; k < mv->nssrc && ssrcs != NULL; k++) {
		const struct vr_relay_ssrc_stats *s = &mv->ssrc[k];

		json_array_append_new(ssrcs, json_pack("{s:I, s:b, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:i, s:b}",
			"ssrc", (json_int_t)s->ssrc, "started", s->started, "packets", (json_int_t)s->packets,
			"bytes", (json_int_t)s->bytes, "cumulative_lost", (json_int_t)s->cumulative_lost,
			"ext_highest_seq", (json_int_t)s->ext_highest_seq, "roc", (json_int_t)s->roc,
			"jitter_ms", s->jitter_ms, "rtcp_packets", (json_int_t)s->rtcp_packets,
			"level", s->level, "speaking", s->speaking));
	}
	return json_pack("{s:I, s:s, s:s*, s:i, s:b, s:b, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
		"id", (json_int_t)mv->id, "suite", vr_relay_suite_name((enum vr_relay_suite)mv->suite),
		"address", mv->addr_verified || mv->addr_fixed ? vr_addr_str(&mv->addr, a, sizeof(a)) : NULL,
		"client_port", mv->port, "fixed", mv->addr_fixed, "verified", mv->addr_verified, "latched", mv->latched,
		"counters", "rx_packets", (json_int_t)mv->c.rx_packets, "rx_bytes", (json_int_t)mv->c.rx_bytes,
		"tx_packets", (json_int_t)mv->c.tx_packets, "tx_bytes", (json_int_t)mv->c.tx_bytes,
		"rx_drops", (json_int_t)mv->c.rx_drops, "relatches", (json_int_t)mv->c.relatches,
		"ssrcs", ssrcs);
}

/** Snapshot of one room from its owner; the caller frees view->members. 0 or -errno with @r. */
int vr_dp_relay_room_view(struct vr_dp *dp, const struct vr_relay_dir_room *dr, struct vr_relay_room_view *view,
			  struct ctl_reply *r)
{
	struct vr_relay_cmd c;

	memset(&c, 0, sizeof(c));
	memset(view, 0, sizeof(*view));
	view->members = calloc(dr->conf.max_members, sizeof(*view->members));
	if (view->members == NULL)
		return vr_ctl_fail(r, -ENOMEM, "out of memory");
	c.op = VR_RCMD_ROOM_SHOW;
	c.key = dr->key;
	c.view = view;
	return call_owner(dp, dr, &c, r, "room.show");
}

/* room.show {vip, port}: counters, drops, members and their SSRCs' RFC 3550 statistics. */
int vr_ctl_op_room_show(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_relay_room_view v;
	json_t *room, *members;
	int rc;
	struct vr_relay_dir_room *dr = find_room(dp, args, r, &rc);

	(void)ch;
	if (dr == NULL)
		return rc;
	rc = vr_dp_relay_room_view(dp, dr, &v, r);
	if (rc != 0) {
		/* a command that timed out may still write into the view: keep it */
		if (rc != -EBUSY)
			free(v.members);
		else
			dr->members_stale = 1;
		return rc;
	}
	dr->members = v.nmembers;
	dr->members_stale = 0;
	room = room_json(dp, dr);
	members = json_array();
	for (uint32_t i = 0; i < v.nmembers && members != NULL; i++)
		json_array_append_new(members, member_view_json(&v.members[i]));
	free(v.members);
	json_object_set_new(room, "rx_packets", json_integer((json_int_t)v.rx_packets));
	json_object_set_new(room, "tx_packets", json_integer((json_int_t)v.tx_packets));
	json_object_set_new(room, "drops", drops_json(v.drops));
	r->result = json_pack("{s:o, s:o}", "room", room, "members", members);
	return r->result != NULL ? 0 : vr_ctl_fail(r, -ENOMEM, "out of memory");
}

/* A base64 SDES key (RFC 4568 6.1: master key || salt) of exactly @need bytes. */
static int arg_key(json_t *args, const char *name, uint8_t *out, int need, struct ctl_reply *r)
{
	const char *s = json_string_value(json_object_get(args, name));
	unsigned char buf[96];
	size_t len;
	int n, pad = 0;

	if (s == NULL)
		return vr_ctl_fail(r, -EINVAL, "\"%s\": a base64 master key||salt is required", name);
	len = strlen(s);
	if (len == 0 || len % 4 != 0 || len > 4 * (sizeof(buf) / 3))
		return vr_ctl_fail(r, -EINVAL, "\"%s\": not base64 of %d bytes", name, need);
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
	/* EVP_DecodeBlock counts the padding's zero bytes too */
	pad = (s[len - 1] == '=') + (s[len - 2] == '=');
	if (n < 0 || n - pad != need)
		return vr_ctl_fail(r, -EINVAL, "\"%s\": not base64 of %d bytes (master key || salt)", name, need);
	memcpy(out, buf, (size_t)need);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

static int arg_suite(json_t *args, enum vr_relay_suite *s, struct ctl_reply *r)
{
	const char *n = json_string_value(json_object_get(args, "suite"));

	if (n == NULL) {
		*s = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80;
		return 0;
	}
	if (strcmp(n, "NONE") == 0 || strcmp(n, "none") == 0) {
		*s = VR_RELAY_SUITE_NONE;
		return 0;
	}
	for (int i = 1; i < VR_RELAY_SUITE_MAX; i++)
		if (strcmp(n, vr_relay_suite_name((enum vr_relay_suite)i)) == 0) {
			*s = (enum vr_relay_suite)i;
			return 0;
		}
	return vr_ctl_fail(r, -EINVAL, "\"suite\": \"%s\" is not AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM or NONE", n);
}

/* "client_address" and "client_port" (both or neither); *has says which. */
static int arg_client(json_t *args, const struct vr_addr *vip, struct vr_addr *a, uint16_t *port, uint8_t *has,
		      struct ctl_reply *r)
{
	uint32_t p = 0;
	bool given;
	int rc;

	*has = json_object_get(args, "client_address") != NULL;
	rc = vr_ctl_arg_uint(args, "client_port", 1, 65535, &p, &given, r);
	if (rc != 0)
		return rc;
	if (*has != given)
		return vr_ctl_fail(r, -EINVAL, "\"client_address\" and \"client_port\" go together");
	if (!*has)
		return 0;
	rc = vr_ctl_arg_addr(args, "client_address", a, r);
	if (rc != 0)
		return rc;
	if (a->family != vip->family)
		return vr_ctl_fail(r, -EINVAL, "\"client_address\": the relay answers from the VIP, so its family");
	*port = (uint16_t)p;
	return 0;
}

/* member.add {vip, port, id, ssrcs, suite, tx_key, rx_key, client_address?, client_port?, clock_rate?} */
int vr_ctl_op_member_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_relay_cmd c;
	json_t *ssrcs = json_object_get(args, "ssrcs");
	enum vr_relay_suite suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80;
	uint32_t id = 0, clock = 0;
	bool given;
	int rc, klen;
	struct vr_relay_dir_room *dr = find_room(dp, args, r, &rc);

	(void)ch;
	if (dr == NULL)
		return rc;
	memset(&c, 0, sizeof(c));
	rc = vr_ctl_arg_uint(args, "id", 0, UINT32_MAX, &id, &given, r);
	if (rc == 0 && !given)
		rc = vr_ctl_fail(r, -EINVAL, "\"id\": the member's id is required");
	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "clock_rate", 1000, 192000, &clock, &given, r);
	if (rc == 0 && (!json_is_array(ssrcs) || json_array_size(ssrcs) < 1 ||
			json_array_size(ssrcs) > VR_RELAY_MAX_SSRCS))
		rc = vr_ctl_fail(r, -EINVAL, "\"ssrcs\": an array of 1..%d SSRCs is required", VR_RELAY_MAX_SSRCS);
	for (size_t i = 0; rc == 0 && i < json_array_size(ssrcs); i++) {
		json_t *s = json_array_get(ssrcs, i);

		if (!json_is_integer(s) || json_integer_value(s) < 0 || json_integer_value(s) > UINT32_MAX)
			rc = vr_ctl_fail(r, -EINVAL, "\"ssrcs\"[%zu]: an integer 0..4294967295 is required", i);
		else
			c.member.ssrcs[c.member.nssrc++] = (uint32_t)json_integer_value(s);
	}
	if (rc == 0)
		rc = arg_suite(args, &suite, r);
	if (rc != 0)
		return rc;
	klen = vr_relay_suite_key_len(suite);
	if (klen > 0) {
		rc = arg_key(args, "tx_key", c.in_key, klen, r);
		if (rc == 0)
			rc = arg_key(args, "rx_key", c.out_key, klen, r);
	}
	if (rc == 0)
		rc = arg_client(args, &dr->vip, &c.addr, &c.port, &c.has_addr, r);
	if (rc != 0)
		return rc;
	c.op = VR_RCMD_MEMBER_ADD;
	c.key = dr->key;
	c.member.id = id;
	c.member.suite = suite;
	c.member.clock_hz = clock;
	rc = call_room(dp, dr, &c, r, "member.add");
	OPENSSL_cleanse(c.in_key, sizeof(c.in_key));
	OPENSSL_cleanse(c.out_key, sizeof(c.out_key));
	if (rc != 0)
		return rc;
	r->result = json_pack("{s:o, s:I}", "room", room_json(dp, dr), "member", (json_int_t)id);
	return 0;
}

static int member_op(struct vr_dp *dp, json_t *args, struct ctl_reply *r, uint8_t op, const char *what)
{
	struct vr_relay_cmd c;
	uint32_t id = 0;
	bool given;
	int rc;
	struct vr_relay_dir_room *dr = find_room(dp, args, r, &rc);

	if (dr == NULL)
		return rc;
	memset(&c, 0, sizeof(c));
	rc = vr_ctl_arg_uint(args, "id", 0, UINT32_MAX, &id, &given, r);
	if (rc == 0 && !given)
		rc = vr_ctl_fail(r, -EINVAL, "\"id\": the member's id is required");
	if (rc == 0 && op == VR_RCMD_MEMBER_SET_ADDR)
		rc = arg_client(args, &dr->vip, &c.addr, &c.port, &c.has_addr, r);
	if (rc != 0)
		return rc;
	c.op = op;
	c.key = dr->key;
	c.member_id = id;
	rc = call_room(dp, dr, &c, r, what);
	if (rc != 0)
		return rc;
	r->result = json_pack("{s:o, s:I}", "room", room_json(dp, dr), "member", (json_int_t)id);
	return 0;
}

/* member.remove {vip, port, id} */
int vr_ctl_op_member_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	(void)ch;
	return member_op(dp, args, r, VR_RCMD_MEMBER_REMOVE, "member.remove");
}

/* member.set {vip, port, id, client_address?, client_port?}: fix the address, or without one latch again. */
int vr_ctl_op_member_set(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	(void)ch;
	return member_op(dp, args, r, VR_RCMD_MEMBER_SET_ADDR, "member.set");
}

json_t *vr_dp_relay_stats_json(struct vr_dp *dp)
{
	struct vr_relay_lcore_stats t = {0};
	struct vr_relay_worker_stats ws = {0};
	json_t *j, *dd;

	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		const struct vr_relay_lcore *rl = dp->workers[i]->relay;

		if (rl == NULL)
			continue;
		for (size_t k = 0; k < sizeof(t) / sizeof(uint64_t); k++)
			((uint64_t *)&t)[k] += __atomic_load_n((const uint64_t *)&rl->pub + k, __ATOMIC_RELAXED);
		for (size_t k = 0; k < sizeof(ws) / sizeof(uint64_t); k++)
			((uint64_t *)&ws)[k] += __atomic_load_n((const uint64_t *)&rl->ws + k, __ATOMIC_RELAXED);
	}
	dd = drops_json(t.drops);
	for (int d = 0; d < VR_RELAY_DP_DROP_MAX && dd != NULL; d++)
		json_object_set_new(dd, vr_relay_dp_drop_name((unsigned int)d), json_integer((json_int_t)ws.drops[d]));
	/* the slow path's datagrams are the workers' STUN and DTLS: they leave before the fan-out core */
	j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "rooms", (json_int_t)t.rooms,
		      "members", (json_int_t)t.members, "rx_packets", (json_int_t)t.rx_packets,
		      "tx_packets", (json_int_t)t.tx_packets, "slow_path", (json_int_t)(ws.stun + ws.dtls),
		      "stun", (json_int_t)ws.stun, "dtls", (json_int_t)ws.dtls,
		      "handoff_out", (json_int_t)ws.handoff_out, "handoff_in", (json_int_t)ws.handoff_in, "drops", dd);
	return j;
}
