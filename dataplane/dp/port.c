/* SPDX-License-Identifier: BSD-3-Clause */
/* Port set-up: find each configured device, one RX and TX queue per worker, RSS, pools, our addresses. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "dp.h"

#define RTE_LOGTYPE_VOXRELAY RTE_LOGTYPE_USER1

/* The ethdev name of a device string: a vdev's name is what precedes the first comma. */
static int find_port(const char *device, uint16_t *port_id)
{
	char name[VR_CFG_DEVICE_LEN];
	const char *comma = strchr(device, ',');
	size_t n = comma != NULL ? (size_t)(comma - device) : strlen(device);

	memcpy(name, device, n);
	name[n] = '\0';
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int port_setup(struct vr_dp *dp, uint32_t idx)
{
	struct vr_dp_port *p = &dp->ports[idx];
	const struct vr_cfg_port *c = &dp->cfg->ports[idx];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nq = (uint16_t)dp->nb_workers, rxd = c->rx_desc, txd = c->tx_desc;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	int rc, socket;

	p->cfg_copy = *c;
	p->cfg = &p->cfg_copy;
	c = p->cfg;
	p->mtu = c->mtu;
	rc = find_port(c->device, &p->port_id);
	if (rc != 0) {
		RTE_LOG(ERR, VOXRELAY, "port %s: no DPDK device for \"%s\"\n", c->name, c->device);
		return -ENODEV;
	}
	dp->port_idx[p->port_id] = (uint16_t)idx;
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		return rc;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		RTE_LOG(ERR, VOXRELAY, "port %s: %u workers need %u queues, the device has %u RX / %u TX\n",
			c->name, dp->nb_workers, nq, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	rc = rte_eth_dev_configure(p->port_id, nq, nq, &conf);
	if (rc != 0) {
		RTE_LOG(ERR, VOXRELAY, "port %s: configure: %s\n", c->name, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	if (rc != 0)
		return rc;
	socket = rte_eth_dev_socket_id(p->port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	snprintf(pool_name, sizeof(pool_name), "vr_pool_%u", idx);
	/* Room for the encapsulation in front and the largest frame the MTU allows. */
	p->pool = rte_pktmbuf_pool_create(pool_name, dp->cfg->mbufs, 256, 0,
					  RTE_PKTMBUF_HEADROOM + RTE_MAX(2048, c->mtu + 64), socket);
	if (p->pool == NULL) {
		RTE_LOG(ERR, VOXRELAY, "port %s: mbuf pool of %u: %s\n", c->name, dp->cfg->mbufs,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, rxd, (unsigned int)socket, NULL, p->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, q, txd, (unsigned int)socket, NULL);
		if (rc != 0) {
			RTE_LOG(ERR, VOXRELAY, "port %s: queue %u: %s\n", c->name, q, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc != 0)
		return rc;
	/* The device MTU must carry our encapsulated frames; virtual devices
	 * that cannot change it keep theirs, and we still enforce ours. */
	rc = rte_eth_dev_set_mtu(p->port_id, c->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		RTE_LOG(WARNING, VOXRELAY, "port %s: cannot set MTU %u: %s\n", c->name, c->mtu, rte_strerror(-rc));
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		RTE_LOG(ERR, VOXRELAY, "port %s: start: %s\n", c->name, rte_strerror(-rc));
		return rc;
	}
	/* Neighbour solicitations go to solicited-node multicast groups. */
	rte_eth_allmulticast_enable(p->port_id);

	memcpy(p->local.mac, p->mac.addr_bytes, 6);
	p->local.has_v4 = c->has_ipv4;
	p->local.ipv4 = c->ipv4;
	p->local.has_v6 = c->has_ipv6;
	memcpy(p->local.ipv6, c->ipv6, 16);
	memset(&p->addr4, 0, sizeof(p->addr4));
	memset(&p->addr6, 0, sizeof(p->addr6));
	if (c->has_ipv4)
		vr_addr_set_v4(&p->addr4, c->ipv4);
	if (c->has_ipv6) {
		p->addr6.family = AF_INET6;
		memcpy(p->addr6.a.b, c->ipv6, 16);
	}
	if (c->has_gw_mac) {
		uint64_t w = VR_DP_MAC_VALID;
		for (int i = 0; i < 6; i++)
			w |= (uint64_t)c->gateway_mac[i] << (8 * i);
		p->gw4_mac = p->gw6_mac = w;
	}
	return 0;
}

int vr_dp_ports_init(struct vr_dp *dp)
{
	dp->nb_ports = dp->cfg->nb_ports;
	for (uint32_t i = 0; i < dp->nb_ports; i++) {
		int rc = port_setup(dp, i);
		if (rc != 0)
			return rc;
	}
	for (uint32_t i = 0; i < dp->nb_ports; i++)
		dp->ports[i].tx_idx = (uint16_t)dp->cfg->ports[i].tx_port_idx;
	return 0;
}

void vr_dp_ports_close(struct vr_dp *dp)
{
	uint32_t n;

	/* /voxrelay/ports reads the ports under ctl_lock: once the list is empty, none is being read. */
	pthread_mutex_lock(&dp->ctl_lock);
	n = dp->nb_ports;
	dp->nb_ports = 0;
	pthread_mutex_unlock(&dp->ctl_lock);
	for (uint32_t i = 0; i < n; i++) {
		rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
	}
}
