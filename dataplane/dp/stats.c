/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters summed over workers: the text report, and the JSON of --stats-json and the control interface. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dp.h"
#include "relay_dp.h"
#include "steer.h"

const char *vr_dp_backend_state_name(uint8_t s)
{
	return s == VR_BACKEND_UP ? "up" : s == VR_BACKEND_DRAINING ? "draining" : "down";
}

const char *vr_dp_vip_ports(const struct vr_lb_vip *v, char *buf, size_t len)
{
	if (v->port_lo == v->port_hi)
		snprintf(buf, len, "%u", v->port_lo);
	else
		snprintf(buf, len, "%u-%u", v->port_lo, v->port_hi);
	return buf;
}

/* A reused id restarts from the counts it had when given to its backend. */
uint64_t vr_dp_backend_tx(struct vr_dp *dp, uint16_t id)
{
	return VR_DP_SUM(dp, backend_tx[id]) - dp->backend_base_tx[id];
}

uint64_t vr_dp_backend_bytes(struct vr_dp *dp, uint16_t id)
{
	return VR_DP_SUM(dp, backend_bytes[id]) - dp->backend_base_bytes[id];
}

void vr_dp_backend_flows(struct vr_dp *dp, uint32_t *flows)
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

json_t *vr_dp_backend_json(struct vr_dp *dp, const struct vr_lb_state *st, uint16_t id, const uint32_t *flows)
{
	const struct vr_lb_backend *b = &st->backends[id];
	const struct vr_lb_vip *v = &st->vips[b->vip_id];
	char a[64], ports[16];

	json_t *j = json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:I, s:I}", "id", id, "vip_id", b->vip_id,
			      "vip", vr_addr_str(&v->addr, a, sizeof(a)), "vip_ports",
			      vr_dp_vip_ports(v, ports, sizeof(ports)), "address", b->name, "state",
			      vr_dp_backend_state_name(b->state), "weight", b->weight, "maglev_slots", b->maglev_slots,
			      "maglev_share", (double)b->maglev_slots / v->maglev->size, "tx_packets",
			      (json_int_t)vr_dp_backend_tx(dp, id), "tx_bytes", (json_int_t)vr_dp_backend_bytes(dp, id));

	if (j != NULL && flows != NULL)
		json_object_set_new(j, "flows", json_integer(flows[id]));
	return j;
}

static const char *hash_name(uint8_t h)
{
	return h == VR_HASH_DST_PORT ? "dst-port" : "five-tuple";
}

json_t *vr_dp_vip_json(struct vr_dp *dp, const struct vr_lb_state *st, uint16_t vip_id, const uint32_t *flows)
{
	const struct vr_lb_vip *v = &st->vips[vip_id];
	json_t *backends = json_array();
	char a[64], ports[16];

	for (uint32_t j = 0; j < v->nb_backends; j++)
		json_array_append_new(backends, vr_dp_backend_json(dp, st, v->backend_ids[j], flows));
	snprintf(ports, sizeof(ports), "%u-%u", v->port_lo, v->port_hi);
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:i, s:I, s:o}", "id", vip_id, "address",
			 vr_addr_str(&v->addr, a, sizeof(a)), "ports", ports, "hash", hash_name(v->hash_key), "encap",
			 v->encap == 0 ? "gue" : "ipip", "gue_port", v->gue_port, "rx_packets",
			 (json_int_t)VR_DP_SUM(dp, vip_rx[vip_id]), "backends", backends);
}

static json_t *build_common(struct vr_dp *dp, json_t *ports, json_t *lcores, json_t *vips, json_t *backends,
			    json_t *drops, size_t mem);

json_t *vr_dp_stats_build(struct vr_dp *dp)
{
	static uint32_t flows[VR_MAX_BACKENDS];
	const struct vr_lb_state *st = dp->state;
	json_t *ports = json_array(), *lcores = json_array(), *vips = json_array(), *backends = json_array();
	json_t *drops = json_object();
	size_t mem = 0;

	for (uint32_t i = 0; i < dp->nb_ports; i++) {
		struct rte_eth_stats es;

		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(dp->ports[i].port_id, &es);
		json_array_append_new(ports, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "name",
						       dp->ports[i].cfg->name, "rx_packets", (json_int_t)es.ipackets,
						       "tx_packets", (json_int_t)es.opackets, "rx_bytes",
						       (json_int_t)es.ibytes, "tx_bytes", (json_int_t)es.obytes, "rx_missed",
						       (json_int_t)es.imissed, "tx_errors", (json_int_t)es.oerrors));
	}
	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		const struct vr_worker_stats *s = &dp->workers[i]->st;
		json_array_append_new(lcores, json_pack("{s:i, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I}", "lcore",
							dp->workers[i]->lcore_id, "rx_packets", (json_int_t)s->rx_packets,
							"tx_packets", (json_int_t)s->tx_packets, "busy_cycles",
							(json_int_t)s->busy_cycles, "total_cycles", (json_int_t)s->total_cycles,
							"cycles_per_packet",
							s->rx_packets ? (double)s->busy_cycles / (double)s->rx_packets : 0.0,
							"loops_over_100us", (json_int_t)s->long_loops[0],
							"loops_over_1ms", (json_int_t)s->long_loops[1],
							"loops_over_10ms", (json_int_t)s->long_loops[2]));
	}
	vr_dp_backend_flows(dp, flows);
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++) {
		if (!st->vip_in_use[v])
			continue;
		json_t *vj = vr_dp_vip_json(dp, st, (uint16_t)v, flows);
		json_array_extend(backends, json_object_get(vj, "backends"));
		json_object_del(vj, "backends");
		json_array_append_new(vips, vj);
	}
	for (int r = 1; r < VR_DROP_MAX; r++)
		json_object_set_new(drops, vr_drop_name(r), json_integer((json_int_t)VR_DP_SUM(dp, drops[r])));
	for (uint32_t i = 0; i < dp->nb_workers; i++)
		mem += vr_ct_memory(dp->workers[i]->ct);
	json_t *j = build_common(dp, ports, lcores, vips, backends, drops, mem);

	if (j != NULL && dp->cfg->role == VR_ROLE_RELAY)
		json_object_set_new(j, "relay", vr_dp_relay_stats_json(dp));
	/* Only when a port steers: the counters of what never reached the dataplane. */
	if (j != NULL && dp->steer != NULL)
		json_object_set_new(j, "steer", vr_dp_steer_json(dp));
	return j;
}

static json_t *build_common(struct vr_dp *dp, json_t *ports, json_t *lcores, json_t *vips, json_t *backends,
			    json_t *drops, size_t mem)
{
	const struct vr_lb_state *st = dp->state;

	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:{s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I}",
			 "tsc_hz", (json_int_t)dp->tsc_hz, "ports", ports, "lcores", lcores, "vips", vips, "backends",
			 backends, "drops", drops, "conntrack", "memory_bytes", (json_int_t)mem, "entries", ct_entries(dp),
			 "lookups", (json_int_t)VR_DP_CT_SUM(dp, lookups), "hits", (json_int_t)VR_DP_CT_SUM(dp, hits),
			 "inserts", (json_int_t)VR_DP_CT_SUM(dp, inserts), "updates",
			 (json_int_t)VR_DP_CT_SUM(dp, updates), "expired", (json_int_t)VR_DP_CT_SUM(dp, expired),
			 "evictions", (json_int_t)VR_DP_CT_SUM(dp, evictions), "slow_path",
			 (json_int_t)VR_DP_SUM(dp, slow_path), "reloads", (json_int_t)dp->reloads, "reload_failures",
			 (json_int_t)dp->reload_failures, "state_generation", (json_int_t)st->generation);
}

int vr_dp_stats_json(struct vr_dp *dp, const char *path)
{
	json_t *j = vr_dp_stats_build(dp);
	int rc = j != NULL && json_dump_file(j, path, JSON_COMPACT) == 0 ? 0 : -EIO;

	json_decref(j);
	return rc;
}

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
	vr_dp_backend_flows(dp, flows);
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++) {
		const struct vr_lb_vip *vip = &st->vips[v];
		if (!st->vip_in_use[v])
			continue;
		fprintf(f, "vip %s:%u-%u rx %" PRIu64 "\n", vr_addr_str(&vip->addr, a, sizeof(a)), vip->port_lo,
			vip->port_hi, VR_DP_SUM(dp, vip_rx[v]));
		for (uint32_t j = 0; j < vip->nb_backends; j++) {
			uint16_t id = vip->backend_ids[j];
			const struct vr_lb_backend *b = &st->backends[id];
			fprintf(f, "  backend %-20s %-8s weight %u maglev %u (%.2f%%) tx %" PRIu64 " bytes %" PRIu64
				" flows %u\n", b->name, vr_dp_backend_state_name(b->state), b->weight, b->maglev_slots,
				100.0 * b->maglev_slots / vip->maglev->size, vr_dp_backend_tx(dp, id),
				vr_dp_backend_bytes(dp, id), flows[id]);
		}
	}
	fprintf(f, "conntrack entries %u inserts %" PRIu64 " evictions %" PRIu64 " expired %" PRIu64 "\n",
		ct_entries(dp), VR_DP_CT_SUM(dp, inserts), VR_DP_CT_SUM(dp, evictions), VR_DP_CT_SUM(dp, expired));
	fprintf(f, "drops:");
	for (int r = 1; r < VR_DROP_MAX; r++) {
		uint64_t n = VR_DP_SUM(dp, drops[r]);
		if (n != 0)
			fprintf(f, " %s=%" PRIu64, vr_drop_name(r), n);
	}
	fprintf(f, "\nreloads %" PRIu64 " failed %" PRIu64 "\n", dp->reloads, dp->reload_failures);
	for (uint32_t i = 0; i < dp->nb_ports; i++) {
		uint64_t c[VR_STEER_STAT_MAX];

		if (vr_dp_steer_counters(dp, i, c) != 0)
			continue;
		fprintf(f, "steer %-10s", dp->ports[i].cfg->name);
		for (uint32_t s = 0; s < VR_STEER_STAT_MAX; s++)
			fprintf(f, " %s=%" PRIu64, vr_steer_stat_name(s), c[s]);
		fputc('\n', f);
	}
	if (dp->cfg->role == VR_ROLE_RELAY) {
		json_t *rj = vr_dp_relay_stats_json(dp);
		char *txt = rj != NULL ? json_dumps(rj, JSON_COMPACT) : NULL;

		fprintf(f, "relay %s\n", txt != NULL ? txt : "?");
		free(txt);
		json_decref(rj);
	}
	pthread_mutex_unlock(&dp->ctl_lock);
	fflush(f);
}
