/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's receive classifier: what one received frame is (stamped RTP, RTCP, other) and where it went. */
#ifndef VOXRELAY_GEN_RX_H
#define VOXRELAY_GEN_RX_H

#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/relaypkt.h" /* enum vr_relay_encap */

/** What a received frame is. Values are stable (counters are indexed by them). */
#define VR_GEN_RX_KINDS(X) \
	X(RTP, "rtp")                    /* RTP with a stamp: stream/seq/tx_tsc valid */ \
	X(RTP_UNSTAMPED, "rtp_unstamped") /* valid RTP without a stamp (not ours, or the relay's own) */ \
	X(RTCP, "rtcp")                  /* RTCP by RFC 5761 section 4 (PT 192..223) */ \
	X(UDP_OTHER, "udp_other")        /* other UDP payload: STUN, DTLS... (@demux says which, RFC 7983) */ \
	X(NOT_UDP, "not_udp")            /* a valid frame that is no UDP: ARP, ND, ICMP, TCP */ \
	X(MALFORMED, "malformed")        /* see enum vr_gen_rx_err */

enum vr_gen_rx_kind {
#define VR_GEN_RX_KIND_ENUM(id, name) VR_GEN_RX_##id,
	VR_GEN_RX_KINDS(VR_GEN_RX_KIND_ENUM)
#undef VR_GEN_RX_KIND_ENUM
	VR_GEN_RX_KIND_MAX
};

/**
 * Why a frame is malformed (kind VR_GEN_RX_MALFORMED); VR_GEN_RX_ERR_OK (0)
 * otherwise. Coarse on purpose, one counter per layer; the detail is in
 * struct vr_gen_rx_info's @drop (enum vr_drop) or @rtp_err (enum
 * vr_rtp_err), see vr_gen_rx_detail_name(). Names are stable; new reasons
 * are only appended.
 */
#define VR_GEN_RX_ERRS(X) \
	X(OK, "none") \
	X(FRAME, "frame_malformed")   /* Ethernet/IP/UDP refused by vr_pkt_parse() (@drop) */ \
	X(TUNNEL, "tunnel_malformed") /* GUE header or the encapsulated packet refused (@drop) */ \
	X(RTP, "rtp_malformed")       /* RTP-range payload refused by vr_rtp_parse() (@rtp_err) */ \
	X(RTCP, "rtcp_malformed")     /* RTCP refused by vr_rtcp_parse() (@rtp_err) */

enum vr_gen_rx_err {
#define VR_GEN_RX_ERR_ENUM(id, name) VR_GEN_RX_ERR_##id,
	VR_GEN_RX_ERRS(VR_GEN_RX_ERR_ENUM)
#undef VR_GEN_RX_ERR_ENUM
	VR_GEN_RX_ERR_MAX
};

/** How vr_gen_rx_classify() reads frames. Zeroed = GUE off, plain RTP, stamp id VR_GEN_STAMP_EXT_ID. */
struct vr_gen_rx_cfg {
	uint16_t gue_port; /**< UDP destination port of GUE (host order); 0: no GUE decapsulation */
	uint8_t opaque;    /**< payloads are SRTP/SRTCP (RFC 3711): stamp only from the RFC 8285 element */
	uint8_t stamp_id;  /**< RFC 8285 id of the stamp element, 1..14; 0: VR_GEN_STAMP_EXT_ID */
};

/** What vr_gen_rx_classify() found. Addresses and ports are those of the (inner) UDP datagram. */
struct vr_gen_rx_info {
	uint8_t kind;        /**< enum vr_gen_rx_kind */
	uint8_t err;         /**< enum vr_gen_rx_err */
	uint8_t drop;        /**< enum vr_drop: detail of FRAME/TUNNEL, else VR_DROP_NONE */
	uint8_t rtp_err;     /**< enum vr_rtp_err: detail of RTP/RTCP, else VR_RTP_OK */
	uint8_t family;      /**< AF_INET / AF_INET6 of the (inner) datagram; 0 if none */
	uint8_t outer_family; /**< AF_INET / AF_INET6 of the frame's own IP header; 0 if none */
	uint8_t encap;       /**< enum vr_relay_encap: NONE, GUE, IPIP (also set on TUNNEL errors) */
	uint8_t demux;       /**< enum vr_demux of the UDP payload (RFC 7983) */
	uint8_t has_vlan;    /**< one 802.1Q tag */
	uint8_t pt;          /**< RTP payload type, or RTCP packet type of the first packet */
	uint8_t marker;      /**< RTP M bit */
	uint8_t stamped;     /**< the stamp fields below are valid (kind RTP) */
	uint16_t vlan_tci;   /**< host order, if has_vlan */
	uint16_t rtp_seq;    /**< RTP sequence number */
	uint32_t rtp_ts;     /**< RTP timestamp */
	uint32_t ssrc;       /**< RTP SSRC, or RTCP sender SSRC (0 if the packet has none) */
	uint32_t stream;     /**< stamp: generator stream */
	uint32_t seq;        /**< stamp: the stream's packet number */
	uint64_t tx_tsc;     /**< stamp: TSC cycles at transmission */
	uint16_t sport, dport; /**< host order */
	uint16_t payload_off;  /**< UDP payload, bytes from the frame start */
	uint16_t payload_len;  /**< UDP payload bytes */
	uint32_t rtp_payload_len; /**< RTP payload bytes (padding excluded unless opaque) */
	struct vr_addr src, dst; /**< (inner) IP addresses: @dst tells which receiver */
};

/**
 * Classify one received Ethernet frame.
 *
 * Layers: Ethernet II with at most one 802.1Q tag, IPv4 (no options, valid
 * header checksum) or IPv6 (no extension headers), UDP (vr_pkt_parse()).
 * UDP to @cfg->gue_port is GUE (draft-ietf-intarea-gue-09 section 3.1
 * variant 0 as dataplane/lib/encap.c writes it; variant 1 is accepted too)
 * and IP protocol 4/41 is IPIP/IP6IP6/4in6/6in4 (RFC 2003, RFC 2473): the
 * inner packet is parsed with the same rules (vr_relay_frame_parse()).
 * The UDP payload is demultiplexed by its first byte (RFC 7983 section 7);
 * in the RTP range, PT 192..223 is RTCP (RFC 5761 section 4), validated as
 * a compound (RFC 3550 A.2, reduced size allowed, RFC 5506) unless opaque
 * (SRTCP: only version and the 8-byte minimum); everything else is RTP
 * (RFC 3550 5.1) whose stamp is looked for with vr_gen_stamp_find_hdr().
 *
 * @param cfg    decapsulation and stamp settings; NULL: all defaults
 * @param frame  first byte of the Ethernet header
 * @param len    frame bytes
 * @param ri     filled (zeroed first; layers found before an error stay set)
 * @return @ri->err: VR_GEN_RX_ERR_OK, or why the frame is malformed. Never
 *         reads outside [frame, frame + len). Pure, thread-safe, no
 *         allocation.
 */
enum vr_gen_rx_err vr_gen_rx_classify(const struct vr_gen_rx_cfg *cfg, const uint8_t *frame, uint32_t len,
				      struct vr_gen_rx_info *ri);

/** Stable name of a kind ("rtp", "rtcp"...); "unknown" if out of range. Thread-safe. */
const char *vr_gen_rx_kind_name(unsigned int kind);

/** Stable name of a reason ("frame_malformed"...); "unknown" if out of range. Thread-safe. */
const char *vr_gen_rx_err_name(unsigned int err);

/**
 * The detailed reason of a malformed frame, for finer counters: the
 * vr_drop_name() of @ri->drop for FRAME/TUNNEL, the vr_rtp_err_name() of
 * @ri->rtp_err for RTP/RTCP, "none" when @ri is not malformed. Thread-safe.
 */
const char *vr_gen_rx_detail_name(const struct vr_gen_rx_info *ri);

#endif
