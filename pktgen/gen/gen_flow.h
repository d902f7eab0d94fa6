/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's per-flow receive accounting: loss, duplicates, reordering, one-way latency, RFC 3550 jitter. */
#ifndef VOXRELAY_GEN_FLOW_H
#define VOXRELAY_GEN_FLOW_H

#include <stdint.h>

#include "gen_hist.h"

/*
 * A flow is what one receiver gets of one sent stream, under an index the
 * caller chooses (a relay room fans each sent packet out to N - 1
 * receivers: each copy is its own flow). Sequence accounting uses the
 * stamp's 32-bit per-stream seq (gen_stamp.h), so it is exact: no 16-bit
 * RTP wrap, no RFC 3550 A.1 probation guesswork.
 *
 *  expected   highest seq - base + 1 (base 0, the stream's first packet;
 *             or the first seq received with VR_GEN_FLOWS_BASE_FIRST)
 *  unique     distinct seqs received, base .. highest
 *  lost       expected - unique: never negative; a packet that arrives
 *             later stops counting as lost
 *  dup        a seq already received, within the window
 *  reordered  a first copy arriving below the highest seq, within the window
 *  late       arriving VR_GEN_FLOW_WINDOW or more below the highest seq
 *             (or below the base): whether it is a duplicate is no longer
 *             known, so it is not counted in unique and stays in lost -
 *             for voice, a packet that late is as good as lost
 *  received   every packet given to vr_gen_flow_rx(): unique + dup + late
 *
 * The window is a bitmap of the VR_GEN_FLOW_WINDOW seqs up to the highest.
 * A forward jump of any size is fine (the gap counts as lost); a 32-bit
 * seq wrap is not expected within a run (2^32 packets of one stream) and
 * would count as late.
 */
#define VR_GEN_FLOW_WINDOW 1024u

/** vr_gen_flows_create() flags. */
#define VR_GEN_FLOWS_HIST 1u       /**< a latency histogram per flow too (32 KiB each) */
#define VR_GEN_FLOWS_BASE_FIRST 2u /**< expected counts from each flow's first seq received, not 0 */

/** What vr_gen_flow_rx() made of a packet (>= 0 return values). */
enum vr_gen_seq_event {
	VR_GEN_SEQ_NEXT = 0,  /**< above the highest seq (in order, possibly after a gap) */
	VR_GEN_SEQ_REORDERED, /**< first copy of a seq below the highest */
	VR_GEN_SEQ_DUP,       /**< seq already received */
	VR_GEN_SEQ_LATE,      /**< below the window (or the base): not accounted */
};

/** Counters of one flow, or sums over flows. Latency in ns. */
struct vr_gen_flow_stats {
	uint64_t received;    /**< packets given to vr_gen_flow_rx() */
	uint64_t unique;      /**< distinct seqs */
	uint64_t expected;    /**< highest - base + 1 */
	uint64_t lost;        /**< expected - unique */
	uint64_t dup;
	uint64_t reordered;
	uint64_t late;
	uint64_t lat_count;   /**< packets with a latency (rx_tsc >= tx_tsc, duplicates included) */
	uint64_t lat_negative; /**< packets with rx_tsc < tx_tsc (TSCs not shared): no latency */
	uint64_t lat_min_ns, lat_max_ns; /**< 0 when lat_count is 0 */
	uint64_t lat_sum_ns;  /**< for the mean */
	double jitter_ns;     /**< a flow: its RFC 3550 A.8 estimate; a sum: the mean over flows with one */
	uint64_t jitter_flows; /**< a sum: flows with a jitter estimate (two or more packets) */
};

/** Sums over flows and the worst flows, from vr_gen_flows_summary(). */
struct vr_gen_flows_summary {
	uint32_t nflows;   /**< flow indices */
	uint32_t active;   /**< flows that received at least one packet */
	struct vr_gen_flow_stats total;
	/* the worst flows by loss (lost / expected), by latency (p99 with
	 * per-flow histograms, else max) and by jitter; UINT32_MAX and zeroes
	 * when no flow qualifies */
	uint32_t worst_loss_flow;
	struct vr_gen_flow_stats worst_loss;
	uint32_t worst_latency_flow;
	struct vr_gen_flow_stats worst_latency;
	uint32_t worst_jitter_flow;
	struct vr_gen_flow_stats worst_jitter;
};

/** Deltas since the previous vr_gen_flows_interval(), over all flows. */
struct vr_gen_flows_interval {
	uint64_t received, unique, expected, dup, reordered, late;
	int64_t lost;          /**< expected - unique of the interval: negative when
				 *   packets counted lost before arrived late in it */
	uint64_t lat_negative;
	double jitter_ns;      /**< mean current jitter over flows with one */
	double jitter_max_ns;  /**< worst current jitter */
	uint64_t jitter_flows; /**< flows in the mean */
};

struct vr_gen_flows;

/**
 * Create the accounting of @nflows flows (indices 0 .. nflows - 1), all
 * empty, plus the all-flow latency histograms (total and interval).
 *
 * @param nflows    flows, 1 .. 2^24
 * @param flags     VR_GEN_FLOWS_* (0: one all-flow histogram, base 0)
 * @param clock_hz  RTP clock rate of every flow, Hz (8000 for G.711, 48000
 *                  for Opus); vr_gen_flow_set_clock() changes one flow's
 * @param tsc_hz    TSC frequency, Hz: converts TX/RX TSC stamps to ns and
 *                  RTP units (1e9 when the "TSC" given is already in ns)
 * @return the object, or NULL with errno EINVAL (a zero or too large
 *         argument) or ENOMEM. Owned by the caller; vr_gen_flows_free().
 *         Not thread-safe: one owner thread (one per RX lcore: combine
 *         their summaries with vr_gen_flows_summary_add() and histograms
 *         with vr_gen_hist_merge()).
 */
struct vr_gen_flows *vr_gen_flows_create(uint32_t nflows, uint32_t flags, uint32_t clock_hz, uint64_t tsc_hz);

/** Free @f and its histograms; NULL is accepted. */
void vr_gen_flows_free(struct vr_gen_flows *f);

/** Number of flow indices @f was created with. */
uint32_t vr_gen_flows_count(const struct vr_gen_flows *f);

/**
 * Set one flow's RTP clock rate (before its first packet: the jitter
 * estimate is in its units).
 * @return 0, -EINVAL for a bad @flow or @clock_hz 0.
 */
int vr_gen_flow_set_clock(struct vr_gen_flows *f, uint32_t flow, uint32_t clock_hz);

/**
 * Account one received stamped RTP packet.
 *
 * Latency rx_tsc - tx_tsc, converted to ns, goes to the flow's and the
 * all-flow histograms (for every packet, duplicates too: each copy
 * crossed the network). Jitter is RFC 3550 A.8 (section 6.4.1): transit
 * = arrival in RTP units - RTP timestamp, J += (|D| - J) / 16, in A.8's
 * integer form scaled by 16; updated for packets counted in unique
 * (neither duplicates, whose timing repeats another copy's, nor late ones).
 *
 * @param flow    caller's flow index
 * @param seq     stamp seq (gen_stamp.h)
 * @param tx_tsc  stamp tx_tsc, TSC cycles
 * @param rtp_ts  the packet's RTP timestamp
 * @param rx_tsc  arrival, TSC cycles (same clock as the sender's)
 * @return enum vr_gen_seq_event, or -EINVAL for a @flow out of range.
 *         O(1) (clearing the window after a jump is at most
 *         VR_GEN_FLOW_WINDOW / 64 words); no allocation. Not thread-safe.
 */
int vr_gen_flow_rx(struct vr_gen_flows *f, uint32_t flow, uint32_t seq, uint64_t tx_tsc, uint32_t rtp_ts,
		   uint64_t rx_tsc);

/**
 * Counters of one flow.
 * @return 0, -EINVAL for a bad @flow.
 */
int vr_gen_flow_get(const struct vr_gen_flows *f, uint32_t flow, struct vr_gen_flow_stats *st);

/** One flow's latency histogram (ns); NULL without VR_GEN_FLOWS_HIST or for a bad @flow. */
const struct vr_gen_hist *vr_gen_flow_hist(const struct vr_gen_flows *f, uint32_t flow);

/** The all-flow latency histogram since creation (ns). */
const struct vr_gen_hist *vr_gen_flows_hist(const struct vr_gen_flows *f);

/**
 * Sums over all flows and the worst flows. O(nflows); reads the flows, so
 * call it on the owner thread (or once it has stopped).
 * @return 0, -EINVAL if an argument is NULL.
 */
int vr_gen_flows_summary(const struct vr_gen_flows *f, struct vr_gen_flows_summary *s);

/**
 * Combine another owner's summary @src into @dst (per-lcore flow sets
 * with distinct flows: the same flow index in two sets is two flows
 * here). Sums add, the jitter mean is re-weighted, worse worst flows
 * replace @dst's (their index stays @src's).
 * @return 0, -EINVAL if an argument is NULL.
 */
int vr_gen_flows_summary_add(struct vr_gen_flows_summary *dst, const struct vr_gen_flows_summary *src);

/**
 * Deltas since the previous call (or creation), for a live per-second line.
 *
 * @param iv   filled
 * @param lat  if not NULL, receives the interval's latency histogram (ns);
 *             the interval histogram then starts empty again either way
 * @return 0, -EINVAL if @f or @iv is NULL. O(nflows) for the jitter figures.
 *         On the owner thread.
 */
int vr_gen_flows_interval(struct vr_gen_flows *f, struct vr_gen_flows_interval *iv, struct vr_gen_hist *lat);

/** Add interval @src into @dst (per-lcore sets): sums, jitter re-weighted, max kept. */
void vr_gen_flows_interval_add(struct vr_gen_flows_interval *dst, const struct vr_gen_flows_interval *src);

/** Empty every flow and histogram (a new trial); the clock rates stay. */
void vr_gen_flows_reset(struct vr_gen_flows *f);

/** Convert TSC cycles to ns at @tsc_hz without overflow (for callers' own figures). */
uint64_t vr_gen_tsc_to_ns(uint64_t cycles, uint64_t tsc_hz);

#endif
