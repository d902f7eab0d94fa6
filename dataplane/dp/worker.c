/* SPDX-License-Identifier: BSD-3-Clause */
/* The balancer's run-to-completion worker: burst RX, parse, VIP, conntrack/Maglev, encapsulate, burst TX. */
#include <errno.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "dp.h"
#include "voxrelay/encap.h"
#include "voxrelay/pkt.h"

static inline void drop(struct vr_worker *w, struct rte_mbuf *m, enum vr_drop why)
{
	w->st.drops[why]++;
	rte_pktmbuf_free(m);
}

void vr_dp_tx_flush(struct vr_worker *w)
{
	for (uint32_t i = 0; i < w->dp->nb_ports; i++) {
		uint16_t n = w->tx[i].n, sent;

		if (n == 0)
			continue;
		sent = rte_eth_tx_burst(w->dp->ports[i].port_id, w->index, w->tx[i].pkts, n);
		w->st.tx_packets += sent;
		if (VR_UNLIKELY(sent < n)) {
			w->st.drops[VR_DROP_TX_FULL] += n - sent;
			rte_pktmbuf_free_bulk(&w->tx[i].pkts[sent], n - sent);
		}
		w->tx[i].n = 0;
	}
}

static void forward_udp(struct vr_worker *w, const struct vr_lb_state *st, const struct vr_lb_clock *clk,
			struct rte_mbuf *m, struct vr_pkt_info *pi, struct vr_lb_choice *chp)
{
	struct vr_dp *dp = w->dp;
	struct vr_lb_choice ch = *chp;
	struct vr_encap_params ep;
	const struct vr_dp_port *tp;
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	enum vr_drop rc;
	uint8_t *frame;
	uint64_t mac;
	int len;

	w->st.vip_rx[ch.vip->id]++;
	rc = vr_lb_choose(st, w->ct, pi, clk, &ch);
	if (VR_UNLIKELY(rc != VR_DROP_NONE)) {
		drop(w, m, rc);
		return;
	}
	tp = &dp->ports[dp->ports[dp->port_idx[m->port]].tx_idx];
	ep.dst = ch.backend->addr;
	if (ep.dst.family == AF_INET) {
		if (VR_UNLIKELY(!tp->local.has_v4))
			{ drop(w, m, VR_DROP_NO_LOCAL_ADDR); return; }
		ep.src = tp->addr4;
	} else {
		if (VR_UNLIKELY(!tp->local.has_v6))
			{ drop(w, m, VR_DROP_NO_LOCAL_ADDR); return; }
		ep.src = tp->addr6;
	}
	mac = vr_dp_gateway_mac(tp, ep.dst.family);
	if (VR_UNLIKELY(!(mac & VR_DP_MAC_VALID)))
		{ drop(w, m, VR_DROP_NO_NEXTHOP); return; }
	for (int i = 0; i < 6; i++)
		ep.dst_mac[i] = (uint8_t)(mac >> (8 * i));
	memcpy(ep.src_mac, tp->mac.addr_bytes, 6);
	ep.type = ch.vip->encap;
	ep.ttl = dp->cfg->ttl;
	ep.gue_port = ch.vip->gue_port;
	ep.mtu = tp->mtu;
	len = vr_encap(&ep, data + pi->l3_off, pi->l3_len, pi->key.family, ch.hash, &frame);
	if (VR_UNLIKELY(len < 0))
		{ drop(w, m, len == -EMSGSIZE ? VR_DROP_MTU_EXCEEDED : VR_DROP_NO_HEADROOM); return; }
	m->data_off = (uint16_t)(frame - (uint8_t *)m->buf_addr);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	w->st.backend_tx[ch.backend_id]++;
	w->st.backend_bytes[ch.backend_id] += (uint32_t)len;
	w->st.tx_bytes += (uint32_t)len;
	vr_dp_tx_add(w, (uint16_t)(tp - dp->ports), m);
}

/*
 * First pass over a received packet: parse it and, for UDP to a VIP, find
 * the VIP and the flow hash and start loading its conntrack buckets.
 * Returns true if the packet waits for the second pass (forward_udp).
 */
static bool classify(struct vr_worker *w, const struct vr_lb_state *st, struct rte_mbuf *m,
		     struct vr_pkt_info *pi, struct vr_lb_choice *ch)
{
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	enum vr_drop rc;

	w->st.rx_bytes += m->pkt_len;
	/* Multi-segment frames would need a gather before parsing; the pools
	 * are sized so the MTU never needs one. */
	if (VR_UNLIKELY(m->nb_segs != 1)) {
		drop(w, m, VR_DROP_MTU_EXCEEDED);
		return false;
	}
	rc = vr_pkt_parse(data, rte_pktmbuf_data_len(m), pi);
	if (VR_UNLIKELY(rc != VR_DROP_NONE)) {
		drop(w, m, rc);
		return false;
	}
	switch (pi->cls) {
	case VR_PKT_UDP:
		rc = vr_lb_classify(st, pi, ch);
		if (VR_UNLIKELY(rc != VR_DROP_NONE)) {
			/* Answers to our health probes come to our own address. */
			if (vr_dp_is_local(&w->dp->ports[w->dp->port_idx[m->port]], pi)) {
				vr_dp_to_main(w, m);
				return false;
			}
			drop(w, m, rc);
			return false;
		}
		if (ch->vip->hash_key == VR_HASH_FIVE_TUPLE)
			vr_ct_prefetch(w->ct, ch->hash);
		/* The outer headers go in the headroom, a line the NIC never
		 * wrote: fetch it for writing now rather than stall later. */
		__builtin_prefetch(data + pi->l3_off - VR_ENCAP_MAX_HDR, 1);
		return true;
	case VR_PKT_TCP:
		/* Answers to our HTTP probes come to our own address, for the kernel
		 * behind the tap; without a tap, TCP is not_udp as it always was. */
		if (vr_dp_is_local(&w->dp->ports[w->dp->port_idx[m->port]], pi) &&
		    __atomic_load_n(&w->dp->tap, __ATOMIC_RELAXED) != NULL) {
			vr_dp_to_main(w, m);
			return false;
		}
		drop(w, m, VR_DROP_NOT_UDP);
		return false;
	case VR_PKT_ARP:
	case VR_PKT_ND:
		/* Slow path: the main lcore answers and learns (message passing, no locks). */
		vr_dp_to_main(w, m);
		return false;
	default:
		drop(w, m, VR_DROP_NOT_UDP);
		return false;
	}
}

/* Three passes over a burst, so that each conntrack lookup finds its
 * buckets and then its entry already loaded by the passes before it. */
static void process_burst(struct vr_worker *w, const struct vr_lb_state *st, const struct vr_lb_clock *clk,
			  struct rte_mbuf **pkts, uint16_t n)
{
	struct vr_pkt_info pi[VR_DP_MAX_BURST];
	struct vr_lb_choice ch[VR_DP_MAX_BURST];
	uint16_t idx[VR_DP_MAX_BURST], nb = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (classify(w, st, pkts[i], &pi[nb], &ch[nb]))
			idx[nb++] = i;
	}
	for (uint16_t j = 0; j < nb; j++)
		if (ch[j].vip->hash_key == VR_HASH_FIVE_TUPLE)
			vr_ct_prefetch_entry(w->ct, ch[j].hash);
	for (uint16_t j = 0; j < nb; j++)
		forward_udp(w, st, clk, pkts[idx[j]], &pi[j], &ch[j]);
}

/* Frames the main lcore built (ARP/ND replies and probes) leave through a
 * worker's TX queue, since devices may have no queue to spare. */
void vr_dp_drain_ctl_tx(struct vr_worker *w)
{
	struct rte_mbuf *pkts[32];
	unsigned int n = rte_ring_sc_dequeue_burst(w->tx_ring, (void **)pkts, 32, NULL);

	for (unsigned int i = 0; i < n; i++) {
		vr_dp_tx_add(w, pkts[i]->port, pkts[i]);
	}
}

/* Conntrack buckets a request may visit per loop iteration: about 2 k
 * entries, a few microseconds, well inside what the RX rings absorb. */
#define WREQ_BUDGET 256

static int wreq_visit(const struct vr_flow_key *key, const struct vr_ct_value *val, uint64_t idle, void *arg)
{
	struct vr_worker_req *rq = arg;

	if (rq->has_backend) {
		const struct vr_lb_backend *b = &rq->st->backends[val->backend_id];

		if (!b->in_use || b->addr.family != rq->backend_family || memcmp(b->addr.a.b, rq->backend_addr, 16) != 0)
			return VR_CT_WALK_KEEP;
	}
	if (rq->has_vip && key->vip_id != rq->vip_id)
		return VR_CT_WALK_KEEP;
	if (rq->has_client && (key->family != rq->client_family || memcmp(key->src, rq->client, 16) != 0))
		return VR_CT_WALK_KEEP;
	if (rq->op == VR_WREQ_CT_FLUSH)
		return VR_CT_WALK_REMOVE;
	if (rq->nb_entries == rq->limit) {
		rq->truncated = true;
		return VR_CT_WALK_STOP;
	}
	rq->entries[rq->nb_entries].key = *key;
	rq->entries[rq->nb_entries].backend_id = val->backend_id;
	rq->entries[rq->nb_entries].idle_cycles = idle;
	rq->nb_entries++;
	return VR_CT_WALK_KEEP;
}

static void serve_request(struct vr_worker *w, const struct vr_lb_state *st, struct vr_worker_req *rq, uint64_t now)
{
	rq->st = st;
	rq->flushed += vr_ct_walk(w->ct, now, &rq->cursor, WREQ_BUDGET, wreq_visit, rq);
	if (rq->cursor != VR_CT_WALK_DONE)
		return;
	for (uint32_t i = 0; i < rq->nb_entries; i++)
		rq->entries[i].lcore = (uint16_t)w->lcore_id;
	__atomic_store_n(&w->req, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&rq->done, 1, __ATOMIC_RELEASE);
}

/* The first packet forwarded with a new state: when the change it carries
 * took effect (state.history). Once per swap, off the per-packet path. */
static void mark_forward(struct vr_worker *w, uint64_t generation)
{
	struct vr_fwd_mark *m = &w->fwd_log[w->fwd_head % VR_DP_FWD_LOG];

	__atomic_store_n(&m->generation, generation, __ATOMIC_RELAXED);
	__atomic_store_n(&m->tsc, rte_rdtsc(), __ATOMIC_RELAXED);
	__atomic_store_n(&w->fwd_head, w->fwd_head + 1, __ATOMIC_RELEASE);
	w->fwd_gen = generation;
}

int vr_dp_worker_main(void *arg)
{
	struct vr_worker *w = arg;
	struct vr_dp *dp = w->dp;
	const uint16_t burst = (uint16_t)dp->cfg->burst;
	struct rte_mbuf *pkts[VR_DP_MAX_BURST];
	uint64_t last = rte_rdtsc();

	rte_rcu_qsbr_thread_register(dp->qsv, w->index);
	rte_rcu_qsbr_thread_online(dp->qsv, w->index);
	while (!vr_force_quit) {
		const struct vr_lb_state *st = __atomic_load_n(&dp->state, __ATOMIC_ACQUIRE);
		struct vr_lb_clock clk;
		uint64_t start = rte_rdtsc();

		/* Until --control-script has run, no packet is read. */
		if (VR_UNLIKELY(!__atomic_load_n(&dp->rx_enabled, __ATOMIC_ACQUIRE))) {
			rte_rcu_qsbr_quiescent(dp->qsv, w->index);
			last = start;
			continue;
		}
		uint64_t got = 0, tx_bytes = w->st.tx_bytes;

		clk.now = start;
		clk.now_s = (uint32_t)((start - dp->start_tsc) / dp->tsc_hz);
		if (VR_UNLIKELY(st->generation != w->state_gen)) {
			vr_ct_set_timeout(w->ct, (uint64_t)st->ct_timeout_s * dp->tsc_hz);
			w->state_gen = st->generation;
		}
		for (uint32_t p = 0; p < dp->nb_ports; p++) {
			uint16_t n = rte_eth_rx_burst(dp->ports[p].port_id, w->index, pkts, burst);

			if (n == 0)
				continue;
			got += n;
			process_burst(w, st, &clk, pkts, n);
			/* Each port's burst goes out before the next is read, as l3fwd does. */
			vr_dp_tx_flush(w);
		}
		if (VR_UNLIKELY(w->fwd_gen != st->generation) && w->st.tx_bytes != tx_bytes)
			mark_forward(w, st->generation);
		struct vr_worker_req *rq = __atomic_load_n(&w->req, __ATOMIC_ACQUIRE);
		if (VR_UNLIKELY(rq != NULL))
			serve_request(w, st, rq, start);
		if (VR_UNLIKELY(!rte_ring_empty(w->tx_ring))) {
			vr_dp_drain_ctl_tx(w);
			vr_dp_tx_flush(w);
		}
		rte_rcu_qsbr_quiescent(dp->qsv, w->index);
		last = vr_dp_loop_end(w, start, last, got, got != 0);
	}
	vr_dp_tx_flush(w);
	rte_rcu_qsbr_thread_offline(dp->qsv, w->index);
	rte_rcu_qsbr_thread_unregister(dp->qsv, w->index);
	return 0;
}
