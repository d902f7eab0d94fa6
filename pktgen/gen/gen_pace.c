/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's TX pacing: credit as the integral of the (ramped) rate over elapsed TSC cycles. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "gen_pace.h"

static int rate_ok(double pps)
{
	return isfinite(pps) && pps >= 0 && pps <= VR_GEN_PACE_MAX_PPS;
}

static void segment(struct vr_gen_pace *p, double r0, double r1, uint64_t ramp_cycles, uint64_t now_tsc)
{
	p->seg_tsc = now_tsc;
	p->seg_used = 0;
	p->r0 = r0;
	p->r1 = r1;
	p->ramp_cycles = ramp_cycles;
	p->flat = r1 == 0;
}

int vr_gen_pace_init(struct vr_gen_pace *p, uint64_t tsc_hz, uint32_t burst, double pps, uint64_t now_tsc)
{
	if (tsc_hz == 0 || burst == 0 || !rate_ok(pps))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->hz = tsc_hz;
	p->burst = burst;
	segment(p, pps, pps, 0, now_tsc);
	return 0;
}

int vr_gen_pace_set_rate(struct vr_gen_pace *p, double pps, uint64_t now_tsc)
{
	if (!rate_ok(pps))
		return -EINVAL;
	segment(p, pps, pps, 0, now_tsc);
	return 0;
}

int vr_gen_pace_ramp(struct vr_gen_pace *p, double from_pps, double to_pps, uint64_t ramp_ns, uint64_t now_tsc)
{
	double cycles;

	if (!rate_ok(from_pps) || !rate_ok(to_pps) || to_pps == 0)
		return -EINVAL;
	cycles = (double)ramp_ns * (double)p->hz / 1e9;
	if (cycles >= 1.8e19) /* beyond uint64_t: centuries */
		return -EINVAL;
	if ((uint64_t)cycles == 0)
		return vr_gen_pace_set_rate(p, to_pps, now_tsc);
	segment(p, from_pps, to_pps, (uint64_t)cycles, now_tsc);
	return 0;
}

void vr_gen_pace_set_max_backlog(struct vr_gen_pace *p, uint64_t max_packets)
{
	p->max_backlog = max_packets;
}

/* Packets the segment allows after @dt cycles: the integral of its rate. */
static double credit(const struct vr_gen_pace *p, uint64_t dt)
{
	double hz = (double)p->hz;

	if (dt < p->ramp_cycles) {
		double x = (double)dt;

		return x / hz * (p->r0 + (p->r1 - p->r0) * x / (2.0 * (double)p->ramp_cycles));
	}
	return (double)p->ramp_cycles / hz * (p->r0 + p->r1) / 2.0 + (double)(dt - p->ramp_cycles) / hz * p->r1;
}

uint32_t vr_gen_pace_poll(struct vr_gen_pace *p, uint64_t now_tsc)
{
	uint64_t dt = now_tsc > p->seg_tsc ? now_tsc - p->seg_tsc : 0;
	double c;
	uint64_t total, avail;
	uint32_t n;

	if (p->flat) {
		p->granted += p->burst;
		return p->burst;
	}
	c = floor(credit(p, dt));
	total = c >= 1.8e19 ? UINT64_MAX : (uint64_t)c;
	if (total <= p->seg_used)
		return 0;
	avail = total - p->seg_used;
	if (p->max_backlog && avail > p->max_backlog) {
		p->forgiven += avail - p->max_backlog;
		p->seg_used += avail - p->max_backlog;
		avail = p->max_backlog;
	}
	n = avail < p->burst ? (uint32_t)avail : p->burst;
	p->seg_used += n;
	p->granted += n;
	return n;
}

void vr_gen_pace_unsent(struct vr_gen_pace *p, uint32_t n)
{
	p->granted -= n < p->granted ? n : p->granted;
	p->seg_used -= n < p->seg_used ? n : p->seg_used;
}

double vr_gen_pace_rate(const struct vr_gen_pace *p, uint64_t now_tsc)
{
	uint64_t dt = now_tsc > p->seg_tsc ? now_tsc - p->seg_tsc : 0;

	if (p->flat)
		return 0;
	if (dt < p->ramp_cycles)
		return p->r0 + (p->r1 - p->r0) * (double)dt / (double)p->ramp_cycles;
	return p->r1;
}

uint64_t vr_gen_pace_granted(const struct vr_gen_pace *p)
{
	return p->granted;
}

uint64_t vr_gen_pace_forgiven(const struct vr_gen_pace *p)
{
	return p->forgiven;
}
