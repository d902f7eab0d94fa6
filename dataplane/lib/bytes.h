/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to vrcore and vrrelay: header sizes and big-endian field access on unaligned frame bytes. */
#ifndef VOXRELAY_LIB_BYTES_H
#define VOXRELAY_LIB_BYTES_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#define VR_IPV4_HDR_LEN 20
#define VR_IPV6_HDR_LEN 40
#define VR_UDP_HDR_LEN 8
#define VR_TCP_HDR_LEN 20

/* Frames are not aligned for us (802.1Q shifts everything by 4, the
 * encapsulation lands wherever the inner packet starts), so multi-byte
 * fields go through memcpy, which compiles to one unaligned access. */
static inline uint16_t vr_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline uint32_t vr_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static inline void vr_wr16(uint8_t *p, uint16_t host)
{
	uint16_t v = rte_cpu_to_be_16(host);

	memcpy(p, &v, sizeof(v));
}

static inline void vr_wr32(uint8_t *p, uint32_t host)
{
	uint32_t v = rte_cpu_to_be_32(host);

	memcpy(p, &v, sizeof(v));
}

#endif
