/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's reports: the live line per second, the final text and JSON reports, the RFC 2544 table. */
#ifndef VOXRELAY_GEN_REPORT_H
#define VOXRELAY_GEN_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gen_flow.h"
#include "gen_hist.h"

/**
 * Format the live line of one interval into @buf, e.g.
 * "  12.0s tx 1.000000 Mpps rx 2.997000 Mpps loss 0.0012% lat p50 45.2 p99 120.7 us jitter 0.031 ms".
 * rx counts every packet received (duplicates too); loss is the
 * interval's (expected - unique) / expected, shown as 0 when late
 * arrivals make it negative; jitter is the mean RFC 3550 estimate over flows.
 *
 * @param buf, size  output, snprintf() style (always NUL-terminated when size > 0)
 * @param elapsed_s  seconds since the start
 * @param interval_s the interval's length, seconds (> 0 for rates)
 * @param tx_pkts    packets sent in the interval (the TX side's count)
 * @param iv         from vr_gen_flows_interval()
 * @param lat        the interval's latency histogram (ns); NULL: "-"
 * @return characters the full line needs (as snprintf()), -EINVAL for a NULL @iv.
 *         Thread-safe.
 */
int vr_gen_report_live(char *buf, size_t size, double elapsed_s, double interval_s, uint64_t tx_pkts,
		       const struct vr_gen_flows_interval *iv, const struct vr_gen_hist *lat);

/** Everything the final report shows. Pointers may be NULL where said. */
struct vr_gen_report {
	double duration_s;                      /**< measured run, seconds */
	uint64_t sent;                          /**< packets the TX side sent, all streams */
	const struct vr_gen_flows_summary *sum; /**< required */
	const struct vr_gen_hist *lat;          /**< all-flow latency (ns); NULL: none shown */
	const struct vr_gen_hist *worst_lat;    /**< the worst-latency flow's (ns); NULL: min/mean/max only */
	const uint64_t *kinds;                  /**< frames per enum vr_gen_rx_kind (VR_GEN_RX_KIND_MAX), or NULL */
	const uint64_t *errs;                   /**< frames per enum vr_gen_rx_err (VR_GEN_RX_ERR_MAX), or NULL */
};

/**
 * Write the final human-readable report: for all flows together and for
 * the worst flows (by loss, latency, jitter): expected, received, lost,
 * duplicates, reordered, late, latency p50/p99/p99.9/max in µs, jitter in ms.
 * @return 0, -EINVAL (NULL @out, @r or @r->sum), -EIO when writing fails.
 */
int vr_gen_report_final(FILE *out, const struct vr_gen_report *r);

/**
 * The same as one JSON object (--json), one line, keys stable: duration_s,
 * sent, flows, active, total, worst_loss, worst_latency, worst_jitter
 * (each {flow, expected, received, lost, loss_pct, dup, reordered, late,
 * latency_us {count, negative, min, mean, p50, p99, p99_9, max}, jitter_ms}),
 * rx_kinds, rx_errors. Non-finite or unknown figures are null; reals
 * with 6 significant digits (jansson).
 * @return 0, -EINVAL, -ENOMEM, -EIO.
 */
int vr_gen_report_json(FILE *out, const struct vr_gen_report *r);

/** One frame size's RFC 2544 result. */
struct vr_gen_rfc2544_row {
	uint32_t frame_len; /**< bytes with FCS (gen_rfc2544.h) */
	double pps;         /**< throughput found, packets/s */
	double lat_p50_ns;  /**< latency at that rate, ns (< 0: not measured) */
	double lat_p99_ns;
	uint32_t trials;    /**< trials the search took */
};

/**
 * Write the RFC 2544 table in the style of DPDK's performance reports:
 * frame size (B), throughput (Mpps), % of line rate at @link_bps, latency
 * p50/p99 (µs), trials.
 * @return 0, -EINVAL (NULL @out, or @rows with @n > 0, or @link_bps 0), -EIO.
 */
int vr_gen_report_rfc2544(FILE *out, uint64_t link_bps, const struct vr_gen_rfc2544_row *rows, uint32_t n);

/**
 * The same rows as one line of JSON, {"link_bps": ..., "rows": [{frame_len,
 * mpps, line_pct, p50_us, p99_us, trials}]}; latencies not measured are null.
 * @return 0, -EINVAL (as vr_gen_report_rfc2544()), -ENOMEM, -EIO.
 */
int vr_gen_report_rfc2544_json(FILE *out, uint64_t link_bps, const struct vr_gen_rfc2544_row *rows, uint32_t n);

#endif
