/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration of health checks: defaults that depend on the probe type or the VIP, and what only HTTP allows. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/config.h"
#include "voxrelay/http.h"

#include "config_priv.h"

static const char *type_name(uint8_t type)
{
	return type == VR_HEALTH_UDP_ECHO ? "udp-echo" : type == VR_HEALTH_HTTP ? "http" : "none";
}

int vr_cfg_post_health(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	static const char *const http_only[] = {"path", "host", "expect"};
	const struct vr_cfg_section *s = &vr_cfg_health_section;
	struct vr_cfg_vip *v = obj;
	yaml_node_t *path = given[vr_cfg_key_idx(s, "path")], *host = given[vr_cfg_key_idx(s, "host")];
	char q[96];

	(void)mark;
	if (v->health_type != VR_HEALTH_HTTP) {
		/* Most likely a forgotten `type: http`: say so rather than ignore it. */
		for (size_t i = 0; i < VR_ARRAY_SIZE(http_only); i++) {
			yaml_node_t *n = given[vr_cfg_key_idx(s, http_only[i])];

			if (n != NULL)
				return vr_cfg_fail_mark(c, &n->start_mark, "%s.%s: only type http uses it (type is %s)",
							c->path, http_only[i], type_name(v->health_type));
		}
		return 0;
	}
	if (!given[vr_cfg_key_idx(s, "port")])
		v->health_port = 80;
	if (!given[vr_cfg_key_idx(s, "expect")]) {
		v->health_expect = 200;
		v->has_health_expect = true;
	}
	if (path == NULL)
		snprintf(v->health_path, sizeof(v->health_path), "/healthz");
	else if (!vr_http_path_ok(v->health_path, strlen(v->health_path)))
		return vr_cfg_fail_mark(c, &path->start_mark,
					"%s.path: %s must start with '/' and hold only visible ASCII (no spaces)", c->path,
					vr_cfg_quote(v->health_path, strlen(v->health_path), q, sizeof(q)));
	if (host != NULL && !vr_http_host_ok(v->health_host, strlen(v->health_host)))
		return vr_cfg_fail_mark(c, &host->start_mark,
					"%s.host: %s must be visible ASCII without spaces or '/' (a name, or name:port)",
					c->path, vr_cfg_quote(v->health_host, strlen(v->health_host), q, sizeof(q)));
	return 0;
}

int vr_cfg_post_dp_health(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_config *cfg = obj;
	yaml_node_t *tap = given[0];

	/* Name characters are checked by the table; these two are names the kernel refuses. */
	if (strcmp(cfg->health_tap, ".") == 0 || strcmp(cfg->health_tap, "..") == 0)
		return vr_cfg_fail_mark(c, tap ? &tap->start_mark : mark, "%s.tap: \"%s\" is not a valid interface name",
					c->path, cfg->health_tap);
	return 0;
}

void vr_cfg_health_host_default(struct vr_cfg_vip *v)
{
	char a[INET6_ADDRSTRLEN];

	if (v->health_type != VR_HEALTH_HTTP || v->health_host[0] != '\0')
		return;
	vr_addr_str(&v->addr, a, sizeof(a));
	/* An IPv6 literal in a Host header is bracketed (RFC 3986 section 3.2.2). */
	snprintf(v->health_host, sizeof(v->health_host), v->addr.family == AF_INET6 ? "[%s]" : "%s", a);
}

/*
 * HTTP probes leave through the kernel's TCP stack on the tap, from the
 * address of the port that sends probes (the first port's tx_port), and are
 * encapsulated from that port's address of the backend's family: a VIP or a
 * backend of a family it has no address of could never be probed.
 */
int vr_cfg_check_http_probes(struct vr_cfg_ctx *c, const struct vr_config *cfg)
{
	const struct vr_cfg_port *p;
	char a[INET6_ADDRSTRLEN];

	if (cfg->nb_ports == 0)
		return 0;
	p = &cfg->ports[cfg->ports[0].tx_port_idx];
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		const struct vr_cfg_vip *v = &cfg->vips[i];
		const struct vr_addr *bad = NULL;
		const struct vr_cfg_pos *where = vr_cfg_mark_of(c, &v->health_type, &v->pos);

		if (v->health_type != VR_HEALTH_HTTP)
			continue;
		if (v->addr.family == AF_INET6 ? !p->has_ipv6 : !p->has_ipv4)
			bad = &v->addr;
		for (uint32_t j = 0; bad == NULL && j < v->nb_backends; j++)
			if (v->backends[j].addr.family == AF_INET6 ? !p->has_ipv6 : !p->has_ipv4) {
				bad = &v->backends[j].addr;
				where = vr_cfg_mark_of(c, bad, &v->backends[j].pos);
			}
		if (bad == NULL)
			continue;
		vr_addr_str(bad, a, sizeof(a));
		return vr_cfg_fail_pos(c, where,
				       "balancer.vips[%u].health: type http probes from port \"%s\" (the first port's "
				       "tx_port), which has no %s address for %s %s",
				       i, p->name, bad->family == AF_INET6 ? "ipv6" : "ipv4",
				       bad == &v->addr ? "VIP" : "backend", a);
	}
	return 0;
}
