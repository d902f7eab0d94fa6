/* SPDX-License-Identifier: BSD-3-Clause */
/* SRTP rollover counter: index estimation and post-authentication update, RFC 3711 section 3.3.1 and Appendix A. */
#include "voxrelay/roc.h"

void vr_roc_init(struct vr_roc *r, uint16_t seq, uint32_t roc)
{
	r->roc = roc;
	r->s_l = seq;
}

uint64_t vr_roc_estimate(const struct vr_roc *r, uint16_t seq, uint32_t *v)
{
	/* Appendix A, with unsigned 32-bit ROC so ROC - 1 and ROC + 1 wrap
	 * modulo 2^32 as the RFC says. */
	uint32_t guess = r->roc;

	if (r->s_l < 32768) {
		if (seq > r->s_l && (uint32_t)(seq - r->s_l) > 32768)
			guess = r->roc - 1;
	} else {
		if ((uint32_t)(r->s_l - 32768) > seq)
			guess = r->roc + 1;
	}
	*v = guess;
	return (uint64_t)guess << 16 | seq;
}

void vr_roc_commit(struct vr_roc *r, uint16_t seq, uint32_t v)
{
	if (v == r->roc + 1) {
		r->roc = v;
		r->s_l = seq;
	} else if (v == r->roc && seq > r->s_l) {
		r->s_l = seq;
	}
}
