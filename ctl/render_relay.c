/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelayctl's output for the relay role: room.list, room.show, relay.slowpath, room and member changes, stats' relay part. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render_priv.h"

/* A number with two decimals (a jitter in ms), "-" when it is none. */
static const char *fixed2(const json_t *v, char *buf, size_t len)
{
	if (!json_is_number(v))
		return "-";
	snprintf(buf, len, "%.2f", json_number_value(v));
	return buf;
}

#define FIXED2(obj, key) fixed2(json_object_get((obj), (key)), (char[32]){0}, 32)

/* "s" unless the count is 1. */
static const char *plural(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) == 1 ? "" : "s";
}

/* RFC 6464's extension id of a room: 0 is none. */
static const char *audio_level(const json_t *room, char *buf, size_t len)
{
	const json_t *v = json_object_get(room, "audio_level_id");

	if (json_is_integer(v) && json_integer_value(v) == 0)
		return "no audio level";
	snprintf(buf, len, "audio level id %s", VR_CTL_TEXT(room, "audio_level_id"));
	return buf;
}

#define AUDIO_LEVEL(room) audio_level((room), (char[VR_CTL_TEXT_MAX + 32]){0}, VR_CTL_TEXT_MAX + 32)
/* "10.77.200.1 port 40000": a room by its VIP and port, as the commands name it */
#define ROOM_NAME(room) vr_ctl_vip_name((room), (char[2 * VR_CTL_TEXT_MAX]){0}, 2 * VR_CTL_TEXT_MAX)

static int by_id(const void *a, const void *b)
{
	const json_t *x = json_object_get(*(const json_t *const *)a, "id");
	const json_t *y = json_object_get(*(const json_t *const *)b, "id");
	json_int_t i = json_is_integer(x) ? json_integer_value(x) : -1;
	json_int_t j = json_is_integer(y) ? json_integer_value(y) : -1;

	return (i > j) - (i < j);
}

int vr_ctl_render_room_list(struct vr_ctl_render_ctx *r, const json_t *res)
{
	static const char *const heads[] = {"ID",           "VIP",          "PORT",           "MEMBERS",
					    "MAX_MEMBERS", "MAX_SPEAKERS", "AUDIO_LEVEL_ID", "LCORE"};
	const json_t *list = json_object_get(res, "rooms"), **rooms;
	struct vr_ctl_table t;
	bool first = true;
	size_t i, n;
	int rc;

	if (!json_is_array(list))
		return vr_ctl_unexpected(r, "no \"rooms\" list");
	n = json_array_size(list);
	/* the dataplane lists them in its hash's order: people read them by id */
	rooms = malloc((n ? n : 1) * sizeof(*rooms));
	if (rooms == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		rooms[i] = json_array_get(list, i);
	qsort(rooms, n, sizeof(*rooms), by_id);
	vr_ctl_table_init(&t, "rllrrrrr", heads);
	for (i = 0; i < n; i++) {
		vr_ctl_table_add(&t, VR_CTL_TEXT(rooms[i], "id"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(rooms[i], "vip"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(rooms[i], "port"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(rooms[i], "members"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(rooms[i], "max_members"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(rooms[i], "max_speakers"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(rooms[i], "audio_level_id"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(rooms[i], "lcore"));
	}
	free(rooms);
	if ((rc = vr_ctl_table_print(r->out, &t, &first)) != 0)
		return rc;
	fprintf(r->out, "%zu room%s of at most %s\n", n, n == 1 ? "" : "s", VR_CTL_TEXT(res, "max_rooms"));
	return 0;
}

/* "drops: relay_auth_fail 2, relay_replay 1": the reasons that happened, no line when none did. */
static void drop_line(FILE *out, const json_t *drops)
{
	const char *key, *sep = "drops: ";
	const json_t *v;
	char name[VR_CTL_TEXT_MAX];

	json_object_foreach((json_t *)drops, key, v) {
		if (!json_is_number(v) || json_number_value(v) == 0)
			continue;
		vr_ctl_clean(name, sizeof(name), key);
		fprintf(out, "%s%s %s", sep, name, VR_CTL_TEXT(drops, key));
		sep = ", ";
	}
	if (sep[0] == ',')
		fputc('\n', out);
}

int vr_ctl_render_room_show(struct vr_ctl_render_ctx *r, const json_t *res)
{
	static const char *const member_heads[] = {"ID",         "SUITE",    "ADDRESS",    "FIXED",
						   "VERIFIED",   "LATCHED",  "RX_PACKETS", "RX_BYTES",
						   "TX_PACKETS", "TX_BYTES", "RX_DROPS",   "RELATCHES"};
	static const char *const ssrc_heads[] = {"MEMBER",    "SSRC", "PACKETS", "LOST", "EXT_SEQ",
						 "JITTER_MS", "ROC",  "RTCP"};
	const json_t *room = json_object_get(res, "room"), *members = json_object_get(res, "members"), *m, *ss;
	char buf[2 * VR_CTL_TEXT_MAX];
	struct vr_ctl_table t;
	bool first = true; /* the member table follows the room's lines without a blank line */
	size_t i, j;
	int rc;

	if (!json_is_object(room))
		return vr_ctl_unexpected(r, "no \"room\" object");
	if (!json_is_array(members))
		return vr_ctl_unexpected(r, "no \"members\" list");
	fprintf(r->out,
		"room %s (id %s, lcore %s): %s of %s members, at most %s speaker%s, %s; %s packets in, %s out\n",
		ROOM_NAME(room), VR_CTL_TEXT(room, "id"), VR_CTL_TEXT(room, "lcore"), VR_CTL_TEXT(room, "members"),
		VR_CTL_TEXT(room, "max_members"), VR_CTL_TEXT(room, "max_speakers"),
		plural(json_object_get(room, "max_speakers")), AUDIO_LEVEL(room), VR_CTL_TEXT(room, "rx_packets"),
		VR_CTL_TEXT(room, "tx_packets"));
	drop_line(r->out, json_object_get(room, "drops"));
	if (json_array_size(members) == 0) {
		fprintf(r->out, "no members\n");
		return 0;
	}

	vr_ctl_table_init(&t, "rlllllrrrrrr", member_heads);
	json_array_foreach(members, i, m) {
		const json_t *c = json_object_get(m, "counters");

		vr_ctl_table_add(&t, VR_CTL_TEXT(m, "id"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(m, "suite"));
		/* no address until one is fixed or latched */
		vr_ctl_table_add(&t, json_is_string(json_object_get(m, "address"))
					 ? vr_ctl_endpoint(m, "address", "client_port", buf, sizeof(buf))
					 : "-");
		vr_ctl_table_add(&t, VR_CTL_TEXT(m, "fixed"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(m, "verified"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(m, "latched"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(c, "rx_packets"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(c, "rx_bytes"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(c, "tx_packets"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(c, "tx_bytes"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(c, "rx_drops"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(c, "relatches"));
	}
	if ((rc = vr_ctl_table_print(r->out, &t, &first)) != 0)
		return rc;

	vr_ctl_table_init(&t, "rrrrrrrr", ssrc_heads);
	json_array_foreach(members, i, m) {
		json_array_foreach(json_object_get(m, "ssrcs"), j, ss) {
			/* before its first packet a stream has no sequence, jitter or rollover yet */
			bool idle = json_is_false(json_object_get(ss, "started"));

			vr_ctl_table_add(&t, VR_CTL_TEXT(m, "id"));
			vr_ctl_table_add(&t, VR_CTL_TEXT(ss, "ssrc"));
			vr_ctl_table_add(&t, VR_CTL_TEXT(ss, "packets"));
			vr_ctl_table_add(&t, VR_CTL_TEXT(ss, "cumulative_lost"));
			vr_ctl_table_add(&t, idle ? "-" : VR_CTL_TEXT(ss, "ext_highest_seq"));
			vr_ctl_table_add(&t, idle ? "-" : FIXED2(ss, "jitter_ms"));
			vr_ctl_table_add(&t, idle ? "-" : VR_CTL_TEXT(ss, "roc"));
			vr_ctl_table_add(&t, VR_CTL_TEXT(ss, "rtcp_packets"));
		}
	}
	return vr_ctl_table_print(r->out, &t, &first);
}

/* Hex digits of a datagram shown in a table: its first 32 bytes. */
#define SLOW_HEX_SHOWN 64

int vr_ctl_render_slowpath(struct vr_ctl_render_ctx *r, const json_t *res)
{
	static const char *const heads[] = {"MONO_NS", "KIND", "VIP", "SOURCE", "ENCAP", "LEN", "DATA"};
	const json_t *list = json_object_get(res, "datagrams"), *d;
	char buf[2 * VR_CTL_TEXT_MAX], hex[SLOW_HEX_SHOWN + 4];
	struct vr_ctl_table t;
	bool first = true;
	size_t i, n;
	int rc;

	if (!json_is_array(list))
		return vr_ctl_unexpected(r, "no \"datagrams\" list");
	n = json_array_size(list);
	vr_ctl_table_init(&t, "rllllrl", heads);
	json_array_foreach(list, i, d) {
		const char *h = VR_CTL_TEXT(d, "hex");

		vr_ctl_table_add(&t, VR_CTL_TEXT(d, "mono_ns"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(d, "kind"));
		vr_ctl_table_add(&t, vr_ctl_endpoint(d, "vip", "port", buf, sizeof(buf)));
		vr_ctl_table_add(&t, vr_ctl_endpoint(d, "src", "sport", buf, sizeof(buf)));
		vr_ctl_table_add(&t, VR_CTL_TEXT(d, "encap"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(d, "len"));
		/* the whole datagram is --json's; "..." says there is more than shown */
		snprintf(hex, sizeof(hex), "%.*s%s", SLOW_HEX_SHOWN, h,
			 strlen(h) > SLOW_HEX_SHOWN || json_is_true(json_object_get(d, "truncated")) ? "..." : "");
		vr_ctl_table_add(&t, hex);
	}
	if ((rc = vr_ctl_table_print(r->out, &t, &first)) != 0)
		return rc;
	fprintf(r->out, "%zu datagram%s%s; %s queued, %s received, %s overwritten, %s read, %s malformed\n", n,
		n == 1 ? "" : "s", json_is_true(json_object_get(r->args, "peek")) ? " (peeked: still queued)" : "",
		VR_CTL_TEXT(res, "queued"), VR_CTL_TEXT(res, "received"), VR_CTL_TEXT(res, "overwritten"),
		VR_CTL_TEXT(res, "read"), VR_CTL_TEXT(res, "malformed"));
	return 0;
}

/* The changes of rooms and members; 1 when op is none of them. */
int vr_ctl_render_relay_change(struct vr_ctl_render_ctx *r, const json_t *res)
{
	const json_t *room = json_object_get(res, "room");
	char addr[2 * VR_CTL_TEXT_MAX];

	if (strcmp(r->op, "room.add") != 0 && strcmp(r->op, "room.remove") != 0 && strcmp(r->op, "member.add") != 0 &&
	    strcmp(r->op, "member.remove") != 0 && strcmp(r->op, "member.set") != 0)
		return 1;
	if (!json_is_object(room))
		return vr_ctl_unexpected(r, "no \"room\" object");
	if (strcmp(r->op, "room.add") == 0)
		fprintf(r->out, "added room %s (id %s, lcore %s): at most %s members and %s speaker%s, %s\n",
			ROOM_NAME(room), VR_CTL_TEXT(room, "id"), VR_CTL_TEXT(room, "lcore"),
			VR_CTL_TEXT(room, "max_members"), VR_CTL_TEXT(room, "max_speakers"),
			plural(json_object_get(room, "max_speakers")), AUDIO_LEVEL(room));
	else if (strcmp(r->op, "room.remove") == 0)
		fprintf(r->out, "removed room %s (id %s) and its %s member%s\n", ROOM_NAME(room),
			VR_CTL_TEXT(room, "id"), VR_CTL_TEXT(room, "members"),
			plural(json_object_get(room, "members")));
	else if (strcmp(r->op, "member.add") == 0)
		fprintf(r->out, "added member %s to room %s: %s of %s members\n", VR_CTL_TEXT(res, "member"),
			ROOM_NAME(room), VR_CTL_TEXT(room, "members"), VR_CTL_TEXT(room, "max_members"));
	else if (strcmp(r->op, "member.remove") == 0)
		fprintf(r->out, "removed member %s from room %s: %s of %s members left\n", VR_CTL_TEXT(res, "member"),
			ROOM_NAME(room), VR_CTL_TEXT(room, "members"), VR_CTL_TEXT(room, "max_members"));
	else if (json_object_get(r->args, "client_address") != NULL)
		fprintf(r->out, "changed member %s of room %s: fixed at %s\n", VR_CTL_TEXT(res, "member"),
			ROOM_NAME(room), vr_ctl_endpoint(r->args, "client_address", "client_port", addr, sizeof(addr)));
	else
		fprintf(r->out, "changed member %s of room %s: address forgotten, latched again from its next "
				"authenticated packet\n",
			VR_CTL_TEXT(res, "member"), ROOM_NAME(room));
	return 0;
}

/* ------------------------------------------------------------------ */
/* the relay part of stats */

/* stats: the relay's totals, in their row in this order; its other scalars are counter rows */
static const char *const relay_heads[] = {"ROOMS", "MEMBERS", "RX_PACKETS",  "TX_PACKETS", "SLOW_PATH",
					  "STUN",  "DTLS",    "HANDOFF_OUT", "HANDOFF_IN"};
static const char *const relay_keys[] = {"rooms", "members", "rx_packets",  "tx_packets", "slow_path",
					 "stun",  "dtls",    "handoff_out", "handoff_in", NULL};

/* stats of a relay: its totals in a row; nothing without a "relay" object (a balancer). */
int vr_ctl_render_stats_relay(struct vr_ctl_render_ctx *r, const json_t *relay, bool *first)
{
	struct vr_ctl_table t;

	if (!json_is_object(relay))
		return 0;
	vr_ctl_table_init(&t, "rrrrrrrrr", relay_heads);
	for (size_t i = 0; relay_keys[i] != NULL; i++)
		vr_ctl_table_add(&t, VR_CTL_TEXT(relay, relay_keys[i]));
	return vr_ctl_table_print(r->out, &t, first);
}

/* stats of a relay: the scalars not in the totals' row, then the drops that happened. */
void vr_ctl_relay_counter_rows(struct vr_ctl_table *t, const json_t *relay)
{
	if (!json_is_object(relay))
		return;
	vr_ctl_counter_rows(t, relay, "relay", true, relay_keys);
	vr_ctl_counter_rows(t, json_object_get(relay, "drops"), "relay.drops", false, NULL);
}
