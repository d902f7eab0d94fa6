/* SPDX-License-Identifier: BSD-3-Clause */
/* The /voxrelay/... telemetry commands' shared parts: reply sizes, paging of list commands, entries, registration. */
#ifndef VOXRELAY_DP_TELEMETRY_H
#define VOXRELAY_DP_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_telemetry.h>

struct vr_dp;

/*
 * Reply sizes. DPDK 22.11 writes a whole reply into one buffer of
 * MAX_OUTPUT_LEN = 16384 bytes (lib/telemetry/telemetry.c; "max_output_len"
 * of its greeting) and silently leaves out each dict member that no longer
 * fits. The exporter also counts a reply within 512 bytes of that cap as
 * probably cut (exporter/collect.c, TRUNC_MARGIN), so a page must stay
 * below TEL_BUDGET bytes whatever the names and values.
 *
 * DPDK writes {"<command>":{"<key>":{"<field>":<value>,...},...,"next":N}}
 * without blanks. Counting each member with the ',' or '{' before it, an
 * unsigned field is len(name) + 4 + 20 (digits of UINT64_MAX) bytes, an int
 * field len(name) + 4 + 11 (sign and 10 digits), a string field len(name) +
 * 6 + its longest value after JSON escaping; a container adds its closing
 * '}', an entry its key and 4 bytes ("":,), a reply len(command) + 4 bytes
 * of prefix and 2 closing braces. Each command checks its page at compile
 * time with these; a new field must be added to its entry's sum too.
 */
#define TEL_OUTPUT_LEN 16384
#define TEL_BUDGET (TEL_OUTPUT_LEN - 512)
#define TEL_U64(name) (sizeof(name) - 1 + 4 + 20)
#define TEL_INT(name) (sizeof(name) - 1 + 4 + 11)
#define TEL_STR(name, max) (sizeof(name) - 1 + 6 + (max))
#define TEL_ENTRY(key_digits, fields) ((key_digits) + 4 + (fields) + 1)
#define TEL_REPLY(cmd, n, entry) (sizeof(cmd) - 1 + 4 + (n) * (entry) + TEL_U64("next") + 2)

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
 * NULL or "" is 0; a decimal number is itself (saturated at UINT64_MAX: past
 * every list's end).
 * @return 0, or -EINVAL when @params is not a decimal number (sign, blanks,
 *         anything but digits), which DPDK answers with {"<command>": null}.
 */
int vr_dp_tel_page_start(const char *params, uint64_t *start);

/**
 * A new entry for a list reply: a dict container, its key @key_num in
 * decimal written into @key (@keylen bytes) whether or not it could be
 * allocated.
 * @return the container, or NULL when out of memory.
 */
struct rte_tel_data *vr_dp_tel_new_entry(uint64_t key_num, char *key, size_t keylen);

/**
 * Adds the entry @c (vr_dp_tel_new_entry(), or NULL) to the reply dict @d
 * under @key.
 * @return true, or false when @c is NULL or @d is full or out of memory
 *         (@c freed then): the page ends there.
 */
bool vr_dp_tel_add_entry(struct rte_tel_data *d, const char *key, struct rte_tel_data *c);

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

/** One /voxrelay/... command; @help < RTE_TEL_MAX_STRING_LEN (128) bytes, or DPDK refuses it. */
struct vr_dp_tel_cmd {
	const char *cmd;
	telemetry_cb fn;
	const char *help;
};

/**
 * Registers the @n commands of @cmds with DPDK's telemetry (start-up, the
 * main lcore).
 * @return 0, or -EINVAL when DPDK refused one (those before it stay).
 */
int vr_dp_tel_register(const struct vr_dp_tel_cmd *cmds, size_t n);

#endif
