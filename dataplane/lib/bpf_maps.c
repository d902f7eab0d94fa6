/* SPDX-License-Identifier: BSD-3-Clause */
/* An attached XDP program's maps found by name through the interface, and per-CPU counter sums: shared by voxrelay-decap, voxrelay-dp's steering side and the BPF tests. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "voxrelay/bpf_maps.h"

/* More maps than any of our programs has (steer.bpf.c: 6, decap.bpf.c: 3). */
#define MAX_PROG_MAPS 64

void vr_bpf_maps_close(struct vr_bpf_map_ref *maps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (maps[i].fd >= 0)
			close(maps[i].fd);
		maps[i].fd = -1;
	}
}

/* Keeps @fd (map @mi) in the first unfilled entry of @maps named like it; false if none wants it. */
static bool take(struct vr_bpf_map_ref *maps, size_t n, int fd, const struct bpf_map_info *mi)
{
	for (size_t w = 0; w < n; w++) {
		if (maps[w].fd < 0 && strcmp(mi->name, maps[w].name) == 0) {
			maps[w].fd = fd;
			maps[w].info = *mi;
			return true;
		}
	}
	return false;
}

int vr_bpf_xdp_maps(int ifindex, uint32_t *prog_id, struct vr_bpf_map_ref *maps, size_t n)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info pinfo;
	uint32_t map_ids[MAX_PROG_MAPS], len = sizeof(pinfo);
	int prog_fd, rc = 0;

	*prog_id = 0;
	for (size_t w = 0; w < n; w++)
		maps[w].fd = -1;
	if (bpf_xdp_query(ifindex, 0, &q) != 0 || q.prog_id == 0)
		return -ENOENT;
	*prog_id = q.prog_id;
	prog_fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (prog_fd < 0)
		return -errno;
	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.nr_map_ids = MAX_PROG_MAPS;
	pinfo.map_ids = (uint64_t)(uintptr_t)map_ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &pinfo, &len) != 0) {
		rc = -errno;
		goto out;
	}
	for (uint32_t i = 0; i < pinfo.nr_map_ids && i < MAX_PROG_MAPS; i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(map_ids[i]);

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) != 0 || !take(maps, n, fd, &mi))
			close(fd);
	}
out:
	close(prog_fd);
	return rc;
}

int vr_bpf_percpu_sum(int fd, uint32_t nkeys, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	int rc = 0;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (vals == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < nkeys; s++) {
		out[s] = 0;
		if (bpf_map_lookup_elem(fd, &s, vals) != 0) {
			rc = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out[s] += vals[c];
	}
	free(vals);
	return rc;
}
