/* SPDX-License-Identifier: BSD-3-Clause */
/* Control operations that read: ping, VIP list, Maglev shares, counters, health, state history; and reload. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "ctlops.h"
#include "health.h"
#include "tap.h"

#define HISTORY_DEFAULT 100

int vr_ctl_op_ping(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	(void)args;
	(void)ch;
	r->result = json_pack("{s:s, s:s, s:I, s:I}", "version", "0.1.0", "role",
			      dp->cfg->role == VR_ROLE_BALANCER ? "balancer" : "relay", "state_generation",
			      (json_int_t)dp->state->generation, "uptime_s",
			      (json_int_t)((rte_rdtsc() - dp->start_tsc) / dp->tsc_hz));
	return 0;
}

int vr_ctl_op_vip_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	static uint32_t flows[VR_MAX_BACKENDS];
	const struct vr_lb_state *st = dp->state;
	json_t *vips = json_array();

	(void)args;
	(void)ch;
	vr_dp_backend_flows(dp, flows);
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++)
		if (st->vip_in_use[v])
			json_array_append_new(vips, vr_dp_vip_json(dp, st, (uint16_t)v, flows));
	r->result = json_pack("{s:o}", "vips", vips);
	return 0;
}

int vr_ctl_op_maglev_shares(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	const struct vr_lb_state *st = dp->state;
	int v = vr_ctl_state_vip(dp, args, r);
	json_t *list;

	(void)ch;
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

int vr_ctl_op_stats(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	(void)args;
	(void)ch;
	r->result = vr_dp_stats_build(dp);
	return r->result != NULL ? 0 : vr_ctl_fail(r, -ENOMEM, "out of memory");
}

int vr_ctl_op_reload(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	int rc = vr_dp_reload(dp, r->msg, sizeof(r->msg));

	(void)args;
	(void)ch;
	if (rc == 0)
		r->result = json_pack("{s:I}", "state_generation", (json_int_t)dp->state->generation);
	return rc;
}

int vr_ctl_op_health_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	(void)args;
	(void)ch;
	/* "tap": the HTTP probes' exception path and its counters, null without one */
	r->result = json_pack("{s:o, s:o}", "backends", vr_dp_health_json(dp), "tap", vr_dp_tap_json(dp));
	return 0;
}

/* Reads of the TSC and CLOCK_MONOTONIC taken together, now and at start:
 * the TSC rate between them is measured, not the nominal one, whose error
 * (0.1 % and more on VMs) would add milliseconds over minutes. */
struct clock_map {
	uint64_t tsc_now, ns_now;
	long double ns_per_cycle;
};

static void clock_map_init(const struct vr_dp *dp, struct clock_map *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	m->tsc_now = rte_rdtsc();
	m->ns_now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (m->tsc_now > dp->mono_tsc + dp->tsc_hz)
		m->ns_per_cycle = (long double)(m->ns_now - dp->mono_ns) / (long double)(m->tsc_now - dp->mono_tsc);
	else
		m->ns_per_cycle = 1e9L / (long double)dp->tsc_hz;
}

/* TSC cycles -> CLOCK_MONOTONIC ns, so clients can set our times against theirs. */
static json_t *mono_ns(const struct clock_map *m, uint64_t tsc)
{
	if (tsc == 0)
		return json_null();
	return json_integer((json_int_t)((long double)m->ns_now -
					 (long double)(int64_t)(m->tsc_now - tsc) * m->ns_per_cycle));
}

/* The first packet any worker forwarded with state @gen, TSC cycles, or 0. */
static uint64_t first_forward(struct vr_dp *dp, uint64_t gen)
{
	uint64_t best = 0;

	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		const struct vr_worker *w = dp->workers[i];
		uint32_t head = __atomic_load_n(&w->fwd_head, __ATOMIC_ACQUIRE);

		for (uint32_t k = 0; k < VR_DP_FWD_LOG && k < head; k++) {
			const struct vr_fwd_mark *m = &w->fwd_log[(head - 1 - k) % VR_DP_FWD_LOG];
			uint64_t g = __atomic_load_n(&m->generation, __ATOMIC_RELAXED);

			if (g < gen)
				break;
			if (g == gen) {
				uint64_t t = __atomic_load_n(&m->tsc, __ATOMIC_RELAXED);
				if (best == 0 || t < best)
					best = t;
				break;
			}
		}
	}
	return best;
}

int vr_ctl_op_state_history(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	static const char *const causes[] = {"start", "control", "reload", "health"};
	uint32_t limit = HISTORY_DEFAULT;
	struct clock_map cm;
	bool given;
	int rc = vr_ctl_arg_uint(args, "limit", 1, VR_DP_HISTORY, &limit, &given, r);
	json_t *list;

	(void)ch;
	if (rc != 0)
		return rc;
	clock_map_init(dp, &cm);
	list = json_array();
	for (uint32_t k = 0; k < limit && k < dp->history_head && k < VR_DP_HISTORY; k++) {
		const struct vr_dp_swap *s = &dp->history[(dp->history_head - 1 - k) % VR_DP_HISTORY];
		uint64_t ff = first_forward(dp, s->generation);

		json_array_append_new(list, json_pack("{s:I, s:s, s:i, s:o, s:o, s:o, s:f}", "generation",
						      (json_int_t)s->generation, "cause", causes[s->cause],
						      "changes", s->changes, "requested_ns", mono_ns(&cm, s->request_tsc),
						      "published_ns", mono_ns(&cm, s->publish_tsc),
						      "first_forward_ns", mono_ns(&cm, ff),
						      "build_us", (double)s->build_cycles * 1e6 / (double)dp->tsc_hz));
	}
	r->result = json_pack("{s:o}", "states", list);
	return 0;
}
