/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gw-load's figures: latency histogram and percentiles, server and Redis RSS/CPU from /proc, snapshots, per-second lines. */
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gw_priv.h"

/* gen_hist.c's log-linear buckets, in µs: exact below 256 µs, then 128 per power of two (under 0.8 % apart). */
unsigned vr_gw_lat_bucket(uint64_t us)
{
	uint64_t lo, hi;

	return vr_gen_hist_bucket(us, &lo, &hi);
}

/* The middle of bucket @b, in µs. */
static double bucket_us(unsigned b)
{
	uint64_t lo, hi;

	vr_gen_hist_bucket_range(b, &lo, &hi);
	return ((double)lo + (double)hi + 1.0) / 2.0;
}

double vr_gw_hist_pct(const uint64_t *h, uint64_t n, double p)
{
	uint64_t want = (uint64_t)ceil(p * (double)n), acc = 0;

	if (n == 0)
		return 0;
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < VR_GW_HIST_N; b++) {
		acc += h[b];
		if (acc >= want)
			return bucket_us(b) / 1000.0;
	}
	return bucket_us(VR_GW_HIST_N - 1) / 1000.0;
}

double vr_gw_hist_max(const uint64_t *h)
{
	for (unsigned b = VR_GW_HIST_N; b-- > 0;)
		if (h[b])
			return bucket_us(b) / 1000.0;
	return 0;
}

/* /proc/PID/stat utime + stime, in seconds; -1 if unreadable. */
static double proc_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* the command name may hold spaces: fields are counted after its ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long long vr_gw_proc_rss(int pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

void vr_gw_snap_take(struct vr_gw_snap *s, int64_t t0)
{
	memset(s, 0, sizeof(*s));
	s->t = (double)(vr_gw_now_ns() - t0) / 1e9;
	s->server_cpu = proc_cpu_s(vr_gw_opt.server_pid);
	s->redis_cpu = proc_cpu_s(vr_gw_opt.redis_pid);
	s->self_cpu = self_cpu_s();
	for (uint32_t i = 0; i < vr_gw_opt.threads; i++) {
		struct vr_gw_counters *c = &vr_gw_workers[i].st;

		s->sent += VR_GW_GET(c->sent);
		s->acked += VR_GW_GET(c->acked);
		s->delivered += VR_GW_GET(c->delivered);
		s->send_errors += VR_GW_GET(c->send_errors);
		s->rate_limited += VR_GW_GET(c->rate_limited);
		s->skipped += VR_GW_GET(c->paced_skipped);
		s->ready += VR_GW_GET(c->ready);
		s->failed += VR_GW_GET(c->failed);
		s->closed += VR_GW_GET(c->closed_later);
		s->chats_ready += VR_GW_GET(c->chats_ready);
		s->pings += VR_GW_GET(c->pings);
		for (unsigned b = 0; b < VR_GW_HIST_N; b++)
			s->hist[b] += VR_GW_GET(c->hist[b]);
	}
}

void vr_gw_snap_diff_hist(const struct vr_gw_snap *a, const struct vr_gw_snap *b, uint64_t *h, uint64_t *n)
{
	*n = 0;
	for (unsigned i = 0; i < VR_GW_HIST_N; i++) {
		h[i] = b->hist[i] - a->hist[i];
		*n += h[i];
	}
}

void vr_gw_report_second(const struct vr_gw_snap *a, const struct vr_gw_snap *b, const char *ph)
{
	static uint64_t h[VR_GW_HIST_N];
	double dt = b->t - a->t;
	uint64_t n;

	vr_gw_snap_diff_hist(a, b, h, &n);
	printf("gw_load: t=%.1fs %-7s ready=%llu failed=%llu sent/s=%.0f delivered/s=%.0f p50=%.2fms p99=%.2fms",
	       b->t, ph, (unsigned long long)b->ready, (unsigned long long)b->failed, (double)(b->sent - a->sent) / dt,
	       (double)(b->delivered - a->delivered) / dt, vr_gw_hist_pct(h, n, 0.50), vr_gw_hist_pct(h, n, 0.99));
	if (vr_gw_opt.server_pid > 0)
		printf(" server_cpu=%.0f%%", 100 * (b->server_cpu - a->server_cpu) / dt);
	if (vr_gw_opt.redis_pid > 0)
		printf(" redis_cpu=%.0f%%", 100 * (b->redis_cpu - a->redis_cpu) / dt);
	printf(" client_cpu=%.0f%% pings/s=%.0f\n", 100 * (b->self_cpu - a->self_cpu) / dt,
	       (double)(b->pings - a->pings) / dt);
}
