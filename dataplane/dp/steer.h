/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-dp's side of the AF_XDP steering program (bpf/steer.bpf.c): its path in the devargs, finding its maps, keeping them in step with the configuration, its counters. */
#ifndef VOXRELAY_DP_STEER_H
#define VOXRELAY_DP_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "voxrelay/config.h"
#include "voxrelay/steer.h"

struct vr_dp;
struct rte_tel_data;

/**
 * The object file port @p attaches: its steer_program, or else the
 * built-in default — the build tree's bpf/steer.bpf.o when this
 * voxrelay-dp is the one the build tree made (/proc/self/exe is it), the
 * installed <datadir>/voxrelay/steer.bpf.o otherwise.
 *
 * @param p    a port with steer: true
 * @param buf  out: the path, NUL-terminated
 * @param len  size of @buf in bytes
 * @return 0, or -ENAMETOOLONG (@buf too small). Thread-safe.
 */
int vr_dp_steer_prog_path(const struct vr_cfg_port *p, char *buf, size_t len);

/**
 * The vdev string EAL gets for port @p: its device, with
 * ",xdp_prog=<vr_dp_steer_prog_path()>" appended when it steers.
 *
 * @param p    a configured port
 * @param buf  out: the string, NUL-terminated
 * @param len  size of @buf in bytes
 * @return 0, or -ENAMETOOLONG (@buf too small). Thread-safe.
 */
int vr_dp_steer_devargs(const struct vr_cfg_port *p, char *buf, size_t len);

/**
 * Before EAL starts: every steering port's object file is readable, so a
 * missing one is one clear message instead of a PMD failure deep in EAL.
 *
 * @param cfg     the configuration
 * @param err     out: "port NAME: steer program PATH: reason" on failure
 * @param errlen  size of @err
 * @return 0, -ENAMETOOLONG or the -errno of access(2). Thread-safe.
 */
int vr_dp_steer_precheck(const struct vr_config *cfg, char *err, size_t errlen);

/**
 * After the ports started (net_af_xdp attached the program to each
 * steering port's interface): finds each program's maps through the
 * interface (bpf_xdp_query() → program → its map ids → the maps named
 * vips, self_addrs, steer_cfg, steer_stats, with the value sizes of
 * steer.h), then fills vips and self_addrs from dp->cfg and writes
 * steer_cfg last. Sets dp->steer (NULL when no port steers).
 *
 * @param dp      ports started; main lcore, before the workers read packets
 * @param err     out: one line saying which port and what failed
 * @param errlen  size of @err
 * @return 0; -ENOENT (no program on the interface, or not ours / an older
 *         layout), -ENOMEM, or the -errno of a bpf(2) call. Start-up only.
 */
int vr_dp_steer_init(struct vr_dp *dp, char *err, size_t errlen);

/**
 * Brings every steering port's maps to what dp->cfg asks for: new and
 * changed vips entries written, stale ones deleted, self_addrs likewise,
 * then steer_cfg. If a write fails, the maps are put back to what they
 * held before (best effort) and the failure is logged and counted
 * (map_sync_failures); the dataplane's own state is not touched either
 * way. No-op when nothing steers.
 *
 * @param dp  after a configuration was applied. Control thread only.
 * @return 0, or the first -errno.
 */
int vr_dp_steer_sync(struct vr_dp *dp);

/**
 * The counters of port index @port's program, summed over CPUs.
 *
 * @param dp    the dataplane
 * @param port  index into dp->ports
 * @param out   out: VR_STEER_STAT_MAX packet counts (enum vr_steer_stat)
 * @return 0; -ENOENT (the port does not steer); -errno of the map read.
 *         Any thread holding dp->ctl_lock (vr_dp_steer_fini() clears
 *         dp->steer under it).
 */
int vr_dp_steer_counters(struct vr_dp *dp, uint32_t port, uint64_t out[VR_STEER_STAT_MAX]);

/**
 * The "steer" member of the stats (--stats-json, the control socket's
 * stats): a list of {port, iface, prog_id, program, counters: {name: N},
 * map_syncs, map_sync_failures} for the steering ports.
 * @return a new reference (an empty list when nothing steers), or NULL
 *         when out of memory. Control thread, or any thread holding
 *         dp->ctl_lock.
 */
json_t *vr_dp_steer_json(struct vr_dp *dp);

/**
 * /voxrelay/steer: a dict keyed by port index of {name, prog_id, one
 * member per counter name (vr_steer_stat_name()), map_syncs,
 * map_sync_failures}; steering ports only. Any thread: takes
 * dp->ctl_lock.
 * @return 0.
 */
int vr_dp_steer_telemetry(struct vr_dp *dp, struct rte_tel_data *d);

/** Closes the maps and frees dp->steer (under dp->ctl_lock); the programs stay with their ports. At exit. */
void vr_dp_steer_fini(struct vr_dp *dp);

#endif
