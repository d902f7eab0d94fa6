/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the steer program's BPF_PROG_TEST_RUN tests: the check harness (frames are in steer_fixture_frames.h). */
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

#include "bpf_test_run.h"
#include "steer.skel.h"
#include "steer_fixture_frames.h"
#include "voxrelay/steer.h"

extern struct vr_steer_bpf *skel;
extern int prog_fd, stats_fd;
extern int xsk_present; /* a real AF_XDP socket sits in xsks_map slot 0 */

/* steer_fixture_run.c: running frames through the program and checking what comes out */
void stats_read(uint64_t out[VR_STEER_STAT_MAX]);
void check(const char *name, const uint8_t *in, size_t len, uint32_t want_verdict, unsigned int stat);
void expect_pass(const char *name, const struct frame *fr);
void expect_drop(const char *name, const struct frame *fr, unsigned int stat);
void expect_xsk(const char *name, const struct frame *fr);
void set_cfg(uint32_t flags, uint32_t rate_pps, uint32_t burst);
void add_vip(const char *s, uint16_t lo, uint16_t hi, uint32_t flags);
void add_vip_ranges(const char *s, uint32_t nb_ranges, const struct vr_steer_port_range *r, unsigned int n);
void add_self(const char *s);
int xsk_open(void);
void xsk_slot(int fd);
void bucket_set(const char *src, uint64_t tokens, uint64_t last_ns);
void buckets_clear(void);
uint64_t mono_ns(void);

#endif
