/* SPDX-License-Identifier: BSD-3-Clause */
/* Control requests (docs/control.md): dispatch, argument readers, and the batch that commits all changes read in one poll with one state swap. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>

#include "ctlops.h"
#include "ctlsock.h"

/* Changes committed with one state swap at most: the answer to the first
 * should not wait for a build of unbounded size. */
#define CTL_BATCH_MAX 256

/** Changes read but not yet committed: the edited configuration and who waits for it. */
struct vr_ctl_batch {
	struct vr_config *cfg;       /**< running configuration + every staged change, checked */
	uint64_t first_tsc;          /**< when the oldest staged change was read */
	uint32_t n;
	struct ctl_change ch[CTL_BATCH_MAX];
};

int vr_ctl_fail(struct ctl_reply *r, int rc, const char *fmt, ...)
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

int vr_ctl_arg_addr(json_t *args, const char *key, struct vr_addr *a, struct ctl_reply *r)
{
	const char *s = json_string_value(json_object_get(args, key));

	if (s == NULL)
		return vr_ctl_fail(r, -EINVAL, "\"%s\": an address is required", key);
	if (vr_addr_parse(s, a) != 0)
		return vr_ctl_fail(r, -EINVAL, "\"%s\": \"%s\" is not an IPv4 or IPv6 address", key, s);
	return 0;
}

int vr_ctl_arg_uint(json_t *args, const char *key, uint32_t min, uint32_t max, uint32_t *out, bool *given,
		    struct ctl_reply *r)
{
	json_t *v = json_object_get(args, key);

	*given = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return vr_ctl_fail(r, -EINVAL, "\"%s\": an integer %u..%u is required", key, min, max);
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* The VIP named by "vip" (address) and "port" (any port of its range). */
int vr_ctl_cfg_vip(const struct vr_config *cfg, json_t *args, struct ctl_reply *r)
{
	struct vr_addr a;
	uint32_t port = 0;
	bool given;
	int rc = vr_ctl_arg_addr(args, "vip", &a, r);
	char buf[64];

	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "port", 0, 65535, &port, &given, r);
	if (rc != 0)
		return rc;
	if (!given)
		return vr_ctl_fail(r, -EINVAL, "\"port\": a port of the VIP is required");
	for (uint32_t i = 0; i < cfg->nb_vips; i++)
		if (vr_addr_eq(&cfg->vips[i].addr, &a) && port >= cfg->vips[i].port_lo && port <= cfg->vips[i].port_hi)
			return (int)i;
	return vr_ctl_fail(r, -ENOENT, "no VIP %s with port %u", vr_addr_str(&a, buf, sizeof(buf)), port);
}

/* The running state's VIP named by args, or -errno. */
int vr_ctl_state_vip(struct vr_dp *dp, json_t *args, struct ctl_reply *r)
{
	const struct vr_lb_state *st = dp->state;
	struct vr_addr a;
	uint32_t port = 0;
	bool given;
	char buf[64];
	int rc = vr_ctl_arg_addr(args, "vip", &a, r);

	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "port", 0, 65535, &port, &given, r);
	if (rc != 0)
		return rc;
	if (!given)
		return vr_ctl_fail(r, -EINVAL, "\"port\": a port of the VIP is required");
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++)
		if (st->vip_in_use[v] && vr_addr_eq(&st->vips[v].addr, &a) && port >= st->vips[v].port_lo &&
		    port <= st->vips[v].port_hi)
			return (int)v;
	return vr_ctl_fail(r, -ENOENT, "no VIP %s with port %u", vr_addr_str(&a, buf, sizeof(buf)), port);
}

/* ---- answers ---- */

/* One answer line: {"id", "ok": true, "result"} or {"id", "ok": false, "error": {"code", "message"}}.
 * Takes @result's reference. */
static char *answer_line(int rc, json_t *result, const char *msg, json_t *id)
{
	json_t *resp;
	char *out, *nl;
	size_t n;

	if (rc >= 0)
		resp = json_pack("{s:b, s:o}", "ok", 1, "result", result != NULL ? result : json_object());
	else {
		json_decref(result);
		resp = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", errno_name(-rc), "message", msg);
	}
	if (resp == NULL)
		return NULL;
	if (id != NULL)
		json_object_set(resp, "id", id);
	out = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	if (out == NULL)
		return NULL;
	n = strlen(out);
	nl = realloc(out, n + 2);
	if (nl == NULL) {
		free(out);
		return NULL;
	}
	nl[n] = '\n';
	nl[n + 1] = '\0';
	return nl;
}

/* ---- the batch ---- */

static struct vr_ctl_batch *batch_of(struct vr_dp *dp)
{
	if (dp->batch == NULL)
		dp->batch = calloc(1, sizeof(*dp->batch));
	return dp->batch;
}

const struct vr_config *vr_ctl_config(struct vr_dp *dp)
{
	return dp->batch != NULL && dp->batch->cfg != NULL ? dp->batch->cfg : dp->cfg;
}

static void push_change(struct vr_ctl_batch *b, const struct ctl_change *ch, uint64_t now)
{
	if (b->n == 0)
		b->first_tsc = now;
	b->ch[b->n] = *ch;
	if (ch->id != NULL)
		json_incref(ch->id);
	b->n++;
}

int vr_ctl_stage(struct vr_dp *dp, struct vr_config *edited, const struct ctl_change *ch, struct ctl_reply *r)
{
	struct vr_ctl_batch *b = batch_of(dp);
	/* The copy is checked by every rule of the file: dump and parse it back. */
	struct vr_config *valid = vr_ctl_config_copy(edited, r);
	int err = errno;

	vr_config_free(edited);
	if (valid == NULL)
		return -err;
	if (b == NULL) {
		vr_config_free(valid);
		return vr_ctl_fail(r, -ENOMEM, "out of memory");
	}
	vr_config_free(b->cfg);
	b->cfg = valid;
	push_change(b, ch, dp->ctl_request_tsc);
	return 1;
}

struct vr_config *vr_ctl_batch_config(struct vr_dp *dp)
{
	struct vr_ctl_batch *b = batch_of(dp);

	if (b == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (b->cfg == NULL)
		b->cfg = vr_config_clone(dp->cfg);
	return b->cfg;
}

int vr_ctl_stage_edited(struct vr_dp *dp, const struct ctl_change *ch)
{
	push_change(dp->batch, ch, dp->ctl_request_tsc);
	return 1;
}

/* The result a change answers with, from the state that carries it.
 * @flows: per-backend live flows, counted once per commit if any change asks. */
static json_t *change_result(struct vr_dp *dp, const struct ctl_change *ch, const uint32_t *flows)
{
	const struct vr_lb_state *st = dp->state;
	json_t *res = json_pack("{s:I}", "state_generation", (json_int_t)st->generation);
	bool backend = ch->kind == CTL_BACKEND_ADD || ch->kind == CTL_BACKEND_SET;

	for (uint32_t v = 0; v < VR_MAX_VIPS && res != NULL; v++) {
		const struct vr_lb_vip *vip = &st->vips[v];

		if (!st->vip_in_use[v] || !vr_addr_eq(&vip->addr, &ch->vip) || vip->port_lo != ch->port)
			continue;
		if (ch->kind == CTL_VIP_ADD)
			json_object_set_new(res, "vip", vr_dp_vip_json(dp, st, (uint16_t)v, NULL));
		for (uint32_t j = 0; backend && j < vip->nb_backends; j++)
			if (vr_addr_eq(&st->backends[vip->backend_ids[j]].addr, &ch->backend))
				json_object_set_new(res, "backend", vr_dp_backend_json(dp, st, vip->backend_ids[j],
										 ch->with_flows ? flows : NULL));
	}
	return res;
}

/* Apply every staged change with one build and one swap, and answer each. */
static void commit(struct vr_dp *dp)
{
	static uint32_t flows[VR_MAX_BACKENDS];
	struct vr_ctl_batch *b = dp->batch;
	char msg[VR_CFG_ERR_LEN];
	bool counted = false;
	int rc;

	if (b == NULL)
		return;
	if (b->n == 0) {
		/* a clone nothing was staged in: the running configuration may change before the next */
		vr_config_free(b->cfg);
		b->cfg = NULL;
		return;
	}
	dp->swap_cause = VR_SWAP_CONTROL;
	dp->swap_changes = b->n;
	dp->swap_request_tsc = b->first_tsc;
	rc = vr_dp_apply(dp, b->cfg, msg, sizeof(msg));
	b->cfg = NULL;
	if (rc != 0)
		dp->ctl_errors += b->n;
	for (uint32_t i = 0; i < b->n && rc == 0 && !counted; i++)
		if (b->ch[i].with_flows) {
			vr_dp_backend_flows(dp, flows);
			counted = true;
		}
	for (uint32_t i = 0; i < b->n; i++) {
		struct ctl_change *ch = &b->ch[i];

		*ch->answer = answer_line(rc, rc == 0 ? change_result(dp, ch, flows) : NULL, msg, ch->id);
		json_decref(ch->id);
	}
	b->n = 0;
}

void vr_dp_ctl_flush(void *arg)
{
	commit(arg);
}

/* ---- dispatch ---- */

/* Which role an operation belongs to. */
#define ROLE_ANY 0
#define ROLE_LB 1
#define ROLE_RELAY 2

static const struct {
	const char *name;
	int (*fn)(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
	bool change; /* staged for the batch; anything else first commits what is staged */
	uint8_t role;
} ops[] = {
	{"health.list", vr_ctl_op_health_list, false, ROLE_LB},
	{"ping", vr_ctl_op_ping, false, ROLE_ANY},
	{"vip.list", vr_ctl_op_vip_list, false, ROLE_LB},
	{"vip.add", vr_ctl_op_vip_add, true, ROLE_LB},
	{"vip.remove", vr_ctl_op_vip_remove, true, ROLE_LB},
	{"backend.add", vr_ctl_op_backend_add, true, ROLE_LB},
	{"backend.remove", vr_ctl_op_backend_remove, true, ROLE_LB},
	{"backend.set", vr_ctl_op_backend_set, true, ROLE_LB},
	{"maglev.shares", vr_ctl_op_maglev_shares, false, ROLE_LB},
	{"stats", vr_ctl_op_stats, false, ROLE_ANY},
	{"state.history", vr_ctl_op_state_history, false, ROLE_ANY},
	{"conntrack.list", vr_ctl_op_conntrack_list, false, ROLE_LB},
	{"conntrack.flush", vr_ctl_op_conntrack_flush, false, ROLE_LB},
	{"reload", vr_ctl_op_reload, false, ROLE_ANY},
	{"room.add", vr_ctl_op_room_add, false, ROLE_RELAY},
	{"room.remove", vr_ctl_op_room_remove, false, ROLE_RELAY},
	{"room.list", vr_ctl_op_room_list, false, ROLE_RELAY},
	{"room.show", vr_ctl_op_room_show, false, ROLE_RELAY},
	{"member.add", vr_ctl_op_member_add, false, ROLE_RELAY},
	{"member.remove", vr_ctl_op_member_remove, false, ROLE_RELAY},
	{"member.set", vr_ctl_op_member_set, false, ROLE_RELAY},
	{"relay.slowpath", vr_ctl_op_relay_slowpath, false, ROLE_RELAY},
};

int vr_dp_ctl_handle(void *arg, const char *line, size_t len, char **answer)
{
	struct vr_dp *dp = arg;
	struct ctl_reply r = {.result = NULL};
	struct ctl_change ch = {.answer = answer};
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *id = NULL, *args;
	const char *op;
	int rc;

	dp->ctl_requests++;
	dp->ctl_request_tsc = rte_rdtsc();
	if (req == NULL) {
		rc = vr_ctl_fail(&r, -EPROTO, "not JSON: %s (column %d)", jerr.text, jerr.column);
		goto reply;
	}
	id = json_object_get(req, "id");
	op = json_string_value(json_object_get(req, "op"));
	if (!json_is_object(req) || op == NULL) {
		rc = vr_ctl_fail(&r, -EPROTO, "a request is an object with a string \"op\"");
		goto reply;
	}
	args = json_object_get(req, "args");
	if (args != NULL && !json_is_object(args)) {
		rc = vr_ctl_fail(&r, -EPROTO, "\"args\" must be an object");
		goto reply;
	}
	if (args == NULL)
		args = json_object();
	else
		json_incref(args);
	rc = vr_ctl_fail(&r, -EOPNOTSUPP, "unknown op \"%s\"", op);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i].name) == 0) {
			/* Reads see every change received before them; a full
			 * batch is committed before it takes another change. */
			if (!ops[i].change || (dp->batch != NULL && dp->batch->n == CTL_BATCH_MAX))
				commit(dp);
			r.msg[0] = '\0';
			ch.id = id;
			if (ops[i].role != ROLE_ANY &&
			    (ops[i].role == ROLE_RELAY) != (dp->cfg->role == VR_ROLE_RELAY)) {
				rc = vr_ctl_fail(&r, -EOPNOTSUPP, "\"%s\" is not an operation of role %s", op,
						 dp->cfg->role == VR_ROLE_RELAY ? "relay" : "balancer");
				break;
			}
			rc = ops[i].fn(dp, args, &r, &ch);
			break;
		}
	json_decref(args);
reply:
	if (rc == 1) {
		json_decref(req);
		return 1;
	}
	if (rc < 0)
		dp->ctl_errors++;
	*answer = answer_line(rc, r.result, r.msg, id);
	json_decref(req);
	return *answer != NULL ? 0 : -ENOMEM;
}

void vr_dp_ctl_cleanup(struct vr_dp *dp)
{
	if (dp->batch != NULL)
		vr_config_free(dp->batch->cfg);
	free(dp->batch);
	dp->batch = NULL;
}
