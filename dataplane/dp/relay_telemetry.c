/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK telemetry of the relay role (/voxrelay/relay...): totals, rooms and SSRCs for the metrics exporter. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_hash.h>
#include <rte_telemetry.h>

#include "ctlops.h"
#include "relay_dp.h"
#include "telemetry.h"

/*
 * Page sizes, by the worst-case sums of telemetry.h (which explains them).
 *
 * A room entry: vip 54, port 28, lcore 29, members 31, max_members 35,
 * rx_packets 34, tx_packets 34, drops_<reason> for every reason of
 * VR_RELAY_DROPS (ROOM_DROPS, "none" included though never sent: 654 bytes
 * for 14 today), '}' 1; with its key (a room id, 10 digits) 914 bytes: 12
 * rooms and the framing are 11023 bytes < 15872.
 * An SSRC entry: vip 54, port 28, member 30, ssrc 28, packets 31, bytes 29,
 * cumulative_lost 30 (an int: sign and 10 digits), ext_highest_seq 39,
 * jitter_us 33, rtcp_packets 36, roc 27, started 31, '}' 1; with its key (a
 * position, 13 digits) 414 bytes: 32 SSRCs and the framing are 13303 bytes.
 *
 * Every room of a page costs a command round trip to its owner lcore
 * (vr_dp_relay_room_view(): microseconds, up to the 50 us poll of
 * vr_dp_relay_call), so pages also bound the rooms they visit.
 */
#define ROOM_DROP_FIELD(id, name) +TEL_U64("drops_" name)
#define ROOM_DROPS (0 VR_RELAY_DROPS(ROOM_DROP_FIELD))
#define ROOM_ENTRY                                                                                           \
	TEL_ENTRY(10, TEL_STR("vip", INET6_ADDRSTRLEN - 1) + TEL_U64("port") + TEL_U64("lcore") +           \
			      TEL_U64("members") + TEL_U64("max_members") + TEL_U64("rx_packets") +           \
			      TEL_U64("tx_packets") + ROOM_DROPS)
#define SSRC_ENTRY                                                                                           \
	TEL_ENTRY(13, TEL_STR("vip", INET6_ADDRSTRLEN - 1) + TEL_U64("port") + TEL_U64("member") +          \
			      TEL_U64("ssrc") + TEL_U64("packets") + TEL_U64("bytes") + TEL_INT("cumulative_lost") + \
			      TEL_U64("ext_highest_seq") + TEL_U64("jitter_us") + TEL_U64("rtcp_packets") +   \
			      TEL_U64("roc") + TEL_U64("started"))

/** Rooms per reply of /voxrelay/relay/rooms. */
#define ROOMS_PAGE 12
/** SSRCs per reply of /voxrelay/relay/ssrcs, and the most rooms one reply visits. */
#define SSRCS_PAGE 32
/* An SSRC's position: its room's id, then its index among the room's SSRCs (members in slot order). */
#define SSRC_POS_BITS 10

_Static_assert(TEL_REPLY("/voxrelay/relay/rooms", ROOMS_PAGE, ROOM_ENTRY) < TEL_BUDGET,
	       "a page of relay rooms must fit DPDK's reply");
_Static_assert(TEL_REPLY("/voxrelay/relay/ssrcs", SSRCS_PAGE, SSRC_ENTRY) < TEL_BUDGET,
	       "a page of relay SSRCs must fit DPDK's reply");
_Static_assert(SSRCS_PAGE + 1 <= RTE_TEL_MAX_DICT_ENTRIES, "a page and its \"next\" must fit a DPDK dict");
_Static_assert(VR_RELAY_MAX_MEMBERS * VR_RELAY_MAX_SSRCS <= 1u << SSRC_POS_BITS,
	       "a room's SSRC index must fit its position bits");

static struct vr_dp *rtel_dp;

/*
 * The directory's rooms with id >= @first, in id order, at most @max of
 * them, copied under ctl_lock (the control thread changes the directory
 * under it): what vr_dp_relay_room_view() needs, nothing it changes later.
 * *@more: rooms with id >= @first were left out.
 */
static uint32_t dir_page(struct vr_dp *dp, uint64_t first, struct vr_relay_dir_room *out, uint32_t max, bool *more)
{
	const void *key;
	void *data;
	uint32_t it = 0, n = 0;

	*more = false;
	pthread_mutex_lock(&dp->ctl_lock);
	while (dp->relay_dir != NULL && rte_hash_iterate(dp->relay_dir->h, &key, &data, &it) >= 0) {
		const struct vr_relay_dir_room *dr = data;
		uint32_t i;

		if (dr->conf.id < first)
			continue;
		if (n == max && dr->conf.id > out[n - 1].conf.id) {
			*more = true;
			continue;
		}
		/* insert in id order, the largest falling out of a full page */
		if (n == max)
			*more = true;
		else
			n++;
		for (i = n - 1; i > 0 && out[i - 1].conf.id > dr->conf.id; i--)
			out[i] = out[i - 1];
		memset(&out[i], 0, sizeof(out[i]));
		out[i].key = dr->key;
		out[i].vip = dr->vip;
		out[i].owner = dr->owner;
		out[i].conf = dr->conf;
	}
	pthread_mutex_unlock(&dp->ctl_lock);
	return n;
}

/*
 * The room's snapshot from its owner, or false: removed since dir_page()
 * (or replaced by another room on the same VIP:port), the owner did not
 * answer, out of memory, or the dataplane is stopping (its lcores no
 * longer answer; their contexts are about to be freed).
 */
static bool room_view(struct vr_dp *dp, const struct vr_relay_dir_room *dr, struct vr_relay_room_view *v)
{
	struct ctl_reply r = {0};
	int rc;

	if (vr_force_quit) {
		v->members = NULL;
		return false;
	}
	rc = vr_dp_relay_room_view(dp, dr, v, &r);
	if (rc == 0 && v->conf.id == dr->conf.id)
		return true;
	/* a command that timed out may still write into the view (as room.show): keep it */
	if (rc != -EBUSY)
		free(v->members);
	v->members = NULL;
	return false;
}

/* Integers of @j (and of its objects, one level) into @d: the stats JSON's relay object as telemetry. */
static void json_to_dict(struct rte_tel_data *d, json_t *j, bool nest)
{
	const char *k;
	json_t *v;

	json_object_foreach(j, k, v) {
		if (json_is_integer(v) && json_integer_value(v) >= 0) {
			rte_tel_data_add_dict_u64(d, k, (uint64_t)json_integer_value(v));
		} else if (json_is_object(v) && nest) {
			struct rte_tel_data *c = rte_tel_data_alloc();

			if (c == NULL)
				continue;
			rte_tel_data_start_dict(c);
			json_to_dict(c, v, false);
			if (rte_tel_data_add_dict_container(d, k, c, 0) < 0)
				rte_tel_data_free(c);
		}
	}
}

/* /voxrelay/relay: the totals of `stats`' "relay" object (vr_dp_relay_stats_json()), the same numbers. */
static int tel_relay(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	json_t *j = vr_dp_relay_stats_json(rtel_dp);

	if (j == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	json_to_dict(d, j, true);
	json_decref(j);
	return 0;
}

static struct rte_tel_data *room_entry(struct vr_dp *dp, const struct vr_relay_dir_room *dr,
				       const struct vr_relay_room_view *v, char *key, size_t keylen)
{
	struct rte_tel_data *c = vr_dp_tel_new_entry(dr->conf.id, key, keylen);
	char a[64], name[64];

	if (c == NULL)
		return NULL;
	rte_tel_data_add_dict_string(c, "vip", vr_addr_str(&dr->vip, a, sizeof(a)));
	rte_tel_data_add_dict_u64(c, "port", dr->key.port);
	rte_tel_data_add_dict_u64(c, "lcore", dp->workers[dr->owner]->lcore_id);
	rte_tel_data_add_dict_u64(c, "members", v->nmembers);
	rte_tel_data_add_dict_u64(c, "max_members", dr->conf.max_members);
	rte_tel_data_add_dict_u64(c, "rx_packets", v->rx_packets);
	rte_tel_data_add_dict_u64(c, "tx_packets", v->tx_packets);
	for (int i = 1; i < VR_RELAY_DROP_MAX; i++) {
		snprintf(name, sizeof(name), "drops_%s", vr_relay_drop_name((enum vr_relay_drop)i));
		rte_tel_data_add_dict_u64(c, name, v->drops[i]);
	}
	return c;
}

/*
 * /voxrelay/relay/rooms[,<first room id>]: up to ROOMS_PAGE rooms by id,
 * "next" the first id left out; the owner lcores give the counters.
 */
static int tel_rooms(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct vr_dp *dp = rtel_dp;
	struct vr_relay_dir_room rooms[ROOMS_PAGE + 1];
	uint64_t start;
	uint32_t nr, n = 0, i;
	bool more;
	int rc = vr_dp_tel_page_start(params, &start);

	if (rc < 0)
		return rc;
	rte_tel_data_start_dict(d);
	/* one more than a page: its id is the "next" */
	nr = dir_page(dp, start, rooms, ROOMS_PAGE + 1, &more);
	for (i = 0; i < nr && n < ROOMS_PAGE; i++) {
		struct vr_relay_room_view v;
		char key[RTE_TEL_MAX_STRING_LEN];
		bool ok;

		if (!room_view(dp, &rooms[i], &v)) {
			if (vr_force_quit)
				break;
			continue;
		}
		ok = vr_dp_tel_add_entry(d, key, room_entry(dp, &rooms[i], &v, key, sizeof(key)));
		free(v.members);
		if (!ok)
			break;
		n++;
	}
	if (i == nr && !more)
		return 0;
	/* An error now would leak the containers added: DPDK frees them only when it writes them. */
	if (n == 0 && i < nr && !vr_force_quit)
		return -ENOMEM;
	rte_tel_data_add_dict_u64(d, "next", i < nr ? rooms[i].conf.id : (uint64_t)rooms[nr - 1].conf.id + 1);
	return 0;
}

static struct rte_tel_data *ssrc_entry(const struct vr_relay_dir_room *dr, const struct vr_relay_member_view *mv,
				       const struct vr_relay_ssrc_stats *sv, uint64_t pos, char *key, size_t keylen)
{
	struct rte_tel_data *c = vr_dp_tel_new_entry(pos, key, keylen);
	char a[64];

	if (c == NULL)
		return NULL;
	rte_tel_data_add_dict_string(c, "vip", vr_addr_str(&dr->vip, a, sizeof(a)));
	rte_tel_data_add_dict_u64(c, "port", dr->key.port);
	rte_tel_data_add_dict_u64(c, "member", mv->id);
	rte_tel_data_add_dict_u64(c, "ssrc", sv->ssrc);
	rte_tel_data_add_dict_u64(c, "packets", sv->packets);
	rte_tel_data_add_dict_u64(c, "bytes", sv->bytes);
	/* negative with duplicates (RFC 3550 A.3); DPDK 22.11 dict integers are ints */
	rte_tel_data_add_dict_int(c, "cumulative_lost", sv->cumulative_lost);
	rte_tel_data_add_dict_u64(c, "ext_highest_seq", sv->ext_highest_seq);
	/* DPDK 22.11 telemetry has no floating point: microseconds, as every *_us field */
	rte_tel_data_add_dict_u64(c, "jitter_us", (uint64_t)(sv->jitter_ms * 1000.0 + 0.5));
	rte_tel_data_add_dict_u64(c, "rtcp_packets", sv->rtcp_packets);
	rte_tel_data_add_dict_u64(c, "roc", sv->roc);
	rte_tel_data_add_dict_u64(c, "started", sv->started);
	return c;
}

/*
 * /voxrelay/relay/ssrcs[,<position>]: up to SSRCS_PAGE SSRCs of every
 * member of every room, keyed by position (room id << SSRC_POS_BITS | the
 * SSRC's index in its room), visiting at most SSRCS_PAGE rooms. "next" is
 * where the following page starts: the first SSRC left out, or the room
 * after the last one visited. A page may hold fewer SSRCs (rooms without
 * members) and still have a "next".
 */
static int tel_ssrcs(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct vr_dp *dp = rtel_dp;
	struct vr_relay_dir_room rooms[SSRCS_PAGE];
	uint64_t start, next = 0;
	uint32_t nr, n = 0, i;
	bool more, full = false;
	int rc = vr_dp_tel_page_start(params, &start);

	if (rc < 0)
		return rc;
	rte_tel_data_start_dict(d);
	nr = dir_page(dp, start >> SSRC_POS_BITS, rooms, SSRCS_PAGE, &more);
	for (i = 0; i < nr && !full; i++) {
		const struct vr_relay_dir_room *dr = &rooms[i];
		uint64_t base = (uint64_t)dr->conf.id << SSRC_POS_BITS;
		uint32_t idx = 0;
		struct vr_relay_room_view v;

		if (!room_view(dp, dr, &v)) {
			if (vr_force_quit)
				break;
			continue;
		}
		for (uint32_t m = 0; m < v.nmembers && !full; m++) {
			const struct vr_relay_member_view *mv = &v.members[m];

			for (uint32_t k = 0; k < mv->nssrc && !full; k++, idx++) {
				char key[RTE_TEL_MAX_STRING_LEN];

				if (base + idx < start)
					continue;
				if (n == SSRCS_PAGE ||
				    !vr_dp_tel_add_entry(d, key,
							 ssrc_entry(dr, mv, &mv->ssrc[k], base + idx, key, sizeof(key)))) {
					full = true;
					next = base + idx;
					break;
				}
				n++;
			}
		}
		free(v.members);
		/* the page is full at the end of a room: go on from the next one */
		if (!full && n == SSRCS_PAGE && (i + 1 < nr || more)) {
			full = true;
			next = base + (1u << SSRC_POS_BITS);
		}
	}
	if (!full && i < nr) /* stopping */
		next = (uint64_t)rooms[i].conf.id << SSRC_POS_BITS;
	else if (!full && more)
		next = ((uint64_t)rooms[nr - 1].conf.id + 1) << SSRC_POS_BITS;
	if (next == 0)
		return 0;
	/* An error now would leak the containers added: DPDK frees them only when it writes them. */
	if (n == 0 && full)
		return -ENOMEM;
	rte_tel_data_add_dict_u64(d, "next", next);
	return 0;
}

/* Help texts are < RTE_TEL_MAX_STRING_LEN (128) bytes, or DPDK refuses the command. */
static const struct vr_dp_tel_cmd rtel_cmds[] = {
	{"/voxrelay/relay", tel_relay, "Relay totals: rooms, members, packets, slow path, hand-off, drops. No parameters"},
	{"/voxrelay/relay/rooms", tel_rooms,
	 "Per-room counters by room id. Paged: parameter first id, follow \"next\""},
	{"/voxrelay/relay/ssrcs", tel_ssrcs,
	 "Per-SSRC RTP statistics of every member by position. Paged: parameter first position, follow \"next\""},
};

int vr_dp_relay_telemetry_init(struct vr_dp *dp)
{
	rtel_dp = dp;
	return vr_dp_tel_register(rtel_cmds, RTE_DIM(rtel_cmds));
}
