/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's fan-out core: rooms, members, per-member SRTP contexts, and the per-packet unprotect/protect-per-recipient path. */
#ifndef VOXRELAY_RELAY_H
#define VOXRELAY_RELAY_H

#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/roc.h"
#include "voxrelay/rtpstats.h"

/*
 * Threading: a room and everything in it (members, their libsrtp sessions,
 * statistics, counters) belongs to ONE thread, the lcore that owns the
 * room. No function below locks anything; none may be called on the same
 * room from two threads at once (control changes are handed to the owning
 * lcore, e.g. over a ring). Different rooms are independent.
 * vr_relay_global_init() is the one exception: call it once per process
 * before any room exists.
 *
 * Library: these live in the static library `vrrelay`
 * (dataplane/lib/meson.build, dependency vr_relay_dep), which depends on
 * vrcore and libsrtp2; vrcore itself stays free of libsrtp.
 */

/** Most SSRCs one member sends (audio, video, RTX, ...). */
#define VR_RELAY_MAX_SSRCS 4
/** Most members of one room. */
#define VR_RELAY_MAX_MEMBERS 256
/** SRTP/SRTCP replay window of every context (RFC 3711 3.3.2; libsrtp allows up to 32767). */
#define VR_RELAY_REPLAY_WINDOW 1024
/** Master key + salt bytes of AES_CM_128_HMAC_SHA1_80 (RFC 4568 6.2.1: 16 + 14). */
#define VR_RELAY_KEY_LEN_AES_CM_128 30
/** Master key + salt bytes of AEAD_AES_128_GCM (RFC 7714 12: 16 + 12). */
#define VR_RELAY_KEY_LEN_AES_128_GCM 28
/**
 * Tailroom every output buffer needs beyond the plaintext the sender sent:
 * SRTP appends the authentication tag (10 bytes for HMAC_SHA1_80, 16 for
 * AEAD_AES_128_GCM, RFC 3711 3.1 / RFC 7714 7); SRTCP appends the E flag
 * and 31-bit index (4 bytes) and then the tag (RFC 3711 3.4). We use no
 * MKI. The output is written from the buffer's first byte (no headroom:
 * the caller puts the UDP/IP/L2 headers before it).
 */
#define VR_RELAY_TAILROOM_RTP 16
#define VR_RELAY_TAILROOM_RTCP (4 + 16)
#define VR_RELAY_TAILROOM VR_RELAY_TAILROOM_RTCP

/** SRTP protection profile of a member (both directions use the same one). */
enum vr_relay_suite {
	VR_RELAY_SUITE_NONE = 0,                /**< plain RTP/RTCP: no authentication */
	VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, /**< RFC 3711 default, WebRTC SDES */
	VR_RELAY_SUITE_AEAD_AES_128_GCM,        /**< RFC 7714 */
	VR_RELAY_SUITE_MAX
};

/** Stable name of a suite ("AES_CM_128_HMAC_SHA1_80", ...); "unknown" if out of range. */
const char *vr_relay_suite_name(enum vr_relay_suite s);

/** Master key + salt length of @s in bytes (30, 28; 0 for NONE); -EINVAL if out of range. */
int vr_relay_suite_key_len(enum vr_relay_suite s);

/**
 * Why the relay dropped a packet (or one copy of it). Counted per room,
 * names stable, new reasons only appended. Per-copy reasons
 * (NO_OUT_BUFFER, OUT_BUFFER_SMALL, PROTECT_FAIL) count once per recipient.
 */
#define VR_RELAY_DROPS(X) \
	X(NONE, "none") \
	X(NOT_RTP, "relay_not_rtp")                   /* RFC 7983: empty, unknown, ZRTP, TURN channel */ \
	X(RTP_MALFORMED, "relay_rtp_malformed")       /* vr_rtp_parse() refused the header */ \
	X(RTCP_MALFORMED, "relay_rtcp_malformed")     /* shorter than a header + sender SSRC */ \
	X(UNKNOWN_SSRC, "relay_unknown_ssrc")         /* no member of the room sends this SSRC */ \
	X(SRC_MISMATCH, "relay_src_mismatch")         /* member with a fixed address, packet from elsewhere */ \
	X(AUTH_FAIL, "relay_auth_fail")               /* SRTP/SRTCP authentication failed */ \
	X(REPLAY, "relay_replay")                     /* index already seen or older than the window */ \
	X(SRTP_ERROR, "relay_srtp_error")             /* any other unprotect error */ \
	X(TOO_MANY_SPEAKERS, "relay_too_many_speakers") /* max_speakers already speaking */ \
	X(NO_OUT_BUFFER, "relay_no_out_buffer")       /* caller gave fewer buffers than recipients (per copy) */ \
	X(OUT_BUFFER_SMALL, "relay_out_buffer_small") /* buffer below len + tailroom (per copy) */ \
	X(PROTECT_FAIL, "relay_protect_fail")         /* srtp_protect refused (per copy) */

enum vr_relay_drop {
#define VR_RELAY_DROP_ENUM(id, name) VR_RELAY_DROP_##id,
	VR_RELAY_DROPS(VR_RELAY_DROP_ENUM)
#undef VR_RELAY_DROP_ENUM
	VR_RELAY_DROP_MAX
};

/** Stable name of a drop reason; "unknown" if out of range. Thread-safe. */
const char *vr_relay_drop_name(enum vr_relay_drop d);

/** What vr_relay_input() decided for a packet. */
enum vr_relay_verdict {
	VR_RELAY_FORWARD = 0, /**< authenticated; out->count copies produced (may be 0) */
	VR_RELAY_SLOW_PATH,   /**< STUN or DTLS (RFC 7983): hand the packet to the slow path untouched */
	VR_RELAY_DROP,        /**< dropped; out->reason says why */
};

/** Receive state of one SSRC a member sends. */
struct vr_relay_stream {
	uint32_t ssrc;
	uint8_t started;         /**< an RTP packet of it authenticated */
	struct vr_roc roc;       /**< ROC and s_l of the highest authenticated packet (RFC 3711 3.3.1) */
	uint64_t highest;        /**< its 48-bit index */
	struct vr_rtpstats stats; /**< RFC 3550 A.1/A.3/A.8 over the authenticated packets */
	uint64_t rtcp_packets;   /**< SRTCP/RTCP datagrams authenticated from this SSRC */
	uint64_t roc_resyncs;    /**< libsrtp's ROC disagreed with ours after unprotect (never expected) */
};

/** Counters of one member. */
struct vr_relay_member_counters {
	uint64_t rx_packets, rx_bytes; /**< authenticated datagrams from it, plaintext bytes */
	uint64_t tx_packets, tx_bytes; /**< copies produced for it, protected bytes */
	uint64_t rx_drops;             /**< its packets dropped after the SSRC lookup */
	uint64_t relatches;            /**< latched address moved (NAT rebinding) */
};

/** One member of a room. Fields are read-only outside relay.c. */
struct vr_relay_member {
	uint32_t id;
	uint8_t in_use;
	uint8_t suite;           /**< enum vr_relay_suite */
	uint8_t nssrc;
	uint8_t addr_fixed;      /**< address given by the control plane: never latched */
	uint8_t addr_verified;   /**< an address we may send to (fixed, or latched from an authenticated packet) */
	uint8_t latched;         /**< the address was learned from a packet */
	uint16_t port;           /**< transport port, host order */
	struct vr_addr addr;     /**< transport address */
	struct vr_relay_stream streams[VR_RELAY_MAX_SSRCS];
	void *srtp_in;           /**< srtp_t: keys of what the member sends (one stream per SSRC) */
	void *srtp_out;          /**< srtp_t: keys of what it receives (one stream per forwarded SSRC) */
	/* Its outbound master key||salt: libsrtp does not give keys back, and a
	 * stream must be added for every SSRC of a member that joins later. */
	uint8_t out_key[VR_RELAY_KEY_LEN_AES_CM_128];
	/* 1 + highest index protected into srtp_out, per [sender slot][its SSRC]; 0 = none yet. */
	uint64_t *out_index;
	uint64_t last_rtp_ns;    /**< arrival of its last authenticated RTP (speaker tracking) */
	struct vr_relay_member_counters c;
};

/** Room configuration. */
struct vr_relay_room_conf {
	uint32_t id;
	struct vr_addr vip;      /**< the VIP the room's port belongs to */
	uint16_t vip_port;       /**< host order */
	uint16_t max_members;    /**< 2 .. VR_RELAY_MAX_MEMBERS */
	uint16_t max_speakers;   /**< 1 .. max_members: members whose RTP was forwarded in the last second */
};

/** One room: a VIP:port. Owned by one thread (see above). Fields read-only outside relay.c. */
struct vr_relay_room {
	struct vr_relay_room_conf conf;
	uint32_t nmembers;
	struct vr_relay_member *members;  /**< conf.max_members slots */
	/* SSRC -> slot: open addressing, linear probing, power-of-two size. */
	uint32_t *ht_ssrc;
	uint16_t *ht_slot;                /**< slot + 1; 0 = empty */
	uint32_t ht_mask;
	uint64_t drops[VR_RELAY_DROP_MAX];
	uint64_t rx_packets, tx_packets, slow_path;
};

/** Member configuration for vr_relay_member_add(). */
struct vr_relay_member_conf {
	uint32_t id;                        /**< unique in the room */
	uint32_t ssrcs[VR_RELAY_MAX_SSRCS]; /**< SSRCs the member sends (RTP and RTCP sender SSRC) */
	uint32_t nssrc;                     /**< 1 .. VR_RELAY_MAX_SSRCS */
	enum vr_relay_suite suite;
	const uint8_t *in_key;   /**< master key||salt of what it sends (vr_relay_suite_key_len() bytes) */
	const uint8_t *out_key;  /**< master key||salt of what it receives */
	const struct vr_addr *addr; /**< fixed transport address, or NULL to latch one */
	uint16_t port;           /**< with @addr, host order */
	uint32_t clock_hz;       /**< RTP clock of its streams for the jitter; 0 = 48000 */
};

/** One output copy; the caller fills buf/cap, vr_relay_input() the rest. */
struct vr_relay_tx {
	uint8_t *buf;        /**< in: where to write (must not overlap the input) */
	uint32_t cap;        /**< in: bytes at @buf; needs input len + VR_RELAY_TAILROOM */
	uint32_t len;        /**< out: protected datagram length */
	uint32_t member_id;  /**< out: recipient */
	struct vr_addr addr; /**< out: destination address */
	uint16_t port;       /**< out: destination port, host order */
};

/** Output of vr_relay_input(). */
struct vr_relay_out {
	struct vr_relay_tx *tx;  /**< in: caller's array */
	uint32_t ntx;            /**< in: its length (a room of N members needs N - 1) */
	uint32_t count;          /**< out: copies filled, tx[0 .. count - 1] */
	enum vr_relay_drop reason; /**< out: with VR_RELAY_DROP */
	uint32_t sender_id;      /**< out: with VR_RELAY_FORWARD */
};

/**
 * Initialise libsrtp (srtp_init()). Call once per process, from one
 * thread, before any room is created.
 * @return 0, or -EIO if libsrtp refuses.
 */
int vr_relay_global_init(void);

/**
 * Create an empty room.
 *
 * @param conf  its configuration (copied)
 * @return the room, or NULL with errno EINVAL (bad limits) or ENOMEM.
 *         Control path (allocates).
 */
struct vr_relay_room *vr_relay_room_create(const struct vr_relay_room_conf *conf);

/** Free a room, its members and their libsrtp sessions. Accepts NULL. Owner thread only. */
void vr_relay_room_free(struct vr_relay_room *room);

/**
 * Add a member: creates its inbound session (one SRTP stream per SSRC it
 * sends, @in_key), its outbound session (one stream per SSRC of every other
 * member, @out_key), and a stream for each of its SSRCs in every other
 * member's outbound session. Every context has a replay window of
 * VR_RELAY_REPLAY_WINDOW and allow_repeat_tx = 0 (RFC 3711 3.3.2).
 *
 * @return 0; -EINVAL (bad conf, key missing for an SRTP suite, SSRC
 *         repeated), -EEXIST (id or an SSRC already in the room), -ENOSPC
 *         (room full), -ENOMEM, -EIO (libsrtp refused). On error the room
 *         is unchanged. Control path (allocates), owner thread only.
 */
int vr_relay_member_add(struct vr_relay_room *room, const struct vr_relay_member_conf *mc);

/**
 * Remove a member and its SSRCs' streams from every other outbound session.
 * @return 0, or -ENOENT. Owner thread only.
 */
int vr_relay_member_remove(struct vr_relay_room *room, uint32_t id);

/**
 * Fix a member's transport address (verified from now on, never latched),
 * or with @addr NULL forget it: the member gets nothing until a packet of
 * it authenticates and its source is latched.
 *
 * @param port  host order
 * @return 0, -ENOENT, -EINVAL (port 0 with an address). Owner thread only.
 */
int vr_relay_member_set_address(struct vr_relay_room *room, uint32_t id, const struct vr_addr *addr,
				uint16_t port);

/** The member with @id, or NULL. Owner thread only. */
struct vr_relay_member *vr_relay_member_find(struct vr_relay_room *room, uint32_t id);

/**
 * Relay one UDP payload that arrived for the room.
 *
 * RFC 7983 demux (STUN, DTLS -> VR_RELAY_SLOW_PATH, payload untouched);
 * RTP or RTCP by RFC 5761 section 4; the sender found by SSRC (RTP header,
 * or the RTCP sender SSRC, bytes 4..7, in clear in SRTCP); unprotected IN
 * PLACE with the sender's inbound session (RFC 3711 3.3 / 3.4: replay and
 * authentication checked). Only then is the sender's address latched (or,
 * when latched before, moved by an RTP packet that advances its index),
 * its statistics updated, and, for every other member with a verified
 * address, one copy written to the next caller buffer and protected with
 * that recipient's outbound session, keeping SSRC, sequence numbers and
 * timestamps, and the sender's packet index (ROC) -- see relay.c.
 *
 * @param room    the room
 * @param p       the UDP payload, 4-byte aligned (libsrtp reads the RTP header as
 *                32-bit words; in a frame after a 14-byte Ethernet header that means
 *                a buffer start 2 bytes past a 4-byte boundary); modified
 *                (decrypted) on VR_RELAY_FORWARD; output buffers likewise aligned
 * @param len     its bytes
 * @param src     source address of the datagram
 * @param sport   source port, host order
 * @param now_ns  arrival time, ns, any monotonic clock
 * @param out     caller's output buffers (ntx of them), filled
 * @return the verdict; with VR_RELAY_DROP out->reason (also counted in
 *         room->drops). Copies that could not be produced are counted in
 *         room->drops under their per-copy reason while the verdict stays
 *         VR_RELAY_FORWARD. No allocation, no locks; owner thread only.
 */
enum vr_relay_verdict vr_relay_input(struct vr_relay_room *room, uint8_t *p, uint32_t len,
				     const struct vr_addr *src, uint16_t sport, uint64_t now_ns,
				     struct vr_relay_out *out);

#endif
