/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's reports: live line, final text and JSON, RFC 2544 table. */
#include <errno.h>
#include <math.h>
#include <stdio.h>

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

/* JSON has no NaN or infinity. */
static void json_num(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.6g", v);
	else
		fputs("null", out);
}

static void json_key_num(FILE *out, const char *key, double v, int comma)
{
	fprintf(out, "%s\"%s\":", comma ? "," : "", key);
	json_num(out, v);
}

static void json_key_u64(FILE *out, const char *key, uint64_t v)
{
	fprintf(out, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void json_flow(FILE *out, const char *key, uint32_t flow, const struct vr_gen_flow_stats *st,
		      const struct vr_gen_hist *h)
{
	double nan = NAN;
	int have_h = h && vr_gen_hist_count(h);

	fprintf(out, ",\"%s\":{\"flow\":", key);
	if (flow == UINT32_MAX)
		fputs("null", out);
	else
		fprintf(out, "%u", flow);
	json_key_u64(out, "expected", st->expected);
	json_key_u64(out, "received", st->received);
	json_key_u64(out, "lost", st->lost);
	json_key_num(out, "loss_pct", pct((double)st->lost, (double)st->expected), 1);
	json_key_u64(out, "dup", st->dup);
	json_key_u64(out, "reordered", st->reordered);
	json_key_u64(out, "late", st->late);
	fprintf(out, ",\"latency_us\":{\"count\":%llu", (unsigned long long)st->lat_count);
	json_key_u64(out, "negative", st->lat_negative);
	json_key_num(out, "min", st->lat_count ? (double)st->lat_min_ns / 1e3 : nan, 1);
	json_key_num(out, "mean", st->lat_count ? (double)st->lat_sum_ns / (double)st->lat_count / 1e3 : nan, 1);
	json_key_num(out, "p50", have_h ? (double)vr_gen_hist_percentile(h, 50.0) / 1e3 : nan, 1);
	json_key_num(out, "p99", have_h ? (double)vr_gen_hist_percentile(h, 99.0) / 1e3 : nan, 1);
	json_key_num(out, "p99_9", have_h ? (double)vr_gen_hist_percentile(h, 99.9) / 1e3 : nan, 1);
	json_key_num(out, "max", st->lat_count ? (double)st->lat_max_ns / 1e3 : nan, 1);
	fputc('}', out);
	json_key_num(out, "jitter_ms", st->jitter_flows ? st->jitter_ns / 1e6 : nan, 1);
	fputc('}', out);
}

static void json_counts(FILE *out, const char *key, const uint64_t *c, unsigned int n,
			const char *(*name)(unsigned int))
{
	unsigned int i;

	fprintf(out, ",\"%s\":{", key);
	for (i = 0; i < n; i++)
		fprintf(out, "%s\"%s\":%llu", i ? "," : "", name(i), (unsigned long long)c[i]);
	fputc('}', out);
}

int vr_gen_report_json(FILE *out, const struct vr_gen_report *r)
{
	const struct vr_gen_flows_summary *s;

	if (!out || !r || !r->sum)
		return -EINVAL;
	s = r->sum;
	fputc('{', out);
	json_key_num(out, "duration_s", r->duration_s, 0);
	json_key_u64(out, "sent", r->sent);
	json_key_u64(out, "flows", s->nflows);
	json_key_u64(out, "active", s->active);
	json_flow(out, "total", UINT32_MAX, &s->total, r->lat);
	json_flow(out, "worst_loss", s->worst_loss_flow, &s->worst_loss, NULL);
	json_flow(out, "worst_latency", s->worst_latency_flow, &s->worst_latency, r->worst_lat);
	json_flow(out, "worst_jitter", s->worst_jitter_flow, &s->worst_jitter, NULL);
	if (r->kinds)
		json_counts(out, "rx_kinds", r->kinds, VR_GEN_RX_KIND_MAX, vr_gen_rx_kind_name);
	if (r->errs)
		json_counts(out, "rx_errors", r->errs, VR_GEN_RX_ERR_MAX, vr_gen_rx_err_name);
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
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
	uint32_t i;

	if (!out || (n && !rows) || link_bps == 0)
		return -EINVAL;
	fprintf(out, "{\"link_bps\":%llu,\"rows\":[", (unsigned long long)link_bps);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s{\"frame_len\":%u", i ? "," : "", rows[i].frame_len);
		json_key_num(out, "mpps", rows[i].pps / 1e6, 1);
		json_key_num(out, "line_pct", vr_gen_line_rate_pct(rows[i].pps, link_bps, rows[i].frame_len), 1);
		json_key_num(out, "p50_us", rows[i].lat_p50_ns >= 0.0 ? rows[i].lat_p50_ns / 1e3 : NAN, 1);
		json_key_num(out, "p99_us", rows[i].lat_p99_ns >= 0.0 ? rows[i].lat_p99_ns / 1e3 : NAN, 1);
		fprintf(out, ",\"trials\":%u}", rows[i].trials);
	}
	fputs("]}\n", out);
	return ferror(out) ? -EIO : 0;
}
