/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's fan-out core: rooms, members, per-member SRTP sessions (one libsrtp template each way), the per-packet unprotect/protect-per-recipient path, RFC 6464 active speakers, statistics, cache warm-up. */
#ifndef VOXRELAY_RELAY_H
#define VOXRELAY_RELAY_H

#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/roc.h"
#include "voxrelay/rtp.h"
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
/** Speakers forwarded when vr_relay_room_conf.max_speakers is 0 (RFC 6464 selection). */
#define VR_RELAY_DEFAULT_SPEAKERS 3
/**
 * A member stops being a current speaker this long after its last voiced
 * packet (V set, level < 127), or after its last packet with a level at
 * all: a hangover long enough to bridge the pauses between words.
 */
#define VR_RELAY_SPEAKER_HANGOVER_NS 500000000ull
/**
 * A current speaker outside the forwarded set replaces the quietest one in
 * it only when louder by this much (smoothed, in 1/16 dB: 48 = 3 dB), so
 * that two speakers of about the same level do not swap every packet.
 */
#define VR_RELAY_SPEAKER_HYSTERESIS 48
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
 * The suite named @name (vr_relay_suite_name()'s names, case-insensitive,
 * "NONE" included).
 * @return its enum vr_relay_suite, or -EINVAL for an unknown name. Thread-safe.
 */
int vr_relay_suite_parse(const char *name);

/* libsrtp's srtp_t is a struct srtp_ctx_t_ *: named here so that this header
 * needs no libsrtp header (vrcore and the control plane include it). */
struct srtp_ctx_t_;

/**
 * Create a libsrtp session of one direction for any SSRC: the one set-up
 * shared by the relay's members (vr_relay_member_add()), the tests'
 * independent clients, the benchmarks and relay_pcap_check. One policy of
 * type ssrc_any_inbound (@inbound) or ssrc_any_outbound: a template whose
 * per-SSRC streams libsrtp clones on an SSRC's first packet, sharing its
 * cipher and HMAC contexts (RFC 3711 4.3: the session keys do not depend on
 * the SSRC). RTP and RTCP use the same transform:
 *  - VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80: AES-128 counter mode and a
 *    10-byte HMAC-SHA1 tag, RFC 3711 5.1/5.2/4.2 (SRTCP's tag is 10 bytes
 *    too, RFC 3711 3.4); libsrtp's rtp/rtcp_default policies;
 *  - VR_RELAY_SUITE_AEAD_AES_128_GCM: AES-128-GCM with a 16-byte tag,
 *    RFC 7714 (SRTP 8.1, SRTCP 9.1).
 * allow_repeat_tx is 0: protecting an index twice fails.
 *
 * @param suite          AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM
 * @param key            master key || master salt, vr_relay_suite_key_len()
 *                       bytes (30 or 28, RFC 4568 6.2.1 / RFC 7714 12); read
 *                       here only (libsrtp derives the session keys), the
 *                       caller may wipe it on return
 * @param inbound        true: ssrc_any_inbound (unprotect what a peer sent);
 *                       false: ssrc_any_outbound (protect)
 * @param replay_window  replay window of every stream, in packets (RFC 3711
 *                       3.3.2): 64 .. 32767, or 0 for libsrtp's default of
 *                       128; the relay's members use VR_RELAY_REPLAY_WINDOW
 * @return the session (srtp_t; free with srtp_dealloc()), or NULL with
 *         errno EINVAL (suite NONE or out of range, @key NULL, window out of
 *         range), ENOMEM, or EIO (any other refusal by libsrtp).
 *         Thread-safe once srtp_init() (vr_relay_global_init()) has
 *         returned: it reads libsrtp's crypto kernel only; the session it
 *         returns belongs to one thread. A session uses the HMAC-SHA1
 *         installed when it is created (ours after vr_relay_global_init()).
 */
struct srtp_ctx_t_ *vr_relay_srtp_session(enum vr_relay_suite suite, const uint8_t *key, bool inbound,
					  uint32_t replay_window);

/**
 * Why the relay dropped a packet (or one copy of it). Counted per room,
 * names stable, new reasons only appended. Per-copy reasons
 * (NO_OUT_BUFFER, OUT_BUFFER_SMALL, PROTECT_FAIL) count once per recipient.
 * TOO_MANY_SPEAKERS (first come, first served up to max_speakers) is kept
 * for its name but no longer counted: max_speakers now picks the N loudest
 * by RFC 6464 level, and what that holds back is NOT_LOUDEST.
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
	X(TOO_MANY_SPEAKERS, "relay_too_many_speakers") /* no longer counted: see NOT_LOUDEST */ \
	X(NO_OUT_BUFFER, "relay_no_out_buffer")       /* caller gave fewer buffers than recipients (per copy) */ \
	X(OUT_BUFFER_SMALL, "relay_out_buffer_small") /* buffer below len + tailroom (per copy) */ \
	X(PROTECT_FAIL, "relay_protect_fail")         /* srtp_protect refused (per copy) */ \
	X(NOT_LOUDEST, "relay_not_loudest")           /* authenticated, but its sender is not among the room's N loudest */

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

/** The last RTCP sender report (RFC 3550 6.4.1) of one SSRC, as vr_rtcp_parse() read it. */
struct vr_relay_sr {
	uint8_t valid;                  /**< an SR of this SSRC authenticated */
	struct vr_rtcp_sender_info si;  /**< its NTP and RTP timestamps, packet and octet counts */
	uint64_t arrival_ns;            /**< when it arrived (vr_relay_input()'s now_ns) */
};

/** Receive state of one SSRC a member sends. */
struct vr_relay_stream {
	uint32_t ssrc;
	uint8_t started;         /**< an RTP packet of it authenticated */
	uint64_t highest;        /**< 48-bit index ROC * 2^16 + SEQ of the highest authenticated RTP packet (RFC 3711 3.3.1); ROC: vr_relay_stream_roc() */
	struct vr_rtpstats stats; /**< RFC 3550 A.1/A.3/A.8 over the authenticated packets */
	uint64_t rtcp_packets;   /**< SRTCP/RTCP datagrams authenticated from this SSRC */
	uint64_t roc_resyncs;    /**< libsrtp's ROC disagreed with ours after unprotect (never expected) */
	struct vr_relay_sr sr;   /**< its last sender report */
	/* Internal: per recipient slot (conf.max_members entries), 1 + the highest
	 * index of this SSRC protected into that recipient's outbound session;
	 * 0 = none yet (its libsrtp clone may not exist). Kept with the sender so
	 * one packet's fan-out reads one cache line of them. */
	uint64_t *out_index;
};

/** ROC of @st's highest authenticated RTP packet (RFC 3711 3.3.1): the upper 32 bits of its 48-bit index; 0 before any. Pure. */
static inline uint32_t vr_relay_stream_roc(const struct vr_relay_stream *st)
{
	return (uint32_t)(st->highest >> 16);
}

/**
 * Active-speaker state of a member (RFC 6464 client-to-mixer audio level),
 * updated by every authenticated RTP packet of it that carries the level
 * extension negotiated for the room. See vr_relay_speaker_observe().
 */
struct vr_relay_speaker {
	uint64_t heard_ns;   /**< arrival of its last packet with a level */
	uint64_t voiced_ns;  /**< arrival of its last voiced one (V set and level < 127) */
	uint16_t loud;       /**< smoothed loudness of its talk, (127 - level) * 16: 0 silence .. 2032 (0 dBov) */
	uint8_t heard;       /**< @heard_ns is valid */
	uint8_t voiced;      /**< @voiced_ns is valid */
	uint8_t level;       /**< last level, -dBov: 0 loudest, 127 silence */
	uint8_t voice;       /**< last V bit */
	uint8_t selected;    /**< among the room's forwarded speakers */
};

/** Counters of one member. */
struct vr_relay_member_counters {
	uint64_t rx_packets, rx_bytes; /**< authenticated datagrams from it, plaintext bytes */
	uint64_t tx_packets, tx_bytes; /**< copies produced for it, protected bytes */
	uint64_t rx_drops;             /**< its packets dropped after the SSRC lookup */
	uint64_t relatches;            /**< latched address moved (NAT rebinding) */
};

/** One member of a room. Fields are read-only outside relay*.c. */
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
	struct vr_relay_stream *streams; /**< @nssrc of them (one allocation with their out_index arrays) */
	/* srtp_t: keys of what the member sends. One ssrc_any_inbound template
	 * (one set of cipher/HMAC contexts); libsrtp clones it per SSRC after
	 * that SSRC's first packet authenticates. */
	void *srtp_in;
	/* srtp_t: keys of what it receives. One ssrc_any_outbound template; libsrtp
	 * clones it (sharing the contexts) on the first copy of each forwarded SSRC. */
	void *srtp_out;
	uint64_t last_rtp_ns;    /**< arrival of its last authenticated RTP */
	struct vr_relay_speaker spk;
	struct vr_relay_member_counters c;
};

/** Room configuration. */
struct vr_relay_room_conf {
	uint32_t id;
	struct vr_addr vip;      /**< the VIP the room's port belongs to */
	uint16_t vip_port;       /**< host order */
	uint16_t max_members;    /**< 2 .. VR_RELAY_MAX_MEMBERS */
	/**
	 * With @audio_level_id: how many of the loudest current speakers are
	 * forwarded (vr_relay_speaker_observe()); 1 .. max_members, 0 for the
	 * default VR_RELAY_DEFAULT_SPEAKERS (capped at max_members). Without
	 * it, unused: everything is forwarded.
	 */
	uint16_t max_speakers;
	/**
	 * RFC 8285 one-byte header extension id negotiated for the RFC 6464
	 * client-to-mixer audio level (a=extmap:<id>
	 * urn:ietf:params:rtp-hdrext:ssrc-audio-level), 1..14; 0 = not
	 * negotiated: no speaker selection, every packet is forwarded.
	 */
	uint8_t audio_level_id;
};

/** One room: a VIP:port. Owned by one thread (see above). Fields read-only outside relay*.c. */
struct vr_relay_room {
	struct vr_relay_room_conf conf;   /**< as given, max_speakers resolved */
	uint32_t nmembers;
	struct vr_relay_member *members;  /**< conf.max_members slots */
	/* SSRC -> slot: open addressing, linear probing, power-of-two size grown
	 * by member_add to at least twice the SSRCs; entry ssrc << 32 | (slot + 1),
	 * 0 = empty (one 8-byte word per probe). */
	uint64_t *ht;
	uint32_t ht_mask;
	uint32_t nssrcs;                  /**< SSRCs in @ht */
	/* The forwarded speakers (slots), conf.max_speakers entries, @nsel used. */
	uint16_t *sel;
	uint16_t nsel;
	uint64_t last_ns;                 /**< now_ns of the latest vr_relay_input() */
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
 * Initialise libsrtp (srtp_init()) and install our HMAC-SHA1 over
 * libsrtp's (vr_srtp_hmac_install(), voxrelay/srtp_hmac.h). Call once per
 * process, from one thread, before any room is created.
 * @return 0, or -EIO if libsrtp refuses either.
 */
int vr_relay_global_init(void);

/**
 * Create an empty room.
 *
 * @param conf  its configuration (copied; max_speakers 0 becomes
 *              VR_RELAY_DEFAULT_SPEAKERS, capped at max_members)
 * @return the room, or NULL with errno EINVAL (max_members outside 2 ..
 *         VR_RELAY_MAX_MEMBERS, max_speakers above max_members,
 *         audio_level_id above 14) or ENOMEM. Control path (allocates).
 */
struct vr_relay_room *vr_relay_room_create(const struct vr_relay_room_conf *conf);

/** Free a room, its members and their libsrtp sessions. Accepts NULL. Owner thread only. */
void vr_relay_room_free(struct vr_relay_room *room);

/**
 * Add a member: creates its inbound session (@in_key, one ssrc_any_inbound
 * template) and its outbound session (@out_key, one ssrc_any_outbound
 * template). SRTP session keys do not depend on the SSRC (RFC 3711 4.3), so
 * each session has ONE set of cipher and HMAC contexts, shared by the
 * per-SSRC streams libsrtp clones from the template: inbound after the
 * SSRC's first packet authenticates, outbound on the first copy of an SSRC
 * to this member (one small allocation on the packet path per (recipient,
 * SSRC), about 430 bytes: replay window and ROC only). Every stream has a
 * replay window of VR_RELAY_REPLAY_WINDOW and allow_repeat_tx = 0 (RFC 3711
 * 3.3.2). Our SSRC table refuses SSRCs that are not a member's before
 * libsrtp sees them, so a template never clones for a stranger.
 *
 * @return 0; -EINVAL (bad conf, key missing for an SRTP suite, SSRC
 *         repeated), -EEXIST (id or an SSRC already in the room), -ENOSPC
 *         (room full), -ENOMEM, -EIO (libsrtp refused). On error the room
 *         is unchanged. Control path (allocates), owner thread only.
 */
int vr_relay_member_add(struct vr_relay_room *room, const struct vr_relay_member_conf *mc);

/**
 * Remove a member: frees its sessions, and removes the clones of its SSRCs
 * from every other member's outbound session (srtp_remove_stream), so that
 * a member that rejoins with the same SSRCs starts a fresh index at every
 * recipient instead of being refused as a replay.
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

/** What vr_relay_receive() learnt of an authenticated packet, for vr_relay_fanout(). */
struct vr_relay_rx {
	uint32_t slot;    /**< the sender's member slot */
	uint32_t stream;  /**< index of its SSRC in the member's streams */
	uint32_t ssrc;
	uint32_t len;     /**< plaintext length, bytes */
	uint32_t roc;     /**< the sender's ROC of this packet (RTP) */
	uint16_t seq;     /**< RTP sequence number (0 for RTCP) */
	uint8_t rtcp;
	uint32_t copies;  /**< members with a verified address other than the sender: buffers vr_relay_fanout() needs */
};

/**
 * The receive half of vr_relay_input(): everything up to and including the
 * speaker selection (see vr_relay_input() for what and the RFCs), without
 * writing any copy. A caller that allocates its output buffers per packet
 * (the dataplane) calls this first and allocates @rx->copies of them only
 * for a packet that will be forwarded, then vr_relay_fanout(): a forged,
 * replayed or held-back packet costs no buffer.
 *
 * @param rx   filled with VR_RELAY_FORWARD, for vr_relay_fanout()
 * @param out  only out->reason (with VR_RELAY_DROP), out->sender_id (with
 *             VR_RELAY_FORWARD) and out->count (0) are written
 * @return the verdict, as vr_relay_input(). Owner thread only; no allocation.
 */
enum vr_relay_verdict vr_relay_receive(struct vr_relay_room *room, uint8_t *p, uint32_t len,
				       const struct vr_addr *src, uint16_t sport, uint64_t now_ns,
				       struct vr_relay_rx *rx, struct vr_relay_out *out);

/**
 * The send half of vr_relay_input(): one copy of the plaintext @p (as
 * vr_relay_receive() left it, @rx from that call, with no control change
 * of the room in between) per other member with a verified address, into
 * out->tx[0 .. out->ntx - 1], protected with the recipient's outbound
 * session at the sender's packet index. Per-copy failures are counted in
 * room->drops (NO_OUT_BUFFER, OUT_BUFFER_SMALL, PROTECT_FAIL).
 *
 * @return out->count, the copies written. Owner thread only.
 */
uint32_t vr_relay_fanout(struct vr_relay_room *room, const uint8_t *p, const struct vr_relay_rx *rx,
			 struct vr_relay_out *out);

/**
 * Relay one UDP payload that arrived for the room.
 *
 * RFC 7983 demux (STUN, DTLS -> VR_RELAY_SLOW_PATH, payload untouched);
 * RTP or RTCP by RFC 5761 section 4; the sender found by SSRC (RTP header,
 * or the RTCP sender SSRC, bytes 4..7, in clear in SRTCP); unprotected IN
 * PLACE with the sender's inbound session (RFC 3711 3.3 / 3.4: replay and
 * authentication checked). Only then is the sender's address latched (or,
 * when latched before, moved by an RTP packet that advances its index),
 * its statistics updated (an SRTCP sender report is kept for
 * vr_relay_ssrc_stats()), and, when the room selects speakers
 * (conf.audio_level_id) and the RTP packet carries the level, the speaker
 * selection consulted (vr_relay_speaker_observe()): a sender that is not
 * among the N loudest is dropped as VR_RELAY_DROP_NOT_LOUDEST, its state
 * (ROC, statistics, latching) updated all the same. Otherwise, for every
 * other member with a verified address, one copy is written to the next
 * caller buffer and protected with that recipient's outbound session,
 * keeping SSRC, sequence numbers and timestamps, and the sender's packet
 * index (ROC) -- see relay.c.
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
 *         VR_RELAY_FORWARD. No locks; owner thread only. No allocation of
 *         ours; libsrtp clones a template once per SSRC of a member
 *         (inbound, its first authenticated packet) and once per
 *         (recipient, SSRC) (outbound, the first copy), about 430 bytes
 *         each.
 */
enum vr_relay_verdict vr_relay_input(struct vr_relay_room *room, uint8_t *p, uint32_t len,
				     const struct vr_addr *src, uint16_t sport, uint64_t now_ns,
				     struct vr_relay_out *out);

/**
 * Active speaker selection (RFC 6464 client-to-mixer audio level, carried
 * in an RFC 8285 one-byte header extension in clear in SRTP), for one
 * authenticated RTP packet of @m that carries a level. vr_relay_input()
 * calls it; exposed for tests and for a control plane replaying levels.
 *
 * A member is a current speaker while its last voiced packet (V set and
 * level < 127, RFC 6464 section 3) is younger than
 * VR_RELAY_SPEAKER_HANGOVER_NS. Its loudness (127 - level, in 1/16 dB) is
 * smoothed exponentially over its voiced packets, faster up than down (1/4
 * and 1/8 of the difference: about 80 ms and 160 ms at 50 packets/s) so a
 * new talker is heard soon; unvoiced packets within the hangover leave it
 * alone (a pause between words does not make a speaker quieter), and a talk
 * that starts after the hangover starts from 0. The forwarded set holds at most
 * conf.max_speakers members: members that stopped being current speakers
 * leave it first; a current speaker joins while there is room, or replaces
 * the quietest member of the set when its smoothed loudness exceeds that
 * one's by VR_RELAY_SPEAKER_HYSTERESIS (ties keep the incumbent, so the
 * set does not flap). Members of the set are forwarded (their trailing
 * silence too, until the hangover ends); others are not.
 *
 * @param room    the room (its selection is updated)
 * @param m       a member of @room, the packet's sender
 * @param level   RFC 6464 level, 0..127 -dBov (0 loudest, 127 silence)
 * @param voice   the V bit
 * @param now_ns  the packet's arrival, ns, same clock as vr_relay_input()
 * @return true if @m's packet is to be forwarded. No allocation; owner thread only.
 */
bool vr_relay_speaker_observe(struct vr_relay_room *room, struct vr_relay_member *m, uint8_t level,
			      bool voice, uint64_t now_ns);

/**
 * Whether @m is a current speaker and in its room's forwarded set (RFC 6464
 * selection, see vr_relay_speaker_observe()).
 *
 * @param m       a member
 * @param now_ns  the time to judge at, ns, vr_relay_input()'s clock: a
 *                member last voiced VR_RELAY_SPEAKER_HANGOVER_NS or more
 *                before it is not speaking, whatever the set says
 * @return true if speaking. Pure; owner thread (or a reader that tolerates
 *         a stale answer).
 */
bool vr_relay_member_speaking(const struct vr_relay_member *m, uint64_t now_ns);

/** Receive statistics of one SSRC of a member, for the control plane. */
struct vr_relay_ssrc_stats {
	uint32_t member_id;
	uint32_t ssrc;
	uint8_t started;        /**< an RTP packet of it authenticated; the RTP figures are 0 before */
	uint64_t packets;       /**< authenticated RTP packets */
	uint64_t bytes;         /**< their plaintext payload bytes (after the RTP header) */
	int32_t cumulative_lost; /**< RFC 3550 A.3: expected - received, 24-bit signed (negative with duplicates) */
	uint32_t ext_highest_seq; /**< RFC 3550 A.3: cycles << 16 | highest sequence number */
	uint32_t expected;      /**< RFC 3550 A.3: packets expected since the first */
	uint32_t jitter;        /**< RFC 3550 A.8 interarrival jitter, RTP timestamp units */
	double jitter_ms;       /**< the same in milliseconds */
	uint32_t roc;           /**< SRTP rollover counter (RFC 3711 3.3.1) */
	uint64_t rtcp_packets;  /**< authenticated RTCP/SRTCP datagrams with this sender SSRC */
	struct vr_relay_sr sr;  /**< its last sender report, if sr.valid */
	/* The member's speaker state (RFC 6464; same for all its SSRCs). */
	uint8_t level_heard;    /**< a packet with the room's level extension authenticated */
	uint8_t level;          /**< its last level, -dBov (127 silence) */
	uint8_t voice;          /**< its last V bit */
	uint8_t smoothed_level; /**< smoothed level, -dBov (vr_relay_speaker_observe()) */
	uint8_t speaking;       /**< current speaker and forwarded, as of the room's latest packet */
	uint64_t level_ns;      /**< arrival of its last packet with a level */
};

/**
 * Statistics of SSRC number @idx (0 .. nssrc - 1, in the order given to
 * vr_relay_member_add()) of member @member_id, for the control plane.
 * Reads only: the RFC 3550 A.3 interval state behind an RR's fraction lost
 * (vr_rtpstats_report()) is left alone, so calling this does not disturb
 * the reports. Iterate with idx = 0, 1, ... until -ERANGE.
 *
 * @param room       the room
 * @param member_id  the member
 * @param idx        which of its SSRCs
 * @param out        filled on success
 * @return 0; -EINVAL (NULL argument), -ENOENT (no such member), -ERANGE
 *         (@idx >= its SSRC count). Owner thread (or a reader that tolerates
 *         torn counters). Sources: RFC 3550 A.3 and A.8, RFC 3711 3.3.1,
 *         RFC 6464.
 */
int vr_relay_ssrc_stats(const struct vr_relay_room *room, uint32_t member_id, unsigned int idx,
			struct vr_relay_ssrc_stats *out);

#endif
