/* SPDX-License-Identifier: BSD-3-Clause */
/* What the AF_XDP steering program's maps must hold for one port, built from the configuration as plain data (no BPF, no EAL). */
#ifndef VOXRELAY_STEER_TABLE_H
#define VOXRELAY_STEER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/config.h"
#include "voxrelay/steer.h"

/** One entry of the `vips` map: an address and its port ranges. */
struct vr_steer_entry {
	struct vr_bpf_addr_key key;
	struct vr_steer_vip val;
};

/**
 * The content of one port's steering maps: `vips`, `self_addrs` and
 * `steer_cfg`. Entries are in the order the configuration first names
 * their address; an address's ranges in the order they are tried.
 */
struct vr_steer_table {
	uint32_t nb_vips;
	struct vr_steer_entry vips[VR_STEER_MAX_VIPS];
	uint32_t nb_self;
	struct vr_bpf_addr_key self[VR_STEER_MAX_SELF];
	struct vr_steer_cfg cfg;
};

/** Which part of the configuration a range that did not fit came from. */
enum vr_steer_src {
	VR_STEER_SRC_VIP = 0,       /**< balancer.vips[index] */
	VR_STEER_SRC_RELAY_VIP = 1, /**< relay.vips[index] */
	VR_STEER_SRC_PORT = 2,      /**< dataplane.ports[index]: its own address (GUE underlay, probe answers) */
};

/** Why vr_steer_table_build() failed. */
struct vr_steer_build_err {
	uint8_t src;         /**< enum vr_steer_src */
	uint32_t index;      /**< index of the VIP or port in its list */
	struct vr_addr addr; /**< the address that ran out of ranges (or of map entries) */
	bool no_entry;       /**< the map ran out of addresses (VR_STEER_MAX_VIPS), not the address of ranges */
};

/**
 * Builds what the steering program on port @port_idx of @cfg must see:
 *
 * - `vips`: role balancer, every VIP of balancer.vips; role relay, every
 *   relay.vips entry and the port's own addresses with relay.gue_port (no
 *   checks: GUE from the balancers is neither voice nor rate-limited).
 *   Flags from each VIP's `filter` and `rate_limit`. When some VIP has
 *   udp-echo health, also the probing port's addresses (the first port's
 *   tx_port, where the echoes are addressed) with the probes' source ports
 *   (no checks), whichever port the echoes come in on.
 *   Ranges are merged by address in configuration order; a range adjacent
 *   to or overlapping the address's last range with the same flags joins
 *   it (the first matching range decides, so this changes nothing).
 * - `self_addrs`: the port's ipv4 and ipv6.
 * - `steer_cfg`: dataplane.xdp_filter (burst 0 becomes rate_pps).
 *
 * @param cfg       a loaded configuration (any role)
 * @param port_idx  index into cfg->ports
 * @param t         out: the table (about 24 KiB; zeroed first)
 * @param e         out, on -ENOSPC: what did not fit; may be NULL
 * @return 0; -EINVAL (NULL @cfg or @t, @port_idx out of range); -ENOSPC
 *         (an address would need more than VR_STEER_VIP_RANGES ranges, or
 *         more than VR_STEER_MAX_VIPS addresses). Thread-safe; pure.
 */
int vr_steer_table_build(const struct vr_config *cfg, uint32_t port_idx, struct vr_steer_table *t,
			 struct vr_steer_build_err *e);

/**
 * Entry of @t for address @k.
 * @return the entry, or NULL if @t has none. Thread-safe on an unchanging @t.
 */
const struct vr_steer_entry *vr_steer_table_find(const struct vr_steer_table *t, const struct vr_bpf_addr_key *k);

/**
 * Whether @t lists @k in `self_addrs`. Thread-safe on an unchanging @t.
 */
bool vr_steer_table_has_self(const struct vr_steer_table *t, const struct vr_bpf_addr_key *k);

/** The map key of @a (IPv4-mapped like struct vr_addr, pad zero). Thread-safe. */
void vr_steer_key_of(const struct vr_addr *a, struct vr_bpf_addr_key *k);

#endif
