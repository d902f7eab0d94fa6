/* SPDX-License-Identifier: BSD-3-Clause */
/* SRTP rollover counter and packet index estimation as libsrtp does it (RFC 3711 section 3.3.1 and Appendix A). */
#ifndef VOXRELAY_ROC_H
#define VOXRELAY_ROC_H

#include <stdint.h>

/**
 * Guess the ROC of SRTP packet @seq of a stream whose highest index so far
 * is @highest, exactly as libsrtp 2 does (srtp_rdbx_estimate_index(), on
 * both its unprotect and its protect side): RFC 3711 section 3.3.1 and
 * Appendix A, i.e. ROC - 1, ROC or ROC + 1 (mod 2^32), whichever puts SEQ
 * nearest to s_l, so up to 32767 packets lost or reordered either side are
 * placed right; except that while @highest is at most 2^15 the guess is
 * always ROC 0 (libsrtp's rule: at the start of a stream Appendix A would
 * guess ROC 2^32 - 1 for a SEQ more than 2^15 above s_l).
 *
 * The relay calls it inbound, for the ROC the packet will authenticate with
 * (no srtp_get_stream_roc() per packet), and outbound, to know when
 * libsrtp's protect-side guess would differ from the sender's ROC. Only an
 * authenticated packet may move @highest (RFC 3711 3.3.1: "update ... only
 * after authentication"); this function changes nothing.
 *
 * @param highest  48-bit index ROC * 2^16 + s_l of the highest packet
 *                 authenticated (inbound) or protected (outbound); 0 before
 *                 the first
 * @param seq      the packet's sequence number (host order)
 * @return the guessed ROC; the packet's index is ROC * 2^16 + seq.
 *         Pure, thread-safe.
 */
uint32_t vr_roc_guess(uint64_t highest, uint16_t seq);

#endif
