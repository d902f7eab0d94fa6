/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for the RTCP compound parser and its packet, sender info and report block readers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/rtp.h"
#include "fuzz_assert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const uint8_t *p, uint32_t len, unsigned int flags)
{
	struct vr_rtcp_info ri;
	struct vr_rtcp_iter it;
	struct vr_rtcp_pkt pk;
	enum vr_rtp_err err = vr_rtcp_parse(p, len, flags, &ri);
	uint32_t sum = 0, n = 0;
	int rc;

	FUZZ_ASSERT((unsigned int)err < VR_RTP_ERR_MAX);
	/* the iterator alone never reads past the datagram, valid or not */
	vr_rtcp_begin(&it, p, len);
	while ((rc = vr_rtcp_next(&it, &pk)) > 0) {
		struct vr_rtcp_report rb;
		struct vr_rtcp_sender_info si;
		uint32_t ssrc;

		FUZZ_ASSERT(pk.off == sum && pk.len >= 4 && pk.len <= len - sum && pk.len % 4 == 0);
		FUZZ_ASSERT(pk.pad_len <= pk.len - 4);
		sum += pk.len;
		n++;
		(void)vr_rtcp_ssrc(p, &pk, &ssrc);
		(void)vr_rtcp_sender_info(p, &pk, &si);
		for (unsigned int i = 0; i < 32; i++) {
			int r = vr_rtcp_report_block(p, &pk, i, &rb);

			FUZZ_ASSERT(r == 0 || r == -EINVAL);
			/* a valid compound has every announced block */
			if (err == VR_RTP_OK && (pk.pt == VR_RTCP_SR || pk.pt == VR_RTCP_RR))
				FUZZ_ASSERT((r == 0) == (i < pk.count));
			if (r == 0)
				FUZZ_ASSERT(rb.cum_lost >= -0x800000 && rb.cum_lost <= 0x7fffff);
		}
	}
	if (err != VR_RTP_OK)
		return;
	FUZZ_ASSERT(rc == 0 && sum == len && n == ri.npkts && n >= 1 && len % 4 == 0);
	FUZZ_ASSERT(flags & VR_RTCP_REDUCED_SIZE || ri.first.pt == VR_RTCP_SR || ri.first.pt == VR_RTCP_RR);
	FUZZ_ASSERT(ri.is_sr == (ri.first.pt == VR_RTCP_SR));
	FUZZ_ASSERT(ri.report_off == 0 || ri.report_off + VR_RTCP_REPORT_LEN * ri.first.count <= len);
	/* the compound rules do not depend on reduced size once the first is a report */
	if (!(flags & VR_RTCP_REDUCED_SIZE)) {
		struct vr_rtcp_info r2;

		FUZZ_ASSERT(vr_rtcp_parse(p, len, VR_RTCP_REDUCED_SIZE, &r2) == VR_RTP_OK && r2.npkts == ri.npkts);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copy so ASan sees any read past the bytes. */
	uint8_t *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	check_one(buf, (uint32_t)size, 0);
	check_one(buf, (uint32_t)size, VR_RTCP_REDUCED_SIZE);
	free(buf);
	return 0;
}
