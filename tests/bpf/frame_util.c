/* SPDX-License-Identifier: BSD-3-Clause */
/* Header writers shared by the BPF fixtures (decap, steer): Internet checksums, big-endian fields, addresses, Ethernet. */
#include "frame_util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t mac_dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const uint8_t mac_src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void addr(const char *s, int v6, uint8_t *out)
{
	if (inet_pton(v6 ? AF_INET6 : AF_INET, s, out) != 1) {
		fprintf(stderr, "bad fixture address %s\n", s);
		exit(2);
	}
}

void ipv4_fix_csum(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, csum_fold(csum_add(0, ip, hl < 20 ? 20 : hl)));
}

void l4_fix_csum(const uint8_t *ip, uint8_t proto, uint8_t *l4, size_t len, size_t ck)
{
	uint32_t sum = 0;
	uint16_t c;

	put16(l4 + ck, 0);
	if ((ip[0] >> 4) == 4)
		sum = csum_add(sum, ip + 12, 8);
	else
		sum = csum_add(sum, ip + 8, 32);
	sum += proto + (uint32_t)len;
	sum = csum_add(sum, l4, len);
	c = csum_fold(sum);
	put16(l4 + ck, proto == 17 && c == 0 ? 0xffff : c);
}

size_t put_eth(uint8_t *p, int vlan, uint16_t type)
{
	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	if (vlan) {
		put16(p + 12, 0x8100);
		put16(p + 14, VLAN_TCI);
		put16(p + 16, type);
		return 18;
	}
	put16(p + 12, type);
	return 14;
}
