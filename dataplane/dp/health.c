/* SPDX-License-Identifier: BSD-3-Clause */
/* Active health checks: probe targets, scheduling and timeouts, rise/fall, state rebuilds, the shared encapsulation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "health_priv.h"
#include "tap.h"
#include "voxrelay/encap.h"

#define RTE_LOGTYPE_VOXRELAY RTE_LOGTYPE_USER1

const uint32_t vr_health_bucket_us[VR_HEALTH_BUCKETS] = {500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
							 1000000};

static struct vr_health_target *find(struct vr_dp *dp, const struct vr_addr *vip, uint16_t port_lo,
				     const struct vr_addr *be)
{
	for (uint32_t i = 0; i < dp->nb_health; i++) {
		struct vr_health_target *t = &dp->health[i];
		if (t->vip_port_lo == port_lo && vr_addr_eq(&t->vip, vip) && vr_addr_eq(&t->backend, be))
			return t;
	}
	return NULL;
}

/* The state's ids of a backend of a VIP, for telemetry; VR_BACKEND_NONE if it is not in @st. */
static void state_ids(const struct vr_lb_state *st, struct vr_health_target *t)
{
	t->vip_id = t->backend_id = VR_BACKEND_NONE;
	for (uint32_t v = 0; v < VR_MAX_VIPS; v++) {
		const struct vr_lb_vip *vip = &st->vips[v];

		if (!st->vip_in_use[v] || vip->port_lo != t->vip_port_lo || !vr_addr_eq(&vip->addr, &t->vip))
			continue;
		t->vip_id = (uint16_t)v;
		for (uint32_t j = 0; j < vip->nb_backends; j++)
			if (vr_addr_eq(&st->backends[vip->backend_ids[j]].addr, &t->backend))
				t->backend_id = vip->backend_ids[j];
		return;
	}
}

/* Settings of a target from its VIP; status, counters and a probe in flight are kept. */
static void configure(struct vr_dp *dp, struct vr_health_target *t, const struct vr_cfg_vip *v)
{
	t->type = v->health_type;
	t->port = v->health_port;
	t->vip_port_hi = v->port_hi;
	t->encap = v->encap;
	t->gue_port = v->gue_port;
	t->rise = v->health_rise;
	t->fall = v->health_fall;
	t->interval = (uint64_t)v->health_interval_ms * dp->tsc_hz / 1000;
	t->timeout = (uint64_t)v->health_timeout_ms * dp->tsc_hz / 1000;
	t->expect = v->health_expect;
	snprintf(t->path, sizeof(t->path), "%s", v->health_path);
	snprintf(t->host, sizeof(t->host), "%s", v->health_host);
	state_ids(dp->state, t);
}

void vr_dp_health_sync(struct vr_dp *dp)
{
	const struct vr_config *cfg = dp->cfg;
	struct vr_health_target *nt, *old_targets;
	uint16_t *by_id, *old_by_id;
	uint32_t n = 0, k = 0;
	uint64_t now = rte_rdtsc();
	bool http = false;

	for (uint32_t i = 0; i < cfg->nb_vips; i++)
		if (cfg->vips[i].health_type != VR_HEALTH_NONE)
			n += cfg->vips[i].nb_backends;
	nt = calloc(n ? n : 1, sizeof(*nt));
	if (nt == NULL) {
		RTE_LOG(ERR, VOXRELAY, "health: out of memory; keeping the previous probe targets\n");
		return;
	}
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		const struct vr_cfg_vip *v = &cfg->vips[i];

		if (v->health_type == VR_HEALTH_NONE)
			continue;
		http |= v->health_type == VR_HEALTH_HTTP;
		for (uint32_t j = 0; j < v->nb_backends; j++, k++) {
			struct vr_health_target *t = &nt[k], *old = find(dp, &v->addr, v->port_lo, &v->backends[j].addr);

			if (old != NULL) {
				*t = *old;
				/* The connection moves with the target; another probe type starts over. */
				old->http.fd = -1;
				if (old->type != v->health_type) {
					vr_http_probe_close(dp, t);
					t->outstanding = 0;
				}
			} else {
				t->vip = v->addr;
				t->vip_port_lo = v->port_lo;
				t->backend = v->backends[j].addr;
				t->healthy = 1;
				t->http.fd = -1;
				/* Spread first probes over the interval instead of a burst. */
				t->next_tsc = now + (uint64_t)v->health_interval_ms * dp->tsc_hz / 1000 * k / (n ? n : 1);
			}
			configure(dp, t, v);
		}
	}
	/* Connections of targets that are gone. */
	for (uint32_t i = 0; i < dp->nb_health; i++)
		vr_http_probe_close(dp, &dp->health[i]);
	vr_http_ports_rebuild(dp, nt, n);
	by_id = calloc(VR_MAX_BACKENDS, sizeof(*by_id));
	for (uint32_t i = 0; by_id != NULL && i < n; i++)
		if (nt[i].backend_id < VR_MAX_BACKENDS)
			by_id[nt[i].backend_id] = (uint16_t)(i + 1);
	pthread_mutex_lock(&dp->ctl_lock);
	old_targets = dp->health;
	old_by_id = dp->health_by_id;
	dp->health = nt;
	dp->nb_health = n;
	dp->health_by_id = by_id;
	pthread_mutex_unlock(&dp->ctl_lock);
	free(old_targets);
	free(old_by_id);
	if (http && dp->tap == NULL)
		vr_dp_tap_open(dp, cfg->health_tap);
	else if (http && strcmp(vr_dp_tap_name(dp), cfg->health_tap) != 0)
		RTE_LOG(WARNING, VOXRELAY, "health: dataplane.health.tap changed to %s; the tap stays %s until a restart\n",
			cfg->health_tap, vr_dp_tap_name(dp));
}

void vr_dp_health_overlay(struct vr_dp *dp, struct vr_config *cfg, uint8_t *saved)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		struct vr_cfg_vip *v = &cfg->vips[i];

		for (uint32_t j = 0; j < v->nb_backends && k < VR_MAX_BACKENDS; j++, k++) {
			struct vr_health_target *t = v->health_type != VR_HEALTH_NONE
							     ? find(dp, &v->addr, v->port_lo, &v->backends[j].addr)
							     : NULL;
			saved[k] = v->backends[j].state;
			if (t != NULL && !t->healthy)
				v->backends[j].state = VR_BACKEND_DOWN;
		}
	}
}

void vr_dp_health_restore(struct vr_config *cfg, const uint8_t *saved)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < cfg->nb_vips; i++)
		for (uint32_t j = 0; j < cfg->vips[i].nb_backends && k < VR_MAX_BACKENDS; j++, k++)
			cfg->vips[i].backends[j].state = saved[k];
}

static void log_change(const struct vr_health_target *t, const char *why)
{
	char v[64], b[64];

	RTE_LOG(NOTICE, VOXRELAY, "health: backend %s of VIP %s:%u is %s (%s)\n", vr_addr_str(&t->backend, b, sizeof(b)),
		vr_addr_str(&t->vip, v, sizeof(v)), t->vip_port_lo, t->healthy ? "up" : "down", why);
}

bool vr_health_fail(struct vr_health_target *t, const char *why)
{
	t->failures++;
	t->outstanding = 0;
	t->ok_run = 0;
	snprintf(t->last_failure, sizeof(t->last_failure), "%s", why);
	if (t->fail_run < UINT16_MAX)
		t->fail_run++;
	if (t->healthy && t->fail_run >= t->fall) {
		t->healthy = 0;
		t->changes++;
		log_change(t, why);
		return true;
	}
	return false;
}

bool vr_health_succeed(struct vr_health_target *t, uint64_t lat_us)
{
	int b = 0;

	t->outstanding = 0;
	t->fail_run = 0;
	if (t->ok_run < UINT16_MAX)
		t->ok_run++;
	while (b < VR_HEALTH_BUCKETS && lat_us > vr_health_bucket_us[b])
		b++;
	t->hist[b]++;
	t->lat_sum_us += lat_us;
	if (!t->healthy && t->ok_run >= t->rise) {
		t->healthy = 1;
		t->changes++;
		log_change(t, "answers again");
		return true;
	}
	return false;
}

void vr_health_apply(struct vr_dp *dp)
{
	char err[VR_CFG_ERR_LEN];

	if (vr_dp_rebuild(dp, err, sizeof(err)) != 0)
		RTE_LOG(ERR, VOXRELAY, "health: cannot apply the change: %s\n", err);
}

struct vr_dp_port *vr_health_port(struct vr_dp *dp)
{
	return &dp->ports[dp->ports[0].tx_idx];
}

int vr_health_encap_send(struct vr_dp *dp, const struct vr_health_target *t, struct rte_mbuf *m, uint8_t *l3,
			 uint32_t len, uint32_t hash)
{
	const struct vr_dp_port *p = vr_health_port(dp);
	struct vr_encap_params ep;
	uint8_t *frame;
	uint64_t mac = __atomic_load_n(t->backend.family == AF_INET ? &p->gw4_mac : &p->gw6_mac, __ATOMIC_RELAXED);
	int flen = -EHOSTUNREACH;

	if (!(mac & VR_DP_MAC_VALID))
		goto fail;
	flen = -EADDRNOTAVAIL;
	if (t->backend.family == AF_INET ? !p->local.has_v4 : !p->local.has_v6)
		goto fail;
	memset(&ep, 0, sizeof(ep));
	ep.src = t->backend.family == AF_INET ? p->addr4 : p->addr6;
	ep.dst = t->backend;
	ep.type = t->encap;
	ep.ttl = dp->cfg->ttl;
	ep.gue_port = t->gue_port;
	ep.mtu = p->mtu;
	memcpy(ep.src_mac, p->mac.addr_bytes, 6);
	for (int i = 0; i < 6; i++)
		ep.dst_mac[i] = (uint8_t)(mac >> (8 * i));
	flen = vr_encap(&ep, l3, len, t->vip.family, hash, &frame);
	if (flen < 0)
		goto fail;
	m->data_off = (uint16_t)(frame - (uint8_t *)m->buf_addr);
	m->data_len = (uint16_t)flen;
	m->pkt_len = (uint32_t)flen;
	vr_dp_send_ctl(dp, (uint32_t)(p - dp->ports), m);
	return 0;
fail:
	rte_pktmbuf_free(m);
	return flen;
}

void vr_dp_health_tick(struct vr_dp *dp, uint64_t now)
{
	/* Answers first, so one that came in this iteration is no timeout. */
	bool changed = vr_http_probe_poll(dp);

	for (uint32_t i = 0; i < dp->nb_health; i++) {
		struct vr_health_target *t = &dp->health[i];
		char why[64];
		int rc;

		if (t->outstanding && now - t->sent_tsc > t->timeout) {
			if (t->type == VR_HEALTH_HTTP) {
				snprintf(why, sizeof(why), "HTTP probe timed out %s",
					 t->http.phase == VR_HTTP_CONNECTING ? "connecting" : "waiting for the status line");
				vr_http_probe_close(dp, t);
			} else {
				snprintf(why, sizeof(why), "probe timed out");
			}
			changed |= vr_health_fail(t, why);
		}
		if (now < t->next_tsc)
			continue;
		t->next_tsc = now + t->interval;
		/* Without the tap the checker is broken, not the backend: its
		 * state stays (logged when the tap failed, shown in health.list). */
		if (t->type == VR_HEALTH_HTTP && dp->tap == NULL) {
			snprintf(t->last_failure, sizeof(t->last_failure), "no tap for HTTP probes (see the log)");
			continue;
		}
		t->seq++;
		t->sent_tsc = now;
		t->probes++;
		if (t->type == VR_HEALTH_HTTP) {
			rc = vr_http_probe_start(dp, t, i, why, sizeof(why));
		} else {
			rc = vr_udp_probe_send(dp, t, i);
			snprintf(why, sizeof(why), "probe could not be sent: %s", strerror(-rc));
		}
		if (rc != 0) {
			changed |= vr_health_fail(t, why);
			continue;
		}
		t->outstanding = 1;
	}
	if (changed)
		vr_health_apply(dp);
}

void vr_dp_health_fini(struct vr_dp *dp)
{
	for (uint32_t i = 0; i < dp->nb_health; i++)
		vr_http_probe_close(dp, &dp->health[i]);
	free(dp->http_ports);
	dp->http_ports = NULL;
	vr_dp_tap_close(dp);
	pthread_mutex_lock(&dp->ctl_lock);
	free(dp->health);
	free(dp->health_by_id);
	dp->health = NULL;
	dp->health_by_id = NULL;
	dp->nb_health = 0;
	pthread_mutex_unlock(&dp->ctl_lock);
}
