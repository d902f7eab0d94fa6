/* SPDX-License-Identifier: BSD-3-Clause */
/* Active health checks of backends (UDP echo, HTTP), run by the main lcore through the same encapsulated path as traffic. */
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
 * Opens the tap (tap.h) the first time a VIP has HTTP health. The targets
 * are swapped under dp->ctl_lock for telemetry. Control thread only.
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

/** Probe status and counters of every target, for the control interface. Control thread only. */
json_t *vr_dp_health_json(struct vr_dp *dp);

/**
 * One page of /voxrelay/probes (telemetry.h's paging: @params is the first
 * backend id, "" for 0; "next" is the first id not returned): a dict keyed
 * by backend id of {vip, vip_id, vip_ports, address, type, health, probes,
 * probe_failures, probe_latency_us_le_<B> (cumulative), probe_latency_us_sum,
 * probe_latency_us_count}, for exporter/collect.c. Any thread: takes
 * dp->ctl_lock, under which the control thread replaces the targets;
 * counters are read racily (64-bit loads do not tear).
 * @return 0, -EINVAL (@params not a number), -ENOMEM.
 */
struct rte_tel_data;
int vr_dp_health_telemetry(struct vr_dp *dp, const char *params, struct rte_tel_data *d);

/**
 * A TCP segment the kernel sent on the tap: if it is from our address and
 * from the local port of an HTTP probe, to that probe's VIP and port, it is
 * encapsulated to the probe's backend like the VIP's traffic and queued on
 * worker 0's TX. Control thread only.
 * @return 0 if sent, -ENOENT if it is no probe's, -ENOMEM, or an error of
 *         the encapsulation (-EHOSTUNREACH, -EADDRNOTAVAIL, -EMSGSIZE).
 */
int vr_dp_health_http_output(struct vr_dp *dp, const uint8_t *frame, const struct vr_pkt_info *pi);

/** Close every probe's socket, free the targets and close the tap. At exit, control thread. */
void vr_dp_health_fini(struct vr_dp *dp);

#endif
