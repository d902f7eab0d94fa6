/* SPDX-License-Identifier: BSD-3-Clause */
/* Part of test_gen_rx: latency histogram, RFC 2544 search and line rate, the live line, final, JSON and table reports. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gen_flow.h"
#include "gen_hist.h"
#include "gen_report.h"
#include "gen_rfc2544.h"
#include "gen_rx.h"
#include "test_gen_rx.h"

/* ---- histogram ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* |got - want| <= want / 256: the stated resolution */
static int close_enough(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;

	return d * 256 <= want;
}

static uint64_t exact_pct(const uint64_t *sorted, size_t n, double p)
{
	double r = p / 100.0 * (double)n;
	size_t rank = (size_t)r;

	if ((double)rank < r)
		rank++;
	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

static void test_hist_buckets(void)
{
	uint64_t lo, hi, plo = 0, phi = 0;
	uint32_t i, b;

	/* contiguous, each at most 1/128 of its lower bound wide above 255 */
	for (i = 0; i < VR_GEN_HIST_BUCKETS; i++) {
		uint64_t v = i < 256 ? i : 0;

		if (i >= 256) {
			/* the bucket after the previous one's upper bound */
			v = phi + 1;
		}
		b = vr_gen_hist_bucket(v, &lo, &hi);
		CHECK(b == i && lo == v);
		if (i > 0)
			CHECK(lo == phi + 1);
		if (i >= 256)
			CHECK((hi - lo + 1) * 128 <= lo);
		else
			CHECK(lo == hi);
		CHECK(vr_gen_hist_bucket(hi, &lo, &hi) == i);
		plo = lo;
		phi = hi;
	}
	CHECK(phi == VR_GEN_HIST_MAX_VALUE && plo > 0);
	CHECK(vr_gen_hist_bucket(UINT64_MAX, &lo, &hi) == VR_GEN_HIST_BUCKETS - 1);
}

void test_hist(void)
{
	enum { N = 100000 };
	static const double ps[] = {0, 1, 10, 50, 90, 99, 99.9, 99.99, 100};
	struct vr_gen_hist *h = vr_gen_hist_create(), *a = vr_gen_hist_create(), *b = vr_gen_hist_create();
	uint64_t *v = malloc(N * sizeof(*v)), x = 0x9E3779B97F4A7C15ULL, sum = 0;
	unsigned int i, k;

	CHECK(h && a && b && v);
	if (!h || !a || !b || !v)
		goto out;
	test_hist_buckets();

	/* empty */
	CHECK(vr_gen_hist_count(h) == 0 && vr_gen_hist_percentile(h, 50) == 0 && vr_gen_hist_max(h) == 0);
	CHECK(vr_gen_hist_min(h) == 0 && vr_gen_hist_mean(h) == 0.0);

	/* 1..1000 once each */
	for (i = 1; i <= 1000; i++)
		vr_gen_hist_record(h, i);
	CHECK(vr_gen_hist_percentile(h, 0) == 1 && vr_gen_hist_percentile(h, 100) == 1000);
	CHECK(close_enough(vr_gen_hist_percentile(h, 50), 500));
	CHECK(close_enough(vr_gen_hist_percentile(h, 99), 990));
	CHECK(close_enough(vr_gen_hist_percentile(h, 99.9), 999));
	CHECK(vr_gen_hist_percentile(h, 10) == 100); /* exact below 256 */
	CHECK(fabs(vr_gen_hist_mean(h) - 500.5) < 1e-9);

	/* log-uniform over 1 ns .. 10 s, against the sorted values */
	vr_gen_hist_reset(h);
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = (uint64_t)exp((double)(x >> 11) / 9007199254740992.0 * log(1e10));
		sum += v[i];
		vr_gen_hist_record(h, v[i]);
		vr_gen_hist_record(i & 1 ? a : b, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	for (k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t got = vr_gen_hist_percentile(h, ps[k]), want = exact_pct(v, N, ps[k]);

		if (!close_enough(got, want)) {
			fprintf(stderr, "p%g: %llu, want %llu\n", ps[k], (unsigned long long)got, (unsigned long long)want);
			CHECK(close_enough(got, want));
		}
	}
	CHECK(vr_gen_hist_min(h) == v[0] && vr_gen_hist_max(h) == v[N - 1] && vr_gen_hist_count(h) == N);
	CHECK(fabs(vr_gen_hist_mean(h) - (double)sum / N) < 1e-6 * ((double)sum / N));

	/* merging the two halves gives the whole */
	CHECK(vr_gen_hist_merge(a, b) == 0);
	CHECK(memcmp(a, h, sizeof(*a)) == 0);
	CHECK(vr_gen_hist_merge(NULL, b) == -EINVAL);
	vr_gen_hist_reset(b);
	CHECK(vr_gen_hist_merge(a, b) == 0 && memcmp(a, h, sizeof(*a)) == 0);
	CHECK(vr_gen_hist_merge(b, h) == 0 && memcmp(b, h, sizeof(*b)) == 0);

	/* beyond the range: top bucket, exact max */
	vr_gen_hist_reset(h);
	vr_gen_hist_record_n(h, 1000, 99);
	vr_gen_hist_record(h, UINT64_C(1) << 40);
	vr_gen_hist_record_n(h, 5, 0);
	CHECK(vr_gen_hist_overflow(h) == 1 && vr_gen_hist_count(h) == 100);
	CHECK(vr_gen_hist_percentile(h, 100) == UINT64_C(1) << 40 && close_enough(vr_gen_hist_percentile(h, 99), 1000));
	CHECK(vr_gen_hist_percentile(h, -5) == 1000 && vr_gen_hist_percentile(h, NAN) == 1000);
out:
	free(v);
	vr_gen_hist_free(h);
	vr_gen_hist_free(a);
	vr_gen_hist_free(b);
	vr_gen_hist_free(NULL);
}

/* ---- RFC 2544 ---- */

/* A device under test: the loss ratio it shows at a rate. */
struct dut {
	double cap;    /* forwards everything up to this, packets/s */
	double floor;  /* loss ratio below the capacity too */
};

static uint64_t dut_trial(const struct dut *d, double rate, uint64_t *sent)
{
	double loss = d->floor + (rate > d->cap ? (rate - d->cap) / rate : 0.0);

	*sent = (uint64_t)rate; /* a one-second trial */
	return *sent - (uint64_t)ceil(loss * (double)*sent);
}

static double search(const struct dut *d, const struct vr_gen_rfc2544_cfg *cfg, uint32_t *trials)
{
	struct vr_gen_rfc2544 s;
	uint64_t sent, rcvd;
	int r;

	CHECK(vr_gen_rfc2544_init(&s, cfg) == 0);
	do {
		double rate = vr_gen_rfc2544_rate(&s);

		CHECK(rate > 0.0 && rate <= cfg->max_pps);
		rcvd = dut_trial(d, rate, &sent);
		r = vr_gen_rfc2544_result(&s, sent, rcvd);
		/* the pass rule of RFC 2544 26.1 with a tolerance: lost <= tolerance * sent */
		CHECK(vr_gen_rfc2544_last_pass(&s) == (cfg->tolerance == 0.0 ? rcvd == sent
								: (double)(sent - rcvd) <= cfg->tolerance * (double)sent));
	} while (r == 1 && vr_gen_rfc2544_trials(&s) < 100);
	CHECK(r == 0 && vr_gen_rfc2544_rate(&s) == 0.0);
	CHECK(vr_gen_rfc2544_result(&s, 1, 1) == -EALREADY);
	*trials = vr_gen_rfc2544_trials(&s);
	return vr_gen_rfc2544_best(&s);
}

void test_rfc2544(void)
{
	const double line218 = vr_gen_line_rate_pps(10000000000ULL, 218);
	struct vr_gen_rfc2544_cfg cfg = {.max_pps = line218, .resolution_frac = 0.005};
	struct dut d = {.cap = 3.21e6};
	struct vr_gen_rfc2544 s;
	uint32_t trials;
	double best, res = 0.005 * line218;

	/* line rate: frame + 8 preamble + 12 IFG on the wire (FCS in the frame) */
	CHECK(fabs(line218 - 5252100.84) < 1.0);
	CHECK(fabs(vr_gen_line_rate_pps(100000000000ULL, 218) - 52521008.4) < 10.0);
	CHECK(fabs(vr_gen_line_rate_pps(10000000000ULL, 64) - 14880952.38) < 1.0);
	CHECK(fabs(vr_gen_line_rate_pps(10000000000ULL, 1518) - 812743.82) < 1.0);
	CHECK(fabs(vr_gen_line_rate_pps(1000000000ULL, 64) - 1488095.24) < 1.0);
	CHECK(vr_gen_line_rate_pps(10000000000ULL, 0) == 0.0);
	CHECK(fabs(vr_gen_line_rate_pct(5.2521e6, 10000000000ULL, 218) - 100.0) < 0.01);
	CHECK(fabs(vr_gen_line_rate_pct(3.21e6, 10000000000ULL, 218) - 61.118) < 0.01);

	/* zero loss up to 3.21 Mpps: found within the resolution, below it, in few trials */
	best = search(&d, &cfg, &trials);
	CHECK(best <= d.cap && best > d.cap - res && trials <= 20);
	/* absolute resolution */
	cfg.resolution_pps = 1000;
	best = search(&d, &cfg, &trials);
	CHECK(best <= d.cap && best > d.cap - 1000 && trials <= 20);
	/* a device faster than the link: one trial at line rate */
	d.cap = 1e9;
	best = search(&d, &cfg, &trials);
	CHECK(best == line218 && trials == 1);

	/* a loss curve: 1e-6 lost always, the excess above 2 Mpps on top */
	d = (struct dut){.cap = 2e6, .floor = 1e-6};
	cfg = (struct vr_gen_rfc2544_cfg){.max_pps = line218, .resolution_pps = 1000, .tolerance = 1e-5};
	best = search(&d, &cfg, &trials);
	/* passes while 1e-6 + (r - 2e6) / r <= 1e-5, i.e. r <= 2e6 / (1 - 9e-6) */
	CHECK(best <= 2e6 / (1 - 9e-6) && best > 2e6 / (1 - 9e-6) - 1000 && trials <= 20);
	/* strict zero loss: never passes */
	cfg.tolerance = 0;
	best = search(&d, &cfg, &trials);
	CHECK(best == 0.0 && trials <= 20);
	/* nothing passes above a lower bound: the bound itself is tried last */
	d = (struct dut){.cap = 1e5};
	cfg = (struct vr_gen_rfc2544_cfg){.max_pps = line218, .min_pps = 5e5, .resolution_frac = 0.005};
	best = search(&d, &cfg, &trials);
	CHECK(best == 0.0 && trials <= 20);
	d.cap = 5.01e5;
	best = search(&d, &cfg, &trials);
	CHECK(best >= 5e5 && best <= 5.01e5 && trials <= 20);

	/* refusals */
	cfg = (struct vr_gen_rfc2544_cfg){.max_pps = 1e6, .resolution_frac = 0.005};
	CHECK(vr_gen_rfc2544_init(&s, &cfg) == 0 && vr_gen_rfc2544_result(&s, 0, 0) == -EINVAL);
	cfg.resolution_frac = 0;
	CHECK(vr_gen_rfc2544_init(&s, &cfg) == -EINVAL);
	cfg.resolution_frac = 0.01;
	cfg.tolerance = 1.0;
	CHECK(vr_gen_rfc2544_init(&s, &cfg) == -EINVAL);
	cfg.tolerance = 0;
	cfg.min_pps = 1e6;
	CHECK(vr_gen_rfc2544_init(&s, &cfg) == -EINVAL);
	cfg.min_pps = 0;
	cfg.max_pps = NAN;
	CHECK(vr_gen_rfc2544_init(&s, &cfg) == -EINVAL);
	/* the trial cap ends a search however fine the resolution */
	cfg = (struct vr_gen_rfc2544_cfg){.max_pps = 1e6, .resolution_pps = 1e-9, .max_trials = 5};
	CHECK(vr_gen_rfc2544_init(&s, &cfg) == 0);
	for (trials = 0; trials < 10 && vr_gen_rfc2544_result(&s, 10, 5) == 1; trials++)
		;
	CHECK(vr_gen_rfc2544_trials(&s) == 5);
}

/* ---- reports ---- */

static char *capture(int (*fn)(FILE *, const void *), const void *arg, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (!fp)
		return NULL;
	*ret = fn(fp, arg);
	fclose(fp);
	return buf;
}

static int final_text(FILE *fp, const void *r)
{
	return vr_gen_report_final(fp, r);
}

static int final_json(FILE *fp, const void *r)
{
	return vr_gen_report_json(fp, r);
}

static const struct vr_gen_rfc2544_row rows[] = {
	{.frame_len = 64, .pps = 14880952.38, .lat_p50_ns = 8000, .lat_p99_ns = 12500, .trials = 1},
	{.frame_len = 218, .pps = 3.2e6, .lat_p50_ns = 20500, .lat_p99_ns = -1, .trials = 9},
};

static int table_text(FILE *fp, const void *arg)
{
	(void)arg;
	return vr_gen_report_rfc2544(fp, 10000000000ULL, rows, 2);
}

static int table_json(FILE *fp, const void *arg)
{
	(void)arg;
	return vr_gen_report_rfc2544_json(fp, 10000000000ULL, rows, 2);
}

void test_report(void)
{
	struct vr_gen_flows *f = vr_gen_flows_create(3, VR_GEN_FLOWS_HIST, 8000, 1000000000ULL);
	uint64_t kinds[VR_GEN_RX_KIND_MAX] = {[VR_GEN_RX_RTP] = 290, [VR_GEN_RX_RTCP] = 4};
	uint64_t errs[VR_GEN_RX_ERR_MAX] = {[VR_GEN_RX_ERR_TUNNEL] = 3};
	struct vr_gen_flows_summary sum;
	struct vr_gen_flows_interval iv;
	struct vr_gen_report r;
	struct vr_gen_hist *lat = vr_gen_hist_create();
	json_error_t jerr;
	json_t *j;
	char line[256], *out;
	uint32_t s;
	int ret = -1;

	CHECK(f && lat);
	if (!f || !lat)
		goto done;
	for (s = 0; s < 100; s++) {
		vr_gen_flow_rx(f, 0, s, 0, s * 160, 20000 + (s % 10) * 1000);
		if (s != 7 && s != 8)
			vr_gen_flow_rx(f, 2, s, 0, s * 160, 50000);
	}
	CHECK(vr_gen_flows_interval(f, &iv, lat) == 0);

	/* the live line */
	CHECK(vr_gen_report_live(line, sizeof(line), 12.0, 1.0, 1000000, &iv, lat) > 0);
	CHECK(strstr(line, "12.0s tx 1.000000 Mpps rx 0.000198 Mpps loss 1.0000% lat p50 ") != NULL);
	CHECK(strstr(line, " us jitter ") != NULL && strstr(line, " ms") != NULL);
	s = (uint32_t)vr_gen_report_live(line, 10, 12.0, 1.0, 1000000, &iv, NULL);
	CHECK(s > 10 && strlen(line) == 9);
	CHECK(vr_gen_report_live(line, sizeof(line), 1.0, 1.0, 0, &iv, NULL) > 0 && strstr(line, "p50 - p99 -"));
	CHECK(vr_gen_report_live(line, sizeof(line), 1.0, 1.0, 0, NULL, NULL) == -EINVAL);

	CHECK(vr_gen_flows_summary(f, &sum) == 0);
	r = (struct vr_gen_report){.duration_s = 2.0, .sent = 200, .sum = &sum, .lat = vr_gen_flows_hist(f),
				   .worst_lat = vr_gen_flow_hist(f, sum.worst_latency_flow), .kinds = kinds,
				   .errs = errs};
	out = capture(final_text, &r, &ret);
	CHECK(out && ret == 0);
	if (out) {
		CHECK(strstr(out, "all flows") && strstr(out, "expected 200 received 198 lost 2 (1.0000%)"));
		CHECK(strstr(out, "worst loss     flow 2") && strstr(out, "worst latency  flow 2"));
		CHECK(strstr(out, "latency us   min 20.0 p50 ") && strstr(out, "rx frames      rtp 290 rtcp 4"));
		CHECK(strstr(out, "rx malformed   tunnel_malformed 3"));
		free(out);
	}

	out = capture(final_json, &r, &ret);
	CHECK(out && ret == 0);
	j = out ? json_loads(out, 0, &jerr) : NULL;
	CHECK(j != NULL);
	if (j) {
		json_t *t = json_object_get(j, "total"), *w = json_object_get(j, "worst_loss");

		CHECK(json_integer_value(json_object_get(t, "lost")) == 2);
		CHECK(json_integer_value(json_object_get(t, "expected")) == 200);
		CHECK(fabs(json_number_value(json_object_get(t, "loss_pct")) - 1.0) < 1e-9);
		CHECK(json_integer_value(json_object_get(w, "flow")) == 2);
		CHECK(json_is_null(json_object_get(json_object_get(w, "latency_us"), "p99")));
		CHECK(json_number_value(json_object_get(json_object_get(t, "latency_us"), "max")) == 50.0);
		CHECK(json_integer_value(json_object_get(json_object_get(j, "rx_errors"), "tunnel_malformed")) == 3);
		CHECK(json_is_null(json_object_get(json_object_get(j, "total"), "flow")));
		json_decref(j);
	}
	free(out);
	CHECK(vr_gen_report_final(NULL, &r) == -EINVAL && vr_gen_report_json(stdout, NULL) == -EINVAL);

	out = capture(table_text, NULL, &ret);
	CHECK(out && ret == 0);
	if (out) {
		CHECK(strstr(out, "| Frame size | Throughput | Line rate  |"));
		CHECK(strstr(out, "|         64 |     14.881 |     100.00 |        8.0 |       12.5 |      1 |"));
		CHECK(strstr(out, "|        218 |      3.200 |      60.93 |       20.5 |          - |      9 |"));
		free(out);
	}
	out = capture(table_json, NULL, &ret);
	j = out ? json_loads(out, 0, &jerr) : NULL;
	CHECK(j && json_array_size(json_object_get(j, "rows")) == 2);
	if (j) {
		json_t *row = json_array_get(json_object_get(j, "rows"), 1);

		CHECK(json_integer_value(json_object_get(row, "frame_len")) == 218);
		CHECK(fabs(json_number_value(json_object_get(row, "line_pct")) - 60.928) < 0.01);
		CHECK(json_is_null(json_object_get(row, "p99_us")));
		json_decref(j);
	}
	free(out);
done:
	vr_gen_hist_free(lat);
	vr_gen_flows_free(f);
}
