/* SPDX-License-Identifier: BSD-3-Clause */
/* User space's view of an attached XDP program's maps (found by name through the interface, no pins) and of per-CPU counters, for voxrelay-decap, voxrelay-dp and the BPF tests. */
#ifndef VOXRELAY_BPF_MAPS_H
#define VOXRELAY_BPF_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include <bpf/bpf.h>

/** One map wanted of a program: its name in, an fd of ours and its info out. */
struct vr_bpf_map_ref {
	const char *name;         /**< in: the map's name in the object (at most BPF_OBJ_NAME_LEN - 1 bytes) */
	int fd;                   /**< out: an fd of ours (close it), or -1 if the program has no map of that name */
	struct bpf_map_info info; /**< out, when @fd >= 0: type, key and value sizes, max_entries, ... */
};

/**
 * Opens the maps named in @maps of the XDP program attached to interface
 * @ifindex: bpf_xdp_query() → the program by id → its map ids → each map
 * by id, kept if its name is wanted (the first of a name wins). The shapes
 * (@info) are for the caller to judge.
 *
 * @param ifindex  the interface
 * @param prog_id  out: the attached program's id; 0 when none is attached
 *                 (or the query failed)
 * @param maps     in: the names; out: fd and info of each (fd -1: no such map)
 * @param n        entries of @maps
 * @return 0 (some maps may still be missing: check the fds); -ENOENT when no
 *         program is attached (*@prog_id 0); the -errno of opening the
 *         program or reading its info (*@prog_id set). On an error every fd
 *         is -1. Thread-safe (bpf(2) calls only); needs CAP_SYS_ADMIN (or
 *         CAP_BPF and CAP_NET_ADMIN).
 */
int vr_bpf_xdp_maps(int ifindex, uint32_t *prog_id, struct vr_bpf_map_ref *maps, size_t n);

/** Closes the fds vr_bpf_xdp_maps() opened in @maps (fd >= 0) and sets them to -1. */
void vr_bpf_maps_close(struct vr_bpf_map_ref *maps, size_t n);

/**
 * Sums slots 0 .. @nkeys - 1 of the per-CPU array map @fd of __u64 values
 * over the possible CPUs (libbpf_num_possible_cpus()): a program's counters.
 *
 * @param fd     a BPF_MAP_TYPE_PERCPU_ARRAY with 8-byte values
 * @param nkeys  slots to read (at most its max_entries)
 * @param out    out: @nkeys sums
 * @return 0; -ENOMEM; the -errno of libbpf_num_possible_cpus() or of a map
 *         lookup (@out then partly filled). Thread-safe; allocates one
 *         value per CPU per call (not for a packet path).
 */
int vr_bpf_percpu_sum(int fd, uint32_t nkeys, uint64_t *out);

#endif
