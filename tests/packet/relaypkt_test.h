/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by test_relaypkt.c and test_relayhdr.c: testutil.h, the relay's test addresses, parsing back, the files check_relaypkt.py reads. */
#ifndef VR_TESTS_PACKET_RELAYPKT_TEST_H
#define VR_TESTS_PACKET_RELAYPKT_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "voxrelay/pkt.h"
#include "voxrelay/relaypkt.h"
#include "testutil.h"

#define BUF 4096
#define GUE_PORT 6080
#define ROOM_PORT 3478
#define CLIENT_PORT 40000

static const uint8_t fams[2] = { AF_INET, AF_INET6 };

static struct vr_guard guard;

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };
/* client -> VIP (inner; the relay's replies go VIP -> client) */
static const uint8_t cl4[4] = { 198, 51, 100, 7 }, vip4[4] = { 203, 0, 113, 10 };
static const uint8_t cl6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
static const uint8_t vip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };

static inline uint32_t ip_hlen(uint8_t fam)
{
	return fam == AF_INET ? 20 : 40;
}

static inline uint8_t payload_byte(uint32_t i)
{
	return (uint8_t)(i * 13 + 7);
}

/* vr_pkt_parse then vr_relay_frame_parse on a copy against a guard page. */
static inline enum vr_drop parse2(const uint8_t *f, size_t n, uint16_t gue_port, struct vr_relay_frame *rf,
				  const uint8_t **g_out)
{
	const uint8_t *g = vr_guard_copy(&guard, f, n);
	struct vr_pkt_info pi;
	enum vr_drop d = vr_pkt_parse(g, (uint32_t)n, &pi);

	if (g_out)
		*g_out = g;
	if (d != VR_DROP_NONE)
		return d;
	return vr_relay_frame_parse(g, (uint32_t)n, &pi, gue_port, rf);
}

static inline void addr_of(struct vr_addr *a, uint8_t fam, const uint8_t *b)
{
	memset(a, 0, sizeof(*a));
	if (fam == AF_INET) {
		uint32_t w;

		memcpy(&w, b, 4);
		vr_addr_set_v4(a, w);
	} else {
		a->family = AF_INET6;
		memcpy(a->a.b, b, 16);
	}
}

static inline void addr_str(const struct vr_addr *a, char *s, size_t n)
{
	if (a->family == AF_INET)
		inet_ntop(AF_INET, &a->a.w[3], s, (socklen_t)n);
	else
		inet_ntop(AF_INET6, a->a.b, s, (socklen_t)n);
}

/*
 * Frames for check_relaypkt.py: <dir>/<name>.pcap and, line for line in
 * <dir>/<name>.jsonl, what each must carry.
 */
struct frames {
	pcap_t *eth;
	pcap_dumper_t *pcap;
	FILE *expect;
	int n;
};

/* Exits 2 when the files cannot be written. */
static inline void frames_open(struct frames *w, const char *dir, const char *name)
{
	char path[4096];

	w->n = 0;
	w->eth = pcap_open_dead(DLT_EN10MB, 65535);
	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	w->pcap = w->eth ? pcap_dump_open(w->eth, path) : NULL;
	snprintf(path, sizeof(path), "%s/%s.jsonl", dir, name);
	w->expect = fopen(path, "w");
	if (!w->pcap || !w->expect) {
		fprintf(stderr, "cannot write the pcaps/expectations in %s\n", dir);
		exit(2);
	}
}

static inline void frames_close(struct frames *w)
{
	pcap_dump_close(w->pcap);
	pcap_close(w->eth);
	fclose(w->expect);
}

static inline void dump(struct frames *w, const uint8_t *f, size_t n)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)n, .len = (bpf_u_int32)n };

	h.ts.tv_sec = 1700000000;
	h.ts.tv_usec = w->n;
	pcap_dump((u_char *)w->pcap, &h, f);
	w->n++;
}

/* One JSON line of what the parser found, for check_relaypkt.py. */
static inline void expect_line(struct frames *w, const struct vr_relay_frame *rf, const uint8_t *frame,
			       const char *extra)
{
	char s[64], d[64];

	addr_str(&rf->src, s, sizeof(s));
	addr_str(&rf->dst, d, sizeof(d));
	fprintf(w->expect,
		"{\"encap\": %u, \"src\": \"%s\", \"dst\": \"%s\", \"sport\": %u, \"dport\": %u%s, \"payload\": \"",
		rf->encap, s, d, rf->sport, rf->dport, extra);
	for (uint32_t i = 0; i < rf->payload_len; i++)
		fprintf(w->expect, "%02x", frame[rf->payload_off + i]);
	fprintf(w->expect, "\"}\n");
}

/*
 * Has check_relaypkt.py (@script; NULL: skipped) check the frames of
 * <dir>/<name>.* as @what ("--in": frames the parser read, "--out": frames
 * the header writer built): one check more, failed unless it exits 0.
 */
static inline void scapy_check(const char *script, const char *what, const char *dir, const char *name)
{
	char pcap[4096], json[4096];
	pid_t pid;
	int st, rc = -1;

	if (script == NULL) {
		printf("no checker given: scapy verification skipped\n");
		return;
	}
	snprintf(pcap, sizeof(pcap), "%s/%s.pcap", dir, name);
	snprintf(json, sizeof(json), "%s/%s.jsonl", dir, name);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", script, "--gue-port", "6080", what, pcap, json, (char *)NULL);
		perror("exec /usr/bin/python3");
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) >= 0)
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (rc != 0)
		fprintf(stderr, "%s failed (%d)\n", script, rc);
	CHECK_EQ(rc, 0);
}

#endif
