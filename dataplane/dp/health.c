/* SPDX-License-Identifier: BSD-3-Clause */
/* Active health checks: UDP echo probes encapsulated like traffic, answered from the VIP (DSR), rise/fall, state rebuilds. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp.h"
#include "health.h"
#include "voxrelay/encap.h"

#define RTE_LOGTYPE_VOXRELAY RTE_LOGTYPE_USER1
/* Probe payload: magic, target index, sequence, send time (TSC). */
#define PROBE_MAGIC "VRHC"
#define PROBE_PAYLOAD (4 + 4 + 4 + 8)
#define PROBE_SPORT_BASE 40000

const uint32_t vr_health_bucket_us[VR_HEALTH_BUCKETS] = {500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
							 1000000};

struct vr_health_target {
	struct vr_addr vip, backend;
	uint16_t vip_port_lo;
	uint16_t port;               /* echo responder's UDP port */
	uint8_t encap;
	uint16_t gue_port;
	uint8_t healthy, outstanding;
	uint16_t ok_run, fail_run, rise, fall;
	uint32_t seq;
	uint64_t interval, timeout;  /* TSC cycles */
	uint64_t sent_tsc, next_tsc;
	uint64_t probes, failures, changes;
	uint64_t lat_sum_us, hist[VR_HEALTH_BUCKETS + 1];
};

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

void vr_dp_health_sync(struct vr_dp *dp)
{
	const struct vr_config *cfg = dp->cfg;
	struct vr_health_target *nt;
	uint32_t n = 0, k = 0;
	uint64_t now = rte_rdtsc();

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
		for (uint32_t j = 0; j < v->nb_backends; j++, k++) {
			struct vr_health_target *t = &nt[k], *old = find(dp, &v->addr, v->port_lo, &v->backends[j].addr);

			if (old != NULL) {
				*t = *old;
			} else {
				t->vip = v->addr;
				t->vip_port_lo = v->port_lo;
				t->backend = v->backends[j].addr;
				t->healthy = 1;
				/* Spread first probes over the interval instead of a burst. */
				t->next_tsc = now + (uint64_t)v->health_interval_ms * dp->tsc_hz / 1000 * k / (n ? n : 1);
			}
			t->port = v->health_port;
			t->encap = v->encap;
			t->gue_port = v->gue_port;
			t->rise = v->health_rise;
			t->fall = v->health_fall;
			t->interval = (uint64_t)v->health_interval_ms * dp->tsc_hz / 1000;
			t->timeout = (uint64_t)v->health_timeout_ms * dp->tsc_hz / 1000;
		}
	}
	free(dp->health);
	dp->health = nt;
	dp->nb_health = n;
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

static bool fail(struct vr_health_target *t, const char *why)
{
	t->failures++;
	t->outstanding = 0;
	t->ok_run = 0;
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

static bool succeed(struct vr_health_target *t, uint64_t lat_us)
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

/* Write the inner probe (IP + UDP + payload) at @l3; returns its length, 0 if we have no address of the VIP's family. */
static uint32_t build_probe(const struct vr_dp_port *p, const struct vr_health_target *t, uint32_t idx, uint8_t *l3)
{
	uint8_t payload[PROBE_PAYLOAD];
	struct rte_udp_hdr *udp;
	uint32_t ip_len = t->vip.family == AF_INET ? 20 : 40, len = ip_len + 8 + PROBE_PAYLOAD;

	memcpy(payload, PROBE_MAGIC, 4);
	memcpy(payload + 4, &idx, 4);
	memcpy(payload + 8, &t->seq, 4);
	memcpy(payload + 12, &t->sent_tsc, 8);
	if (t->vip.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		if (!p->local.has_v4)
			return 0;
		memset(ip, 0, 20);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)len);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = p->local.ipv4;
		ip->dst_addr = t->vip.a.w[3];
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		if (!p->local.has_v6)
			return 0;
		memset(ip, 0, 40);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + PROBE_PAYLOAD));
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, p->local.ipv6, 16);
		memcpy(ip->dst_addr, t->vip.a.b, 16);
	}
	udp = (struct rte_udp_hdr *)(l3 + ip_len);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(PROBE_SPORT_BASE + idx % 20000));
	udp->dst_port = rte_cpu_to_be_16(t->port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + PROBE_PAYLOAD));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, payload, PROBE_PAYLOAD);
	udp->dgram_cksum = t->vip.family == AF_INET ? rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, udp)
						    : rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)l3, udp);
	return len;
}

/* Encapsulate one probe exactly as the workers encapsulate traffic and hand it to worker 0's TX. */
static int send_probe(struct vr_dp *dp, struct vr_health_target *t, uint32_t idx)
{
	const struct vr_dp_port *p = &dp->ports[dp->ports[0].tx_idx];
	struct vr_encap_params ep;
	struct rte_mbuf *m;
	uint8_t *l3, *frame;
	uint64_t mac = __atomic_load_n(t->backend.family == AF_INET ? &p->gw4_mac : &p->gw6_mac, __ATOMIC_RELAXED);
	uint32_t len;
	int flen;

	if (!(mac & VR_DP_MAC_VALID))
		return -EHOSTUNREACH;
	memset(&ep, 0, sizeof(ep));
	if (t->backend.family == AF_INET ? !p->local.has_v4 : !p->local.has_v6)
		return -EADDRNOTAVAIL;
	ep.src = t->backend.family == AF_INET ? p->addr4 : p->addr6;
	ep.dst = t->backend;
	ep.type = t->encap;
	ep.ttl = dp->cfg->ttl;
	ep.gue_port = t->gue_port;
	ep.mtu = p->mtu;
	memcpy(ep.src_mac, p->mac.addr_bytes, 6);
	for (int i = 0; i < 6; i++)
		ep.dst_mac[i] = (uint8_t)(mac >> (8 * i));
	m = rte_pktmbuf_alloc(p->pool);
	if (m == NULL)
		return -ENOMEM;
	l3 = rte_pktmbuf_mtod(m, uint8_t *) + VR_ENCAP_MAX_HDR;
	len = build_probe(p, t, idx, l3);
	flen = len ? vr_encap(&ep, l3, len, t->vip.family, idx * 2654435761u, &frame) : -EADDRNOTAVAIL;
	if (flen < 0) {
		rte_pktmbuf_free(m);
		return flen;
	}
	m->data_off = (uint16_t)(frame - (uint8_t *)m->buf_addr);
	m->data_len = (uint16_t)flen;
	m->pkt_len = (uint32_t)flen;
	vr_dp_send_ctl(dp, (uint32_t)(p - dp->ports), m);
	return 0;
}

void vr_dp_health_tick(struct vr_dp *dp, uint64_t now)
{
	bool changed = false;

	for (uint32_t i = 0; i < dp->nb_health; i++) {
		struct vr_health_target *t = &dp->health[i];

		if (t->outstanding && now - t->sent_tsc > t->timeout)
			changed |= fail(t, "probe timed out");
		if (now < t->next_tsc)
			continue;
		t->next_tsc = now + t->interval;
		t->seq++;
		t->sent_tsc = now;
		t->probes++;
		if (send_probe(dp, t, i) != 0) {
			changed |= fail(t, "probe could not be sent");
			continue;
		}
		t->outstanding = 1;
	}
	if (changed) {
		char err[VR_CFG_ERR_LEN];

		if (vr_dp_rebuild(dp, err, sizeof(err)) != 0)
			RTE_LOG(ERR, VOXRELAY, "health: cannot apply the change: %s\n", err);
	}
}

bool vr_dp_health_input(struct vr_dp *dp, const uint8_t *frame, const struct vr_pkt_info *pi, uint64_t now)
{
	const uint8_t *pl = frame + pi->payload_off, *hit;
	struct vr_health_target *t;
	uint32_t idx, seq;

	/* The echo responder may frame the payload; find the probe in it. */
	hit = memmem(pl, pi->payload_len, PROBE_MAGIC, 4);
	if (hit == NULL || (size_t)(pl + pi->payload_len - hit) < PROBE_PAYLOAD)
		return false;
	memcpy(&idx, hit + 4, 4);
	memcpy(&seq, hit + 8, 4);
	if (idx >= dp->nb_health)
		return false;
	t = &dp->health[idx];
	/* Only the VIP answering from the probed port counts: a stray or
	 * forged datagram with our magic does not bring a backend up. */
	if (!t->outstanding || seq != t->seq || pi->key.family != t->vip.family ||
	    memcmp(pi->key.src, t->vip.a.b, 16) != 0 || rte_be_to_cpu_16(pi->key.sport) != t->port)
		return false;
	if (succeed(t, (now - t->sent_tsc) * 1000000 / dp->tsc_hz)) {
		char err[VR_CFG_ERR_LEN];

		if (vr_dp_rebuild(dp, err, sizeof(err)) != 0)
			RTE_LOG(ERR, VOXRELAY, "health: cannot apply the change: %s\n", err);
	}
	return true;
}

json_t *vr_dp_health_json(struct vr_dp *dp)
{
	json_t *list = json_array();
	char v[64], b[64];

	for (uint32_t i = 0; i < dp->nb_health; i++) {
		const struct vr_health_target *t = &dp->health[i];
		json_t *hist = json_array();
		uint64_t count = 0;

		for (int k = 0; k <= VR_HEALTH_BUCKETS; k++) {
			count += t->hist[k];
			json_array_append_new(hist, json_integer((json_int_t)t->hist[k]));
		}
		json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "vip",
						      vr_addr_str(&t->vip, v, sizeof(v)), "vip_port", t->vip_port_lo,
						      "address", vr_addr_str(&t->backend, b, sizeof(b)), "health",
						      t->healthy ? "up" : "down", "probes", (json_int_t)t->probes,
						      "failures", (json_int_t)t->failures, "changes", (json_int_t)t->changes,
						      "latency_us_sum", (json_int_t)t->lat_sum_us, "latency_count",
						      (json_int_t)count, "latency_us_buckets", hist));
	}
	return list;
}
