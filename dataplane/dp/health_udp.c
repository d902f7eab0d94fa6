/* SPDX-License-Identifier: BSD-3-Clause */
/* UDP echo probes: a datagram from our address to VIP:port encapsulated like traffic, the echo straight from the VIP (DSR). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp.h"
#include "health_priv.h"
#include "voxrelay/encap.h"

/* Probe payload: magic, target index, sequence, send time (TSC). */
#define PROBE_MAGIC "VRHC"
#define PROBE_PAYLOAD (4 + 4 + 4 + 8)

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
	udp->src_port = rte_cpu_to_be_16((uint16_t)(VR_HEALTH_UDP_SPORT_BASE + idx % VR_HEALTH_UDP_SPORT_COUNT));
	udp->dst_port = rte_cpu_to_be_16(t->port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + PROBE_PAYLOAD));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, payload, PROBE_PAYLOAD);
	udp->dgram_cksum = t->vip.family == AF_INET ? rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, udp)
						    : rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)l3, udp);
	return len;
}

int vr_udp_probe_send(struct vr_dp *dp, struct vr_health_target *t, uint32_t idx)
{
	const struct vr_dp_port *p = vr_health_port(dp);
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);
	uint8_t *l3;
	uint32_t len;

	if (m == NULL)
		return -ENOMEM;
	l3 = rte_pktmbuf_mtod(m, uint8_t *) + VR_ENCAP_MAX_HDR;
	len = build_probe(p, t, idx, l3);
	if (len == 0) {
		rte_pktmbuf_free(m);
		return -EADDRNOTAVAIL;
	}
	return vr_health_encap_send(dp, t, m, l3, len, idx * 2654435761u);
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
	if (t->type != VR_HEALTH_UDP_ECHO || !t->outstanding || seq != t->seq || pi->key.family != t->vip.family ||
	    memcmp(pi->key.src, t->vip.a.b, 16) != 0 || rte_be_to_cpu_16(pi->key.sport) != t->port)
		return false;
	if (vr_health_succeed(t, (now - t->sent_tsc) * 1000000 / dp->tsc_hz))
		vr_health_apply(dp);
	return true;
}

