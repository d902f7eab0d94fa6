/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK telemetry commands (/voxrelay/...): counters for dpdk-telemetry.py and the metrics exporter. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "dp.h"
#include "health.h"
#include "relay_dp.h"
#include "steer.h"
#include "telemetry.h"

/*
 * VR_DP_TEL_PAGE, by the sums of telemetry.h.
 *
 * Largest entry, a backend: vip 54 (45 = INET6_ADDRSTRLEN - 1), vip_id 30,
 * vip_ports 26 ("65535-65535"), address 76 (63 = the name buffer),
 * state 19 ("draining"), weight 30, maglev_slots 36, tx_packets 34,
 * tx_bytes 32, '}' 1 = 338, with key "4095" 346 bytes. 32 backends +
 * "next" 28 + prefix 22 + 2 = 11124 bytes < 15872: 45 would fit today,
 * 32 keeps about 148 bytes per entry for fields still to come (flows,
 * ...). The other lists' entries are smaller: VIPs 194 bytes, lcores 147,
 * ports 675 but at most VR_CFG_MAX_PORTS = 8 of them. The asserts below
 * redo the sums; a new field must be added to its TEL_*_ENTRY too.
 */
#define TEL_BACKEND_ENTRY                                                                        \
	TEL_ENTRY(4, TEL_STR("vip", INET6_ADDRSTRLEN - 1) + TEL_U64("vip_id") + TEL_STR("vip_ports", 11) + \
			     TEL_STR("address", VR_CFG_NAME_LEN - 1) + TEL_STR("state", 8) +              \
			     TEL_U64("weight") + TEL_U64("maglev_slots") + TEL_U64("tx_packets") +          \
			     TEL_U64("tx_bytes"))
#define TEL_VIP_ENTRY                                                                            \
	TEL_ENTRY(3, TEL_STR("address", INET6_ADDRSTRLEN - 1) + TEL_U64("port_lo") + TEL_U64("port_hi") + \
			     TEL_U64("backends") + TEL_U64("rx_packets"))
#define TEL_LCORE_ENTRY                                                                          \
	TEL_ENTRY(3, TEL_U64("rx_packets") + TEL_U64("tx_packets") + TEL_U64("busy_cycles") +  \
			     TEL_U64("total_cycles") + TEL_U64("loops_over_100us") + TEL_U64("loops_over_1ms") + \
			     TEL_U64("loops_over_10ms"))
/* device: a DPDK name (< RTE_ETH_NAME_MAX_LEN) of any printable bytes, each escaped to at most 2. */
#define TEL_PORT_ENTRY                                                                           \
	TEL_ENTRY(1, TEL_STR("name", VR_CFG_NAME_LEN - 1) +                                      \
			     TEL_STR("device", 2 * (RTE_ETH_NAME_MAX_LEN - 1)) + TEL_U64("port_id") +       \
			     TEL_U64("rx_packets") + TEL_U64("tx_packets") + TEL_U64("rx_bytes") +          \
			     TEL_U64("tx_bytes") + TEL_U64("rx_missed") + TEL_U64("rx_errors") +            \
			     TEL_U64("tx_errors") + TEL_U64("rx_nombuf") + TEL_U64("link_up") +             \
			     TEL_U64("link_speed_mbps") + TEL_U64("mtu") + TEL_U64("rx_queues") +           \
			     TEL_U64("tx_queues"))

/* /voxrelay/steer: one entry per port, every counter by name (the longest, "drop_rate_limited", 17). */
#define TEL_STEER_ENTRY                                                                          \
	TEL_ENTRY(1, TEL_STR("name", VR_CFG_NAME_LEN - 1) + TEL_U64("prog_id") +                 \
			     VR_STEER_STAT_MAX * TEL_U64("drop_rate_limited") + TEL_U64("map_syncs") +       \
			     TEL_U64("map_sync_failures"))

_Static_assert(TEL_REPLY("/voxrelay/steer", VR_CFG_MAX_PORTS, TEL_STEER_ENTRY) < TEL_BUDGET,
	       "every port's steering counters must fit DPDK's reply");
_Static_assert(VR_DP_TEL_PAGE + 1 <= RTE_TEL_MAX_DICT_ENTRIES, "a page and its \"next\" must fit a DPDK dict");
_Static_assert(TEL_REPLY("/voxrelay/backends", VR_DP_TEL_PAGE, TEL_BACKEND_ENTRY) < TEL_BUDGET,
	       "a page of backends must fit DPDK's reply");
_Static_assert(TEL_REPLY("/voxrelay/vips", VR_DP_TEL_PAGE, TEL_VIP_ENTRY) < TEL_BUDGET,
	       "a page of VIPs must fit DPDK's reply");
_Static_assert(TEL_REPLY("/voxrelay/lcores", VR_DP_TEL_PAGE, TEL_LCORE_ENTRY) < TEL_BUDGET,
	       "a page of lcores must fit DPDK's reply");
_Static_assert(TEL_REPLY("/voxrelay/ports", VR_CFG_MAX_PORTS, TEL_PORT_ENTRY) < TEL_BUDGET,
	       "a page of ports must fit DPDK's reply");

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

int vr_dp_tel_page_start(const char *params, uint64_t *start)
{
	uint64_t v = 0;

	*start = 0;
	if (params == NULL)
		return 0;
	for (const char *p = params; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t)(*p - '0');
	}
	*start = v;
	return 0;
}

struct rte_tel_data *vr_dp_tel_new_entry(uint64_t key_num, char *key, size_t keylen)
{
	struct rte_tel_data *c = rte_tel_data_alloc();

	if (c != NULL)
		rte_tel_data_start_dict(c);
	snprintf(key, keylen, "%" PRIu64, key_num);
	return c;
}

bool vr_dp_tel_add_entry(struct rte_tel_data *d, const char *key, struct rte_tel_data *c)
{
	if (c == NULL)
		return false;
	if (rte_tel_data_add_dict_container(d, key, c, 0) < 0) {
		rte_tel_data_free(c);
		return false;
	}
	return true;
}

int vr_dp_tel_register(const struct vr_dp_tel_cmd *cmds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help) != 0)
			return -EINVAL;
	return 0;
}

int vr_dp_tel_page(struct vr_dp *dp, const char *params, struct rte_tel_data *d, const struct vr_dp_tel_list *l)
{
	uint64_t start;
	uint32_t pos, n = 0;
	int rc = vr_dp_tel_page_start(params, &start);

	if (rc < 0)
		return rc;
	rte_tel_data_start_dict(d);
	for (pos = (uint32_t)RTE_MIN(start, (uint64_t)l->nb); pos < l->nb; pos++) {
		char key[RTE_TEL_MAX_STRING_LEN];

		if (l->present != NULL && !l->present(dp, pos))
			continue;
		if (n == l->page)
			break;
		if (!vr_dp_tel_add_entry(d, key, l->entry(dp, pos, key, sizeof(key))))
			break;
		n++;
	}
	if (pos >= l->nb)
		return 0;
	/* An error now would leak the containers added: DPDK frees them only when it writes them. */
	if (n == 0)
		return -ENOMEM;
	rte_tel_data_add_dict_u64(d, "next", pos);
	return 0;
}

static bool backend_present(const struct vr_dp *dp, uint32_t id)
{
	return dp->state->backends[id].in_use;
}

static struct rte_tel_data *backend_entry(struct vr_dp *dp, uint32_t id, char *key, size_t keylen)
{
	const struct vr_lb_backend *b = &dp->state->backends[id];
	const struct vr_lb_vip *v = &dp->state->vips[b->vip_id];
	struct rte_tel_data *c = vr_dp_tel_new_entry(id, key, keylen);
	char a[64], ports[16];

	if (c == NULL)
		return NULL;
	rte_tel_data_add_dict_string(c, "vip", vr_addr_str(&v->addr, a, sizeof(a)));
	rte_tel_data_add_dict_u64(c, "vip_id", b->vip_id);
	rte_tel_data_add_dict_string(c, "vip_ports", vr_dp_vip_ports(v, ports, sizeof(ports)));
	rte_tel_data_add_dict_string(c, "address", b->name);
	rte_tel_data_add_dict_string(c, "state", vr_dp_backend_state_name(b->state));
	rte_tel_data_add_dict_u64(c, "weight", b->weight);
	rte_tel_data_add_dict_u64(c, "maglev_slots", b->maglev_slots);
	rte_tel_data_add_dict_u64(c, "tx_packets", vr_dp_backend_tx(dp, (uint16_t)id));
	rte_tel_data_add_dict_u64(c, "tx_bytes", vr_dp_backend_bytes(dp, (uint16_t)id));
	return c;
}

static bool vip_present(const struct vr_dp *dp, uint32_t id)
{
	return dp->state->vip_in_use[id];
}

static struct rte_tel_data *vip_entry(struct vr_dp *dp, uint32_t id, char *key, size_t keylen)
{
	const struct vr_lb_vip *vip = &dp->state->vips[id];
	struct rte_tel_data *c = vr_dp_tel_new_entry(id, key, keylen);
	char a[64];

	if (c == NULL)
		return NULL;
	rte_tel_data_add_dict_string(c, "address", vr_addr_str(&vip->addr, a, sizeof(a)));
	rte_tel_data_add_dict_u64(c, "port_lo", vip->port_lo);
	rte_tel_data_add_dict_u64(c, "port_hi", vip->port_hi);
	rte_tel_data_add_dict_u64(c, "backends", vip->nb_backends);
	rte_tel_data_add_dict_u64(c, "rx_packets", VR_DP_SUM(dp, vip_rx[id]));
	return c;
}

/* Keyed by lcore id; pages count workers in the order of dataplane.worker_lcores. */
static struct rte_tel_data *lcore_entry(struct vr_dp *dp, uint32_t idx, char *key, size_t keylen)
{
	const struct vr_worker_stats *s = &dp->workers[idx]->st;
	struct rte_tel_data *c = vr_dp_tel_new_entry(dp->workers[idx]->lcore_id, key, keylen);

	if (c == NULL)
		return NULL;
	rte_tel_data_add_dict_u64(c, "rx_packets", s->rx_packets);
	rte_tel_data_add_dict_u64(c, "tx_packets", s->tx_packets);
	rte_tel_data_add_dict_u64(c, "busy_cycles", s->busy_cycles);
	rte_tel_data_add_dict_u64(c, "total_cycles", s->total_cycles);
	rte_tel_data_add_dict_u64(c, "loops_over_100us", s->long_loops[0]);
	rte_tel_data_add_dict_u64(c, "loops_over_1ms", s->long_loops[1]);
	rte_tel_data_add_dict_u64(c, "loops_over_10ms", s->long_loops[2]);
	return c;
}

/* The NIC's counters; left out when the driver cannot give them, rather than zeros that look like a reset. */
static void port_counters(struct rte_tel_data *c, uint16_t port_id)
{
	struct rte_eth_stats es;

	if (rte_eth_stats_get(port_id, &es) != 0)
		return;
	rte_tel_data_add_dict_u64(c, "rx_packets", es.ipackets);
	rte_tel_data_add_dict_u64(c, "tx_packets", es.opackets);
	rte_tel_data_add_dict_u64(c, "rx_bytes", es.ibytes);
	rte_tel_data_add_dict_u64(c, "tx_bytes", es.obytes);
	rte_tel_data_add_dict_u64(c, "rx_missed", es.imissed);
	rte_tel_data_add_dict_u64(c, "rx_errors", es.ierrors);
	rte_tel_data_add_dict_u64(c, "tx_errors", es.oerrors);
	rte_tel_data_add_dict_u64(c, "rx_nombuf", es.rx_nombuf);
}

static void port_link(struct rte_tel_data *c, uint16_t port_id)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(port_id, &link) != 0)
		return;
	rte_tel_data_add_dict_u64(c, "link_up", link.link_status == RTE_ETH_LINK_UP);
	if (link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
		rte_tel_data_add_dict_u64(c, "link_speed_mbps", link.link_speed);
}

/*
 * Keyed by port index, the configured name in "name": DPDK 22.11 refuses
 * dict names with the '-' and '.' a configured name may hold, and "next"
 * is a valid port name.
 */
static struct rte_tel_data *port_entry(struct vr_dp *dp, uint32_t idx, char *key, size_t keylen)
{
	const struct vr_dp_port *p = &dp->ports[idx];
	struct rte_tel_data *c = vr_dp_tel_new_entry(idx, key, keylen);
	struct rte_eth_dev_info info;
	char dev[RTE_ETH_NAME_MAX_LEN];

	if (c == NULL)
		return NULL;
	rte_tel_data_add_dict_string(c, "name", p->cfg->name);
	if (rte_eth_dev_get_name_by_port(p->port_id, dev) == 0)
		rte_tel_data_add_dict_string(c, "device", dev);
	rte_tel_data_add_dict_u64(c, "port_id", p->port_id);
	port_counters(c, p->port_id);
	port_link(c, p->port_id);
	rte_tel_data_add_dict_u64(c, "mtu", p->mtu);
	if (rte_eth_dev_info_get(p->port_id, &info) == 0) {
		rte_tel_data_add_dict_u64(c, "rx_queues", info.nb_rx_queues);
		rte_tel_data_add_dict_u64(c, "tx_queues", info.nb_tx_queues);
	}
	return c;
}

/* The balancer state's lists: ctl_lock keeps a reload from freeing the state being read. */
static int state_page(const char *params, struct rte_tel_data *d, const struct vr_dp_tel_list *l)
{
	int rc;

	pthread_mutex_lock(&tel_dp->ctl_lock);
	rc = vr_dp_tel_page(tel_dp, params, d, l);
	pthread_mutex_unlock(&tel_dp->ctl_lock);
	return rc;
}

static int tel_backends(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct vr_dp_tel_list l = {VR_MAX_BACKENDS, VR_DP_TEL_PAGE, backend_present, backend_entry};

	return state_page(params, d, &l);
}

static int tel_vips(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct vr_dp_tel_list l = {VR_MAX_VIPS, VR_DP_TEL_PAGE, vip_present, vip_entry};

	return state_page(params, d, &l);
}

static int tel_lcores(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct vr_dp_tel_list l = {tel_dp->nb_workers, VR_DP_TEL_PAGE, NULL, lcore_entry};

	return vr_dp_tel_page(tel_dp, params, d, &l);
}

/* Under ctl_lock: vr_dp_ports_close() empties the list under it before closing the ports. */
static int tel_ports(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct vr_dp_tel_list l = {0, VR_DP_TEL_PAGE, NULL, port_entry};
	int rc;

	pthread_mutex_lock(&tel_dp->ctl_lock);
	l.nb = tel_dp->nb_ports;
	rc = vr_dp_tel_page(tel_dp, params, d, &l);
	pthread_mutex_unlock(&tel_dp->ctl_lock);
	return rc;
}

/* Health probe counters (health_report.c pages them, under ctl_lock). */
static int tel_probes(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	return vr_dp_health_telemetry(tel_dp, params, d);
}

/* The AF_XDP steering programs' counters (steer.c reads them under ctl_lock); one reply, at most 8 ports. */
static int tel_steer(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	return vr_dp_steer_telemetry(tel_dp, d);
}

/* Help texts are < RTE_TEL_MAX_STRING_LEN (128) bytes, or DPDK refuses the command. */
static const struct vr_dp_tel_cmd tel_cmds[] = {
	{"/voxrelay/stats", tel_stats, "Totals over all workers. No parameters"},
	{"/voxrelay/drops", tel_drops, "Drops by reason. No parameters"},
	{"/voxrelay/ports", tel_ports,
	 "NIC counters, link and MTU by port index. Paged: parameter first index, follow \"next\""},
	{"/voxrelay/vips", tel_vips, "Per-VIP counters by VIP id. Paged: parameter first id, follow \"next\""},
	{"/voxrelay/backends", tel_backends,
	 "Per-backend state and counters by backend id. Paged: parameter first id, follow \"next\""},
	{"/voxrelay/lcores", tel_lcores,
	 "Per-worker counters by lcore id. Paged: parameter first worker index, follow \"next\""},
	{"/voxrelay/probes", tel_probes,
	 "Health probe counters by backend id. Paged: parameter first id, follow \"next\""},
	{"/voxrelay/steer", tel_steer,
	 "AF_XDP steering program counters by port index (steering ports only). No parameters"},
};

int vr_dp_telemetry_init(struct vr_dp *dp)
{
	tel_dp = dp;
	if (vr_dp_tel_register(tel_cmds, RTE_DIM(tel_cmds)) != 0)
		return -EINVAL;
	/* the role is fixed for the life of the process (a reload cannot change it) */
	if (dp->cfg->role == VR_ROLE_RELAY)
		return vr_dp_relay_telemetry_init(dp);
	return 0;
}
