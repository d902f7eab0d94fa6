/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's application state shared by its set-up, run and report files (internal to voxrelay-gen). */
#ifndef VOXRELAY_GEN_APP_H
#define VOXRELAY_GEN_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "voxrelay/relay.h"

#include "gen_opts.h"
#include "gen_plan.h"
#include "gen_report.h"
#include "gen_worker.h"

/** One voxrelay-gen process: options, plan, ports, workers. */
struct vr_gen_app {
	struct vr_gen_opts o;
	struct vr_gen_plan *plan;
	struct vr_gen_shared sh;
	enum vr_relay_suite suite;
	enum vr_gen_codec codec;
	uint32_t nb_flows;                 /**< receive flows: streams (echo) or streams x room size (room) */
	uint32_t nb_workers;
	struct vr_gen_worker *w[VR_GEN_MAX_LCORES];
	struct rte_mempool *tx_pool, *rx_pool;
	uint8_t src_mac[6];
	uint64_t t_start_tsc;              /**< when sending started */
};

/* ---- gen_setup.c ---- */
/**
 * Create the workers (one per worker lcore: @a->nb_workers, which the
 * caller has set and checked; streams split in contiguous ranges), their
 * voice models, frame builders (frame length @frame_len bytes without FCS,
 * 0 = the codec's) and receive accounting.
 * @return 0 or -errno (-ENOMEM, -EINVAL from the builders with a message on stderr).
 */
int vr_gen_setup_workers(struct vr_gen_app *a, uint32_t frame_len);

/**
 * Rebuild every stream's frame builder for @frame_len bytes without FCS
 * (RFC 2544: a new frame size). Workers must be idle.
 * @return 0 or -errno.
 */
int vr_gen_setup_frame(struct vr_gen_app *a, uint32_t frame_len);

/** Free the workers and what they hold; safe on a partly built app. */
void vr_gen_setup_free(struct vr_gen_app *a);

/* ---- gen_run.c ---- */
/** Tell every worker @cmd at @total_pps (split evenly; 0 = voice-paced) and wait until all took it. */
void vr_gen_run_cmd(struct vr_gen_app *a, enum vr_gen_cmd cmd, double total_pps);

/**
 * The load run: send for --duration (or until a signal) with a live line
 * per second, stop, drain, print the final report (text, and JSON when
 * asked). @return 0, or 1 when the run saw errors worth a non-zero exit.
 */
int vr_gen_run_load(struct vr_gen_app *a);

/**
 * RFC 2544 section 26.1: per frame size, a binary search for the highest
 * rate whose trial loses at most --loss-tolerance, then a latency trial at
 * --latency-load of it; prints the table (and JSON when asked).
 * @return 0, or 1 on a set-up error.
 */
int vr_gen_run_rfc2544(struct vr_gen_app *a);

#endif
