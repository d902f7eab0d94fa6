/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's voice model of one stream: when it sends RTP, how big, with which header fields, and when its RTCP SR is due. */
#ifndef VOXRELAY_GEN_VOICE_H
#define VOXRELAY_GEN_VOICE_H

#include <stdint.h>

/*
 * One stream is one member's outgoing RTP (RFC 3550) and its RTCP sender
 * reports. The model is a pure state machine driven by the caller's clock
 * (ns on any monotonic clock): no global state, no EAL, one seeded
 * splitmix64 per stream, so a run is reproducible from its seeds.
 *
 * Speech activity: ITU-T P.59's two-state on/off model, talk spurts and
 * pauses exponentially distributed (means 1.0 s and 1.5 s by default, so
 * the talk fraction is 1.0 / 2.5 = 0.4). The state is evaluated on the
 * frame grid (one frame per ptime); durations run in continuous time so
 * that the long-run fractions do not depend on ptime.
 *
 * Codecs:
 *  - opus: 48 kHz RTP clock, dynamic PT (111 by default, what browsers
 *    offer). In talk every frame is sent with a payload drawn uniformly
 *    from [min, max] (60..160 bytes at 20 ms, scaled with ptime), the
 *    variable size of Opus VBR speech. In a pause Opus DTX sends nothing
 *    but a comfort-noise/keep-alive frame every 400 ms (VR_GEN_DTX_NS),
 *    which is what libopus' DTX and WebRTC do, of VR_GEN_OPUS_CN_PAYLOAD
 *    bytes; we chose 20 bytes, the order of a low-rate SILK comfort-noise
 *    frame, which also lets the measurement stamp ride in its payload.
 *  - g711: PCMU, PT 0, 8 kHz, 8 bytes per ms (160 bytes at 20 ms), every
 *    frame, talk or not (no silence suppression, as SIP phones send it).
 *
 * Header fields (RFC 3550 5.1): SSRC random non-zero, initial sequence
 * number and timestamp random; seq + 1 per packet sent; the timestamp
 * advances by ptime's ticks on every frame, sent or not, so it keeps
 * counting through DTX silence (RFC 3550 5.1: it reflects the sampling
 * instant). Marker (RFC 3551 4.1): the first packet of each talk spurt for
 * opus; for g711, which transmits continuously, only the stream's first
 * packet.
 *
 * RFC 6464 audio level per packet: in talk V = 1 and a level of 20..50
 * -dBov (a per-spurt loudness with a few dB of per-packet variation), in a
 * pause V = 0 and 127 (silence).
 */

#define VR_GEN_OPUS_CLOCK 48000u
#define VR_GEN_G711_CLOCK 8000u
#define VR_GEN_OPUS_PT 111u
#define VR_GEN_G711_PT 0u /**< PCMU, RFC 3551 table 4 */
#define VR_GEN_PTIME_MIN_MS 10u
#define VR_GEN_PTIME_MAX_MS 120u
#define VR_GEN_PTIME_DEFAULT_MS 20u
/** Opus talk payload range at 20 ms, bytes; scaled by ptime / 20. */
#define VR_GEN_OPUS_MIN_PAYLOAD 60u
#define VR_GEN_OPUS_MAX_PAYLOAD 160u
/** Payload of a DTX comfort-noise/keep-alive packet, bytes. */
#define VR_GEN_OPUS_CN_PAYLOAD 20u
/** DTX keep-alive period, ns: the first frame at or after 400 ms since the last packet sent. */
#define VR_GEN_DTX_NS 400000000ull
#define VR_GEN_TALK_MEAN_MS 1000u
#define VR_GEN_PAUSE_MEAN_MS 1500u
/** RTCP report interval before randomization: RFC 3550 6.2's 5 s minimum. */
#define VR_GEN_RTCP_INTERVAL_MS 5000u
/** RFC 6464 level byte of a silent packet: V = 0, 127 -dBov. */
#define VR_GEN_LEVEL_SILENCE 127u
#define VR_GEN_LEVEL_TALK_MIN 20u
#define VR_GEN_LEVEL_TALK_MAX 50u

enum vr_gen_codec {
	VR_GEN_CODEC_OPUS = 0,
	VR_GEN_CODEC_G711,
};

/** Parameters of a stream's model; zero fields take the defaults above. */
struct vr_gen_voice_params {
	enum vr_gen_codec codec;
	uint32_t ptime_ms;         /**< frame duration, 10..120 ms; 0 = 20 */
	uint32_t talk_mean_ms;     /**< mean talk spurt, ms; 0 = 1000 */
	uint32_t pause_mean_ms;    /**< mean pause, ms; 0 = 1500 */
	uint32_t rtcp_interval_ms; /**< SR interval before randomization, ms; 0 = 5000 */
	uint8_t opus_pt;           /**< opus payload type, 96..127; 0 = 111 (ignored for g711) */
	/**
	 * Bytes of every RTP payload (talk, DTX keep-alive, g711 alike) instead
	 * of the codec's sizes; 0 = the codec's. For fixed-size frame runs
	 * (RFC 2544), from vr_gen_tx_fixed_payload(), so that the SR octet
	 * counts match what is on the wire.
	 */
	uint32_t fixed_payload;
};

/** An RTP packet to send: what vr_gen_tx_rtp() builds. */
struct vr_gen_rtp_info {
	uint32_t ssrc;
	uint32_t ts;          /**< RTP timestamp, clock ticks */
	uint16_t seq;
	uint8_t pt;           /**< 0..127 */
	uint8_t marker;       /**< 0 or 1 */
	int16_t level;        /**< RFC 6464 byte (V << 7 | -dBov), or -1 for none */
	uint32_t payload_len; /**< payload bytes */
	uint32_t index;       /**< the stream's packet number from 0 (the stamp's seq) */
};

/** An RTCP sender report's contents (RFC 3550 6.4.1); the NTP time is the caller's wallclock at @ns. */
struct vr_gen_sr_info {
	uint32_t ssrc;
	uint32_t rtp_ts;  /**< RTP timestamp of the instant @ns on the stream's media clock */
	uint32_t packets; /**< RTP packets sent up to now (wraps, RFC 3550 6.4.1) */
	uint32_t octets;  /**< their payload bytes, headers and padding excluded */
	uint64_t ns;      /**< when the SR is generated, caller's clock */
};

/** vr_gen_voice_next() result bits. */
#define VR_GEN_VOICE_RTP 1u
#define VR_GEN_VOICE_RTCP 2u

/** What vr_gen_voice_next() says to send. */
struct vr_gen_voice_out {
	struct vr_gen_rtp_info rtp; /**< with VR_GEN_VOICE_RTP */
	struct vr_gen_sr_info sr;   /**< with VR_GEN_VOICE_RTCP */
};

/** One stream's state. Fields are private; one owner thread. */
struct vr_gen_voice {
	uint64_t rng;
	uint64_t t0_ns;          /* time of frame 0 */
	uint64_t ptime_ns;
	uint64_t frame;          /* next frame to consider */
	uint64_t state_end_ns;   /* end of the current talk spurt or pause */
	uint64_t last_tx_ns;     /* last RTP sent (the DTX keep-alive clock) */
	uint64_t next_rtcp_ns;
	uint64_t rtcp_interval_ns;
	double talk_mean_ns;
	double pause_mean_ns;
	uint32_t ssrc;
	uint32_t ts0;
	uint32_t ticks;          /* RTP ticks per frame */
	uint32_t clock_hz;
	uint32_t pmin, pmax;     /* payload range in talk, bytes */
	uint32_t packets;        /* RTP packets sent */
	uint32_t octets;         /* their payload bytes */
	uint16_t seq;            /* next sequence number */
	uint8_t codec;
	uint8_t pt;
	uint8_t talking;         /* the on/off state */
	uint8_t frame_talking;   /* the state the latest frame found */
	uint8_t spurt_start;     /* the next packet sent opens a talk spurt */
	uint8_t spurt_level;     /* this spurt's loudness, -dBov */
	uint8_t started;         /* a first packet was sent */
	uint32_t fixed_payload;
};

/**
 * Set up a stream's model.
 *
 * @param v         the stream's state (caller-owned memory)
 * @param p         parameters (copied); NULL for all defaults (opus, 20 ms)
 * @param seed      any 64-bit seed: SSRC, initial seq/ts, the first
 *                  frame's phase, every draw after come from it
 * @param start_ns  the stream's start on the caller's clock, ns; its first
 *                  frame falls at a random phase within one ptime after it,
 *                  as real clients' are not synchronized
 * @return 0, or -EINVAL (unknown codec, ptime outside 10..120 ms, opus_pt
 *         outside 96..127, fixed_payload above 1460 bytes, a talk or pause
 *         mean of more than an hour). Thread-safe on its own @v.
 */
int vr_gen_voice_init(struct vr_gen_voice *v, const struct vr_gen_voice_params *p, uint64_t seed, uint64_t start_ns);

/**
 * What the stream sends at @now_ns: at most one RTP packet per call (the
 * earliest due frame that transmits; silent DTX frames are passed over, their
 * timestamps counted) and, once no frame is due any more, the SR if its time
 * has come. A caller late by several frames gets them one per call: call
 * until it returns 0.
 *
 * The SR (RFC 3550 6.4.1) counts every RTP packet returned so far, this
 * call's included, so send the RTP before the SR. SRs are spaced by the
 * interval times a uniform factor in [0.5, 1.5] (RFC 3550 6.3.1; without
 * reconsideration, so without its 1/(e - 3/2) compensation), the first
 * after half of that (RFC 3550 6.2 allows half the minimum for the first).
 *
 * @param v       the stream
 * @param now_ns  caller's clock, ns, non-decreasing across calls
 * @param out     filled per the bits returned
 * @return a mask of VR_GEN_VOICE_RTP and VR_GEN_VOICE_RTCP; 0 when nothing
 *         is due. Not thread-safe: one owner per stream.
 */
unsigned int vr_gen_voice_next(struct vr_gen_voice *v, uint64_t now_ns, struct vr_gen_voice_out *out);

/**
 * The earliest time, ns, at which vr_gen_voice_next() may return
 * something (the next frame or SR; a silent frame may turn out to send
 * nothing). For a scheduler that sleeps or sorts streams by due time.
 */
uint64_t vr_gen_voice_next_due(const struct vr_gen_voice *v);

/** The stream's SSRC. */
uint32_t vr_gen_voice_ssrc(const struct vr_gen_voice *v);

/** The stream's RTP clock rate, Hz (48000 for opus, 8000 for g711). */
uint32_t vr_gen_voice_clock(const struct vr_gen_voice *v);

/** RTP timestamp ticks per frame (ptime * clock / 1000). */
uint32_t vr_gen_voice_ticks(const struct vr_gen_voice *v);

#endif
