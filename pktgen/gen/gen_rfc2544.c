/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's RFC 2544 throughput search (binary search over trial outcomes) and line-rate arithmetic. */
#include <errno.h>
#include <string.h>

#include "gen_rfc2544.h"

#define DEFAULT_MAX_TRIALS 32

double vr_gen_line_rate_pps(uint64_t link_bps, uint32_t frame_len)
{
	if (frame_len == 0)
		return 0.0;
	return (double)link_bps / (8.0 * (double)(frame_len + VR_GEN_WIRE_OVERHEAD));
}

double vr_gen_line_rate_pct(double pps, uint64_t link_bps, uint32_t frame_len)
{
	double line = vr_gen_line_rate_pps(link_bps, frame_len);

	return line > 0.0 ? 100.0 * pps / line : 0.0;
}

int vr_gen_rfc2544_init(struct vr_gen_rfc2544 *s, const struct vr_gen_rfc2544_cfg *cfg)
{
	double res;

	if (!s || !cfg || !(cfg->max_pps > 0.0) || !(cfg->min_pps >= 0.0) || !(cfg->min_pps < cfg->max_pps) ||
	    !(cfg->tolerance >= 0.0) || !(cfg->tolerance < 1.0))
		return -EINVAL;
	res = cfg->resolution_pps > 0.0 ? cfg->resolution_pps : cfg->resolution_frac * cfg->max_pps;
	if (!(res > 0.0))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->lo = cfg->min_pps;
	s->hi = cfg->max_pps;
	s->rate = cfg->max_pps;
	s->min_pps = cfg->min_pps;
	s->tolerance = cfg->tolerance;
	s->resolution = res;
	s->max_trials = cfg->max_trials ? cfg->max_trials : DEFAULT_MAX_TRIALS;
	return 0;
}

double vr_gen_rfc2544_rate(const struct vr_gen_rfc2544 *s)
{
	return s->done ? 0.0 : s->rate;
}

static int finish(struct vr_gen_rfc2544 *s)
{
	s->done = 1;
	s->rate = 0.0;
	return 0;
}

static int pass(const struct vr_gen_rfc2544 *s, uint64_t sent, uint64_t received)
{
	uint64_t lost = received >= sent ? 0 : sent - received;

	/* integers for zero loss: no rounding may let one lost packet pass */
	if (s->tolerance == 0.0)
		return lost == 0;
	return (double)lost <= s->tolerance * (double)sent;
}

int vr_gen_rfc2544_result(struct vr_gen_rfc2544 *s, uint64_t sent, uint64_t received)
{
	int ok;

	if (s->done)
		return -EALREADY;
	if (sent == 0)
		return -EINVAL;
	ok = pass(s, sent, received);
	s->last_pass = (uint8_t)ok;
	s->trials++;
	if (ok) {
		if (s->rate > s->best)
			s->best = s->rate;
		s->lo = s->rate;
		/* the first trial at the maximum passing ends it: nothing above to find */
		if (s->rate >= s->hi)
			return finish(s);
	} else {
		s->hi = s->rate;
	}
	if (s->rate == s->min_pps && s->min_pps > 0.0)
		s->min_tried = 1;
	if (s->trials >= s->max_trials)
		return finish(s);
	if (s->hi - s->lo > s->resolution) {
		s->rate = s->lo + (s->hi - s->lo) / 2.0;
		return 1;
	}
	/* converged; if nothing passed, the lower bound was only assumed: try it */
	if (s->best == 0.0 && s->min_pps > 0.0 && !s->min_tried) {
		s->rate = s->min_pps;
		return 1;
	}
	return finish(s);
}

int vr_gen_rfc2544_last_pass(const struct vr_gen_rfc2544 *s)
{
	return s->last_pass;
}

double vr_gen_rfc2544_best(const struct vr_gen_rfc2544 *s)
{
	return s->best;
}

uint32_t vr_gen_rfc2544_trials(const struct vr_gen_rfc2544 *s)
{
	return s->trials;
}
