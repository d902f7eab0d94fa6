/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for the RTP header parser, the RFC 8285 extension walker and the RFC 6464 audio level reader. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/rtp.h"
#include "fuzz_assert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const uint8_t *p, uint32_t len, unsigned int flags)
{
	struct vr_rtp_audio_level al;
	struct vr_rtp_ext_iter it;
	struct vr_rtp_ext_elem e;
	struct vr_rtp_hdr h;
	enum vr_rtp_err err = vr_rtp_parse(p, len, flags, &h), err2;
	uint32_t prev_end;
	int rc, n = 0;

	FUZZ_ASSERT((unsigned int)err < VR_RTP_ERR_MAX);
	FUZZ_ASSERT(strcmp(vr_rtp_err_name(err), "unknown") != 0);
	if (err != VR_RTP_OK)
		return;
	/* the pieces tile the packet */
	FUZZ_ASSERT(h.hdr_len == h.payload_off && h.hdr_len <= len);
	FUZZ_ASSERT(h.payload_off + h.payload_len + h.pad_len == len);
	FUZZ_ASSERT(h.hdr_len == 12 + 4u * h.cc + (h.extension ? 4 + h.ext_len : 0));
	FUZZ_ASSERT(!(flags & VR_RTP_OPAQUE_PAYLOAD) || h.pad_len == 0);
	FUZZ_ASSERT(h.pad_len == 0 || (h.padding && h.pad_len == p[len - 1]));
	FUZZ_ASSERT(h.pt < 128 && h.cc < 16);
	/* every element of a parsed packet lies in its block, in order */
	vr_rtp_ext_begin(&it, p, &h);
	prev_end = h.ext_off;
	while ((rc = vr_rtp_ext_next(&it, &e)) > 0) {
		FUZZ_ASSERT(e.id != 0);
		FUZZ_ASSERT(e.off >= prev_end && e.off + e.len <= h.ext_off + h.ext_len);
		FUZZ_ASSERT(h.ext_kind == VR_RTP_EXT_KIND_TWO || (e.id < 15 && e.len >= 1 && e.len <= 16));
		prev_end = e.off + e.len;
		n++;
	}
	FUZZ_ASSERT(rc == 0); /* vr_rtp_parse() already walked it */
	FUZZ_ASSERT(n == 0 || h.ext_kind == VR_RTP_EXT_KIND_ONE || h.ext_kind == VR_RTP_EXT_KIND_TWO);
	/* the audio level under an id taken from the packet, and under every one-byte id */
	err2 = vr_rtp_audio_level(p, &h, len ? p[len - 1] : 1, &al);
	FUZZ_ASSERT(err2 == VR_RTP_OK || err2 == VR_RTP_AUDIO_LEVEL);
	FUZZ_ASSERT(al.level <= 127 && al.voice <= 1 && al.present <= 1);
	for (uint8_t id = 1; id <= 15; id++) {
		err2 = vr_rtp_audio_level(p, &h, id, &al);
		FUZZ_ASSERT(err2 == VR_RTP_OK || (err2 == VR_RTP_AUDIO_LEVEL && h.ext_kind == VR_RTP_EXT_KIND_TWO));
		FUZZ_ASSERT(!al.present || h.ext_kind == VR_RTP_EXT_KIND_ONE || h.ext_kind == VR_RTP_EXT_KIND_TWO);
		FUZZ_ASSERT(!(id == 15 && h.ext_kind == VR_RTP_EXT_KIND_ONE && al.present));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copy so ASan sees any read past the bytes. */
	uint8_t *buf = malloc(size ? size : 1);
	enum vr_demux d;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	d = vr_demux_classify(buf, (uint32_t)size);
	FUZZ_ASSERT((unsigned int)d < VR_DEMUX_MAX);
	FUZZ_ASSERT((d == VR_DEMUX_RTP) == (size > 0 && buf[0] >= 128 && buf[0] <= 191));
	(void)vr_rtp_is_rtcp(buf, (uint32_t)size);
	check_one(buf, (uint32_t)size, 0);
	check_one(buf, (uint32_t)size, VR_RTP_OPAQUE_PAYLOAD);
	/* a truncated copy is never read past either */
	check_one(buf, (uint32_t)size / 2, 0);
	free(buf);
	return 0;
}
