/* SPDX-License-Identifier: BSD-3-Clause */
/* RTP/RTCP parsing of the relay on byte buffers: RFC 7983 demux, RFC 3550 headers, RFC 8285 extensions, RFC 6464 level. */
#include <errno.h>

#include "voxrelay/common.h"
#include "voxrelay/rtp.h"

#include "bytes.h"

static const char *const vr_demux_names[VR_DEMUX_MAX] = {
	[VR_DEMUX_UNKNOWN] = "unknown",
	[VR_DEMUX_STUN] = "stun",
	[VR_DEMUX_ZRTP] = "zrtp",
	[VR_DEMUX_DTLS] = "dtls",
	[VR_DEMUX_TURN_CHANNEL] = "turn_channel",
	[VR_DEMUX_RTP] = "rtp",
};

static const char *const vr_rtp_err_names[VR_RTP_ERR_MAX] = {
#define VR_RTP_ERR_NAME(id, name) [VR_RTP_##id] = name,
	VR_RTP_ERRS(VR_RTP_ERR_NAME)
#undef VR_RTP_ERR_NAME
};

enum vr_demux vr_demux_classify(const uint8_t *p, uint32_t len)
{
	uint8_t b;

	if (VR_UNLIKELY(len == 0))
		return VR_DEMUX_UNKNOWN;
	b = p[0];
	/* RTP first: it is nearly all of the traffic. */
	if (VR_LIKELY(b >= 128 && b <= 191))
		return VR_DEMUX_RTP;
	if (b <= 3)
		return VR_DEMUX_STUN;
	if (b >= 16 && b <= 19)
		return VR_DEMUX_ZRTP;
	if (b >= 20 && b <= 63)
		return VR_DEMUX_DTLS;
	if (b >= 64 && b <= 79)
		return VR_DEMUX_TURN_CHANNEL;
	return VR_DEMUX_UNKNOWN;
}

const char *vr_demux_name(enum vr_demux d)
{
	if ((unsigned int)d >= VR_DEMUX_MAX)
		return "unknown";
	return vr_demux_names[d];
}

bool vr_rtp_is_rtcp(const uint8_t *p, uint32_t len)
{
	return len >= 2 && p[1] >= 192 && p[1] <= 223;
}

const char *vr_rtp_err_name(enum vr_rtp_err e)
{
	/* Unsigned compare so a negated reason cast back is also caught. */
	if ((unsigned int)e >= VR_RTP_ERR_MAX)
		return "unknown";
	return vr_rtp_err_names[e];
}

void vr_rtp_ext_begin(struct vr_rtp_ext_iter *it, const uint8_t *p, const struct vr_rtp_hdr *h)
{
	it->p = p;
	it->off = h->ext_off;
	it->end = h->ext_off + h->ext_len;
	it->kind = h->ext_kind;
	if (h->ext_kind != VR_RTP_EXT_KIND_ONE && h->ext_kind != VR_RTP_EXT_KIND_TWO)
		it->off = it->end;
}

int vr_rtp_ext_next(struct vr_rtp_ext_iter *it, struct vr_rtp_ext_elem *e)
{
	const uint8_t *p = it->p;

	while (it->off < it->end) {
		uint32_t left = it->end - it->off;
		uint8_t b = p[it->off], id, l;

		if (it->kind == VR_RTP_EXT_KIND_ONE) {
			id = b >> 4;
			/* ID 0 is padding (RFC 8285 4.2). A non-zero length nibble is
			 * not valid padding, but skipping it byte by byte as libwebrtc
			 * does keeps the later elements readable. */
			if (id == 0) {
				it->off++;
				continue;
			}
			/* ID 15: stop, ignore the rest of the block (RFC 8285 4.2). */
			if (id == 15) {
				it->off = it->end;
				return 0;
			}
			l = (uint8_t)((b & 0x0f) + 1);
			if (l > left - 1)
				goto bad;
			e->off = it->off + 1;
			it->off += 1u + l;
		} else {
			id = b;
			if (id == 0) { /* padding byte (RFC 8285 4.1) */
				it->off++;
				continue;
			}
			if (left < 2)
				goto bad;
			l = p[it->off + 1];
			if (l > left - 2)
				goto bad;
			e->off = it->off + 2;
			it->off += 2u + l;
		}
		e->id = id;
		e->len = l;
		return 1;
	}
	return 0;
bad:
	/* Sticky: a caller that keeps calling sees the end, not garbage. */
	it->off = it->end;
	return -(int)VR_RTP_EXT_ELEMENT;
}

enum vr_rtp_err vr_rtp_parse(const uint8_t *p, uint32_t len, unsigned int flags, struct vr_rtp_hdr *h)
{
	uint32_t off;
	uint8_t b0;

	if (VR_UNLIKELY(len < VR_RTP_HDR_LEN))
		return VR_RTP_TRUNCATED;
	b0 = p[0];
	if (VR_UNLIKELY(b0 >> 6 != 2))
		return VR_RTP_VERSION;
	h->padding = (b0 >> 5) & 1;
	h->extension = (b0 >> 4) & 1;
	h->cc = b0 & 0x0f;
	h->marker = p[1] >> 7;
	h->pt = p[1] & 0x7f;
	h->seq = vr_rd16(p + 2);
	h->ts = vr_rd32(p + 4);
	h->ssrc = vr_rd32(p + 8);
	h->ext_kind = VR_RTP_EXT_KIND_NONE;
	h->ext_profile = 0;
	h->ext_off = 0;
	h->ext_len = 0;
	h->pad_len = 0;

	off = VR_RTP_HDR_LEN + 4u * h->cc;
	if (VR_UNLIKELY(off > len))
		return VR_RTP_CSRC_TRUNCATED;
	if (h->extension) {
		struct vr_rtp_ext_iter it;
		struct vr_rtp_ext_elem e;
		int rc;

		if (VR_UNLIKELY(len - off < 4))
			return VR_RTP_EXT_TRUNCATED;
		h->ext_profile = vr_rd16(p + off);
		h->ext_len = 4u * vr_rd16(p + off + 2);
		off += 4;
		if (VR_UNLIKELY(h->ext_len > len - off))
			return VR_RTP_EXT_LENGTH;
		h->ext_off = off;
		off += h->ext_len;
		if (h->ext_profile == VR_RTP_EXT_ONE_BYTE)
			h->ext_kind = VR_RTP_EXT_KIND_ONE;
		else if ((h->ext_profile & 0xfff0) == VR_RTP_EXT_TWO_BYTE)
			h->ext_kind = VR_RTP_EXT_KIND_TWO;
		else
			h->ext_kind = VR_RTP_EXT_KIND_OTHER;
		/* Walk once here so later readers (audio level, the relay's
		 * rewriting) can trust every element to lie inside the block. */
		vr_rtp_ext_begin(&it, p, h);
		while ((rc = vr_rtp_ext_next(&it, &e)) > 0)
			;
		if (VR_UNLIKELY(rc < 0))
			return (enum vr_rtp_err)-rc;
	}
	h->hdr_len = off;
	h->payload_off = off;
	if (h->padding && !(flags & VR_RTP_OPAQUE_PAYLOAD)) {
		uint8_t n;

		/* RFC 3550 5.1: the last byte counts the padding, itself included. */
		if (VR_UNLIKELY(len == off))
			return VR_RTP_PADDING;
		n = p[len - 1];
		if (VR_UNLIKELY(n == 0 || n > len - off))
			return VR_RTP_PADDING;
		h->pad_len = n;
	}
	h->payload_len = len - off - h->pad_len;
	return VR_RTP_OK;
}

enum vr_rtp_err vr_rtp_audio_level(const uint8_t *p, const struct vr_rtp_hdr *h, uint8_t id,
				   struct vr_rtp_audio_level *al)
{
	struct vr_rtp_ext_iter it;
	struct vr_rtp_ext_elem e;
	int rc;

	al->present = 0;
	al->level = 0;
	al->voice = 0;
	if (id == 0)
		return VR_RTP_OK;
	vr_rtp_ext_begin(&it, p, h);
	while ((rc = vr_rtp_ext_next(&it, &e)) > 0) {
		if (e.id != id)
			continue;
		/* RFC 6464 section 3: one byte, V then the 7-bit level. Only the
		 * two-byte form can express an element with no data at all. */
		if (VR_UNLIKELY(e.len == 0))
			return VR_RTP_AUDIO_LEVEL;
		al->present = 1;
		al->voice = p[e.off] >> 7;
		al->level = p[e.off] & 0x7f;
		return VR_RTP_OK;
	}
	return rc < 0 ? (enum vr_rtp_err)-rc : VR_RTP_OK;
}

/* ---- RTCP ---- */

void vr_rtcp_begin(struct vr_rtcp_iter *it, const uint8_t *p, uint32_t len)
{
	it->p = p;
	it->off = 0;
	it->len = len;
}

int vr_rtcp_next(struct vr_rtcp_iter *it, struct vr_rtcp_pkt *pk)
{
	const uint8_t *q;
	uint32_t plen;

	if (it->off >= it->len)
		return 0;
	if (it->len - it->off < VR_RTCP_HDR_LEN)
		goto bad;
	q = it->p + it->off;
	plen = 4u * ((uint32_t)vr_rd16(q + 2) + 1);
	if (plen > it->len - it->off)
		goto bad;
	pk->pt = q[1];
	pk->count = q[0] & 0x1f;
	pk->padding = (q[0] >> 5) & 1;
	pk->off = it->off;
	pk->len = plen;
	/* Only a valid count is reported; vr_rtcp_parse() refuses the others. */
	pk->pad_len = 0;
	if (pk->padding && q[plen - 1] != 0 && q[plen - 1] <= plen - VR_RTCP_HDR_LEN)
		pk->pad_len = q[plen - 1];
	it->off += plen;
	return 1;
bad:
	it->off = it->len;
	return -(int)VR_RTP_RTCP_LENGTH;
}

/* Bytes after the common header an SR/RR needs for its fixed part and RC blocks. */
static inline uint32_t vr_rtcp_report_need(const struct vr_rtcp_pkt *pk)
{
	return 4u + (pk->pt == VR_RTCP_SR ? VR_RTCP_SENDER_INFO_LEN : 0u) + VR_RTCP_REPORT_LEN * pk->count;
}

enum vr_rtp_err vr_rtcp_parse(const uint8_t *p, uint32_t len, unsigned int flags, struct vr_rtcp_info *ri)
{
	struct vr_rtcp_iter it;
	struct vr_rtcp_pkt pk;
	int rc;

	ri->npkts = 0;
	ri->types = 0;
	ri->ssrc = 0;
	ri->is_sr = 0;
	ri->report_off = 0;
	memset(&ri->sr, 0, sizeof(ri->sr));
	/* An RR with no report block (header + SSRC) is the shortest valid start. */
	if (VR_UNLIKELY(len < 8))
		return VR_RTP_RTCP_TRUNCATED;
	vr_rtcp_begin(&it, p, len);
	while ((rc = vr_rtcp_next(&it, &pk)) > 0) {
		const uint8_t *q = p + pk.off;
		uint32_t body;

		if (VR_UNLIKELY(q[0] >> 6 != 2))
			return VR_RTP_RTCP_VERSION;
		if (ri->npkts == 0 && !(flags & VR_RTCP_REDUCED_SIZE) && pk.pt != VR_RTCP_SR &&
		    pk.pt != VR_RTCP_RR)
			return VR_RTP_RTCP_FIRST_TYPE;
		if (pk.padding) {
			uint8_t n = q[pk.len - 1];

			/* RFC 3550 6.4.1: padding only on the last packet, which
			 * A.2 also rules out for the first one of a compound (a
			 * lone reduced-size packet is both); the count includes
			 * itself and cannot eat the header. */
			if (VR_UNLIKELY((ri->npkts == 0 && !(flags & VR_RTCP_REDUCED_SIZE)) ||
					pk.off + pk.len != len || n == 0 || n > pk.len - VR_RTCP_HDR_LEN))
				return VR_RTP_RTCP_PADDING;
		}
		body = pk.len - VR_RTCP_HDR_LEN - pk.pad_len;
		if ((pk.pt == VR_RTCP_SR || pk.pt == VR_RTCP_RR) && VR_UNLIKELY(body < vr_rtcp_report_need(&pk)))
			return VR_RTP_RTCP_REPORT_LENGTH;
		if (pk.pt >= 192 && pk.pt <= 223)
			ri->types |= 1u << (pk.pt - 192);
		if (ri->npkts == 0) {
			ri->first = pk;
			if (body >= 4)
				ri->ssrc = vr_rd32(q + 4);
			if (pk.pt == VR_RTCP_SR) {
				ri->is_sr = 1;
				vr_rtcp_sender_info(p, &pk, &ri->sr);
			}
			if (pk.pt == VR_RTCP_SR || pk.pt == VR_RTCP_RR)
				ri->report_off = pk.off + 8 + (pk.pt == VR_RTCP_SR ? VR_RTCP_SENDER_INFO_LEN : 0);
		}
		ri->npkts++;
	}
	if (rc < 0)
		return (enum vr_rtp_err)-rc;
	return VR_RTP_OK;
}

int vr_rtcp_ssrc(const uint8_t *p, const struct vr_rtcp_pkt *pk, uint32_t *ssrc)
{
	if (pk->len < VR_RTCP_HDR_LEN + 4)
		return -EINVAL;
	*ssrc = vr_rd32(p + pk->off + VR_RTCP_HDR_LEN);
	return 0;
}

int vr_rtcp_sender_info(const uint8_t *p, const struct vr_rtcp_pkt *pk, struct vr_rtcp_sender_info *si)
{
	const uint8_t *q = p + pk->off + 8;

	if (pk->pt != VR_RTCP_SR || pk->len < 8 + VR_RTCP_SENDER_INFO_LEN)
		return -EINVAL;
	si->ntp = (uint64_t)vr_rd32(q) << 32 | vr_rd32(q + 4);
	si->rtp_ts = vr_rd32(q + 8);
	si->packet_count = vr_rd32(q + 12);
	si->octet_count = vr_rd32(q + 16);
	return 0;
}

int vr_rtcp_report_block(const uint8_t *p, const struct vr_rtcp_pkt *pk, unsigned int i,
			 struct vr_rtcp_report *rb)
{
	const uint8_t *q;
	uint32_t off, lost;

	if ((pk->pt != VR_RTCP_SR && pk->pt != VR_RTCP_RR) || i >= pk->count)
		return -EINVAL;
	off = 8 + (pk->pt == VR_RTCP_SR ? VR_RTCP_SENDER_INFO_LEN : 0) + VR_RTCP_REPORT_LEN * i;
	/* Callers may hand a packet vr_rtcp_parse() did not see: stay inside it. */
	if (off + VR_RTCP_REPORT_LEN > pk->len)
		return -EINVAL;
	q = p + pk->off + off;
	rb->ssrc = vr_rd32(q);
	rb->fraction_lost = q[4];
	lost = (uint32_t)q[5] << 16 | (uint32_t)q[6] << 8 | q[7];
	/* 24-bit two's complement (RFC 3550 6.4.1: it can go negative with duplicates). */
	rb->cum_lost = (int32_t)(lost ^ 0x800000u) - 0x800000;
	rb->ext_highest_seq = vr_rd32(q + 8);
	rb->jitter = vr_rd32(q + 12);
	rb->lsr = vr_rd32(q + 16);
	rb->dlsr = vr_rd32(q + 20);
	return 0;
}

uint32_t vr_rtp_write_hdr(uint8_t *b, uint8_t m_pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	b[0] = 0x80; /* V = 2, no padding, no extension, no CSRC */
	b[1] = m_pt;
	vr_wr16(b + 2, seq);
	vr_wr32(b + 4, ts);
	vr_wr32(b + 8, ssrc);
	return VR_RTP_HDR_LEN;
}
