/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters: summed over workers, printed as text, written as JSON, served through DPDK telemetry. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "dp.h"

/* Sum of one counter over all workers; workers write, we read racily, 64-bit loads do not tear on x86-64. */
#define SUM(dp, field)                                                                  \
	({                                                                              \
		uint64_t _s = 0;                                                        \
		for (uint32_t _i = 0; _i < (dp)->nb_workers; _i++)                     \
			_s += __atomic_load_n(&(dp)->workers[_i]->st.field, __ATOMIC_RELAXED); \
		_s;                                                                     \
	})

static const char *state_name(uint8_t s)
{
	return s == VR_BACKEND_UP ? "up" : s == VR_BACKEND_DRAINING ? "draining" : "down";
}

static void backend_flows(struct vr_dp *dp, uint32_t *flows)
{
	uint64_t now = rte_rdtsc();

	memset(flows, 0, sizeof(uint32_t) * VR_MAX_BACKENDS);
	for (uint32_t i = 0; i < dp->nb_workers; i++)
		vr_ct_count(dp->workers[i]->ct, now, flows);
}

static uint32_t ct_entries(struct vr_dp *dp)
{
	uint64_t now = rte_rdtsc();
	uint32_t n = 0;

	for (uint32_t i = 0; i < dp->nb_workers; i++)
		n += vr_ct_count(dp->workers[i]->ct, now, NULL);
	return n;
}

#define CT_SUM(dp, field)                                                     \
	({                                                                    \
		uint64_t _s = 0;                                              \
		for (uint32_t _i = 0; _i < (dp)->nb_workers; _i++)           \
			_s += vr_ct_stats((dp)->workers[_i]->ct)->field;      \
		_s;                                                           \
	})

void vr_dp_stats_print(struct vr_dp *dp, FILE *f)
{
	static uint32_t flows[VR_MAX_BACKENDS];
	char a[64];
	const struct vr_lb_state *st;

	pthread_mutex_lock(&dp->ctl_lock);
	st = dp->state;
	fprintf(f, "== voxrelay-dp counters ==\n");
	for (uint32_t i = 0; i < dp->nb_ports; i++) {
		struct rte_eth_stats es;
		if (rte_eth_stats_get(dp->ports[i].port_id, &es) == 0)
			fprintf(f, "port %-10s rx %" PRIu64 " tx %" PRIu64 " missed %" PRIu64 " rx_errors %" PRIu64
				" tx_errors %" PRIu64 "\n", dp->ports[i].cfg->name, es.ipackets, es.opackets,
				es.imissed, es.ierrors, es.oerrors);
	}
	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		const struct vr_worker_stats *s = &dp->workers[i]->st;
		fprintf(f, "lcore %-3u rx %" PRIu64 " tx %" PRIu64 " busy_cycles %" PRIu64 " cycles/packet %.1f busy %.1f%%\n",
			dp->workers[i]->lcore_id, s->rx_packets, s->tx_packets, s->busy_cycles,
			s->rx_packets ? (double)s->busy_cycles / (double)s->rx_packets : 0.0,
			s->total_cycles ? 100.0 * (double)s->busy_cycles / (double)s->total_cycles : 0.0);
	}
	backend_flows(dp, flows);
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++) {
		const struct vr_lb_vip *vip = &st->vips[v];
		if (!st->vip_in_use[v])
			continue;
		fprintf(f, "vip %s:%u-%u rx %" PRIu64 "\n", vr_addr_str(&vip->addr, a, sizeof(a)), vip->port_lo,
			vip->port_hi, SUM(dp, vip_rx[v]));
		for (uint32_t j = 0; j < vip->nb_backends; j++) {
			uint16_t id = vip->backend_ids[j];
			const struct vr_lb_backend *b = &st->backends[id];
			fprintf(f, "  backend %-20s %-8s weight %u maglev %u (%.2f%%) tx %" PRIu64 " bytes %" PRIu64
				" flows %u\n", b->name, state_name(b->state), b->weight, b->maglev_slots,
				100.0 * b->maglev_slots / vip->maglev->size, (SUM(dp, backend_tx[id]) - dp->backend_base_tx[id]),
				(SUM(dp, backend_bytes[id]) - dp->backend_base_bytes[id]), flows[id]);
		}
	}
	fprintf(f, "conntrack entries %u inserts %" PRIu64 " evictions %" PRIu64 " expired %" PRIu64 "\n",
		ct_entries(dp), CT_SUM(dp, inserts), CT_SUM(dp, evictions), CT_SUM(dp, expired));
	fprintf(f, "drops:");
	for (int r = 1; r < VR_DROP_MAX; r++) {
		uint64_t n = SUM(dp, drops[r]);
		if (n != 0)
			fprintf(f, " %s=%" PRIu64, vr_drop_name(r), n);
	}
	fprintf(f, "\nreloads %" PRIu64 " failed %" PRIu64 "\n", dp->reloads, dp->reload_failures);
	pthread_mutex_unlock(&dp->ctl_lock);
	fflush(f);
}

int vr_dp_stats_json(struct vr_dp *dp, const char *path)
{
	static uint32_t flows[VR_MAX_BACKENDS];
	const struct vr_lb_state *st = dp->state;
	char a[64];
	FILE *f = fopen(path, "w");
	size_t mem = 0;

	if (f == NULL)
		return -errno;
	fprintf(f, "{\"tsc_hz\":%" PRIu64 ",\"ports\":[", dp->tsc_hz);
	for (uint32_t i = 0; i < dp->nb_ports; i++) {
		struct rte_eth_stats es;
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(dp->ports[i].port_id, &es);
		fprintf(f, "%s{\"name\":\"%s\",\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64
			",\"rx_missed\":%" PRIu64 ",\"tx_errors\":%" PRIu64 "}", i ? "," : "", dp->ports[i].cfg->name,
			es.ipackets, es.opackets, es.imissed, es.oerrors);
	}
	fprintf(f, "],\"lcores\":[");
	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		const struct vr_worker_stats *s = &dp->workers[i]->st;
		fprintf(f, "%s{\"lcore\":%u,\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64 ",\"busy_cycles\":%" PRIu64
			",\"total_cycles\":%" PRIu64 ",\"cycles_per_packet\":%.2f}", i ? "," : "", dp->workers[i]->lcore_id,
			s->rx_packets, s->tx_packets, s->busy_cycles, s->total_cycles,
			s->rx_packets ? (double)s->busy_cycles / (double)s->rx_packets : 0.0);
	}
	fprintf(f, "],\"vips\":[");
	backend_flows(dp, flows);
	bool first = true;
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++) {
		if (!st->vip_in_use[v])
			continue;
		fprintf(f, "%s{\"id\":%u,\"address\":\"%s\",\"ports\":\"%u-%u\",\"rx_packets\":%" PRIu64 "}",
			first ? "" : ",", v, vr_addr_str(&st->vips[v].addr, a, sizeof(a)), st->vips[v].port_lo,
			st->vips[v].port_hi, SUM(dp, vip_rx[v]));
		first = false;
	}
	fprintf(f, "],\"backends\":[");
	first = true;
	for (uint32_t id = 0; id < VR_MAX_BACKENDS; id++) {
		const struct vr_lb_backend *b = &st->backends[id];
		if (!b->in_use)
			continue;
		fprintf(f, "%s{\"id\":%u,\"vip_id\":%u,\"vip_ports\":\"%u-%u\",\"vip\":\"%s\",\"address\":\"%s\",\"state\":\"%s\",\"weight\":%u,"
			"\"maglev_slots\":%u,\"maglev_share\":%.5f,\"tx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
			",\"flows\":%u}", first ? "" : ",", id, b->vip_id, st->vips[b->vip_id].port_lo,
			st->vips[b->vip_id].port_hi, vr_addr_str(&st->vips[b->vip_id].addr, a, sizeof(a)),
			b->name, state_name(b->state), b->weight, b->maglev_slots,
			(double)b->maglev_slots / st->vips[b->vip_id].maglev->size, (SUM(dp, backend_tx[id]) - dp->backend_base_tx[id]),
			(SUM(dp, backend_bytes[id]) - dp->backend_base_bytes[id]), flows[id]);
		first = false;
	}
	fprintf(f, "],\"drops\":{");
	first = true;
	for (int r = 1; r < VR_DROP_MAX; r++) {
		fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", vr_drop_name(r), SUM(dp, drops[r]));
		first = false;
	}
	for (uint32_t i = 0; i < dp->nb_workers; i++)
		mem += vr_ct_memory(dp->workers[i]->ct);
	fprintf(f, "},\"conntrack\":{\"memory_bytes\":%zu,\"entries\":%u,\"lookups\":%" PRIu64 ",\"hits\":%" PRIu64
		",\"inserts\":%" PRIu64 ",\"updates\":%" PRIu64 ",\"expired\":%" PRIu64 ",\"evictions\":%" PRIu64 "},",
		mem, ct_entries(dp), CT_SUM(dp, lookups), CT_SUM(dp, hits), CT_SUM(dp, inserts), CT_SUM(dp, updates),
		CT_SUM(dp, expired), CT_SUM(dp, evictions));
	fprintf(f, "\"slow_path\":%" PRIu64 ",\"reloads\":%" PRIu64 ",\"reload_failures\":%" PRIu64
		",\"state_generation\":%" PRIu64 "}\n", SUM(dp, slow_path), dp->reloads, dp->reload_failures,
		st->generation);
	return fclose(f) == 0 ? 0 : -errno;
}

/* Telemetry runs on its own thread: it holds ctl_lock so a reload cannot free what it reads. */
static struct vr_dp *tel_dp;

static int tel_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct vr_dp *dp = tel_dp;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", SUM(dp, rx_packets));
	rte_tel_data_add_dict_u64(d, "tx_packets", SUM(dp, tx_packets));
	rte_tel_data_add_dict_u64(d, "rx_bytes", SUM(dp, rx_bytes));
	rte_tel_data_add_dict_u64(d, "tx_bytes", SUM(dp, tx_bytes));
	rte_tel_data_add_dict_u64(d, "busy_cycles", SUM(dp, busy_cycles));
	rte_tel_data_add_dict_u64(d, "slow_path", SUM(dp, slow_path));
	rte_tel_data_add_dict_u64(d, "conntrack_inserts", CT_SUM(dp, inserts));
	rte_tel_data_add_dict_u64(d, "conntrack_evictions", CT_SUM(dp, evictions));
	rte_tel_data_add_dict_u64(d, "conntrack_expired", CT_SUM(dp, expired));
	rte_tel_data_add_dict_u64(d, "reloads", dp->reloads);
	rte_tel_data_add_dict_u64(d, "reload_failures", dp->reload_failures);
	return 0;
}

static int tel_drops(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (int r = 1; r < VR_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, vr_drop_name(r), SUM(tel_dp, drops[r]));
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
		rte_tel_data_add_dict_string(c, "vip", vr_addr_str(&dp->state->vips[b->vip_id].addr, a, sizeof(a)));
		rte_tel_data_add_dict_string(c, "address", b->name);
		rte_tel_data_add_dict_string(c, "state", state_name(b->state));
		rte_tel_data_add_dict_u64(c, "weight", b->weight);
		rte_tel_data_add_dict_u64(c, "maglev_slots", b->maglev_slots);
		rte_tel_data_add_dict_u64(c, "tx_packets", (SUM(dp, backend_tx[id]) - dp->backend_base_tx[id]));
		rte_tel_data_add_dict_u64(c, "tx_bytes", (SUM(dp, backend_bytes[id]) - dp->backend_base_bytes[id]));
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
		rte_tel_data_add_dict_u64(c, "rx_packets", SUM(dp, vip_rx[v]));
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
