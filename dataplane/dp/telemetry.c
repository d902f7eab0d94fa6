/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK telemetry commands (/voxrelay/...): counters for dpdk-telemetry.py and the metrics exporter. */
#include <errno.h>
#include <stdio.h>

#include <rte_telemetry.h>

#include "dp.h"

/* Telemetry runs on its own thread: it holds ctl_lock so a reload cannot free what it reads. */
static struct vr_dp *tel_dp;

static int tel_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct vr_dp *dp = tel_dp;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", VR_DP_SUM(dp, rx_packets));
	rte_tel_data_add_dict_u64(d, "tx_packets", VR_DP_SUM(dp, tx_packets));
	rte_tel_data_add_dict_u64(d, "rx_bytes", VR_DP_SUM(dp, rx_bytes));
	rte_tel_data_add_dict_u64(d, "tx_bytes", VR_DP_SUM(dp, tx_bytes));
	rte_tel_data_add_dict_u64(d, "busy_cycles", VR_DP_SUM(dp, busy_cycles));
	rte_tel_data_add_dict_u64(d, "slow_path", VR_DP_SUM(dp, slow_path));
	rte_tel_data_add_dict_u64(d, "conntrack_inserts", VR_DP_CT_SUM(dp, inserts));
	rte_tel_data_add_dict_u64(d, "conntrack_evictions", VR_DP_CT_SUM(dp, evictions));
	rte_tel_data_add_dict_u64(d, "conntrack_expired", VR_DP_CT_SUM(dp, expired));
	rte_tel_data_add_dict_u64(d, "conntrack_lookups", VR_DP_CT_SUM(dp, lookups));
	rte_tel_data_add_dict_u64(d, "conntrack_hits", VR_DP_CT_SUM(dp, hits));
	rte_tel_data_add_dict_u64(d, "conntrack_updates", VR_DP_CT_SUM(dp, updates));
	rte_tel_data_add_dict_u64(d, "conntrack_capacity", dp->cfg->ct_capacity);
	rte_tel_data_add_dict_u64(d, "reloads", dp->reloads);
	rte_tel_data_add_dict_u64(d, "reload_failures", dp->reload_failures);
	rte_tel_data_add_dict_u64(d, "control_requests", dp->ctl_requests);
	rte_tel_data_add_dict_u64(d, "control_errors", dp->ctl_errors);
	pthread_mutex_lock(&dp->ctl_lock);
	rte_tel_data_add_dict_u64(d, "state_generation", dp->state->generation);
	pthread_mutex_unlock(&dp->ctl_lock);
	rte_tel_data_add_dict_u64(d, "table_swaps", dp->swaps);
	rte_tel_data_add_dict_u64(d, "table_swap_duration_us_sum", dp->swap_cycles_total * 1000000 / dp->tsc_hz);
	rte_tel_data_add_dict_u64(d, "table_swap_duration_us_count", dp->swaps);
	rte_tel_data_add_dict_u64(d, "last_table_swap_duration_us", dp->swap_cycles_last * 1000000 / dp->tsc_hz);
	return 0;
}

static int tel_drops(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (int r = 1; r < VR_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, vr_drop_name(r), VR_DP_SUM(tel_dp, drops[r]));
	return 0;
}

static int tel_backends(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct vr_dp *dp = tel_dp;
	char a[64], key[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&dp->ctl_lock);
	for (uint32_t id = 0; id < VR_MAX_BACKENDS; id++) {
		const struct vr_lb_backend *b = &dp->state->backends[id];
		struct rte_tel_data *c;

		if (!b->in_use || (c = rte_tel_data_alloc()) == NULL)
			continue;
		rte_tel_data_start_dict(c);
		const struct vr_lb_vip *v = &dp->state->vips[b->vip_id];
		char ports[16];

		rte_tel_data_add_dict_string(c, "vip", vr_addr_str(&v->addr, a, sizeof(a)));
		rte_tel_data_add_dict_u64(c, "vip_id", b->vip_id);
		rte_tel_data_add_dict_string(c, "vip_ports", vr_dp_vip_ports(v, ports, sizeof(ports)));
		rte_tel_data_add_dict_string(c, "address", b->name);
		rte_tel_data_add_dict_string(c, "state", vr_dp_backend_state_name(b->state));
		rte_tel_data_add_dict_u64(c, "weight", b->weight);
		rte_tel_data_add_dict_u64(c, "maglev_slots", b->maglev_slots);
		rte_tel_data_add_dict_u64(c, "tx_packets", vr_dp_backend_tx(dp, id));
		rte_tel_data_add_dict_u64(c, "tx_bytes", vr_dp_backend_bytes(dp, id));
		snprintf(key, sizeof(key), "%u", id);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	pthread_mutex_unlock(&dp->ctl_lock);
	return 0;
}

static int tel_vips(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct vr_dp *dp = tel_dp;
	char a[64], key[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&dp->ctl_lock);
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++) {
		const struct vr_lb_vip *vip = &dp->state->vips[v];
		struct rte_tel_data *c;

		if (!dp->state->vip_in_use[v] || (c = rte_tel_data_alloc()) == NULL)
			continue;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "address", vr_addr_str(&vip->addr, a, sizeof(a)));
		rte_tel_data_add_dict_u64(c, "port_lo", vip->port_lo);
		rte_tel_data_add_dict_u64(c, "port_hi", vip->port_hi);
		rte_tel_data_add_dict_u64(c, "backends", vip->nb_backends);
		rte_tel_data_add_dict_u64(c, "rx_packets", VR_DP_SUM(dp, vip_rx[v]));
		snprintf(key, sizeof(key), "%u", v);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	pthread_mutex_unlock(&dp->ctl_lock);
	return 0;
}

static int tel_lcores(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct vr_dp *dp = tel_dp;
	char key[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		const struct vr_worker_stats *s = &dp->workers[i]->st;
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (c == NULL)
			continue;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "rx_packets", s->rx_packets);
		rte_tel_data_add_dict_u64(c, "tx_packets", s->tx_packets);
		rte_tel_data_add_dict_u64(c, "busy_cycles", s->busy_cycles);
		rte_tel_data_add_dict_u64(c, "total_cycles", s->total_cycles);
		snprintf(key, sizeof(key), "%u", dp->workers[i]->lcore_id);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}

int vr_dp_telemetry_init(struct vr_dp *dp)
{
	tel_dp = dp;
	if (rte_telemetry_register_cmd("/voxrelay/stats", tel_stats, "Totals over all workers. No parameters") ||
	    rte_telemetry_register_cmd("/voxrelay/drops", tel_drops, "Drops by reason. No parameters") ||
	    rte_telemetry_register_cmd("/voxrelay/vips", tel_vips, "Per-VIP counters. No parameters") ||
	    rte_telemetry_register_cmd("/voxrelay/backends", tel_backends, "Per-backend state and counters. No parameters") ||
	    rte_telemetry_register_cmd("/voxrelay/lcores", tel_lcores, "Per-worker-lcore counters. No parameters"))
		return -EINVAL;
	return 0;
}
