/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the balancer's choice: conntrack stickiness across add/remove/drain/down and reloads, room affinity. */
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/check.h"
#include "voxrelay/config.h"
#include "voxrelay/hash.h"
#include "voxrelay/lb.h"

#define NB_FLOWS 20000


/* A config with VIP 10.0.0.1:3478 (five-tuple) and 10.0.0.2:50000-50099 (dst-port) over the given backends. */
static struct vr_config *config(const char *backends_yaml, const char *states_yaml)
{
	char buf[8192], err[VR_CFG_ERR_LEN];
	struct vr_config *cfg;

	snprintf(buf, sizeof(buf),
		 "dataplane:\n"
		 "  ports:\n"
		 "    - name: p0\n"
		 "      device: net_null0\n"
		 "      ipv4: 192.0.2.1\n"
		 "      gateway_ipv4: 192.0.2.254\n"
		 "balancer:\n"
		 "  maglev_table_size: 65537\n"
		 "  conntrack: {capacity: 65536, udp_timeout: 30s}\n"
		 "  vips:\n"
		 "    - address: 10.0.0.1\n"
		 "      port: 3478\n"
		 "      backends:\n%s"
		 "    - address: 10.0.0.2\n"
		 "      ports: 50000-50099\n"
		 "      hash: dst-port\n"
		 "      backends:\n%s",
		 backends_yaml, states_yaml ? states_yaml : backends_yaml);
	cfg = vr_config_parse("test.yaml", buf, strlen(buf), err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "config: %s\n%s", err, buf);
		exit(1);
	}
	return cfg;
}

static struct vr_lb_state *build(struct vr_config *cfg, struct vr_lb_state *prev)
{
	char err[VR_CFG_ERR_LEN];
	struct vr_lb_state *st = vr_lb_state_build(cfg, prev, err, sizeof(err));

	if (st == NULL) {
		fprintf(stderr, "build: %s\n", err);
		exit(1);
	}
	vr_config_free(cfg);
	/* As the dataplane does after its RCU grace period. */
	vr_lb_state_free(prev);
	return st;
}

static void flow(struct vr_pkt_info *pi, uint32_t i, const char *vip, uint16_t dport)
{
	struct vr_addr a;

	memset(pi, 0, sizeof(*pi));
	pi->cls = VR_PKT_UDP;
	vr_addr_set_v4(&a, htonl(0x0a630000u + i / 500)); /* 10.99.x.y */
	memcpy(pi->key.src, a.a.b, 16);
	vr_addr_parse(vip, &a);
	memcpy(pi->key.dst, a.a.b, 16);
	pi->key.sport = htons((uint16_t)(10000 + i % 500));
	pi->key.dport = htons(dport);
	pi->key.proto = 17;
	pi->key.family = AF_INET;
}

/* Backend address chosen for flow i, or "" on a drop. */
static const char *choose(const struct vr_lb_state *st, struct vr_conntrack *ct, uint32_t i, uint64_t now,
			  const char *vip, uint16_t dport)
{
	struct vr_pkt_info pi;
	struct vr_lb_choice ch;
	struct vr_lb_clock clk = {.now = now, .now_s = (uint32_t)now};

	flow(&pi, i, vip, dport);
	if (vr_lb_select(st, ct, &pi, &clk, &ch) != VR_DROP_NONE)
		return "";
	return ch.backend->name;
}

#define B(a) "        - address: " a "\n"
#define BS(a, s) "        - address: " a "\n          state: " s "\n"

static void test_stickiness(void)
{
	static char before[NB_FLOWS][64];
	struct vr_conntrack *ct = vr_ct_create(65536, 30, 1);
	struct vr_lb_state *st = build(config(B("10.1.0.1") B("10.1.0.2") B("10.1.0.3") B("10.1.0.4"), NULL), NULL);
	uint32_t moved, on_removed, count[5] = {0};

	for (uint32_t i = 0; i < NB_FLOWS; i++) {
		snprintf(before[i], 64, "%s", choose(st, ct, i, 1, "10.0.0.1", 3478));
		count[before[i][7] - '0']++;
	}
	for (int b = 1; b <= 4; b++)
		CHECK_MSG(count[b] > NB_FLOWS / 4 * 0.9 && count[b] < NB_FLOWS / 4 * 1.1, "backend %d has %u flows", b, count[b]);

	/* A fifth backend joins: Maglev would move ~1/5 of the flows, conntrack keeps them all. */
	st = build(config(B("10.1.0.1") B("10.1.0.2") B("10.1.0.3") B("10.1.0.4") B("10.1.0.5"), NULL), st);
	moved = 0;
	for (uint32_t i = 0; i < NB_FLOWS; i++)
		moved += strcmp(before[i], choose(st, ct, i, 2, "10.0.0.1", 3478)) != 0;
	CHECK_MSG(moved == 0, "adding a backend moved %u tracked flows", moved);
	/* New flows do reach the new backend. */
	uint32_t on_new = 0;
	for (uint32_t i = NB_FLOWS; i < 2 * NB_FLOWS; i++)
		on_new += strcmp(choose(st, ct, i, 2, "10.0.0.1", 3478), "10.1.0.5") == 0;
	CHECK_MSG(on_new > NB_FLOWS / 5 * 0.9, "new backend took %u of %u new flows", on_new, NB_FLOWS);

	/* 10.1.0.2 is removed: its flows move, nobody else's does. */
	st = build(config(B("10.1.0.1") B("10.1.0.3") B("10.1.0.4") B("10.1.0.5"), NULL), st);
	moved = on_removed = 0;
	for (uint32_t i = 0; i < NB_FLOWS; i++) {
		const char *now = choose(st, ct, i, 3, "10.0.0.1", 3478);
		if (strcmp(before[i], "10.1.0.2") == 0) {
			on_removed++;
			CHECK_MSG(strcmp(now, "10.1.0.2") != 0 && now[0] != '\0', "flow %u stayed on a removed backend", i);
		} else {
			moved += strcmp(before[i], now) != 0;
		}
	}
	CHECK_MSG(on_removed > 0, "no flow was on the removed backend");
	CHECK_MSG(moved == 0, "removing a backend moved %u flows of other backends", moved);

	/* 10.1.0.3 goes down: only its flows move. 10.1.0.4 drains: keeps its flows, takes no new ones. */
	for (uint32_t i = 0; i < NB_FLOWS; i++)
		snprintf(before[i], 64, "%s", choose(st, ct, i, 4, "10.0.0.1", 3478));
	st = build(config(B("10.1.0.1") BS("10.1.0.3", "down") BS("10.1.0.4", "draining") B("10.1.0.5"), NULL), st);
	moved = 0;
	for (uint32_t i = 0; i < NB_FLOWS; i++) {
		const char *now = choose(st, ct, i, 5, "10.0.0.1", 3478);
		if (strcmp(before[i], "10.1.0.3") == 0)
			CHECK_MSG(strcmp(now, "10.1.0.3") != 0, "flow %u stayed on a down backend", i);
		else
			moved += strcmp(before[i], now) != 0;
	}
	CHECK_MSG(moved == 0, "down/drain moved %u flows of up or draining backends", moved);
	uint32_t new_on_draining = 0;
	for (uint32_t i = 2 * NB_FLOWS; i < 3 * NB_FLOWS; i++)
		new_on_draining += strcmp(choose(st, ct, i, 5, "10.0.0.1", 3478), "10.1.0.4") == 0;
	CHECK_MSG(new_on_draining == 0, "%u new flows went to a draining backend", new_on_draining);

	/* Flows idle past the timeout (30) are forgotten: those that were on the
	 * draining backend are placed afresh by the table, so they leave it. */
	uint32_t left_draining = 0, were_draining = 0;
	for (uint32_t i = 0; i < NB_FLOWS; i++) {
		if (strcmp(before[i], "10.1.0.4") != 0)
			continue;
		were_draining++;
		left_draining += strcmp(choose(st, ct, i, 100, "10.0.0.1", 3478), "10.1.0.4") != 0;
	}
	CHECK_MSG(were_draining > 0 && left_draining == were_draining,
	      "%u of %u expired flows left the draining backend", left_draining, were_draining);
	vr_lb_state_free(st);
	vr_ct_free(ct);
}

/* A backend id freed by a reload and given to another backend must not inherit the old flows. */
static void test_id_reuse(void)
{
	struct vr_conntrack *ct = vr_ct_create(65536, 1000, 1);
	struct vr_lb_state *st = build(config(B("10.1.0.1") B("10.1.0.2"), NULL), NULL);
	uint16_t old_id = UINT16_MAX;

	for (uint32_t i = 0; i < 1000; i++)
		choose(st, ct, i, 1, "10.0.0.1", 3478);
	for (uint32_t id = 0; id < VR_MAX_BACKENDS; id++)
		if (st->backends[id].in_use && strcmp(st->backends[id].name, "10.1.0.2") == 0 && st->backends[id].vip_id == st->vips[0].id)
			old_id = (uint16_t)id;
	CHECK_MSG(old_id != UINT16_MAX, "backend not found");
	/* Remove 10.1.0.2, then (two reloads later, when its id may be reused) add 10.1.0.9. */
	st = build(config(B("10.1.0.1"), NULL), st);
	st = build(config(B("10.1.0.1"), NULL), st);
	st = build(config(B("10.1.0.1") B("10.1.0.9"), NULL), st);
	uint32_t on_new = 0, total = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		const char *b = choose(st, ct, i, 2, "10.0.0.1", 3478);
		total++;
		on_new += strcmp(b, "10.1.0.9") == 0;
	}
	/* Flows that were on 10.1.0.1 stay; the others are re-placed by Maglev over {1, 9}: about half of them. */
	CHECK_MSG(on_new < total / 2, "reused id carried %u of %u flows to the new backend", on_new, total);
	vr_lb_state_free(st);
	vr_ct_free(ct);
}

/* dst-port VIPs: every member of a room reaches one backend, from any lcore, and the room stays while up. */
static void test_rooms(void)
{
	struct vr_conntrack *ct1 = vr_ct_create(4096, 30, 1), *ct2 = vr_ct_create(4096, 30, 2);
	struct vr_lb_state *st = build(config(B("10.1.0.1"), B("10.2.0.1") B("10.2.0.2") B("10.2.0.3")), NULL);
	char room[100][64];
	uint32_t per_backend[4] = {0};

	for (uint16_t r = 0; r < 100; r++) {
		snprintf(room[r], 64, "%s", choose(st, ct1, r * 7, 1, "10.0.0.2", 50000 + r));
		if (getenv("VR_DEBUG")) fprintf(stderr, "room %u -> %s\n", r, room[r]);
		per_backend[room[r][7] - '0']++;
		for (uint32_t m = 1; m < 10; m++) {
			/* Members on two "lcores" (two conntracks). */
			const char *b = choose(st, m % 2 ? ct2 : ct1, r * 7 + m * 1000, 1, "10.0.0.2", 50000 + r);
			CHECK_MSG(strcmp(b, room[r]) == 0, "room %u member %u went to %s, room is on %s", r, m, b, room[r]);
		}
	}
	for (int b = 1; b <= 3; b++)
		CHECK_MSG(per_backend[b] > 15, "backend %d holds only %u of 100 rooms", b, per_backend[b]);
	/* A backend joins: existing rooms stay where they are (new members too). */
	st = build(config(B("10.1.0.1"), B("10.2.0.1") B("10.2.0.2") B("10.2.0.3") B("10.2.0.4")), st);
	for (uint16_t r = 0; r < 100; r++) {
		const char *b = choose(st, ct2, r * 7 + 77777, 2, "10.0.0.2", 50000 + r);
		CHECK_MSG(strcmp(b, room[r]) == 0, "room %u moved from %s to %s when a backend joined", r, room[r], b);
	}
	/* 10.2.0.2 goes down: its rooms move (all members together), the others stay. */
	st = build(config(B("10.1.0.1"), B("10.2.0.1") BS("10.2.0.2", "down") B("10.2.0.3") B("10.2.0.4")), st);
	for (uint16_t r = 0; r < 100; r++) {
		const char *b1 = choose(st, ct1, r * 7 + 1, 3, "10.0.0.2", 50000 + r);
		const char *b2 = choose(st, ct2, r * 7 + 2, 3, "10.0.0.2", 50000 + r);
		CHECK_MSG(strcmp(b1, b2) == 0, "room %u split over %s and %s", r, b1, b2);
		if (strcmp(room[r], "10.2.0.2") == 0)
			CHECK_MSG(strcmp(b1, "10.2.0.2") != 0, "room %u stayed on a down backend", r);
		else
			CHECK_MSG(strcmp(b1, room[r]) == 0, "room %u moved from %s to %s", r, room[r], b1);
	}
	/* A room idle past the timeout (30 s) is placed afresh by the table. */
	const char *b = choose(st, ct1, 5, 1000, "10.0.0.2", 50000);
	CHECK_MSG(b[0] != '\0', "idle room not placed");
	vr_lb_state_free(st);
	vr_ct_free(ct1);
	vr_ct_free(ct2);
}

/* Two builders from the same configuration choose alike (balancers behind ECMP). */
static void test_agreement(void)
{
	struct vr_conntrack *ct1 = vr_ct_create(65536, 30, 1), *ct2 = vr_ct_create(65536, 30, 99);
	struct vr_lb_state *a = build(config(B("10.1.0.1") B("10.1.0.2") B("10.1.0.3"), NULL), NULL);
	/* b has another reload history, so other ids. */
	struct vr_lb_state *b = build(config(B("10.1.0.7"), NULL), NULL);
	b = build(config(B("10.1.0.3") B("10.1.0.1") B("10.1.0.2"), NULL), b);
	uint32_t differ = 0;

	for (uint32_t i = 0; i < 5000; i++) {
		char x[64];
		snprintf(x, sizeof(x), "%s", choose(a, ct1, i, 1, "10.0.0.1", 3478));
		differ += strcmp(x, choose(b, ct2, i, 1, "10.0.0.1", 3478)) != 0;
	}
	CHECK_MSG(differ == 0, "%u of 5000 flows differ between two balancers with the same backends", differ);
	vr_lb_state_free(a);
	vr_lb_state_free(b);
	vr_ct_free(ct1);
	vr_ct_free(ct2);
}

/* A change to one VIP rebuilds that VIP's table only; the others are shared with the previous state. */
static void test_table_reuse(void)
{
	char err[VR_CFG_ERR_LEN];
	struct vr_config *c1 = config(B("10.1.0.1") B("10.1.0.2"), B("10.2.0.1"));
	struct vr_config *c2 = config(B("10.1.0.1") B("10.1.0.2") B("10.1.0.3"), B("10.2.0.1"));
	struct vr_lb_state *a = vr_lb_state_build(c1, NULL, err, sizeof(err));
	struct vr_lb_state *b = vr_lb_state_build(c1, a, err, sizeof(err));
	struct vr_lb_state *c = vr_lb_state_build(c2, b, err, sizeof(err));

	CHECK_MSG(a && b && c, "build: %s", err);
	CHECK_MSG(b->vips[0].maglev == a->vips[0].maglev && b->vips[1].maglev == a->vips[1].maglev,
	      "an unchanged configuration rebuilt its tables");
	CHECK_MSG(c->vips[0].maglev != b->vips[0].maglev, "a VIP with a new backend kept its old table");
	CHECK_MSG(c->vips[1].maglev == b->vips[1].maglev, "an untouched VIP's table was rebuilt");
	/* Freed in any order, each table goes with its last state (ASan checks). */
	vr_lb_state_free(b);
	vr_lb_state_free(a);
	CHECK_MSG(c->vips[1].maglev->size == 65537, "shared table freed too early");
	vr_lb_state_free(c);
	vr_config_free(c1);
	vr_config_free(c2);
}

static void test_no_vip_no_backend(void)
{
	struct vr_conntrack *ct = vr_ct_create(4096, 30, 1);
	struct vr_lb_state *st = build(config(BS("10.1.0.1", "down"), NULL), NULL);
	struct vr_pkt_info pi;
	struct vr_lb_choice ch;
	struct vr_lb_clock clk = {1, 1};

	flow(&pi, 1, "10.0.0.1", 3478);
	CHECK_MSG(vr_lb_select(st, ct, &pi, &clk, &ch) == VR_DROP_NO_BACKEND, "all down must give no_backend");
	flow(&pi, 1, "10.0.0.1", 3479);
	CHECK_MSG(vr_lb_select(st, ct, &pi, &clk, &ch) == VR_DROP_NO_VIP, "other port must give no_vip");
	flow(&pi, 1, "10.0.0.9", 3478);
	CHECK_MSG(vr_lb_select(st, ct, &pi, &clk, &ch) == VR_DROP_NO_VIP, "other address must give no_vip");
	vr_lb_state_free(st);
	vr_ct_free(ct);
}

/* Bytewise CRC32C (reflected polynomial 0x82F63B78), the reference for vr_crc32c_u64. */
static uint32_t ref_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return crc;
}

/* The flow hash must be the same function on every host: check the CRC32C
 * the hardware computes against the standard's check value and a reference. */
static void test_hash(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	CHECK_MSG((ref_crc32c(0xffffffffu, (const uint8_t *)"123456789", 9) ^ 0xffffffffu) == 0xe3069283u,
	      "reference CRC32C check value");
	for (int i = 0; i < 10000; i++) {
		uint32_t init = (uint32_t)(x >> 7);
		uint8_t b[8];

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		memcpy(b, &x, 8);
		CHECK_MSG(vr_crc32c_u64(init, x) == ref_crc32c(init, b, 8), "crc32c mismatch for %016llx",
		      (unsigned long long)x);
	}
}

int main(void)
{
	test_hash();
	test_stickiness();
	test_id_reuse();
	test_rooms();
	test_agreement();
	test_table_reuse();
	test_no_vip_no_backend();
	return check_report("test_lb");
}
