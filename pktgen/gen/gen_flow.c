/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's per-flow receive accounting over the stamp's 32-bit sequence, latency and RFC 3550 A.8 jitter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/rtpstats.h"

#include "gen_flow.h"

#define MAX_FLOWS (1u << 24)
#define WIN_WORDS (VR_GEN_FLOW_WINDOW / 64)

struct flow {
	uint64_t win[WIN_WORDS]; /* bit (seq % WINDOW): seq received, for highest - WINDOW < seq <= highest */
	uint32_t base, highest;
	uint8_t started, have_transit;
	uint32_t clock_hz;
	uint32_t transit;      /* A.8: previous packet's arrival - RTP timestamp, RTP units */
	uint64_t jitter;       /* A.8 integer form: RTP units scaled by 16; 64 bits as |D| may reach 2^31 */
	uint64_t received, unique, dup, reordered, late;
	uint64_t lat_count, lat_negative, lat_min, lat_max, lat_sum;
	struct vr_gen_hist *hist; /* VR_GEN_FLOWS_HIST only */
};

/* Running sums over flows, so an interval costs no pass over them for counts. */
struct totals {
	uint64_t received, unique, expected, dup, reordered, late, lat_negative;
};

struct vr_gen_flows {
	uint32_t nflows, flags, clock_hz;
	uint64_t tsc_hz;
	/* a burst's packets share one arrival TSC: its ns are computed once */
	uint64_t rx_tsc, rx_ns;
	struct totals now, prev;
	struct vr_gen_hist lat, lat_iv;
	struct flow flow[];
};

uint64_t vr_gen_tsc_to_ns(uint64_t cycles, uint64_t tsc_hz)
{
	if (tsc_hz == 0)
		return 0;
	/* whole seconds and the rest apart: cycles * 1e9 overflows after 18 s at 1 GHz */
	return cycles / tsc_hz * UINT64_C(1000000000) + cycles % tsc_hz * UINT64_C(1000000000) / tsc_hz;
}

static void flow_clear(struct flow *fl)
{
	struct vr_gen_hist *h = fl->hist;
	uint32_t hz = fl->clock_hz;

	memset(fl, 0, sizeof(*fl));
	fl->hist = h;
	fl->clock_hz = hz;
	if (h)
		vr_gen_hist_reset(h);
}

struct vr_gen_flows *vr_gen_flows_create(uint32_t nflows, uint32_t flags, uint32_t clock_hz, uint64_t tsc_hz)
{
	struct vr_gen_flows *f;
	uint32_t i;

	if (nflows == 0 || nflows > MAX_FLOWS || clock_hz == 0 || tsc_hz == 0 ||
	    (flags & ~(VR_GEN_FLOWS_HIST | VR_GEN_FLOWS_BASE_FIRST))) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f) + (size_t)nflows * sizeof(struct flow));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->nflows = nflows;
	f->flags = flags;
	f->clock_hz = clock_hz;
	f->tsc_hz = tsc_hz;
	vr_gen_hist_reset(&f->lat);
	vr_gen_hist_reset(&f->lat_iv);
	for (i = 0; i < nflows; i++) {
		f->flow[i].clock_hz = clock_hz;
		if (flags & VR_GEN_FLOWS_HIST) {
			f->flow[i].hist = vr_gen_hist_create();
			if (!f->flow[i].hist) {
				vr_gen_flows_free(f);
				errno = ENOMEM;
				return NULL;
			}
		}
	}
	return f;
}

void vr_gen_flows_free(struct vr_gen_flows *f)
{
	uint32_t i;

	if (!f)
		return;
	for (i = 0; i < f->nflows; i++)
		vr_gen_hist_free(f->flow[i].hist);
	free(f);
}

uint32_t vr_gen_flows_count(const struct vr_gen_flows *f)
{
	return f->nflows;
}

int vr_gen_flow_set_clock(struct vr_gen_flows *f, uint32_t flow, uint32_t clock_hz)
{
	if (!f || flow >= f->nflows || clock_hz == 0)
		return -EINVAL;
	f->flow[flow].clock_hz = clock_hz;
	f->flow[flow].have_transit = 0;
	return 0;
}

static inline int win_test_set(struct flow *fl, uint32_t seq)
{
	uint32_t b = seq % VR_GEN_FLOW_WINDOW;
	uint64_t m = UINT64_C(1) << (b % 64);
	int was = (fl->win[b / 64] & m) != 0;

	fl->win[b / 64] |= m;
	return was;
}

/* Forget the seqs the window slides over when the highest moves up by @d. */
static void win_advance(struct flow *fl, uint32_t d)
{
	uint32_t s;

	if (d >= VR_GEN_FLOW_WINDOW) {
		memset(fl->win, 0, sizeof(fl->win));
		return;
	}
	for (s = fl->highest + 1; d > 0; s++, d--) {
		uint32_t b = s % VR_GEN_FLOW_WINDOW;

		/* whole words at once when aligned: a long gap costs words, not bits */
		if (b % 64 == 0 && d >= 64) {
			fl->win[b / 64] = 0;
			s += 63;
			d -= 63;
			continue;
		}
		fl->win[b / 64] &= ~(UINT64_C(1) << (b % 64));
	}
}

static int flow_seq(struct vr_gen_flows *f, struct flow *fl, uint32_t seq)
{
	uint32_t behind;

	if (!fl->started) {
		fl->started = 1;
		fl->base = (f->flags & VR_GEN_FLOWS_BASE_FIRST) ? seq : 0;
		fl->highest = seq;
		win_test_set(fl, seq);
		f->now.expected += (uint64_t)seq - fl->base + 1;
		return VR_GEN_SEQ_NEXT;
	}
	if (seq > fl->highest) {
		win_advance(fl, seq - fl->highest);
		f->now.expected += seq - fl->highest;
		fl->highest = seq;
		win_test_set(fl, seq);
		return VR_GEN_SEQ_NEXT;
	}
	behind = fl->highest - seq;
	if (behind >= VR_GEN_FLOW_WINDOW || seq < fl->base)
		return VR_GEN_SEQ_LATE;
	if (win_test_set(fl, seq))
		return VR_GEN_SEQ_DUP;
	return VR_GEN_SEQ_REORDERED;
}

/* RFC 3550 A.8 in its integer form, differences modulo 2^32 so the clocks' origins cancel. */
static void flow_jitter(struct flow *fl, uint32_t rtp_ts, uint64_t rx_ns)
{
	uint32_t arrival = vr_rtpstats_ns_to_rtp(rx_ns, fl->clock_hz);
	uint32_t transit = arrival - rtp_ts;

	if (fl->have_transit)
		fl->jitter += vr_rtpstats_transit_delta(transit, fl->transit) - ((fl->jitter + 8) >> 4);
	fl->transit = transit;
	fl->have_transit = 1;
}

int vr_gen_flow_rx(struct vr_gen_flows *f, uint32_t flow, uint32_t seq, uint64_t tx_tsc, uint32_t rtp_ts,
		   uint64_t rx_tsc)
{
	struct flow *fl;
	uint64_t ns;
	int ev;

	if (!f || flow >= f->nflows)
		return -EINVAL;
	fl = &f->flow[flow];
	ev = flow_seq(f, fl, seq);
	fl->received++;
	f->now.received++;
	switch (ev) {
	case VR_GEN_SEQ_REORDERED:
		fl->reordered++;
		f->now.reordered++;
		/* fall through */
	case VR_GEN_SEQ_NEXT:
		fl->unique++;
		f->now.unique++;
		if (rx_tsc != f->rx_tsc) {
			f->rx_tsc = rx_tsc;
			f->rx_ns = vr_gen_tsc_to_ns(rx_tsc, f->tsc_hz);
		}
		flow_jitter(fl, rtp_ts, f->rx_ns);
		break;
	case VR_GEN_SEQ_DUP:
		fl->dup++;
		f->now.dup++;
		break;
	default:
		fl->late++;
		f->now.late++;
		break;
	}
	if (rx_tsc < tx_tsc) {
		fl->lat_negative++;
		f->now.lat_negative++;
		return ev;
	}
	ns = vr_gen_tsc_to_ns(rx_tsc - tx_tsc, f->tsc_hz);
	if (fl->lat_count == 0 || ns < fl->lat_min)
		fl->lat_min = ns;
	if (ns > fl->lat_max)
		fl->lat_max = ns;
	fl->lat_count++;
	fl->lat_sum += ns;
	vr_gen_hist_record(&f->lat, ns);
	vr_gen_hist_record(&f->lat_iv, ns);
	if (fl->hist)
		vr_gen_hist_record(fl->hist, ns);
	return ev;
}

static double flow_jitter_ns(const struct flow *fl)
{
	return (double)fl->jitter * 1e9 / (16.0 * (double)fl->clock_hz);
}

static void flow_stats(const struct flow *fl, struct vr_gen_flow_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->received = fl->received;
	st->unique = fl->unique;
	st->expected = fl->started ? (uint64_t)fl->highest - fl->base + 1 : 0;
	st->lost = st->expected - st->unique;
	st->dup = fl->dup;
	st->reordered = fl->reordered;
	st->late = fl->late;
	st->lat_count = fl->lat_count;
	st->lat_negative = fl->lat_negative;
	st->lat_min_ns = fl->lat_min;
	st->lat_max_ns = fl->lat_max;
	st->lat_sum_ns = fl->lat_sum;
	/* one packet gives a transit but no difference yet */
	st->jitter_flows = fl->unique >= 2;
	st->jitter_ns = st->jitter_flows ? flow_jitter_ns(fl) : 0.0;
}

int vr_gen_flow_get(const struct vr_gen_flows *f, uint32_t flow, struct vr_gen_flow_stats *st)
{
	if (!f || !st || flow >= f->nflows)
		return -EINVAL;
	flow_stats(&f->flow[flow], st);
	return 0;
}

const struct vr_gen_hist *vr_gen_flow_hist(const struct vr_gen_flows *f, uint32_t flow)
{
	if (!f || flow >= f->nflows)
		return NULL;
	return f->flow[flow].hist;
}

const struct vr_gen_hist *vr_gen_flows_hist(const struct vr_gen_flows *f)
{
	return &f->lat;
}

/* Sum @b into @a; the jitter mean re-weighted by the flows behind each. */
static void stats_add(struct vr_gen_flow_stats *a, const struct vr_gen_flow_stats *b)
{
	uint64_t jf = a->jitter_flows + b->jitter_flows;

	if (b->lat_count && (a->lat_count == 0 || b->lat_min_ns < a->lat_min_ns))
		a->lat_min_ns = b->lat_min_ns;
	if (b->lat_max_ns > a->lat_max_ns)
		a->lat_max_ns = b->lat_max_ns;
	a->received += b->received;
	a->unique += b->unique;
	a->expected += b->expected;
	a->lost += b->lost;
	a->dup += b->dup;
	a->reordered += b->reordered;
	a->late += b->late;
	a->lat_count += b->lat_count;
	a->lat_negative += b->lat_negative;
	a->lat_sum_ns += b->lat_sum_ns;
	a->jitter_ns = jf ? (a->jitter_ns * (double)a->jitter_flows + b->jitter_ns * (double)b->jitter_flows) /
				    (double)jf
			  : 0.0;
	a->jitter_flows = jf;
}

/* Loss ratio ordering without division: a/b > c/d, ties broken by the count. */
static int worse_loss(const struct vr_gen_flow_stats *x, const struct vr_gen_flow_stats *y)
{
	double lx = (double)x->lost * (double)y->expected, ly = (double)y->lost * (double)x->expected;

	return lx > ly || (lx == ly && x->lost > y->lost);
}

static void summary_empty(struct vr_gen_flows_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->worst_loss_flow = s->worst_latency_flow = s->worst_jitter_flow = UINT32_MAX;
}

int vr_gen_flows_summary(const struct vr_gen_flows *f, struct vr_gen_flows_summary *s)
{
	uint64_t worst_lat = 0, lat;
	struct vr_gen_flow_stats st;
	uint32_t i;

	if (!f || !s)
		return -EINVAL;
	summary_empty(s);
	s->nflows = f->nflows;
	for (i = 0; i < f->nflows; i++) {
		const struct flow *fl = &f->flow[i];

		if (!fl->received)
			continue;
		s->active++;
		flow_stats(fl, &st);
		stats_add(&s->total, &st);
		if (st.expected && (s->worst_loss_flow == UINT32_MAX || worse_loss(&st, &s->worst_loss))) {
			s->worst_loss_flow = i;
			s->worst_loss = st;
		}
		if (st.lat_count) {
			lat = fl->hist ? vr_gen_hist_percentile(fl->hist, 99.0) : st.lat_max_ns;
			if (s->worst_latency_flow == UINT32_MAX || lat > worst_lat) {
				worst_lat = lat;
				s->worst_latency_flow = i;
				s->worst_latency = st;
			}
		}
		if (st.jitter_flows &&
		    (s->worst_jitter_flow == UINT32_MAX || st.jitter_ns > s->worst_jitter.jitter_ns)) {
			s->worst_jitter_flow = i;
			s->worst_jitter = st;
		}
	}
	return 0;
}

int vr_gen_flows_summary_add(struct vr_gen_flows_summary *dst, const struct vr_gen_flows_summary *src)
{
	if (!dst || !src)
		return -EINVAL;
	dst->nflows += src->nflows;
	dst->active += src->active;
	stats_add(&dst->total, &src->total);
	if (src->worst_loss_flow != UINT32_MAX &&
	    (dst->worst_loss_flow == UINT32_MAX || worse_loss(&src->worst_loss, &dst->worst_loss))) {
		dst->worst_loss_flow = src->worst_loss_flow;
		dst->worst_loss = src->worst_loss;
	}
	/* without the flows' histograms here, max latency decides between sets */
	if (src->worst_latency_flow != UINT32_MAX &&
	    (dst->worst_latency_flow == UINT32_MAX ||
	     src->worst_latency.lat_max_ns > dst->worst_latency.lat_max_ns)) {
		dst->worst_latency_flow = src->worst_latency_flow;
		dst->worst_latency = src->worst_latency;
	}
	if (src->worst_jitter_flow != UINT32_MAX &&
	    (dst->worst_jitter_flow == UINT32_MAX || src->worst_jitter.jitter_ns > dst->worst_jitter.jitter_ns)) {
		dst->worst_jitter_flow = src->worst_jitter_flow;
		dst->worst_jitter = src->worst_jitter;
	}
	return 0;
}

int vr_gen_flows_interval(struct vr_gen_flows *f, struct vr_gen_flows_interval *iv, struct vr_gen_hist *lat)
{
	double j, sum = 0.0;
	uint32_t i;

	if (!f || !iv)
		return -EINVAL;
	memset(iv, 0, sizeof(*iv));
	iv->received = f->now.received - f->prev.received;
	iv->unique = f->now.unique - f->prev.unique;
	iv->expected = f->now.expected - f->prev.expected;
	iv->dup = f->now.dup - f->prev.dup;
	iv->reordered = f->now.reordered - f->prev.reordered;
	iv->late = f->now.late - f->prev.late;
	iv->lat_negative = f->now.lat_negative - f->prev.lat_negative;
	iv->lost = (int64_t)iv->expected - (int64_t)iv->unique;
	f->prev = f->now;
	for (i = 0; i < f->nflows; i++) {
		if (f->flow[i].unique < 2)
			continue;
		j = flow_jitter_ns(&f->flow[i]);
		sum += j;
		iv->jitter_flows++;
		if (j > iv->jitter_max_ns)
			iv->jitter_max_ns = j;
	}
	iv->jitter_ns = iv->jitter_flows ? sum / (double)iv->jitter_flows : 0.0;
	if (lat)
		memcpy(lat, &f->lat_iv, sizeof(*lat));
	vr_gen_hist_reset(&f->lat_iv);
	return 0;
}

void vr_gen_flows_interval_add(struct vr_gen_flows_interval *dst, const struct vr_gen_flows_interval *src)
{
	uint64_t jf = dst->jitter_flows + src->jitter_flows;

	dst->received += src->received;
	dst->unique += src->unique;
	dst->expected += src->expected;
	dst->dup += src->dup;
	dst->reordered += src->reordered;
	dst->late += src->late;
	dst->lost += src->lost;
	dst->lat_negative += src->lat_negative;
	dst->jitter_ns = jf ? (dst->jitter_ns * (double)dst->jitter_flows +
			       src->jitter_ns * (double)src->jitter_flows) / (double)jf
			    : 0.0;
	dst->jitter_flows = jf;
	if (src->jitter_max_ns > dst->jitter_max_ns)
		dst->jitter_max_ns = src->jitter_max_ns;
}

void vr_gen_flows_reset(struct vr_gen_flows *f)
{
	uint32_t i;

	if (!f)
		return;
	for (i = 0; i < f->nflows; i++)
		flow_clear(&f->flow[i]);
	memset(&f->now, 0, sizeof(f->now));
	memset(&f->prev, 0, sizeof(f->prev));
	vr_gen_hist_reset(&f->lat);
	vr_gen_hist_reset(&f->lat_iv);
}
