/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gw-load's run: each worker's epoll loop, and the main thread stepping the phases of --connect and --fanout and printing their results. */
#include <stdio.h>
#include <sys/epoll.h>

#include "gw_priv.h"

#define OPEN_PER_TURN 64               /* connections started per loop turn: keeps replies flowing */
#define SETUP_PER_WORKER 64            /* chats being created at once per worker */

static void *worker_main(void *arg)
{
	struct vr_gw_worker *w = arg;
	struct epoll_event evs[512];

	for (;;) {
		int ph = vr_gw_phase_now();
		int64_t now;
		int n;

		if (ph == VR_GW_PH_STOP)
			break;
		n = epoll_wait(w->ep, evs, 512,
			       vr_gw_opt.rate > 0 && (ph == VR_GW_PH_WARMUP || ph == VR_GW_PH_RUN) ? 1 : 20);
		for (int i = 0; i < n; i++) {
			struct vr_gw_conn *c = evs[i].data.ptr;

			if (c->state == VR_GW_CS_CLOSED)
				continue;
			if (c->state == VR_GW_CS_CONNECTING) {
				vr_gw_on_connected(w, c);
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				vr_gw_on_readable(w, c);
			if (c->state != VR_GW_CS_CLOSED && (evs[i].events & EPOLLOUT) && c->wlen)
				vr_gw_flush_out(w, c);
		}
		now = vr_gw_now_ns();
		if (ph != w->seen_phase) {
			w->seen_phase = ph;
			vr_gw_phase_changed(w, ph, now);
		}
		for (int k = 0; k < OPEN_PER_TURN && w->next_open < w->nconns &&
				w->opening < vr_gw_opt.concurrency / vr_gw_opt.threads + 1;
		     k++)
			vr_gw_conn_open(w, &w->conns[w->next_open++]);
		vr_gw_heartbeats(w, now);
		if (ph == VR_GW_PH_SETUP)
			while (w->setup_next < w->nchats && w->setup_busy < SETUP_PER_WORKER)
				vr_gw_start_chat(w, &w->chats[w->setup_next++]);
		if (vr_gw_opt.rate > 0 && (ph == VR_GW_PH_WARMUP || ph == VR_GW_PH_RUN))
			vr_gw_pace(w, now);
	}
	return NULL;
}

static void set_phase(int ph)
{
	__atomic_store_n(&vr_gw_phase, ph, __ATOMIC_RELEASE);
}

static void start_workers(void)
{
	for (uint32_t t = 0; t < vr_gw_opt.threads; t++)
		pthread_create(&vr_gw_workers[t].tid, NULL, worker_main, &vr_gw_workers[t]);
}

static void stop_workers(void)
{
	set_phase(VR_GW_PH_STOP);
	for (uint32_t t = 0; t < vr_gw_opt.threads; t++)
		pthread_join(vr_gw_workers[t].tid, NULL);
}

static bool stopped(void)
{
	return vr_gw_stop_requested || __atomic_load_n(&vr_gw_fatal, __ATOMIC_RELAXED);
}

/* Sleep @secs in one-second steps with a report each; false if stopped early. */
static bool run_for(double secs, int64_t t0, const char *ph, struct vr_gw_snap *last)
{
	static struct vr_gw_snap cur;
	int64_t end = vr_gw_now_ns() + (int64_t)(secs * 1e9);

	while (secs <= 0 || vr_gw_now_ns() < end) {
		int64_t left = end - vr_gw_now_ns();
		struct timespec ts = {0, 0};

		if (stopped())
			return false;
		if (secs <= 0 || left >= 1000000000)
			ts.tv_sec = 1;
		else
			ts.tv_nsec = left;
		nanosleep(&ts, NULL);
		vr_gw_snap_take(&cur, t0);
		vr_gw_report_second(last, &cur, ph);
		*last = cur;
	}
	return true;
}

/* Wait until @done(last) or the timeout; a report per second. */
static bool wait_until(bool (*done)(const struct vr_gw_snap *), double timeout_s, int64_t t0, const char *ph,
		       struct vr_gw_snap *last)
{
	static struct vr_gw_snap cur;
	int64_t start = vr_gw_now_ns(), next = start + 1000000000;

	for (;;) {
		struct timespec ts = {0, 20000000};

		vr_gw_snap_take(&cur, t0);
		if (done(&cur)) {
			*last = cur;
			return true;
		}
		if (stopped() || (double)(vr_gw_now_ns() - start) / 1e9 > timeout_s)
			return false;
		nanosleep(&ts, NULL);
		if (vr_gw_now_ns() >= next) {
			vr_gw_snap_take(&cur, t0);
			vr_gw_report_second(last, &cur, ph);
			*last = cur;
			next += 1000000000;
		}
	}
}

static bool all_settled(const struct vr_gw_snap *s)
{
	return s->ready + s->failed >= vr_gw_nconns_total;
}

static bool all_chats(const struct vr_gw_snap *s)
{
	return s->chats_ready >= vr_gw_opt.chats;
}

static bool drained(const struct vr_gw_snap *s)
{
	return s->acked + s->send_errors >= s->sent && s->delivered >= s->acked * vr_gw_opt.members;
}

int vr_gw_run_connect(int64_t t0)
{
	struct vr_gw_snap last, s_ready, s_end;
	long long rss0 = vr_gw_proc_rss(vr_gw_opt.server_pid), rss_ready, rss_end;
	double t_ready, per;
	bool ok;

	vr_gw_snap_take(&last, t0);
	start_workers();
	ok = wait_until(all_settled, vr_gw_opt.connect_timeout_s, t0, "connect", &last);
	vr_gw_snap_take(&s_ready, t0);
	t_ready = s_ready.t;
	rss_ready = vr_gw_proc_rss(vr_gw_opt.server_pid);
	if (!ok)
		fprintf(stderr, "gw_load: gave up waiting: %llu of %u ready, %llu failed after %.1f s\n",
			(unsigned long long)s_ready.ready, vr_gw_nconns_total, (unsigned long long)s_ready.failed, t_ready);
	printf("gw_load: all %u connections settled after %.1f s: %llu ready, %llu failed", vr_gw_nconns_total, t_ready,
	       (unsigned long long)s_ready.ready, (unsigned long long)s_ready.failed);
	if (vr_gw_opt.server_pid > 0)
		printf("; server RSS %.1f MiB (%.1f before)", rss_ready / 1048576.0, rss0 / 1048576.0);
	printf("\n");
	fflush(stdout);
	if (!vr_gw_stop_requested)
		run_for(vr_gw_opt.hold_s, t0, "hold", &last);
	vr_gw_snap_take(&s_end, t0);
	rss_end = vr_gw_proc_rss(vr_gw_opt.server_pid);
	stop_workers();

	per = s_ready.ready && rss0 > 0 && rss_end > 0 ? (double)(rss_end - rss0) / (double)s_ready.ready : 0;
	printf("gw_load: connect: %llu of %u ready in %.1f s (%.0f/s), %llu failed, %llu closed while held",
	       (unsigned long long)s_ready.ready, vr_gw_nconns_total, t_ready, s_ready.ready / (t_ready > 0 ? t_ready : 1),
	       (unsigned long long)s_ready.failed, (unsigned long long)s_end.closed);
	if (vr_gw_opt.server_pid > 0)
		printf("; server RSS %lld -> %lld -> %lld bytes (before, ready, end of hold): %.0f bytes per connection",
		       rss0, rss_ready, rss_end, per);
	printf("\n");
	if (vr_gw_opt.json)
		printf("{\"mode\":\"connect\",\"connections\":%llu,\"requested\":%u,\"failed\":%llu,\"closed_during_hold\":%llu,"
		       "\"connect_s\":%.3f,\"hold_s\":%.1f,\"sources\":%u,\"server_rss_before\":%lld,\"server_rss_ready\":%lld,"
		       "\"server_rss_end\":%lld,\"rss_bytes_per_connection\":%.1f,\"pings_answered\":%llu}\n",
		       (unsigned long long)s_ready.ready, vr_gw_nconns_total, (unsigned long long)s_ready.failed,
		       (unsigned long long)s_end.closed, t_ready, s_end.t - t_ready, vr_gw_nsources, rss0, rss_ready, rss_end,
		       per, (unsigned long long)s_end.pings);
	return s_ready.ready == vr_gw_nconns_total && s_end.closed == 0 ? 0 : 1;
}

/* The window between @a and @b, deliveries checked at @fin (after the drain): one line, and the JSON object. */
static void fanout_result(const struct vr_gw_snap *a, const struct vr_gw_snap *b, const struct vr_gw_snap *fin)
{
	static uint64_t h[VR_GW_HIST_N];
	const struct vr_gw_opts *o = &vr_gw_opt;
	double win = b->t - a->t;
	double srv = o->server_pid > 0 ? b->server_cpu - a->server_cpu : 0;
	double rds = o->redis_pid > 0 ? b->redis_cpu - a->redis_cpu : 0;
	double cli = b->self_cpu - a->self_cpu;
	uint64_t n, missing = fin->acked * o->members > fin->delivered ? fin->acked * o->members - fin->delivered : 0;
	double sent_s, dlv, per_core, p50, p95, p99, pmax;

	vr_gw_snap_diff_hist(a, b, h, &n);
	sent_s = (double)(b->sent - a->sent) / win;
	dlv = (double)(b->delivered - a->delivered) / win;
	per_core = srv > 0 ? (double)(b->delivered - a->delivered) / srv : 0;
	p50 = vr_gw_hist_pct(h, n, 0.50);
	p95 = vr_gw_hist_pct(h, n, 0.95);
	p99 = vr_gw_hist_pct(h, n, 0.99);
	pmax = vr_gw_hist_max(h);
	printf("gw_load: fanout %u chats x %u, %s: window %.2f s: %.0f messages/s sent, %.0f deliveries/s; "
	       "latency p50 %.2f ms p95 %.2f ms p99 %.2f ms max %.1f ms",
	       o->chats, o->members, o->rate > 0 ? "paced" : "flat out", win, sent_s, dlv, p50, p95, p99, pmax);
	if (o->server_pid > 0)
		printf("; server CPU %.2f s (%.0f%% of a core): %.0f deliveries per CPU-second", srv, 100 * srv / win,
		       per_core);
	printf("; send errors %llu (rate-limited %llu), paced sends skipped %llu, closed %llu, deliveries missing after drain %llu\n",
	       (unsigned long long)(fin->send_errors), (unsigned long long)fin->rate_limited,
	       (unsigned long long)fin->skipped, (unsigned long long)fin->closed, (unsigned long long)missing);
	if (o->json)
		printf("{\"mode\":\"fanout\",\"chats\":%u,\"members\":%u,\"connections\":%u,\"rate_target\":%.0f,"
		       "\"inflight\":%u,\"window_s\":%.3f,\"sent_per_sec\":%.1f,\"delivered_per_sec\":%.1f,"
		       "\"server_cpu_s\":%.3f,\"server_cpu_share\":%.3f,\"redis_cpu_share\":%.3f,\"client_cpu_share\":%.3f,"
		       "\"delivered_per_sec_per_core\":%.1f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		       "\"latency_samples\":%llu,\"send_errors\":%llu,\"rate_limited\":%llu,\"paced_skipped\":%llu,"
		       "\"closed\":%llu,\"missing\":%llu}\n",
		       o->chats, o->members, vr_gw_nconns_total, o->rate, o->inflight, win, sent_s, dlv, srv, srv / win,
		       rds / win, cli / win, per_core, p50, p95, p99, pmax, (unsigned long long)n,
		       (unsigned long long)fin->send_errors, (unsigned long long)fin->rate_limited,
		       (unsigned long long)fin->skipped, (unsigned long long)fin->closed, (unsigned long long)missing);
}

int vr_gw_run_fanout(int64_t t0)
{
	static struct vr_gw_snap last, a, b, fin;

	vr_gw_snap_take(&last, t0);
	start_workers();
	if (!wait_until(all_settled, vr_gw_opt.connect_timeout_s, t0, "connect", &last) || last.failed) {
		fprintf(stderr, "gw_load: %llu of %u connections ready, %llu failed: no fan-out run\n",
			(unsigned long long)last.ready, vr_gw_nconns_total, (unsigned long long)last.failed);
		goto fail;
	}
	printf("gw_load: %u connections ready after %.1f s; creating %u chats of %u\n", vr_gw_nconns_total, last.t,
	       vr_gw_opt.chats, vr_gw_opt.members);
	set_phase(VR_GW_PH_SETUP);
	if (!wait_until(all_chats, 120, t0, "setup", &last)) {
		fprintf(stderr, "gw_load: only %llu of %u chats set up\n", (unsigned long long)last.chats_ready,
			vr_gw_opt.chats);
		goto fail;
	}
	printf("gw_load: %u chats ready after %.1f s; sending %s\n", vr_gw_opt.chats, last.t,
	       vr_gw_opt.rate > 0 ? "paced" : "flat out");
	fflush(stdout);
	set_phase(VR_GW_PH_WARMUP);
	if (vr_gw_opt.warmup_s > 0 && !run_for(vr_gw_opt.warmup_s, t0, "warmup", &last))
		goto fail;
	set_phase(VR_GW_PH_RUN);
	vr_gw_snap_take(&a, t0);
	last = a;
	if (!run_for(vr_gw_opt.duration_s, t0, "run", &last))
		goto fail;
	vr_gw_snap_take(&b, t0);
	set_phase(VR_GW_PH_DRAIN);
	wait_until(drained, 5, t0, "drain", &last);
	vr_gw_snap_take(&fin, t0);
	stop_workers();
	fanout_result(&a, &b, &fin);
	return fin.closed || fin.send_errors ? 1 : 0;
fail:
	stop_workers();
	return 1;
}
