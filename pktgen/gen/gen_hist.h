/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's latency histogram: log-linear buckets of fixed size with count, min, max, mean and percentiles. */
#ifndef VOXRELAY_GEN_HIST_H
#define VOXRELAY_GEN_HIST_H

#include <stdint.h>

/*
 * Buckets, HdrHistogram-like: values 0..255 have a bucket each (exact);
 * above, every power of two [2^e, 2^(e+1)) is cut into 128 equal buckets,
 * so a bucket is at most 1/128 of its lower bound wide and a percentile,
 * reported as the middle of its bucket, is within 1/256 (0.4 %) of a
 * recorded value. The unit is the caller's (voxrelay-gen records ns).
 * Values from VR_GEN_HIST_MAX_VALUE up (2^38 - 1: 275 s in ns, 92 s in
 * cycles of a 3 GHz TSC) land in the top bucket and are counted in
 * @overflow; max keeps their true value. 4096 buckets: 32 KiB, fixed.
 */
#define VR_GEN_HIST_SUB_BITS 7
#define VR_GEN_HIST_LINEAR (1u << (VR_GEN_HIST_SUB_BITS + 1)) /* 256 exact buckets */
#define VR_GEN_HIST_TOP_EXP 38
#define VR_GEN_HIST_BUCKETS \
	(VR_GEN_HIST_LINEAR + (VR_GEN_HIST_TOP_EXP - VR_GEN_HIST_SUB_BITS - 1) * (1u << VR_GEN_HIST_SUB_BITS))
#define VR_GEN_HIST_MAX_VALUE ((UINT64_C(1) << VR_GEN_HIST_TOP_EXP) - 1)

/**
 * A histogram. A complete type so it can be embedded or put on a stack
 * (32 KiB); fields are read through the functions below. Not thread-safe:
 * one writer (per-lcore histograms are merged at report time with
 * vr_gen_hist_merge()).
 */
struct vr_gen_hist {
	uint64_t count;    /* values recorded */
	uint64_t min, max; /* exact; min is UINT64_MAX while empty */
	uint64_t sum;      /* for the mean; wraps past 2^64 in total */
	uint64_t overflow; /* values at or above VR_GEN_HIST_MAX_VALUE */
	uint64_t bucket[VR_GEN_HIST_BUCKETS];
};

/**
 * Allocate an empty histogram.
 * @return the histogram, or NULL with errno ENOMEM. Free with vr_gen_hist_free().
 */
struct vr_gen_hist *vr_gen_hist_create(void);

/** Free a histogram from vr_gen_hist_create(); NULL is accepted. */
void vr_gen_hist_free(struct vr_gen_hist *h);

/** Empty @h (also initialises one that is embedded or on the stack). */
void vr_gen_hist_reset(struct vr_gen_hist *h);

/**
 * Record @n occurrences of @value (caller's unit: ns or TSC cycles).
 * O(1), no allocation. Not thread-safe (one writer).
 */
void vr_gen_hist_record_n(struct vr_gen_hist *h, uint64_t value, uint64_t n);

/** Record one @value: vr_gen_hist_record_n(h, value, 1). */
void vr_gen_hist_record(struct vr_gen_hist *h, uint64_t value);

/**
 * Add @src's values to @dst (count, sum, min, max, overflow, buckets), as if
 * each had been recorded into @dst. @src is unchanged.
 * @return 0, or -EINVAL if either is NULL.
 */
int vr_gen_hist_merge(struct vr_gen_hist *dst, const struct vr_gen_hist *src);

/** Values recorded. */
uint64_t vr_gen_hist_count(const struct vr_gen_hist *h);

/** Smallest value recorded (exact); 0 when empty. */
uint64_t vr_gen_hist_min(const struct vr_gen_hist *h);

/** Largest value recorded (exact, even above VR_GEN_HIST_MAX_VALUE); 0 when empty. */
uint64_t vr_gen_hist_max(const struct vr_gen_hist *h);

/** Values recorded at or above VR_GEN_HIST_MAX_VALUE (their percentiles are clamped to the top bucket). */
uint64_t vr_gen_hist_overflow(const struct vr_gen_hist *h);

/** Mean of the values recorded (exact while the sum fits 64 bits); 0 when empty. */
double vr_gen_hist_mean(const struct vr_gen_hist *h);

/**
 * The @p-th percentile: the smallest bucket holding at least
 * ceil(@p / 100 * count) values, reported as its middle, clamped to
 * [min, max] (so p = 0 gives min and p = 100 gives max exactly).
 *
 * @param p  0..100 (out-of-range values are clamped)
 * @return the value in the histogram's unit, within 0.4 % relative of a
 *         recorded one (exact below 256); 0 when empty. O(buckets).
 */
uint64_t vr_gen_hist_percentile(const struct vr_gen_hist *h, double p);

/**
 * Bucket of @value and the range of values it holds, [lo, hi]: how the
 * resolution above is met (tests and documentation use it).
 * @return the bucket index, 0..VR_GEN_HIST_BUCKETS - 1.
 */
uint32_t vr_gen_hist_bucket(uint64_t value, uint64_t *lo, uint64_t *hi);

/**
 * The range of values bucket @i holds, [@lo, @hi] (@i below
 * VR_GEN_HIST_BUCKETS): for a caller keeping its own bucket counts in
 * this layout (voxrelay-gw-load's per-thread atomic counters).
 */
void vr_gen_hist_bucket_range(uint32_t i, uint64_t *lo, uint64_t *hi);

#endif
