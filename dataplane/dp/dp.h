/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-dp internals shared by its files: the process context, ports and per-lcore workers. */
#ifndef VOXRELAY_DP_H
#define VOXRELAY_DP_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>
#include <jansson.h>

#include "voxrelay/config.h"
#include "voxrelay/conntrack.h"
#include "voxrelay/drop.h"
#include "voxrelay/lb.h"
#include "voxrelay/neigh.h"
#include "voxrelay/pkt.h"

#define VR_DP_MAX_BURST 256
/** Worker loop iterations are counted over 100 us, 1 ms and 10 ms. */
#define VR_DP_LONG_LOOP_LEVELS 3
/** Gateway MAC words: bit 63 set when resolved, MAC in the low 48 bits. */
#define VR_DP_MAC_VALID (1ull << 63)

struct vr_dp_port {
	uint16_t port_id;             /**< DPDK port id */
	uint16_t tx_idx;              /**< index of the port that sends what this one receives */
	uint16_t mtu;
	struct rte_ether_addr mac;
	struct vr_neigh_local local;  /**< our addresses on this port */
	struct vr_addr addr4, addr6;  /**< the same as vr_addr, for encapsulation */
	uint64_t gw4_mac, gw6_mac;    /**< atomic; see VR_DP_MAC_VALID */
	uint64_t next_probe_tsc;      /**< when to ask for the gateways again */
	const struct vr_cfg_port *cfg; /**< points at @cfg_copy: ports outlive reloads of the file */
	struct vr_cfg_port cfg_copy;
	struct rte_mempool *pool;
};

struct vr_worker_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t busy_cycles, total_cycles;
	uint64_t slow_path;
	/* loop iterations longer than 100 us, 1 ms, 10 ms (cumulative): a
	 * worker that waited for something shows here (docs/control.md) */
	uint64_t long_loops[VR_DP_LONG_LOOP_LEVELS];
	uint64_t drops[VR_DROP_MAX];
	uint64_t vip_rx[VR_MAX_VIPS];
	uint64_t backend_tx[VR_MAX_BACKENDS];
	uint64_t backend_bytes[VR_MAX_BACKENDS];
};

struct vr_dp;
struct vr_dp_tap;
struct vr_health_target;
struct vr_ctl_batch;
struct vr_relay_lcore;
struct vr_relay_dir;
struct vr_relay_slowlog;
struct vr_dp_steer;

/** Generations a worker remembers the first forwarded packet of (power of two). */
#define VR_DP_FWD_LOG 1024
/** The first packet a worker forwarded with a given state. */
struct vr_fwd_mark {
	uint64_t generation;
	uint64_t tsc;
};

/** Published states the control thread remembers (power of two). */
#define VR_DP_HISTORY 1024
enum vr_swap_cause { VR_SWAP_START = 0, VR_SWAP_CONTROL = 1, VR_SWAP_RELOAD = 2, VR_SWAP_HEALTH = 3 };
/** One published state (control thread only). */
struct vr_dp_swap {
	uint64_t generation;
	uint64_t request_tsc;  /**< the oldest control change it carries was read; 0 if none */
	uint64_t publish_tsc;  /**< the pointer was swapped */
	uint64_t build_cycles; /**< copy checks excluded: build + swap + grace period */
	uint32_t changes;      /**< control changes it carries */
	uint8_t cause;         /**< enum vr_swap_cause */
};

/** One conntrack entry as the control interface lists it. */
struct vr_ct_view {
	struct vr_flow_key key;
	uint16_t backend_id;
	uint16_t lcore;
	uint64_t idle_cycles;
};

enum vr_wreq_op { VR_WREQ_CT_LIST = 1, VR_WREQ_CT_FLUSH = 2 };

/**
 * A request the control thread hands one worker (message passing: the
 * conntrack table belongs to that worker). The worker serves it a slice of
 * buckets per loop iteration, between bursts, and sets @done when finished.
 */
struct vr_worker_req {
	uint8_t op;                  /**< enum vr_wreq_op */
	bool has_client, has_backend, has_vip;
	uint8_t client[16];          /**< IPv4-mapped for IPv4 */
	uint8_t client_family;
	uint8_t backend_addr[16];    /**< flows on backends with this address (of any VIP) */
	uint8_t backend_family;
	uint16_t vip_id;
	const struct vr_lb_state *st; /**< the state the worker held while walking */
	uint32_t limit;              /**< list: most entries to return */
	struct vr_ct_view *entries;  /**< list: room for @limit entries, owned by the requester */
	uint32_t nb_entries;
	bool truncated;
	uint32_t flushed;
	uint32_t cursor;             /**< the walk's position (vr_ct_walk) */
	uint32_t done;               /**< set by the worker, release order */
};

/** One per worker lcore; only its lcore writes it (observers read racily). */
struct vr_worker {
	unsigned int lcore_id;
	uint16_t index;               /**< queue id on every port and RCU thread id */
	struct vr_dp *dp;
	struct vr_conntrack *ct;
	struct rte_ring *tx_ring;     /**< mbufs the main lcore asks this worker to send (m->port = port index) */
	uint64_t state_gen;           /**< generation of the state last seen */
	uint64_t fwd_gen;             /**< generation of the last packet forwarded */
	struct vr_worker_req *req;    /**< pending control request, or NULL (atomic) */
	struct vr_relay_lcore *relay; /**< role relay: its rooms, hand-off ring, commands (relay_dp.h) */
	struct {
		uint16_t n;
		struct rte_mbuf *pkts[VR_DP_MAX_BURST];
	} tx[VR_CFG_MAX_PORTS];
	struct vr_worker_stats st __rte_cache_aligned;
	/* first packet forwarded per state: written once per swap, read by the control thread */
	uint32_t fwd_head __rte_cache_aligned; /**< marks written (release) */
	struct vr_fwd_mark fwd_log[VR_DP_FWD_LOG];
} __rte_cache_aligned;

struct vr_dp {
	struct vr_config *cfg;
	const char *config_path;
	struct vr_lb_state *state;    /**< published with RCU; workers load it once per burst */
	struct rte_rcu_qsbr *qsv;
	uint32_t nb_ports;
	struct vr_dp_port ports[VR_CFG_MAX_PORTS];
	uint16_t port_idx[RTE_MAX_ETHPORTS]; /**< DPDK port id -> index in ports */
	uint32_t nb_workers;
	struct vr_worker *workers[VR_CFG_MAX_LCORES];
	struct rte_ring *slow_ring;   /**< ARP/ND frames from workers to the main lcore */
	uint64_t tsc_hz, start_tsc;
	uint64_t long_loop_cycles[VR_DP_LONG_LOOP_LEVELS]; /**< 100 us, 1 ms, 10 ms in TSC cycles */
	uint64_t reloads, reload_failures;
	uint64_t swaps;               /**< states published (reloads and control changes) */
	uint64_t swap_cycles_last, swap_cycles_total; /**< build + publish time, TSC cycles */
	struct vr_ctl_server *ctl;    /**< the control socket, or NULL */
	struct vr_health_target *health; /**< probe targets (health.c); replaced under ctl_lock, written by the control thread */
	uint32_t nb_health;
	uint16_t *health_by_id;       /**< backend id -> target index + 1 (telemetry), replaced with @health */
	uint16_t *http_ports;         /**< family, our TCP port -> HTTP probe target index + 1 (health_http.c), control thread only */
	struct vr_dp_tap *tap;        /**< the HTTP probes' kernel tap (tap.c), or NULL; set by the control thread, tested by workers (atomic) */
	uint64_t ctl_requests, ctl_errors;
	uint64_t ctl_request_tsc;     /**< when the request being handled was read */
	struct vr_ctl_batch *batch;   /**< changes waiting for their commit (ctlops.c) */
	/* what the next swap carries, set by its caller and reset by the swap */
	uint8_t swap_cause;
	uint32_t swap_changes;
	uint64_t swap_request_tsc;
	uint64_t last_publish_tsc;
	uint32_t history_head;        /**< swaps recorded */
	struct vr_dp_swap history[VR_DP_HISTORY];
	uint64_t mono_ns, mono_tsc;   /**< CLOCK_MONOTONIC and TSC read together, to convert */
	/* Worker counters of a backend id at the moment the id was given to its
	 * current backend: reports subtract them, so a reused id starts at zero. */
	uint64_t backend_base_tx[VR_MAX_BACKENDS], backend_base_bytes[VR_MAX_BACKENDS];
	pthread_mutex_t ctl_lock;     /**< control thread vs telemetry readers; never taken by workers */
	/* role relay (relay_dp.h) */
	struct rte_ring *relay_slow_ring; /**< STUN/DTLS frames from workers to the control thread */
	struct vr_relay_slowlog *relay_slow; /**< what the control side can read (relay.slowpath) */
	struct vr_relay_dir *relay_dir; /**< rooms by VIP:port, their owners (control thread) */
	uint32_t rx_enabled;          /**< workers read packets once set (after --control-script), atomic */
	pthread_mutex_t relay_cmd_lock; /**< one command per worker at a time: control thread vs telemetry */
	struct vr_dp_steer *steer;    /**< the steering programs' maps (steer.h), NULL when no port steers; control thread, cleared under ctl_lock */
};

/* Sum of one worker counter over all workers: workers write, readers read
 * racily; 64-bit loads do not tear on the targets DPDK supports. */
#define VR_DP_SUM(dp, field)                                                              \
	({                                                                                \
		uint64_t _s = 0;                                                          \
		for (uint32_t _i = 0; _i < (dp)->nb_workers; _i++)                       \
			_s += __atomic_load_n(&(dp)->workers[_i]->st.field, __ATOMIC_RELAXED); \
		_s;                                                                       \
	})
#define VR_DP_CT_SUM(dp, field)                                           \
	({                                                                \
		uint64_t _s = 0;                                          \
		for (uint32_t _i = 0; _i < (dp)->nb_workers; _i++)       \
			_s += vr_ct_stats((dp)->workers[_i]->ct)->field;  \
		_s;                                                       \
	})

extern volatile sig_atomic_t vr_force_quit;
extern volatile sig_atomic_t vr_want_reload;
extern volatile sig_atomic_t vr_want_stats;

/* eal.c */
int vr_dp_eal_init(const struct vr_config *cfg, const char *prog);
/* port.c */
int vr_dp_ports_init(struct vr_dp *dp);
void vr_dp_ports_close(struct vr_dp *dp);
/* worker.c */
int vr_dp_worker_main(void *arg);
/* Send what the worker queued on every port (counts tx_packets, TX_FULL drops). Its lcore only. */
void vr_dp_tx_flush(struct vr_worker *w);
/* Queue the frames the main lcore handed this worker (tx_ring) for sending. Its lcore only. */
void vr_dp_drain_ctl_tx(struct vr_worker *w);

/* Queue @m for port index @tx_idx; a full queue is sent first. Its lcore only. */
static inline void vr_dp_tx_add(struct vr_worker *w, uint16_t tx_idx, struct rte_mbuf *m)
{
	if (VR_UNLIKELY(w->tx[tx_idx].n == VR_DP_MAX_BURST))
		vr_dp_tx_flush(w);
	w->tx[tx_idx].pkts[w->tx[tx_idx].n++] = m;
}

/* Whether @pi (parsed from a frame received on @p) is addressed to one of @p's own addresses. */
static inline bool vr_dp_is_local(const struct vr_dp_port *p, const struct vr_pkt_info *pi)
{
	if (pi->key.family == AF_INET)
		return p->local.has_v4 && memcmp(&pi->key.dst[12], &p->local.ipv4, 4) == 0;
	return p->local.has_v6 && memcmp(pi->key.dst, p->local.ipv6, 16) == 0;
}

/* The gateway MAC word of @p for @family (see VR_DP_MAC_VALID). Any thread. */
static inline uint64_t vr_dp_gateway_mac(const struct vr_dp_port *p, uint8_t family)
{
	return __atomic_load_n(family == AF_INET ? &p->gw4_mac : &p->gw6_mac, __ATOMIC_RELAXED);
}

/*
 * Hand @m to the main lcore (slow_ring: ARP, ND, answers to our probes),
 * counted in slow_path, or drop it as SLOWPATH_FULL when the ring is full.
 * Its lcore only.
 */
static inline void vr_dp_to_main(struct vr_worker *w, struct rte_mbuf *m)
{
	if (rte_ring_mp_enqueue(w->dp->slow_ring, m) != 0) {
		w->st.drops[VR_DROP_SLOWPATH_FULL]++;
		rte_pktmbuf_free(m);
		return;
	}
	w->st.slow_path++;
}

/*
 * End of one worker loop iteration that started at TSC @start, the one
 * before it having ended at @last: counts the iteration in long_loops, the
 * @got packets received in rx_packets, its cycles in busy_cycles when it
 * did work (@busy) and in total_cycles, and sleeps dataplane.idle_sleep_us
 * when it did none (shared CPUs: labs, small VMs). Returns the TSC at its
 * end, the next call's @last. Its lcore only.
 */
static inline uint64_t vr_dp_loop_end(struct vr_worker *w, uint64_t start, uint64_t last, uint64_t got, bool busy)
{
	const struct vr_dp *dp = w->dp;
	uint64_t end = rte_rdtsc();

	if (VR_UNLIKELY(end - start > dp->long_loop_cycles[0]))
		for (uint32_t i = 0; i < VR_DP_LONG_LOOP_LEVELS && end - start > dp->long_loop_cycles[i]; i++)
			w->st.long_loops[i]++;
	w->st.rx_packets += got;
	if (busy)
		w->st.busy_cycles += end - start;
	else if (dp->cfg->idle_sleep_us != 0)
		rte_delay_us_sleep(dp->cfg->idle_sleep_us);
	w->st.total_cycles += end - last;
	return end;
}
/* ctl.c */
void vr_dp_ctl_loop(struct vr_dp *dp);
int vr_dp_publish(struct vr_dp *dp, struct vr_lb_state *st);
/* Validate-build-swap @cfg (ownership taken, freed on failure); 0 or -errno with @err. */
int vr_dp_apply(struct vr_dp *dp, struct vr_config *cfg, char *err, size_t errlen);
/* Rebuild the state from the running configuration (health changes); 0 or -errno. */
int vr_dp_rebuild(struct vr_dp *dp, char *err, size_t errlen);
/* Queue a frame the main lcore built for transmission on port index @port_idx (worker 0 sends it). */
void vr_dp_send_ctl(struct vr_dp *dp, uint32_t port_idx, struct rte_mbuf *m);
/*
 * vr_config_load() for voxrelay-dp: also refuses a file without dataplane:
 * (one written for voxrelay-cp alone). NULL with the one-line message in @err.
 */
struct vr_config *vr_dp_config_load(const char *path, char *err, size_t errlen);
/* Reload the file; 0 or -errno with @err; counted and logged. */
int vr_dp_reload(struct vr_dp *dp, char *err, size_t errlen);
/* ctlops.c: answer one control request line (ctlsock.h's handler); 0, 1 (deferred) or -ENOMEM. */
int vr_dp_ctl_handle(void *dp, const char *line, size_t len, char **answer);
/* ctlops.c: commit the changes staged in this poll and answer them (ctlsock.h's flush). */
void vr_dp_ctl_flush(void *dp);
/* ctlops.c: free what the control operations hold; at exit. */
void vr_dp_ctl_cleanup(struct vr_dp *dp);
/* stats.c */
/* "A-B", or "A" for a one-port VIP, into @buf (16 bytes); returns @buf. */
const char *vr_dp_vip_ports(const struct vr_lb_vip *v, char *buf, size_t len);
const char *vr_dp_backend_state_name(uint8_t state);
uint64_t vr_dp_backend_tx(struct vr_dp *dp, uint16_t id);
uint64_t vr_dp_backend_bytes(struct vr_dp *dp, uint16_t id);
/* Live conntrack entries per backend id over all workers (racy read, for reports). */
void vr_dp_backend_flows(struct vr_dp *dp, uint32_t *flows);
/* @flows: live conntrack entries per backend id (vr_dp_backend_flows), or NULL to leave "flows" out. */
json_t *vr_dp_backend_json(struct vr_dp *dp, const struct vr_lb_state *st, uint16_t id, const uint32_t *flows);
json_t *vr_dp_vip_json(struct vr_dp *dp, const struct vr_lb_state *st, uint16_t vip_id, const uint32_t *flows);
json_t *vr_dp_stats_build(struct vr_dp *dp);
void vr_dp_stats_print(struct vr_dp *dp, FILE *f);
int vr_dp_stats_json(struct vr_dp *dp, const char *path);
/* telemetry.c (paging of the list commands: telemetry.h) */
/* Register the /voxrelay/... telemetry commands, once the ports and workers exist; 0 or -EINVAL. */
int vr_dp_telemetry_init(struct vr_dp *dp);

#endif
