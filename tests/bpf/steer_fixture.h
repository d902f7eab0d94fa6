/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the steer program's BPF_PROG_TEST_RUN tests: fixture frames, their builders and the check harness. */
#ifndef VOXRELAY_TEST_STEER_FIXTURE_H
#define VOXRELAY_TEST_STEER_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steer.skel.h"
#include "voxrelay/steer.h"

/* The program is not multi-buffer: a page is the most it sees. */
#define FRAME_MAX 2048

/* Addresses of the fixtures (documentation ranges, RFC 5737 / RFC 3849). */
#define CLIENT4 "198.51.100.7"
#define CLIENT6 "2001:db8:77::7"
#define VIP4 "203.0.113.10"
#define VIP6 "2001:db8:10::10"
#define OTHER4 "203.0.113.99"
#define OTHER6 "2001:db8:10::99"
/* The relay host's underlay address: GUE from the balancers, no voice filter, no rate limit. */
#define UNDERLAY4 "192.0.2.2"
#define BAL4 "192.0.2.1"
#define GW4 "203.0.113.1"
#define GW6 "2001:db8:10::1"
#define VOICE_PORT_LO 50000
#define VOICE_PORT_HI 59999
#define VOICE_PORT 50010
#define GUE_PORT 6080
#define VLAN_TCI 100

static const uint8_t mac_dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t mac_src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* One IP fixture frame: Ethernet, IPv4 or IPv6 (with optional extension headers), L4 bytes. */
struct fx {
	int v6;
	int vlan;
	const char *src;        /* NULL: CLIENT4 / CLIENT6 */
	const char *dst;        /* NULL: VIP4 / VIP6 */
	uint8_t proto;          /* 0: UDP; else the L4 bytes are @payload as is */
	uint16_t dport;         /* UDP destination port; 0: VOICE_PORT */
	const uint8_t *payload; /* UDP payload (or raw L4 bytes); NULL: a 172-byte RTP packet */
	size_t plen;
	int ip_opts;            /* IPv4 header with 4 bytes of options */
	uint16_t frag_off;      /* IPv4 flags/fragment offset field; 0: DF */
	int v6_frag;            /* IPv6 fragment header: 1 first (M), 2 atomic, 3 non-first */
	int v6_dstopts;         /* IPv6: this many 8-byte destination options headers first */
	size_t trailer;         /* zero bytes after the IP packet (Ethernet padding) */
};

/* A built frame and where its headers are. */
struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
	size_t l3, l4; /* IP header; UDP (or other L4) header after any extension headers */
};

extern struct vr_steer_bpf *skel;
extern int prog_fd, stats_fd;
extern int test_no, failures;
extern int xsk_present; /* a real AF_XDP socket sits in xsks_map slot 0 */

/* steer_fixture_frames.c: header writers and fixture frames */
void put16(uint8_t *p, uint16_t v);
void addr(const char *s, int v6, uint8_t *out);
void build(const struct fx *f, struct frame *fr);
void build_arp(struct frame *fr, int vlan, uint16_t oper, const char *spa, const char *tpa);
void build_nd(struct frame *fr, uint8_t type, const char *src, const char *dst, const char *target);
void ipv4_fix_csum(uint8_t *ip);
size_t rtp(uint8_t *p, uint8_t b0, size_t len);

/* steer_fixture_run.c: running frames through the program and checking what comes out */
void stats_read(uint64_t out[VR_STEER_STAT_MAX]);
void check(const char *name, const uint8_t *in, size_t len, uint32_t want_verdict, unsigned int stat);
void expect_pass(const char *name, const struct frame *fr);
void expect_drop(const char *name, const struct frame *fr, unsigned int stat);
void expect_xsk(const char *name, const struct frame *fr);
void set_cfg(uint32_t flags, uint32_t rate_pps, uint32_t burst);
void add_vip(const char *s, uint16_t lo, uint16_t hi, uint32_t flags);
void add_self(const char *s);
int xsk_open(void);
void xsk_slot(int fd);
void bucket_set(const char *src, uint64_t tokens, uint64_t last_ns);
void buckets_clear(void);
uint64_t mono_ns(void);
void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
