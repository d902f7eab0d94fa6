/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's TX logic without EAL: pacing accuracy and rate changes, the voice model's statistics and header fields, every frame the builder makes parsed back. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <sys/socket.h>

#include <srtp2/srtp.h>

#include "voxrelay/pkt.h"
#include "voxrelay/relay.h"
#include "voxrelay/rtp.h"

#include "../../common/check.h"
#include "gen_build.h"
#include "gen_pace.h"
#include "gen_stamp.h"
#include "gen_voice.h"

#define HZ 2500000000ull /* a 2.5 GHz TSC */
#define NS 1000000000ull

/* ---- pacing ---- */

/*
 * Run a pacer over [from, to) TSC cycles with polls at random intervals of
 * 0 .. 2 * mean_gap cycles, as a TX loop with uneven work would. Guards:
 * no poll above the burst, and the pacer never ahead of the rate's
 * integral (@ideal, packets at a cycle count; NULL to skip).
 */
static uint64_t pace_run(struct vr_gen_pace *p, uint64_t from, uint64_t to, uint64_t mean_gap, uint64_t *rng,
			 uint32_t burst, double (*ideal)(uint64_t), uint64_t *last)
{
	uint64_t t = from, got = 0;
	int ahead = 0, over = 0;

	while (t < to) {
		uint32_t n = vr_gen_pace_poll(p, t);

		got += n;
		over += n > burst;
		if (ideal && (double)vr_gen_pace_granted(p) > ideal(t) + 1e-6)
			ahead++;
		t += check_rand(rng) % (2 * mean_gap + 1);
	}
	CHECK_MSG(over == 0, "%d polls above the burst", over);
	CHECK_MSG(ahead == 0, "%d polls ahead of the rate", ahead);
	if (last)
		*last = t;
	return got;
}

static double g_rate;
static double ideal_flat(uint64_t t)
{
	return g_rate * (double)t / (double)HZ;
}

/* Ramp 10 kpps -> 1 Mpps over the first 0.5 s, then hold. */
#define R0 10000.0
#define R1 1000000.0
#define RAMP (HZ / 2)
static double ideal_ramp(uint64_t t)
{
	double x = (double)t / (double)HZ, r = (double)RAMP / (double)HZ;

	if (t < RAMP)
		return R0 * x + (R1 - R0) * x * x / (2 * r);
	return (R0 + R1) / 2 * r + R1 * (x - r);
}

static void test_pace_rates(void)
{
	static const double rates[] = { 1e3, 1e5, 1e7 };
	uint64_t rng = 1;
	size_t i;

	/* Guards the rate itself: within 1 % over 1 s at three decades of rate. */
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct vr_gen_pace p;
		uint64_t got;

		CHECK(vr_gen_pace_init(&p, HZ, 32, rates[i], 0) == 0);
		g_rate = rates[i];
		got = pace_run(&p, 0, HZ, 1000, &rng, 32, ideal_flat, NULL);
		CHECK_MSG(fabs((double)got - rates[i]) <= rates[i] * 0.01, "rate %g: %llu packets in 1 s", rates[i],
			  (unsigned long long)got);
	}
}

static void test_pace_ramp(void)
{
	struct vr_gen_pace p;
	uint64_t rng = 2, half, rest;
	double want_q = ideal_ramp(HZ / 4), want = ideal_ramp(HZ);

	/* Guards the ramp's integral (a linear ramp is a trapezoid), at its middle and in all. */
	CHECK(vr_gen_pace_init(&p, HZ, 32, 0, 0) == 0);
	CHECK(vr_gen_pace_ramp(&p, R0, R1, NS / 2, 0) == 0);
	half = pace_run(&p, 0, HZ / 4, 1000, &rng, 32, ideal_ramp, NULL);
	CHECK_MSG(fabs((double)half - want_q) <= want_q * 0.01, "ramp: %llu packets in 0.25 s, want %.0f",
		  (unsigned long long)half, want_q);
	CHECK(fabs(vr_gen_pace_rate(&p, HZ / 4) - (R0 + R1) / 2) < 1.0);
	rest = pace_run(&p, HZ / 4, HZ, 1000, &rng, 32, ideal_ramp, NULL);
	CHECK_MSG(fabs((double)(half + rest) - want) <= want * 0.01, "ramp: %llu packets in 1 s, want %.0f",
		  (unsigned long long)(half + rest), want);
	CHECK(vr_gen_pace_rate(&p, HZ) == R1);
}

static void test_pace_change(void)
{
	struct vr_gen_pace p, ctl;
	uint64_t rng = 3, t, got;
	uint32_t n;

	/*
	 * Guards "no catch-up burst": the caller stalls 10 ms at 1 Mpps
	 * (10,000 packets of credit), then the rate changes. The control pacer,
	 * unchanged, hands out a full burst at once (so the test can tell);
	 * the changed one starts from nothing at the new rate.
	 */
	CHECK(vr_gen_pace_init(&p, HZ, 32, 1e6, 0) == 0);
	pace_run(&p, 0, HZ / 10, 1000, &rng, 32, NULL, &t);
	ctl = p;
	t += HZ / 100;
	CHECK(vr_gen_pace_poll(&ctl, t) == 32);
	CHECK(vr_gen_pace_set_rate(&p, 2e6, t) == 0);
	n = vr_gen_pace_poll(&p, t + HZ / 1000000); /* 1 us later: 2 packets at 2 Mpps */
	CHECK_MSG(n <= 2, "after the change: %u packets in 1 us", n);
	got = n + pace_run(&p, t + HZ / 1000000, t + HZ / 1000, 1000, &rng, 32, NULL, NULL);
	CHECK_MSG(got >= 1900 && got <= 2000, "2 Mpps: %llu packets in the first ms", (unsigned long long)got);

	/* Down: 1 Mpps -> 1 kpps must not keep sending at the old rate. */
	t += HZ / 1000;
	CHECK(vr_gen_pace_set_rate(&p, 1e3, t) == 0);
	got = pace_run(&p, t, t + HZ / 100, 1000, &rng, 32, NULL, NULL);
	CHECK_MSG(got >= 9 && got <= 10, "1 kpps: %llu packets in 10 ms", (unsigned long long)got);

	/* Flat out: every poll the burst. */
	CHECK(vr_gen_pace_set_rate(&p, 0, t) == 0);
	CHECK(vr_gen_pace_poll(&p, t) == 32 && vr_gen_pace_poll(&p, t) == 32);
	CHECK(vr_gen_pace_rate(&p, t) == 0);

	/* Given back: a poll's unsent packets come again. */
	CHECK(vr_gen_pace_set_rate(&p, 1e6, 0) == 0);
	n = vr_gen_pace_poll(&p, HZ / 100000); /* 10 us: 10 packets */
	CHECK(n == 10);
	vr_gen_pace_unsent(&p, 4);
	CHECK(vr_gen_pace_poll(&p, HZ / 100000) == 4);

	/* Bounded backlog: a 10 ms stall at 1 Mpps forgives all but 100. */
	vr_gen_pace_set_max_backlog(&p, 100);
	got = 0;
	for (int k = 0; k < 10; k++)
		got += vr_gen_pace_poll(&p, HZ / 100000 + HZ / 100);
	CHECK(got == 100);
	CHECK(vr_gen_pace_forgiven(&p) == 10000 - 100);

	/* Refusals leave the state alone. */
	CHECK(vr_gen_pace_init(&ctl, 0, 32, 1, 0) == -EINVAL);
	CHECK(vr_gen_pace_init(&ctl, HZ, 0, 1, 0) == -EINVAL);
	CHECK(vr_gen_pace_set_rate(&p, -1, 0) == -EINVAL);
	CHECK(vr_gen_pace_set_rate(&p, NAN, 0) == -EINVAL);
	CHECK(vr_gen_pace_ramp(&p, 1, 0, NS, 0) == -EINVAL);
}

static void test_pace_long(void)
{
	struct vr_gen_pace p;
	uint64_t rng = 4, got;

	/* Guards drift: an hour at 1 kpps with polls every 0..2 ms is exact to a packet. */
	CHECK(vr_gen_pace_init(&p, HZ, 32, 1e3, 0) == 0);
	got = pace_run(&p, 0, 3600 * HZ, HZ / 1000, &rng, 32, NULL, NULL);
	for (uint32_t n; (n = vr_gen_pace_poll(&p, 3600 * HZ)) != 0;)
		got += n;
	CHECK_MSG(got == 3600000, "1 h at 1 kpps: %llu packets", (unsigned long long)got);
}

/* ---- voice model ---- */

struct voice_acc {
	uint64_t pkts, talk_pkts, spurts, keepalive_bad, size_bad, seq_bad, ts_bad, marker_bad, level_bad;
	uint64_t srs, sr_bad, sr_short, sr_long;
	uint64_t sr_min_ns, sr_max_ns;
};

/*
 * Drive one stream for @dur_ns, stepping the clock to each due time, and
 * check every packet against the one before. Guards: seq + 1 per packet;
 * ts + ticks per elapsed frame, silence included; marker exactly on a
 * talk packet not preceded by a talk frame; levels in range; DTX
 * keep-alives exactly 400 ms apart in a pause; payload sizes in range;
 * SR intervals and counts.
 */
static void voice_run(const struct vr_gen_voice_params *vp, uint64_t seed, uint64_t dur_ns, struct voice_acc *a)
{
	struct vr_gen_voice v;
	struct vr_gen_voice_out o;
	uint64_t start = 1000 * NS, now = start, prev_ns = 0, last_sr = 0, octets = 0, ptime_ns, dtx_gap;
	uint32_t pkts = 0, prev_ts = 0, ticks, pmin, pmax;
	uint16_t prev_seq = 0;
	int have_prev = 0, prev_talk = 0;

	CHECK(vr_gen_voice_init(&v, vp, seed, start) == 0);
	ptime_ns = (vp->ptime_ms ? vp->ptime_ms : 20) * 1000000ull;
	ticks = vr_gen_voice_ticks(&v);
	/* the first frame at or after 400 ms: 400 ms at 20 ms, 420 ms at 60 ms */
	dtx_gap = (VR_GEN_DTX_NS + ptime_ns - 1) / ptime_ns * ptime_ns;
	pmin = vp->codec == VR_GEN_CODEC_G711 ? ticks : 60 * (uint32_t)(ptime_ns / 20000000);
	pmax = vp->codec == VR_GEN_CODEC_G711 ? ticks : 160 * (uint32_t)(ptime_ns / 20000000);
	CHECK(vr_gen_voice_ssrc(&v) != 0);
	while (now < start + dur_ns) {
		unsigned int w = vr_gen_voice_next(&v, now, &o);

		if (w & VR_GEN_VOICE_RTP) {
			const struct vr_gen_rtp_info *r = &o.rtp;
			int talk = (r->level & 0x80) != 0;

			a->pkts++;
			pkts++;
			octets += r->payload_len;
			CHECK(r->ssrc == vr_gen_voice_ssrc(&v) && r->index == pkts - 1);
			if (talk) {
				a->talk_pkts++;
				a->level_bad += (r->level & 0x7f) < 20 || (r->level & 0x7f) > 50;
				a->size_bad += r->payload_len < pmin || r->payload_len > pmax;
			} else {
				a->level_bad += r->level != 127;
				a->size_bad += vp->codec == VR_GEN_CODEC_OPUS ? r->payload_len != VR_GEN_OPUS_CN_PAYLOAD
									      : r->payload_len != pmin;
			}
			if (have_prev) {
				uint64_t gap = now - prev_ns;
				int prev_frame_talk = prev_talk && gap == ptime_ns;

				a->seq_bad += r->seq != (uint16_t)(prev_seq + 1);
				a->ts_bad += gap % ptime_ns != 0 || r->ts - prev_ts != (uint32_t)(gap / ptime_ns) * ticks;
				if (vp->codec == VR_GEN_CODEC_OPUS) {
					a->marker_bad += r->marker != (talk && !prev_frame_talk);
					/* in a pause (no talk between), keep-alives are exactly 400 ms apart */
					if (!talk && !prev_talk)
						a->keepalive_bad += gap != dtx_gap;
				} else {
					a->marker_bad += r->marker != 0;
					a->keepalive_bad += gap != ptime_ns; /* g711: every frame */
				}
			} else {
				a->marker_bad += vp->codec == VR_GEN_CODEC_OPUS ? r->marker != talk : r->marker != 1;
			}
			a->spurts += vp->codec == VR_GEN_CODEC_OPUS && r->marker;
			have_prev = 1;
			prev_talk = talk;
			prev_ns = now;
			prev_seq = r->seq;
			prev_ts = r->ts;
		}
		if (w & VR_GEN_VOICE_RTCP) {
			uint64_t gap = last_sr ? now - last_sr : now - start;
			uint32_t want_ts = prev_ts + (uint32_t)((now - prev_ns) * vr_gen_voice_clock(&v) / NS);
			int32_t d = (int32_t)(o.sr.rtp_ts - want_ts);

			a->srs++;
			a->sr_bad += o.sr.packets != pkts || o.sr.octets != (uint32_t)octets || o.sr.ssrc != vr_gen_voice_ssrc(&v) ||
				     o.sr.ns != now || d < -1 || d > 1;
			if (last_sr) {
				a->sr_short += gap < 2500000000ull;
				a->sr_long += gap > 7500000000ull;
				a->sr_min_ns = a->sr_min_ns && a->sr_min_ns < gap ? a->sr_min_ns : gap;
				a->sr_max_ns = a->sr_max_ns > gap ? a->sr_max_ns : gap;
			} else {
				/* the first after half an interval: 1.25 .. 3.75 s, plus the first frame's phase */
				a->sr_short += gap < 1250000000ull;
				a->sr_long += gap > 3750000000ull + ptime_ns;
			}
			last_sr = now;
		}
		if (w == 0)
			now = vr_gen_voice_next_due(&v);
	}
}

static void test_voice_opus(void)
{
	struct vr_gen_voice_params vp = { .codec = VR_GEN_CODEC_OPUS };
	struct voice_acc a = { 0 };
	const int nstreams = 8;
	const uint64_t dur = 600 * NS;
	double talk, spurt_s;

	for (int s = 0; s < nstreams; s++)
		voice_run(&vp, 100 + (uint64_t)s, dur, &a);
	/* P.59: talk share 1.0 / (1.0 + 1.5) = 0.4; 8 x 10 min puts the estimate's sigma near 0.007 */
	talk = (double)a.talk_pkts / ((double)nstreams * (double)(dur / 20000000));
	spurt_s = (double)a.talk_pkts * 0.02 / (double)a.spurts;
	CHECK_MSG(talk > 0.37 && talk < 0.43, "opus talk fraction %.3f", talk);
	CHECK_MSG(spurt_s > 0.85 && spurt_s < 1.15, "opus mean talk spurt %.3f s", spurt_s);
	CHECK_MSG(a.size_bad == 0 && a.level_bad == 0, "opus: %llu sizes, %llu levels out of range",
		  (unsigned long long)a.size_bad, (unsigned long long)a.level_bad);
	CHECK_MSG(a.seq_bad == 0 && a.ts_bad == 0 && a.marker_bad == 0 && a.keepalive_bad == 0,
		  "opus: seq %llu ts %llu marker %llu keep-alive %llu wrong", (unsigned long long)a.seq_bad,
		  (unsigned long long)a.ts_bad, (unsigned long long)a.marker_bad, (unsigned long long)a.keepalive_bad);
	/* about 600 / 5 SRs per stream, intervals inside 2.5 .. 7.5 s and really spread over it */
	CHECK_MSG(a.srs > nstreams * 100 && a.srs < nstreams * 140, "opus: %llu SRs", (unsigned long long)a.srs);
	CHECK_MSG(a.sr_bad == 0 && a.sr_short == 0 && a.sr_long == 0, "SR: %llu bad counts, %llu short, %llu long",
		  (unsigned long long)a.sr_bad, (unsigned long long)a.sr_short, (unsigned long long)a.sr_long);
	CHECK(a.sr_min_ns < 3000000000ull && a.sr_max_ns > 7000000000ull);
	printf("opus, %d streams x 10 min: talk fraction %.3f, mean spurt %.3f s, %llu SRs %.2f..%.2f s apart\n",
	       nstreams, talk, spurt_s, (unsigned long long)a.srs, (double)a.sr_min_ns / NS, (double)a.sr_max_ns / NS);

	/* other ptimes: the same invariants, the ticks and sizes scaled */
	vp.ptime_ms = 60;
	memset(&a, 0, sizeof(a));
	voice_run(&vp, 7, 120 * NS, &a);
	CHECK(a.pkts > 0 && a.size_bad == 0 && a.seq_bad == 0 && a.ts_bad == 0 && a.marker_bad == 0 &&
	      a.keepalive_bad == 0 && a.sr_bad == 0);
}

static void test_voice_g711(void)
{
	struct vr_gen_voice_params vp = { .codec = VR_GEN_CODEC_G711 };
	struct vr_gen_voice v, w;
	struct voice_acc a = { 0 };

	/* Guards G.711: 50 packets/s exactly, 160 bytes, +160 ticks, continuous through pauses */
	voice_run(&vp, 9, 60 * NS, &a);
	CHECK_MSG(a.pkts == 3000, "g711: %llu packets in 60 s", (unsigned long long)a.pkts);
	CHECK(a.size_bad == 0 && a.seq_bad == 0 && a.ts_bad == 0 && a.marker_bad == 0 && a.keepalive_bad == 0 &&
	      a.sr_bad == 0 && a.level_bad == 0);
	CHECK(a.talk_pkts > 0 && a.talk_pkts < a.pkts);
	CHECK(vr_gen_voice_init(&v, &vp, 9, 0) == 0 && vr_gen_voice_clock(&v) == 8000 && vr_gen_voice_ticks(&v) == 160);

	/* Determinism per seed, independence across seeds, parameter refusals */
	CHECK(vr_gen_voice_init(&w, &vp, 9, 0) == 0 && memcmp(&v, &w, sizeof(v)) == 0);
	CHECK(vr_gen_voice_init(&w, &vp, 10, 0) == 0 && vr_gen_voice_ssrc(&w) != vr_gen_voice_ssrc(&v));
	vp.ptime_ms = 5;
	CHECK(vr_gen_voice_init(&w, &vp, 1, 0) == -EINVAL);
	vp.ptime_ms = 130;
	CHECK(vr_gen_voice_init(&w, &vp, 1, 0) == -EINVAL);
	vp.ptime_ms = 20;
	vp.codec = (enum vr_gen_codec)7;
	CHECK(vr_gen_voice_init(&w, &vp, 1, 0) == -EINVAL);
	CHECK(vr_gen_voice_init(&w, NULL, 1, 0) == 0 && vr_gen_voice_clock(&w) == 48000 && vr_gen_voice_ticks(&w) == 960);
}

/* ---- frame builder ---- */

/* RFC 1071 sum written apart from the builder's: a byte-pair loop over a copy. */
static uint16_t csum_ok(const uint8_t *p, size_t n, uint64_t s)
{
	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (uint64_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s == 0xffff;
}

/* IPv4 header checksum and UDP checksum (with its pseudo-header) both verify; UDP's is never 0. */
static int checksums_ok(const uint8_t *f, const struct vr_pkt_info *pi)
{
	const uint8_t *ip = f + pi->l3_off, *udp = f + pi->l4_off;
	uint32_t ulen = (uint32_t)udp[4] << 8 | udp[5];
	uint64_t ph = 17 + ulen;

	if (udp[6] == 0 && udp[7] == 0)
		return 0;
	if (pi->key.family == AF_INET) {
		if (!csum_ok(ip, 20, 0))
			return 0;
		for (int i = 12; i < 20; i += 2)
			ph += (uint64_t)ip[i] << 8 | ip[i + 1];
	} else {
		for (int i = 8; i < 40; i += 2)
			ph += (uint64_t)ip[i] << 8 | ip[i + 1];
	}
	return csum_ok(udp, ulen, ph);
}

static void conf_v4(struct vr_gen_tx_conf *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(c->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	vr_addr_set_v4(&c->src_base, htonl(0x0a500001)); /* 10.80.0.1 */
	c->src_prefix_len = 16;
	c->src_count = 1000;
	vr_addr_set_v4(&c->vip, htonl(0x0a4e6401)); /* 10.78.100.1 */
	c->room_port_base = 40000;
	c->members_per_room = 4;
	c->audio_level_id = VR_GEN_AUDIO_LEVEL_EXT_ID;
	c->seed = 77;
}

static void conf_v6(struct vr_gen_tx_conf *c)
{
	conf_v4(c);
	memset(&c->src_base, 0, sizeof(c->src_base));
	c->src_base.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:80::1", c->src_base.a.b);
	c->src_prefix_len = 64;
	memset(&c->vip, 0, sizeof(c->vip));
	c->vip.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:78::1", c->vip.a.b);
}

/*
 * Parse a built frame back as the dataplane and a receiver would. Guards:
 * vr_pkt_parse() accepts it as UDP of the right length, the checksums
 * verify, and the RTP parses (opaque when SRTP).
 */
static int parse_frame(const uint8_t *f, int len, int opaque, struct vr_pkt_info *pi, struct vr_rtp_hdr *h)
{
	enum vr_drop d;
	enum vr_rtp_err e;

	if (len < 60) {
		CHECK_MSG(0, "frame of %d bytes", len);
		return -1;
	}
	d = vr_pkt_parse(f, (uint32_t)len, pi);
	CHECK_MSG(d == VR_DROP_NONE && pi->cls == VR_PKT_UDP, "vr_pkt_parse: drop %d class %d", (int)d, (int)pi->cls);
	if (d != VR_DROP_NONE || pi->cls != VR_PKT_UDP)
		return -1;
	CHECK(pi->l3_off + pi->l3_len == len || (len == 60 && pi->l3_off + pi->l3_len < 60));
	CHECK(checksums_ok(f, pi));
	if (!h)
		return 0;
	e = vr_rtp_parse(f + pi->payload_off, pi->payload_len, opaque ? VR_RTP_OPAQUE_PAYLOAD : 0, h);
	CHECK_MSG(e == VR_RTP_OK, "vr_rtp_parse: %s", vr_rtp_err_name(e));
	return e == VR_RTP_OK ? 0 : -1;
}

static void test_build_plain(int v6)
{
	struct vr_gen_tx_conf c;
	struct vr_gen_voice v;
	struct vr_gen_voice_out o;
	uint8_t f[2048];
	uint64_t now = 0;
	int built = 0, bad_addr = 0;

	/* Guards plain RTP of the voice model: addresses, ports, header fields, level and stamp all read back. */
	v6 ? conf_v6(&c) : conf_v4(&c);
	for (uint32_t s = 0; s < 40; s++) {
		struct vr_gen_tx t;
		uint32_t sent = 0;

		CHECK(vr_gen_tx_init(&t, &c, s, NULL) == 0);
		CHECK(vr_gen_voice_init(&v, NULL, s, 0) == 0);
		for (now = 0; sent < 30 && now < 30 * NS; now = vr_gen_voice_next_due(&v)) {
			unsigned int w = vr_gen_voice_next(&v, now, &o);
			struct vr_gen_stamp st = { .stream = s, .seq = o.rtp.index, .tx_tsc = now * 3 }, got;
			struct vr_pkt_info pi;
			struct vr_rtp_hdr h;
			struct vr_rtp_audio_level al;
			struct vr_addr want;
			int len;

			if (!(w & VR_GEN_VOICE_RTP))
				continue;
			sent++;
			len = vr_gen_tx_rtp(&t, &o.rtp, &st, f, sizeof(f));
			if (parse_frame(f, len, 0, &pi, &h) != 0)
				continue;
			built++;
			/* address number s % 1000 from the base; even dynamic port; room port 40000 + s / 4 */
			want = c.src_base;
			want.a.b[15] = (uint8_t)(want.a.b[15] + s);
			bad_addr += memcmp(pi.key.src, want.a.b, 16) != 0 || memcmp(pi.key.dst, c.vip.a.b, 16) != 0 ||
				    ntohs(pi.key.dport) != 40000 + s / 4 || ntohs(pi.key.sport) < 49152 ||
				    (ntohs(pi.key.sport) & 1) || ntohs(pi.key.sport) != t.sport;
			CHECK(h.seq == o.rtp.seq && h.ts == o.rtp.ts && h.ssrc == o.rtp.ssrc && h.pt == 111 &&
			      h.marker == o.rtp.marker && h.payload_len == o.rtp.payload_len);
			CHECK(vr_rtp_audio_level(f + pi.payload_off, &h, VR_GEN_AUDIO_LEVEL_EXT_ID, &al) == VR_RTP_OK &&
			      al.present && al.level == (o.rtp.level & 0x7f) && al.voice == (o.rtp.level >> 7));
			/* plain: the stamp leads the payload, not the extension */
			CHECK(vr_gen_stamp_find(f + pi.payload_off, pi.payload_len, 0, VR_GEN_STAMP_EXT_ID, &got) == 0 &&
			      memcmp(&got, &st, sizeof(st)) == 0);
			CHECK(vr_gen_stamp_find(f + pi.payload_off, pi.payload_len, 1, VR_GEN_STAMP_EXT_ID, &got) ==
			      -ENOENT);
		}
		vr_gen_tx_fini(&t);
	}
	CHECK(built >= 40 * 30);
	CHECK_MSG(bad_addr == 0, "%d frames with wrong addresses or ports", bad_addr);
}

static void test_build_rtcp(int v6, enum vr_relay_suite suite)
{
	struct vr_gen_tx_conf c;
	struct vr_gen_tx t;
	struct vr_gen_sr_info si = { .ssrc = 0xdeadbeef, .rtp_ts = 123456, .packets = 250, .octets = 27000 };
	uint64_t ntp = vr_gen_ntp_from_unix_ns(1700000000ull * NS + NS / 2);
	uint8_t key[32], f[512];
	_Alignas(4) uint8_t r[512];
	struct vr_pkt_info pi;
	struct vr_rtcp_info ri;
	struct vr_rtcp_iter it;
	struct vr_rtcp_pkt pk;
	int len, rlen, cname = 0;
	srtp_t rx = NULL;

	/* Guards the compound SR + SDES CNAME (RFC 3550 6.1), and SRTCP that the receiver's session opens. */
	v6 ? conf_v6(&c) : conf_v4(&c);
	c.suite = suite;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	CHECK(vr_gen_tx_init(&t, &c, 5, suite ? key : NULL) == 0);
	len = vr_gen_tx_rtcp(&t, &si, ntp, f, sizeof(f));
	if (parse_frame(f, len, 0, &pi, NULL) != 0)
		goto out;
	CHECK(vr_demux_classify(f + pi.payload_off, pi.payload_len) == VR_DEMUX_RTP &&
	      vr_rtp_is_rtcp(f + pi.payload_off, pi.payload_len));
	rlen = pi.payload_len;
	memcpy(r, f + pi.payload_off, (size_t)rlen);
	if (suite) {
		rx = vr_relay_srtp_session(suite, key, true, 0);
		CHECK(rx != NULL);
		CHECK(rx && srtp_unprotect_rtcp(rx, r, &rlen) == srtp_err_status_ok);
	}
	CHECK(vr_rtcp_parse(r, (uint32_t)rlen, 0, &ri) == VR_RTP_OK);
	CHECK(ri.is_sr && ri.ssrc == si.ssrc && ri.sr.ntp == ntp && ri.sr.rtp_ts == si.rtp_ts &&
	      ri.sr.packet_count == si.packets && ri.sr.octet_count == si.octets && ri.npkts == 2);
	CHECK(ntp >> 32 == 1700000000ull + 2208988800ull && (uint32_t)ntp == 0x80000000u);
	vr_rtcp_begin(&it, r, (uint32_t)rlen);
	while (vr_rtcp_next(&it, &pk) == 1)
		if (pk.pt == VR_RTCP_SDES && r[pk.off + 8] == 1 && r[pk.off + 9] == t.cname_len &&
		    memcmp(r + pk.off + 10, t.cname, t.cname_len) == 0)
			cname = 1;
	CHECK(cname);
out:
	if (rx)
		srtp_dealloc(rx);
	vr_gen_tx_fini(&t);
}

/*
 * SRTP: the same packet built by a plain stream with the stamp in the
 * extension and by an SRTP stream. Guards: the stamp is found in the
 * protected packet's extension without looking into the payload; the
 * payload is really encrypted; the receiver's session unprotects it to
 * exactly the plain packet. Both buffer alignments (in place and through
 * the aligned copy).
 */
static void test_build_srtp(int v6, enum vr_relay_suite suite, uint32_t frame_len)
{
	struct vr_gen_tx_conf c;
	struct vr_gen_tx tp, ts;
	struct vr_gen_voice v;
	struct vr_gen_voice_out o;
	uint8_t key[32];
	_Alignas(8) uint8_t fp[2048], fs[2048 + 8];
	_Alignas(4) uint8_t r[2048];
	srtp_t rx;
	uint64_t now;
	int n = 0;

	v6 ? conf_v6(&c) : conf_v4(&c);
	c.frame_len = frame_len;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 5);
	c.suite = suite;
	CHECK(vr_gen_tx_init(&ts, &c, 3, key) == 0);
	/* the plain twin: stamp in the extension, and its frames shorter by the tag */
	c.suite = VR_RELAY_SUITE_NONE;
	c.stamp_in_ext = 1;
	c.frame_len = frame_len ? frame_len - ts.tag_len : 0;
	CHECK(vr_gen_tx_init(&tp, &c, 3, NULL) == 0);
	rx = vr_relay_srtp_session(suite, key, true, 0);
	CHECK(rx != NULL && vr_gen_voice_init(&v, NULL, 3, 0) == 0);
	if (!rx)
		return;
	for (now = 0; n < 50; now = vr_gen_voice_next_due(&v)) {
		struct vr_gen_stamp st = { .stream = 3, .seq = 0, .tx_tsc = 0x1122334455667788ull }, got;
		struct vr_pkt_info pp, ps;
		struct vr_rtp_hdr hp, hs;
		uint8_t *f = fs + (n & 1) * 2; /* odd packets: RTP misaligned */
		int lp, ls, rl;

		if (!(vr_gen_voice_next(&v, now, &o) & VR_GEN_VOICE_RTP))
			continue;
		st.seq = o.rtp.index;
		n++;
		lp = vr_gen_tx_rtp(&tp, &o.rtp, &st, fp, sizeof(fp));
		ls = vr_gen_tx_rtp(&ts, &o.rtp, &st, f, sizeof(fs) - 2);
		if (parse_frame(fp, lp, 0, &pp, &hp) != 0 || parse_frame(f, ls, 1, &ps, &hs) != 0)
			continue;
		if (frame_len)
			CHECK(ls == (int)frame_len && lp == (int)frame_len - ts.tag_len);
		else
			CHECK(ls == lp + ts.tag_len);
		CHECK(ps.payload_len == pp.payload_len + ts.tag_len);
		CHECK(vr_gen_stamp_find(f + ps.payload_off, ps.payload_len, 1, VR_GEN_STAMP_EXT_ID, &got) == 0 &&
		      memcmp(&got, &st, sizeof(st)) == 0);
		CHECK(hs.payload_off == hp.payload_off &&
		      memcmp(f + ps.payload_off + hs.payload_off, fp + pp.payload_off + hp.payload_off, hp.payload_len) != 0);
		rl = ps.payload_len;
		memcpy(r, f + ps.payload_off, (size_t)rl);
		CHECK(srtp_unprotect(rx, r, &rl) == srtp_err_status_ok);
		CHECK(rl == pp.payload_len && memcmp(r, fp + pp.payload_off, (size_t)rl) == 0);
	}
	srtp_dealloc(rx);
	vr_gen_tx_fini(&tp);
	vr_gen_tx_fini(&ts);
}

/* Guards exact frame_len (RFC 2544 sizes) in both families, with and without level and stamp room. */
static void test_build_frame_len(void)
{
	static const uint32_t sizes[] = { 60, 218, 228, 1514 };
	struct vr_gen_rtp_info ri = { .ssrc = 1, .ts = 2, .seq = 3, .pt = 0, .level = -1, .payload_len = 7 };
	struct vr_gen_stamp st = { .stream = 9, .seq = 10, .tx_tsc = 11 }, got;
	struct vr_gen_tx_conf c;
	struct vr_gen_tx t;
	uint8_t f[2048];

	for (int v6 = 0; v6 < 2; v6++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct vr_pkt_info pi;
			struct vr_rtp_hdr h;
			int len, rc;

			v6 ? conf_v6(&c) : conf_v4(&c);
			c.audio_level_id = 0;
			c.frame_len = sizes[i];
			rc = vr_gen_tx_init(&t, &c, 0, NULL);
			if (v6 && sizes[i] == 60) {
				/* 14 + 40 + 8 + 12 = 74 bytes of headers: 60 is impossible over IPv6 */
				CHECK(rc == -EINVAL);
				continue;
			}
			CHECK(rc == 0);
			len = vr_gen_tx_rtp(&t, &ri, &st, f, sizeof(f));
			CHECK_MSG(len == (int)sizes[i], "%s frame_len %u: built %d", v6 ? "IPv6" : "IPv4", sizes[i], len);
			if (parse_frame(f, len, 0, &pi, &h) != 0)
				continue;
			CHECK(h.payload_len == vr_gen_tx_fixed_payload(&t));
			/* the stamp whenever the payload holds it (not in the 6 bytes of a 60-byte IPv4 frame) */
			rc = vr_gen_stamp_find(f + pi.payload_off, pi.payload_len, 0, VR_GEN_STAMP_EXT_ID, &got);
			CHECK(sizes[i] == 60 ? rc == -ENOENT : rc == 0 && got.tx_tsc == 11);
			vr_gen_tx_fini(&t);
		}
	}
	/* G.711's 160-byte payload over IPv4 is 214 bytes without FCS (218 with it); 218 leaves 164 */
	conf_v4(&c);
	c.audio_level_id = 0;
	c.frame_len = 214;
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == 0 && vr_gen_tx_fixed_payload(&t) == 160);
	c.frame_len = 218;
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == 0 && vr_gen_tx_fixed_payload(&t) == 164);
	/* with the level element: 8 bytes less payload, the same frame */
	c.audio_level_id = 1;
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == 0 && vr_gen_tx_fixed_payload(&t) == 156);
	ri.level = 0x80 | 33;
	CHECK(vr_gen_tx_rtp(&t, &ri, &st, f, sizeof(f)) == 218);
	/* the voice model sized to it, so that its SR octet counts are the wire's */
	{
		struct vr_gen_voice_params vp = { .codec = VR_GEN_CODEC_OPUS, .fixed_payload = vr_gen_tx_fixed_payload(&t) };
		struct vr_gen_voice v;
		struct vr_gen_voice_out o;
		uint64_t now = 0;
		int k = 0;

		CHECK(vr_gen_voice_init(&v, &vp, 1, 0) == 0);
		for (; k < 20; now = vr_gen_voice_next_due(&v))
			if (vr_gen_voice_next(&v, now, &o) & VR_GEN_VOICE_RTP) {
				CHECK(o.rtp.payload_len == 156 && vr_gen_tx_rtp(&t, &o.rtp, &st, f, sizeof(f)) == 218);
				k++;
			}
		vp.fixed_payload = 1460; /* a 1514-byte IPv4 frame without extension */
		CHECK(vr_gen_voice_init(&v, &vp, 1, 0) == 0);
		vp.fixed_payload = 1461;
		CHECK(vr_gen_voice_init(&v, &vp, 1, 0) == -EINVAL);
	}
	/* no room: refused, not truncated */
	CHECK(vr_gen_tx_rtp(&t, &ri, &st, f, 217) == -ENOSPC);

	/* natural size below the Ethernet minimum: zero padding after the IP packet */
	conf_v4(&c);
	c.audio_level_id = 0;
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == 0);
	ri.payload_len = 0;
	{
		struct vr_pkt_info pi;
		int len = vr_gen_tx_rtp(&t, &ri, NULL, f, sizeof(f));

		CHECK(len == 60 && parse_frame(f, len, 0, &pi, NULL) == 0 && pi.l3_len == 40 && f[59] == 0);
	}
}

/* Guards the refusals: addresses outside the prefix, port space, ids; and --src-port's ports. */
static void test_build_refusals(void)
{
	struct vr_gen_tx_conf c;
	struct vr_gen_tx t;
	uint8_t key[30] = { 0 };
	uint32_t seen[64];

	conf_v4(&c);
	c.src_count = 65534;
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == 0); /* 10.80.0.1 .. 10.80.255.254 */
	c.src_count = 65535;                         /* would reach the broadcast address */
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == -EINVAL);
	conf_v4(&c);
	c.src_base.a.b[15] = 0; /* 10.80.0.0: the network's own address */
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == -EINVAL);
	conf_v4(&c);
	c.room_port_base = 65000;
	CHECK(vr_gen_tx_init(&t, &c, 4 * 535, NULL) == 0 && t.dport == 65535);
	CHECK(vr_gen_tx_init(&t, &c, 4 * 536, NULL) == -ERANGE);
	conf_v4(&c);
	c.src_count = 1;
	CHECK(vr_gen_tx_init(&t, &c, 8192, NULL) == -ERANGE);
	/* one address, many streams: distinct even ports */
	for (uint32_t s = 0; s < 64; s++) {
		CHECK(vr_gen_tx_init(&t, &c, s, NULL) == 0);
		seen[s] = t.sport;
		for (uint32_t k = 0; k < s; k++)
			CHECK(seen[k] != seen[s]);
	}
	/* a first client port: the n-th stream on an address takes it + 2n, up to 65535 */
	c.src_port = 65000;
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == 0 && t.sport == 65000);
	CHECK(vr_gen_tx_init(&t, &c, 267, NULL) == 0 && t.sport == 65534);
	CHECK(vr_gen_tx_init(&t, &c, 268, NULL) == -ERANGE);
	c.src_count = 3;
	CHECK(vr_gen_tx_init(&t, &c, 7, NULL) == 0 && t.sport == 65004 && t.src.a.b[15] == 2);
	conf_v4(&c);
	c.audio_level_id = VR_GEN_STAMP_EXT_ID; /* the stamp's id */
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == -EINVAL);
	conf_v4(&c);
	c.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80;
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == -EINVAL);
	CHECK(vr_gen_tx_init(&t, &c, 0, key) == 0);
	vr_gen_tx_fini(&t);
	vr_gen_tx_fini(&t);
	conf_v6(&c);
	c.vip.family = AF_INET;
	CHECK(vr_gen_tx_init(&t, &c, 0, NULL) == -EINVAL);
}

int main(void)
{
	if (vr_relay_global_init() != 0) {
		fprintf(stderr, "libsrtp init failed\n");
		return EXIT_FAILURE;
	}
	test_pace_rates();
	test_pace_ramp();
	test_pace_change();
	test_pace_long();
	test_voice_opus();
	test_voice_g711();
	for (int v6 = 0; v6 < 2; v6++) {
		test_build_plain(v6);
		test_build_rtcp(v6, VR_RELAY_SUITE_NONE);
		test_build_rtcp(v6, VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80);
		test_build_rtcp(v6, VR_RELAY_SUITE_AEAD_AES_128_GCM);
		test_build_srtp(v6, VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, 0);
		test_build_srtp(v6, VR_RELAY_SUITE_AEAD_AES_128_GCM, 0);
		test_build_srtp(v6, VR_RELAY_SUITE_AEAD_AES_128_GCM, 228);
	}
	test_build_frame_len();
	test_build_refusals();
	return check_report("gen_tx");
}
