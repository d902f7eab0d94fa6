/* SPDX-License-Identifier: BSD-3-Clause */
/* The steering keys' checks across keys: steer only on net_af_xdp, no second xdp_prog, what the program's maps can hold. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/config.h"
#include "voxrelay/steer_table.h"

#include "config_priv.h"

#define AF_XDP_PREFIX "net_af_xdp"

int vr_cfg_post_port_steer(struct vr_cfg_ctx *c, struct vr_cfg_port *p, const yaml_mark_t *mark,
			   yaml_node_t *const *given)
{
	yaml_node_t *steer = given[vr_cfg_key_idx(&vr_cfg_port_section, "steer")];
	yaml_node_t *prog = given[vr_cfg_key_idx(&vr_cfg_port_section, "steer_program")];
	yaml_node_t *device = given[vr_cfg_key_idx(&vr_cfg_port_section, "device")];
	const yaml_mark_t *at_steer = steer ? &steer->start_mark : mark;

	if (prog && !p->steer)
		return vr_cfg_fail_mark(c, &prog->start_mark, "%s.steer_program: only with steer: true", c->path);
	if (!p->steer)
		return 0;
	/* DPDK splits devargs at commas: such a path cannot be passed as xdp_prog=. */
	if (prog && strchr(p->steer_program, ',') != NULL)
		return vr_cfg_fail_mark(c, &prog->start_mark, "%s.steer_program: a path with ',' cannot go into devargs",
					c->path);
	if (strncmp(p->device, AF_XDP_PREFIX, strlen(AF_XDP_PREFIX)) != 0)
		return vr_cfg_fail_mark(c, at_steer,
					"%s.steer: only a net_af_xdp device can steer (the device is \"%s\")", c->path,
					p->device);
	/* voxrelay-dp finds the attached program through the interface. */
	if (strstr(p->device, ",iface=") == NULL)
		return vr_cfg_fail_mark(c, device ? &device->start_mark : at_steer,
					"%s.device: steer: true needs the device's iface= (the interface the program is "
					"attached to)",
					c->path);
	if (strstr(p->device, "xdp_prog=") != NULL)
		return vr_cfg_fail_mark(c, device ? &device->start_mark : at_steer,
					"%s.device: has its own xdp_prog=; with steer: true voxrelay-dp adds it (set "
					"steer_program instead)",
					c->path);
	return 0;
}

/* The message of a range that does not fit, at the VIP or port it came from. */
static int table_err(struct vr_cfg_ctx *c, const struct vr_config *cfg, uint32_t port,
		     const struct vr_steer_build_err *e)
{
	const struct vr_cfg_pos *at;
	char a[INET6_ADDRSTRLEN], where[48];

	vr_addr_str(&e->addr, a, sizeof(a));
	switch (e->src) {
	case VR_STEER_SRC_VIP:
		at = vr_cfg_mark_of(c, &cfg->vips[e->index].port_lo, &cfg->vips[e->index].pos);
		snprintf(where, sizeof(where), "balancer.vips[%u]", e->index);
		break;
	case VR_STEER_SRC_RELAY_VIP:
		at = vr_cfg_mark_of(c, &cfg->relay_vips[e->index].port_lo, &cfg->relay_vips[e->index].pos);
		snprintf(where, sizeof(where), "relay.vips[%u]", e->index);
		break;
	default:
		at = &cfg->ports[e->index].pos;
		snprintf(where, sizeof(where), "dataplane.ports[%u]", e->index);
		break;
	}
	if (e->no_entry)
		return vr_cfg_fail_pos(c, at,
				       "%s: address %s is one too many for the steering program of port \"%s\" "
				       "(at most %u addresses)",
				       where, a, cfg->ports[port].name, VR_STEER_MAX_VIPS);
	return vr_cfg_fail_pos(c, at,
			       "%s: address %s needs more than %u port ranges in the steering program of port "
			       "\"%s\"; join adjacent ranges with the same filter and rate_limit, or use fewer",
			       where, a, VR_STEER_VIP_RANGES, cfg->ports[port].name);
}

/* Every steered port's table fits the maps (built as voxrelay-dp will build it). */
static int check_tables(struct vr_cfg_ctx *c, const struct vr_config *cfg)
{
	struct vr_steer_table *t = NULL;
	struct vr_steer_build_err e;
	int rc = 0;

	for (uint32_t i = 0; i < cfg->nb_ports && rc == 0; i++) {
		if (!cfg->ports[i].steer)
			continue;
		/* 24 KiB: not on the stack */
		if (t == NULL && (t = malloc(sizeof(*t))) == NULL) {
			rc = vr_cfg_nomem(c);
			break;
		}
		rc = vr_steer_table_build(cfg, i, t, &e);
		if (rc == -ENOSPC)
			rc = table_err(c, cfg, i, &e);
		else if (rc != 0)
			rc = vr_cfg_fail_pos(c, &cfg->ports[i].pos, "dataplane.ports[%u]: steering table: error %d", i,
					     rc);
	}
	free(t);
	return rc;
}

int vr_cfg_check_steer(struct vr_cfg_ctx *c, const struct vr_config *cfg)
{
	const struct vr_cfg_port *probe;
	int rc = check_tables(c, cfg);

	if (rc != 0 || cfg->nb_ports == 0)
		return rc;
	/* HTTP probes' answers are TCP to the probing port's address, which the program leaves to the kernel. */
	probe = &cfg->ports[cfg->ports[0].tx_port_idx];
	if (!probe->steer)
		return 0;
	for (uint32_t i = 0; i < cfg->nb_vips; i++)
		if (cfg->vips[i].health_type == VR_HEALTH_HTTP)
			return vr_cfg_fail_pos(c, vr_cfg_mark_of(c, &cfg->vips[i].health_type, &cfg->vips[i].pos),
					       "balancer.vips[%u].health: type http cannot probe through port \"%s\", "
					       "which steers: its answers are TCP, and the steering program leaves TCP "
					       "to the kernel",
					       i, probe->name);
	return 0;
}
