/* SPDX-License-Identifier: BSD-3-Clause */
/* Active speaker selection of the relay: the N loudest current speakers of a room by their RFC 6464 audio level. */
#include "voxrelay/relay.h"

/*
 * Why this shape. RFC 6464 lets a middlebox that "wants to forward only a
 * few of the loudest audio streams" (section 1) do so without decoding
 * anything: each packet says its level in -dBov and, with vad=on (the
 * default), whether the sender's VAD heard voice (V). Per packet levels
 * jump with every syllable, so we rank members by a smoothed loudness and
 * keep the set stable with a hangover (pauses between words do not end a
 * talk) and a hysteresis margin (two speakers of about the same level do
 * not swap every packet), the usual recipe of SFUs' "loudest N" selection.
 */

/* Smoothing per voiced packet: up by 1/4 of the difference, down by 1/8 (at
 * 50 packets/s about 80 ms and 160 ms time constants). Rounded away from the
 * current value so that it reaches the target rather than stalling 3 short. */
static uint16_t smooth(uint16_t loud, int32_t x)
{
	int32_t d = x - (int32_t)loud;

	if (d > 0)
		return (uint16_t)(loud + (d + 3) / 4);
	return (uint16_t)(loud - (-d + 7) / 8);
}

/* A current speaker: voiced within the hangover. Signed difference: a
 * packet stamped slightly earlier than the last one (two queues) counts as
 * recent rather than as 2^64 ns old. */
static bool current(const struct vr_relay_speaker *s, uint64_t now_ns)
{
	return s->voiced && (int64_t)(now_ns - s->voiced_ns) < (int64_t)VR_RELAY_SPEAKER_HANGOVER_NS;
}

bool vr_relay_member_speaking(const struct vr_relay_member *m, uint64_t now_ns)
{
	return m->spk.selected && current(&m->spk, now_ns);
}

bool vr_relay_speaker_observe(struct vr_relay_room *room, struct vr_relay_member *m, uint8_t level,
			      bool voice, uint64_t now_ns)
{
	struct vr_relay_speaker *s = &m->spk;
	bool voiced = voice && level < 127;
	uint16_t slot = (uint16_t)(m - room->members), q = 0;

	if (level > 127)
		level = 127;
	/* A talk starts from nothing (like a newcomer's) rather than from the
	 * loudness of one that ended long ago; within a talk, only voiced
	 * packets move it: a pause does not make a speaker quieter, or a
	 * quieter talker would take its place between two words. */
	if (!current(s, now_ns))
		s->loud = 0;
	if (voiced)
		s->loud = smooth(s->loud, (127 - level) * 16);
	s->level = level;
	s->voice = voice;
	s->heard_ns = now_ns;
	s->heard = 1;
	if (voiced) {
		s->voiced_ns = now_ns;
		s->voiced = 1;
	}
	/* Talks that ended leave the set first (lazily, here: nothing runs
	 * between packets), so a newcomer takes a free place, not someone's. */
	for (uint16_t i = 0; i < room->nsel;) {
		struct vr_relay_member *o = &room->members[room->sel[i]];

		if (current(&o->spk, now_ns)) {
			i++;
			continue;
		}
		o->spk.selected = 0;
		room->sel[i] = room->sel[--room->nsel];
	}
	if (s->selected)
		return true;
	if (!current(s, now_ns))
		return false;
	if (room->nsel < room->conf.max_speakers) {
		room->sel[room->nsel++] = slot;
		s->selected = 1;
		return true;
	}
	for (uint16_t i = 1; i < room->nsel; i++)
		if (room->members[room->sel[i]].spk.loud < room->members[room->sel[q]].spk.loud)
			q = i;
	if (s->loud <= room->members[room->sel[q]].spk.loud + VR_RELAY_SPEAKER_HYSTERESIS)
		return false;
	room->members[room->sel[q]].spk.selected = 0;
	room->sel[q] = slot;
	s->selected = 1;
	return true;
}
