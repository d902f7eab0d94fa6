/* SPDX-License-Identifier: BSD-3-Clause */
/* Stable names of the drop reasons, as counters and metrics show them. */
#include "voxrelay/drop.h"

static const char *const vr_drop_names[VR_DROP_MAX] = {
#define VR_DROP_NAME(id, name) [VR_DROP_##id] = name,
	VR_DROP_REASONS(VR_DROP_NAME)
#undef VR_DROP_NAME
};

const char *vr_drop_name(enum vr_drop d)
{
	/* Unsigned compare so a negative value cast to the enum is also caught. */
	if ((unsigned int)d >= VR_DROP_MAX)
		return "unknown";
	return vr_drop_names[d];
}
