/* SPDX-License-Identifier: BSD-3-Clause */
/* Active health checks of backends, run by the main lcore through the same encapsulated path as traffic. */
#ifndef VOXRELAY_DP_HEALTH_H
#define VOXRELAY_DP_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "voxrelay/pkt.h"

struct vr_dp;

/** Probe latency histogram bounds, microseconds (the last bucket is +Inf). */
#define VR_HEALTH_BUCKETS 10
extern const uint32_t vr_health_bucket_us[VR_HEALTH_BUCKETS];

/**
 * Make the probe targets match the running configuration: one per backend
 * of every VIP with `health.type` other than none. A backend that stays
 * keeps its status and counters; a new one starts healthy (as the
 * configuration's own state says), so a restart does not blackhole traffic.
 * Control thread only.
 */
void vr_dp_health_sync(struct vr_dp *dp);

/**
 * Send the probes that are due and count those that timed out. When a
 * backend crosses its rise or fall count the state is rebuilt (RCU) with
 * unhealthy backends down, and the change is logged once.
 * @param now  TSC cycles. Control thread only.
 */
void vr_dp_health_tick(struct vr_dp *dp, uint64_t now);

/**
 * Take a UDP datagram sent to one of our own addresses (the echo of a
 * probe comes straight from the VIP, as all backend replies do).
 * @return true if it was a probe answer. Control thread only.
 */
bool vr_dp_health_input(struct vr_dp *dp, const uint8_t *frame, const struct vr_pkt_info *pi, uint64_t now);

/**
 * Mark the backends that health checks hold down in @cfg (state down),
 * remembering what they were in @saved (VR_MAX_BACKENDS bytes by position
 * over all VIPs), so that the state is built with them out of the tables;
 * vr_dp_health_restore() puts the configured states back.
 */
void vr_dp_health_overlay(struct vr_dp *dp, struct vr_config *cfg, uint8_t *saved);
void vr_dp_health_restore(struct vr_config *cfg, const uint8_t *saved);

/** Probe status and counters of every target, for the control interface and telemetry. */
json_t *vr_dp_health_json(struct vr_dp *dp);

#endif
