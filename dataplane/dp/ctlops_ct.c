/* SPDX-License-Identifier: BSD-3-Clause */
/* Control operations on conntrack (list, flush): requests handed to each worker, which owns its table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>

#include "ctlops.h"

#define CTL_LIST_DEFAULT 100
#define CTL_LIST_MAX 10000
#define CTL_WORKER_WAIT_MS 5000

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
			return vr_ctl_fail(r, -EBUSY, "worker %u is still busy with an earlier request", dp->workers[i]->lcore_id);
		*rq = *proto;
		rq->entries = views + *nb_views;
		rq->limit = proto->limit - *nb_views;
		__atomic_store_n(&dp->workers[i]->req, rq, __ATOMIC_RELEASE);
		deadline = rte_rdtsc() + dp->tsc_hz * CTL_WORKER_WAIT_MS / 1000;
		while (!__atomic_load_n(&rq->done, __ATOMIC_ACQUIRE)) {
			if (rte_rdtsc() > deadline)
				return vr_ctl_fail(r, -EBUSY, "worker %u did not answer in %d ms", dp->workers[i]->lcore_id,
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
	rc = vr_ctl_arg_addr(args, key, &a, r);
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
		rc = vr_ctl_state_vip(dp, args, r);
		if (rc >= 0) {
			rq->has_vip = true;
			rq->vip_id = (uint16_t)rc;
			rc = 0;
		}
	}
	return rc;
}

int vr_ctl_op_conntrack_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	const struct vr_lb_state *st = dp->state;
	struct vr_worker_req rq;
	struct vr_ct_view *views;
	uint32_t limit = CTL_LIST_DEFAULT, n, flushed;
	bool given, truncated;
	int rc = ct_filters(dp, args, &rq, r);

	(void)ch;
	if (rc == 0)
		rc = vr_ctl_arg_uint(args, "limit", 1, CTL_LIST_MAX, &limit, &given, r);
	if (rc != 0)
		return rc;
	views = calloc(limit, sizeof(*views));
	if (views == NULL)
		return vr_ctl_fail(r, -ENOMEM, "out of memory");
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

int vr_ctl_op_conntrack_flush(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch)
{
	struct vr_worker_req rq;
	uint32_t n, flushed;
	bool truncated;
	int rc = ct_filters(dp, args, &rq, r);

	(void)ch;
	if (rc != 0)
		return rc;
	rq.op = VR_WREQ_CT_FLUSH;
	rc = run_on_workers(dp, &rq, NULL, &n, &truncated, &flushed, r);
	if (rc == 0)
		r->result = json_pack("{s:i}", "flushed", flushed);
	return rc;
}

