/* SPDX-License-Identifier: BSD-3-Clause */
/* Read-only statistics of the relay's members (relay_stats.c) for a caller that already holds the member. */
#ifndef VOXRELAY_RELAY_STATS_H
#define VOXRELAY_RELAY_STATS_H

#include "voxrelay/relay.h"

/**
 * Statistics of SSRC number @idx (0 .. nssrc - 1, in the order given to
 * vr_relay_member_add()) of @member, a member of @room, for the control
 * plane: vr_relay_ssrc_stats() without the search for the member by id,
 * for a caller already walking the room's slots (a room snapshot costs one
 * pass over them, not one per member). Reads only: the RFC 3550 A.3
 * interval state behind an RR's fraction lost (vr_rtpstats_report()) is
 * left alone, so calling this does not disturb the reports. Iterate with
 * idx = 0, 1, ... until -ERANGE.
 *
 * @param room    the room of @member (its clock judges "speaking")
 * @param member  a member slot of @room in use (members[s].in_use)
 * @param idx     which of its SSRCs
 * @param out     filled on success
 * @return 0; -EINVAL (NULL argument), -ERANGE (@idx >= its SSRC count).
 *         Owner thread (or a reader that tolerates torn counters). No
 *         allocation. Sources: RFC 3550 A.3 and A.8, RFC 3711 3.3.1,
 *         RFC 6464.
 */
int vr_relay_member_ssrc_stats(const struct vr_relay_room *room, const struct vr_relay_member *member,
			       unsigned int idx, struct vr_relay_ssrc_stats *out);

#endif
