/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-lcore UDP connection tracking: flow key -> backend, idle expiry, LRU eviction when full. */
#ifndef VOXRELAY_CONNTRACK_H
#define VOXRELAY_CONNTRACK_H

#include <stdint.h>

#include "voxrelay/common.h"

/**
 * What conntrack remembers of a flow: the backend and that backend's
 * generation, so that a backend id reused for another backend after a reload
 * never inherits the old backend's flows.
 */
struct vr_ct_value {
	uint16_t backend_id;
	uint16_t backend_gen;
};

/** Conntrack counters (monotonic; read by the owner or racily by observers). */
struct vr_ct_stats {
	uint64_t lookups;
	uint64_t hits;
	uint64_t inserts;
	uint64_t updates;   /**< an existing entry moved to another backend */
	uint64_t expired;   /**< entries found idle past the timeout and reused */
	uint64_t evictions; /**< live entries evicted (LRU) because the table was full */
	uint64_t removals;
};

struct vr_conntrack;

/**
 * Create a conntrack table.
 *
 * Set-associative: buckets of 8 entries sized so that @capacity flows fit at
 * most 7/8 full on average (ceil(capacity / 7) buckets of 448 bytes, i.e.
 * 64 bytes per flow of @capacity). Each flow has two distinct candidate
 * buckets chosen from its hash and a new flow goes to the emptier one ("power
 * of two choices"): with a single bucket per flow, 9% of flows would not fit
 * at that load. When both are full a new flow first reuses an expired entry
 * of either, else frees an entry by moving one live entry to its own other
 * bucket if that has room (one cuckoo step), else evicts the least recently
 * used of the 16 entries (counted in evictions). Memory is allocated once
 * here, never on lookups.
 *
 * @param capacity      flows to hold (>= 64, <= 2^26)
 * @param idle_timeout  an entry not seen for longer than this expires; same
 *                      unit as the @now passed to lookups (the dataplane
 *                      uses TSC cycles, tests any monotonic count); > 0
 * @param seed          secret mixed into the caller's hash before it picks
 *                      buckets, so that knowing vr_flow_hash() (stable
 *                      across balancers by design) is not enough to aim
 *                      flows at one bucket and evict its flows: that takes
 *                      full 32-bit hash collisions
 * @return the table, or NULL with errno EINVAL or ENOMEM.
 * Not thread-safe: one table per lcore, used only by its owner.
 */
struct vr_conntrack *vr_ct_create(uint32_t capacity, uint64_t idle_timeout, uint32_t seed);

/** Free a table; NULL is a no-op. */
void vr_ct_free(struct vr_conntrack *ct);

/** Bytes of memory the table holds (entries and buckets). */
size_t vr_ct_memory(const struct vr_conntrack *ct);

/** Change the idle timeout (same unit as @now); owner only. */
void vr_ct_set_timeout(struct vr_conntrack *ct, uint64_t idle_timeout);

/**
 * Look up a live flow and refresh its last-seen time to @now.
 *
 * @param hash   vr_flow_hash() of @key (computed once by the caller)
 * @param out    filled on a hit
 * @return true on a hit (entry live: now - last_seen <= timeout; a @now
 *         earlier than last_seen counts as age 0), false otherwise. An entry
 *         of @key found expired is freed and counted in expired.
 *         O(1), no allocation. Owner only.
 */
bool vr_ct_lookup(struct vr_conntrack *ct, const struct vr_flow_key *key, uint32_t hash,
		  uint64_t now, struct vr_ct_value *out);

/**
 * Start loading the two candidate buckets of a flow into the cache, so that
 * a burst of packets can overlap its memory latency: prefetch every packet
 * of the burst first, then look them up. A big table misses the cache on
 * almost every lookup, and each miss costs a DRAM round trip.
 *
 * @param hash   vr_flow_hash() of the flow, as later given to vr_ct_lookup()
 * A hint only: no effect on results. Owner only (reads the table's layout).
 */
void vr_ct_prefetch(const struct vr_conntrack *ct, uint32_t hash);

/**
 * Second prefetch stage, once vr_ct_prefetch()'s buckets have arrived:
 * compare the flow's signature with its buckets' and start loading the
 * entries that match, so that vr_ct_lookup() finds the key it compares in
 * the cache (as rte_hash's bulk lookup does). Call it for every packet of a
 * burst between the vr_ct_prefetch() pass and the lookups.
 *
 * @param hash   vr_flow_hash() of the flow
 * A hint only: no effect on results. Owner only.
 */
void vr_ct_prefetch_entry(const struct vr_conntrack *ct, uint32_t hash);

/**
 * Insert or overwrite the flow @key with @val, last seen @now. Never fails:
 * when both candidate buckets are full an expired entry is reused, else an
 * entry is freed by one cuckoo step, else the least recently used one is
 * evicted (see vr_ct_create()). O(1), no allocation. Owner only.
 */
void vr_ct_upsert(struct vr_conntrack *ct, const struct vr_flow_key *key, uint32_t hash,
		  uint64_t now, const struct vr_ct_value *val);

/** Remove the flow @key; returns true if it was present (live or expired). Owner only. */
bool vr_ct_remove(struct vr_conntrack *ct, const struct vr_flow_key *key, uint32_t hash);

/**
 * Count live entries (now - last_seen <= timeout). O(capacity); for
 * reports, not the fast path. If @per_backend is non-NULL (VR_MAX_BACKENDS
 * entries, zeroed by the caller) live entries are also counted per backend id.
 */
uint32_t vr_ct_count(const struct vr_conntrack *ct, uint64_t now, uint32_t *per_backend);

/** What a vr_ct_walk() callback wants done; bits, may be combined. */
enum vr_ct_walk_verdict {
	VR_CT_WALK_KEEP = 0,
	VR_CT_WALK_REMOVE = 1, /**< remove this entry (counted in removals) */
	VR_CT_WALK_STOP = 2,   /**< visit no further entries */
};

/**
 * Called by vr_ct_walk() for each live entry.
 * @param key   the flow; @val its backend; @idle time since last seen (unit of @now)
 * @return a combination of enum vr_ct_walk_verdict bits.
 */
typedef int (*vr_ct_walk_fn)(const struct vr_flow_key *key, const struct vr_ct_value *val, uint64_t idle,
			     void *arg);

/** Cursor value of a walk that is complete. */
#define VR_CT_WALK_DONE UINT32_MAX

/**
 * Visit live entries (now - last_seen <= timeout), letting @fn remove
 * entries or stop the walk: listing and flushing by the control interface.
 * The walk goes @budget buckets (8 entries each) at a time, so the owner
 * lcore can interleave it with forwarding instead of stalling for a whole
 * table (a 1 M-flow table is 150 k buckets).
 *
 * @param cursor  in: bucket to start from (0 to begin); out: where the next
 *                call continues, or VR_CT_WALK_DONE when the walk is over
 *                (end of table, or @fn said stop)
 * @param budget  most buckets to visit in this call (>= 1)
 * @return number of entries removed by this call.
 * Owner only (it is the owner's lookups the walk must not race with).
 */
uint32_t vr_ct_walk(struct vr_conntrack *ct, uint64_t now, uint32_t *cursor, uint32_t budget, vr_ct_walk_fn fn,
		    void *arg);

/** Counters of the table. */
const struct vr_ct_stats *vr_ct_stats(const struct vr_conntrack *ct);

#endif
