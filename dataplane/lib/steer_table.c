/* SPDX-License-Identifier: BSD-3-Clause */
/* Builds the AF_XDP steering program's map content for one port from the configuration: VIP port ranges merged by address, our addresses, settings. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/steer_table.h"

_Static_assert(VR_BPF_AF_INET == AF_INET && VR_BPF_AF_INET6 == AF_INET6,
	       "bpf_addr.h family values must be the libc ones");
_Static_assert(VR_STEER_MAX_VIPS >= VR_MAX_VIPS, "every VIP address must fit the vips map");

void vr_steer_key_of(const struct vr_addr *a, struct vr_bpf_addr_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, a->a.b, sizeof(k->addr));
	k->family = a->family;
}

static struct vr_steer_entry *find_entry(struct vr_steer_table *t, const struct vr_bpf_addr_key *k)
{
	for (uint32_t i = 0; i < t->nb_vips; i++)
		if (memcmp(&t->vips[i].key, k, sizeof(*k)) == 0)
			return &t->vips[i];
	return NULL;
}

const struct vr_steer_entry *vr_steer_table_find(const struct vr_steer_table *t, const struct vr_bpf_addr_key *k)
{
	return find_entry((struct vr_steer_table *)t, k);
}

bool vr_steer_table_has_self(const struct vr_steer_table *t, const struct vr_bpf_addr_key *k)
{
	for (uint32_t i = 0; i < t->nb_self; i++)
		if (memcmp(&t->self[i], k, sizeof(*k)) == 0)
			return true;
	return false;
}

static uint32_t vip_flags(uint8_t filter, bool rate_limit)
{
	return (filter == VR_STEER_FILTER_VOICE ? VR_STEER_VIP_VOICE : 0u) |
	       (rate_limit ? VR_STEER_VIP_RATE_LIMIT : 0u);
}

/*
 * Appends @lo..@hi with @flags to @a's ranges. Joining the last range only
 * (never an earlier one) keeps what the first match decides unchanged: no
 * range stands between the last one and the new one.
 */
static int add_range(struct vr_steer_table *t, const struct vr_addr *a, uint16_t lo, uint16_t hi, uint32_t flags,
		     uint8_t src, uint32_t index, struct vr_steer_build_err *e)
{
	struct vr_bpf_addr_key k;
	struct vr_steer_entry *en;
	struct vr_steer_port_range *last;
	int rc = 0;

	vr_steer_key_of(a, &k);
	en = find_entry(t, &k);
	if (en == NULL) {
		if (t->nb_vips == VR_STEER_MAX_VIPS) {
			rc = -ENOSPC;
			goto fail;
		}
		en = &t->vips[t->nb_vips++];
		en->key = k;
	}
	if (en->val.nb_ranges > 0) {
		last = &en->val.r[en->val.nb_ranges - 1];
		if (last->flags == flags && (uint32_t)lo <= (uint32_t)last->hi + 1 &&
		    (uint32_t)hi + 1 >= (uint32_t)last->lo) {
			last->lo = lo < last->lo ? lo : last->lo;
			last->hi = hi > last->hi ? hi : last->hi;
			return 0;
		}
	}
	if (en->val.nb_ranges == VR_STEER_VIP_RANGES) {
		rc = -ENOSPC;
		goto fail;
	}
	en->val.r[en->val.nb_ranges++] = (struct vr_steer_port_range){.lo = lo, .hi = hi, .flags = flags};
	return 0;
fail:
	if (e != NULL) {
		e->src = src;
		e->index = index;
		e->addr = *a;
		e->no_entry = en == NULL;
	}
	return rc;
}

/* The addresses of port @p as vr_addr, for ranges of our own. */
static uint32_t port_addrs(const struct vr_cfg_port *p, struct vr_addr out[2])
{
	uint32_t n = 0;

	if (p->has_ipv4)
		vr_addr_set_v4(&out[n++], p->ipv4);
	if (p->has_ipv6) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = AF_INET6;
		memcpy(out[n].a.b, p->ipv6, 16);
		n++;
	}
	return n;
}

static bool any_udp_echo(const struct vr_config *cfg)
{
	for (uint32_t i = 0; i < cfg->nb_vips; i++)
		if (cfg->vips[i].health_type == VR_HEALTH_UDP_ECHO)
			return true;
	return false;
}

/* @lo..@hi without checks on every address of port @port: traffic to us, not to a VIP. */
static int add_own(const struct vr_config *cfg, uint32_t port, uint16_t lo, uint16_t hi, struct vr_steer_table *t,
		   struct vr_steer_build_err *e)
{
	struct vr_addr own[2];
	uint32_t n = port_addrs(&cfg->ports[port], own);
	int rc = 0;

	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = add_range(t, &own[i], lo, hi, 0, VR_STEER_SRC_PORT, port, e);
	return rc;
}

static int add_balancer(const struct vr_config *cfg, struct vr_steer_table *t, struct vr_steer_build_err *e)
{
	int rc;

	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		const struct vr_cfg_vip *v = &cfg->vips[i];

		rc = add_range(t, &v->addr, v->port_lo, v->port_hi, vip_flags(v->steer_filter, v->steer_rate_limit),
			       VR_STEER_SRC_VIP, i, e);
		if (rc != 0)
			return rc;
	}
	if (!any_udp_echo(cfg) || cfg->nb_ports == 0)
		return 0;
	/* vr_health_port(): probes leave from the first port's tx_port, and are echoed to its address. */
	return add_own(cfg, cfg->ports[0].tx_port_idx, VR_HEALTH_UDP_SPORT_BASE,
		       VR_HEALTH_UDP_SPORT_BASE + VR_HEALTH_UDP_SPORT_COUNT - 1, t, e);
}

static int add_relay(const struct vr_config *cfg, uint32_t port_idx, struct vr_steer_table *t,
		     struct vr_steer_build_err *e)
{
	int rc;

	for (uint32_t i = 0; i < cfg->nb_relay_vips; i++) {
		const struct vr_cfg_relay_vip *v = &cfg->relay_vips[i];

		rc = add_range(t, &v->addr, v->port_lo, v->port_hi, vip_flags(v->steer_filter, v->steer_rate_limit),
			       VR_STEER_SRC_RELAY_VIP, i, e);
		if (rc != 0)
			return rc;
	}
	/* The balancers' GUE comes to the receiving port's own address (relay_worker.c checks it). */
	return add_own(cfg, port_idx, cfg->relay_gue_port, cfg->relay_gue_port, t, e);
}

int vr_steer_table_build(const struct vr_config *cfg, uint32_t port_idx, struct vr_steer_table *t,
			 struct vr_steer_build_err *e)
{
	struct vr_addr own[2];
	uint32_t n;
	int rc;

	if (cfg == NULL || t == NULL || port_idx >= cfg->nb_ports)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->cfg.flags = (cfg->xdp_filter ? VR_STEER_CFG_FILTER : 0u) |
		       (cfg->xdp_neigh == VR_STEER_NEIGH_DATAPLANE ? VR_STEER_CFG_NEIGH_TO_XSK : 0u);
	t->cfg.rate_pps = cfg->xdp_rate_pps;
	t->cfg.burst = cfg->xdp_burst != 0 ? cfg->xdp_burst : cfg->xdp_rate_pps;
	rc = cfg->role == VR_ROLE_RELAY ? add_relay(cfg, port_idx, t, e) : add_balancer(cfg, t, e);
	if (rc != 0)
		return rc;
	n = port_addrs(&cfg->ports[port_idx], own);
	for (uint32_t i = 0; i < n; i++)
		vr_steer_key_of(&own[i], &t->self[t->nb_self++]);
	return 0;
}
