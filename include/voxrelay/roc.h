/* SPDX-License-Identifier: BSD-3-Clause */
/* SRTP rollover counter and packet index estimation (RFC 3711 section 3.3.1 and Appendix A). */
#ifndef VOXRELAY_ROC_H
#define VOXRELAY_ROC_H

#include <stdint.h>

/**
 * Receiver's view of one SRTP stream's packet index (RFC 3711 section
 * 3.3.1): the rollover counter ROC and s_l, the highest sequence number
 * authenticated so far. The 48-bit index is ROC * 2^16 + SEQ. Owned by one
 * thread; no locking inside. Fields read-only for callers.
 */
struct vr_roc {
	uint32_t roc; /**< rollover counter */
	uint16_t s_l; /**< highest authenticated sequence number in this ROC */
};

/**
 * Start a stream at its first packet (RFC 3711 section 3.3.1: s_l is the
 * first SEQ received, ROC normally 0 unless signalled, e.g. by a=crypto or
 * a relay that joins a stream late).
 *
 * @param r      state to set
 * @param seq    sequence number of the first packet (host order)
 * @param roc    ROC to start from
 * Thread-safe on its own state.
 */
void vr_roc_init(struct vr_roc *r, uint16_t seq, uint32_t roc);

/**
 * Guess the index of a received packet (RFC 3711 section 3.3.1, Appendix
 * A): v is ROC - 1, ROC or ROC + 1 (mod 2^32), whichever puts SEQ nearest
 * to s_l, so up to 32767 packets lost or reordered either side are placed
 * right. Does not change @r: the guess must be authenticated first.
 *
 * @param r    current state
 * @param seq  received sequence number (host order)
 * @param v    filled with the guessed ROC, to pass to vr_roc_commit()
 * @return the guessed 48-bit index, v * 2^16 + seq. Pure, thread-safe.
 */
uint64_t vr_roc_estimate(const struct vr_roc *r, uint16_t seq, uint32_t *v);

/**
 * Record an authenticated packet (RFC 3711 section 3.3.1: "update ... only
 * after authentication"): if v is ROC + 1 (mod 2^32), ROC = v and s_l = SEQ;
 * if v is ROC and SEQ > s_l, s_l = SEQ; an older packet (v = ROC - 1, or
 * SEQ <= s_l) changes nothing.
 *
 * @param r    state to update
 * @param seq  the packet's sequence number
 * @param v    the ROC vr_roc_estimate() guessed for it
 * Not thread-safe: one owner per stream.
 */
void vr_roc_commit(struct vr_roc *r, uint16_t seq, uint32_t v);

#endif
