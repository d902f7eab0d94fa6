/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay role's part of a scrape: /voxrelay/relay, its rooms and SSRCs (bounded), as Prometheus metrics. */
#include <stdio.h>
#include <string.h>

#include "exporter.h"

/* Help for the relay's families (collect.c's vr_collect_help looks here after its own). */
const char *const vr_collect_relay_help[][2] = {
	{VR_EXP_NS "relay_rooms", "Rooms on the relay's worker lcores."},
	{VR_EXP_NS "relay_members", "Members of the relay's rooms."},
	{VR_EXP_NS "relay_rx_packets_total", "Datagrams into the relay's fan-out core, all rooms."},
	{VR_EXP_NS "relay_tx_packets_total", "Copies the relay's fan-out core sent to members, all rooms."},
	{VR_EXP_NS "relay_slow_path_total", "Datagrams the relay workers queued for the control thread (STUN and DTLS)."},
	{VR_EXP_NS "relay_stun_total", "STUN datagrams the relay workers queued for the control thread."},
	{VR_EXP_NS "relay_dtls_total", "DTLS datagrams the relay workers queued for the control thread."},
	{VR_EXP_NS "relay_handoff_out_total", "Datagrams a relay worker passed to the lcore owning their room."},
	{VR_EXP_NS "relay_handoff_in_total", "Datagrams a relay worker took over from other lcores for its rooms."},
	{VR_EXP_NS "relay_drops_total", "Datagrams the relay dropped, by reason (docs/relay.md)."},
	{VR_EXP_NS "relay_room_members", "Members of the room."},
	{VR_EXP_NS "relay_room_max_members", "Members the room may hold."},
	{VR_EXP_NS "relay_room_rx_packets_total", "Datagrams of the room into the fan-out core."},
	{VR_EXP_NS "relay_room_tx_packets_total", "Copies the fan-out core sent to the room's members."},
	{VR_EXP_NS "relay_room_drops_total", "Datagrams of the room the fan-out core dropped, by reason (reasons that counted)."},
	{VR_EXP_NS "relay_room_info", "Always 1; labels give the room's id and the worker lcore that owns it."},
	{VR_EXP_NS "relay_ssrc_packets_total", "RTP packets received from the SSRC (authenticated)."},
	{VR_EXP_NS "relay_ssrc_bytes_total", "RTP payload bytes received from the SSRC (headers excluded)."},
	{VR_EXP_NS "relay_ssrc_rtcp_packets_total", "RTCP packets received with the SSRC as sender."},
	{VR_EXP_NS "relay_ssrc_lost", "Packets of the SSRC lost so far: RFC 3550 cumulative number lost (negative with duplicates)."},
	{VR_EXP_NS "relay_ssrc_jitter_seconds", "Interarrival jitter of the SSRC (RFC 3550 6.4.1), in seconds."},
	{VR_EXP_NS "relay_ssrc_ext_highest_seq", "Extended highest RTP sequence number received from the SSRC."},
	{"voxrelay_exporter_relay_limit_reached",
	 "1 if the last scrape left out relay rooms or SSRCs beyond --relay-max-rooms or --relay-max-ssrcs."},
};
const size_t vr_collect_relay_nhelp = sizeof(vr_collect_relay_help) / sizeof(vr_collect_relay_help[0]);

/* @field of @obj as the gauge @fam, times @scale; nothing when it is missing or not a number. */
static void add_gauge_field(struct vr_scrape *s, const char *fam, const json_t *obj, const char *field, double scale,
			    const struct vr_labels *l)
{
	uint64_t u;
	double d;
	bool is_int;

	if (!vr_collect_number(json_object_get(obj, field), &u, &d, &is_int))
		return;
	if (scale != 1.0)
		vr_collect_add(s, fam, "gauge", vr_collect_help(fam), NULL, l, 0, d * scale, false);
	else
		vr_collect_add(s, fam, "gauge", vr_collect_help(fam), NULL, l, u, d, is_int);
}

/* "vip" and "port" of a room or SSRC entry as labels; false when either is missing. */
static bool room_labels(const json_t *e, struct vr_labels *l)
{
	const char *vip = vr_collect_str(e, "vip");
	const json_t *port = json_object_get(e, "port");
	char p[24];

	if (vip == NULL || !json_is_integer(port))
		return false;
	snprintf(p, sizeof(p), "%" JSON_INTEGER_FORMAT, json_integer_value(port));
	vr_labels_init(l);
	vr_labels_add(l, "vip", vip);
	vr_labels_add(l, "port", p);
	return true;
}

static void relay_room_entry(struct vr_scrape *s, const char *key, const json_t *e)
{
	/* slow_path: always 0 from a dataplane that still sends it (its workers take STUN/DTLS before any room) */
	static const char *const skip[] = {"vip", "port", "lcore", "members", "max_members", "slow_path", "drops_*",
					   NULL};
	const json_t *lcore = json_object_get(e, "lcore");
	struct vr_labels l, il;
	const char *k;
	json_t *v;

	if (!room_labels(e, &l))
		return;
	vr_collect_fields(s, e, VR_EXP_NS "relay_room_", &l, "/voxrelay/relay/rooms", skip, NULL);
	add_gauge_field(s, VR_EXP_NS "relay_room_members", e, "members", 1.0, &l);
	add_gauge_field(s, VR_EXP_NS "relay_room_max_members", e, "max_members", 1.0, &l);
	/* a room's reasons only once they counted: 13 series a room would mostly be zeros */
	json_object_foreach((json_t *)e, k, v) {
		struct vr_labels dl = l;
		uint64_t u;
		double d;
		bool is_int;

		if (strncmp(k, "drops_", 6) != 0 || !vr_collect_number(v, &u, &d, &is_int) || d == 0)
			continue;
		vr_labels_add(&dl, "reason", k + 6);
		vr_collect_add(s, VR_EXP_NS "relay_room_drops_total", "counter",
			       vr_collect_help(VR_EXP_NS "relay_room_drops_total"), NULL, &dl, u, d, is_int);
	}
	il = l;
	vr_labels_add(&il, "id", key);
	if (json_is_integer(lcore)) {
		char c[24];

		snprintf(c, sizeof(c), "%" JSON_INTEGER_FORMAT, json_integer_value(lcore));
		vr_labels_add(&il, "lcore", c);
	}
	vr_collect_add(s, VR_EXP_NS "relay_room_info", "gauge", vr_collect_help(VR_EXP_NS "relay_room_info"), NULL, &il,
		       1, 0, true);
}

static void relay_ssrc_entry(struct vr_scrape *s, const char *key, const json_t *e)
{
	/* roc and started stay in telemetry: ext_highest_seq and packets say as much */
	static const char *const skip[] = {"vip", "port", "member", "ssrc", "cumulative_lost", "jitter_us",
					   "ext_highest_seq", "roc", "started", NULL};
	const json_t *member = json_object_get(e, "member"), *ssrc = json_object_get(e, "ssrc");
	struct vr_labels l;
	char b[24];

	(void)key;
	if (!room_labels(e, &l) || !json_is_integer(member) || !json_is_integer(ssrc))
		return;
	snprintf(b, sizeof(b), "%" JSON_INTEGER_FORMAT, json_integer_value(member));
	vr_labels_add(&l, "member", b);
	snprintf(b, sizeof(b), "%" JSON_INTEGER_FORMAT, json_integer_value(ssrc));
	vr_labels_add(&l, "ssrc", b);
	vr_collect_fields(s, e, VR_EXP_NS "relay_ssrc_", &l, "/voxrelay/relay/ssrcs", skip, NULL);
	add_gauge_field(s, VR_EXP_NS "relay_ssrc_lost", e, "cumulative_lost", 1.0, &l);
	add_gauge_field(s, VR_EXP_NS "relay_ssrc_jitter_seconds", e, "jitter_us", 1e-6, &l);
	add_gauge_field(s, VR_EXP_NS "relay_ssrc_ext_highest_seq", e, "ext_highest_seq", 1.0, &l);
}

static void relay_limit(struct vr_scrape *s, const char *list, bool limited)
{
	struct vr_labels l;

	vr_labels_init(&l);
	vr_labels_add(&l, "list", list);
	vr_collect_add(s, "voxrelay_exporter_relay_limit_reached", "gauge",
		       vr_collect_help("voxrelay_exporter_relay_limit_reached"), NULL, &l, limited, 0, true);
}

/*
 * The relay role's totals, rooms and SSRCs. A balancer answers
 * /voxrelay/relay with null (nobody registered it): nothing more is asked.
 * Rooms and SSRCs are high-cardinality (and each room a round trip to its
 * lcore): at most --relay-max-rooms and --relay-max-ssrcs of them.
 */
int vr_collect_relay(struct vr_scrape *s)
{
	static const char *const skip[] = {"rooms", "members", "drops", NULL};
	struct vr_labels none;
	json_t *r;
	bool limited;
	int rc = vr_collect_query(s, "/voxrelay/relay", &r);

	if (rc < 0)
		return rc;
	if (!json_is_object(r)) {
		json_decref(r);
		return 0;
	}
	vr_labels_init(&none);
	vr_collect_fields(s, r, VR_EXP_NS "relay_", &none, "/voxrelay/relay", skip, NULL);
	add_gauge_field(s, VR_EXP_NS "relay_rooms", r, "rooms", 1.0, &none);
	add_gauge_field(s, VR_EXP_NS "relay_members", r, "members", 1.0, &none);
	vr_collect_reasons(s, json_object_get(r, "drops"), VR_EXP_NS "relay_drops_total", &none, NULL);
	/* with a bound of 0 nothing is asked: left out is whatever exists */
	limited = json_integer_value(json_object_get(r, "rooms")) > 0;
	if (s->x->relay_max_rooms > 0 &&
	    (rc = vr_collect_each_max(s, "/voxrelay/relay/rooms", NULL, relay_room_entry, s->x->relay_max_rooms,
				      &limited)) < 0)
		goto out;
	relay_limit(s, "rooms", limited);
	limited = json_integer_value(json_object_get(r, "members")) > 0;
	if (s->x->relay_max_ssrcs > 0 &&
	    (rc = vr_collect_each_max(s, "/voxrelay/relay/ssrcs", NULL, relay_ssrc_entry, s->x->relay_max_ssrcs,
				      &limited)) < 0)
		goto out;
	relay_limit(s, "ssrcs", limited);
out:
	json_decref(r);
	return rc;
}
