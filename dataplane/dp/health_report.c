/* SPDX-License-Identifier: BSD-3-Clause */
/* What the health checker shows: health.list JSON for the control socket, /voxrelay/probes pages for telemetry. */
#include <stdbool.h>
#include <stdio.h>

#include <rte_telemetry.h>

#include "dp.h"
#include "health_priv.h"
#include "telemetry.h"

static const char *type_name(uint8_t type)
{
	return type == VR_HEALTH_HTTP ? "http" : type == VR_HEALTH_UDP_ECHO ? "udp-echo" : "none";
}

json_t *vr_dp_health_json(struct vr_dp *dp)
{
	json_t *list = json_array();
	char v[64], b[64];

	for (uint32_t i = 0; i < dp->nb_health; i++) {
		const struct vr_health_target *t = &dp->health[i];
		json_t *hist = json_array(), *o;
		uint64_t count = 0;

		for (int k = 0; k <= VR_HEALTH_BUCKETS; k++) {
			count += t->hist[k];
			json_array_append_new(hist, json_integer((json_int_t)t->hist[k]));
		}
		o = json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "vip",
			      vr_addr_str(&t->vip, v, sizeof(v)), "vip_port", t->vip_port_lo, "address",
			      vr_addr_str(&t->backend, b, sizeof(b)), "type", type_name(t->type), "port", t->port,
			      "health", t->healthy ? "up" : "down", "probes", (json_int_t)t->probes, "failures",
			      (json_int_t)t->failures, "changes", (json_int_t)t->changes, "latency_us_sum",
			      (json_int_t)t->lat_sum_us, "latency_count", (json_int_t)count, "latency_us_buckets", hist);
		if (o != NULL && t->last_failure[0] != '\0')
			json_object_set_new(o, "last_failure", json_string(t->last_failure));
		if (o != NULL && t->type == VR_HEALTH_HTTP)
			json_object_set_new(o, "http", json_pack("{s:s, s:s, s:i}", "path", t->path, "host", t->host,
								 "expect", t->expect));
		json_array_append_new(list, o);
	}
	return list;
}

/*
 * Page size of /voxrelay/probes, by the sums of telemetry.h. Worst-case
 * entry: strings vip and address (45 bytes each), vip_ports (11), type (8),
 * health (4); integers of 20 digits; the key (4 digits) and braces.
 */
#define PROBE_ENTRY                                                                                        \
	TEL_ENTRY(4, TEL_STR("vip", 45) + TEL_U64("vip_id") + TEL_STR("vip_ports", 11) +                   \
			     TEL_STR("address", 45) + TEL_STR("type", 8) + TEL_STR("health", 4) +              \
			     TEL_U64("probes") + TEL_U64("probe_failures") +                                   \
			     VR_HEALTH_BUCKETS * TEL_U64("probe_latency_us_le_1000000") +                      \
			     TEL_U64("probe_latency_us_sum") + TEL_U64("probe_latency_us_count"))
#define PROBES_PAGE 16
_Static_assert(TEL_REPLY("/voxrelay/probes", PROBES_PAGE, PROBE_ENTRY) < TEL_BUDGET,
	       "a page of probes must fit DPDK's reply");

static bool probe_present(const struct vr_dp *dp, uint32_t id)
{
	return dp->health_by_id != NULL && dp->health_by_id[id] != 0;
}

/* One target as a telemetry dict (fields of docs/metrics.md, histogram flat and cumulative). */
static struct rte_tel_data *probe_entry(struct vr_dp *dp, uint32_t id, char *key, size_t keylen)
{
	const struct vr_health_target *t = &dp->health[dp->health_by_id[id] - 1];
	struct rte_tel_data *c = vr_dp_tel_new_entry(id, key, keylen);
	char a[64], name[48];
	uint64_t cum = 0;

	if (c == NULL)
		return NULL;
	rte_tel_data_add_dict_string(c, "vip", vr_addr_str(&t->vip, a, sizeof(a)));
	rte_tel_data_add_dict_u64(c, "vip_id", t->vip_id);
	if (t->vip_port_lo == t->vip_port_hi)
		snprintf(name, sizeof(name), "%u", t->vip_port_lo);
	else
		snprintf(name, sizeof(name), "%u-%u", t->vip_port_lo, t->vip_port_hi);
	rte_tel_data_add_dict_string(c, "vip_ports", name);
	rte_tel_data_add_dict_string(c, "address", vr_addr_str(&t->backend, a, sizeof(a)));
	rte_tel_data_add_dict_string(c, "type", type_name(t->type));
	rte_tel_data_add_dict_string(c, "health", t->healthy ? "up" : "down");
	rte_tel_data_add_dict_u64(c, "probes", __atomic_load_n(&t->probes, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(c, "probe_failures", __atomic_load_n(&t->failures, __ATOMIC_RELAXED));
	for (int k = 0; k < VR_HEALTH_BUCKETS; k++) {
		cum += __atomic_load_n(&t->hist[k], __ATOMIC_RELAXED);
		snprintf(name, sizeof(name), "probe_latency_us_le_%u", vr_health_bucket_us[k]);
		rte_tel_data_add_dict_u64(c, name, cum);
	}
	cum += __atomic_load_n(&t->hist[VR_HEALTH_BUCKETS], __ATOMIC_RELAXED);
	rte_tel_data_add_dict_u64(c, "probe_latency_us_sum", __atomic_load_n(&t->lat_sum_us, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(c, "probe_latency_us_count", cum);
	return c;
}

int vr_dp_health_telemetry(struct vr_dp *dp, const char *params, struct rte_tel_data *d)
{
	const struct vr_dp_tel_list l = {VR_MAX_BACKENDS, PROBES_PAGE, probe_present, probe_entry};
	int rc;

	/* The control thread replaces the targets under the lock; counters move racily. */
	pthread_mutex_lock(&dp->ctl_lock);
	rc = vr_dp_tel_page(dp, params, d, &l);
	pthread_mutex_unlock(&dp->ctl_lock);
	return rc;
}
