/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's SRTP suites by name and key length, without libsrtp: shared by the dataplane, the control plane and the generators. */
#include <errno.h>
#include <strings.h>

#include "voxrelay/relay.h"

const char *vr_relay_suite_name(enum vr_relay_suite s)
{
	switch (s) {
	case VR_RELAY_SUITE_NONE:
		return "NONE";
	case VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80";
	case VR_RELAY_SUITE_AEAD_AES_128_GCM:
		return "AEAD_AES_128_GCM";
	default:
		return "unknown";
	}
}

int vr_relay_suite_key_len(enum vr_relay_suite s)
{
	switch (s) {
	case VR_RELAY_SUITE_NONE:
		return 0;
	case VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80:
		return VR_RELAY_KEY_LEN_AES_CM_128;
	case VR_RELAY_SUITE_AEAD_AES_128_GCM:
		return VR_RELAY_KEY_LEN_AES_128_GCM;
	default:
		return -EINVAL;
	}
}

int vr_relay_suite_parse(const char *name)
{
	for (int s = VR_RELAY_SUITE_NONE; s < VR_RELAY_SUITE_MAX; s++)
		if (strcasecmp(name, vr_relay_suite_name((enum vr_relay_suite)s)) == 0)
			return s;
	return -EINVAL;
}
