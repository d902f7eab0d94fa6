/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's measurement stamp: writing it into generated RTP and finding it in what comes back. */
#include <errno.h>
#include <string.h>

#include "voxrelay/rtp.h"

#include "../../dataplane/lib/bytes.h"
#include "gen_stamp.h"

static const uint8_t stamp_magic[VR_GEN_STAMP_MAGIC_LEN] = {'V', 'X', 'G', '1'};

void vr_gen_stamp_put(uint8_t *dst, const struct vr_gen_stamp *s)
{
	vr_wr32(dst, s->stream);
	vr_wr32(dst + 4, s->seq);
	vr_wr32(dst + 8, (uint32_t)(s->tx_tsc >> 32));
	vr_wr32(dst + 12, (uint32_t)s->tx_tsc);
}

void vr_gen_stamp_get(const uint8_t *src, struct vr_gen_stamp *s)
{
	s->stream = vr_rd32(src);
	s->seq = vr_rd32(src + 4);
	s->tx_tsc = (uint64_t)vr_rd32(src + 8) << 32 | vr_rd32(src + 12);
}

uint32_t vr_gen_stamp_payload_write(uint8_t *payload, uint32_t len, const struct vr_gen_stamp *s)
{
	if (len < VR_GEN_STAMP_PAYLOAD_LEN)
		return 0;
	memcpy(payload, stamp_magic, sizeof(stamp_magic));
	vr_gen_stamp_put(payload + VR_GEN_STAMP_MAGIC_LEN, s);
	return VR_GEN_STAMP_PAYLOAD_LEN;
}

int vr_gen_ext_write(uint8_t *dst, uint32_t room, const struct vr_gen_stamp *stamp, uint8_t stamp_id, int level,
		     uint8_t level_id)
{
	uint32_t data = 0, words;
	uint8_t *p;

	if (stamp) {
		if (stamp_id < 1 || stamp_id > 14)
			return -EINVAL;
		data += 1 + VR_GEN_STAMP_LEN;
	}
	if (level >= 0) {
		if (level > 0xff || level_id < 1 || level_id > 14 || (stamp && level_id == stamp_id))
			return -EINVAL;
		data += 2;
	}
	if (!data)
		return 0;
	words = (data + 3) / 4;
	if (room < 4 + 4 * words)
		return -ENOSPC;
	vr_wr16(dst, 0xBEDE);
	vr_wr16(dst + 2, (uint16_t)words);
	p = dst + 4;
	/* the audio level first: a mixer reading only the first element finds it */
	if (level >= 0) {
		*p++ = (uint8_t)(level_id << 4); /* length field 0: one data byte */
		*p++ = (uint8_t)level;
	}
	if (stamp) {
		*p++ = (uint8_t)(stamp_id << 4 | (VR_GEN_STAMP_LEN - 1));
		vr_gen_stamp_put(p, stamp);
		p += VR_GEN_STAMP_LEN;
	}
	memset(p, 0, (size_t)(dst + 4 + 4 * words - p));
	return (int)(4 + 4 * words);
}

int vr_gen_stamp_find_hdr(const uint8_t *rtp, const struct vr_rtp_hdr *h, int opaque, uint8_t stamp_id,
			  struct vr_gen_stamp *s)
{
	struct vr_rtp_ext_iter it;
	struct vr_rtp_ext_elem e;

	if (h->ext_kind == VR_RTP_EXT_KIND_ONE) {
		vr_rtp_ext_begin(&it, rtp, h);
		while (vr_rtp_ext_next(&it, &e) == 1) {
			if (e.id == stamp_id && e.len == VR_GEN_STAMP_LEN) {
				vr_gen_stamp_get(rtp + e.off, s);
				return 0;
			}
		}
	}
	if (opaque || h->payload_len < VR_GEN_STAMP_PAYLOAD_LEN ||
	    memcmp(rtp + h->payload_off, stamp_magic, sizeof(stamp_magic)) != 0)
		return -ENOENT;
	vr_gen_stamp_get(rtp + h->payload_off + VR_GEN_STAMP_MAGIC_LEN, s);
	return 0;
}

int vr_gen_stamp_find(const uint8_t *rtp, uint32_t len, int opaque, uint8_t stamp_id, struct vr_gen_stamp *s)
{
	struct vr_rtp_hdr h;

	if (vr_rtp_parse(rtp, len, opaque ? VR_RTP_OPAQUE_PAYLOAD : 0, &h) != VR_RTP_OK)
		return -EINVAL;
	return vr_gen_stamp_find_hdr(rtp, &h, opaque, stamp_id, s);
}
