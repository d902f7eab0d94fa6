/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of vr_steer_table_build(): VIPs merged into per-address port ranges, flags, the relay's underlay, probe answers, limits, settings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/config.h"
#include "voxrelay/steer_table.h"

#include "../common/check.h"

#define VOICE (VR_STEER_VIP_VOICE | VR_STEER_VIP_RATE_LIMIT)

/* A one-port dataplane: section; %s is the port's steer: value. */
static const char head[] = "dataplane:\n"
			   "  ports:\n"
			   "    - name: p0\n"
			   "      device: \"net_af_xdp0,iface=eth1\"\n"
			   "      ipv4: 10.0.0.2\n"
			   "      ipv6: fd00::2\n"
			   "      gateway_ipv4: 10.0.0.1\n"
			   "      gateway_ipv6: fd00::1\n"
			   "      steer: %s\n";

static struct vr_config *load(const char *yaml)
{
	char err[VR_CFG_ERR_LEN];
	struct vr_config *cfg = vr_config_parse("t", yaml, strlen(yaml), err, sizeof(err));

	if (cfg == NULL)
		fprintf(stderr, "parse failed: %s\n%s", err, yaml);
	return cfg;
}

/* @head with steer: @steer, then @rest, into @buf; returns its length. */
static size_t compose(char *buf, size_t n, const char *steer, const char *rest)
{
	int a = snprintf(buf, n, head, steer);
	int b = a < 0 || (size_t)a >= n ? -1 : snprintf(buf + a, n - (size_t)a, "%s", rest);

	if (b < 0 || (size_t)(a + b) >= n) {
		fprintf(stderr, "test configuration too long\n");
		exit(2);
	}
	return (size_t)(a + b);
}

/* A steering port, then @rest. */
static struct vr_config *load2(const char *rest)
{
	char y[4096];

	compose(y, sizeof(y), "true", rest);
	return load(y);
}

static const struct vr_steer_entry *entry(const struct vr_steer_table *t, const char *addr)
{
	struct vr_bpf_addr_key k;

	if (vr_bpf_addr_key_parse(addr, &k) != 0)
		return NULL;
	return vr_steer_table_find(t, &k);
}

static bool range_is(const struct vr_steer_entry *e, uint32_t i, uint16_t lo, uint16_t hi, uint32_t flags)
{
	return e != NULL && i < e->val.nb_ranges && e->val.r[i].lo == lo && e->val.r[i].hi == hi &&
	       e->val.r[i].flags == flags;
}

static bool self_has(const struct vr_steer_table *t, const char *addr)
{
	struct vr_bpf_addr_key k;

	return vr_bpf_addr_key_parse(addr, &k) == 0 && vr_steer_table_has_self(t, &k);
}

/* The lab's layout: two VIPs on one address (a voice range and 5004), one IPv6 VIP, per-VIP flags. */
static void test_merge(struct vr_steer_table *t)
{
	struct vr_config *cfg = load2("balancer:\n"
				      "  vips:\n"
				      "    - {address: 10.77.100.1, ports: 50000-50999, hash: dst-port, backends: [{address: 10.0.1.1}]}\n"
				      "    - {address: 10.77.100.1, port: 5004, filter: none, backends: [{address: 10.0.1.1}]}\n"
				      "    - {address: \"fd77:100::1\", port: 5004, rate_limit: false, backends: [{address: 10.0.1.1}]}\n"
				      "    - {address: 10.77.100.2, port: 7000, filter: none, rate_limit: false, backends: [{address: 10.0.1.1}]}\n");
	const struct vr_steer_entry *e;

	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	CHECK(vr_steer_table_build(cfg, 0, t, NULL) == 0);
	CHECK(t->nb_vips == 3);
	e = entry(t, "10.77.100.1");
	CHECK(e != NULL && e->val.nb_ranges == 2 && e->val.pad == 0);
	CHECK(range_is(e, 0, 50000, 50999, VOICE));
	CHECK(range_is(e, 1, 5004, 5004, VR_STEER_VIP_RATE_LIMIT));
	e = entry(t, "fd77:100::1");
	CHECK(e != NULL && e->key.family == VR_BPF_AF_INET6 && e->val.nb_ranges == 1);
	CHECK(range_is(e, 0, 5004, 5004, VR_STEER_VIP_VOICE));
	CHECK(range_is(entry(t, "10.77.100.2"), 0, 7000, 7000, 0));
	/* the key is IPv4-mapped with the family after it, as the program builds it */
	e = entry(t, "10.77.100.1");
	CHECK(e != NULL && e->key.addr[10] == 0xff && e->key.addr[11] == 0xff && e->key.addr[12] == 10 &&
	      e->key.family == VR_BPF_AF_INET && e->key.pad[0] == 0);
	CHECK(entry(t, "::ffff:10.77.100.1") == NULL);
	/* our own addresses, both families; no VIP */
	CHECK(t->nb_self == 2 && self_has(t, "10.0.0.2") && self_has(t, "fd00::2") && !self_has(t, "10.77.100.1"));
	/* no udp-echo health: no probe range on our address */
	CHECK(entry(t, "10.0.0.2") == NULL);
	/* the defaults of dataplane.xdp_filter */
	CHECK(t->cfg.flags == (VR_STEER_CFG_FILTER | VR_STEER_CFG_NEIGH_TO_XSK) && t->cfg.rate_pps == 0 &&
	      t->cfg.burst == 0 && t->cfg.pad == 0);
	CHECK(vr_steer_table_build(cfg, 1, t, NULL) == -EINVAL);
	CHECK(vr_steer_table_build(NULL, 0, t, NULL) == -EINVAL);
	vr_config_free(cfg);
}

/* Adjacent ranges with the same flags join the address's last range; other flags do not. */
static void test_join(struct vr_steer_table *t)
{
	struct vr_config *cfg = load2("balancer:\n"
				      "  vips:\n"
				      "    - {address: 10.1.0.1, ports: 1000-1999, backends: [{address: 10.0.1.1}]}\n"
				      "    - {address: 10.1.0.1, ports: 2000-2999, backends: [{address: 10.0.1.1}]}\n"
				      "    - {address: 10.1.0.1, ports: 3000-3999, filter: none, backends: [{address: 10.0.1.1}]}\n"
				      "    - {address: 10.1.0.1, ports: 900-999, filter: none, backends: [{address: 10.0.1.1}]}\n"
				      "    - {address: 10.1.0.1, ports: 4001-4001, backends: [{address: 10.0.1.1}]}\n");
	const struct vr_steer_entry *e;

	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	CHECK(vr_steer_table_build(cfg, 0, t, NULL) == 0);
	e = entry(t, "10.1.0.1");
	CHECK(e != NULL && e->val.nb_ranges == 4);
	CHECK(range_is(e, 0, 1000, 2999, VOICE));
	CHECK(range_is(e, 1, 3000, 3999, VR_STEER_VIP_RATE_LIMIT));
	/* adjacent to the first range, not to the last: a range of its own */
	CHECK(range_is(e, 2, 900, 999, VR_STEER_VIP_RATE_LIMIT));
	CHECK(range_is(e, 3, 4001, 4001, VOICE));
	vr_config_free(cfg);
}

/* More than VR_STEER_VIP_RANGES ranges on one address: refused, naming the VIP; the loader says so too. */
static void test_too_many(struct vr_steer_table *t)
{
	char vips[2048], yaml[4096], err[VR_CFG_ERR_LEN];
	size_t off = 0, len;
	struct vr_config *cfg;
	struct vr_steer_build_err be;

	off += (size_t)snprintf(vips + off, sizeof(vips) - off, "balancer:\n  vips:\n");
	for (int i = 0; i <= VR_STEER_VIP_RANGES; i++)
		off += (size_t)snprintf(vips + off, sizeof(vips) - off,
					"    - {address: \"2001:db8::1\", port: %d, backends: [{address: 10.0.1.1}]}\n",
					1000 + 10 * i);
	/* with steer: the loader refuses it at the ninth VIP's port */
	len = compose(yaml, sizeof(yaml), "true", vips);
	cfg = vr_config_parse("t", yaml, len, err, sizeof(err));
	CHECK_MSG(cfg == NULL && strstr(err, "t:20:38: balancer.vips[8]") == err &&
			  strstr(err, "more than 8 port ranges"),
		  "%s", cfg == NULL ? err : "loaded");
	vr_config_free(cfg);
	/* without steer the file is fine, and the builder alone refuses it */
	len = compose(yaml, sizeof(yaml), "false", vips);
	cfg = vr_config_parse("t", yaml, len, err, sizeof(err));
	CHECK_MSG(cfg != NULL, "%s", err);
	if (cfg == NULL)
		return;
	memset(&be, 0, sizeof(be));
	CHECK(vr_steer_table_build(cfg, 0, t, &be) == -ENOSPC);
	CHECK(be.src == VR_STEER_SRC_VIP && be.index == VR_STEER_VIP_RANGES && !be.no_entry &&
	      be.addr.family == AF_INET6);
	/* one VIP fewer fits exactly */
	cfg->nb_vips--;
	CHECK(vr_steer_table_build(cfg, 0, t, &be) == 0);
	CHECK(entry(t, "2001:db8::1") != NULL && entry(t, "2001:db8::1")->val.nb_ranges == VR_STEER_VIP_RANGES);
	cfg->nb_vips++;
	vr_config_free(cfg);
}

/* Role relay: its VIPs with their flags, and the port's own address with the GUE port, no checks. */
static void test_relay(struct vr_steer_table *t)
{
	struct vr_config *cfg = load2("  role: relay\n"
				      "relay:\n"
				      "  gue_port: 6081\n"
				      "  vips:\n"
				      "    - {address: 10.77.100.1, ports: 50000-50999}\n"
				      "    - {address: \"fd77:100::1\", ports: 50000-50999, filter: none, rate_limit: false}\n");

	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	CHECK(vr_steer_table_build(cfg, 0, t, NULL) == 0);
	CHECK(t->nb_vips == 4);
	CHECK(range_is(entry(t, "10.77.100.1"), 0, 50000, 50999, VOICE));
	CHECK(range_is(entry(t, "fd77:100::1"), 0, 50000, 50999, 0));
	CHECK(range_is(entry(t, "10.0.0.2"), 0, 6081, 6081, 0) && entry(t, "10.0.0.2")->val.nb_ranges == 1);
	CHECK(range_is(entry(t, "fd00::2"), 0, 6081, 6081, 0));
	CHECK(self_has(t, "10.0.0.2") && self_has(t, "fd00::2"));
	vr_config_free(cfg);
}

/* udp-echo health: the echoes to our address's probe ports must reach the dataplane. */
static void test_probes_and_settings(struct vr_steer_table *t)
{
	struct vr_config *cfg = load2("  xdp_filter:\n"
				      "    enabled: false\n"
				      "    rate_pps: 2000\n"
				      "    neigh: kernel\n"
				      "balancer:\n"
				      "  vips:\n"
				      "    - {address: 10.1.0.1, port: 7, health: {type: udp-echo}, backends: [{address: 10.0.1.1}]}\n");

	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	CHECK(vr_steer_table_build(cfg, 0, t, NULL) == 0);
	CHECK(range_is(entry(t, "10.0.0.2"), 0, VR_HEALTH_UDP_SPORT_BASE,
		       VR_HEALTH_UDP_SPORT_BASE + VR_HEALTH_UDP_SPORT_COUNT - 1, 0));
	CHECK(range_is(entry(t, "fd00::2"), 0, VR_HEALTH_UDP_SPORT_BASE,
		       VR_HEALTH_UDP_SPORT_BASE + VR_HEALTH_UDP_SPORT_COUNT - 1, 0));
	/* filter off, ARP/ND to the kernel, burst 0 is one second at the rate */
	CHECK(t->cfg.flags == 0 && t->cfg.rate_pps == 2000 && t->cfg.burst == 2000);
	cfg->xdp_burst = 50;
	CHECK(vr_steer_table_build(cfg, 0, t, NULL) == 0 && t->cfg.burst == 50);
	vr_config_free(cfg);
}

int main(void)
{
	struct vr_steer_table *t = malloc(sizeof(*t));

	if (t == NULL)
		return 2;
	test_merge(t);
	test_join(t);
	test_too_many(t);
	test_relay(t);
	test_probes_and_settings(t);
	free(t);
	return check_report("steer_table");
}
