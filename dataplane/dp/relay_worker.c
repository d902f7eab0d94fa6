/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay role's worker: burst RX, decapsulate, hand each datagram to the lcore owning its room, SRTP fan-out, DSR TX. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "relay_dp.h"
#include "voxrelay/pkt.h"
#include "voxrelay/relay_stats.h"
#include "voxrelay/relaypkt.h"
#include "voxrelay/rtp.h"

#define HANDOFF_RING 4096
#define RELAY_CMD_WAIT_MS 5000
/* How often a worker publishes its totals for stats and metrics. */
#define PUBLISH_MS 500

_Static_assert(VR_CFG_RELAY_MAX_MEMBERS == VR_RELAY_MAX_MEMBERS, "config and relay member limits differ");

const char *vr_relay_dp_drop_name(unsigned int d)
{
	static const char *const names[] = {
#define VR_RELAY_DP_DROP_NAME(id, name) name,
		VR_RELAY_DP_DROPS(VR_RELAY_DP_DROP_NAME)
#undef VR_RELAY_DP_DROP_NAME
	};
	return d < VR_RELAY_DP_DROP_MAX ? names[d] : "unknown";
}

/* The owner from the hash's high bits: each lcore's room table buckets by
 * its low bits, which must stay evenly spread over the rooms it owns. */
static inline uint32_t owner_of(const struct vr_dp *dp, hash_sig_t sig)
{
	return (uint32_t)(((uint64_t)sig * dp->nb_workers) >> 32);
}

/* The signature the rooms' rte_hash tables use (rte_jhash, init value 0): computed once per datagram. */
static inline hash_sig_t room_sig(const struct vr_relay_room_key *key)
{
	return rte_jhash(key, sizeof(*key), 0);
}

uint32_t vr_dp_relay_owner(const struct vr_dp *dp, const struct vr_relay_room_key *key)
{
	return owner_of(dp, room_sig(key));
}

void vr_dp_relay_room_key(struct vr_relay_room_key *k, const struct vr_addr *vip, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->family = vip->family;
	memcpy(k->addr, vip->a.b, 16); /* IPv4 is stored IPv4-mapped */
	k->port = port;
}

int vr_dp_relay_init(struct vr_dp *dp)
{
	uint32_t per_lcore = dp->cfg->relay_max_rooms;

	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		struct vr_worker *w = dp->workers[i];
		int socket = (int)rte_lcore_to_socket_id(w->lcore_id);
		char name[RTE_RING_NAMESIZE];
		struct rte_hash_parameters hp = {
			.entries = per_lcore < 64 ? 64 : per_lcore,
			.key_len = sizeof(struct vr_relay_room_key),
			.hash_func = rte_jhash,
			.socket_id = socket,
		};
		struct vr_relay_lcore *rl = rte_zmalloc_socket("vr_relay_lcore", sizeof(*rl), RTE_CACHE_LINE_SIZE, socket);

		if (rl == NULL)
			return -ENOMEM;
		w->relay = rl;
		snprintf(name, sizeof(name), "vr_rooms_%u", i);
		hp.name = name;
		rl->rooms = rte_hash_create(&hp);
		if (rl->rooms == NULL)
			return -rte_errno;
		snprintf(name, sizeof(name), "vr_handoff_%u", i);
		rl->handoff = rte_ring_create(name, HANDOFF_RING, socket, RING_F_SC_DEQ);
		if (rl->handoff == NULL)
			return -rte_errno;
	}
	return 0;
}

void vr_dp_relay_fini(struct vr_dp *dp)
{
	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		struct vr_relay_lcore *rl = dp->workers[i] ? dp->workers[i]->relay : NULL;
		const void *key;
		void *data;
		uint32_t it = 0;

		if (rl == NULL)
			continue;
		while (rl->rooms != NULL && rte_hash_iterate(rl->rooms, &key, &data, &it) >= 0)
			vr_relay_room_free(data);
		rte_hash_free(rl->rooms);
		if (rl->handoff != NULL) {
			struct rte_mbuf *m;
			while (rte_ring_dequeue(rl->handoff, (void **)&m) == 0)
				rte_pktmbuf_free(m);
		}
		rte_ring_free(rl->handoff);
		rte_free(rl);
		dp->workers[i]->relay = NULL;
	}
}

int vr_dp_relay_call(struct vr_dp *dp, uint32_t idx, struct vr_relay_cmd *cmd)
{
	struct vr_relay_lcore *rl = dp->workers[idx]->relay;
	/* The worker writes into a copy on the heap: if we stop waiting, it
	 * may still finish later, and must not write into our caller's stack. */
	struct vr_relay_cmd *c = malloc(sizeof(*c));
	uint64_t deadline;
	int rc = 0;

	if (c == NULL)
		return -ENOMEM;
	*c = *cmd;
	c->done = 0;
	c->rc = 0;
	pthread_mutex_lock(&dp->relay_cmd_lock);
	/* A command abandoned after a timeout still holds the slot. */
	if (__atomic_load_n(&rl->cmd, __ATOMIC_ACQUIRE) != NULL) {
		rc = -EBUSY;
		goto out;
	}
	__atomic_store_n(&rl->cmd, c, __ATOMIC_RELEASE);
	deadline = rte_rdtsc() + dp->tsc_hz * RELAY_CMD_WAIT_MS / 1000;
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		if (rte_rdtsc() > deadline) {
			/* left to the worker (leaked), with any buffer it points to */
			c = NULL;
			rc = -EBUSY;
			goto out;
		}
		usleep(50);
	}
	*cmd = *c;
out:
	pthread_mutex_unlock(&dp->relay_cmd_lock);
	if (c != NULL) {
		/* member keys */
		memset(c->in_key, 0, sizeof(c->in_key));
		memset(c->out_key, 0, sizeof(c->out_key));
		__asm__ volatile("" ::"r"(c) : "memory");
		free(c);
	}
	return rc;
}

/* ---- the fast path ---- */

static inline void rdrop(struct vr_relay_lcore *rl, struct rte_mbuf *m, enum vr_relay_dp_drop why)
{
	rl->ws.drops[why]++;
	rte_pktmbuf_free(m);
}

bool vr_dp_relay_is_vip(const struct vr_config *cfg, const struct vr_addr *addr, uint16_t port)
{
	for (uint32_t i = 0; i < cfg->nb_relay_vips; i++) {
		const struct vr_cfg_relay_vip *v = &cfg->relay_vips[i];

		if (port >= v->port_lo && port <= v->port_hi && vr_addr_eq(&v->addr, addr))
			return true;
	}
	return false;
}

/*
 * Parse a frame down to the client's datagram. Returns false (frame
 * consumed: dropped or queued for the main lcore) or true with @rf set.
 */
static bool relay_parse(struct vr_worker *w, struct rte_mbuf *m, struct vr_relay_frame *rf)
{
	struct vr_dp *dp = w->dp;
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	struct vr_pkt_info pi;
	enum vr_drop rc;

	if (VR_UNLIKELY(m->nb_segs != 1)) {
		rdrop(w->relay, m, VR_RELAY_DP_DROP_FRAME);
		return false;
	}
	rc = vr_pkt_parse(data, rte_pktmbuf_data_len(m), &pi);
	if (VR_UNLIKELY(rc != VR_DROP_NONE)) {
		w->st.drops[rc]++;
		rte_pktmbuf_free(m);
		return false;
	}
	if (pi.cls == VR_PKT_ARP || pi.cls == VR_PKT_ND) {
		vr_dp_to_main(w, m);
		return false;
	}
	if (pi.cls != VR_PKT_UDP && pi.cls != VR_PKT_IP_OTHER) {
		w->st.drops[VR_DROP_NOT_UDP]++;
		rte_pktmbuf_free(m);
		return false;
	}
	/* Encapsulated frames must be for us; the balancer addresses our port. */
	rc = vr_relay_frame_parse(data, rte_pktmbuf_data_len(m), &pi, dp->cfg->relay_gue_port, rf);
	if (VR_UNLIKELY(rc != VR_DROP_NONE)) {
		w->st.drops[rc]++;
		rte_pktmbuf_free(m);
		return false;
	}
	if (rf->encap != VR_RELAY_ENCAP_NONE && !vr_dp_is_local(&dp->ports[dp->port_idx[m->port]], &pi)) {
		w->st.drops[VR_DROP_NOT_FOR_US]++;
		rte_pktmbuf_free(m);
		return false;
	}
	if (VR_UNLIKELY(!vr_dp_relay_is_vip(dp->cfg, &rf->dst, rf->dport))) {
		rdrop(w->relay, m, VR_RELAY_DP_DROP_NOT_RELAY_VIP);
		return false;
	}
	return true;
}

/* Relay one datagram of a room this lcore owns; consumes @m. */
static void relay_one(struct vr_worker *w, struct rte_mbuf *m, const struct vr_relay_frame *rf,
		      const struct vr_relay_room_key *key, hash_sig_t sig, uint64_t now_ns)
{
	struct vr_dp *dp = w->dp;
	struct vr_relay_lcore *rl = w->relay;
	struct vr_relay_room *room;
	const struct vr_dp_port *tp = &dp->ports[dp->ports[dp->port_idx[m->port]].tx_idx];
	uint16_t tx_idx = (uint16_t)(tp - dp->ports);
	struct rte_mbuf *copies[VR_RELAY_MAX_MEMBERS];
	struct vr_relay_tx tx[VR_RELAY_MAX_MEMBERS];
	struct vr_relay_out out = {.tx = tx};
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *) + rf->payload_off;
	uint32_t hdr = vr_relay_hdr_len(rf->family), ncopies, mis;
	struct vr_relay_rx rx;
	struct vr_relay_hdr h;
	uint64_t mac;
	void *data;

	if (rte_hash_lookup_with_hash_data(rl->rooms, key, sig, &data) < 0) {
		rdrop(rl, m, VR_RELAY_DP_DROP_NO_ROOM);
		return;
	}
	room = data;
	/* libsrtp reads the RTP header as 32-bit words: move the datagram
	 * down onto a 4-byte boundary, over headers already parsed. */
	mis = (uint32_t)((uintptr_t)p & 3);
	if (mis != 0) {
		memmove(p - mis, p, rf->payload_len);
		p -= mis;
	}
	/* Receive first: only a packet that is forwarded takes mbufs. */
	if (vr_relay_receive(room, p, rf->payload_len, &rf->src, rf->sport, now_ns, &rx, &out) != VR_RELAY_FORWARD ||
	    rx.copies == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	mac = vr_dp_gateway_mac(tp, rf->family);
	if (VR_UNLIKELY(!(mac & VR_DP_MAC_VALID))) {
		rl->ws.drops[VR_RELAY_DP_DROP_NO_NEXTHOP] += rx.copies;
		rte_pktmbuf_free(m);
		return;
	}
	ncopies = rx.copies;
	if (rte_pktmbuf_alloc_bulk(tp->pool, copies, ncopies) != 0) {
		rl->ws.drops[VR_RELAY_DP_DROP_NO_MBUF] += ncopies;
		rte_pktmbuf_free(m);
		return;
	}
	for (uint32_t i = 0; i < ncopies; i++) {
		/* the payload lands 4-byte aligned for libsrtp, the headers fit before it */
		copies[i]->data_off = (uint16_t)(RTE_PKTMBUF_HEADROOM + 2);
		tx[i].buf = rte_pktmbuf_mtod(copies[i], uint8_t *) + hdr;
		tx[i].cap = (uint32_t)(copies[i]->buf_len - copies[i]->data_off - hdr);
	}
	out.ntx = ncopies;
	vr_relay_fanout(room, p, &rx, &out);
	for (int i = 0; i < 6; i++)
		h.dst_mac[i] = (uint8_t)(mac >> (8 * i));
	memcpy(h.src_mac, tp->mac.addr_bytes, 6);
	h.src = rf->dst;
	h.sport = rf->dport;
	h.ttl = dp->cfg->relay_ttl;
	h.mtu = tp->mtu;
	for (uint32_t i = 0; i < out.count; i++) {
		struct rte_mbuf *c = copies[i];
		uint8_t *frame;
		int len;

		h.dst = tx[i].addr;
		h.dport = tx[i].port;
		len = vr_relay_hdr_write(&h, tx[i].buf, tx[i].len, &frame);
		if (VR_UNLIKELY(len < 0)) {
			rl->ws.drops[VR_RELAY_DP_DROP_MTU]++;
			rte_pktmbuf_free(c);
			continue;
		}
		c->data_off = (uint16_t)(frame - (uint8_t *)c->buf_addr);
		c->data_len = (uint16_t)len;
		c->pkt_len = (uint32_t)len;
		w->st.tx_bytes += (uint32_t)len;
		vr_dp_tx_add(w, tx_idx, c);
	}
	if (out.count < ncopies)
		rte_pktmbuf_free_bulk(&copies[out.count], ncopies - out.count);
	rte_pktmbuf_free(m);
}

/* STUN and DTLS (RFC 7983) go to the control thread untouched. */
static bool to_slow_path(struct vr_worker *w, struct rte_mbuf *m, const struct vr_relay_frame *rf)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *) + rf->payload_off;
	enum vr_demux d = vr_demux_classify(p, rf->payload_len);
	struct vr_relay_lcore *rl = w->relay;

	if (d != VR_DEMUX_STUN && d != VR_DEMUX_DTLS)
		return false;
	if (rte_ring_mp_enqueue(w->dp->relay_slow_ring, m) != 0) {
		rdrop(rl, m, VR_RELAY_DP_DROP_SLOW_PATH_FULL);
		return true;
	}
	if (d == VR_DEMUX_STUN)
		rl->ws.stun++;
	else
		rl->ws.dtls++;
	return true;
}

static void rx_burst(struct vr_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now_ns)
{
	struct vr_dp *dp = w->dp;
	struct vr_relay_frame rf;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct vr_relay_room_key key;
		hash_sig_t sig;
		uint32_t owner;

		w->st.rx_bytes += m->pkt_len;
		if (!relay_parse(w, m, &rf))
			continue;
		if (to_slow_path(w, m, &rf))
			continue;
		vr_dp_relay_room_key(&key, &rf.dst, rf.dport);
		sig = room_sig(&key);
		owner = owner_of(dp, sig);
		if (owner != w->index) {
			if (rte_ring_mp_enqueue(dp->workers[owner]->relay->handoff, m) != 0)
				rdrop(w->relay, m, VR_RELAY_DP_DROP_HANDOFF_FULL);
			else
				w->relay->ws.handoff_out++;
			continue;
		}
		relay_one(w, m, &rf, &key, sig, now_ns);
	}
}

/* Datagrams other lcores received for our rooms: parsed again (cheaper than carrying the parse). */
static uint32_t drain_handoff(struct vr_worker *w, uint64_t now_ns)
{
	struct rte_mbuf *pkts[VR_DP_MAX_BURST];
	struct vr_relay_frame rf;
	unsigned int n = rte_ring_sc_dequeue_burst(w->relay->handoff, (void **)pkts, w->dp->cfg->burst, NULL);

	w->relay->ws.handoff_in += n;
	for (unsigned int i = 0; i < n; i++) {
		struct vr_relay_room_key key;

		if (!relay_parse(w, pkts[i], &rf))
			continue;
		vr_dp_relay_room_key(&key, &rf.dst, rf.dport);
		relay_one(w, pkts[i], &rf, &key, room_sig(&key), now_ns);
	}
	return n;
}

/* ---- commands from the control thread ---- */

static void add_room_totals(struct vr_relay_lcore_stats *t, const struct vr_relay_room *room)
{
	t->rooms++;
	t->members += room->nmembers;
	t->rx_packets += room->rx_packets;
	t->tx_packets += room->tx_packets;
	for (int d = 0; d < VR_RELAY_DROP_MAX; d++)
		t->drops[d] += room->drops[d];
}

static void room_view(const struct vr_relay_room *room, struct vr_relay_room_view *v)
{
	uint32_t n = 0;

	v->conf = room->conf;
	v->rx_packets = room->rx_packets;
	v->tx_packets = room->tx_packets;
	memcpy(v->drops, room->drops, sizeof(v->drops));
	for (uint32_t s = 0; s < room->conf.max_members; s++) {
		const struct vr_relay_member *mb = &room->members[s];
		struct vr_relay_member_view *mv = &v->members[n];

		if (!mb->in_use)
			continue;
		memset(mv, 0, sizeof(*mv));
		mv->id = mb->id;
		mv->suite = mb->suite;
		mv->addr_fixed = mb->addr_fixed;
		mv->addr_verified = mb->addr_verified;
		mv->latched = mb->latched;
		mv->nssrc = mb->nssrc;
		mv->addr = mb->addr;
		mv->port = mb->port;
		mv->c = mb->c;
		/* the library's read-only accessor: it never closes an RR interval */
		for (uint32_t k = 0; k < mb->nssrc && k < VR_RELAY_MAX_SSRCS; k++)
			vr_relay_member_ssrc_stats(room, mb, k, &mv->ssrc[k]);
		n++;
	}
	v->nmembers = n;
}

static int run_cmd(struct vr_worker *w, struct vr_relay_cmd *c)
{
	struct vr_relay_lcore *rl = w->relay;
	struct vr_relay_room *room = NULL;
	void *data;
	int rc;

	if (c->op != VR_RCMD_ROOM_ADD) {
		if (rte_hash_lookup_data(rl->rooms, &c->key, &data) < 0)
			return -ENOENT;
		room = data;
	}
	switch (c->op) {
	case VR_RCMD_ROOM_ADD:
		if (rte_hash_lookup(rl->rooms, &c->key) >= 0)
			return -EEXIST;
		room = vr_relay_room_create(&c->room);
		if (room == NULL)
			return -errno;
		rc = rte_hash_add_key_data(rl->rooms, &c->key, room);
		if (rc < 0) {
			vr_relay_room_free(room);
			return rc;
		}
		return 0;
	case VR_RCMD_ROOM_REMOVE:
		c->nmembers = room->nmembers;
		rte_hash_del_key(rl->rooms, &c->key);
		/* its rooms and members counts are not kept: publish() zeroes them */
		add_room_totals(&rl->retired, room);
		vr_relay_room_free(room);
		return 0;
	case VR_RCMD_MEMBER_ADD:
		c->member.in_key = c->in_key;
		c->member.out_key = c->out_key;
		c->member.addr = c->has_addr ? &c->addr : NULL;
		c->member.port = c->port;
		rc = vr_relay_member_add(room, &c->member);
		break;
	case VR_RCMD_MEMBER_REMOVE:
		rc = vr_relay_member_remove(room, c->member_id);
		break;
	case VR_RCMD_MEMBER_SET_ADDR:
		rc = vr_relay_member_set_address(room, c->member_id, c->has_addr ? &c->addr : NULL, c->port);
		break;
	case VR_RCMD_ROOM_SHOW:
		if (c->view != NULL)
			room_view(room, c->view);
		rc = 0;
		break;
	default:
		return -EOPNOTSUPP;
	}
	c->nmembers = room->nmembers;
	return rc;
}

/* Totals of this lcore's rooms, for stats and metrics (racy readers). */
static void publish(struct vr_worker *w)
{
	struct vr_relay_lcore *rl = w->relay;
	struct vr_relay_lcore_stats t = rl->retired;
	const void *key;
	void *data;
	uint32_t it = 0;

	t.rooms = t.members = 0;
	while (rte_hash_iterate(rl->rooms, &key, &data, &it) >= 0)
		add_room_totals(&t, data);
	/* word by word: readers see each counter whole */
	for (size_t i = 0; i < sizeof(t) / sizeof(uint64_t); i++)
		__atomic_store_n((uint64_t *)&rl->pub + i, ((uint64_t *)&t)[i], __ATOMIC_RELAXED);
}

static void serve_cmd(struct vr_worker *w)
{
	struct vr_relay_cmd *c = __atomic_load_n(&w->relay->cmd, __ATOMIC_ACQUIRE);

	if (c == NULL)
		return;
	c->rc = run_cmd(w, c);
	/* a snapshot changes nothing: publish() walks every room of the lcore */
	if (c->op != VR_RCMD_ROOM_SHOW)
		publish(w);
	__atomic_store_n(&w->relay->cmd, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

int vr_dp_relay_worker_main(void *arg)
{
	struct vr_worker *w = arg;
	struct vr_dp *dp = w->dp;
	const uint16_t burst = (uint16_t)dp->cfg->burst;
	const uint64_t publish_cycles = dp->tsc_hz / 1000 * PUBLISH_MS;
	struct rte_mbuf *pkts[VR_DP_MAX_BURST];
	uint64_t last = rte_rdtsc();

	rte_rcu_qsbr_thread_register(dp->qsv, w->index);
	rte_rcu_qsbr_thread_online(dp->qsv, w->index);
	while (!vr_force_quit) {
		uint64_t start = rte_rdtsc();
		/* one clock per loop: arrival times for jitter and speaker ageing */
		uint64_t now_ns = (uint64_t)((double)(start - dp->start_tsc) * 1e9 / (double)dp->tsc_hz);
		uint64_t got = 0, handed = 0;

		/* Until --control-script has run, only commands are served. */
		if (VR_UNLIKELY(!__atomic_load_n(&dp->rx_enabled, __ATOMIC_ACQUIRE))) {
			serve_cmd(w);
			rte_rcu_qsbr_quiescent(dp->qsv, w->index);
			rte_pause();
			last = rte_rdtsc();
			continue;
		}

		for (uint32_t p = 0; p < dp->nb_ports; p++) {
			uint16_t n = rte_eth_rx_burst(dp->ports[p].port_id, w->index, pkts, burst);

			if (n == 0)
				continue;
			got += n;
			rx_burst(w, pkts, n, now_ns);
			vr_dp_tx_flush(w);
		}
		if (!rte_ring_empty(w->relay->handoff)) {
			handed = drain_handoff(w, now_ns);
			vr_dp_tx_flush(w);
		}
		serve_cmd(w);
		if (VR_UNLIKELY(!rte_ring_empty(w->tx_ring))) {
			vr_dp_drain_ctl_tx(w);
			vr_dp_tx_flush(w);
		}
		if (VR_UNLIKELY(start >= w->relay->next_publish_tsc)) {
			publish(w);
			w->relay->next_publish_tsc = start + publish_cycles;
		}
		rte_rcu_qsbr_quiescent(dp->qsv, w->index);
		last = vr_dp_loop_end(w, start, last, got, got + handed != 0);
	}
	vr_dp_tx_flush(w);
	rte_rcu_qsbr_thread_offline(dp->qsv, w->index);
	rte_rcu_qsbr_thread_unregister(dp->qsv, w->index);
	return 0;
}
