/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 3550 Appendix A.1/A.3/A.8 receive statistics per RTP source: sequence validation, loss, jitter. */
#include <string.h>

#include "voxrelay/rtpstats.h"

#define VR_NS_PER_S 1000000000ull

/* A.1 init_seq(). */
static void vr_init_seq(struct vr_rtpstats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = VR_RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

void vr_rtpstats_init(struct vr_rtpstats *s, uint32_t clock_hz)
{
	memset(s, 0, sizeof(*s));
	s->clock_hz = clock_hz ? clock_hz : 1;
}

uint32_t vr_rtpstats_ns_to_rtp(uint64_t ns, uint32_t clock_hz)
{
	/* ns * hz overflows 64 bits after ~4 days at 48 kHz; split it. */
	uint64_t sec = ns / VR_NS_PER_S, rest = ns % VR_NS_PER_S;

	return (uint32_t)(sec * clock_hz + rest * clock_hz / VR_NS_PER_S);
}

/* A.1 update_seq(): 1 if the packet counts, 0 if not. */
static int vr_update_seq(struct vr_rtpstats *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		/* Modulo 2^16, unlike the RFC's int-promoted compare. */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				vr_init_seq(s, seq);
				s->received++;
				return 1;
			}
		} else {
			s->probation = VR_RTP_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return 0;
	} else if (udelta < VR_RTP_MAX_DROPOUT) {
		/* in order, with permissible gap */
		if (seq < s->max_seq)
			s->cycles += VR_RTP_SEQ_MOD; /* sequence number wrapped */
		s->max_seq = seq;
	} else if (udelta <= VR_RTP_SEQ_MOD - VR_RTP_MAX_MISORDER) {
		/* the sequence number made a very large jump */
		if (seq == s->bad_seq) {
			/* Two sequential packets: assume the other side restarted
			 * without telling us, so just re-sync (i.e., pretend this
			 * was the first packet). */
			vr_init_seq(s, seq);
			s->have_transit = 0;
		} else {
			s->bad_seq = (seq + 1u) & (VR_RTP_SEQ_MOD - 1);
			return 0;
		}
	} else {
		/* duplicate or reordered packet */
	}
	s->received++;
	return 1;
}

int vr_rtpstats_update(struct vr_rtpstats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_ns,
		       uint32_t bytes)
{
	uint32_t arrival, transit;

	s->packets++;
	s->bytes += bytes;
	if (!s->started) {
		/* A.1: a new source starts in probation. */
		vr_init_seq(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = VR_RTP_MIN_SEQUENTIAL;
		s->started = 1;
	}
	if (!vr_update_seq(s, seq))
		return 0;

	/* A.8, integer form: transit in RTP units; differences modulo 2^32 so
	 * the clocks' unrelated origins and wraps cancel. */
	arrival = vr_rtpstats_ns_to_rtp(arrival_ns, s->clock_hz);
	transit = arrival - rtp_ts;
	if (s->have_transit) {
		/* J += (|D| - J) / 16 with J scaled by 16 and rounded. */
		s->jitter += vr_rtpstats_transit_delta(transit, s->transit) - ((s->jitter + 8) >> 4);
	}
	s->transit = transit;
	s->have_transit = 1;
	return 1;
}

uint32_t vr_rtpstats_ext_max(const struct vr_rtpstats *s)
{
	return s->cycles + s->max_seq;
}

uint32_t vr_rtpstats_expected(const struct vr_rtpstats *s)
{
	if (!s->started || s->probation)
		return 0;
	return vr_rtpstats_ext_max(s) - s->base_seq + 1;
}

int32_t vr_rtpstats_cum_lost(const struct vr_rtpstats *s)
{
	int64_t lost = (int64_t)vr_rtpstats_expected(s) - s->received;

	/* 24-bit signed field of the report block (RFC 3550 6.4.1, A.3). */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

void vr_rtpstats_report(struct vr_rtpstats *s, struct vr_rtpstats_report *r)
{
	uint32_t expected = vr_rtpstats_expected(s);
	uint32_t expected_interval = expected - s->expected_prior;
	uint32_t received_interval = s->received - s->received_prior;
	int64_t lost_interval = (int64_t)expected_interval - received_interval;

	r->ext_max = vr_rtpstats_ext_max(s);
	r->expected = expected;
	r->cum_lost = vr_rtpstats_cum_lost(s);
	r->jitter = vr_rtpstats_jitter(s);
	if (expected_interval == 0 || lost_interval <= 0)
		r->fraction_lost = 0;
	else if (lost_interval >= expected_interval)
		r->fraction_lost = 255; /* 256/256 does not fit the 8-bit field */
	else
		r->fraction_lost = (uint8_t)((lost_interval << 8) / expected_interval);
	s->expected_prior = expected;
	s->received_prior = s->received;
}

uint32_t vr_rtpstats_jitter(const struct vr_rtpstats *s)
{
	return s->jitter >> 4;
}

double vr_rtpstats_jitter_ms(const struct vr_rtpstats *s)
{
	return (double)s->jitter * 1000.0 / (16.0 * (double)s->clock_hz);
}
