/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's TX pacing: how many packets a TX lcore may send at a TSC instant, for a target rate, a ramp or flat out. */
#ifndef VOXRELAY_GEN_PACE_H
#define VOXRELAY_GEN_PACE_H

#include <stdint.h>

/*
 * Credit-based pacing with no drift: the packets allowed by an instant are
 * the integral of the rate since the current segment began, computed from
 * the elapsed TSC cycles each time, never accumulated call by call, so the
 * count after an hour is as exact as after a second whatever the calling
 * pattern. A segment starts at init and at every rate change; a change
 * discards the credit not yet taken, so a new rate never starts with a
 * catch-up burst at the old one (what an RFC 2544 search needs between
 * trials). Within a segment, credit a late caller did not take is kept
 * (the average holds) but handed out at most @burst per call, and can be
 * bounded with vr_gen_pace_set_max_backlog().
 *
 * Units: TSC cycles for instants and the frequency in cycles/s (the
 * caller's rte_get_tsc_hz()); rates in packets/s (fractional allowed);
 * ramp durations in ns. The state is plain data, owned by one lcore.
 */

/** Highest rate accepted, packets/s (well above any NIC, well inside double precision). */
#define VR_GEN_PACE_MAX_PPS 1e10

/** Pacer state. Fields are private; one owner thread. */
struct vr_gen_pace {
	uint64_t hz;          /* TSC cycles per second */
	uint64_t seg_tsc;     /* current segment's start */
	uint64_t seg_used;    /* credit of the segment granted or forgiven, packets */
	uint64_t ramp_cycles; /* length of the segment's ramp, 0 for none */
	uint64_t granted;     /* packets granted since init, less those given back */
	uint64_t forgiven;    /* credit dropped by the backlog bound, packets */
	uint64_t max_backlog; /* 0: unbounded */
	double r0;            /* rate at the segment's start, packets/s */
	double r1;            /* rate at and after the ramp's end */
	uint32_t burst;
	uint8_t flat;         /* no pacing */
};

/**
 * Set up a pacer.
 *
 * @param p        caller-owned state
 * @param tsc_hz   TSC frequency, cycles/s, > 0
 * @param burst    most packets one vr_gen_pace_poll() grants, >= 1
 * @param pps      target aggregate rate, packets/s, 0 .. VR_GEN_PACE_MAX_PPS;
 *                 0 = flat out (every poll grants @burst)
 * @param now_tsc  the TSC now: the rate's integral starts here
 * @return 0, or -EINVAL. Thread-safe on its own @p.
 */
int vr_gen_pace_init(struct vr_gen_pace *p, uint64_t tsc_hz, uint32_t burst, double pps, uint64_t now_tsc);

/**
 * Change the rate from @now_tsc on: a new segment, so credit not taken
 * at the old rate is dropped (no catch-up burst) and a ramp in progress
 * ends.
 *
 * @param pps      packets/s, 0 .. VR_GEN_PACE_MAX_PPS; 0 = flat out
 * @return 0, or -EINVAL (state unchanged). Owner thread only.
 */
int vr_gen_pace_set_rate(struct vr_gen_pace *p, double pps, uint64_t now_tsc);

/**
 * Ramp the rate linearly from @from_pps at @now_tsc to @to_pps @ramp_ns
 * later, then hold @to_pps. A new segment, as vr_gen_pace_set_rate().
 *
 * @param from_pps  starting rate, packets/s, 0 .. VR_GEN_PACE_MAX_PPS (0 is
 *                  a rate here: the ramp starts from standstill)
 * @param to_pps    final rate, packets/s, > 0 .. VR_GEN_PACE_MAX_PPS (flat
 *                  out cannot be ramped to)
 * @param ramp_ns   ramp duration, ns; 0 = vr_gen_pace_set_rate(@to_pps)
 * @return 0, or -EINVAL (state unchanged). Owner thread only.
 */
int vr_gen_pace_ramp(struct vr_gen_pace *p, double from_pps, double to_pps, uint64_t ramp_ns, uint64_t now_tsc);

/**
 * Bound the credit a late caller may build up within a segment: beyond
 * @max_packets the excess is dropped (counted by vr_gen_pace_forgiven())
 * instead of being sent later at up to line rate. 0 = unbounded (exact
 * average, the default). Owner thread only.
 */
void vr_gen_pace_set_max_backlog(struct vr_gen_pace *p, uint64_t max_packets);

/**
 * How many packets may be sent now: the credit up to @now_tsc not yet
 * granted, at most the burst. They count as sent; give back any the NIC
 * did not take with vr_gen_pace_unsent().
 *
 * @param now_tsc  the TSC now; an instant before the segment's start (TSC
 *                 skew between cores) counts as its start
 * @return packets, 0 .. burst. Owner thread only.
 */
uint32_t vr_gen_pace_poll(struct vr_gen_pace *p, uint64_t now_tsc);

/** Give back @n packets of the last poll that were not sent (tx_burst took fewer). Owner thread only. */
void vr_gen_pace_unsent(struct vr_gen_pace *p, uint32_t n);

/** The target rate at @now_tsc, packets/s (0 = flat out). */
double vr_gen_pace_rate(const struct vr_gen_pace *p, uint64_t now_tsc);

/** Packets granted since init, less those given back. */
uint64_t vr_gen_pace_granted(const struct vr_gen_pace *p);

/** Credit dropped by the backlog bound since init, packets: how far the caller fell behind. */
uint64_t vr_gen_pace_forgiven(const struct vr_gen_pace *p);

#endif
