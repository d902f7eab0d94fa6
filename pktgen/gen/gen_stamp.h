/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's measurement stamp: stream, sequence and TX time carried in every generated RTP packet (payload or RFC 8285 element). */
#ifndef VOXRELAY_GEN_STAMP_H
#define VOXRELAY_GEN_STAMP_H

#include <stdint.h>

/*
 * Wire format (all big-endian), 16 bytes:
 *   stream u32 | seq u32 | tx_tsc u64
 * stream: the generator's stream index; seq: the stream's own packet count
 * from 0 (32 bits: no wrap within a run, unlike RTP's 16-bit sequence, so
 * loss, duplicates and reordering are exact); tx_tsc: the sender's TSC when
 * the burst holding the packet was built (receiver and sender share the TSC
 * when they run in one process or on one host with an invariant TSC).
 *
 * Plain RTP carries it at the start of the payload behind a 4-byte magic,
 * "VXG1" (20 bytes in all). SRTP encrypts the payload, but not the header
 * extension (RFC 3711 section 3.1), so there the stamp is an RFC 8285
 * one-byte-header element of 16 data bytes (section 4.2: length field 15)
 * with a configurable id (default VR_GEN_STAMP_EXT_ID).
 */
#define VR_GEN_STAMP_LEN 16
#define VR_GEN_STAMP_MAGIC_LEN 4
#define VR_GEN_STAMP_PAYLOAD_LEN (VR_GEN_STAMP_MAGIC_LEN + VR_GEN_STAMP_LEN)
/** Default RFC 8285 id of the stamp element (1..14; 1 is usually the audio level's). */
#define VR_GEN_STAMP_EXT_ID 14
/** Default RFC 8285 id of the RFC 6464 audio level element (what browsers negotiate first). */
#define VR_GEN_AUDIO_LEVEL_EXT_ID 1

/** One packet's stamp. */
struct vr_gen_stamp {
	uint32_t stream; /**< generator stream index */
	uint32_t seq;    /**< the stream's packet number, from 0 */
	uint64_t tx_tsc; /**< TSC cycles at transmission */
};

/**
 * Write the 16-byte stamp.
 * @param dst  VR_GEN_STAMP_LEN writable bytes, any alignment
 * @param s    the stamp
 * Pure, thread-safe.
 */
void vr_gen_stamp_put(uint8_t *dst, const struct vr_gen_stamp *s);

/**
 * Read a 16-byte stamp written by vr_gen_stamp_put().
 * @param src  VR_GEN_STAMP_LEN readable bytes, any alignment
 * @param s    filled
 * Pure, thread-safe.
 */
void vr_gen_stamp_get(const uint8_t *src, struct vr_gen_stamp *s);

/**
 * Write the magic and the stamp at the start of an RTP payload.
 * @param payload  first payload byte
 * @param len      payload bytes available
 * @return VR_GEN_STAMP_PAYLOAD_LEN, or 0 when @len is shorter (nothing written).
 * Pure, thread-safe.
 */
uint32_t vr_gen_stamp_payload_write(uint8_t *payload, uint32_t len, const struct vr_gen_stamp *s);

/**
 * Write an RFC 8285 one-byte-header extension block (section 4.2): the
 * 0xBEDE profile, its length in 32-bit words, then the elements asked for,
 * zero-padded to a multiple of 4 bytes. The caller sets the X bit.
 *
 * @param dst       where the block starts (right after the fixed header and CSRCs)
 * @param room      bytes writable at @dst
 * @param stamp     the stamp element's data, or NULL for none
 * @param stamp_id  its id, 1..14
 * @param level     RFC 6464 audio level element (section 3): bit 7 voice
 *                  activity, bits 0-6 level in -dBov (0..127); -1 for none
 * @param level_id  its id, 1..14, different from @stamp_id
 * @return bytes written (4 + a multiple of 4), 0 when nothing was asked for,
 *         -EINVAL for a bad id, -ENOSPC when @room is short. Pure, thread-safe.
 */
int vr_gen_ext_write(uint8_t *dst, uint32_t room, const struct vr_gen_stamp *stamp, uint8_t stamp_id, int level,
		     uint8_t level_id);

/**
 * Find the stamp in a received RTP packet: first as the RFC 8285 element
 * @stamp_id, else (unless @opaque) behind the magic at the start of the
 * payload.
 *
 * @param rtp       first byte of the RTP header (the UDP payload, decapsulated)
 * @param len       bytes at @rtp
 * @param opaque    the payload is SRTP-protected: do not look into it
 * @param stamp_id  the element id the sender used, 1..14
 * @param s         filled when 0 is returned
 * @return 0; -EINVAL when @rtp is not a valid RTP packet (vr_rtp_parse());
 *         -ENOENT when it carries no stamp. Never reads outside [rtp, rtp + len).
 *         Pure, thread-safe.
 */
int vr_gen_stamp_find(const uint8_t *rtp, uint32_t len, int opaque, uint8_t stamp_id, struct vr_gen_stamp *s);

struct vr_rtp_hdr;

/**
 * vr_gen_stamp_find() on a packet the caller has already parsed: @h is
 * vr_rtp_parse()'s result for @rtp with the same @opaque flag (so a
 * receiver parses each packet once).
 * @return 0, or -ENOENT when it carries no stamp. Pure, thread-safe.
 */
int vr_gen_stamp_find_hdr(const uint8_t *rtp, const struct vr_rtp_hdr *h, int opaque, uint8_t stamp_id,
			  struct vr_gen_stamp *s);

#endif
