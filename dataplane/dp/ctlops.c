/* SPDX-License-Identifier: BSD-3-Clause */
/* Control operations (docs/control.md): each change edits a copy of the configuration, which is validated and applied like a reload. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "dp.h"
#include "health.h"

#define CTL_LIST_DEFAULT 100
#define CTL_LIST_MAX 10000
#define CTL_WORKER_WAIT_MS 5000

struct ctl_reply {
	json_t *result;
	char msg[VR_CFG_ERR_LEN];
};

typedef int (*ctl_op_fn)(struct vr_dp *dp, json_t *args, struct ctl_reply *r);

static int fail(struct ctl_reply *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctl_reply *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return rc;
}

static const char *errno_name(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case EPROTO: return "EPROTO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBUSY: return "EBUSY";
	default: return "EIO";
	}
}

/* ---- the configuration as data: copy, edit, validate ---- */

/* The dump of a configuration parses back to the same configuration (the
 * config tests check it), so dump-and-parse both copies it and runs every
 * rule of the file on an edited copy: changes obey exactly what the YAML does. */
static struct vr_config *reparse(const struct vr_config *cfg, char *err, size_t errlen)
{
	char *buf = NULL, *p;
	size_t len = 0;
	struct vr_config *out;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL || vr_config_dump(cfg, f) != 0) {
		if (f != NULL)
			fclose(f);
		free(buf);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	fclose(f);
	out = vr_config_parse("control", buf, len, err, errlen);
	free(buf);
	if (out == NULL) {
		/* "control:L:C: path: message" -> "path: message": positions in
		 * a dump mean nothing to the client. */
		p = err;
		for (int i = 0; i < 3 && p != NULL; i++)
			p = strchr(p + 1, ':');
		if (p != NULL && p[1] == ' ')
			memmove(err, p + 2, strlen(p + 2) + 1);
		errno = EINVAL;
		return NULL;
	}
	snprintf(out->path, sizeof(out->path), "%s", cfg->path);
	return out;
}

static int commit(struct vr_dp *dp, struct vr_config *edited, struct ctl_reply *r)
{
	struct vr_config *valid = reparse(edited, r->msg, sizeof(r->msg));

	vr_config_free(edited);
	if (valid == NULL)
		return -errno;
	return vr_dp_apply(dp, valid, r->msg, sizeof(r->msg));
}

static int arg_addr(json_t *args, const char *key, struct vr_addr *a, struct ctl_reply *r)
{
	const char *s = json_string_value(json_object_get(args, key));

	if (s == NULL)
		return fail(r, -EINVAL, "\"%s\": an address is required", key);
	if (vr_addr_parse(s, a) != 0)
		return fail(r, -EINVAL, "\"%s\": \"%s\" is not an IPv4 or IPv6 address", key, s);
	return 0;
}

static int arg_uint(json_t *args, const char *key, uint32_t min, uint32_t max, uint32_t *out, bool *given,
		    struct ctl_reply *r)
{
	json_t *v = json_object_get(args, key);

	*given = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return fail(r, -EINVAL, "\"%s\": an integer %u..%u is required", key, min, max);
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

static int arg_state(json_t *args, uint8_t *state, bool *given, struct ctl_reply *r)
{
	static const char *const names[] = {"up", "draining", "down"};
	json_t *v = json_object_get(args, "state");
	const char *s = json_string_value(v);

	*given = v != NULL;
	if (v == NULL)
		return 0;
	for (uint8_t i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*state = i;
			return 0;
		}
	return fail(r, -EINVAL, "\"state\": one of up, draining, down is required");
}

/* The VIP named by "vip" (address) and "port" (any port of its range). */
static int find_vip(struct vr_config *cfg, json_t *args, struct ctl_reply *r)
{
	struct vr_addr a;
	uint32_t port = 0;
	bool given;
	int rc = arg_addr(args, "vip", &a, r);
	char buf[64];

	if (rc == 0)
		rc = arg_uint(args, "port", 0, 65535, &port, &given, r);
	if (rc != 0)
		return rc;
	if (!given)
		return fail(r, -EINVAL, "\"port\": a port of the VIP is required");
	for (uint32_t i = 0; i < cfg->nb_vips; i++)
		if (vr_addr_eq(&cfg->vips[i].addr, &a) && port >= cfg->vips[i].port_lo && port <= cfg->vips[i].port_hi)
			return (int)i;
	return fail(r, -ENOENT, "no VIP %s with port %u", vr_addr_str(&a, buf, sizeof(buf)), port);
}

static int find_backend(const struct vr_cfg_vip *v, const struct vr_addr *a)
{
	for (uint32_t j = 0; j < v->nb_backends; j++)
		if (vr_addr_eq(&v->backends[j].addr, a))
			return (int)j;
	return -1;
}

static int fill_backend(struct vr_cfg_backend *b, json_t *args, struct ctl_reply *r)
{
	uint32_t weight = b->weight ? b->weight : 1;
	bool wgiven, sgiven;
	int rc = arg_uint(args, "weight", 1, 65535, &weight, &wgiven, r);

	if (rc == 0)
		rc = arg_state(args, &b->state, &sgiven, r);
	b->weight = weight;
	return rc;
}

static int add_backend_to(struct vr_cfg_vip *v, const struct vr_addr *a, json_t *args, struct ctl_reply *r)
{
	struct vr_cfg_backend *nb = realloc(v->backends, (v->nb_backends + 1) * sizeof(*nb));
	struct vr_cfg_backend *b;
	char buf[64];

	if (nb == NULL)
		return fail(r, -ENOMEM, "out of memory");
	v->backends = nb;
	b = &nb[v->nb_backends];
	memset(b, 0, sizeof(*b));
	b->addr = *a;
	snprintf(b->name, sizeof(b->name), "%s", vr_addr_str(a, buf, sizeof(buf)));
	b->state = VR_BACKEND_UP;
	v->nb_backends++;
	return fill_backend(b, args, r);
}

/* The backend JSON of the running state after a change. */
static json_t *backend_result(struct vr_dp *dp, const struct vr_addr *vip, uint16_t port, const struct vr_addr *a)
{
	static uint32_t flows[VR_MAX_BACKENDS];
	const struct vr_lb_state *st = dp->state;

	vr_dp_backend_flows(dp, flows);
	for (uint32_t id = 0; id < VR_MAX_BACKENDS; id++) {
		const struct vr_lb_backend *b = &st->backends[id];
		const struct vr_lb_vip *v = &st->vips[b->vip_id];

		if (b->in_use && vr_addr_eq(&b->addr, a) && vr_addr_eq(&v->addr, vip) && port >= v->port_lo &&
		    port <= v->port_hi)
			return vr_dp_backend_json(dp, st, (uint16_t)id, flows);
	}
	return json_object();
}

/* ---- operations ---- */

static int op_ping(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	(void)args;
	r->result = json_pack("{s:s, s:s, s:I, s:I}", "version", "0.1.0", "role",
			      dp->cfg->role == VR_ROLE_BALANCER ? "balancer" : "relay", "state_generation",
			      (json_int_t)dp->state->generation, "uptime_s",
			      (json_int_t)((rte_rdtsc() - dp->start_tsc) / dp->tsc_hz));
	return 0;
}

static int op_vip_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	static uint32_t flows[VR_MAX_BACKENDS];
	const struct vr_lb_state *st = dp->state;
	json_t *vips = json_array();

	(void)args;
	vr_dp_backend_flows(dp, flows);
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++)
		if (st->vip_in_use[v])
			json_array_append_new(vips, vr_dp_vip_json(dp, st, (uint16_t)v, flows));
	r->result = json_pack("{s:o}", "vips", vips);
	return 0;
}

static int parse_ports(json_t *args, struct vr_cfg_vip *v, struct ctl_reply *r)
{
	json_t *port = json_object_get(args, "port"), *ports = json_object_get(args, "ports");
	unsigned int lo, hi;
	char tail;

	if ((port == NULL) == (ports == NULL))
		return fail(r, -EINVAL, "exactly one of \"port\" and \"ports\" is required");
	if (port != NULL) {
		if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
			return fail(r, -EINVAL, "\"port\": an integer 1..65535 is required");
		v->port_lo = v->port_hi = (uint16_t)json_integer_value(port);
		return 0;
	}
	if (!json_is_string(ports) || sscanf(json_string_value(ports), "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1 ||
	    hi > 65535 || lo > hi)
		return fail(r, -EINVAL, "\"ports\": a range \"A-B\" with 1 <= A <= B <= 65535 is required");
	v->port_lo = (uint16_t)lo;
	v->port_hi = (uint16_t)hi;
	return 0;
}

/* "health": {"type": "udp-echo"|"none", "port", "interval_ms", "timeout_ms", "rise", "fall"} */
static int parse_health(json_t *h, struct vr_cfg_vip *v, struct ctl_reply *r)
{
	const char *type;
	uint32_t x;
	bool given;
	int rc = 0;

	if (h == NULL)
		return 0;
	if (!json_is_object(h))
		return fail(r, -EINVAL, "\"health\": an object is required");
	type = json_string_value(json_object_get(h, "type"));
	if (type != NULL && strcmp(type, "udp-echo") == 0)
		v->health_type = VR_HEALTH_UDP_ECHO;
	else if (type != NULL && strcmp(type, "none") != 0)
		return fail(r, -EINVAL, "\"health.type\": none or udp-echo is required");
	if ((rc = arg_uint(h, "port", 1, 65535, &x, &given, r)) == 0 && given)
		v->health_port = (uint16_t)x;
	if (rc == 0 && (rc = arg_uint(h, "interval_ms", 100, 3600000, &x, &given, r)) == 0 && given)
		v->health_interval_ms = x;
	if (rc == 0 && (rc = arg_uint(h, "timeout_ms", 10, 3600000, &x, &given, r)) == 0 && given)
		v->health_timeout_ms = x;
	if (rc == 0 && (rc = arg_uint(h, "rise", 1, 100, &x, &given, r)) == 0 && given)
		v->health_rise = (uint8_t)x;
	if (rc == 0 && (rc = arg_uint(h, "fall", 1, 100, &x, &given, r)) == 0 && given)
		v->health_fall = (uint8_t)x;
	return rc;
}

static int op_vip_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	struct vr_config *cfg = reparse(dp->cfg, r->msg, sizeof(r->msg));
	struct vr_cfg_vip *nv, *v;
	json_t *backends = json_object_get(args, "backends"), *b;
	const char *s;
	size_t i;
	uint32_t gue_port = dp->cfg->gue_port;
	bool given;
	int rc;

	if (cfg == NULL)
		return -errno;
	nv = realloc(cfg->vips, (cfg->nb_vips + 1) * sizeof(*nv));
	if (nv == NULL) {
		vr_config_free(cfg);
		return fail(r, -ENOMEM, "out of memory");
	}
	cfg->vips = nv;
	v = &nv[cfg->nb_vips++];
	memset(v, 0, sizeof(*v));
	/* The file's defaults (config_schema.c) for what the request leaves out. */
	v->health_port = 7;
	v->health_interval_ms = 1000;
	v->health_timeout_ms = 500;
	v->health_rise = 2;
	v->health_fall = 3;
	rc = arg_addr(args, "address", &v->addr, r);
	if (rc == 0)
		rc = parse_health(json_object_get(args, "health"), v, r);
	if (rc == 0)
		rc = parse_ports(args, v, r);
	if (rc == 0 && (s = json_string_value(json_object_get(args, "hash"))) != NULL) {
		if (strcmp(s, "dst-port") == 0)
			v->hash_key = VR_HASH_DST_PORT;
		else if (strcmp(s, "five-tuple") != 0)
			rc = fail(r, -EINVAL, "\"hash\": five-tuple or dst-port is required");
	}
	if (rc == 0 && (s = json_string_value(json_object_get(args, "encap"))) != NULL) {
		if (strcmp(s, "ipip") == 0)
			v->encap = 1;
		else if (strcmp(s, "gue") != 0)
			rc = fail(r, -EINVAL, "\"encap\": gue or ipip is required");
	}
	if (rc == 0)
		rc = arg_uint(args, "gue_port", 1, 65535, &gue_port, &given, r);
	v->gue_port = (uint16_t)gue_port;
	if (rc == 0 && backends != NULL && !json_is_array(backends))
		rc = fail(r, -EINVAL, "\"backends\": a list is required");
	json_array_foreach(backends, i, b) {
		struct vr_addr a;

		if (rc != 0)
			break;
		rc = arg_addr(b, "address", &a, r);
		if (rc == 0)
			rc = add_backend_to(v, &a, b, r);
	}
	if (rc != 0) {
		vr_config_free(cfg);
		return rc;
	}
	struct vr_addr vaddr = v->addr;
	uint16_t port = v->port_lo;
	rc = commit(dp, cfg, r);
	if (rc == 0) {
		static uint32_t flows[VR_MAX_BACKENDS];
		const struct vr_lb_state *st = dp->state;

		vr_dp_backend_flows(dp, flows);
		for (uint32_t id = 0; id < VR_MAX_VIPS; id++)
			if (st->vip_in_use[id] && vr_addr_eq(&st->vips[id].addr, &vaddr) && st->vips[id].port_lo == port)
				r->result = json_pack("{s:o}", "vip", vr_dp_vip_json(dp, st, (uint16_t)id, flows));
	}
	return rc;
}

static int op_vip_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	struct vr_config *cfg = reparse(dp->cfg, r->msg, sizeof(r->msg));
	int i;

	if (cfg == NULL)
		return -errno;
	i = find_vip(cfg, args, r);
	if (i < 0) {
		vr_config_free(cfg);
		return i;
	}
	free(cfg->vips[i].backends);
	memmove(&cfg->vips[i], &cfg->vips[i + 1], (cfg->nb_vips - (uint32_t)i - 1) * sizeof(cfg->vips[0]));
	cfg->nb_vips--;
	r->result = json_object();
	return commit(dp, cfg, r);
}

/* backend.add, backend.remove and backend.set share the lookup and the commit. */
static int backend_op(struct vr_dp *dp, json_t *args, struct ctl_reply *r, char what)
{
	struct vr_config *cfg = reparse(dp->cfg, r->msg, sizeof(r->msg));
	struct vr_addr a, vaddr;
	struct vr_cfg_vip *v;
	char buf[64];
	int i, j, rc;
	uint16_t port;

	if (cfg == NULL)
		return -errno;
	i = find_vip(cfg, args, r);
	rc = i < 0 ? i : arg_addr(args, "address", &a, r);
	if (rc != 0)
		goto out;
	v = &cfg->vips[i];
	vaddr = v->addr;
	port = v->port_lo;
	j = find_backend(v, &a);
	if (what == 'a') {
		rc = j >= 0 ? fail(r, -EEXIST, "backend %s is already in the VIP", vr_addr_str(&a, buf, sizeof(buf)))
			    : add_backend_to(v, &a, args, r);
	} else if (j < 0) {
		rc = fail(r, -ENOENT, "no backend %s in the VIP", vr_addr_str(&a, buf, sizeof(buf)));
	} else if (what == 'r') {
		memmove(&v->backends[j], &v->backends[j + 1], (v->nb_backends - (uint32_t)j - 1) * sizeof(v->backends[0]));
		v->nb_backends--;
	} else {
		if (json_object_get(args, "weight") == NULL && json_object_get(args, "state") == NULL)
			rc = fail(r, -EINVAL, "\"weight\" or \"state\" is required");
		else
			rc = fill_backend(&v->backends[j], args, r);
	}
	if (rc != 0)
		goto out;
	rc = commit(dp, cfg, r);
	if (rc == 0)
		r->result = what == 'r' ? json_object() : json_pack("{s:o}", "backend", backend_result(dp, &vaddr, port, &a));
	return rc;
out:
	vr_config_free(cfg);
	return rc;
}

static int op_backend_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	return backend_op(dp, args, r, 'a');
}

static int op_backend_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	return backend_op(dp, args, r, 'r');
}

static int op_backend_set(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	return backend_op(dp, args, r, 's');
}

/* The running state's VIP named by args, or -errno. */
static int state_vip(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	const struct vr_lb_state *st = dp->state;
	struct vr_addr a;
	uint32_t port = 0;
	bool given;
	char buf[64];
	int rc = arg_addr(args, "vip", &a, r);

	if (rc == 0)
		rc = arg_uint(args, "port", 0, 65535, &port, &given, r);
	if (rc != 0)
		return rc;
	if (!given)
		return fail(r, -EINVAL, "\"port\": a port of the VIP is required");
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++)
		if (st->vip_in_use[v] && vr_addr_eq(&st->vips[v].addr, &a) && port >= st->vips[v].port_lo &&
		    port <= st->vips[v].port_hi)
			return (int)v;
	return fail(r, -ENOENT, "no VIP %s with port %u", vr_addr_str(&a, buf, sizeof(buf)), port);
}

static int op_maglev_shares(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	const struct vr_lb_state *st = dp->state;
	int v = state_vip(dp, args, r);
	json_t *list;

	if (v < 0)
		return v;
	list = json_array();
	for (uint32_t j = 0; j < st->vips[v].nb_backends; j++) {
		const struct vr_lb_backend *b = &st->backends[st->vips[v].backend_ids[j]];
		json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:f}", "address", b->name, "state",
						      vr_dp_backend_state_name(b->state), "slots", b->maglev_slots,
						      "share", (double)b->maglev_slots / st->vips[v].maglev->size));
	}
	r->result = json_pack("{s:i, s:o}", "size", st->vips[v].maglev->size, "backends", list);
	return 0;
}

static int op_stats(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	(void)args;
	r->result = vr_dp_stats_build(dp);
	return r->result != NULL ? 0 : fail(r, -ENOMEM, "out of memory");
}

static int op_reload(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	int rc = vr_dp_reload(dp, r->msg, sizeof(r->msg));

	(void)args;
	if (rc == 0)
		r->result = json_pack("{s:I}", "state_generation", (json_int_t)dp->state->generation);
	return rc;
}

/* Hand @proto to every worker in turn and wait for each to finish its walk. */
static int run_on_workers(struct vr_dp *dp, struct vr_worker_req *proto, struct vr_ct_view *views,
			  uint32_t *nb_views, bool *truncated, uint32_t *flushed, struct ctl_reply *r)
{
	static struct vr_worker_req req[VR_CFG_MAX_LCORES];

	*nb_views = *flushed = 0;
	*truncated = false;
	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		struct vr_worker_req *rq = &req[i];
		uint64_t deadline;

		if (__atomic_load_n(&dp->workers[i]->req, __ATOMIC_ACQUIRE) != NULL)
			return fail(r, -EBUSY, "worker %u is still busy with an earlier request", dp->workers[i]->lcore_id);
		*rq = *proto;
		rq->entries = views + *nb_views;
		rq->limit = proto->limit - *nb_views;
		__atomic_store_n(&dp->workers[i]->req, rq, __ATOMIC_RELEASE);
		deadline = rte_rdtsc() + dp->tsc_hz * CTL_WORKER_WAIT_MS / 1000;
		while (!__atomic_load_n(&rq->done, __ATOMIC_ACQUIRE)) {
			if (rte_rdtsc() > deadline)
				return fail(r, -EBUSY, "worker %u did not answer in %d ms", dp->workers[i]->lcore_id,
					    CTL_WORKER_WAIT_MS);
			usleep(100);
		}
		*nb_views += rq->nb_entries;
		*flushed += rq->flushed;
		*truncated |= rq->truncated;
	}
	return 0;
}

/* An optional address filter: sets *@has and the IPv4-mapped bytes if @key is given. */
static int arg_addr_filter(json_t *args, const char *key, bool *has, uint8_t *addr16, uint8_t *family,
			   struct ctl_reply *r)
{
	struct vr_addr a;
	int rc;

	if (json_object_get(args, key) == NULL)
		return 0;
	rc = arg_addr(args, key, &a, r);
	if (rc != 0)
		return rc;
	*has = true;
	memcpy(addr16, a.a.b, 16);
	*family = a.family;
	return 0;
}

static int ct_filters(struct vr_dp *dp, json_t *args, struct vr_worker_req *rq, struct ctl_reply *r)
{
	int rc;

	memset(rq, 0, sizeof(*rq));
	rc = arg_addr_filter(args, "client", &rq->has_client, rq->client, &rq->client_family, r);
	if (rc == 0)
		rc = arg_addr_filter(args, "backend", &rq->has_backend, rq->backend_addr, &rq->backend_family, r);
	if (rc == 0 && json_object_get(args, "vip") != NULL) {
		rc = state_vip(dp, args, r);
		if (rc >= 0) {
			rq->has_vip = true;
			rq->vip_id = (uint16_t)rc;
			rc = 0;
		}
	}
	return rc;
}

static int op_conntrack_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	const struct vr_lb_state *st = dp->state;
	struct vr_worker_req rq;
	struct vr_ct_view *views;
	uint32_t limit = CTL_LIST_DEFAULT, n, flushed;
	bool given, truncated;
	int rc = ct_filters(dp, args, &rq, r);

	if (rc == 0)
		rc = arg_uint(args, "limit", 1, CTL_LIST_MAX, &limit, &given, r);
	if (rc != 0)
		return rc;
	views = calloc(limit, sizeof(*views));
	if (views == NULL)
		return fail(r, -ENOMEM, "out of memory");
	rq.op = VR_WREQ_CT_LIST;
	rq.limit = limit;
	rc = run_on_workers(dp, &rq, views, &n, &truncated, &flushed, r);
	if (rc == 0) {
		json_t *list = json_array();
		char c[64], v[64];

		for (uint32_t i = 0; i < n; i++) {
			const struct vr_ct_view *e = &views[i];
			struct vr_addr ca = {.family = e->key.family}, va = {.family = e->key.family};
			const struct vr_lb_backend *b = &st->backends[e->backend_id];

			memcpy(ca.a.b, e->key.src, 16);
			memcpy(va.a.b, e->key.dst, 16);
			json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:i, s:s, s:I, s:i}", "client",
							      vr_addr_str(&ca, c, sizeof(c)), "client_port",
							      rte_be_to_cpu_16(e->key.sport), "vip",
							      vr_addr_str(&va, v, sizeof(v)), "vip_port",
							      rte_be_to_cpu_16(e->key.dport), "backend",
							      b->in_use ? b->name : "", "idle_ms",
							      (json_int_t)(e->idle_cycles * 1000 / dp->tsc_hz), "lcore",
							      e->lcore));
		}
		r->result = json_pack("{s:o, s:b}", "entries", list, "truncated", truncated);
	}
	free(views);
	return rc;
}

static int op_conntrack_flush(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	struct vr_worker_req rq;
	uint32_t n, flushed;
	bool truncated;
	int rc = ct_filters(dp, args, &rq, r);

	if (rc != 0)
		return rc;
	rq.op = VR_WREQ_CT_FLUSH;
	rc = run_on_workers(dp, &rq, NULL, &n, &truncated, &flushed, r);
	if (rc == 0)
		r->result = json_pack("{s:i}", "flushed", flushed);
	return rc;
}

static int op_health_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	(void)args;
	r->result = json_pack("{s:o}", "backends", vr_dp_health_json(dp));
	return 0;
}

static const struct {
	const char *name;
	ctl_op_fn fn;
} ops[] = {
	{"health.list", op_health_list},
	{"ping", op_ping},
	{"vip.list", op_vip_list},
	{"vip.add", op_vip_add},
	{"vip.remove", op_vip_remove},
	{"backend.add", op_backend_add},
	{"backend.remove", op_backend_remove},
	{"backend.set", op_backend_set},
	{"maglev.shares", op_maglev_shares},
	{"stats", op_stats},
	{"conntrack.list", op_conntrack_list},
	{"conntrack.flush", op_conntrack_flush},
	{"reload", op_reload},
};

char *vr_dp_ctl_handle(void *arg, const char *line, size_t len)
{
	struct vr_dp *dp = arg;
	struct ctl_reply r = {.result = NULL};
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *id = NULL, *resp;
	const char *op;
	char *out;
	int rc = -EOPNOTSUPP;

	dp->ctl_requests++;
	if (req == NULL) {
		rc = fail(&r, -EPROTO, "not JSON: %s (column %d)", jerr.text, jerr.column);
		goto reply;
	}
	id = json_object_get(req, "id");
	op = json_string_value(json_object_get(req, "op"));
	if (!json_is_object(req) || op == NULL) {
		rc = fail(&r, -EPROTO, "a request is an object with a string \"op\"");
		goto reply;
	}
	json_t *args = json_object_get(req, "args");
	if (args != NULL && !json_is_object(args)) {
		rc = fail(&r, -EPROTO, "\"args\" must be an object");
		goto reply;
	}
	if (args == NULL)
		args = json_object();
	else
		json_incref(args);
	rc = fail(&r, -EOPNOTSUPP, "unknown op \"%s\"", op);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i].name) == 0) {
			r.msg[0] = '\0';
			rc = ops[i].fn(dp, args, &r);
			break;
		}
	json_decref(args);
reply:
	if (rc == 0) {
		resp = json_pack("{s:b, s:o}", "ok", 1, "result", r.result != NULL ? r.result : json_object());
	} else {
		dp->ctl_errors++;
		json_decref(r.result);
		resp = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", errno_name(-rc), "message", r.msg);
	}
	if (id != NULL)
		json_object_set(resp, "id", id);
	json_decref(req);
	out = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	if (out != NULL) {
		size_t n = strlen(out);
		char *nl = realloc(out, n + 2);
		if (nl == NULL) {
			free(out);
			return NULL;
		}
		nl[n] = '\n';
		nl[n + 1] = '\0';
		out = nl;
	}
	return out;
}
