/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's latency histogram: log-linear buckets, percentiles, merge. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen_hist.h"

#define SUB_COUNT (1u << VR_GEN_HIST_SUB_BITS)

static uint32_t bucket_of(uint64_t v)
{
	uint32_t e;

	if (v < VR_GEN_HIST_LINEAR)
		return (uint32_t)v;
	if (v > VR_GEN_HIST_MAX_VALUE)
		v = VR_GEN_HIST_MAX_VALUE;
	e = 63u - (uint32_t)__builtin_clzll(v); /* 8..37 */
	/* the 7 bits after the leading one pick the sub-bucket */
	return VR_GEN_HIST_LINEAR + (e - VR_GEN_HIST_SUB_BITS - 1) * SUB_COUNT +
	       (uint32_t)((v >> (e - VR_GEN_HIST_SUB_BITS)) & (SUB_COUNT - 1));
}

void vr_gen_hist_bucket_range(uint32_t i, uint64_t *lo, uint64_t *hi)
{
	uint32_t e, sub;

	if (i < VR_GEN_HIST_LINEAR) {
		*lo = *hi = i;
		return;
	}
	e = (i - VR_GEN_HIST_LINEAR) / SUB_COUNT + VR_GEN_HIST_SUB_BITS + 1;
	sub = (i - VR_GEN_HIST_LINEAR) % SUB_COUNT;
	*lo = (uint64_t)(SUB_COUNT + sub) << (e - VR_GEN_HIST_SUB_BITS);
	*hi = *lo + (UINT64_C(1) << (e - VR_GEN_HIST_SUB_BITS)) - 1;
}

uint32_t vr_gen_hist_bucket(uint64_t value, uint64_t *lo, uint64_t *hi)
{
	uint32_t i = bucket_of(value);

	vr_gen_hist_bucket_range(i, lo, hi);
	return i;
}

void vr_gen_hist_reset(struct vr_gen_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

struct vr_gen_hist *vr_gen_hist_create(void)
{
	struct vr_gen_hist *h = malloc(sizeof(*h));

	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	vr_gen_hist_reset(h);
	return h;
}

void vr_gen_hist_free(struct vr_gen_hist *h)
{
	free(h);
}

void vr_gen_hist_record_n(struct vr_gen_hist *h, uint64_t value, uint64_t n)
{
	if (n == 0)
		return;
	h->bucket[bucket_of(value)] += n;
	h->count += n;
	h->sum += value * n;
	if (value >= VR_GEN_HIST_MAX_VALUE)
		h->overflow += n;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void vr_gen_hist_record(struct vr_gen_hist *h, uint64_t value)
{
	vr_gen_hist_record_n(h, value, 1);
}

int vr_gen_hist_merge(struct vr_gen_hist *dst, const struct vr_gen_hist *src)
{
	uint32_t i;

	if (!dst || !src)
		return -EINVAL;
	if (src->count == 0)
		return 0;
	for (i = 0; i < VR_GEN_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->overflow += src->overflow;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

uint64_t vr_gen_hist_count(const struct vr_gen_hist *h)
{
	return h->count;
}

uint64_t vr_gen_hist_min(const struct vr_gen_hist *h)
{
	return h->count ? h->min : 0;
}

uint64_t vr_gen_hist_max(const struct vr_gen_hist *h)
{
	return h->count ? h->max : 0;
}

uint64_t vr_gen_hist_overflow(const struct vr_gen_hist *h)
{
	return h->overflow;
}

double vr_gen_hist_mean(const struct vr_gen_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

uint64_t vr_gen_hist_percentile(const struct vr_gen_hist *h, double p)
{
	uint64_t rank, seen = 0, lo, hi, v;
	double r;
	uint32_t i;

	if (h->count == 0)
		return 0;
	if (!(p > 0.0)) /* also NaN */
		return h->min;
	if (p >= 100.0)
		return h->max;
	/* rank = ceil(p% of count), at least 1: the value that many values are <= */
	r = p / 100.0 * (double)h->count;
	rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < VR_GEN_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	if (i == VR_GEN_HIST_BUCKETS)
		return h->max;
	vr_gen_hist_bucket_range(i, &lo, &hi);
	v = lo + (hi - lo) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}
