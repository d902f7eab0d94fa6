/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of vr_encap(): GUE and IPIP over IPv4/IPv6, field by field, MTU edge, errors; frames checked again by scapy. */
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "voxrelay/encap.h"
#include "testutil.h"

#define HEADROOM 128
#define SENTINEL 0xa5
#define TTL 64
#define GUE_PORT 6080

static const uint8_t our_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t nh_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
static const uint8_t our_ip6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t be_ip6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x0b, 0x07 };

static const uint32_t hashes[] = { 0, 1, 0x7fff, 0x8000, 0xdeadbeef, 0xffffffff };

static pcap_dumper_t *dump_outer, *dump_inner;
static int frames_dumped;

struct inner {
	uint8_t b[2048];
	uint32_t len;
	uint8_t family;
	uint8_t tclass;
};

/* Inner packets as a client sends them to the VIP: a 218-byte G.711 frame's IP packet (v4) and a v6 one, DSCP EF. */
/* Inner IPv4 UDP without a checksum (RFC 768 allows 0): the outer checksum must then sum the payload itself. */
static int inner_csum_zero;

static void make_inner(struct inner *in, uint8_t family, uint32_t payload)
{
	uint8_t *ip = in->b, *udp;
	uint32_t l4 = 8 + payload;

	memset(in, 0, sizeof(*in));
	in->family = family;
	in->tclass = 0xb9; /* EF + ECT(1) */
	if (family == AF_INET) {
		ip[0] = 0x45;
		ip[1] = in->tclass;
		vr_t_put16(ip + 2, (uint16_t)(20 + l4));
		vr_t_put16(ip + 4, 0x4242);
		ip[8] = 57;
		ip[9] = IPPROTO_UDP;
		ip[12] = 198, ip[13] = 51, ip[14] = 100, ip[15] = 23;
		ip[16] = 203, ip[17] = 0, ip[18] = 113, ip[19] = 80;
		vr_t_put16(ip + 10, vr_t_cksum(ip, 20));
		udp = ip + 20;
		in->len = 20 + l4;
	} else {
		ip[0] = (uint8_t)(0x60 | in->tclass >> 4);
		ip[1] = (uint8_t)(in->tclass << 4 | 0x0a);
		ip[2] = 0xbc;
		ip[3] = 0xde;
		vr_t_put16(ip + 4, (uint16_t)l4);
		ip[6] = IPPROTO_UDP;
		ip[7] = 57;
		ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 0x23;
		ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[28] = 0xff, ip[39] = 0x80;
		udp = ip + 40;
		in->len = 40 + l4;
	}
	vr_t_put16(udp, 51234);
	vr_t_put16(udp + 2, 50000);
	vr_t_put16(udp + 4, (uint16_t)l4);
	udp[8] = 0x80; /* RTP v2 */
	udp[9] = 8;    /* PCMA */
	for (uint32_t i = 2; i < payload; i++)
		udp[8 + i] = (uint8_t)(i * 13 + 7);
	if (family == AF_INET && inner_csum_zero)
		vr_t_put16(udp + 6, 0);
	else if (family == AF_INET)
		vr_t_put16(udp + 6, vr_t_l4_cksum4(ip, udp, l4));
	else
		vr_t_put16(udp + 6, vr_t_l4_cksum6(ip, IPPROTO_UDP, udp, l4));
}

static void make_params(struct vr_encap_params *p, uint8_t type, uint8_t family, uint16_t mtu)
{
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->ttl = TTL;
	p->gue_port = GUE_PORT;
	p->mtu = mtu;
	memcpy(p->src_mac, our_mac, 6);
	memcpy(p->dst_mac, nh_mac, 6);
	if (family == AF_INET) {
		vr_addr_set_v4(&p->src, htonl(0x0a000001));  /* 10.0.0.1 */
		vr_addr_set_v4(&p->dst, htonl(0x0a000b07));  /* 10.0.11.7 */
	} else {
		p->src.family = p->dst.family = AF_INET6;
		memcpy(p->src.a.b, our_ip6, 16);
		memcpy(p->dst.a.b, be_ip6, 16);
	}
}

static void dump(const uint8_t *frame, uint32_t len, const struct inner *in)
{
	struct pcap_pkthdr h = { .caplen = len, .len = len };

	h.ts.tv_sec = 1700000000;
	h.ts.tv_usec = frames_dumped;
	pcap_dump((u_char *)dump_outer, &h, frame);
	h.caplen = h.len = in->len;
	pcap_dump((u_char *)dump_inner, &h, in->b);
	frames_dumped++;
}

/* Check every header byte of one encapsulated frame against what it must be. */
static void check_frame(const struct vr_encap_params *p, const struct inner *in, uint32_t hash,
			const uint8_t *f, uint32_t len)
{
	bool o6 = p->dst.family == AF_INET6, gue = p->type == VR_ENCAP_GUE;
	uint32_t ip_hlen = o6 ? 40 : 20, tun = gue ? 12 : 0;
	uint32_t outer_len = ip_hlen + tun + in->len;
	uint8_t inner_proto = in->family == AF_INET ? 4 : 41;
	const uint8_t *ip = f + 14, *l4 = ip + ip_hlen;

	CHECK_EQ(len, 14 + outer_len);
	CHECK_MEM(f, nh_mac, 6);
	CHECK_MEM(f + 6, our_mac, 6);
	CHECK_EQ(vr_t_get16(f + 12), o6 ? 0x86dd : 0x0800);
	if (!o6) {
		CHECK_EQ(ip[0], 0x45);
		CHECK_EQ(ip[1], in->tclass);
		CHECK_EQ(vr_t_get16(ip + 2), outer_len);
		CHECK_EQ(vr_t_get16(ip + 4), 0);       /* ID */
		CHECK_EQ(vr_t_get16(ip + 6), 0x4000);  /* DF, offset 0 */
		CHECK_EQ(ip[8], TTL);
		CHECK_EQ(ip[9], gue ? IPPROTO_UDP : inner_proto);
		CHECK_EQ(vr_t_fold(vr_t_sum(ip, 20, 0)), 0xffff);
		CHECK_EQ(vr_t_get16(ip + 10), vr_t_cksum((const uint8_t[]){ ip[0], ip[1], ip[2], ip[3], ip[4],
							     ip[5], ip[6], ip[7], ip[8], ip[9], 0, 0,
							     ip[12], ip[13], ip[14], ip[15], ip[16],
							     ip[17], ip[18], ip[19] }, 20));
		CHECK_MEM(ip + 12, ((const uint8_t[]){ 10, 0, 0, 1 }), 4);
		CHECK_MEM(ip + 16, ((const uint8_t[]){ 10, 0, 11, 7 }), 4);
	} else {
		uint32_t vtc = (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];

		CHECK_EQ(vtc >> 28, 6);
		CHECK_EQ((vtc >> 20) & 0xff, in->tclass);
		CHECK((vtc & 0xfffff) != 0);
		CHECK_EQ(vr_t_get16(ip + 4), outer_len - 40);
		CHECK_EQ(ip[6], gue ? IPPROTO_UDP : inner_proto);
		CHECK_EQ(ip[7], TTL);
		CHECK_MEM(ip + 8, our_ip6, 16);
		CHECK_MEM(ip + 24, be_ip6, 16);
	}
	if (gue) {
		uint32_t ulen = 8 + 4 + in->len;
		uint16_t ck = vr_t_get16(l4 + 6);

		CHECK_EQ(vr_t_get16(l4), VR_GUE_SPORT_MIN + hash % (65536 - VR_GUE_SPORT_MIN));
		CHECK(vr_t_get16(l4) >= 32768);
		CHECK_EQ(vr_t_get16(l4 + 2), GUE_PORT);
		CHECK_EQ(vr_t_get16(l4 + 4), ulen);
		/* computed over the whole datagram: the pseudo-header sum including the field is -0 */
		CHECK(ck != 0);
		if (o6)
			CHECK_EQ(vr_t_l4_cksum6(ip, IPPROTO_UDP, l4, ulen), 0);
		else
			CHECK_EQ(vr_t_l4_cksum4(ip, l4, ulen), 0);
		CHECK_EQ(l4[8], 0x00); /* ver 0, C 0, hlen 0 */
		CHECK_EQ(l4[9], inner_proto);
		CHECK_EQ(l4[10], 0);
		CHECK_EQ(l4[11], 0);
	}
	CHECK_MEM(l4 + tun, in->b, in->len);
}

static void run_case(uint8_t type, uint8_t outer_family, uint8_t inner_family, uint32_t payload, int misalign)
{
	static uint8_t buf[HEADROOM + 2048 + 8], before[sizeof(buf)];
	struct vr_encap_params p;
	struct inner in;
	uint32_t hdr = 14 + (outer_family == AF_INET6 ? 40 : 20) + (type == VR_ENCAP_GUE ? 12 : 0);
	uint32_t labels[VR_ARRAY_SIZE(hashes)];
	int distinct = 0;

	make_inner(&in, inner_family, payload);
	for (size_t h = 0; h < VR_ARRAY_SIZE(hashes); h++) {
		uint8_t *l3 = buf + HEADROOM + misalign, *frame = (uint8_t *)1;
		uint32_t outer_len = hdr - 14 + in.len;
		int ret;

		/* exactly at the MTU passes */
		memset(buf, SENTINEL, sizeof(buf));
		memcpy(l3, in.b, in.len);
		make_params(&p, type, outer_family, (uint16_t)outer_len);
		CHECK_EQ(vr_encap_hdr_len(&p), hdr);
		ret = vr_encap(&p, l3, in.len, inner_family, hashes[h], &frame);
		CHECK_EQ(ret, hdr + in.len);
		CHECK(frame == l3 - hdr);
		if (ret > 0 && frame == l3 - hdr) {
			check_frame(&p, &in, hashes[h], frame, (uint32_t)ret);
			dump(frame, (uint32_t)ret, &in);
		}
		/* headroom before the outer headers and bytes after the inner packet untouched */
		for (uint8_t *q = buf; q < l3 - hdr; q++)
			CHECK_EQ(*q, SENTINEL);
		for (uint8_t *q = l3 + in.len; q < buf + sizeof(buf); q++)
			CHECK_EQ(*q, SENTINEL);
		labels[h] = outer_family == AF_INET6 ? (uint32_t)(l3 - hdr + 14)[1] << 16 |
							   (uint32_t)(l3 - hdr + 14)[2] << 8 | (l3 - hdr + 14)[3]
						 : 0;
		labels[h] &= 0xfffff;

		/* one byte over the MTU: refused, nothing written */
		memset(buf, SENTINEL, sizeof(buf));
		memcpy(l3, in.b, in.len);
		memcpy(before, buf, sizeof(buf));
		frame = (uint8_t *)1;
		p.mtu = (uint16_t)(outer_len - 1);
		CHECK_EQ(vr_encap(&p, l3, in.len, inner_family, hashes[h], &frame), -EMSGSIZE);
		CHECK(frame == (uint8_t *)1);
		CHECK_MEM(buf, before, sizeof(buf));
	}
	if (outer_family == AF_INET6) {
		for (size_t i = 0; i < VR_ARRAY_SIZE(hashes); i++) {
			int seen = 0;

			for (size_t j = 0; j < i; j++)
				seen |= labels[j] == labels[i];
			distinct += !seen;
		}
		CHECK(distinct >= 4);
	}
}

static void test_errors(void)
{
	static uint8_t buf[HEADROOM + 256], before[sizeof(buf)];
	struct vr_encap_params p;
	struct inner in;
	uint8_t *l3 = buf + HEADROOM, *frame = (uint8_t *)1;

	make_inner(&in, AF_INET, 100);
	memset(buf, SENTINEL, sizeof(buf));
	memcpy(l3, in.b, in.len);
	memcpy(before, buf, sizeof(buf));

	/* family mismatch between our address and the backend's */
	make_params(&p, VR_ENCAP_GUE, AF_INET, 1500);
	p.dst.family = AF_INET6;
	CHECK_EQ(vr_encap(&p, l3, in.len, AF_INET, 1, &frame), -EINVAL);
	/* no family at all */
	make_params(&p, VR_ENCAP_GUE, AF_INET, 1500);
	p.src.family = p.dst.family = 0;
	CHECK_EQ(vr_encap(&p, l3, in.len, AF_INET, 1, &frame), -EINVAL);
	/* unknown type */
	make_params(&p, 2, AF_INET, 1500);
	CHECK_EQ(vr_encap(&p, l3, in.len, AF_INET, 1, &frame), -EINVAL);
	make_params(&p, 255, AF_INET6, 1500);
	CHECK_EQ(vr_encap(&p, l3, in.len, AF_INET, 1, &frame), -EINVAL);
	/* unknown inner family, and inner packets shorter than their own header */
	make_params(&p, VR_ENCAP_IPIP, AF_INET, 1500);
	CHECK_EQ(vr_encap(&p, l3, in.len, 0, 1, &frame), -EINVAL);
	CHECK_EQ(vr_encap(&p, l3, in.len, AF_UNIX, 1, &frame), -EINVAL);
	CHECK_EQ(vr_encap(&p, l3, 19, AF_INET, 1, &frame), -EINVAL);
	CHECK_EQ(vr_encap(&p, l3, 39, AF_INET6, 1, &frame), -EINVAL);
	CHECK_EQ(vr_encap(&p, l3, 0, AF_INET, 1, &frame), -EINVAL);
	CHECK(frame == (uint8_t *)1);
	CHECK_MEM(buf, before, sizeof(buf));

	/* an inner packet longer than any MTU, and MTU 0 */
	make_params(&p, VR_ENCAP_GUE, AF_INET6, 65535);
	CHECK_EQ(vr_encap(&p, l3, 70000, AF_INET, 1, &frame), -EMSGSIZE);
	CHECK_EQ(vr_encap(&p, l3, 0xffffffffu, AF_INET, 1, &frame), -EMSGSIZE);
	make_params(&p, VR_ENCAP_IPIP, AF_INET, 0);
	CHECK_EQ(vr_encap(&p, l3, in.len, AF_INET, 1, &frame), -EMSGSIZE);
	/* a standard 1500 MTU and a 1500-byte inner packet */
	make_params(&p, VR_ENCAP_IPIP, AF_INET, 1500);
	CHECK_EQ(vr_encap(&p, l3, 1500, AF_INET, 1, &frame), -EMSGSIZE);
	CHECK(frame == (uint8_t *)1);
	CHECK_MEM(buf, before, sizeof(buf));
}

/* The largest datagram an outer IPv4 header can describe: lengths must not wrap. */
static void test_max_size(void)
{
	uint32_t l3_len = 65535 - 20 - 12;
	uint8_t *buf = malloc(HEADROOM + l3_len);
	struct vr_encap_params p;
	uint8_t *frame = NULL, *l3;
	int ret;

	CHECK(buf != NULL);
	if (!buf)
		return;
	l3 = buf + HEADROOM;
	memset(l3, 0x11, l3_len);
	l3[0] = 0x45;
	make_params(&p, VR_ENCAP_GUE, AF_INET, 65535);
	ret = vr_encap(&p, l3, l3_len, AF_INET, 77, &frame);
	CHECK_EQ(ret, 14 + 65535);
	if (ret > 0) {
		CHECK_EQ(vr_t_get16(frame + 14 + 2), 65535);
		CHECK_EQ(vr_t_get16(frame + 34 + 4), 65535 - 20);
		CHECK_EQ(vr_t_l4_cksum4(frame + 14, frame + 34, 65535 - 20), 0);
	}
	CHECK_EQ(vr_encap(&p, l3, l3_len + 1, AF_INET, 77, &frame), -EMSGSIZE);
	free(buf);
}

static int run_scapy(const char *script, const char *outer, const char *inner, int count)
{
	char count_s[16];
	pid_t pid;
	int st;

	snprintf(count_s, sizeof(count_s), "%d", count);
	fflush(NULL);
	pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", script, outer, inner, "--ttl", "64", "--gue-port",
		      "6080", "--count", count_s, (char *)NULL);
		perror("exec /usr/bin/python3");
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : ".";
	char outer_path[4096], inner_path[4096];
	pcap_t *eth = pcap_open_dead(DLT_EN10MB, 65535), *raw = pcap_open_dead(DLT_RAW, 65535);

	snprintf(outer_path, sizeof(outer_path), "%s/encap_outer.pcap", dir);
	snprintf(inner_path, sizeof(inner_path), "%s/encap_inner.pcap", dir);
	dump_outer = pcap_dump_open(eth, outer_path);
	dump_inner = pcap_dump_open(raw, inner_path);
	if (!dump_outer || !dump_inner) {
		fprintf(stderr, "cannot write %s / %s\n", outer_path, inner_path);
		return 2;
	}

	static const uint8_t fams[] = { AF_INET, AF_INET6 };
	for (int t = VR_ENCAP_GUE; t <= VR_ENCAP_IPIP; t++)
		for (int o = 0; o < 2; o++)
			for (int i = 0; i < 2; i++) {
				/* the 218-byte frame's packet, then an odd size at an odd address */
				run_case((uint8_t)t, fams[o], fams[i], 176, 0);
				run_case((uint8_t)t, fams[o], fams[i], 33, 1);
			}
	/* The outer UDP checksum is derived from the inner one when it vouches
	 * for the payload; without one the payload is summed. Both must verify. */
	inner_csum_zero = 1;
	for (int o = 0; o < 2; o++) {
		run_case(VR_ENCAP_GUE, fams[o], AF_INET, 176, 0);
		run_case(VR_ENCAP_GUE, fams[o], AF_INET, 33, 1);
	}
	inner_csum_zero = 0;
	test_errors();
	test_max_size();

	pcap_dump_close(dump_outer);
	pcap_dump_close(dump_inner);
	pcap_close(eth);
	pcap_close(raw);
	CHECK_EQ(frames_dumped, (2 * 2 * 2 * 2 + 2 * 2) * VR_ARRAY_SIZE(hashes));

	if (argc > 1) {
		int rc = run_scapy(argv[1], outer_path, inner_path, frames_dumped);

		if (rc != 0)
			fprintf(stderr, "%s failed (%d)\n", argv[1], rc);
		CHECK_EQ(rc, 0);
	} else {
		printf("no checker given: scapy verification skipped\n");
	}
	return vr_test_done("test_encap");
}
