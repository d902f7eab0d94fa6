/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-source RTP receive statistics of RFC 3550 Appendix A.1, A.3 and A.8: sequence validation, loss, jitter. */
#ifndef VOXRELAY_RTPSTATS_H
#define VOXRELAY_RTPSTATS_H

#include <stdint.h>

#define VR_RTP_SEQ_MOD (1u << 16)
#define VR_RTP_MAX_DROPOUT 3000   /**< RFC 3550 A.1: a forward jump below this is loss */
#define VR_RTP_MAX_MISORDER 100   /**< RFC 3550 A.1: a backward step below this is reordering (or a duplicate) */
#define VR_RTP_MIN_SEQUENTIAL 2   /**< RFC 3550 A.1: in-order packets before a source is valid */

/**
 * Receive state of one SSRC (RFC 3550 A.1 "source", plus A.8 jitter).
 * Owned by one thread (the worker the flow is on); no locking inside.
 * Fields are read-only for callers; use the functions below.
 */
struct vr_rtpstats {
	uint16_t max_seq;        /**< highest seq number seen */
	uint8_t started;         /**< a first packet was seen */
	uint8_t have_transit;    /**< @transit holds a previous packet's transit */
	uint32_t cycles;         /**< shifted count of seq number cycles (multiple of 65536) */
	uint32_t base_seq;       /**< base seq number */
	uint32_t bad_seq;        /**< last 'bad' seq number + 1 */
	uint32_t probation;      /**< sequential packets till the source is valid */
	uint32_t received;       /**< packets received (A.1: counted once valid, duplicates included) */
	uint32_t expected_prior; /**< packet expected at the last interval */
	uint32_t received_prior; /**< packet received at the last interval */
	uint32_t transit;        /**< relative transit time of the previous packet, RTP units */
	uint32_t jitter;         /**< estimated jitter, RTP units scaled by 16 (A.8 integer form) */
	uint32_t clock_hz;       /**< RTP clock rate of the payload, Hz */
	uint64_t packets;        /**< every packet given to vr_rtpstats_update() */
	uint64_t bytes;          /**< their bytes, as the caller counts them */
};

/** Loss over one reporting interval (RFC 3550 A.3), as an RR block carries it. */
struct vr_rtpstats_report {
	uint32_t ext_max;       /**< extended highest sequence number received */
	uint32_t expected;      /**< packets expected since the base */
	int32_t cum_lost;       /**< expected - received, clamped to 24-bit signed */
	uint8_t fraction_lost;  /**< lost/expected in the interval, fixed point /256; 0 if none or negative */
	uint32_t jitter;        /**< interarrival jitter, RTP timestamp units */
};

/**
 * Reset @s for a new source.
 *
 * @param s         state to reset
 * @param clock_hz  RTP clock rate of the stream (8000 for G.711, 48000 for Opus); > 0
 * Thread-safe on its own state.
 */
void vr_rtpstats_init(struct vr_rtpstats *s, uint32_t clock_hz);

/**
 * Account one received RTP packet (RFC 3550 A.1 update_seq(), and the A.8
 * jitter for the packets it accepts). The first packet starts probation
 * (init_seq(), max_seq = seq - 1, probation = MIN_SEQUENTIAL); a source is
 * valid after MIN_SEQUENTIAL in-order packets. A forward jump of
 * MAX_DROPOUT or more, or a step back of MAX_MISORDER or more, is a
 * "bad" seq; two such in a row (seq, seq + 1) restart the sequence state
 * (the sender restarted). Duplicates and reordered packets count as
 * received, as in A.1 (so cumulative loss can go negative).
 *
 * Departures from the A.1 C text, both for correctness: probation compares
 * seq with max_seq + 1 modulo 2^16 (the RFC code promotes to int and so
 * never validates a source whose probation crosses 65535 -> 0); and a
 * restart also forgets the jitter's previous transit, since the sender's
 * timestamp base changed with it.
 *
 * @param s           the source's state
 * @param seq         RTP sequence number (host order)
 * @param rtp_ts      RTP timestamp (host order)
 * @param arrival_ns  arrival time in ns on any monotonic clock
 * @param bytes       bytes to add to @s->bytes (e.g. the payload length)
 * @return 1 if the packet was counted (valid source, in-range seq), 0 if
 *         not (probation, or a bad seq awaiting confirmation). Not
 *         thread-safe: one owner per source.
 */
int vr_rtpstats_update(struct vr_rtpstats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_ns,
		       uint32_t bytes);

/** Extended highest sequence number received (cycles + max_seq, RFC 3550 A.3). */
uint32_t vr_rtpstats_ext_max(const struct vr_rtpstats *s);

/** Packets expected: ext_max - base_seq + 1 (RFC 3550 A.3); 0 before the source is valid. */
uint32_t vr_rtpstats_expected(const struct vr_rtpstats *s);

/** Cumulative packets lost, expected - received, clamped to 24 bits signed (RFC 3550 A.3, 6.4.1). */
int32_t vr_rtpstats_cum_lost(const struct vr_rtpstats *s);

/**
 * Close a reporting interval (RFC 3550 A.3): fill @r with the cumulative
 * figures and the fraction lost since the previous call, and start the
 * next interval. Call once per RR/SR sent.
 *
 * @param s  the source's state (its priors are updated)
 * @param r  filled
 * Not thread-safe: one owner per source.
 */
void vr_rtpstats_report(struct vr_rtpstats *s, struct vr_rtpstats_report *r);

/**
 * |D(i-1, i)| of RFC 3550 A.8: the magnitude of the difference of two
 * transit times taken modulo 2^32 (so the clocks' unrelated origins and
 * wraps cancel), read as a signed 32-bit difference. Computed unsigned:
 * -2^31 has no int32 opposite, where the RFC's abs() would overflow.
 *
 * @param transit  this packet's arrival minus its RTP timestamp, RTP units
 * @param prev     the previous packet's
 * @return |D| in RTP units, 0..2^31. Pure.
 */
static inline uint32_t vr_rtpstats_transit_delta(uint32_t transit, uint32_t prev)
{
	uint32_t d = transit - prev;

	return (d & 0x80000000u) ? 0u - d : d;
}

/**
 * Interarrival jitter in RTP timestamp units as an RR carries it (RFC 3550
 * A.8: jitter >> 4 of the scaled estimate). Thread-safe for a reader that
 * tolerates a stale value.
 */
uint32_t vr_rtpstats_jitter(const struct vr_rtpstats *s);

/**
 * Interarrival jitter in milliseconds, from the scaled estimate (so without
 * the >> 4 truncation): jitter / 16 / clock_hz * 1000.
 */
double vr_rtpstats_jitter_ms(const struct vr_rtpstats *s);

/**
 * Convert an arrival time to RTP timestamp units of a clock: ns * hz / 1e9,
 * exact for any ns (split into seconds and the rest so nothing overflows),
 * truncated to 32 bits like an RTP timestamp.
 */
uint32_t vr_rtpstats_ns_to_rtp(uint64_t ns, uint32_t clock_hz);

#endif
