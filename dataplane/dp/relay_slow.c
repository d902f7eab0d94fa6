/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's slow path: STUN and DTLS datagrams of rooms, queued by workers, kept for the control side to read (relay.slowpath). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "ctlops.h"
#include "relay_dp.h"
#include "voxrelay/pkt.h"
#include "voxrelay/relaypkt.h"
#include "voxrelay/rtp.h"

/* What a datagram keeps; STUN and DTLS handshakes fit (ICE-lite and DTLS-SRTP read them later). */
#define SLOW_DATA_MAX 1500

struct slow_entry {
	uint64_t mono_ns;        /**< when the control thread took it (CLOCK_MONOTONIC) */
	uint8_t kind;            /**< enum vr_demux: STUN or DTLS */
	uint8_t encap;           /**< enum vr_relay_encap */
	struct vr_addr vip, src;
	uint16_t port, sport;
	uint16_t len;            /**< datagram bytes (data holds min(len, SLOW_DATA_MAX)) */
	uint8_t data[SLOW_DATA_MAX];
};

/** A ring of the newest datagrams; the oldest is overwritten (and counted) when full. */
struct vr_relay_slowlog {
	uint32_t cap, head, n;   /**< @head: index of the oldest */
	uint64_t received, overwritten, read, malformed;
	struct slow_entry e[];
};

int vr_dp_relay_slow_init(struct vr_dp *dp)
{
	uint32_t cap = dp->cfg->relay_slow_queue;

	dp->relay_slow_ring = rte_ring_create("vr_relay_slow", 1024, rte_socket_id(), RING_F_SC_DEQ);
	if (dp->relay_slow_ring == NULL)
		return -rte_errno;
	dp->relay_slow = calloc(1, sizeof(*dp->relay_slow) + (size_t)cap * sizeof(struct slow_entry));
	if (dp->relay_slow == NULL)
		return -ENOMEM;
	dp->relay_slow->cap = cap;
	return 0;
}

void vr_dp_relay_slow_fini(struct vr_dp *dp)
{
	struct rte_mbuf *m;

	while (dp->relay_slow_ring != NULL && rte_ring_dequeue(dp->relay_slow_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(dp->relay_slow_ring);
	dp->relay_slow_ring = NULL;
	free(dp->relay_slow);
	dp->relay_slow = NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vr_dp_relay_slow_poll(struct vr_dp *dp)
{
	struct vr_relay_slowlog *log = dp->relay_slow;
	struct rte_mbuf *pkts[32];
	unsigned int n;

	if (log == NULL)
		return;
	n = rte_ring_sc_dequeue_burst(dp->relay_slow_ring, (void **)pkts, 32, NULL);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *data = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(pkts[i]);
		struct vr_pkt_info pi;
		struct vr_relay_frame rf;
		struct slow_entry *e;

		/* The worker parsed it already; parsing again keeps the ring to bare mbufs. */
		if (vr_pkt_parse(data, len, &pi) != VR_DROP_NONE ||
		    vr_relay_frame_parse(data, len, &pi, dp->cfg->relay_gue_port, &rf) != VR_DROP_NONE) {
			log->malformed++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		if (log->n == log->cap) {
			log->head = (log->head + 1) % log->cap;
			log->n--;
			log->overwritten++;
		}
		e = &log->e[(log->head + log->n) % log->cap];
		log->n++;
		log->received++;
		e->mono_ns = mono_ns();
		e->kind = (uint8_t)vr_demux_classify(data + rf.payload_off, rf.payload_len);
		e->encap = rf.encap;
		e->vip = rf.dst;
		e->src = rf.src;
		e->port = rf.dport;
		e->sport = rf.sport;
		e->len = rf.payload_len;
		memcpy(e->data, data + rf.payload_off, rf.payload_len < SLOW_DATA_MAX ? rf.payload_len : SLOW_DATA_MAX);
		rte_pktmbuf_free(pkts[i]);
	}
}

static json_t *hex_of(const uint8_t *p, uint32_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc((size_t)n * 2 + 1);
	json_t *j;

	if (s == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

/* relay.slowpath {"max": N (default 100), "peek": bool}: the oldest queued datagrams, removed unless peek. */
int vr_ctl_op_relay_slowpath(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_relay_slowlog *log = dp->relay_slow;
	uint32_t max = 100, take;
	bool given, peek = json_is_true(json_object_get(args, "peek"));
	json_t *list;
	int rc;

	(void)ch;
	if (log == NULL)
		return vr_ctl_fail(r, -EOPNOTSUPP, "relay.slowpath: this dataplane is not a relay");
	rc = vr_ctl_arg_uint(args, "max", 1, 10000, &max, &given, r);
	if (rc != 0)
		return rc;
	vr_dp_relay_slow_poll(dp);
	take = max < log->n ? max : log->n;
	list = json_array();
	for (uint32_t i = 0; i < take && list != NULL; i++) {
		const struct slow_entry *e = &log->e[(log->head + i) % log->cap];
		char vip[64], src[64];
		uint32_t kept = e->len < SLOW_DATA_MAX ? e->len : SLOW_DATA_MAX;

		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:i, s:s, s:i, s:s, s:i, s:b, s:o*}",
			"mono_ns", (json_int_t)e->mono_ns, "kind", vr_demux_name((enum vr_demux)e->kind),
			"vip", vr_addr_str(&e->vip, vip, sizeof(vip)), "port", e->port,
			"src", vr_addr_str(&e->src, src, sizeof(src)), "sport", e->sport,
			"encap", e->encap == VR_RELAY_ENCAP_GUE ? "gue" : e->encap == VR_RELAY_ENCAP_IPIP ? "ipip" : "none",
			"len", e->len, "truncated", e->len > SLOW_DATA_MAX, "hex", hex_of(e->data, kept)));
	}
	if (!peek) {
		log->head = (log->head + take) % log->cap;
		log->n -= take;
		log->read += take;
	}
	r->result = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I}", "datagrams", list, "queued", (json_int_t)log->n,
			      "received", (json_int_t)log->received, "overwritten", (json_int_t)log->overwritten,
			      "read", (json_int_t)log->read, "malformed", (json_int_t)log->malformed);
	return r->result != NULL ? 0 : vr_ctl_fail(r, -ENOMEM, "out of memory");
}
