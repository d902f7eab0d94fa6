/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration checks across keys, run as each section is read: duplicates, Maglev size, families, ports, gateways. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/config.h"

#include "config_priv.h"

/* ------------------------------------------------------------------ */
/* checks across keys: the section hooks */

int vr_cfg_post_backend(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_cfg_backend *b = obj;

	(void)c;
	(void)mark;
	(void)given;
	vr_addr_str(&b->addr, b->name, sizeof(b->name));
	return 0;
}

int vr_cfg_post_vip(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_cfg_vip *v = obj;
	yaml_node_t *port = given[vr_cfg_key_idx(&vr_cfg_vip_section, "port")];
	yaml_node_t *ports = given[vr_cfg_key_idx(&vr_cfg_vip_section, "ports")];
	yaml_node_t *backends = given[vr_cfg_key_idx(&vr_cfg_vip_section, "backends")];
	char a[INET6_ADDRSTRLEN];

	vr_addr_str(&v->addr, a, sizeof(a));
	if (!port && !ports)
		return vr_cfg_fail_mark(c, mark, "missing required key \"port\" or \"ports\" in %s", c->path);
	if (port && ports) {
		yaml_node_t *second = port->start_mark.index > ports->start_mark.index ? port : ports;
		return vr_cfg_fail_mark(c, &second->start_mark, "%s: give either \"port\" or \"ports\", not both",
					c->path);
	}
	if (!given[vr_cfg_key_idx(&vr_cfg_vip_section, "gue_port")])
		v->gue_port = 0; /* balancer.gue_port, filled in once the whole section is read */
	vr_cfg_health_host_default(v);
	if (v->health_type != VR_HEALTH_NONE && v->health_timeout_ms >= v->health_interval_ms) {
		yaml_node_t *h = given[vr_cfg_key_idx(&vr_cfg_vip_section, "health")];
		return vr_cfg_fail_mark(c, h ? &h->start_mark : mark,
					"%s.health: timeout (%u ms) must be shorter than interval (%u ms)", c->path,
					v->health_timeout_ms, v->health_interval_ms);
	}
	if (v->nb_backends == 0)
		return vr_cfg_fail_mark(c, backends ? &backends->start_mark : mark,
					"%s: VIP %s needs at least one backend", c->path, a);
	for (uint32_t i = 1; i < v->nb_backends; i++)
		for (uint32_t j = 0; j < i; j++)
			if (vr_addr_eq(&v->backends[i].addr, &v->backends[j].addr))
				return vr_cfg_fail_pos(c, &v->backends[i].pos,
						       "%s.backends[%u]: backend %s is listed twice in VIP %s (first at line %u)",
						       c->path, i, v->backends[i].name, a, v->backends[j].pos.line);
	c->total_backends += v->nb_backends;
	if (c->total_backends > VR_MAX_BACKENDS)
		return vr_cfg_fail_mark(c, backends ? &backends->start_mark : mark,
					"%s.backends: too many backends: %u over all VIPs so far, at most %u", c->path,
					c->total_backends, VR_MAX_BACKENDS);
	return 0;
}

int vr_cfg_post_port(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_cfg_port *p = obj;
	yaml_node_t *gw4 = given[vr_cfg_key_idx(&vr_cfg_port_section, "gateway_ipv4")];
	yaml_node_t *gw6 = given[vr_cfg_key_idx(&vr_cfg_port_section, "gateway_ipv6")];
	yaml_node_t *mtu = given[vr_cfg_key_idx(&vr_cfg_port_section, "mtu")];

	if (gw4 && !p->has_ipv4)
		return vr_cfg_fail_mark(c, &gw4->start_mark, "%s.gateway_ipv4: the port has no ipv4 address", c->path);
	if (gw6 && !p->has_ipv6)
		return vr_cfg_fail_mark(c, &gw6->start_mark, "%s.gateway_ipv6: the port has no ipv6 address", c->path);
	if (p->has_ipv6 && p->mtu < 1280)
		return vr_cfg_fail_mark(c, mtu ? &mtu->start_mark : mark,
					"%s.mtu: %u is below 1280, the IPv6 minimum (the port has an ipv6 address)",
					c->path, p->mtu);
	return vr_cfg_post_port_steer(c, p, mark, given);
}

int vr_cfg_post_dataplane(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_config *cfg = obj;
	struct vr_cfg_pos top = {(uint32_t)mark->line + 1, (uint32_t)mark->column + 1};
	bool sends[VR_CFG_MAX_PORTS] = {false};

	(void)given;
	for (uint32_t i = 0; i < cfg->nb_workers; i++)
		if (cfg->worker_lcores[i] == cfg->main_lcore)
			return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, cfg->worker_lcores, &top),
					       "dataplane.worker_lcores: lcore %u is the main lcore (eal.main_lcore)",
					       cfg->main_lcore);
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		struct vr_cfg_port *p = &cfg->ports[i];
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(p->name, cfg->ports[j].name))
				return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, p->name, &p->pos),
						       "dataplane.ports[%u].name: port name \"%s\" is already used by "
						       "dataplane.ports[%u] (line %u)",
						       i, p->name, j, cfg->ports[j].pos.line);
	}
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		struct vr_cfg_port *p = &cfg->ports[i];
		uint32_t j;
		if (!p->tx_port[0])
			memcpy(p->tx_port, p->name, sizeof(p->tx_port));
		for (j = 0; j < cfg->nb_ports; j++)
			if (!strcmp(p->tx_port, cfg->ports[j].name))
				break;
		if (j == cfg->nb_ports)
			return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, p->tx_port, &p->pos),
					       "dataplane.ports[%u].tx_port: no port named \"%s\"", i, p->tx_port);
		p->tx_port_idx = j;
		sends[j] = true;
	}
	/* Without a netmask every packet goes to the next hop, so a port that
	 * sends needs one for each family it has an address of. */
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		struct vr_cfg_port *p = &cfg->ports[i];
		if (!sends[i])
			continue;
		if (p->has_ipv4 && !p->has_gw4)
			return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, &p->ipv4, &p->pos),
					       "dataplane.ports[%u]: port \"%s\" sends and has an ipv4 address, so it "
					       "needs gateway_ipv4",
					       i, p->name);
		if (p->has_ipv6 && !p->has_gw6)
			return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, p->ipv6, &p->pos),
					       "dataplane.ports[%u]: port \"%s\" sends and has an ipv6 address, so it "
					       "needs gateway_ipv6",
					       i, p->name);
	}
	return 0;
}

static const char *fmt_ports(const struct vr_cfg_vip *v, char *buf, size_t len)
{
	if (v->port_lo == v->port_hi)
		snprintf(buf, len, "%u", v->port_lo);
	else
		snprintf(buf, len, "%u-%u", v->port_lo, v->port_hi);
	return buf;
}

int vr_cfg_post_balancer(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_config *cfg = obj;
	yaml_node_t *msize = given[vr_cfg_key_idx(&vr_cfg_balancer_section, "maglev_table_size")];
	char a[INET6_ADDRSTRLEN];

	(void)mark;
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		struct vr_cfg_vip *v = &cfg->vips[i];
		if (v->gue_port == 0)
			v->gue_port = cfg->gue_port;
	}
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		struct vr_cfg_vip *v = &cfg->vips[i];
		uint64_t need = 100ull * v->nb_backends;
		if (cfg->maglev_size >= need)
			continue;
		vr_addr_str(&v->addr, a, sizeof(a));
		/* a default size is not the user's doing: point at the VIP that outgrew it */
		if (!msize)
			return vr_cfg_fail_pos(c, &v->pos,
					       "balancer.maglev_table_size: the default %u is below 100 x %u backends of "
					       "VIP %s (line %u); set a prime of at least %" PRIu64,
					       cfg->maglev_size, v->nb_backends, a, v->pos.line,
					       vr_cfg_next_prime(need));
		return vr_cfg_fail_mark(c, &msize->start_mark,
					"balancer.maglev_table_size: %u is below 100 x %u backends of VIP %s (line %u); "
					"use a prime of at least %" PRIu64,
					cfg->maglev_size, v->nb_backends, a, v->pos.line, vr_cfg_next_prime(need));
	}
	for (uint32_t i = 1; i < cfg->nb_vips; i++) {
		struct vr_cfg_vip *v = &cfg->vips[i];
		for (uint32_t j = 0; j < i; j++) {
			struct vr_cfg_vip *w = &cfg->vips[j];
			if (!vr_addr_eq(&v->addr, &w->addr) || v->port_hi < w->port_lo || w->port_hi < v->port_lo)
				continue;
			char pv[16], pw[16];
			vr_addr_str(&v->addr, a, sizeof(a));
			return vr_cfg_fail_pos(c, &v->pos,
					       "balancer.vips[%u]: VIP %s port %s overlaps the VIP at line %u (port %s)",
					       i, a, fmt_ports(v, pv, sizeof(pv)), w->pos.line,
					       fmt_ports(w, pw, sizeof(pw)));
		}
	}
	return 0;
}

int vr_cfg_post_root(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_config *cfg = obj;
	struct vr_cfg_pos top = {(uint32_t)mark->line + 1, (uint32_t)mark->column + 1};
	yaml_node_t *bal = given[vr_cfg_key_idx(&vr_cfg_root_section, "balancer")];
	bool v4 = false, v6 = false;
	char a[INET6_ADDRSTRLEN];

	if (!cfg->has_dataplane) {
		if (!cfg->has_controlplane)
			return vr_cfg_fail_mark(c, mark, "missing required key \"dataplane\" at the top level");
		/* voxrelay-cp's file alone: no dataplane to check balancer:
		 * against; voxrelay-cp reads only the VIPs and backends */
		return 0;
	}
	if (cfg->role == VR_ROLE_BALANCER && cfg->nb_vips == 0) {
		struct vr_cfg_pos where = top;
		if (bal) {
			where.line = (uint32_t)bal->start_mark.line + 1;
			where.column = (uint32_t)bal->start_mark.column + 1;
		}
		return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, &cfg->nb_vips, &where), "balancer: needs at least one VIP");
	}
	/* the outer source of an encapsulated packet is the sending port's address */
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		const struct vr_cfg_port *tx = &cfg->ports[cfg->ports[i].tx_port_idx];
		v4 |= tx->has_ipv4;
		v6 |= tx->has_ipv6;
	}
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		const struct vr_cfg_vip *v = &cfg->vips[i];
		for (uint32_t j = 0; j < v->nb_backends; j++) {
			const struct vr_cfg_backend *b = &v->backends[j];
			bool is6 = b->addr.family == AF_INET6;
			if (is6 ? v6 : v4)
				continue;
			vr_addr_str(&b->addr, a, sizeof(a));
			return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, &b->addr, &b->pos),
					       "balancer.vips[%u].backends[%u]: backend %s is %s but no sending port has "
					       "an %s address (the outer source)",
					       i, j, a, is6 ? "IPv6" : "IPv4", is6 ? "ipv6" : "ipv4");
		}
	}
	yaml_node_t *rel = given[vr_cfg_key_idx(&vr_cfg_root_section, "relay")];
	struct vr_cfg_pos rpos = top;
	int rc;

	if (rel) {
		rpos.line = (uint32_t)rel->start_mark.line + 1;
		rpos.column = (uint32_t)rel->start_mark.column + 1;
	}
	rc = vr_cfg_check_relay_role(c, cfg, &rpos);
	if (rc == 0)
		rc = vr_cfg_check_http_probes(c, cfg);
	if (rc != 0)
		return rc;
	return vr_cfg_check_steer(c, cfg);
}
