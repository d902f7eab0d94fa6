/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's DPDK ports: configuring the TX and RX ports with one queue per worker lcore, and waiting for link. */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "gen_port.h"

#define GEN_RING_SIZE 1024

int vr_gen_port_setup(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *rx_pool)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	int socket, rc;

	if (!rte_eth_dev_is_valid_port(port_id))
		return -ENODEV;
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc)
		return rc;
	if (nb_queues > info.max_tx_queues || nb_queues > info.max_rx_queues)
		return -EINVAL;
	/* several queues: let the NIC spread what comes back over them */
	if (nb_queues > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(port_id, nb_queues, nb_queues, &conf);
	if (rc)
		return rc;
	socket = rte_eth_dev_socket_id(port_id);
	for (uint16_t q = 0; q < nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, GEN_RING_SIZE, socket, NULL, rx_pool);
		if (!rc)
			rc = rte_eth_tx_queue_setup(port_id, q, GEN_RING_SIZE, socket, NULL);
		if (rc)
			return rc;
	}
	/* what comes back is addressed to the clients we pretend to be, not to this port's MAC */
	rte_eth_promiscuous_enable(port_id);
	return rte_eth_dev_start(port_id);
}

bool vr_gen_port_wait_link(uint16_t port_id, double timeout_s, volatile bool *stop)
{
	uint64_t deadline = rte_get_tsc_cycles() + (uint64_t)(timeout_s * (double)rte_get_tsc_hz());
	struct rte_eth_link link;

	while (!*stop) {
		if (rte_eth_link_get_nowait(port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			return true;
		if (timeout_s > 0 && rte_get_tsc_cycles() > deadline)
			return false;
		rte_delay_ms(10);
	}
	return false;
}

void vr_gen_port_close(uint16_t port_id)
{
	if (!rte_eth_dev_is_valid_port(port_id))
		return;
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}
