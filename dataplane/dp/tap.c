/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP probes' net_tap port: opened on the main lcore, polled only by it, segments between kernel and wire. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "health.h"
#include "tap.h"

#define RTE_LOGTYPE_VOXRELAY RTE_LOGTYPE_USER1
#define TAP_VDEV "net_tap_probe"
#define TAP_MBUFS 1023
#define TAP_DESC 256
#define TAP_BURST 32
/* Outer headers a probe segment gets on the wire (IPv6 + UDP + GUE at most):
 * the kernel's segments must still fit the port's MTU once encapsulated. */
#define TAP_ENCAP_OVERHEAD (40 + 8 + 4)

struct vr_dp_tap {
	uint16_t port_id;
	bool started;
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	struct vr_tap_kernel k;
	uint64_t out_packets, out_dropped; /* kernel -> backends */
	uint64_t in_packets, in_dropped;   /* backends -> kernel */
};

static void tap_free(struct vr_dp_tap *tap, bool have_port)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (have_port) {
		if (rte_eth_dev_info_get(tap->port_id, &info) == 0)
			dev = info.device;
		if (tap->started)
			rte_eth_dev_stop(tap->port_id);
		rte_eth_dev_close(tap->port_id);
		if (dev != NULL)
			rte_dev_remove(dev);
	}
	rte_mempool_free(tap->pool);
	free(tap);
}

static int tap_port_setup(struct vr_dp_tap *tap, uint16_t mtu, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	int socket = (int)rte_socket_id(), rc;

	memset(&conf, 0, sizeof(conf));
	tap->pool = rte_pktmbuf_pool_create("vr_pool_tap", TAP_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (tap->pool == NULL) {
		snprintf(err, errlen, "mbuf pool: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	if ((rc = rte_eth_dev_configure(tap->port_id, 1, 1, &conf)) != 0 ||
	    (rc = rte_eth_rx_queue_setup(tap->port_id, 0, TAP_DESC, (unsigned int)socket, NULL, tap->pool)) != 0 ||
	    (rc = rte_eth_tx_queue_setup(tap->port_id, 0, TAP_DESC, (unsigned int)socket, NULL)) != 0) {
		snprintf(err, errlen, "queues: %s", rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_set_mtu(tap->port_id, mtu);
	if (rc != 0)
		RTE_LOG(WARNING, VOXRELAY, "tap %s: cannot set MTU %u: %s\n", tap->k.ifname, mtu, rte_strerror(-rc));
	rc = rte_eth_dev_start(tap->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "start: %s", rte_strerror(-rc));
		return rc;
	}
	tap->started = true;
	return rte_eth_macaddr_get(tap->port_id, &tap->mac);
}

int vr_dp_tap_open(struct vr_dp *dp, const char *ifname)
{
	const struct vr_dp_port *p = &dp->ports[dp->ports[0].tx_idx];
	struct vr_dp_tap *tap = calloc(1, sizeof(*tap));
	char args[64], err[256] = "";
	bool have_port = false;
	uint16_t mtu;
	int rc;

	if (tap == NULL)
		return -ENOMEM;
	snprintf(tap->k.ifname, sizeof(tap->k.ifname), "%s", ifname);
	tap->k.has_v4 = p->local.has_v4;
	tap->k.ipv4 = p->local.ipv4;
	tap->k.has_v6 = p->local.has_v6;
	memcpy(tap->k.ipv6, p->local.ipv6, 16);
	snprintf(args, sizeof(args), "%s,iface=%s", TAP_VDEV, ifname);
	rc = rte_dev_probe(args);
	if (rc != 0) {
		snprintf(err, sizeof(err), "cannot create %s: %s (needs CAP_NET_ADMIN and /dev/net/tun)", args,
			 rte_strerror(-rc));
		goto fail;
	}
	rc = rte_eth_dev_get_port_by_name(TAP_VDEV, &tap->port_id);
	if (rc != 0) {
		snprintf(err, sizeof(err), "no ethdev %s after probing it", TAP_VDEV);
		goto fail;
	}
	have_port = true;
	tap->k.ifindex = (int)if_nametoindex(ifname);
	if (tap->k.ifindex == 0) {
		rc = -errno;
		snprintf(err, sizeof(err), "no kernel interface %s: %s", ifname, strerror(errno));
		goto fail;
	}
	rc = vr_tap_kernel_prepare(&tap->k, err, sizeof(err));
	if (rc != 0)
		goto fail;
	/* IPv6 needs 1280 on the tap; probe segments are small anyway. */
	mtu = (uint16_t)(p->mtu - TAP_ENCAP_OVERHEAD);
	if (tap->k.has_v6 && mtu < 1280)
		mtu = 1280;
	rc = tap_port_setup(tap, mtu, err, sizeof(err));
	if (rc == 0)
		rc = vr_tap_kernel_configure(&tap->k, err, sizeof(err));
	if (rc != 0)
		goto fail;
	__atomic_store_n(&dp->tap, tap, __ATOMIC_RELEASE);
	RTE_LOG(INFO, VOXRELAY, "tap %s: HTTP probes' exception path (port %u, MAC %02x:%02x:%02x:%02x:%02x:%02x)\n",
		ifname, tap->port_id, tap->mac.addr_bytes[0], tap->mac.addr_bytes[1], tap->mac.addr_bytes[2],
		tap->mac.addr_bytes[3], tap->mac.addr_bytes[4], tap->mac.addr_bytes[5]);
	return 0;
fail:
	RTE_LOG(ERR, VOXRELAY, "tap %s: %s; HTTP probes are not sent, their backends keep their state\n", ifname, err);
	if (have_port)
		vr_tap_kernel_teardown(&tap->k);
	tap_free(tap, have_port);
	return rc < 0 ? rc : -EIO;
}

void vr_dp_tap_close(struct vr_dp *dp)
{
	if (dp->tap == NULL)
		return;
	struct vr_dp_tap *tap = dp->tap;

	/* Workers stop handing TCP over first; what is already queued is freed by the slow path. */
	__atomic_store_n(&dp->tap, NULL, __ATOMIC_RELEASE);
	vr_tap_kernel_teardown(&tap->k);
	tap_free(tap, true);
}

void vr_dp_tap_poll(struct vr_dp *dp)
{
	struct vr_dp_tap *tap = dp->tap;
	struct rte_mbuf *pkts[TAP_BURST];
	uint16_t n;

	if (tap == NULL)
		return;
	n = rte_eth_rx_burst(tap->port_id, 0, pkts, TAP_BURST);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct vr_pkt_info pi;

		/* Only our probes' segments leave; the kernel's own chatter stays here. */
		if (m->nb_segs == 1 &&
		    vr_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), &pi) == VR_DROP_NONE &&
		    vr_dp_health_http_output(dp, rte_pktmbuf_mtod(m, uint8_t *), &pi) == 0)
			tap->out_packets++;
		else
			tap->out_dropped++;
		rte_pktmbuf_free(m);
	}
}

void vr_dp_tap_deliver(struct vr_dp *dp, struct rte_mbuf *m, const struct vr_pkt_info *pi)
{
	struct vr_dp_tap *tap = dp->tap;
	uint8_t *data;

	if (tap == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	data = rte_pktmbuf_mtod(m, uint8_t *);
	/* The tap is no VLAN device: move the MACs over the tag. */
	if (pi->has_vlan) {
		memmove(data + 4, data, 12);
		data = (uint8_t *)rte_pktmbuf_adj(m, 4);
	}
	/* The kernel takes only frames for its own MAC (the rest is PACKET_OTHERHOST). */
	memcpy(data, tap->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	if (rte_eth_tx_burst(tap->port_id, 0, &m, 1) == 1) {
		tap->in_packets++;
	} else {
		tap->in_dropped++;
		rte_pktmbuf_free(m);
	}
}

const char *vr_dp_tap_name(struct vr_dp *dp)
{
	return dp->tap != NULL ? dp->tap->k.ifname : "";
}

json_t *vr_dp_tap_json(struct vr_dp *dp)
{
	const struct vr_dp_tap *tap = dp->tap;

	if (tap == NULL)
		return json_null();
	return json_pack("{s:s, s:I, s:I, s:I, s:I}", "iface", tap->k.ifname, "segments_out",
			 (json_int_t)tap->out_packets, "out_dropped", (json_int_t)tap->out_dropped, "segments_in",
			 (json_int_t)tap->in_packets, "in_dropped", (json_int_t)tap->in_dropped);
}
