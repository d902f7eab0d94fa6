/* SPDX-License-Identifier: BSD-3-Clause */
/* Control operations that change VIPs and backends: each edits a copy of the configuration, checked like the file and staged for one commit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlops.h"

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

struct vr_config *vr_ctl_config_copy(const struct vr_config *cfg, struct ctl_reply *r)
{
	return reparse(cfg, r->msg, sizeof(r->msg));
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
	return vr_ctl_fail(r, -EINVAL, "\"state\": one of up, draining, down is required");
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
	int rc = vr_ctl_arg_uint(args, "weight", 1, 65535, &weight, &wgiven, r);

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
		return vr_ctl_fail(r, -ENOMEM, "out of memory");
	v->backends = nb;
	b = &nb[v->nb_backends];
	memset(b, 0, sizeof(*b));
	b->addr = *a;
	snprintf(b->name, sizeof(b->name), "%s", vr_addr_str(a, buf, sizeof(buf)));
	b->state = VR_BACKEND_UP;
	v->nb_backends++;
	return fill_backend(b, args, r);
}

static int parse_ports(json_t *args, struct vr_cfg_vip *v, struct ctl_reply *r)
{
	json_t *port = json_object_get(args, "port"), *ports = json_object_get(args, "ports");
	unsigned int lo, hi;
	char tail;

	if ((port == NULL) == (ports == NULL))
		return vr_ctl_fail(r, -EINVAL, "exactly one of \"port\" and \"ports\" is required");
	if (port != NULL) {
		if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
			return vr_ctl_fail(r, -EINVAL, "\"port\": an integer 1..65535 is required");
		v->port_lo = v->port_hi = (uint16_t)json_integer_value(port);
		return 0;
	}
	if (!json_is_string(ports) || sscanf(json_string_value(ports), "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1 ||
	    hi > 65535 || lo > hi)
		return vr_ctl_fail(r, -EINVAL, "\"ports\": a range \"A-B\" with 1 <= A <= B <= 65535 is required");
	v->port_lo = (uint16_t)lo;
	v->port_hi = (uint16_t)hi;
	return 0;
}

/* An HTTP probe's path or host: checked here for size only, for the rest by the file's rules when applied. */
static int health_string(json_t *h, const char *key, char *dst, size_t size, struct ctl_reply *r)
{
	json_t *v = json_object_get(h, key);
	size_t len;

	if (v == NULL)
		return 0;
	len = json_is_string(v) ? json_string_length(v) : 0;
	if (len == 0 || len >= size || strlen(json_string_value(v)) != len)
		return vr_ctl_fail(r, -EINVAL, "\"health.%s\": a string of 1..%zu bytes is required", key, size - 1);
	memcpy(dst, json_string_value(v), len + 1);
	return 0;
}

/* "health": {"type": "udp-echo"|"http"|"none", "port", "interval_ms", "timeout_ms", "rise", "fall",
 *            and for http "path", "host", "expect"} */
static int parse_health(json_t *h, struct vr_cfg_vip *v, struct ctl_reply *r)
{
	const char *type;
	uint32_t x;
	bool given;
	int rc = 0;

	if (h == NULL)
		return 0;
	if (!json_is_object(h))
		return vr_ctl_fail(r, -EINVAL, "\"health\": an object is required");
	type = json_string_value(json_object_get(h, "type"));
	if (type != NULL && strcmp(type, "udp-echo") == 0)
		v->health_type = VR_HEALTH_UDP_ECHO;
	else if (type != NULL && strcmp(type, "http") == 0)
		v->health_type = VR_HEALTH_HTTP;
	else if (type != NULL && strcmp(type, "none") != 0)
		return vr_ctl_fail(r, -EINVAL, "\"health.type\": none, udp-echo or http is required");
	/* The file's default port of an HTTP check (config_health.c). */
	if (v->health_type == VR_HEALTH_HTTP)
		v->health_port = 80;
	if ((rc = vr_ctl_arg_uint(h, "port", 1, 65535, &x, &given, r)) == 0 && given)
		v->health_port = (uint16_t)x;
	if (rc == 0 && (rc = vr_ctl_arg_uint(h, "interval_ms", 100, 3600000, &x, &given, r)) == 0 && given)
		v->health_interval_ms = x;
	if (rc == 0 && (rc = vr_ctl_arg_uint(h, "timeout_ms", 10, 3600000, &x, &given, r)) == 0 && given)
		v->health_timeout_ms = x;
	if (rc == 0 && (rc = vr_ctl_arg_uint(h, "rise", 1, 100, &x, &given, r)) == 0 && given)
		v->health_rise = (uint8_t)x;
	if (rc == 0 && (rc = vr_ctl_arg_uint(h, "fall", 1, 100, &x, &given, r)) == 0 && given)
		v->health_fall = (uint8_t)x;
	/* Given with another type, the configuration's rules refuse them when the change is applied. */
	if (rc == 0 && (rc = vr_ctl_arg_uint(h, "expect", 100, 599, &x, &given, r)) == 0 && given) {
		v->health_expect = (uint16_t)x;
		v->has_health_expect = true;
	}
	if (rc == 0)
		rc = health_string(h, "path", v->health_path, sizeof(v->health_path), r);
	if (rc == 0)
		rc = health_string(h, "host", v->health_host, sizeof(v->health_host), r);
	return rc;
}

int vr_ctl_op_vip_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_config *cfg = vr_ctl_config_copy(vr_ctl_config(dp), r);
	struct vr_cfg_vip *nv, *v;
	json_t *backends = json_object_get(args, "backends"), *b;
	const char *s;
	size_t i;
	uint32_t gue_port;
	bool given;
	int rc;

	if (cfg == NULL)
		return -errno;
	gue_port = cfg->gue_port;
	nv = realloc(cfg->vips, (cfg->nb_vips + 1) * sizeof(*nv));
	if (nv == NULL) {
		vr_config_free(cfg);
		return vr_ctl_fail(r, -ENOMEM, "out of memory");
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
	v->steer_filter = VR_STEER_FILTER_VOICE;
	v->steer_rate_limit = true;
	rc = vr_ctl_arg_addr(args, "address", &v->addr, r);
	if (rc == 0)
		rc = parse_health(json_object_get(args, "health"), v, r);
	if (rc == 0)
		rc = parse_ports(args, v, r);
	if (rc == 0 && (s = json_string_value(json_object_get(args, "hash"))) != NULL) {
		if (strcmp(s, "dst-port") == 0)
			v->hash_key = VR_HASH_DST_PORT;
		else if (strcmp(s, "five-tuple") != 0)
			rc = vr_ctl_fail(r, -EINVAL, "\"hash\": five-tuple or dst-port is required");
	}
	if (rc == 0 && (s = json_string_value(json_object_get(args, "encap"))) != NULL) {
		if (strcmp(s, "ipip") == 0)
			v->encap = 1;
		else if (strcmp(s, "gue") != 0)
			rc = vr_ctl_fail(r, -EINVAL, "\"encap\": gue or ipip is required");
	}
	if (rc == 0 && (s = json_string_value(json_object_get(args, "filter"))) != NULL) {
		if (strcmp(s, "none") == 0)
			v->steer_filter = VR_STEER_FILTER_NONE;
		else if (strcmp(s, "voice") != 0)
			rc = vr_ctl_fail(r, -EINVAL, "\"filter\": voice or none is required");
	}
	if (rc == 0 && json_object_get(args, "rate_limit") != NULL) {
		if (!json_is_boolean(json_object_get(args, "rate_limit")))
			rc = vr_ctl_fail(r, -EINVAL, "\"rate_limit\": true or false is required");
		else
			v->steer_rate_limit = json_is_true(json_object_get(args, "rate_limit"));
	}
	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "gue_port", 1, 65535, &gue_port, &given, r);
	v->gue_port = (uint16_t)gue_port;
	if (rc == 0 && backends != NULL && !json_is_array(backends))
		rc = vr_ctl_fail(r, -EINVAL, "\"backends\": a list is required");
	json_array_foreach(backends, i, b) {
		struct vr_addr a;

		if (rc != 0)
			break;
		rc = vr_ctl_arg_addr(b, "address", &a, r);
		if (rc == 0)
			rc = add_backend_to(v, &a, b, r);
	}
	if (rc != 0) {
		vr_config_free(cfg);
		return rc;
	}
	ch->kind = CTL_VIP_ADD;
	ch->vip = v->addr;
	ch->port = v->port_lo;
	return vr_ctl_stage(dp, cfg, ch, r);
}

int vr_ctl_op_vip_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_config *cfg = vr_ctl_config_copy(vr_ctl_config(dp), r);
	int i;

	if (cfg == NULL)
		return -errno;
	i = vr_ctl_cfg_vip(cfg, args, r);
	if (i < 0) {
		vr_config_free(cfg);
		return i;
	}
	ch->kind = CTL_VIP_REMOVE;
	ch->vip = cfg->vips[i].addr;
	ch->port = cfg->vips[i].port_lo;
	free(cfg->vips[i].backends);
	memmove(&cfg->vips[i], &cfg->vips[i + 1], (cfg->nb_vips - (uint32_t)i - 1) * sizeof(cfg->vips[0]));
	cfg->nb_vips--;
	return vr_ctl_stage(dp, cfg, ch, r);
}

/* The VIP ("vip", "port") and backend address ("address") a request names:
 * the backend's index in *@v, -ENOENT-free -1 if the VIP has no such
 * backend (the caller decides), or -errno with the reason in @r. */
static int locate(struct vr_config *cfg, json_t *args, struct ctl_reply *r, struct vr_cfg_vip **v, struct vr_addr *a)
{
	int i = vr_ctl_cfg_vip(cfg, args, r);
	int rc = i < 0 ? i : vr_ctl_arg_addr(args, "address", a, r);

	if (rc != 0)
		return rc;
	*v = &cfg->vips[i];
	return find_backend(*v, a);
}

/* backend.set edits the batch's configuration in place: weight and state
 * are checked here (1..65535, up/draining/down) and no rule of the file
 * relates them to anything else, so the dump-and-parse check is not needed,
 * which is what makes a thousand changes a second cheap. */
static int backend_set(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_config *cfg = vr_ctl_batch_config(dp);
	struct vr_cfg_backend edited;
	struct vr_addr a;
	struct vr_cfg_vip *v;
	char buf[64];
	int j, rc;

	if (cfg == NULL)
		return vr_ctl_fail(r, -ENOMEM, "out of memory");
	j = locate(cfg, args, r, &v, &a);
	if (j < -1)
		return j;
	if (j == -1)
		return vr_ctl_fail(r, -ENOENT, "no backend %s in the VIP", vr_addr_str(&a, buf, sizeof(buf)));
	if (json_object_get(args, "weight") == NULL && json_object_get(args, "state") == NULL)
		return vr_ctl_fail(r, -EINVAL, "\"weight\" or \"state\" is required");
	edited = v->backends[j];
	rc = fill_backend(&edited, args, r);
	if (rc != 0)
		return rc;
	v->backends[j] = edited;
	ch->kind = CTL_BACKEND_SET;
	ch->with_flows = json_is_true(json_object_get(args, "flows"));
	ch->vip = v->addr;
	ch->port = v->port_lo;
	ch->backend = a;
	return vr_ctl_stage_edited(dp, ch);
}

/* backend.add and backend.remove share the lookup and the staging. */
static int backend_op(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch, uint8_t kind)
{
	struct vr_config *cfg = vr_ctl_config_copy(vr_ctl_config(dp), r);
	struct vr_addr a;
	struct vr_cfg_vip *v;
	char buf[64];
	int j, rc = 0;

	if (cfg == NULL)
		return -errno;
	j = locate(cfg, args, r, &v, &a);
	if (j < -1) {
		rc = j;
		goto out;
	}
	if (kind == CTL_BACKEND_ADD) {
		rc = j >= 0 ? vr_ctl_fail(r, -EEXIST, "backend %s is already in the VIP", vr_addr_str(&a, buf, sizeof(buf)))
			    : add_backend_to(v, &a, args, r);
	} else if (j < 0) {
		rc = vr_ctl_fail(r, -ENOENT, "no backend %s in the VIP", vr_addr_str(&a, buf, sizeof(buf)));
	} else {
		memmove(&v->backends[j], &v->backends[j + 1], (v->nb_backends - (uint32_t)j - 1) * sizeof(v->backends[0]));
		v->nb_backends--;
	}
	if (rc != 0)
		goto out;
	ch->kind = kind;
	ch->with_flows = json_is_true(json_object_get(args, "flows"));
	ch->vip = v->addr;
	ch->port = v->port_lo;
	ch->backend = a;
	return vr_ctl_stage(dp, cfg, ch, r);
out:
	vr_config_free(cfg);
	return rc;
}

int vr_ctl_op_backend_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	return backend_op(dp, args, r, ch, CTL_BACKEND_ADD);
}

int vr_ctl_op_backend_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	return backend_op(dp, args, r, ch, CTL_BACKEND_REMOVE);
}

int vr_ctl_op_backend_set(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	return backend_set(dp, args, r, ch);
}
