/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target of the gateway's frame parser: any bytes, never a crash; a parsed request always has a type and an object data. */
#include <stdlib.h>
#include <string.h>

#include "voxrelay/cp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_cp_request r;
	enum vr_cp_error e = vr_cp_request_parse((const char *)data, size, &r);

	if (e == VR_CP_E_NONE) {
		if (!r.type || !r.type[0] || !json_is_object(r.data))
			abort();
		char *f = vr_cp_frame(r.type, json_incref(r.data), r.id, NULL);

		free(f);
	}
	free(vr_cp_error_frame(e, NULL, r.id, NULL));
	vr_cp_request_release(&r);
	return 0;
}
