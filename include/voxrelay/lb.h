/* SPDX-License-Identifier: BSD-3-Clause */
/* Balancer state (VIPs, backends, Maglev tables, room affinity) and the per-packet backend choice. */
#ifndef VOXRELAY_LB_H
#define VOXRELAY_LB_H

#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/config.h"
#include "voxrelay/conntrack.h"
#include "voxrelay/drop.h"
#include "voxrelay/maglev.h"
#include "voxrelay/pkt.h"

/** One backend of one VIP; its index in vr_lb_state.backends is its id. */
struct vr_lb_backend {
	struct vr_addr addr;
	uint16_t vip_id;   /**< VIP this backend serves */
	uint16_t gen;      /**< bumped each time the id is given to another backend */
	uint8_t in_use;    /**< id assigned in this state */
	uint8_t state;     /**< enum vr_backend_state */
	uint16_t pad;
	uint32_t weight;
	uint32_t maglev_slots; /**< slots owned in its VIP's Maglev table */
	char name[VR_CFG_NAME_LEN];
};

/**
 * Room affinity of a dst-port VIP: one 64-bit word per port of the VIP's
 * range, {backend id, gen, last seen (s)}, claimed by compare-and-swap so
 * that every lcore sends a room to the same backend even when RSS spreads
 * its members over lcores. Shared by successive states while the VIP exists.
 */
struct vr_lb_rooms {
	uint32_t refcnt;   /**< states holding it; changed by the control thread only */
	uint32_t nb_ports;
	uint64_t slot[];   /**< atomically accessed */
};

struct vr_lb_vip {
	struct vr_addr addr;
	uint16_t port_lo, port_hi; /**< host byte order, inclusive */
	uint16_t id;               /**< stable across reloads while address and ports stay */
	uint8_t hash_key;          /**< enum vr_hash_key */
	uint8_t encap;             /**< enum vr_encap_type */
	uint16_t gue_port;         /**< host byte order */
	uint16_t nb_backends;
	uint16_t backend_ids[VR_MAX_BACKENDS > 1024 ? 1024 : VR_MAX_BACKENDS]; /**< of this VIP */
	struct vr_maglev_table *maglev; /**< up backends only */
	uint32_t *maglev_refcnt;        /**< states sharing @maglev (control thread only) */
	struct vr_lb_rooms *rooms;      /**< dst-port VIPs only */
};

#define VR_LB_ADDR_SLOTS 1024 /* open-addressing slots for VIP addresses (power of two) */

/** Immutable once published; workers read it under RCU. */
struct vr_lb_state {
	uint64_t generation;    /**< 1 for the first state, +1 per successful build */
	uint32_t nb_vips;
	uint32_t ct_timeout_s;  /**< room affinity idle timeout, seconds */
	uint32_t maglev_size;   /**< M of every VIP's table */
	struct vr_lb_vip vips[VR_MAX_VIPS];     /**< indexed by VIP id */
	uint8_t vip_in_use[VR_MAX_VIPS];
	/* VIP lookup by address: slot -> first VIP id + count of VIPs sharing the address */
	struct {
		struct vr_addr addr;
		uint16_t nb;
		uint16_t ids[16];
	} addr_slots[VR_LB_ADDR_SLOTS];
	struct vr_lb_backend backends[VR_MAX_BACKENDS]; /**< indexed by backend id */
	uint16_t backend_gen_hwm[VR_MAX_BACKENDS];      /**< highest gen ever given per id */
};

/**
 * Build a balancer state from a validated configuration.
 *
 * VIP ids and backend ids are kept from @prev for the same VIP (address and
 * port range) and the same backend (VIP and address), so conntrack entries
 * and counters stay attached across reloads; a VIP whose up backends, weights
 * and ids did not change shares the previous state's Maglev table instead of
 * building it again (a control change touches one VIP, not all); a freed id given to another
 * backend gets a new generation, which invalidates old conntrack entries
 * pointing at it. Maglev tables are built here (off the fast path) over the
 * `up` backends of each VIP.
 *
 * @param cfg   validated configuration (vr_config_load())
 * @param prev  the running state, or NULL at start
 * @param err   one-line reason on failure
 * @return the new state (publish it with RCU; free with vr_lb_state_free()),
 *         or NULL with errno ENOMEM, ENOSPC (out of VIP or backend ids),
 *         EINVAL (more VIPs share an address than supported).
 * Control thread only: not thread-safe against another build using @prev.
 */
struct vr_lb_state *vr_lb_state_build(const struct vr_config *cfg, const struct vr_lb_state *prev,
				      char *err, size_t errlen);

/** Free a state; room tables are freed with their last state. NULL is a no-op. */
void vr_lb_state_free(struct vr_lb_state *st);

/** Per-worker inputs of vr_lb_select(). */
struct vr_lb_clock {
	uint64_t now;    /**< conntrack time (TSC cycles in the dataplane) */
	uint32_t now_s;  /**< seconds, monotonic, for room affinity */
};

/** What vr_lb_select() chose. */
struct vr_lb_choice {
	const struct vr_lb_vip *vip;
	const struct vr_lb_backend *backend;
	uint16_t backend_id;
	uint32_t hash;       /**< flow hash (five-tuple), for the GUE source port */
	uint8_t ct_hit;      /**< conntrack (or room table) already knew the flow */
};

/**
 * Find the VIP a parsed packet is for (destination address and port).
 * Returns NULL if none. Lock-free; any lcore.
 */
const struct vr_lb_vip *vr_lb_vip_find(const struct vr_lb_state *st, const struct vr_pkt_info *pi);

/**
 * First half of vr_lb_select(): find the VIP of a parsed UDP packet, compute
 * the flow hash and set pi->key.vip_id. Split out so a worker can classify a
 * whole burst, prefetch the conntrack buckets (vr_ct_prefetch() with
 * @out->hash) and only then choose, overlapping the memory latency.
 *
 * @return VR_DROP_NONE with @out->vip and @out->hash set, or VR_DROP_NO_VIP.
 * Lock-free, pure; any lcore.
 */
enum vr_drop vr_lb_classify(const struct vr_lb_state *st, struct vr_pkt_info *pi, struct vr_lb_choice *out);

/**
 * Second half of vr_lb_select(): choose the backend of a packet that
 * vr_lb_classify() accepted (@out->vip and @out->hash set by it).
 *
 * @return VR_DROP_NONE with the backend filled in, or VR_DROP_NO_BACKEND.
 * Lock-free; @ct owned by the caller.
 */
enum vr_drop vr_lb_choose(const struct vr_lb_state *st, struct vr_conntrack *ct, struct vr_pkt_info *pi,
			  const struct vr_lb_clock *clk, struct vr_lb_choice *out);

/**
 * Choose the backend for a parsed UDP packet to a VIP.
 *
 * Conntrack first (Maglev section 3.3: the table is the backstop): a
 * tracked flow keeps its backend while that backend is up or draining; a
 * flow whose backend went down, was removed, or whose id now belongs to
 * another backend is looked up in the Maglev table again and the entry is
 * rewritten. Five-tuple VIPs track flows in the worker's own @ct;
 * dst-port VIPs track rooms in the VIP's shared room table so that all
 * members of a room reach the same backend from every lcore.
 *
 * @param st   current state (RCU-protected by the caller)
 * @param ct   the calling worker's conntrack
 * @param pi   parsed packet (cls VR_PKT_UDP); pi->key.vip_id is set
 * @return VR_DROP_NONE and @out filled, or VR_DROP_NO_VIP, VR_DROP_NO_BACKEND.
 * Lock-free; @ct owned by the caller.
 */
enum vr_drop vr_lb_select(const struct vr_lb_state *st, struct vr_conntrack *ct, struct vr_pkt_info *pi,
			  const struct vr_lb_clock *clk, struct vr_lb_choice *out);

#endif
