/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's frame builder: Ethernet/IPv4 or IPv6/UDP frames of one stream's RTP and RTCP, plain or SRTP, from a pre-built header template. */
#ifndef VOXRELAY_GEN_BUILD_H
#define VOXRELAY_GEN_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/relay.h"

#include "gen_stamp.h"
#include "gen_voice.h"

/*
 * A stream sends from one client address and port to the VIP and its
 * room's port, as a browser or phone behind its own address would:
 *  - source address: stream i uses address number i % src_count from
 *    src_base on (base, base + 1, ...), all inside src_base/src_prefix_len,
 *    never its all-zero host part nor (IPv4) its broadcast address;
 *  - source port: even (RTP convention, RFC 3550 11), in the dynamic range
 *    49152..65534 (RFC 6335 6), pseudo-random from the seed; the streams
 *    sharing an address get distinct ports (at most 8192 of them). With
 *    src_port set, the n-th stream on an address uses src_port + 2n;
 *  - destination: the VIP and port room_port_base + room * room_port_step,
 *    room = i / members_per_room, so a room's members share the port; RTCP
 *    goes to the same port (RFC 5761 rtcp-mux, as WebRTC).
 * IPv4: DF set, a per-stream IP ID counter; IPv6: a per-stream random flow
 * label (RFC 6437). UDP checksums are always computed (RFC 768 allows 0
 * over IPv4; RFC 8200 8.1 forbids it over IPv6).
 *
 * RTP (RFC 3550 5.1): the fixed header, then, when there is anything to
 * carry, an RFC 8285 one-byte-header extension (vr_gen_ext_write()) with
 * the RFC 6464 audio level (when audio_level_id is set) and the stamp (with
 * SRTP, whose payload is encrypted but whose header extension is not, RFC
 * 3711 3.1, or when stamp_in_ext is set). Otherwise the stamp leads the
 * payload (vr_gen_stamp_payload_write()) if the payload is long enough
 * (20 bytes); the rest of the payload is pseudo-random filler from SSRC and
 * sequence number (so it has codec-like entropy and is reproducible).
 *
 * RTCP: a compound SR + SDES CNAME (RFC 3550 6.1: every compound starts
 * with a report and carries a CNAME), SRTCP-protected with SRTP.
 *
 * Frames shorter than 60 bytes are zero-padded after the IP packet (the
 * Ethernet minimum without FCS; the IP and UDP lengths do not count it).
 */

#define VR_GEN_MIN_FRAME 60u
#define VR_GEN_MAX_FRAME 1514u
/** Ethernet + IPv6 + UDP: the longest header template. */
#define VR_GEN_HDR_MAX (14u + 40u + 8u)
#define VR_GEN_PORT_MIN 49152u /**< RFC 6335 6: dynamic ports */
#define VR_GEN_PORTS 8192u     /**< even ports in 49152..65534 */
#define VR_GEN_CNAME_MAX 32u

/** Configuration shared by the streams of a run. */
struct vr_gen_tx_conf {
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	struct vr_addr src_base;   /**< first client address; family AF_INET or AF_INET6, as @vip */
	uint8_t src_prefix_len;    /**< the prefix the clients lie in: IPv4 0..32, IPv6 0..127 */
	uint32_t src_count;        /**< distinct client addresses, >= 1 */
	uint16_t src_port;         /**< first client port, +2 per stream on one address; 0 = pseudo-random even ports */
	struct vr_addr vip;        /**< destination */
	uint16_t room_port_base;   /**< first room's UDP port, host order, >= 1 */
	uint16_t room_port_step;   /**< port distance between rooms; 0 = 1 */
	uint32_t members_per_room; /**< streams per room; 0 = all in one room */
	/**
	 * 0: frames as long as their content. Else every RTP frame is this
	 * many bytes without FCS (60..1514; e.g. 218 for G.711's 160-byte
	 * payload over IPv4): the payload is sized to fill it (RFC 2544 runs).
	 * RTCP frames keep their own size.
	 */
	uint32_t frame_len;
	uint8_t audio_level_id;    /**< RFC 6464 element id 1..14; 0 = no level element */
	uint8_t stamp_id;          /**< stamp element id 1..14; 0 = VR_GEN_STAMP_EXT_ID */
	uint8_t stamp_in_ext;      /**< 1: stamp in the extension also for plain RTP */
	uint8_t ttl;               /**< IPv4 TTL / IPv6 hop limit; 0 = 64 */
	uint8_t tos;               /**< IPv4 TOS / IPv6 traffic class (e.g. 0xb8, EF); 0 = best effort */
	enum vr_relay_suite suite; /**< VR_RELAY_SUITE_NONE: plain RTP/RTCP */
	uint64_t seed;             /**< source ports, IP IDs, flow labels, CNAMEs */
};

/** One stream's frame template and SRTP session. Fields are read-only for callers. */
struct vr_gen_tx {
	uint8_t hdr[VR_GEN_HDR_MAX]; /**< Ethernet, IP, UDP; lengths, IP ID and checksums zero */
	uint8_t hdr_len;             /**< 42 (IPv4) or 62 (IPv6) */
	uint8_t l4_off;              /**< UDP header offset */
	uint8_t v6;
	uint8_t level_id;
	uint8_t stamp_id;
	uint8_t stamp_in_ext;
	uint8_t tag_len;             /**< SRTP authentication tag bytes; 0 plain */
	uint8_t cname_len;
	char cname[VR_GEN_CNAME_MAX]; /**< RFC 7022-style random CNAME, not NUL-terminated */
	uint16_t ip_id;
	uint16_t sport, dport;       /**< host order */
	uint32_t ip_sum;             /**< IPv4 header sum without length, ID, checksum */
	uint32_t l4_sum;             /**< pseudo-header addresses and protocol plus the UDP ports */
	uint32_t frame_len;
	uint32_t stream;
	struct vr_addr src;
	struct srtp_ctx_t_ *srtp;    /**< outbound session, NULL plain */
};

/**
 * Set up stream @stream: its addresses, ports, template and, with a suite,
 * its SRTP session (vr_relay_srtp_session(), outbound; libsrtp must be
 * initialised: vr_relay_global_init()).
 *
 * @param t       caller-owned state; vr_gen_tx_fini() when done
 * @param c       run configuration (read here only)
 * @param stream  stream index, from 0
 * @param key     master key || salt, vr_relay_suite_key_len(c->suite)
 *                bytes (read here only); NULL with VR_RELAY_SUITE_NONE
 * @return 0; -EINVAL (families differ or unknown, prefix or address range
 *         outside the prefix, ports or ids out of range, frame_len outside
 *         60..1514 or too short for the headers, key missing); -ERANGE
 *         (@stream needs a room port or, with src_port, a client port
 *         beyond 65535, or more than 8192 random ports on one address); -ENOMEM, -EIO (libsrtp refused). Thread-safe
 *         on its own @t.
 */
int vr_gen_tx_init(struct vr_gen_tx *t, const struct vr_gen_tx_conf *c, uint32_t stream, const uint8_t *key);

/** Free the SRTP session of @t. Accepts a zeroed or finished @t. */
void vr_gen_tx_fini(struct vr_gen_tx *t);

/**
 * Build one RTP frame: the template, the RTP header from @ri, the
 * extension, the stamp and filler; SRTP protect; IP/UDP lengths and
 * checksums. With frame_len the payload is sized to it and
 * @ri->payload_len is ignored.
 *
 * libsrtp reads the RTP header as 32-bit words: when @buf + hdr_len is not
 * 4-byte aligned the packet is protected in an aligned copy (a frame
 * starting 2 bytes past a 4-byte boundary avoids that copy).
 *
 * @param t     the stream (its IP ID and SRTP state advance)
 * @param ri    header fields and payload bytes (RFC 3550 5.1)
 * @param st    the stamp, or NULL for none
 * @param buf   where the frame starts (e.g. an mbuf's data)
 * @param room  bytes writable at @buf
 * @return the frame's length in bytes (>= 60); -ENOSPC when @room is
 *         short; -EMSGSIZE when the headers or the payload do not fit
 *         frame_len or 1514 bytes; -EINVAL for a level above 255; -EIO
 *         when libsrtp refuses (e.g. an index protected twice). Nothing
 *         is sent on error, but the buffer may have been written. Owner
 *         thread only.
 */
int vr_gen_tx_rtp(struct vr_gen_tx *t, const struct vr_gen_rtp_info *ri, const struct vr_gen_stamp *st, uint8_t *buf,
		  size_t room);

/**
 * Build one RTCP frame: SR (RFC 3550 6.4.1) with no report blocks, then
 * SDES with the stream's CNAME (6.5.1), SRTCP-protected with SRTP (RFC
 * 3711 3.4).
 *
 * @param si    the SR's contents (vr_gen_voice_next())
 * @param ntp   the NTP timestamp of si->ns (64-bit 32.32 fixed point,
 *              e.g. vr_gen_ntp_from_unix_ns() of the wallclock)
 * @return frame length, -ENOSPC, -EIO as vr_gen_tx_rtp(). Owner thread only.
 */
int vr_gen_tx_rtcp(struct vr_gen_tx *t, const struct vr_gen_sr_info *si, uint64_t ntp, uint8_t *buf, size_t room);

/**
 * Payload bytes of every RTP packet of @t with frame_len (with the audio
 * level element if configured): what vr_gen_voice_params.fixed_payload
 * should be for SR octet counts to match. 0 without frame_len.
 */
uint32_t vr_gen_tx_fixed_payload(const struct vr_gen_tx *t);

/** 64-bit NTP timestamp (RFC 5905 era 0, 32.32 seconds since 1900) of a Unix time in ns. */
uint64_t vr_gen_ntp_from_unix_ns(uint64_t unix_ns);

#endif
