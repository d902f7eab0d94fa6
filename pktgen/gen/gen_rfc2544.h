/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's RFC 2544 section 26.1 throughput search as a state machine, and Ethernet line-rate arithmetic. */
#ifndef VOXRELAY_GEN_RFC2544_H
#define VOXRELAY_GEN_RFC2544_H

#include <stdint.h>

/*
 * Frame sizes here are what RFC 2544 section 9 counts: the Ethernet frame
 * from the destination MAC through the 4-byte FCS (64, 128... 1518). On
 * the wire each frame also takes an 8-byte preamble/SFD and a 12-byte
 * inter-frame gap (IEEE 802.3). A DPDK mbuf of pkt_len L (FCS added by the
 * NIC) is a frame of L + VR_GEN_FCS_LEN bytes.
 */
#define VR_GEN_FCS_LEN 4
#define VR_GEN_WIRE_OVERHEAD 20 /* preamble + SFD 8, IFG 12 */

/**
 * Line rate: frames per second a link of @link_bps carries at @frame_len.
 * E.g. 64 B at 10 Gb/s: 14.88 Mpps; 218 B (a 214-byte G.711 20 ms
 * Eth/IPv4/UDP/RTP mbuf): 5.252 Mpps at 10 Gb/s, 52.52 Mpps at 100 Gb/s.
 *
 * @param link_bps   link speed, bits/s (10e9 for 10 GbE)
 * @param frame_len  frame bytes with FCS
 * @return packets/s; 0 if @frame_len is 0. Pure.
 */
double vr_gen_line_rate_pps(uint64_t link_bps, uint32_t frame_len);

/**
 * @pps as a percentage of the line rate at @frame_len (100 = line rate).
 * @return percent; 0 if the line rate is 0. Pure.
 */
double vr_gen_line_rate_pct(double pps, uint64_t link_bps, uint32_t frame_len);

/** Settings of one throughput search (one frame size). */
struct vr_gen_rfc2544_cfg {
	double max_pps;        /**< first trial and upper bound, packets/s (the line rate, or less) */
	double min_pps;        /**< lower bound, packets/s (0: none); tried last if nothing above passes */
	double tolerance;      /**< loss ratio a trial may have and pass: 0 (RFC 2544 zero loss) or e.g. 1e-5 */
	double resolution_pps; /**< stop when the pass/fail interval is this narrow, packets/s; 0: use
				*   @resolution_frac of @max_pps */
	double resolution_frac; /**< e.g. 0.005 (0.5 % of max); used when @resolution_pps is 0 */
	uint32_t max_trials;   /**< hard stop, 0: 32 */
};

/** State of a search; fields are private (read them through the functions). */
struct vr_gen_rfc2544 {
	double lo;       /* highest rate known to pass, or min_pps untested */
	double hi;       /* lowest rate known to fail */
	double rate;     /* the trial in progress; 0 when done */
	double best;     /* highest passing rate so far, 0 if none */
	double min_pps, tolerance, resolution;
	uint32_t trials, max_trials;
	uint8_t done, min_tried, last_pass;
};

/**
 * Start a search (RFC 2544 section 26.1: the highest rate at which the
 * device forwards every frame offered - or, with a tolerance, at most
 * that ratio lost). The first trial is at @cfg->max_pps; if it fails, a
 * binary search between the highest passing and lowest failing rates
 * follows until they are within the resolution (RFC 2544 leaves the
 * search method open; binary search is the usual one, RFC 8219 section 7.1).
 *
 * @param s    state to set up
 * @param cfg  settings
 * @return 0; -EINVAL for max_pps <= 0, min_pps outside [0, max_pps),
 *         tolerance outside [0, 1), or no positive resolution.
 *         Not thread-safe on one @s (owned by the caller).
 */
int vr_gen_rfc2544_init(struct vr_gen_rfc2544 *s, const struct vr_gen_rfc2544_cfg *cfg);

/** Rate of the next trial, packets/s; 0 when the search is over. */
double vr_gen_rfc2544_rate(const struct vr_gen_rfc2544 *s);

/**
 * Give the outcome of the trial at vr_gen_rfc2544_rate(): it passes when
 * (sent - received) <= tolerance * sent (received >= sent is no loss).
 *
 * @param sent      packets offered in the trial
 * @param received  packets that came back
 * @return 1: another trial follows (vr_gen_rfc2544_rate()); 0: done
 *         (vr_gen_rfc2544_best()); -EINVAL for @sent 0; -EALREADY when the
 *         search was already over.
 */
int vr_gen_rfc2544_result(struct vr_gen_rfc2544 *s, uint64_t sent, uint64_t received);

/** Whether the last trial passed (1) or not (0). */
int vr_gen_rfc2544_last_pass(const struct vr_gen_rfc2544 *s);

/** The throughput: the highest rate that passed, packets/s; 0 if none did. */
double vr_gen_rfc2544_best(const struct vr_gen_rfc2544 *s);

/** Trials run so far. */
uint32_t vr_gen_rfc2544_trials(const struct vr_gen_rfc2544 *s);

#endif
