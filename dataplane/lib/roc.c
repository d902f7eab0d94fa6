/* SPDX-License-Identifier: BSD-3-Clause */
/* SRTP rollover counter: libsrtp's index estimation (RFC 3711 section 3.3.1 and Appendix A), which the relay mirrors. */
#include "voxrelay/roc.h"

uint32_t vr_roc_guess(uint64_t highest, uint16_t seq)
{
	uint32_t roc = (uint32_t)(highest >> 16);
	uint16_t s_l = (uint16_t)highest;

	/* libsrtp (srtp_rdbx_estimate_index): ROC 0 up to index 2^15 */
	if (highest <= 0x8000)
		return 0;
	/* Appendix A, with unsigned 32-bit ROC so ROC - 1 and ROC + 1 wrap
	 * modulo 2^32 as the RFC says */
	if (s_l < 32768)
		return seq > s_l && (uint32_t)(seq - s_l) > 32768 ? roc - 1 : roc;
	return (uint32_t)(s_l - 32768) > seq ? roc + 1 : roc;
}
