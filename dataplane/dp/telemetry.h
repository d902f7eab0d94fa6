/* SPDX-License-Identifier: BSD-3-Clause */
/* Paging of the /voxrelay/... list commands, for telemetry.c and any file that registers a list command. */
#ifndef VOXRELAY_DP_TELEMETRY_H
#define VOXRELAY_DP_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_telemetry.h>

struct vr_dp;

/**
 * Entries per reply of /voxrelay/vips, /voxrelay/backends, /voxrelay/lcores
 * and /voxrelay/ports. telemetry.c derives it from the worst-case size of an
 * entry and checks it at compile time; a command with bigger entries needs
 * its own bound (vr_dp_tel_list.page).
 */
#define VR_DP_TEL_PAGE 32

/** One list command: positions 0..@nb-1, some of them possibly unused. */
struct vr_dp_tel_list {
	uint32_t nb;   /**< positions: ids (VIPs, backends) or indexes (ports, workers) */
	uint32_t page; /**< most entries per reply; at most RTE_TEL_MAX_DICT_ENTRIES - 1 */
	/** Whether position @pos holds an entry; NULL when every position does. */
	bool (*present)(const struct vr_dp *dp, uint32_t pos);
	/**
	 * The entry at @pos as a new dict container, its key written into @key
	 * (@keylen bytes: letters, digits and '_' only, never "next"), or NULL
	 * when out of memory.
	 */
	struct rte_tel_data *(*entry)(struct vr_dp *dp, uint32_t pos, char *key, size_t keylen);
};

/**
 * Parses a list command's parameter: the position its page starts at.
 * NULL or "" is 0; a decimal number is itself (saturated at UINT32_MAX: past
 * every list's end).
 * @return 0, or -EINVAL when @params is not a decimal number (sign, blanks,
 *         anything but digits), which DPDK answers with {"<command>": null}.
 */
int vr_dp_tel_page_start(const char *params, uint32_t *start);

/**
 * Fills @d with one page of @l: a dict of at most @l->page entries from the
 * position given by @params, plus "next": <first position not returned>
 * while entries remain after it. The last page has no "next"; a start at or
 * past the last entry gives an empty dict. The caller holds whatever keeps
 * the list stable (ctl_lock for the balancer state).
 * @return 0, or -EINVAL (bad @params, see vr_dp_tel_page_start), or -ENOMEM
 *         when not even the first entry could be allocated. Out of memory
 *         later in the page ends the page early, "next" pointing at the
 *         entry left out.
 */
int vr_dp_tel_page(struct vr_dp *dp, const char *params, struct rte_tel_data *d, const struct vr_dp_tel_list *l);

#endif
