/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's worker lcores: voice-paced or rate-paced TX bursts of stamped RTP/RTCP, and RX accounting of what comes back. */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "gen_plan.h"
#include "gen_worker.h"

#define RX_BURST 32
/* libsrtp wants the RTP header 4-byte aligned: the Ethernet, IP and UDP
 * headers are 42 or 62 bytes, so the frame starts 2 bytes into a word. */
#define TX_ALIGN_SHIFT 2

/*
 * The time of slot @s on the streams' own timeline (0 = the first slot):
 * stream s mod count's frame s / count, the streams spread evenly over a
 * ptime. The voice models run on this timeline; @t0_ns maps it to the TSC.
 */
static inline uint64_t slot_ns(const struct vr_gen_worker *w, uint64_t s)
{
	const uint64_t pt = w->sh->ptime_ns;

	return (s / w->count) * pt + (s % w->count) * pt / w->count;
}

/* Streams ahead whose state is fetched: with thousands of streams it is not in L2 (~300 bytes each). */
#define PREFETCH_AHEAD 2

static inline void prefetch_lines(const void *p, size_t n)
{
	for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)(RTE_CACHE_LINE_SIZE - 1); a < (uintptr_t)p + n;
	     a += RTE_CACHE_LINE_SIZE)
		rte_prefetch0((const void *)a);
}

static inline void prefetch_stream(const struct vr_gen_worker *w, uint32_t i)
{
	while (i >= w->count)
		i -= w->count;
	prefetch_lines(&w->voice[i], sizeof(w->voice[i]));
	prefetch_lines(&w->tx[i], sizeof(w->tx[i]));
}

/*
 * Step the slot cursor: slot_ns(w, w->slot) kept up by additions, as the
 * two 64-bit divisions per slot cost as much as building a frame.
 * cur_off_ns = floor(cur_stream * ptime / count), its remainder in cur_off_rem.
 */
static inline void cursor_next(struct vr_gen_worker *w)
{
	w->slot++;
	if (++w->cur_stream == w->count) {
		w->cur_stream = 0;
		w->cur_off_ns = 0;
		w->cur_off_rem = 0;
		w->cur_frame_ns += w->sh->ptime_ns;
		return;
	}
	w->cur_off_ns += w->off_step_ns;
	w->cur_off_rem += w->off_step_rem;
	if (w->cur_off_rem >= w->count) {
		w->cur_off_rem -= w->count;
		w->cur_off_ns++;
	}
}

/* Put the cursor on slot @s (start-up; slot_ns() once). */
static void cursor_set(struct vr_gen_worker *w, uint64_t s)
{
	const uint64_t pt = w->sh->ptime_ns;

	w->slot = s;
	w->off_step_ns = pt / w->count;
	w->off_step_rem = (uint32_t)(pt % w->count);
	w->cur_stream = (uint32_t)(s % w->count);
	w->cur_frame_ns = (s / w->count) * pt;
	w->cur_off_ns = (uint64_t)w->cur_stream * pt / w->count;
	w->cur_off_rem = (uint32_t)((uint64_t)w->cur_stream * pt % w->count);
}

/* From the worker's stash, refilled in bulk: one mempool call per VR_GEN_MBUF_STASH frames, not one each. */
static inline struct rte_mbuf *tx_mbuf(struct vr_gen_worker *w)
{
	struct rte_mbuf *m;

	if (unlikely(w->nb_stash == 0)) {
		if (rte_pktmbuf_alloc_bulk(w->pool, w->stash, VR_GEN_MBUF_STASH) != 0) {
			w->alloc_fail++;
			return NULL;
		}
		w->nb_stash = VR_GEN_MBUF_STASH;
	}
	m = w->stash[--w->nb_stash];
	m->data_off = RTE_PKTMBUF_HEADROOM + TX_ALIGN_SHIFT;
	return m;
}

/* Frame @len bytes built into @m (or an error): queue it, or give it back. */
static inline bool tx_queue(struct vr_gen_worker *w, struct rte_mbuf *m, int len)
{
	if (unlikely(len < 0)) {
		w->tx_build_err++;
		rte_pktmbuf_free(m);
		return false;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	w->pending[w->nb_pending++] = m;
	return true;
}

/* One slot's packets: its RTP (unless the drop knob takes it) and its SR when due. Returns RTP packets queued. */
static uint32_t tx_slot(struct vr_gen_worker *w, uint32_t i, uint64_t sns, uint64_t now_tsc)
{
	const struct vr_gen_shared *sh = w->sh;
	struct vr_gen_voice_out out;
	unsigned int mask = vr_gen_voice_next(&w->voice[i], sns, &out);
	struct rte_mbuf *m;
	uint32_t n = 0;

	if (mask & VR_GEN_VOICE_RTP) {
		if (sh->tx_drop_every && (out.rtp.index + 1) % sh->tx_drop_every == 0) {
			/* built and lost on the way: the receiver must find exactly these missing */
			w->tx_dropped_knob++;
		} else if ((m = tx_mbuf(w)) != NULL) {
			struct vr_gen_stamp st = {.stream = w->first + i, .seq = out.rtp.index, .tx_tsc = now_tsc};
			int len = vr_gen_tx_rtp(&w->tx[i], &out.rtp, &st, rte_pktmbuf_mtod(m, uint8_t *),
						rte_pktmbuf_tailroom(m));

			if (tx_queue(w, m, len)) {
				w->tx_rtp++;
				n = 1;
			}
		}
	}
	if ((mask & VR_GEN_VOICE_RTCP) && sh->rtcp && (m = tx_mbuf(w)) != NULL) {
		uint64_t ntp = vr_gen_ntp_from_unix_ns(sh->unix_ns_at_tsc0 + w->t0_ns + out.sr.ns);

		if (tx_queue(w, m, vr_gen_tx_rtcp(&w->tx[i], &out.sr, ntp, rte_pktmbuf_mtod(m, uint8_t *),
						  rte_pktmbuf_tailroom(m))))
			w->tx_rtcp++;
	}
	return n;
}

static void tx_run(struct vr_gen_worker *w, uint64_t now_tsc)
{
	const struct vr_gen_shared *sh = w->sh;
	const bool voice_paced = !sh->flat_out && w->rate_pps <= 0;
	/* the streams' timeline matters only to the voice pace: no conversion per loop otherwise */
	uint64_t now_ns = voice_paced ? vr_gen_tsc_to_ns(now_tsc, sh->tsc_hz) - w->t0_ns : 0;
	uint32_t budget, made = 0, room, slots = 0;

	/* what did not fit the TX ring last time goes first, in order */
	room = RTE_DIM(w->pending) - w->nb_pending;
	budget = voice_paced ? sh->burst : vr_gen_pace_poll(&w->pace, now_tsc);
	/* a slot may add an SR to its RTP */
	if (budget > room / 2)
		budget = room / 2;
	while (made < budget && slots < 4 * sh->burst && w->count) {
		uint32_t i = w->cur_stream;
		uint64_t sns = w->cur_frame_ns + w->cur_off_ns;

		if (voice_paced && sns > now_ns)
			break;
		cursor_next(w);
		slots++;
		prefetch_stream(w, w->cur_stream + PREFETCH_AHEAD);
		made += tx_slot(w, i, sns, now_tsc);
	}
	if (!voice_paced && made < budget)
		vr_gen_pace_unsent(&w->pace, budget - made);
	if (w->nb_pending) {
		/* the sent mbufs are the PMD's after the burst: lengths are summed first */
		uint64_t bytes[2 * VR_GEN_MAX_BURST + 1];
		uint16_t sent;

		bytes[0] = 0;
		for (uint32_t k = 0; k < w->nb_pending; k++)
			bytes[k + 1] = bytes[k] + w->pending[k]->pkt_len;
		sent = rte_eth_tx_burst(sh->tx_port, w->queue, w->pending, (uint16_t)w->nb_pending);
		w->tx_bytes += bytes[sent];
		w->tx_pkts += sent;

		if (sent < w->nb_pending) {
			w->tx_full++;
			memmove(w->pending, w->pending + sent, (w->nb_pending - sent) * sizeof(w->pending[0]));
		}
		w->nb_pending -= sent;
	}
}

/* Which flow a stamped packet belongs to: its stream (echo), or its stream and the receiving member (room). */
static inline uint32_t rx_flow(const struct vr_gen_worker *w, const struct vr_gen_rx_info *ri)
{
	const struct vr_gen_plan *p = w->sh->plan;
	uint32_t r;

	if (ri->stream >= p->nb_members)
		return UINT32_MAX;
	if (!w->sh->expect_room)
		return ri->stream;
	r = vr_gen_plan_lookup(p, &ri->dst, ri->dport);
	if (r == UINT32_MAX || r == ri->stream || p->members[r].room != p->members[ri->stream].room)
		return UINT32_MAX;
	return ri->stream * p->room_size + p->members[r].slot;
}

static void rx_run(struct vr_gen_worker *w)
{
	const struct vr_gen_shared *sh = w->sh;
	struct rte_mbuf *bufs[RX_BURST];
	struct vr_gen_rx_info ri;
	uint16_t n = rte_eth_rx_burst(sh->rx_port, w->queue, bufs, RX_BURST);
	uint64_t rx_tsc;

	if (!n)
		return;
	rx_tsc = rte_rdtsc();
	w->rx_frames += n;
	for (uint16_t k = 0; k < n; k++) {
		struct rte_mbuf *m = bufs[k];

		/* a multi-segment frame is read in its first segment: enough for every header we look at */
		vr_gen_rx_classify(&sh->rx_cfg, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &ri);
		w->rx_kind[ri.kind < VR_GEN_RX_KIND_MAX ? ri.kind : VR_GEN_RX_MALFORMED]++;
		if (ri.err != VR_GEN_RX_ERR_OK)
			w->rx_err[ri.err < VR_GEN_RX_ERR_MAX ? ri.err : VR_GEN_RX_ERR_FRAME]++;
		if (ri.kind == VR_GEN_RX_RTP && ri.stamped && !sh->expect_none) {
			uint32_t flow = rx_flow(w, &ri);

			if (flow == UINT32_MAX || vr_gen_flow_rx(w->flows, flow, ri.seq, ri.tx_tsc, ri.rtp_ts, rx_tsc) < 0)
				w->rx_unknown_flow++;
		}
	}
	rte_pktmbuf_free_bulk(bufs, n);
}

/* Free what still waits for the TX ring: sending stopped, it is not sent after the trial's end. */
static void discard_pending(struct vr_gen_worker *w)
{
	rte_pktmbuf_free_bulk(w->pending, w->nb_pending);
	w->tx_discarded += w->nb_pending;
	w->nb_pending = 0;
}

/* A new command or rate from main: take it, restarting the pacer where the rate changes. */
static void take_cmd(struct vr_gen_worker *w, uint32_t *cur, uint64_t now_tsc)
{
	uint32_t g = w->gen;
	uint32_t cmd;
	double rate;

	rte_smp_rmb();
	cmd = w->cmd;
	rate = w->rate_pps;
	if (cmd == VR_GEN_CMD_SEND) {
		if (*cur != VR_GEN_CMD_SEND && w->count) {
			/* (re)start: the next slot is due now; after a pause, no catch-up burst */
			uint64_t now_ns = vr_gen_tsc_to_ns(now_tsc, w->sh->tsc_hz), base = slot_ns(w, w->slot);

			if (now_ns > base && now_ns - base > w->t0_ns)
				w->t0_ns = now_ns - base;
		}
		if (rate > 0 && w->sh->ramp_ns && !w->ramped) {
			vr_gen_pace_ramp(&w->pace, 0, rate, w->sh->ramp_ns, now_tsc);
			w->ramped = true;
		} else if (rate > 0) {
			vr_gen_pace_set_rate(&w->pace, rate, now_tsc);
		}
	}
	*cur = cmd;
	w->gen_ack = g;
}

int vr_gen_worker_main(void *arg)
{
	struct vr_gen_worker *w = arg;
	const struct vr_gen_shared *sh = w->sh;
	uint32_t cur = VR_GEN_CMD_IDLE;

	if (w->count)
		cursor_set(w, w->slot);
	while (!*sh->force_quit && cur != VR_GEN_CMD_QUIT) {
		uint64_t now = rte_rdtsc();

		if (unlikely(w->gen != w->gen_ack))
			take_cmd(w, &cur, now);
		if (cur == VR_GEN_CMD_SEND)
			tx_run(w, now);
		else if (w->nb_pending)
			discard_pending(w);
		rx_run(w);
		if (unlikely(w->reset_req != w->reset_ack)) {
			uint32_t req = w->reset_req;

			vr_gen_flows_reset(w->flows);
			/* the interval figures restart with the counts */
			vr_gen_flows_interval(w->flows, &w->iv, w->iv_lat);
			rte_smp_wmb();
			w->reset_ack = req;
		}
		if (unlikely(w->snap_req != w->snap_ack)) {
			uint32_t req = w->snap_req;

			vr_gen_flows_interval(w->flows, &w->iv, w->iv_lat);
			rte_smp_wmb();
			w->snap_ack = req;
		}
	}
	if (w->nb_pending)
		discard_pending(w);
	if (w->nb_stash)
		rte_pktmbuf_free_bulk(w->stash, w->nb_stash);
	w->nb_stash = 0;
	return 0;
}
