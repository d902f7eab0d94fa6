/* SPDX-License-Identifier: BSD-3-Clause */
/* Read-only statistics of the relay's members for the control plane: per SSRC receive figures, last SR, speaker state. */
#include <errno.h>
#include <string.h>

#include "voxrelay/relay_stats.h"

int vr_relay_ssrc_stats(const struct vr_relay_room *room, uint32_t member_id, unsigned int idx,
			struct vr_relay_ssrc_stats *out)
{
	const struct vr_relay_member *m;

	if (!room || !out)
		return -EINVAL;
	/* the lookup only reads the room */
	m = vr_relay_member_find((struct vr_relay_room *)room, member_id);
	if (!m)
		return -ENOENT;
	return vr_relay_member_ssrc_stats(room, m, idx, out);
}

int vr_relay_member_ssrc_stats(const struct vr_relay_room *room, const struct vr_relay_member *m, unsigned int idx,
			       struct vr_relay_ssrc_stats *out)
{
	const struct vr_relay_stream *st;

	if (!room || !m || !out)
		return -EINVAL;
	if (idx >= m->nssrc)
		return -ERANGE;
	st = &m->streams[idx];
	memset(out, 0, sizeof(*out));
	out->member_id = m->id;
	out->ssrc = st->ssrc;
	out->started = st->started;
	out->roc = vr_relay_stream_roc(st);
	out->rtcp_packets = st->rtcp_packets;
	out->sr = st->sr;
	if (st->started) {
		/* the const accessors of rtpstats: vr_rtpstats_report() would close
		 * the RR interval (expected_prior/received_prior) */
		out->packets = st->stats.packets;
		out->bytes = st->stats.bytes;
		out->cumulative_lost = vr_rtpstats_cum_lost(&st->stats);
		out->ext_highest_seq = vr_rtpstats_ext_max(&st->stats);
		out->expected = vr_rtpstats_expected(&st->stats);
		out->jitter = vr_rtpstats_jitter(&st->stats);
		out->jitter_ms = vr_rtpstats_jitter_ms(&st->stats);
	}
	out->level_heard = m->spk.heard;
	out->level = m->spk.heard ? m->spk.level : 127;
	out->voice = m->spk.voice;
	out->smoothed_level = (uint8_t)(127 - (m->spk.loud + 8) / 16);
	out->speaking = vr_relay_member_speaking(m, room->last_ns);
	out->level_ns = m->spk.heard_ns;
	return 0;
}
