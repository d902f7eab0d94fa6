/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the lbcore unit tests: the shared assertions and a flow key generator. */
#ifndef VOXRELAY_TESTS_LBCORE_CHECK_H
#define VOXRELAY_TESTS_LBCORE_CHECK_H

#include "../common/check.h"
#include "voxrelay/common.h"

/* Distinct IPv4 UDP flow number @i towards one VIP. */
static inline void check_flow_key(struct vr_flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->src[10] = 0xff;
	k->src[11] = 0xff;
	k->src[12] = 10;
	k->src[13] = (uint8_t)(i >> 16);
	k->src[14] = (uint8_t)(i >> 8);
	k->src[15] = (uint8_t)i;
	k->dst[10] = 0xff;
	k->dst[11] = 0xff;
	k->dst[12] = 192;
	k->dst[13] = 0;
	k->dst[14] = 2;
	k->dst[15] = 10;
	k->sport = (uint16_t)(1024 + (i >> 24));
	k->dport = 50000;
	k->proto = 17;
	k->family = 2;
	k->vip_id = 1;
}

#endif
