/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of ARP and ND handling: exact reply bytes (golden frames from scapy), learning, every invalid case. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "voxrelay/neigh.h"
#include "voxrelay/pkt.h"
#include "testutil.h"

/*
 * Golden frames, generated once with scapy 2.5.0 (an independent ARP/ND
 * implementation with its own checksum code). Us: 02:00:5e:00:00:01,
 * 192.0.2.1, 2001:db8::1. Peer: 02:00:5e:00:00:02, 192.0.2.2, 2001:db8::2.
 */
/* Ether(dst=bcast,src=P)/ARP(op=1,hwsrc=P,psrc=P4,pdst=L4)/Raw(18 zero bytes) */
static const char arp_req_in[] =
	"ffffffffffff02005e0000020806000108000604000102005e000002c0000202000000000000c0000201"
	"000000000000000000000000000000000000";
/* Ether(dst=P,src=L)/ARP(op=2,hwsrc=L,psrc=L4,hwdst=P,pdst=P4), zero-padded to 60 */
static const char arp_reply_out[] =
	"02005e00000202005e0000010806000108000604000202005e000001c000020102005e000002c0000202"
	"000000000000000000000000000000000000";
/* the same with Dot1Q(vlan=100,prio=5), request unpadded (46 bytes) */
static const char arp_req_vlan_in[] =
	"ffffffffffff02005e0000028100a0640806000108000604000102005e000002c0000202000000000000c0000201";
static const char arp_reply_vlan_out[] =
	"02005e00000202005e0000018100a0640806000108000604000202005e000001c000020102005e000002c0000202"
	"0000000000000000000000000000";
/* Ether(dst=bcast,src=L)/ARP(op=1,hwsrc=L,psrc=L4,pdst=P4), padded to 60 */
static const char arp_request_out[] =
	"ffffffffffff02005e0000010806000108000604000102005e000001c0000201000000000000c0000202"
	"000000000000000000000000000000000000";
/* Ether/IPv6(src=P6,dst=ff02::1:ff00:1,hlim=255)/ICMPv6ND_NS(tgt=L6)/ICMPv6NDOptSrcLLAddr(P) */
static const char ns_in[] =
	"3333ff00000102005e00000286dd6000000000203aff20010db8000000000000000000000002ff020000"
	"0000000000000001ff0000018700be260000000020010db8000000000000000000000001010102005e000002";
/* Ether(dst=P,src=L)/IPv6(src=L6,dst=P6,hlim=255)/ICMPv6ND_NA(R=0,S=1,O=1,tgt=L6)/ICMPv6NDOptDstLLAddr(L) */
static const char na_out[] =
	"02005e00000202005e00000186dd6000000000203aff20010db800000000000000000000000120010db8"
	"00000000000000000000000288002c736000000020010db8000000000000000000000001020102005e000001";
/* the same pair with Dot1Q(vlan=7) */
static const char ns_vlan_in[] =
	"3333ff00000102005e0000028100000786dd6000000000203aff20010db8000000000000000000000002"
	"ff0200000000000000000001ff0000018700be260000000020010db8000000000000000000000001010102005e000002";
static const char na_vlan_out[] =
	"02005e00000202005e0000018100000786dd6000000000203aff20010db8000000000000000000000001"
	"20010db800000000000000000000000288002c736000000020010db8000000000000000000000001020102005e000001";
/* DAD: IPv6(src=::,dst=ff02::1:ff00:1)/NS(tgt=L6), no option (78 bytes) */
static const char ns_dad_in[] =
	"3333ff00000102005e00000286dd6000000000183aff00000000000000000000000000000000ff020000"
	"0000000000000001ff00000187004ced0000000020010db8000000000000000000000001";
/* Ether(dst=33:33:00:00:00:01,src=L)/IPv6(src=L6,dst=ff02::1)/NA(R=0,S=0,O=1,tgt=L6)/TLLA(L) (86 bytes) */
static const char na_dad_out[] =
	"33330000000102005e00000186dd6000000000203aff20010db8000000000000000000000001ff020000"
	"00000000000000000000000188009b2a2000000020010db8000000000000000000000001020102005e000001";
/* unicast NS (neighbour unreachability detection) without a source link-layer option */
static const char ns_unicast_in[] =
	"02005e00000102005e00000286dd6000000000183aff20010db800000000000000000000000220010db8"
	"0000000000000000000000018700ef7d0000000020010db8000000000000000000000001";
/* our NS for P6: Ether(dst=33:33:ff:00:00:02,src=L)/IPv6(src=L6,dst=ff02::1:ff00:2)/NS(tgt=P6)/SLLA(L) */
static const char ns_out[] =
	"3333ff00000202005e00000186dd6000000000203aff20010db8000000000000000000000001ff020000"
	"0000000000000001ff0000028700be260000000020010db8000000000000000000000002010102005e000001";
/* unsolicited NA from P to all-nodes: NA(R=0,S=0,O=1,tgt=P6)/TLLA(P) */
static const char na_in[] =
	"33330000000102005e00000286dd6000000000203aff20010db8000000000000000000000002ff020000"
	"00000000000000000000000188009b272000000020010db8000000000000000000000002020102005e000002";
/* solicited NA from P to us: NA(R=0,S=1,O=1,tgt=P6)/TLLA(P) */
static const char na_unicast_in[] =
	"02005e00000102005e00000286dd6000000000203aff20010db800000000000000000000000220010db8"
	"00000000000000000000000188002c716000000020010db8000000000000000000000002020102005e000002";

static const uint8_t L_mac[6] = { 0x02, 0, 0x5e, 0, 0, 1 };
static const uint8_t P_mac[6] = { 0x02, 0, 0x5e, 0, 0, 2 };
static uint8_t L6[16], P6[16];

static struct vr_guard guard;
static struct vr_neigh_local me;

static void setup(void)
{
	inet_pton(AF_INET6, "2001:db8::1", L6);
	inet_pton(AF_INET6, "2001:db8::2", P6);
	memset(&me, 0, sizeof(me));
	memcpy(me.mac, L_mac, 6);
	me.has_v4 = me.has_v6 = true;
	inet_pton(AF_INET, "192.0.2.1", &me.ipv4);
	memcpy(me.ipv6, L6, 16);
}

struct frame {
	uint8_t b[256];
	size_t len;
};

static struct frame hex(const char *h)
{
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.len = vr_t_unhex(h, f.b, sizeof(f.b));
	return f;
}

/*
 * Runs vr_neigh_input on a copy whose writable room ends at a guard page:
 * exactly max(len, VR_NEIGH_REPLY_MAX) bytes, as neigh.h promises to stay
 * within. The copy is left in @out.
 */
static enum vr_drop input(const struct frame *in, uint16_t l3_off, const struct vr_neigh_local *local,
			  struct vr_neigh_result *res, struct frame *out)
{
	size_t room = in->len > VR_NEIGH_REPLY_MAX ? in->len : VR_NEIGH_REPLY_MAX;
	uint8_t *g = vr_guard_alloc(&guard, room);
	enum vr_drop d;

	memset(g, 0xee, room);
	memcpy(g, in->b, in->len);
	memset(res, 0x77, sizeof(*res));
	d = vr_neigh_input(g, (uint32_t)in->len, l3_off, local, res);
	memset(out, 0, sizeof(*out));
	memcpy(out->b, g, room);
	out->len = res->reply ? res->reply_len : in->len;
	return d;
}

static void fix_icmp6(struct frame *f, size_t l3)
{
	uint8_t *ip = f->b + l3, *icmp = ip + 40;
	uint16_t plen = vr_t_get16(ip + 4);

	icmp[2] = icmp[3] = 0;
	vr_t_put16(icmp + 2, vr_t_l4_cksum6(ip, 58, icmp, plen));
}

static void check_learned4(const struct vr_neigh_result *r, const char *ip, const uint8_t *mac)
{
	struct vr_addr want;
	uint32_t a;

	inet_pton(AF_INET, ip, &a);
	vr_addr_set_v4(&want, a);
	CHECK(r->learned);
	CHECK(vr_addr_eq(&r->sender_ip, &want));
	CHECK_MEM(r->sender_mac, mac, 6);
}

static void check_learned6(const struct vr_neigh_result *r, const uint8_t *ip, const uint8_t *mac)
{
	CHECK(r->learned);
	CHECK_EQ(r->sender_ip.family, AF_INET6);
	CHECK_MEM(r->sender_ip.a.b, ip, 16);
	CHECK_MEM(r->sender_mac, mac, 6);
}

static void test_arp(void)
{
	struct vr_neigh_result r;
	struct frame in, out, want;
	struct vr_pkt_info pi;

	/* request for us, padded: exact reply, sender learned */
	in = hex(arp_req_in);
	want = hex(arp_reply_out);
	CHECK_DROP(vr_pkt_parse(in.b, (uint32_t)in.len, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.cls, VR_PKT_ARP);
	CHECK_DROP(input(&in, pi.l3_off, &me, &r, &out), VR_DROP_NONE);
	CHECK(r.reply);
	CHECK_EQ(r.reply_len, 60);
	CHECK_EQ(want.len, 60);
	CHECK_MEM(out.b, want.b, 60);
	check_learned4(&r, "192.0.2.2", P_mac);
	/* the reply parses as ARP again */
	CHECK_DROP(vr_pkt_parse(out.b, r.reply_len, &pi), VR_DROP_NONE);

	/* VLAN-tagged, unpadded 46-byte request: the reply keeps the tag and is padded to 60 */
	in = hex(arp_req_vlan_in);
	want = hex(arp_reply_vlan_out);
	CHECK_EQ(in.len, 46);
	CHECK_DROP(input(&in, 18, &me, &r, &out), VR_DROP_NONE);
	CHECK(r.reply);
	CHECK_EQ(r.reply_len, 60);
	CHECK_MEM(out.b, want.b, 60);
	check_learned4(&r, "192.0.2.2", P_mac);

	/* request for someone else: no reply, frame untouched, sender still learned */
	in = hex(arp_req_in);
	in.b[14 + 27] = 99;
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NOT_FOR_US);
	CHECK(!r.reply);
	CHECK_MEM(out.b, in.b, in.len);
	check_learned4(&r, "192.0.2.2", P_mac);

	/* without an IPv4 address nothing is for us */
	{
		struct vr_neigh_local v6only = me;

		v6only.has_v4 = false;
		in = hex(arp_req_in);
		CHECK_DROP(input(&in, 14, &v6only, &r, &out), VR_DROP_NOT_FOR_US);
		CHECK(!r.reply);
		check_learned4(&r, "192.0.2.2", P_mac);
	}

	/* a reply (to our request, or gratuitous): learned, nothing sent */
	in = hex(arp_reply_out);
	{
		struct vr_neigh_local peer = me;

		memcpy(peer.mac, P_mac, 6);
		inet_pton(AF_INET, "192.0.2.2", &peer.ipv4);
		CHECK_DROP(input(&in, 14, &peer, &r, &out), VR_DROP_NONE);
		CHECK(!r.reply);
		CHECK_MEM(out.b, in.b, in.len);
		check_learned4(&r, "192.0.2.1", L_mac);
	}

	/* an address probe (RFC 5227, sender 0.0.0.0) for our address: defended, nothing learned */
	in = hex(arp_req_in);
	memset(in.b + 14 + 14, 0, 4);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK(r.reply);
	CHECK(!r.learned);
	CHECK_MEM(out.b, P_mac, 6);
	CHECK_MEM(out.b + 14 + 24, ((const uint8_t[]){ 0, 0, 0, 0 }), 4);

	/* someone announcing our own address: never learned as a neighbour */
	in = hex(arp_req_in);
	memcpy(in.b + 14 + 14, &me.ipv4, 4);
	input(&in, 14, &me, &r, &out);
	CHECK(!r.learned);

	/* malformed: every fixed field, the opcode, the sender hardware address, every truncation */
	struct {
		size_t off;
		uint8_t val;
	} bad[] = {
		{ 14 + 1, 6 },    /* hardware type 6 */
		{ 14 + 0, 1 },    /* hardware type 0x0101 */
		{ 14 + 2, 0x86 }, /* protocol type 0x8600 */
		{ 14 + 4, 8 },    /* hardware length */
		{ 14 + 5, 16 },   /* protocol length */
		{ 14 + 7, 0 },    /* opcode 0 */
		{ 14 + 7, 3 },    /* opcode 3 (RARP) */
		{ 14 + 6, 1 },    /* opcode 0x0101 */
		{ 14 + 8, 0x01 }, /* multicast sender hardware address */
	};
	for (size_t i = 0; i < VR_ARRAY_SIZE(bad); i++) {
		in = hex(arp_req_in);
		in.b[bad[i].off] = bad[i].val;
		CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_ARP_INVALID);
		CHECK(!r.reply);
		CHECK(!r.learned);
	}
	in = hex(arp_req_in);
	memset(in.b + 14 + 8, 0, 6);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_ARP_INVALID);
	in = hex(arp_req_in);
	memset(in.b + 14 + 8, 0xff, 6);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_ARP_INVALID);
	for (size_t n = 14; n < 14 + 28; n++) {
		in = hex(arp_req_in);
		in.len = n;
		CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_ARP_INVALID);
		CHECK(!r.reply);
	}
}

static void test_arp_request(void)
{
	uint8_t buf[64];
	struct frame want = hex(arp_request_out);
	struct vr_neigh_local nov4 = me;
	uint32_t target;
	struct vr_pkt_info pi;

	inet_pton(AF_INET, "192.0.2.2", &target);
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(vr_neigh_arp_request(buf, &me, target), 60);
	CHECK_MEM(buf, want.b, 60);
	CHECK_EQ(buf[60], 0xee);
	CHECK_DROP(vr_pkt_parse(buf, 60, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.cls, VR_PKT_ARP);

	nov4.has_v4 = false;
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(vr_neigh_arp_request(buf, &nov4, target), 0);
	CHECK_EQ(buf[0], 0xee);

	/* the request answered by a peer implementation of ourselves */
	{
		struct vr_neigh_local peer = me;
		struct vr_neigh_result r;
		struct frame in, out;

		memcpy(peer.mac, P_mac, 6);
		peer.ipv4 = target;
		memcpy(in.b, buf, 60);
		in.len = vr_neigh_arp_request(in.b, &me, target);
		CHECK_DROP(input(&in, 14, &peer, &r, &out), VR_DROP_NONE);
		CHECK(r.reply);
		check_learned4(&r, "192.0.2.1", L_mac);
		CHECK_DROP(input(&out, 14, &me, &r, &in), VR_DROP_NONE);
		CHECK(!r.reply);
		check_learned4(&r, "192.0.2.2", P_mac);
	}
}

static void test_ns(void)
{
	struct vr_neigh_result r;
	struct frame in, out, want;
	struct vr_pkt_info pi;

	/* multicast NS for us with SLLA: exact NA, S=1 O=1, TLLA; sender learned */
	in = hex(ns_in);
	want = hex(na_out);
	CHECK_DROP(vr_pkt_parse(in.b, (uint32_t)in.len, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.cls, VR_PKT_ND);
	CHECK_DROP(input(&in, pi.l3_off, &me, &r, &out), VR_DROP_NONE);
	CHECK(r.reply);
	CHECK_EQ(r.reply_len, 86);
	CHECK_EQ(want.len, 86);
	CHECK_MEM(out.b, want.b, 86);
	CHECK_EQ(vr_t_l4_cksum6(out.b + 14, 58, out.b + 54, 32), 0);
	check_learned6(&r, P6, P_mac);
	CHECK_DROP(vr_pkt_parse(out.b, r.reply_len, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.cls, VR_PKT_ND);

	/* tagged */
	in = hex(ns_vlan_in);
	want = hex(na_vlan_out);
	CHECK_DROP(input(&in, 18, &me, &r, &out), VR_DROP_NONE);
	CHECK(r.reply);
	CHECK_EQ(r.reply_len, 90);
	CHECK_MEM(out.b, want.b, 90);

	/* DAD from :: (78 bytes): answered to all-nodes with S=0; the NA is longer than the NS */
	in = hex(ns_dad_in);
	want = hex(na_dad_out);
	CHECK_EQ(in.len, 78);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK(r.reply);
	CHECK(!r.learned);
	CHECK_EQ(r.reply_len, 86);
	CHECK_MEM(out.b, want.b, 86);
	/* the same DAD NS tagged: the longest reply of all, exactly VR_NEIGH_REPLY_MAX */
	{
		struct frame t;

		memset(&t, 0, sizeof(t));
		memcpy(t.b, in.b, 12);
		vr_t_put16(t.b + 12, 0x8100);
		vr_t_put16(t.b + 14, 7);
		memcpy(t.b + 16, in.b + 12, in.len - 12);
		t.len = in.len + 4;
		CHECK_DROP(input(&t, 18, &me, &r, &out), VR_DROP_NONE);
		CHECK_EQ(r.reply_len, VR_NEIGH_REPLY_MAX);
		CHECK_MEM(out.b + 18, want.b + 14, 72);
	}

	/* unicast NS without SLLA: answered to the Ethernet source; nothing to learn */
	in = hex(ns_unicast_in);
	want = hex(na_out);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK(r.reply);
	CHECK(!r.learned);
	CHECK_EQ(r.reply_len, 86);
	CHECK_MEM(out.b, want.b, 86);

	/* an unknown option (a nonce, RFC 7527) after the SLLA is skipped */
	in = hex(ns_in);
	memcpy(in.b + in.len, ((const uint8_t[]){ 14, 1, 1, 2, 3, 4, 5, 6 }), 8);
	in.len += 8;
	vr_t_put16(in.b + 14 + 4, 40);
	fix_icmp6(&in, 14);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK_MEM(out.b, hex(na_out).b, 86);

	/* NS for another target: not for us, untouched, sender learned */
	in = hex(ns_in);
	in.b[14 + 40 + 8 + 15] = 0x99;
	fix_icmp6(&in, 14);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NOT_FOR_US);
	CHECK(!r.reply);
	CHECK_MEM(out.b, in.b, in.len);
	check_learned6(&r, P6, P_mac);

	/* no IPv6 address: nothing is for us */
	{
		struct vr_neigh_local v4only = me;

		v4only.has_v6 = false;
		in = hex(ns_in);
		CHECK_DROP(input(&in, 14, &v4only, &r, &out), VR_DROP_NOT_FOR_US);
		CHECK(!r.reply);
	}
}

static void test_na(void)
{
	struct vr_neigh_result r;
	struct frame in, out;

	in = hex(na_in);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK(!r.reply);
	CHECK_MEM(out.b, in.b, in.len);
	check_learned6(&r, P6, P_mac);

	in = hex(na_unicast_in);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK(!r.reply);
	check_learned6(&r, P6, P_mac);

	/* NA without TLLA: valid, nothing learned */
	in = hex(na_unicast_in);
	in.len -= 8;
	vr_t_put16(in.b + 14 + 4, 24);
	fix_icmp6(&in, 14);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK(!r.learned);

	/* someone advertising our own address (a conflict): not learned */
	in = hex(na_in);
	memcpy(in.b + 14 + 40 + 8, L6, 16);
	fix_icmp6(&in, 14);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK(!r.learned);

	/* our NA, as the peer receives it */
	in = hex(na_out);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_NONE);
	CHECK(!r.learned); /* it advertises our own address */
}

static void test_nd_solicit(void)
{
	uint8_t buf[128];
	struct frame want = hex(ns_out);
	struct vr_neigh_local nov6 = me;
	struct vr_pkt_info pi;

	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(vr_neigh_nd_solicit(buf, &me, P6), 86);
	CHECK_MEM(buf, want.b, 86);
	CHECK_EQ(buf[86], 0xee);
	CHECK_DROP(vr_pkt_parse(buf, 86, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.cls, VR_PKT_ND);

	nov6.has_v6 = false;
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(vr_neigh_nd_solicit(buf, &nov6, P6), 0);
	CHECK_EQ(buf[0], 0xee);

	/* our NS answered by a peer implementation, and its answer learned by us */
	{
		struct vr_neigh_local peer = me;
		struct vr_neigh_result r;
		struct frame in, out;

		memcpy(peer.mac, P_mac, 6);
		memcpy(peer.ipv6, P6, 16);
		in.len = vr_neigh_nd_solicit(in.b, &me, P6);
		CHECK_DROP(input(&in, 14, &peer, &r, &out), VR_DROP_NONE);
		CHECK(r.reply);
		check_learned6(&r, L6, L_mac);
		out.len = r.reply_len;
		CHECK_DROP(input(&out, 14, &me, &r, &in), VR_DROP_NONE);
		CHECK(!r.reply);
		check_learned6(&r, P6, P_mac);
	}
}

/* Each case breaks one rule of RFC 4861 section 7.1 with the checksum still right, unless the checksum is the point. */
static void test_nd_invalid(void)
{
	struct vr_neigh_result r;
	struct frame in, out;
	uint8_t *ip, *icmp;

#define ND_CASE(base, mutate, fix)                                                  \
	do {                                                                        \
		in = hex(base);                                                     \
		ip = in.b + 14;                                                     \
		icmp = ip + 40;                                                     \
		(void)ip;                                                           \
		(void)icmp;                                                         \
		mutate;                                                             \
		if (fix)                                                            \
			fix_icmp6(&in, 14);                                         \
		CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_ND_INVALID);      \
		CHECK(!r.reply);                                                    \
		CHECK(!r.learned);                                                  \
		CHECK_MEM(out.b, in.b, in.len);                                     \
	} while (0)

	ND_CASE(ns_in, ip[7] = 254, 0);                       /* hop limit (not in the pseudo-header) */
	ND_CASE(ns_in, ip[7] = 1, 0);
	ND_CASE(na_in, ip[7] = 64, 0);
	ND_CASE(ns_in, icmp[1] = 1, 1);                       /* code */
	ND_CASE(na_in, icmp[1] = 255, 1);
	ND_CASE(ns_in, icmp[2] ^= 0x10, 0);                   /* checksum */
	ND_CASE(ns_in, icmp[30] ^= 0x01, 0);                  /* data under a stale checksum */
	ND_CASE(ns_in, ip[8] ^= 0x01, 0);                     /* pseudo-header under a stale checksum */
	ND_CASE(ns_in, icmp[0] = 134, 1);                     /* router advertisement */
	ND_CASE(ns_in, (ip[6] = 17, icmp[2] = icmp[3] = 0), 0); /* not ICMPv6 */
	ND_CASE(ns_in, ip[0] = 0x40, 0);                      /* version */
	ND_CASE(ns_in, (vr_t_put16(ip + 4, 23), in.len = 14 + 40 + 23), 1); /* ICMP length < 24 */
	ND_CASE(ns_in, vr_t_put16(ip + 4, 16), 1);
	ND_CASE(ns_in, vr_t_put16(ip + 4, 33), 0);            /* payload length past the frame */
	ND_CASE(ns_in, vr_t_put16(ip + 4, 0xffff), 0);
	ND_CASE(ns_in, icmp[25] = 0, 1);                      /* option length 0 */
	ND_CASE(ns_in, icmp[25] = 2, 1);                      /* option past the end */
	ND_CASE(ns_in, (in.b[in.len++] = 1, vr_t_put16(ip + 4, 33)), 1); /* 1 stray byte */
	ND_CASE(ns_in, (memset(icmp + 8, 0, 16), icmp[8] = 0xff, icmp[9] = 2, icmp[23] = 1), 1); /* multicast target */
	ND_CASE(na_in, (memset(icmp + 8, 0, 16), icmp[8] = 0xff, icmp[9] = 2, icmp[23] = 1), 1);
	ND_CASE(ns_in, ip[8] = 0xff, 1);                      /* multicast source */
	ND_CASE(na_in, icmp[4] |= 0x40, 1);                   /* solicited NA to a multicast group */
	ND_CASE(ns_in, memset(ip + 8, 0, 16), 1);             /* DAD with a source link-layer option */
	ND_CASE(ns_dad_in, memcpy(ip + 24, L6, 16), 1);       /* DAD to a unicast destination */
	ND_CASE(ns_dad_in, (memset(ip + 24, 0, 16), ip[24] = 0xff, ip[25] = 2, ip[39] = 1), 1); /* DAD to all-nodes */
#undef ND_CASE

	/* cut at every length: nothing before the Ethernet header ends, ND_INVALID after */
	for (size_t n = 0; n < 86; n++) {
		in = hex(ns_in);
		in.len = n;
		CHECK_DROP(input(&in, 14, &me, &r, &out), n < 14 ? VR_DROP_L2_TRUNCATED : VR_DROP_ND_INVALID);
		CHECK(!r.reply);
	}
}

static void test_l2(void)
{
	struct vr_neigh_result r;
	struct frame in, out;

	in = hex(ns_in);
	CHECK_DROP(input(&in, 0, &me, &r, &out), VR_DROP_L2_TRUNCATED);
	CHECK_DROP(input(&in, 13, &me, &r, &out), VR_DROP_L2_TRUNCATED);
	CHECK_DROP(input(&in, 15, &me, &r, &out), VR_DROP_L2_TRUNCATED);
	CHECK_DROP(input(&in, 100, &me, &r, &out), VR_DROP_L2_TRUNCATED);
	CHECK_DROP(input(&in, 0xffff, &me, &r, &out), VR_DROP_L2_TRUNCATED);
	vr_t_put16(in.b + 12, 0x0800);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_L2_ETHERTYPE);
	CHECK(!r.reply);
	CHECK(!r.learned);
	/* a tagged frame given the untagged offset reads the tag's ethertype (0x8100) */
	in = hex(ns_vlan_in);
	CHECK_DROP(input(&in, 14, &me, &r, &out), VR_DROP_L2_ETHERTYPE);
	/* l3_off 18 on an 18-byte frame: no room for anything */
	in.len = 18;
	CHECK_DROP(input(&in, 18, &me, &r, &out), VR_DROP_ND_INVALID);
}

int main(void)
{
	setup();
	test_arp();
	test_arp_request();
	test_ns();
	test_na();
	test_nd_solicit();
	test_nd_invalid();
	test_l2();
	return vr_test_done("test_neigh");
}
