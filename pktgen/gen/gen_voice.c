/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's voice model: P.59 talk spurts, Opus DTX or continuous G.711, RTP header fields and RTCP SR timing. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "voxrelay/rtpstats.h"
#include "voxrelay/splitmix.h"

#include "gen_voice.h"

#define NS_PER_MS 1000000ull
/* Longest payload fixed_payload may ask for: a 1514-byte frame less Ethernet, IPv4, UDP and RTP headers. */
#define FIXED_PAYLOAD_MAX 1460u
/* A talk or pause mean beyond this is a configuration mistake, and would overflow the ns clock's headroom. */
#define MEAN_MAX_MS 3600000u
/* Per-packet level variation around the spurt's loudness, dB. */
#define LEVEL_JITTER 3

static double uniform01(uint64_t *rng)
{
	return (double)(vr_splitmix64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t uniform_int(uint64_t *rng, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(vr_splitmix64(rng) % ((uint64_t)hi - lo + 1));
}

/* Exponential duration, at least 1 ns so that the state machine always moves forward. */
static uint64_t exp_ns(uint64_t *rng, double mean_ns)
{
	double d = -mean_ns * log1p(-uniform01(rng));

	return d < 1.0 ? 1 : (uint64_t)d;
}

static void spurt_begin(struct vr_gen_voice *v)
{
	v->spurt_start = 1;
	v->spurt_level = (uint8_t)uniform_int(&v->rng, VR_GEN_LEVEL_TALK_MIN + LEVEL_JITTER,
					      VR_GEN_LEVEL_TALK_MAX - LEVEL_JITTER);
}

/*
 * Bring the on/off state up to frame time @t. A spurt starts where a frame
 * finds talk after a frame that found a pause: a pause shorter than a frame
 * falls between two frames and is not heard, as an encoder's VAD would not.
 */
static void state_at(struct vr_gen_voice *v, uint64_t t)
{
	while (t >= v->state_end_ns) {
		v->talking = !v->talking;
		v->state_end_ns += exp_ns(&v->rng, v->talking ? v->talk_mean_ns : v->pause_mean_ns);
	}
	if (v->talking && !v->frame_talking)
		spurt_begin(v);
	v->frame_talking = v->talking;
}

/* Next SR after one sent at @now: RFC 3550 6.3.1's uniform [0.5, 1.5] factor avoids synchronized reports. */
static uint64_t rtcp_after(struct vr_gen_voice *v, uint64_t now, double scale)
{
	return now + (uint64_t)((double)v->rtcp_interval_ns * scale * (0.5 + uniform01(&v->rng)));
}

int vr_gen_voice_init(struct vr_gen_voice *v, const struct vr_gen_voice_params *p, uint64_t seed, uint64_t start_ns)
{
	static const struct vr_gen_voice_params defaults = { .codec = VR_GEN_CODEC_OPUS };
	uint32_t ptime, talk_ms, pause_ms, rtcp_ms;
	double talk_share;

	if (!p)
		p = &defaults;
	ptime = p->ptime_ms ? p->ptime_ms : VR_GEN_PTIME_DEFAULT_MS;
	talk_ms = p->talk_mean_ms ? p->talk_mean_ms : VR_GEN_TALK_MEAN_MS;
	pause_ms = p->pause_mean_ms ? p->pause_mean_ms : VR_GEN_PAUSE_MEAN_MS;
	rtcp_ms = p->rtcp_interval_ms ? p->rtcp_interval_ms : VR_GEN_RTCP_INTERVAL_MS;
	if ((p->codec != VR_GEN_CODEC_OPUS && p->codec != VR_GEN_CODEC_G711) || ptime < VR_GEN_PTIME_MIN_MS ||
	    ptime > VR_GEN_PTIME_MAX_MS || (p->opus_pt && (p->opus_pt < 96 || p->opus_pt > 127)) ||
	    p->fixed_payload > FIXED_PAYLOAD_MAX || talk_ms > MEAN_MAX_MS || pause_ms > MEAN_MAX_MS ||
	    rtcp_ms > MEAN_MAX_MS)
		return -EINVAL;

	memset(v, 0, sizeof(*v));
	v->rng = seed;
	v->codec = (uint8_t)p->codec;
	v->ptime_ns = ptime * NS_PER_MS;
	v->talk_mean_ns = (double)talk_ms * NS_PER_MS;
	v->pause_mean_ns = (double)pause_ms * NS_PER_MS;
	v->rtcp_interval_ns = rtcp_ms * NS_PER_MS;
	v->fixed_payload = p->fixed_payload;
	if (p->codec == VR_GEN_CODEC_OPUS) {
		v->clock_hz = VR_GEN_OPUS_CLOCK;
		v->pt = p->opus_pt ? p->opus_pt : VR_GEN_OPUS_PT;
		v->pmin = VR_GEN_OPUS_MIN_PAYLOAD * ptime / VR_GEN_PTIME_DEFAULT_MS;
		v->pmax = VR_GEN_OPUS_MAX_PAYLOAD * ptime / VR_GEN_PTIME_DEFAULT_MS;
	} else {
		v->clock_hz = VR_GEN_G711_CLOCK;
		v->pt = VR_GEN_G711_PT;
		v->pmin = v->pmax = ptime * (VR_GEN_G711_CLOCK / 1000); /* one byte per sample */
	}
	v->ticks = ptime * (v->clock_hz / 1000);

	/* RFC 3550 5.1: random SSRC (never 0, which some stacks treat as unset), seq and ts */
	do
		v->ssrc = (uint32_t)vr_splitmix64(&v->rng);
	while (v->ssrc == 0);
	v->seq = (uint16_t)vr_splitmix64(&v->rng);
	v->ts0 = (uint32_t)vr_splitmix64(&v->rng);
	v->t0_ns = start_ns + vr_splitmix64(&v->rng) % v->ptime_ns;

	/* Start in the stationary distribution: talking with the long-run talk
	 * share; the residual of an exponential duration is the same exponential. */
	talk_share = v->talk_mean_ns / (v->talk_mean_ns + v->pause_mean_ns);
	v->talking = uniform01(&v->rng) < talk_share;
	v->state_end_ns = v->t0_ns + exp_ns(&v->rng, v->talking ? v->talk_mean_ns : v->pause_mean_ns);
	v->next_rtcp_ns = rtcp_after(v, v->t0_ns, 0.5);
	return 0;
}

static uint64_t frame_ns(const struct vr_gen_voice *v, uint64_t frame)
{
	return v->t0_ns + frame * v->ptime_ns;
}

/* The payload bytes of the frame at @t, or 0 when DTX sends nothing. */
static uint32_t frame_payload(struct vr_gen_voice *v, uint64_t t)
{
	uint32_t len;

	if (v->codec == VR_GEN_CODEC_G711)
		len = v->pmin;
	else if (v->talking)
		len = uniform_int(&v->rng, v->pmin, v->pmax);
	else if (!v->started || t - v->last_tx_ns >= VR_GEN_DTX_NS)
		len = VR_GEN_OPUS_CN_PAYLOAD;
	else
		return 0;
	return v->fixed_payload ? v->fixed_payload : len;
}

static void fill_rtp(struct vr_gen_voice *v, uint64_t f, uint32_t len, struct vr_gen_rtp_info *r)
{
	r->ssrc = v->ssrc;
	r->ts = v->ts0 + (uint32_t)(f * v->ticks);
	r->seq = v->seq++;
	r->pt = v->pt;
	if (v->codec == VR_GEN_CODEC_G711)
		r->marker = !v->started;
	else
		r->marker = v->talking && v->spurt_start;
	if (v->talking) {
		int lvl = (int)v->spurt_level + (int)uniform_int(&v->rng, 0, 2 * LEVEL_JITTER) - LEVEL_JITTER;

		v->spurt_start = 0;
		r->level = (int16_t)(0x80 | lvl);
	} else {
		r->level = VR_GEN_LEVEL_SILENCE;
	}
	r->payload_len = len;
	r->index = v->packets;
	v->packets++;
	v->octets += len;
	v->started = 1;
}

unsigned int vr_gen_voice_next(struct vr_gen_voice *v, uint64_t now_ns, struct vr_gen_voice_out *out)
{
	unsigned int what = 0;
	uint64_t t;

	while ((t = frame_ns(v, v->frame)) <= now_ns) {
		uint64_t f = v->frame++;
		uint32_t len;

		state_at(v, t);
		len = frame_payload(v, t);
		if (len) {
			fill_rtp(v, f, len, &out->rtp);
			v->last_tx_ns = t;
			what |= VR_GEN_VOICE_RTP;
			break;
		}
	}
	/* the SR only once caught up, so that its counts and timestamp describe the same instant */
	if (frame_ns(v, v->frame) > now_ns && now_ns >= v->next_rtcp_ns) {
		struct vr_gen_sr_info *s = &out->sr;

		s->ssrc = v->ssrc;
		/* RFC 3550 6.4.1: the media clock at the SR's NTP instant, not a packet's timestamp */
		if (now_ns >= v->t0_ns)
			s->rtp_ts = v->ts0 + vr_rtpstats_ns_to_rtp(now_ns - v->t0_ns, v->clock_hz);
		else
			s->rtp_ts = v->ts0 - vr_rtpstats_ns_to_rtp(v->t0_ns - now_ns, v->clock_hz);
		s->packets = v->packets;
		s->octets = v->octets;
		s->ns = now_ns;
		v->next_rtcp_ns = rtcp_after(v, now_ns, 1.0);
		what |= VR_GEN_VOICE_RTCP;
	}
	return what;
}

uint64_t vr_gen_voice_next_due(const struct vr_gen_voice *v)
{
	uint64_t f = frame_ns(v, v->frame);

	return f < v->next_rtcp_ns ? f : v->next_rtcp_ns;
}

uint32_t vr_gen_voice_ssrc(const struct vr_gen_voice *v)
{
	return v->ssrc;
}

uint32_t vr_gen_voice_clock(const struct vr_gen_voice *v)
{
	return v->clock_hz;
}

uint32_t vr_gen_voice_ticks(const struct vr_gen_voice *v)
{
	return v->ticks;
}
