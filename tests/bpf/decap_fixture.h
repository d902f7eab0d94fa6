/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the decap program's BPF_PROG_TEST_RUN tests: fixture frames, their builders and the check harness. */
#ifndef VOXRELAY_TEST_DECAP_FIXTURE_H
#define VOXRELAY_TEST_DECAP_FIXTURE_H

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

#include "bpf_test_run.h"
#include "decap.skel.h"
#include "frame_util.h"
#include "voxrelay/decap.h"

/* Jumbo frames too: more than a page exercises multi-buffer XDP. */
#define FRAME_MAX 9300

/* More addresses of the fixtures (documentation ranges, RFC 5737 / RFC 3849; the common ones are in frame_util.h). */
#define BAL4 "192.0.2.1"
#define BE4 "192.0.2.2"
#define BAL6 "2001:db8:1::1"
#define BE6 "2001:db8:1::2"
#define VIP4_GUE_ONLY "203.0.113.20"
#define GUE_PORT 6080

/* Outer wrapping of a fixture. */
enum enc { ENC_NONE, ENC_GUE0, ENC_GUE1, ENC_IPIP };

/* One fixture frame: outer headers around a client→VIP UDP datagram. */
struct fx {
	enum enc enc;
	int vlan;
	int outer_v6;
	int inner_v6;
	int inner_opts;        /* inner IPv4 carries 4 bytes of options */
	uint16_t gue_port;     /* 0: GUE_PORT */
	const char *inner_dst; /* NULL: the VIP of the inner family */
	size_t trailer;        /* zero bytes after the outer IP packet (Ethernet padding) */
	uint8_t outer_tc;      /* outer IPv4 TOS / IPv6 traffic class (DSCP << 2 | ECN) */
	uint8_t inner_tc;      /* inner one */
	size_t payload_len;    /* 0: a short RTP-like payload; else this many pattern bytes */
};

/* A built frame and where its headers are. */
struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
	size_t l3, l4, gue, inner, inner_len;
	uint8_t expect[FRAME_MAX]; /* what a successful decap must produce */
	size_t expect_len;
};

extern struct vr_decap_bpf *skel;
extern int prog_fd, stats_fd;

/* decap_frames.c: header writers and fixture frames */
size_t put_ipv4(uint8_t *p, const char *src, const char *dst, uint8_t proto, size_t hl,
		       uint8_t tos, size_t payload_len);
size_t put_ipv6(uint8_t *p, const char *src, const char *dst, uint8_t nh, uint8_t tclass,
		       size_t payload_len);
void udp_fix_csum(const uint8_t *ip, uint8_t *udp);
size_t put_udp_hdr(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload_len);
size_t put_inner(uint8_t *p, const struct fx *f);
void build(const struct fx *f, struct frame *fr);
void refresh(struct frame *fr);

/* decap_run.c: running frames through the program and checking what comes out */
void stats_read(uint64_t out[VR_DECAP_STAT_MAX]);
void check(const char *name, const uint8_t *in, size_t len, uint32_t want_verdict,
		  const uint8_t *want, size_t want_len, unsigned int stat);
void expect_decap(const char *name, const struct fx *f);
void expect_untouched(const char *name, const struct frame *fr, unsigned int stat);
void expect_malformed(const char *name, const struct frame *fr);
void set_gue_port(uint32_t port);
void add_vip(const char *s, uint32_t flags);

#endif
