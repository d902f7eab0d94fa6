/* SPDX-License-Identifier: BSD-3-Clause */
/* vr-bench-packet: nanoseconds per packet of parsing and encapsulation, one core, hot cache. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_ip.h>

#include "voxrelay/encap.h"
#include "voxrelay/pkt.h"

#define RUNS 7

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The 218-byte G.711 frame of ARCHITECTURE.md: 14 + 20 + 8 + 12 RTP + 160 payload + 4. */
static uint32_t make_frame(uint8_t *f, bool v6)
{
	uint32_t l4 = 8 + 176;
	uint8_t *ip = f + 14, *udp;

	memset(f, 0, 256);
	f[0] = 0x02, f[5] = 1, f[6] = 0x02, f[11] = 2;
	if (!v6) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		f[12] = 0x08, f[13] = 0x00;
		h->version_ihl = 0x45;
		h->type_of_service = 0xb8;
		h->total_length = htons((uint16_t)(20 + l4));
		h->fragment_offset = htons(0x4000);
		h->time_to_live = 60;
		h->next_proto_id = IPPROTO_UDP;
		h->src_addr = htonl(0xc6336407);
		h->dst_addr = htonl(0xcb00710a);
		h->hdr_checksum = rte_ipv4_cksum(h);
		udp = ip + 20;
	} else {
		f[12] = 0x86, f[13] = 0xdd;
		ip[0] = 0x6b, ip[1] = 0x80;
		ip[4] = 0, ip[5] = (uint8_t)l4;
		ip[6] = IPPROTO_UDP;
		ip[7] = 60;
		ip[8] = 0x20, ip[9] = 0x01, ip[23] = 7, ip[24] = 0x20, ip[25] = 0x01, ip[39] = 0x10;
		udp = ip + 40;
	}
	udp[0] = 0x9c, udp[1] = 0x40;
	udp[2] = 0xc3, udp[3] = 0x50;
	udp[4] = 0, udp[5] = (uint8_t)l4;
	udp[6] = 0x12, udp[7] = 0x34;
	udp[8] = 0x80, udp[9] = 8;
	return 14 + (v6 ? 40 : 20) + l4;
}

struct result {
	const char *name;
	const char *key;
	double ns;
};

static double bench_parse(bool v6, long iters)
{
	static uint8_t frame[256];
	uint32_t len = make_frame(frame, v6);
	struct vr_pkt_info pi;
	double best = 1e18;
	unsigned long sink = 0;

	if (vr_pkt_parse(frame, len, &pi) != VR_DROP_NONE || pi.cls != VR_PKT_UDP) {
		fprintf(stderr, "bench frame does not parse\n");
		exit(1);
	}
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++) {
			sink += vr_pkt_parse(frame, len, &pi);
			sink += pi.payload_len;
			__asm__ volatile("" ::: "memory");
		}
		double ns = (now_ns() - t0) / (double)iters;
		if (ns < best)
			best = ns;
	}
	if (sink == 42)
		puts("");
	return best;
}

static double bench_encap(uint8_t type, uint8_t outer_family, long iters)
{
	static uint8_t buf[VR_ENCAP_MAX_HDR + 256];
	uint8_t frame0[256], *l3 = buf + VR_ENCAP_MAX_HDR, *out;
	uint32_t len = make_frame(frame0, false);
	struct vr_encap_params p;
	double best = 1e18;
	unsigned long sink = 0;

	memcpy(l3, frame0 + 14, len - 14);
	memset(&p, 0, sizeof(p));
	p.type = type;
	p.ttl = 64;
	p.gue_port = VR_GUE_DEFAULT_PORT;
	p.mtu = 1500;
	p.src_mac[0] = p.dst_mac[0] = 2;
	if (outer_family == AF_INET) {
		vr_addr_set_v4(&p.src, htonl(0x0a000001));
		vr_addr_set_v4(&p.dst, htonl(0x0a000b07));
	} else {
		p.src.family = p.dst.family = AF_INET6;
		p.src.a.b[0] = p.dst.a.b[0] = 0xfd;
		p.src.a.b[15] = 1;
		p.dst.a.b[15] = 7;
	}
	if (vr_encap(&p, l3, len - 14, AF_INET, 1, &out) <= 0) {
		fprintf(stderr, "bench encap failed\n");
		exit(1);
	}
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++) {
			sink += (unsigned long)vr_encap(&p, l3, len - 14, AF_INET, (uint32_t)i, &out);
			__asm__ volatile("" ::: "memory");
		}
		double ns = (now_ns() - t0) / (double)iters;
		if (ns < best)
			best = ns;
	}
	if (sink == 42)
		puts("");
	return best;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 5000000;
	struct result res[] = {
		{ "parse IPv4 UDP, 218 B frame", "parse_ipv4_udp_218", 0 },
		{ "parse IPv6 UDP, 238 B frame", "parse_ipv6_udp_238", 0 },
		{ "encap GUE/IPv4, UDP checksum, 204 B inner", "encap_gue_ipv4", 0 },
		{ "encap GUE/IPv6, UDP checksum, 204 B inner", "encap_gue_ipv6", 0 },
		{ "encap IPIP/IPv4, 204 B inner", "encap_ipip_ipv4", 0 },
	};

	if (iters <= 0)
		iters = 5000000;
	res[0].ns = bench_parse(false, iters);
	res[1].ns = bench_parse(true, iters);
	res[2].ns = bench_encap(VR_ENCAP_GUE, AF_INET, iters);
	res[3].ns = bench_encap(VR_ENCAP_GUE, AF_INET6, iters);
	res[4].ns = bench_encap(VR_ENCAP_IPIP, AF_INET, iters);

	printf("%-44s %10s %12s\n", "operation (best of 7 runs, one core)", "ns/packet", "Mpps/core");
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		printf("%-44s %10.2f %12.1f\n", res[i].name, res[i].ns, 1e3 / res[i].ns);
	printf("{\"iterations\": %ld", iters);
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		printf(", \"%s_ns\": %.2f", res[i].key, res[i].ns);
	printf("}\n");
	return 0;
}
