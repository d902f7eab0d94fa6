/* SPDX-License-Identifier: BSD-3-Clause */
/* RTP/RTCP packet logic of the relay on plain byte buffers: RFC 7983 demux, RTP header and extensions, RTCP compound. */
#ifndef VOXRELAY_RTP_H
#define VOXRELAY_RTP_H

#include <stdbool.h>
#include <stdint.h>

/**
 * What a UDP payload is, from its first byte (RFC 7983 section 7, the
 * demultiplexing of a port shared by STUN, ZRTP, DTLS, TURN channels and
 * RTP/RTCP). Values are stable (counters are indexed by them).
 */
enum vr_demux {
	VR_DEMUX_UNKNOWN = 0,   /**< empty, or a first byte in no range below */
	VR_DEMUX_STUN,          /**< 0..3 (RFC 5389/8489) */
	VR_DEMUX_ZRTP,          /**< 16..19 (RFC 6189) */
	VR_DEMUX_DTLS,          /**< 20..63 (RFC 6347/9147) */
	VR_DEMUX_TURN_CHANNEL,  /**< 64..79 (RFC 8656 ChannelData) */
	VR_DEMUX_RTP,           /**< 128..191: RTP or RTCP; vr_rtp_is_rtcp() tells which */
	VR_DEMUX_MAX
};

/**
 * Classify a UDP payload per RFC 7983 section 7 by its first byte.
 *
 * @param p    first byte of the UDP payload (may be NULL when @len is 0)
 * @param len  payload length in bytes
 * @return the class; VR_DEMUX_UNKNOWN for an empty payload or a byte in
 *         none of the ranges (4..15, 80..127, 192..255). Pure, thread-safe.
 */
enum vr_demux vr_demux_classify(const uint8_t *p, uint32_t len);

/** Stable name of a demux class ("stun", "rtp", ...); "unknown" if out of range. */
const char *vr_demux_name(enum vr_demux d);

/**
 * Whether an RTP-range payload (VR_DEMUX_RTP) is RTCP, per RFC 5761
 * section 4: RTCP packet types 192..223 (SR 200, RR 201, SDES 202, BYE 203,
 * APP 204, RTPFB 205, PSFB 206, XR 207...) sit where the RTP marker bit and
 * payload type 64..95 would be, which RFC 5761 forbids for RTP on a shared
 * port. Looks at the second byte only.
 *
 * @param p    UDP payload
 * @param len  its length in bytes
 * @return true if @len >= 2 and p[1] is in 192..223. Pure, thread-safe.
 */
bool vr_rtp_is_rtcp(const uint8_t *p, uint32_t len);

/**
 * Why an RTP or RTCP packet is malformed. VR_RTP_OK (0) means well formed.
 * Names (vr_rtp_err_name()) are stable: the relay counts drops by them.
 * New reasons are only ever appended.
 */
#define VR_RTP_ERRS(X) \
	X(OK, "none") \
	X(TRUNCATED, "rtp_truncated")                   /* < 12 bytes (RFC 3550 5.1) */ \
	X(VERSION, "rtp_bad_version")                   /* V != 2 */ \
	X(CSRC_TRUNCATED, "rtp_csrc_truncated")         /* CC * 4 bytes of CSRC do not fit */ \
	X(EXT_TRUNCATED, "rtp_ext_truncated")           /* X set, 4-byte extension header does not fit */ \
	X(EXT_LENGTH, "rtp_ext_bad_length")             /* extension length runs past the packet */ \
	X(EXT_ELEMENT, "rtp_ext_bad_element")           /* an RFC 8285 element runs past its block */ \
	X(PADDING, "rtp_bad_padding")                   /* P set, count 0 or more than the payload */ \
	X(AUDIO_LEVEL, "rtp_bad_audio_level")           /* RFC 6464 element without its data byte */ \
	X(RTCP_TRUNCATED, "rtcp_truncated")             /* < 8 bytes (RFC 3550 6.4.2) */ \
	X(RTCP_VERSION, "rtcp_bad_version")             /* a packet with V != 2 */ \
	X(RTCP_FIRST_TYPE, "rtcp_first_not_report")     /* first packet not SR or RR (A.2) */ \
	X(RTCP_LENGTH, "rtcp_bad_length")               /* lengths do not add up to the datagram */ \
	X(RTCP_PADDING, "rtcp_bad_padding")             /* P on the first or a non-last packet, bad count */ \
	X(RTCP_REPORT_LENGTH, "rtcp_bad_report_length") /* SR/RR shorter than its RC report blocks */

enum vr_rtp_err {
#define VR_RTP_ERR_ENUM(id, name) VR_RTP_##id,
	VR_RTP_ERRS(VR_RTP_ERR_ENUM)
#undef VR_RTP_ERR_ENUM
	VR_RTP_ERR_MAX
};

/** Stable name of a reason ("rtp_truncated", ...); "unknown" if out of range. Thread-safe. */
const char *vr_rtp_err_name(enum vr_rtp_err e);

#define VR_RTP_HDR_LEN 12      /**< fixed RTP header, RFC 3550 section 5.1 */
#define VR_RTP_EXT_ONE_BYTE 0xBEDEu /**< RFC 8285 section 4.2 "defined by profile" value */
#define VR_RTP_EXT_TWO_BYTE 0x1000u /**< RFC 8285 section 4.3: 0x100 then 4 "appbits" */

/** Kind of header extension a parsed RTP packet carries. */
enum vr_rtp_ext_kind {
	VR_RTP_EXT_KIND_NONE = 0, /**< X bit clear */
	VR_RTP_EXT_KIND_ONE,      /**< RFC 8285 one-byte header (0xBEDE) */
	VR_RTP_EXT_KIND_TWO,      /**< RFC 8285 two-byte header (0x100X) */
	VR_RTP_EXT_KIND_OTHER,    /**< RFC 3550 5.3.1 extension of another profile: opaque */
};

/** vr_rtp_parse() flag: the payload is SRTP-protected (RFC 3711), see vr_rtp_parse(). */
#define VR_RTP_OPAQUE_PAYLOAD 1u

/** A parsed RTP header (RFC 3550 section 5.1). Offsets are from the first RTP byte. */
struct vr_rtp_hdr {
	uint8_t padding;     /**< P bit */
	uint8_t extension;   /**< X bit */
	uint8_t cc;          /**< CSRC count; the CSRCs are at offset 12 */
	uint8_t marker;      /**< M bit */
	uint8_t pt;          /**< payload type 0..127 */
	uint8_t ext_kind;    /**< enum vr_rtp_ext_kind */
	uint16_t seq;        /**< sequence number, host order */
	uint32_t ts;         /**< RTP timestamp, host order */
	uint32_t ssrc;       /**< host order */
	uint16_t ext_profile; /**< "defined by profile" field, if extension */
	uint32_t ext_off;    /**< first byte of the extension data (after its 4-byte header), if extension */
	uint32_t ext_len;    /**< extension data bytes (4 * its length field) */
	uint32_t hdr_len;    /**< 12 + 4 * cc + (extension ? 4 + ext_len : 0) */
	uint32_t payload_off; /**< == hdr_len */
	uint32_t payload_len; /**< payload bytes, padding excluded (unless VR_RTP_OPAQUE_PAYLOAD) */
	uint32_t pad_len;    /**< padding bytes including the count byte; 0 if none or opaque */
};

/**
 * Parse and validate an RTP header (RFC 3550 section 5.1), its CSRC list and
 * header extension (section 5.3.1). RFC 8285 one-byte and two-byte
 * extension blocks are walked element by element so a malformed one is
 * refused here, once, rather than by every later reader.
 *
 * Padding: with P set, the last byte counts the padding bytes including
 * itself; a count of 0 or beyond the payload is refused. With
 * VR_RTP_OPAQUE_PAYLOAD (SRTP, RFC 3711 section 3.1) the padding count is
 * encrypted and the authentication tag follows it, so P is reported but not
 * interpreted: payload_len is everything after the header.
 *
 * RFC 8285 leniencies, since refusing them would drop real voice: a
 * one-byte-form byte with ID 0 is skipped as one padding byte whatever its
 * length nibble (as libwebrtc does); ID 15 ends the walk (section 4.2).
 *
 * @param p      first byte of the RTP header (the UDP payload)
 * @param len    bytes at @p
 * @param flags  0 or VR_RTP_OPAQUE_PAYLOAD
 * @param h      filled on success, partially on error
 * @return VR_RTP_OK or the reason. Never reads outside [p, p + len).
 *         Pure, thread-safe, no allocation.
 */
enum vr_rtp_err vr_rtp_parse(const uint8_t *p, uint32_t len, unsigned int flags, struct vr_rtp_hdr *h);

/**
 * Write a fixed RTP header (RFC 3550 section 5.1) with nothing after it:
 * V = 2, P = X = 0, CC = 0. What the relay needs for its scratch packets,
 * and what the tests and packet generators build their voice packets with.
 *
 * @param b     VR_RTP_HDR_LEN writable bytes (any alignment)
 * @param m_pt  the second byte: marker bit (0x80) | payload type (0..127)
 * @param seq   sequence number (host order)
 * @param ts    RTP timestamp in the clock rate's units (host order)
 * @param ssrc  SSRC (host order)
 * @return VR_RTP_HDR_LEN, the bytes written. Pure, thread-safe.
 */
uint32_t vr_rtp_write_hdr(uint8_t *b, uint8_t m_pt, uint16_t seq, uint32_t ts, uint32_t ssrc);

/** One RFC 8285 extension element. */
struct vr_rtp_ext_elem {
	uint8_t id;    /**< 1..14 (one-byte form) or 1..255 (two-byte form) */
	uint8_t len;   /**< data bytes: 1..16 (one-byte form) or 0..255 (two-byte form) */
	uint32_t off;  /**< first data byte, from the start of the RTP packet */
};

/** Cursor over the RFC 8285 elements of one packet; fields are private. */
struct vr_rtp_ext_iter {
	const uint8_t *p;
	uint32_t off;
	uint32_t end;
	uint8_t kind;
};

/**
 * Start walking the RFC 8285 elements of a packet vr_rtp_parse() accepted.
 * A packet without an extension, or with another profile's, yields none.
 *
 * @param it  cursor to set up
 * @param p   the same bytes given to vr_rtp_parse()
 * @param h   its result
 * Thread-safe (touches only @it).
 */
void vr_rtp_ext_begin(struct vr_rtp_ext_iter *it, const uint8_t *p, const struct vr_rtp_hdr *h);

/**
 * Next RFC 8285 element (section 4.2 one-byte, 4.3 two-byte), skipping
 * padding bytes (0), stopping at one-byte ID 15.
 *
 * @param it  cursor from vr_rtp_ext_begin()
 * @param e   filled when 1 is returned; its bytes lie inside the extension block
 * @return 1 for an element, 0 at the end, -VR_RTP_EXT_ELEMENT when an
 *         element runs past the block (only possible on bytes
 *         vr_rtp_parse() did not validate). Thread-safe on its own cursor.
 */
int vr_rtp_ext_next(struct vr_rtp_ext_iter *it, struct vr_rtp_ext_elem *e);

/** RFC 6464 client-to-mixer audio level. */
struct vr_rtp_audio_level {
	uint8_t present; /**< 0: no element with the id; level and voice are then 0 */
	uint8_t level;   /**< 0..127, -dBov: 0 loudest, 127 silence (muted) */
	uint8_t voice;   /**< V bit: the sender's voice activity detection says speech */
};

/**
 * Find the RFC 6464 client-to-mixer audio level element (section 3) of a
 * packet vr_rtp_parse() accepted, under the extension id negotiated in SDP
 * (a=extmap ... urn:ietf:params:rtp-hdrext:ssrc-audio-level). The first
 * element with the id wins; an element longer than 1 byte is read from its
 * first byte (senders pad it), one with no data byte is malformed.
 *
 * @param p    the RTP packet given to vr_rtp_parse()
 * @param h    its result
 * @param id   negotiated id, 1..14 for the one-byte form, 1..255 for the two-byte form
 * @param al   filled: present=0 when there is no such element
 * @return VR_RTP_OK (present or not) or VR_RTP_AUDIO_LEVEL / VR_RTP_EXT_ELEMENT.
 *         Pure, thread-safe, no allocation.
 */
enum vr_rtp_err vr_rtp_audio_level(const uint8_t *p, const struct vr_rtp_hdr *h, uint8_t id,
				   struct vr_rtp_audio_level *al);

/* ---- RTCP (RFC 3550 section 6) ---- */

#define VR_RTCP_SR 200
#define VR_RTCP_RR 201
#define VR_RTCP_SDES 202
#define VR_RTCP_BYE 203
#define VR_RTCP_APP 204
#define VR_RTCP_HDR_LEN 4        /**< common header: V/P/count, PT, length */
#define VR_RTCP_SENDER_INFO_LEN 20 /**< SR: NTP (8), RTP ts, packets, octets */
#define VR_RTCP_REPORT_LEN 24    /**< one report block */

/** vr_rtcp_parse() flag: accept RFC 5506 reduced-size RTCP. */
#define VR_RTCP_REDUCED_SIZE 1u

/** One packet of a compound, as vr_rtcp_next() yields it. Offsets from the datagram start. */
struct vr_rtcp_pkt {
	uint8_t pt;       /**< packet type (200 SR, 201 RR, ...) */
	uint8_t count;    /**< the 5-bit count/subtype field (RC for SR/RR) */
	uint8_t padding;  /**< P bit (only ever on the last packet) */
	uint32_t off;     /**< first byte of its common header */
	uint32_t len;     /**< bytes: 4 * (length field + 1), padding included */
	uint32_t pad_len; /**< padding bytes at its end, count byte included */
};

/** SR sender information (RFC 3550 section 6.4.1). */
struct vr_rtcp_sender_info {
	uint64_t ntp;          /**< NTP timestamp, 32.32 fixed point seconds since 1900 */
	uint32_t rtp_ts;       /**< RTP timestamp of the same instant */
	uint32_t packet_count; /**< sender's packet count */
	uint32_t octet_count;  /**< sender's payload octet count */
};

/** One reception report block (RFC 3550 section 6.4.1). */
struct vr_rtcp_report {
	uint32_t ssrc;          /**< source this block reports on */
	uint8_t fraction_lost;  /**< fixed point /256, since the previous report */
	int32_t cum_lost;       /**< cumulative lost, 24-bit signed, sign-extended */
	uint32_t ext_highest_seq; /**< cycles << 16 | highest sequence received */
	uint32_t jitter;        /**< interarrival jitter, RTP timestamp units */
	uint32_t lsr;           /**< middle 32 bits of the last SR's NTP timestamp */
	uint32_t dlsr;          /**< delay since that SR, 1/65536 s */
};

/** What vr_rtcp_parse() reports about a valid compound packet. */
struct vr_rtcp_info {
	struct vr_rtcp_pkt first;       /**< the leading SR or RR (any type with VR_RTCP_REDUCED_SIZE) */
	uint32_t ssrc;                  /**< its sender SSRC (0 if @first is only a header) */
	uint8_t is_sr;                  /**< 1: SR, @sr valid */
	struct vr_rtcp_sender_info sr;  /**< SR sender info */
	uint32_t report_off;            /**< first report block of @first if SR/RR, else 0 */
	uint32_t npkts;                 /**< packets in the compound */
	uint32_t types;                 /**< bit (pt - 192) set for each packet type 192..223 seen */
};

/**
 * Validate a compound RTCP datagram (RFC 3550 section 6.1 and the checks of
 * Appendix A.2): every packet version 2; the first an SR or RR
 * (VR_RTP_RTCP_FIRST_TYPE) without padding (VR_RTP_RTCP_PADDING); only
 * the last packet may have P set, with a count of 1 up to its body;
 * lengths add up exactly to @len (so @len is a multiple of 4); each SR/RR
 * long enough for its sender info and RC report blocks (anything after
 * them is a profile extension, allowed). With reduced size, a lone first
 * packet may carry padding.
 *
 * With VR_RTCP_REDUCED_SIZE the first packet may be of any type (RFC 5506
 * section 3.4.2, reduced-size RTCP as WebRTC sends feedback when
 * a=rtcp-rsize is negotiated): @ri->first is then that packet and is_sr 0.
 *
 * SRTCP (RFC 3711 section 3.4) appends the E/index word and a tag, so must
 * be unprotected before this is called.
 *
 * @param p      first byte of the UDP payload
 * @param len    bytes at @p
 * @param flags  0 (RFC 3550 compound rules) or VR_RTCP_REDUCED_SIZE
 * @param ri     filled on success (partially on error)
 * @return VR_RTP_OK or the reason (VR_RTP_RTCP_*). Never reads outside
 *         [p, p + len). Pure, thread-safe, no allocation.
 */
enum vr_rtp_err vr_rtcp_parse(const uint8_t *p, uint32_t len, unsigned int flags, struct vr_rtcp_info *ri);

/** Cursor over the packets of a compound; fields are private. */
struct vr_rtcp_iter {
	const uint8_t *p;
	uint32_t off;
	uint32_t len;
};

/**
 * Walk the packets of a compound that vr_rtcp_parse() accepted.
 *
 * @param it   cursor to set up
 * @param p    the datagram
 * @param len  its length
 * Thread-safe (touches only @it).
 */
void vr_rtcp_begin(struct vr_rtcp_iter *it, const uint8_t *p, uint32_t len);

/**
 * Next packet of the compound.
 *
 * @param it  cursor from vr_rtcp_begin()
 * @param pk  filled when 1 is returned
 * @return 1 for a packet, 0 at the end, -VR_RTP_RTCP_LENGTH if a packet
 *         would run past the datagram (not for datagrams vr_rtcp_parse()
 *         accepted). Thread-safe on its own cursor.
 */
int vr_rtcp_next(struct vr_rtcp_iter *it, struct vr_rtcp_pkt *pk);

/**
 * Sender SSRC of an SR, RR (or the first SSRC/CSRC of SDES/BYE, the
 * sender of RTPFB/PSFB/APP/XR): the 32 bits after the common header.
 *
 * @param p   the datagram
 * @param pk  one of its packets from vr_rtcp_next()
 * @param ssrc filled on success
 * @return 0, or -EINVAL when the packet is only a common header. Thread-safe.
 */
int vr_rtcp_ssrc(const uint8_t *p, const struct vr_rtcp_pkt *pk, uint32_t *ssrc);

/**
 * Report block @i of an SR or RR packet (RFC 3550 section 6.4.1/6.4.2).
 *
 * @param p   the datagram vr_rtcp_parse() accepted
 * @param pk  an SR or RR packet of it
 * @param i   0 .. pk->count - 1
 * @param rb  filled on success
 * @return 0, -EINVAL if @pk is not SR/RR or @i >= its count. Thread-safe.
 */
int vr_rtcp_report_block(const uint8_t *p, const struct vr_rtcp_pkt *pk, unsigned int i,
			 struct vr_rtcp_report *rb);

/**
 * Sender info of an SR packet (RFC 3550 section 6.4.1).
 *
 * @return 0, or -EINVAL if @pk is not an SR. Thread-safe.
 */
int vr_rtcp_sender_info(const uint8_t *p, const struct vr_rtcp_pkt *pk, struct vr_rtcp_sender_info *si);

#endif
