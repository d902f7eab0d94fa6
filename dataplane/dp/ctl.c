/* SPDX-License-Identifier: BSD-3-Clause */
/* The main lcore's control loop: SIGHUP reload with RCU swap, ARP/ND slow path, gateway resolution, stats. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "ctlsock.h"
#include "dp.h"
#include "health.h"
#include "relay_dp.h"
#include "steer.h"
#include "tap.h"
#include "voxrelay/pkt.h"

#define RTE_LOGTYPE_VOXRELAY RTE_LOGTYPE_USER1
/* Ask for an unresolved gateway every second, refresh a resolved one every 30 s. */
#define PROBE_UNRESOLVED_S 1
#define PROBE_RESOLVED_S 30

int vr_dp_publish(struct vr_dp *dp, struct vr_lb_state *st)
{
	struct vr_lb_state *old;

	pthread_mutex_lock(&dp->ctl_lock);
	old = __atomic_exchange_n(&dp->state, st, __ATOMIC_ACQ_REL);
	dp->last_publish_tsc = rte_rdtsc();
	/* An id given to a new backend was unused by the previous state, so
	 * no worker is counting on it now: its sums are stable to snapshot. */
	for (uint32_t id = 0; id < VR_MAX_BACKENDS; id++) {
		if (!st->backends[id].in_use || (old->backends[id].in_use && old->backends[id].gen == st->backends[id].gen))
			continue;
		dp->backend_base_tx[id] = dp->backend_base_bytes[id] = 0;
		for (uint32_t i = 0; i < dp->nb_workers; i++) {
			dp->backend_base_tx[id] += __atomic_load_n(&dp->workers[i]->st.backend_tx[id], __ATOMIC_RELAXED);
			dp->backend_base_bytes[id] += __atomic_load_n(&dp->workers[i]->st.backend_bytes[id], __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&dp->ctl_lock);
	/* Workers report a quiescent state once per burst loop; after this
	 * none of them can still hold the old state. */
	rte_rcu_qsbr_synchronize(dp->qsv, RTE_QSBR_THRID_INVALID);
	vr_lb_state_free(old);
	return 0;
}

/* Ports, lcores and EAL settings are fixed for the life of the process. */
static const char *fixed_part_changed(const struct vr_config *a, const struct vr_config *b)
{
	if (a->nb_ports != b->nb_ports)
		return "ports";
	for (uint32_t i = 0; i < a->nb_ports; i++) {
		struct vr_cfg_port x = a->ports[i], y = b->ports[i];

		/* Where the port stands in the file does not matter. */
		memset(&x.pos, 0, sizeof(x.pos));
		memset(&y.pos, 0, sizeof(y.pos));
		if (memcmp(&x, &y, sizeof(x)) != 0)
			return "ports";
	}
	if (a->nb_workers != b->nb_workers ||
	    memcmp(a->worker_lcores, b->worker_lcores, sizeof(a->worker_lcores[0]) * a->nb_workers) != 0 ||
	    a->main_lcore != b->main_lcore)
		return "lcores";
	if (a->ct_capacity != b->ct_capacity)
		return "conntrack capacity";
	/* rooms live on the lcores: their limits and addresses are fixed too */
	if (a->role != b->role)
		return "role";
	if (a->relay_max_rooms != b->relay_max_rooms || a->relay_max_members != b->relay_max_members ||
	    a->relay_max_speakers != b->relay_max_speakers || a->relay_slow_queue != b->relay_slow_queue ||
	    a->relay_gue_port != b->relay_gue_port || a->relay_ttl != b->relay_ttl ||
	    a->nb_relay_vips != b->nb_relay_vips)
		return "relay";
	for (uint32_t i = 0; i < a->nb_relay_vips; i++)
		if (!vr_addr_eq(&a->relay_vips[i].addr, &b->relay_vips[i].addr) ||
		    a->relay_vips[i].port_lo != b->relay_vips[i].port_lo ||
		    a->relay_vips[i].port_hi != b->relay_vips[i].port_hi)
			return "relay.vips";
	return NULL;
}

/* Remember a published state for state.history, with what its caller said it carries. */
static void record_swap(struct vr_dp *dp, uint64_t generation, uint64_t cycles)
{
	struct vr_dp_swap *h = &dp->history[dp->history_head % VR_DP_HISTORY];

	h->generation = generation;
	h->cause = dp->swap_cause;
	h->changes = dp->swap_changes;
	h->request_tsc = dp->swap_request_tsc;
	h->publish_tsc = dp->last_publish_tsc;
	h->build_cycles = cycles;
	dp->history_head++;
}

/* Build a state from @cfg with the backends health checks hold down taken
 * out, and publish it. */
static int build_and_publish(struct vr_dp *dp, struct vr_config *cfg, char *err, size_t errlen)
{
	static uint8_t saved[VR_MAX_BACKENDS];
	struct vr_lb_state *st;
	uint64_t t0 = rte_rdtsc();

	vr_dp_health_overlay(dp, cfg, saved);
	st = vr_lb_state_build(cfg, dp->state, err, errlen);
	vr_dp_health_restore(cfg, saved);
	if (st == NULL)
		return -errno;
	/* Workers read the ttl through dp->cfg per packet: an old config is
	 * freed only after the grace period that also retires the old state. */
	struct vr_config *old_cfg = dp->cfg;
	pthread_mutex_lock(&dp->ctl_lock);
	dp->cfg = cfg;
	pthread_mutex_unlock(&dp->ctl_lock);
	vr_dp_publish(dp, st);
	if (old_cfg != cfg)
		vr_config_free(old_cfg);
	dp->swaps++;
	dp->swap_cycles_last = rte_rdtsc() - t0;
	dp->swap_cycles_total += dp->swap_cycles_last;
	record_swap(dp, st->generation, dp->swap_cycles_last);
	return 0;
}

int vr_dp_apply(struct vr_dp *dp, struct vr_config *cfg, char *err, size_t errlen)
{
	const char *what = fixed_part_changed(dp->cfg, cfg);
	int rc;

	if (what != NULL) {
		snprintf(err, errlen, "%s changed; that needs a restart", what);
		vr_config_free(cfg);
		return -EINVAL;
	}
	rc = build_and_publish(dp, cfg, err, errlen);
	if (rc != 0) {
		vr_config_free(cfg);
		return rc;
	}
	vr_dp_health_sync(dp);
	/* After the swap: a VIP the program starts steering is already one the
	 * workers know. A failure keeps the maps as they were (and is logged):
	 * at worst new VIPs reach the kernel, removed ones a dataplane that
	 * drops them. */
	vr_dp_steer_sync(dp);
	return 0;
}

int vr_dp_rebuild(struct vr_dp *dp, char *err, size_t errlen)
{
	dp->swap_cause = VR_SWAP_HEALTH;
	dp->swap_changes = 0;
	dp->swap_request_tsc = 0;
	return build_and_publish(dp, dp->cfg, err, errlen);
}

struct vr_config *vr_dp_config_load(const char *path, char *err, size_t errlen)
{
	struct vr_config *cfg = vr_config_load(path, err, errlen);

	if (cfg && !cfg->has_dataplane) {
		snprintf(err, errlen, "%s: no dataplane: section (a file for voxrelay-cp alone)", path);
		vr_config_free(cfg);
		return NULL;
	}
	return cfg;
}

int vr_dp_reload(struct vr_dp *dp, char *err, size_t errlen)
{
	char msg[VR_CFG_ERR_LEN];
	struct vr_config *cfg = vr_dp_config_load(dp->config_path, msg, sizeof(msg));
	int rc;

	dp->swap_cause = VR_SWAP_RELOAD;
	dp->swap_changes = 0;
	dp->swap_request_tsc = 0;
	if (cfg == NULL) {
		snprintf(err, errlen, "%s", msg);
		rc = -EINVAL;
	} else {
		rc = vr_dp_apply(dp, cfg, msg, sizeof(msg));
		if (rc != 0)
			snprintf(err, errlen, "%s: %s", dp->config_path, msg);
	}
	if (rc != 0) {
		dp->reload_failures++;
		RTE_LOG(ERR, VOXRELAY, "reload failed, keeping the running configuration: %s\n", err);
		return rc;
	}
	dp->reloads++;
	RTE_LOG(INFO, VOXRELAY, "reloaded %s: state generation %" PRIu64 ", %u VIPs, %.3f ms\n", dp->config_path,
		dp->state->generation, dp->state->nb_vips, (double)dp->swap_cycles_last * 1e3 / (double)dp->tsc_hz);
	return 0;
}

static void learn(struct vr_dp_port *p, const struct vr_neigh_result *res)
{
	uint64_t w = VR_DP_MAC_VALID;
	const struct vr_cfg_port *c = p->cfg;

	if (c->has_gw_mac)
		return;
	for (int i = 0; i < 6; i++)
		w |= (uint64_t)res->sender_mac[i] << (8 * i);
	if (res->sender_ip.family == AF_INET && c->has_gw4 && res->sender_ip.a.w[3] == c->gateway_ipv4) {
		if (__atomic_exchange_n(&p->gw4_mac, w, __ATOMIC_RELAXED) != w)
			RTE_LOG(INFO, VOXRELAY, "port %s: gateway IPv4 is at %02x:%02x:%02x:%02x:%02x:%02x\n",
				c->name, res->sender_mac[0], res->sender_mac[1], res->sender_mac[2],
				res->sender_mac[3], res->sender_mac[4], res->sender_mac[5]);
	} else if (res->sender_ip.family == AF_INET6 && c->has_gw6 &&
		   memcmp(res->sender_ip.a.b, c->gateway_ipv6, 16) == 0) {
		if (__atomic_exchange_n(&p->gw6_mac, w, __ATOMIC_RELAXED) != w)
			RTE_LOG(INFO, VOXRELAY, "port %s: gateway IPv6 is at %02x:%02x:%02x:%02x:%02x:%02x\n",
				c->name, res->sender_mac[0], res->sender_mac[1], res->sender_mac[2],
				res->sender_mac[3], res->sender_mac[4], res->sender_mac[5]);
	}
}

void vr_dp_send_ctl(struct vr_dp *dp, uint32_t port_idx, struct rte_mbuf *m)
{
	m->port = (uint16_t)port_idx;
	if (rte_ring_mp_enqueue(dp->workers[0]->tx_ring, m) != 0)
		rte_pktmbuf_free(m);
}

static void slow_path(struct vr_dp *dp)
{
	struct rte_mbuf *pkts[32];
	unsigned int n = rte_ring_sc_dequeue_burst(dp->slow_ring, (void **)pkts, 32, NULL);

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t idx = dp->port_idx[m->port];
		struct vr_dp_port *p = &dp->ports[idx];
		uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
		struct vr_pkt_info pi;
		struct vr_neigh_result res;

		if (vr_pkt_parse(data, rte_pktmbuf_data_len(m), &pi) != VR_DROP_NONE) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (pi.cls == VR_PKT_UDP) {
			vr_dp_health_input(dp, data, &pi, rte_rdtsc());
			rte_pktmbuf_free(m);
			continue;
		}
		/* HTTP probes' segments: the kernel's TCP behind the tap answers them. */
		if (pi.cls == VR_PKT_TCP) {
			vr_dp_tap_deliver(dp, m, &pi);
			continue;
		}
		if (vr_neigh_input(data, rte_pktmbuf_data_len(m), pi.l3_off, &p->local, &res) != VR_DROP_NONE) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (res.learned)
			learn(p, &res);
		if (res.reply) {
			m->data_len = (uint16_t)res.reply_len;
			m->pkt_len = res.reply_len;
			vr_dp_send_ctl(dp, idx, m);
		} else {
			rte_pktmbuf_free(m);
		}
	}
}

/* Ask for one gateway (ARP request or neighbour solicitation) on port @i;
 * returns whether its MAC is already known. */
static bool probe_gateway(struct vr_dp *dp, uint32_t i, bool v6)
{
	struct vr_dp_port *p = &dp->ports[i];
	const struct vr_cfg_port *c = p->cfg;
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);
	uint64_t mac = __atomic_load_n(v6 ? &p->gw6_mac : &p->gw4_mac, __ATOMIC_RELAXED);

	if (m != NULL) {
		uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
		uint32_t len = v6 ? vr_neigh_nd_solicit(buf, &p->local, c->gateway_ipv6)
				  : vr_neigh_arp_request(buf, &p->local, c->gateway_ipv4);

		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		vr_dp_send_ctl(dp, i, m);
	}
	return (mac & VR_DP_MAC_VALID) != 0;
}

static void probe_gateways(struct vr_dp *dp, uint64_t now)
{
	for (uint32_t i = 0; i < dp->nb_ports; i++) {
		struct vr_dp_port *p = &dp->ports[i];
		const struct vr_cfg_port *c = p->cfg;
		bool resolved = true;

		if (c->has_gw_mac || now < p->next_probe_tsc)
			continue;
		if (c->has_gw4 && c->has_ipv4)
			resolved &= probe_gateway(dp, i, false);
		if (c->has_gw6 && c->has_ipv6)
			resolved &= probe_gateway(dp, i, true);
		p->next_probe_tsc = now + (resolved ? PROBE_RESOLVED_S : PROBE_UNRESOLVED_S) * dp->tsc_hz;
	}
}

void vr_dp_ctl_loop(struct vr_dp *dp)
{
	uint64_t next_stats = 0;

	while (!vr_force_quit) {
		uint64_t now = rte_rdtsc();

		if (vr_want_reload) {
			char err[VR_CFG_ERR_LEN];

			vr_want_reload = 0;
			vr_dp_reload(dp, err, sizeof(err));
		}
		if (vr_want_stats) {
			vr_want_stats = 0;
			vr_dp_stats_print(dp, stdout);
		}
		if (dp->cfg->stats_interval_s != 0) {
			if (next_stats == 0)
				next_stats = now + dp->cfg->stats_interval_s * dp->tsc_hz;
			else if (now >= next_stats) {
				vr_dp_stats_print(dp, stdout);
				next_stats = now + dp->cfg->stats_interval_s * dp->tsc_hz;
			}
		}
		slow_path(dp);
		vr_dp_relay_slow_poll(dp);
		vr_dp_tap_poll(dp);
		probe_gateways(dp, now);
		vr_dp_health_tick(dp, now);
		if (dp->ctl != NULL)
			vr_ctl_server_poll(dp->ctl, 1);
		else
			usleep(1000);
	}
}
