/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's runs on the main lcore: the load run with its live line and final report, and the RFC 2544 throughput search. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_pause.h>

#include "gen_app.h"
#include "gen_rfc2544.h"

/* How long main waits for a worker to acknowledge, TSC seconds: a stuck worker is a bug, not a wait. */
#define ACK_TIMEOUT_S 2.0

static bool wait_eq(volatile uint32_t *a, volatile uint32_t *b, const struct vr_gen_app *x)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(ACK_TIMEOUT_S * (double)x->sh.tsc_hz);

	while (*a != *b) {
		if (rte_rdtsc() > end || *x->sh.force_quit)
			return false;
		rte_pause();
	}
	rte_smp_rmb();
	return true;
}

void vr_gen_run_cmd(struct vr_gen_app *a, enum vr_gen_cmd cmd, double total_pps)
{
	for (uint32_t i = 0; i < a->nb_workers; i++) {
		struct vr_gen_worker *w = a->w[i];

		/* the rate follows the worker's share of the streams */
		w->rate_pps = total_pps > 0 ? total_pps * w->count / a->plan->nb_members : 0;
		w->cmd = cmd;
		rte_smp_wmb();
		w->gen++;
	}
	for (uint32_t i = 0; i < a->nb_workers; i++)
		if (!wait_eq(&a->w[i]->gen_ack, &a->w[i]->gen, a))
			fprintf(stderr, "voxrelay-gen: worker %u did not take the command\n", i);
}

/* Every worker's interval since the last call, merged. */
static void snapshot(struct vr_gen_app *a, struct vr_gen_flows_interval *iv, struct vr_gen_hist *lat)
{
	memset(iv, 0, sizeof(*iv));
	vr_gen_hist_reset(lat);
	for (uint32_t i = 0; i < a->nb_workers; i++)
		a->w[i]->snap_req++;
	for (uint32_t i = 0; i < a->nb_workers; i++) {
		struct vr_gen_worker *w = a->w[i];

		if (!wait_eq(&w->snap_ack, &w->snap_req, a))
			continue;
		vr_gen_flows_interval_add(iv, &w->iv);
		vr_gen_hist_merge(lat, w->iv_lat);
	}
}

/* Forget what was received (a new trial), in the workers' own time. */
static void reset_flows(struct vr_gen_app *a)
{
	for (uint32_t i = 0; i < a->nb_workers; i++)
		a->w[i]->reset_req++;
	for (uint32_t i = 0; i < a->nb_workers; i++)
		wait_eq(&a->w[i]->reset_ack, &a->w[i]->reset_req, a);
}

/* RTP frames received, stamped or not (the smallest frames have no room for a stamp). */
static uint64_t rx_rtp(const struct vr_gen_app *a)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < a->nb_workers; i++)
		n += a->w[i]->rx_kind[VR_GEN_RX_RTP] + a->w[i]->rx_kind[VR_GEN_RX_RTP_UNSTAMPED];
	return n;
}

static uint64_t tx_pkts(const struct vr_gen_app *a)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < a->nb_workers; i++)
		n += a->w[i]->tx_pkts;
	return n;
}

/* The workers' summaries and latency merged; call while they are idle (or stopped). */
static void summarize(struct vr_gen_app *a, struct vr_gen_flows_summary *sum, struct vr_gen_hist *lat)
{
	memset(sum, 0, sizeof(*sum));
	vr_gen_hist_reset(lat);
	for (uint32_t i = 0; i < a->nb_workers; i++) {
		struct vr_gen_flows_summary s;

		vr_gen_flows_summary(a->w[i]->flows, &s);
		if (i == 0)
			*sum = s;
		else
			vr_gen_flows_summary_add(sum, &s);
		vr_gen_hist_merge(lat, vr_gen_flows_hist(a->w[i]->flows));
	}
}

static double now_s(const struct vr_gen_app *a, uint64_t since)
{
	return (double)(rte_rdtsc() - since) / (double)a->sh.tsc_hz;
}

/* Sleep @s seconds in short steps, waking for a signal. */
static void nap(const struct vr_gen_app *a, double s)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(s * (double)a->sh.tsc_hz);

	while (!*a->sh.force_quit && rte_rdtsc() < end)
		usleep(10000);
}

static void tx_detail(const struct vr_gen_app *a, FILE *f)
{
	uint64_t rtp = 0, rtcp = 0, knob = 0, err = 0, alloc = 0, full = 0, disc = 0, unk = 0;

	for (uint32_t i = 0; i < a->nb_workers; i++) {
		const struct vr_gen_worker *w = a->w[i];

		rtp += w->tx_rtp;
		rtcp += w->tx_rtcp;
		knob += w->tx_dropped_knob;
		err += w->tx_build_err;
		alloc += w->alloc_fail;
		full += w->tx_full;
		disc += w->tx_discarded;
		unk += w->rx_unknown_flow;
	}
	fprintf(f,
		"tx detail: rtp %lu rtcp %lu left out by --tx-drop-every %lu build errors %lu no mbuf %lu ring full %lu "
		"discarded at stop %lu; rx stamped but no such flow %lu\n",
		rtp, rtcp, knob, err, alloc, full, disc, unk);
}

int vr_gen_run_load(struct vr_gen_app *a)
{
	const struct vr_gen_opts *o = &a->o;
	struct vr_gen_hist *lat = vr_gen_hist_create(), *ivlat = vr_gen_hist_create();
	struct vr_gen_flows_interval iv;
	struct vr_gen_flows_summary sum;
	uint64_t kinds[VR_GEN_RX_KIND_MAX] = {0}, errs[VR_GEN_RX_ERR_MAX] = {0};
	uint64_t t0, last_tx = 0, next;
	double rate = o->rate_pps, elapsed = 0;
	int rc = 0;

	if (!lat || !ivlat) {
		vr_gen_hist_free(lat);
		vr_gen_hist_free(ivlat);
		return 1;
	}
	/* a ramp needs a rate: the voice model's own, paced */
	if (rate <= 0 && o->ramp_s > 0)
		rate = (double)o->streams * 1000.0 / o->ptime_ms;
	snapshot(a, &iv, ivlat);
	t0 = a->t_start_tsc = rte_rdtsc();
	vr_gen_run_cmd(a, VR_GEN_CMD_SEND, rate);
	next = t0 + a->sh.tsc_hz;
	while (!*a->sh.force_quit && (o->duration_s <= 0 || (elapsed = now_s(a, t0)) < o->duration_s)) {
		if (rte_rdtsc() < next) {
			usleep(2000);
			continue;
		}
		next += a->sh.tsc_hz;
		if (!o->quiet) {
			char line[256];
			uint64_t tx = tx_pkts(a);

			snapshot(a, &iv, ivlat);
			vr_gen_report_live(line, sizeof(line), now_s(a, t0), 1.0, tx - last_tx, &iv, ivlat);
			last_tx = tx;
			printf("%s\n", line);
			fflush(stdout);
		}
	}
	elapsed = now_s(a, t0);
	vr_gen_run_cmd(a, VR_GEN_CMD_IDLE, 0);
	/* what is still on its way counts; RFC 2544 section 23 waits 2 s, a voice path far less */
	nap(a, o->drain_s);
	vr_gen_run_cmd(a, VR_GEN_CMD_QUIT, 0);
	rte_eal_mp_wait_lcore();
	summarize(a, &sum, lat);
	for (uint32_t i = 0; i < a->nb_workers; i++) {
		for (unsigned int k = 0; k < VR_GEN_RX_KIND_MAX; k++)
			kinds[k] += a->w[i]->rx_kind[k];
		for (unsigned int k = 0; k < VR_GEN_RX_ERR_MAX; k++)
			errs[k] += a->w[i]->rx_err[k];
	}
	struct vr_gen_report r = {
		.duration_s = elapsed,
		.sent = tx_pkts(a),
		.sum = &sum,
		.lat = lat,
		.kinds = kinds,
		.errs = errs,
	};
	vr_gen_report_final(stdout, &r);
	tx_detail(a, stdout);
	if (o->json_stdout)
		vr_gen_report_json(stdout, &r);
	if (o->json_path[0]) {
		FILE *f = fopen(o->json_path, "w");

		if (!f || vr_gen_report_json(f, &r) != 0 || fclose(f) != 0) {
			fprintf(stderr, "voxrelay-gen: cannot write %s: %s\n", o->json_path, strerror(errno));
			rc = 1;
		}
	}
	fflush(stdout);
	vr_gen_hist_free(lat);
	vr_gen_hist_free(ivlat);
	return rc;
}

/*
 * One trial at @pps: frames sent and RTP frames received over it (RFC 2544
 * section 26.1 counts frames, so a duplicate would count; a frame too
 * small for the stamp still counts), and the latency of the stamped ones.
 */
static double trial(struct vr_gen_app *a, double pps, uint64_t *sent, uint64_t *received, struct vr_gen_hist *lat)
{
	struct vr_gen_flows_summary sum;
	uint64_t tx0, rx0, t0;
	double secs;

	reset_flows(a);
	tx0 = tx_pkts(a);
	rx0 = rx_rtp(a);
	t0 = rte_rdtsc();
	vr_gen_run_cmd(a, VR_GEN_CMD_SEND, pps);
	nap(a, a->o.trial_s);
	vr_gen_run_cmd(a, VR_GEN_CMD_IDLE, 0);
	secs = now_s(a, t0);
	nap(a, a->o.drain_s);
	*sent = tx_pkts(a) - tx0;
	*received = rx_rtp(a) - rx0;
	summarize(a, &sum, lat);
	/* the rate actually sent: below the offered one, the generator (or its port) was the limit */
	return secs > 0 ? (double)*sent / secs : 0;
}

int vr_gen_run_rfc2544(struct vr_gen_app *a)
{
	const struct vr_gen_opts *o = &a->o;
	struct vr_gen_rfc2544_row rows[VR_GEN_MAX_FRAME_SIZES];
	struct vr_gen_hist *lat = vr_gen_hist_create();
	uint64_t link_bps = (uint64_t)(o->link_gbps * 1e9);
	uint32_t n = 0;
	int rc = 0;

	if (!lat)
		return 1;
	a->t_start_tsc = rte_rdtsc();
	for (uint32_t f = 0; f < o->nb_frame_sizes && !*a->sh.force_quit; f++) {
		uint32_t fs = o->frame_sizes[f];
		struct vr_gen_rfc2544_cfg cfg = {
			.max_pps = o->max_rate_pps > 0 ? o->max_rate_pps : vr_gen_line_rate_pps(link_bps, fs),
			.tolerance = o->loss_tolerance,
			.resolution_frac = o->resolution,
		};
		struct vr_gen_rfc2544 s;
		struct vr_gen_rfc2544_row *row = &rows[n];
		double pps, achieved, best_achieved = 0;

		if (vr_gen_setup_frame(a, fs - VR_GEN_FCS_LEN) != 0 || vr_gen_rfc2544_init(&s, &cfg) != 0) {
			rc = 1;
			break;
		}
		printf("rfc2544: %u-byte frames, search from %.0f pps, loss tolerance %g\n", fs, cfg.max_pps,
		       o->loss_tolerance);
		while ((pps = vr_gen_rfc2544_rate(&s)) > 0 && !*a->sh.force_quit) {
			uint64_t sent, received;

			achieved = trial(a, pps, &sent, &received, lat);
			if (!sent) {
				fprintf(stderr, "voxrelay-gen: rfc2544: nothing was sent at %.0f pps (port down?)\n", pps);
				rc = 1;
				break;
			}
			vr_gen_rfc2544_result(&s, sent, received);
			if (vr_gen_rfc2544_last_pass(&s) && vr_gen_rfc2544_best(&s) == pps)
				best_achieved = achieved;
			printf("rfc2544: trial %u: %.0f pps offered, %.0f sent/s, %lu sent, %lu received, loss %.6f%% -> %s%s\n",
			       vr_gen_rfc2544_trials(&s), pps, achieved, sent, received,
			       100.0 * (double)(sent > received ? sent - received : 0) / (double)sent,
			       vr_gen_rfc2544_last_pass(&s) ? "pass" : "fail",
			       achieved < 0.98 * pps ? " (generator-limited: sent below the offered rate)" : "");
			fflush(stdout);
		}
		row->frame_len = fs;
		/* what was sent in the best passing trial: no more than the offered rate, and no more than went out */
		row->pps = vr_gen_rfc2544_best(&s);
		if (best_achieved > 0 && best_achieved < row->pps)
			row->pps = best_achieved;
		row->trials = vr_gen_rfc2544_trials(&s);
		row->lat_p50_ns = row->lat_p99_ns = -1;
		if (row->pps > 0 && o->latency_load > 0 && !*a->sh.force_quit) {
			uint64_t sent, received;

			trial(a, row->pps * o->latency_load, &sent, &received, lat);
			if (vr_gen_hist_count(lat)) {
				row->lat_p50_ns = (double)vr_gen_hist_percentile(lat, 50);
				row->lat_p99_ns = (double)vr_gen_hist_percentile(lat, 99);
			}
			printf("rfc2544: latency at %.0f%% of %.0f pps: %lu sent, %lu received\n", o->latency_load * 100,
			       row->pps, sent, received);
		}
		n++;
	}
	vr_gen_run_cmd(a, VR_GEN_CMD_QUIT, 0);
	rte_eal_mp_wait_lcore();
	vr_gen_report_rfc2544(stdout, link_bps, rows, n);
	if (o->json_stdout)
		vr_gen_report_rfc2544_json(stdout, link_bps, rows, n);
	if (o->json_path[0]) {
		FILE *f = fopen(o->json_path, "w");

		if (!f || vr_gen_report_rfc2544_json(f, link_bps, rows, n) != 0 || fclose(f) != 0) {
			fprintf(stderr, "voxrelay-gen: cannot write %s: %s\n", o->json_path, strerror(errno));
			rc = 1;
		}
	}
	fflush(stdout);
	vr_gen_hist_free(lat);
	return rc;
}
