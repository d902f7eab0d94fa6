/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to vrcore: the IP+UDP parser and the ones'-complement sums that parse.c, encap.c and relaypkt.c share. */
#ifndef VOXRELAY_LIB_PKT_PRIV_H
#define VOXRELAY_LIB_PKT_PRIV_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#include "voxrelay/drop.h"
#include "voxrelay/pkt.h"

/*
 * The IPv4 or IPv6 header at @ip and what follows it, with exactly the
 * checks vr_pkt_parse() applies after the Ethernet header (see pkt.h), so a
 * client's packet is held to the same rules whether it arrived directly or
 * inside a tunnel. @avail: bytes from @ip to the end of what may hold the
 * packet. @family: AF_INET or AF_INET6, the version the caller expects (a
 * different version nibble is IPV4_VERSION / IPV6_VERSION; any other
 * @family is L2_ETHERTYPE, as an unknown ethertype would be). @pi->l3_off
 * must already hold @ip's offset in the frame; l3_len, l4_off, payload_*,
 * key and cls are filled from it. Reads only [ip, ip + avail).
 */
enum vr_drop vr_parse_ip(const uint8_t *ip, uint32_t avail, uint8_t family, struct vr_pkt_info *pi);

/*
 * Ones'-complement sums (RFC 1071) in memory order, as DPDK's rte_raw_cksum
 * returns them. DPDK 22.11 adds 16 bits at a time in one dependency chain;
 * these add 32-bit words into a 64-bit accumulator (RFC 1071 section 2(B):
 * the sum is independent of word size), which is what makes the headers of
 * a 218-byte voice frame cheap to checksum at 10 Mpps.
 */
static inline uint32_t vr_csum_fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static inline uint64_t vr_csum_words(const uint8_t *p, uint32_t n)
{
	uint64_t s = 0;
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		s += w;
	}
	if (i + 2 <= n) {
		uint16_t w;

		memcpy(&w, p + i, 2);
		s += w;
		i += 2;
	}
	if (i < n) {
		/* The odd byte is the first byte of a zero-padded word. */
		union { uint8_t b[2]; uint16_t w; } last = { { p[i], 0 } };

		s += last.w;
	}
	return s;
}

/* Pseudo-header sums (RFC 768, RFC 8200 section 8.1) of an IP header. */
static inline uint64_t vr_csum_phdr4(const uint8_t *ip, uint8_t proto, uint16_t l4_len)
{
	return vr_csum_words(ip + 12, 8) + rte_cpu_to_be_16((uint16_t)proto) + rte_cpu_to_be_16(l4_len);
}

static inline uint64_t vr_csum_phdr6(const uint8_t *ip, uint8_t proto, uint32_t l4_len)
{
	return vr_csum_words(ip + 8, 32) + rte_cpu_to_be_32((uint32_t)proto) + rte_cpu_to_be_32(l4_len);
}

#endif
