/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay section's checks across keys: its VIPs' port ranges, speaker and member limits, what role relay needs. */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "voxrelay/config.h"

#include "config_priv.h"

int vr_cfg_post_relay_vip(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	yaml_node_t *port = given[vr_cfg_key_idx(&vr_cfg_relay_vip_section, "port")];
	yaml_node_t *ports = given[vr_cfg_key_idx(&vr_cfg_relay_vip_section, "ports")];

	(void)obj;
	if (!port && !ports)
		return vr_cfg_fail_mark(c, mark, "missing required key \"port\" or \"ports\" in %s", c->path);
	if (port && ports) {
		yaml_node_t *second = port->start_mark.index > ports->start_mark.index ? port : ports;
		return vr_cfg_fail_mark(c, &second->start_mark, "%s: give either \"port\" or \"ports\", not both",
					c->path);
	}
	return 0;
}

int vr_cfg_post_relay(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_config *cfg = obj;
	yaml_node_t *speakers = given[vr_cfg_key_idx(&vr_cfg_relay_section, "max_speakers")];
	char a[INET6_ADDRSTRLEN];

	if (cfg->relay_max_speakers > cfg->relay_max_members)
		return vr_cfg_fail_mark(c, speakers ? &speakers->start_mark : mark,
					"relay.max_speakers: %u is more than relay.max_members (%u)",
					cfg->relay_max_speakers, cfg->relay_max_members);
	for (uint32_t i = 1; i < cfg->nb_relay_vips; i++) {
		const struct vr_cfg_relay_vip *v = &cfg->relay_vips[i];

		for (uint32_t j = 0; j < i; j++) {
			const struct vr_cfg_relay_vip *w = &cfg->relay_vips[j];

			if (!vr_addr_eq(&v->addr, &w->addr) || v->port_hi < w->port_lo || w->port_hi < v->port_lo)
				continue;
			vr_addr_str(&v->addr, a, sizeof(a));
			return vr_cfg_fail_pos(c, &v->pos,
					       "relay.vips[%u]: VIP %s ports %u-%u overlap the VIP at line %u (ports %u-%u)",
					       i, a, v->port_lo, v->port_hi, w->pos.line, w->port_lo, w->port_hi);
		}
	}
	return 0;
}

int vr_cfg_check_relay_role(struct vr_cfg_ctx *c, const struct vr_config *cfg, const struct vr_cfg_pos *top)
{
	bool v4 = false, v6 = false;
	char a[INET6_ADDRSTRLEN];

	if (cfg->role != VR_ROLE_RELAY)
		return 0;
	if (cfg->nb_vips != 0)
		return vr_cfg_fail_pos(c, &cfg->vips[0].pos,
				       "balancer.vips: role relay has no balancer VIPs; its rooms' addresses go in "
				       "relay.vips");
	if (cfg->nb_relay_vips == 0)
		return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, &cfg->nb_relay_vips, top),
				       "relay: role relay needs at least one VIP in relay.vips");
	/* The relay answers from the VIP out of the port that received the
	 * room's packets' tx_port, through that port's gateway of the family. */
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		const struct vr_cfg_port *tx = &cfg->ports[cfg->ports[i].tx_port_idx];
		v4 |= tx->has_ipv4 && tx->has_gw4;
		v6 |= tx->has_ipv6 && tx->has_gw6;
	}
	for (uint32_t i = 0; i < cfg->nb_relay_vips; i++) {
		const struct vr_cfg_relay_vip *v = &cfg->relay_vips[i];
		bool is6 = v->addr.family == AF_INET6;

		if (is6 ? v6 : v4)
			continue;
		vr_addr_str(&v->addr, a, sizeof(a));
		return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, &v->addr, &v->pos),
				       "relay.vips[%u]: VIP %s is %s but no sending port has an %s address and gateway",
				       i, a, is6 ? "IPv6" : "IPv4", is6 ? "ipv6" : "ipv4");
	}
	return 0;
}
