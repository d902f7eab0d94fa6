/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's worker lcores: the per-lcore context, the TX/RX burst loop, and the messages the main lcore drives it with. */
#ifndef VOXRELAY_GEN_WORKER_H
#define VOXRELAY_GEN_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "gen_build.h"
#include "gen_flow.h"
#include "gen_pace.h"
#include "gen_rx.h"
#include "gen_voice.h"

struct rte_mempool;
struct vr_gen_plan;

#define VR_GEN_MAX_BURST 256
/** mbufs a worker takes from its pool at once (and may hold unused). */
#define VR_GEN_MBUF_STASH 64

/** What the main lcore asks of a worker (vr_gen_worker.cmd). */
enum vr_gen_cmd {
	VR_GEN_CMD_IDLE = 0, /**< receive only */
	VR_GEN_CMD_SEND,     /**< send at vr_gen_worker.rate_pps (0: the voice model's own pace) and receive */
	VR_GEN_CMD_QUIT,     /**< leave the loop */
};

/** Run-wide settings every worker reads (set before launch, read-only after). */
struct vr_gen_shared {
	const struct vr_gen_plan *plan;
	uint16_t tx_port, rx_port;
	uint32_t burst;
	uint64_t tsc_hz;
	uint64_t ptime_ns;
	uint64_t unix_ns_at_tsc0;      /**< wallclock at TSC 0, for the SRs' NTP timestamps */
	bool flat_out;
	bool rtcp;
	bool expect_room;              /**< flows are (sender, receiver slot) pairs */
	bool expect_none;
	uint32_t tx_drop_every;
	uint64_t ramp_ns;              /**< the first SEND ramps from 0 to its rate over this long */
	struct vr_gen_rx_cfg rx_cfg;
	volatile bool *force_quit;
};

/**
 * One worker lcore. Owned by its lcore; the main lcore writes only @cmd,
 * @rate_pps, @gen, @snap_req, @reset_req and reads the counters and, after a snapshot
 * acknowledged through @snap_ack or while the worker is idle, @iv / @flows.
 */
struct vr_gen_worker {
	/* set up by main before launch */
	unsigned int lcore;
	uint16_t queue;
	uint32_t first, count;          /**< the streams it sends: [first, first + count) */
	struct vr_gen_voice *voice;     /**< count entries */
	struct vr_gen_tx *tx;           /**< count entries */
	struct vr_gen_flows *flows;     /**< receive accounting (every flow: RX queues see any) */
	struct rte_mempool *pool;
	const struct vr_gen_shared *sh;
	/* commands from main */
	volatile uint32_t cmd;          /**< enum vr_gen_cmd */
	volatile uint32_t gen;          /**< bumped with every new cmd/rate; acknowledged in @gen_ack */
	volatile double rate_pps;       /**< this worker's share of the rate; 0 = voice-paced */
	volatile uint32_t gen_ack;
	volatile uint32_t snap_req;     /**< bumped by main: take an interval snapshot */
	volatile uint32_t snap_ack;     /**< = snap_req once @iv and @iv_lat hold it */
	volatile uint32_t reset_req;    /**< bumped by main: forget what was received (a new trial) */
	volatile uint32_t reset_ack;
	struct vr_gen_flows_interval iv;
	struct vr_gen_hist *iv_lat;
	/* counters, written by the worker only */
	volatile uint64_t tx_rtp, tx_rtcp;      /**< built */
	volatile uint64_t tx_pkts, tx_bytes;    /**< taken by the TX queue */
	volatile uint64_t tx_discarded;         /**< built, still waiting for the ring when sending stopped */
	volatile uint64_t tx_dropped_knob, tx_build_err, alloc_fail, tx_full;
	volatile uint64_t rx_frames, rx_unknown_flow;
	volatile uint64_t rx_kind[VR_GEN_RX_KIND_MAX];
	volatile uint64_t rx_err[VR_GEN_RX_ERR_MAX];
	/* loop state */
	struct vr_gen_pace pace;
	uint64_t slot;                  /**< next (stream, frame) slot */
	/* slot_ns(slot) = cur_frame_ns + cur_off_ns, kept by additions (gen_worker.c cursor_next()) */
	uint32_t cur_stream;            /**< slot % count */
	uint32_t cur_off_rem, off_step_rem;
	uint64_t cur_frame_ns, cur_off_ns, off_step_ns;
	uint32_t nb_stash;              /**< mbufs left in @stash */
	struct rte_mbuf *stash[VR_GEN_MBUF_STASH];
	uint64_t t0_ns;                 /**< the streams' timeline starts at this TSC time, ns */
	bool ramped;                    /**< the ramp was done */
	uint32_t nb_pending;
	struct rte_mbuf *pending[2 * VR_GEN_MAX_BURST];
} __rte_cache_aligned;

/**
 * The worker loop (rte_eal_remote_launch() entry): receive always; send
 * while the command is SEND; answer snapshot requests; return at QUIT or
 * force_quit.
 * @param arg  its struct vr_gen_worker
 * @return 0.
 */
int vr_gen_worker_main(void *arg);

#endif
