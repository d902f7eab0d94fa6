/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's DPDK ports: configuring the TX and RX ports with one queue per worker lcore, and waiting for link. */
#ifndef VOXRELAY_GEN_PORT_H
#define VOXRELAY_GEN_PORT_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mempool;

/**
 * Configure and start @port_id with @nb_queues RX and TX queues (1024
 * descriptors each), RX into @rx_pool. A port used for both directions is
 * set up once.
 * @return 0 or -errno from ethdev (-ENODEV: no such port; -EINVAL: it
 *         takes fewer queues). Start-up only; not thread-safe.
 */
int vr_gen_port_setup(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *rx_pool);

/**
 * Wait until @port_id reports link up.
 * @param timeout_s  0 = forever
 * @param stop       polled every 10 ms; waiting ends when it becomes true
 * @return true when the link is up.
 */
bool vr_gen_port_wait_link(uint16_t port_id, double timeout_s, volatile bool *stop);

/** Stop and close @port_id (ignores a port that is not started). */
void vr_gen_port_close(uint16_t port_id);

#endif
