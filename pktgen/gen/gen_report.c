/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's reports: live line, final text and JSON (jansson), RFC 2544 table. */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include <jansson.h>

#include "gen_report.h"
#include "gen_rfc2544.h"
#include "gen_rx.h"

static double pct(double part, double whole)
{
	return whole > 0.0 ? 100.0 * part / whole : 0.0;
}

int vr_gen_report_live(char *buf, size_t size, double elapsed_s, double interval_s, uint64_t tx_pkts,
		       const struct vr_gen_flows_interval *iv, const struct vr_gen_hist *lat)
{
	double t = interval_s > 0.0 ? interval_s : 0.0;
	double tx = t > 0.0 ? (double)tx_pkts / t : 0.0, rx = 0.0, loss;
	char l[64];

	if (!iv)
		return -EINVAL;
	if (t > 0.0)
		rx = (double)iv->received / t;
	loss = iv->lost > 0 ? pct((double)iv->lost, (double)iv->expected) : 0.0;
	if (lat && vr_gen_hist_count(lat))
		snprintf(l, sizeof(l), "p50 %.1f p99 %.1f us", (double)vr_gen_hist_percentile(lat, 50.0) / 1e3,
			 (double)vr_gen_hist_percentile(lat, 99.0) / 1e3);
	else
		snprintf(l, sizeof(l), "p50 - p99 - us");
	return snprintf(buf, size, "%7.1fs tx %.6f Mpps rx %.6f Mpps loss %.4f%% lat %s jitter %.3f ms", elapsed_s,
			tx / 1e6, rx / 1e6, loss, l, iv->jitter_ns / 1e6);
}

/* ---- final, text ---- */

static void text_flow(FILE *out, const char *what, uint32_t flow, const struct vr_gen_flow_stats *st,
		      const struct vr_gen_hist *h)
{
	double mean = st->lat_count ? (double)st->lat_sum_ns / (double)st->lat_count : 0.0;

	if (flow == UINT32_MAX)
		fprintf(out, "%-14s\n", what);
	else
		fprintf(out, "%-14s flow %u\n", what, flow);
	fprintf(out, "  packets      expected %llu received %llu lost %llu (%.4f%%) dup %llu reordered %llu late %llu\n",
		(unsigned long long)st->expected, (unsigned long long)st->received, (unsigned long long)st->lost,
		pct((double)st->lost, (double)st->expected), (unsigned long long)st->dup,
		(unsigned long long)st->reordered, (unsigned long long)st->late);
	if (h && vr_gen_hist_count(h))
		fprintf(out, "  latency us   min %.1f p50 %.1f p99 %.1f p99.9 %.1f max %.1f mean %.1f\n",
			(double)vr_gen_hist_min(h) / 1e3, (double)vr_gen_hist_percentile(h, 50.0) / 1e3,
			(double)vr_gen_hist_percentile(h, 99.0) / 1e3, (double)vr_gen_hist_percentile(h, 99.9) / 1e3,
			(double)vr_gen_hist_max(h) / 1e3, vr_gen_hist_mean(h) / 1e3);
	else if (st->lat_count)
		fprintf(out, "  latency us   min %.1f mean %.1f max %.1f\n", (double)st->lat_min_ns / 1e3, mean / 1e3,
			(double)st->lat_max_ns / 1e3);
	else
		fprintf(out, "  latency us   -\n");
	if (st->lat_negative)
		fprintf(out, "  latency      %llu packets arrived before they were sent: TSCs not shared\n",
			(unsigned long long)st->lat_negative);
	fprintf(out, "  jitter ms    %.3f (RFC 3550)\n", st->jitter_ns / 1e6);
}

/* Non-zero counters from index @first on, by name. */
static void text_counts(FILE *out, const char *what, const uint64_t *c, unsigned int first, unsigned int n,
			const char *(*name)(unsigned int))
{
	unsigned int i;

	fprintf(out, "%-14s", what);
	for (i = first; i < n; i++)
		if (c[i])
			fprintf(out, " %s %llu", name(i), (unsigned long long)c[i]);
	fputc('\n', out);
}

int vr_gen_report_final(FILE *out, const struct vr_gen_report *r)
{
	const struct vr_gen_flows_summary *s;

	if (!out || !r || !r->sum)
		return -EINVAL;
	s = r->sum;
	fprintf(out, "duration       %.3f s, sent %llu packets (%.6f Mpps), flows %u, active %u\n", r->duration_s,
		(unsigned long long)r->sent, r->duration_s > 0.0 ? (double)r->sent / r->duration_s / 1e6 : 0.0,
		s->nflows, s->active);
	text_flow(out, "all flows", UINT32_MAX, &s->total, r->lat);
	if (s->worst_loss_flow != UINT32_MAX)
		text_flow(out, "worst loss", s->worst_loss_flow, &s->worst_loss, NULL);
	if (s->worst_latency_flow != UINT32_MAX)
		text_flow(out, "worst latency", s->worst_latency_flow, &s->worst_latency, r->worst_lat);
	if (s->worst_jitter_flow != UINT32_MAX)
		text_flow(out, "worst jitter", s->worst_jitter_flow, &s->worst_jitter, NULL);
	if (r->kinds)
		text_counts(out, "rx frames", r->kinds, 0, VR_GEN_RX_KIND_MAX, vr_gen_rx_kind_name);
	if (r->errs)
		text_counts(out, "rx malformed", r->errs, VR_GEN_RX_ERR_OK + 1, VR_GEN_RX_ERR_MAX, vr_gen_rx_err_name);
	return ferror(out) ? -EIO : 0;
}

/* ---- final, JSON ---- */

/* JSON has no NaN or infinity: an unknown figure is null. */
static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* A latency in µs from ns, or null when there is none. */
static json_t *jus(int known, double ns)
{
	return known ? jnum(ns / 1e3) : json_null();
}

/* Percentile @p of @h in µs, or null without a histogram. */
static json_t *jpct(const struct vr_gen_hist *h, double p)
{
	return h && vr_gen_hist_count(h) ? jnum((double)vr_gen_hist_percentile(h, p) / 1e3) : json_null();
}

static json_t *json_flow(uint32_t flow, const struct vr_gen_flow_stats *st, const struct vr_gen_hist *h)
{
	int lat = st->lat_count != 0;
	double mean = lat ? (double)st->lat_sum_ns / (double)st->lat_count : 0.0;

	return json_pack("{s:o, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}, s:o}",
			 "flow", flow == UINT32_MAX ? json_null() : json_integer(flow),
			 "expected", (json_int_t)st->expected, "received", (json_int_t)st->received,
			 "lost", (json_int_t)st->lost, "loss_pct", jnum(pct((double)st->lost, (double)st->expected)),
			 "dup", (json_int_t)st->dup, "reordered", (json_int_t)st->reordered,
			 "late", (json_int_t)st->late,
			 "latency_us", "count", (json_int_t)st->lat_count, "negative", (json_int_t)st->lat_negative,
			 "min", jus(lat, (double)st->lat_min_ns), "mean", jus(lat, mean), "p50", jpct(h, 50.0),
			 "p99", jpct(h, 99.0), "p99_9", jpct(h, 99.9), "max", jus(lat, (double)st->lat_max_ns),
			 "jitter_ms", st->jitter_flows ? jnum(st->jitter_ns / 1e6) : json_null());
}

static json_t *json_counts(const uint64_t *c, unsigned int n, const char *(*name)(unsigned int))
{
	json_t *o = json_object();

	for (unsigned int i = 0; o && i < n; i++)
		json_object_set_new(o, name(i), json_integer((json_int_t)c[i]));
	return o;
}

/* @j as one compact line on @out, then free it. */
static int json_line(FILE *out, json_t *j)
{
	int rc;

	if (!j)
		return -ENOMEM;
	rc = json_dumpf(j, out, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(j);
	if (rc != 0 || fputc('\n', out) == EOF || ferror(out))
		return -EIO;
	return 0;
}

int vr_gen_report_json(FILE *out, const struct vr_gen_report *r)
{
	const struct vr_gen_flows_summary *s;
	json_t *j;
	int rc = 0;

	if (!out || !r || !r->sum)
		return -EINVAL;
	s = r->sum;
	j = json_pack("{s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "duration_s", jnum(r->duration_s),
		      "sent", (json_int_t)r->sent, "flows", (json_int_t)s->nflows, "active", (json_int_t)s->active,
		      "total", json_flow(UINT32_MAX, &s->total, r->lat),
		      "worst_loss", json_flow(s->worst_loss_flow, &s->worst_loss, NULL),
		      "worst_latency", json_flow(s->worst_latency_flow, &s->worst_latency, r->worst_lat),
		      "worst_jitter", json_flow(s->worst_jitter_flow, &s->worst_jitter, NULL));
	if (j && r->kinds)
		rc |= json_object_set_new(j, "rx_kinds",
					  json_counts(r->kinds, VR_GEN_RX_KIND_MAX, vr_gen_rx_kind_name));
	if (j && r->errs)
		rc |= json_object_set_new(j, "rx_errors",
					  json_counts(r->errs, VR_GEN_RX_ERR_MAX, vr_gen_rx_err_name));
	if (rc) {
		json_decref(j);
		return -ENOMEM;
	}
	return json_line(out, j);
}

/* ---- RFC 2544 ---- */

static void table_rule(FILE *out)
{
	fputs("+------------+------------+------------+------------+------------+--------+\n", out);
}

static void table_us(FILE *out, double ns)
{
	if (ns >= 0.0 && isfinite(ns))
		fprintf(out, " %10.1f |", ns / 1e3);
	else
		fprintf(out, " %10s |", "-");
}

int vr_gen_report_rfc2544(FILE *out, uint64_t link_bps, const struct vr_gen_rfc2544_row *rows, uint32_t n)
{
	uint32_t i;

	if (!out || (n && !rows) || link_bps == 0)
		return -EINVAL;
	fprintf(out, "RFC 2544 throughput, %.0f Gb/s link (frame sizes with FCS; line rate counts preamble and IFG)\n",
		(double)link_bps / 1e9);
	table_rule(out);
	fputs("| Frame size | Throughput | Line rate  | Latency    | Latency    | Trials |\n", out);
	fputs("| (B)        | (Mpps)     | (%)        | p50 (us)   | p99 (us)   |        |\n", out);
	table_rule(out);
	for (i = 0; i < n; i++) {
		fprintf(out, "| %10u | %10.3f | %10.2f |", rows[i].frame_len, rows[i].pps / 1e6,
			vr_gen_line_rate_pct(rows[i].pps, link_bps, rows[i].frame_len));
		table_us(out, rows[i].lat_p50_ns);
		table_us(out, rows[i].lat_p99_ns);
		fprintf(out, " %6u |\n", rows[i].trials);
	}
	table_rule(out);
	return ferror(out) ? -EIO : 0;
}

int vr_gen_report_rfc2544_json(FILE *out, uint64_t link_bps, const struct vr_gen_rfc2544_row *rows, uint32_t n)
{
	json_t *a;

	if (!out || (n && !rows) || link_bps == 0)
		return -EINVAL;
	a = json_array();
	for (uint32_t i = 0; a && i < n; i++) {
		const struct vr_gen_rfc2544_row *w = &rows[i];

		if (json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:o, s:o, s:I}", "frame_len",
						       (json_int_t)w->frame_len, "mpps", jnum(w->pps / 1e6), "line_pct",
						       jnum(vr_gen_line_rate_pct(w->pps, link_bps, w->frame_len)),
						       "p50_us", jus(w->lat_p50_ns >= 0.0, w->lat_p50_ns),
						       "p99_us", jus(w->lat_p99_ns >= 0.0, w->lat_p99_ns),
						       "trials", (json_int_t)w->trials)) != 0) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	return json_line(out, json_pack("{s:I, s:o}", "link_bps", (json_int_t)link_bps, "rows", a));
}
