/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixture frames of the steer program's tests and benchmarks: addresses, the frame description and its builders (no BPF needed). */
#ifndef VOXRELAY_TEST_STEER_FIXTURE_FRAMES_H
#define VOXRELAY_TEST_STEER_FIXTURE_FRAMES_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_util.h"

/* The program is not multi-buffer: a page is the most it sees. */
#define FRAME_MAX 2048

/* More addresses of the fixtures (documentation ranges, RFC 5737 / RFC 3849; the common ones are in frame_util.h). */
/* The relay host's underlay address: GUE from the balancers, no voice filter, no rate limit. */
#define UNDERLAY4 "192.0.2.2"
#define BAL4 "192.0.2.1"
#define GW4 "203.0.113.1"
#define GW6 "2001:db8:10::1"
#define VOICE_PORT_LO 50000
#define VOICE_PORT_HI 59999
#define VOICE_PORT 50010
#define GUE_PORT 6080
/* An address carrying several port ranges with different checks (MULTI_* below). */
#define MULTI4 "203.0.113.30"
#define MULTI6 "2001:db8:10::30"
#define MULTI_VOICE_LO 50000 /* range 0: 50000-50999, voice and rate limit */
#define MULTI_VOICE_HI 50999
#define MULTI_RTP_PORT 5004  /* range 1: 5004 only, voice, no rate limit */
#define MULTI_PLAIN_LO 6000  /* range 2: 6000-6009, no checks (a generic UDP service) */
#define MULTI_PLAIN_HI 6009
#define MULTI_SHADOW_LO 7000 /* range 3: 7000-7999 no checks; range 4: 7500-7599 voice, shadowed by range 3 */
#define MULTI_SHADOW_HI 7999

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

/* steer_fixture_frames.c: fixture frames (put16, addr, ipv4_fix_csum and the other writers: frame_util.h) */
void build(const struct fx *f, struct frame *fr);
void build_arp(struct frame *fr, int vlan, uint16_t oper, const char *spa, const char *tpa);
void build_nd(struct frame *fr, uint8_t type, const char *src, const char *dst, const char *target);
size_t rtp(uint8_t *p, uint8_t b0, size_t len);

#endif
