/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's member plan: every stream's room, addresses, SSRC and SRTP keys, derived from the options and a seed, and the reverse lookup of a receiver by its address. */
#ifndef VOXRELAY_GEN_PLAN_H
#define VOXRELAY_GEN_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "voxrelay/common.h"
#include "voxrelay/relay.h"

/** SRTP master key || salt, the longest suite's (AES_CM_128: 16 + 14; AEAD_AES_128_GCM: 16 + 12). */
#define VR_GEN_KEY_LEN 30

/** One sending member (= one RTP stream) and its place. */
struct vr_gen_member {
	uint32_t room;          /**< room index (stream / members per room) */
	uint32_t slot;          /**< position among the room's members, from 0 */
	struct vr_addr src;     /**< client address (from its frame builder) */
	uint16_t sport;         /**< client UDP port, host order (RTCP on the same port, RFC 5761) */
	uint16_t dport;         /**< room's VIP port, host order */
	uint32_t ssrc;          /**< from its voice model */
	uint8_t tx_key[VR_GEN_KEY_LEN]; /**< key of what it sends (the relay's in_key) */
	uint8_t rx_key[VR_GEN_KEY_LEN]; /**< key of what it receives (the relay's out_key) */
};

/** The whole plan: streams in index order, rooms as consecutive index ranges. Read-only once indexed (shared by lcores). */
struct vr_gen_plan {
	uint32_t nb_members;
	uint32_t nb_rooms;        /**< rooms in use; 0: every stream alone on its own port */
	uint32_t room_size;       /**< members per room (the last may have fewer); 1 without rooms */
	struct vr_gen_member *members;
	/* (client address, port) -> stream: open addressing, power-of-two size */
	uint64_t *addr_keys;
	uint32_t *addr_vals;
	uint32_t addr_mask;
};

struct vr_gen_opts;

/**
 * Start the plan for @o: rooms of ceil(streams / rooms) consecutive
 * streams, and both SRTP keys of every stream drawn from a splitmix64
 * stream seeded by --key-seed (the same seed gives the same keys, so a
 * relay can be programmed with the keys voxrelay-gen will use). Addresses,
 * ports and SSRCs are filled in by the caller (vr_gen_plan_set()), then
 * vr_gen_plan_index().
 * @return the plan, or NULL with errno ENOMEM. The caller owns it (vr_gen_plan_free()).
 */
struct vr_gen_plan *vr_gen_plan_create(const struct vr_gen_opts *o);

/** Record stream @i's client address and port, room port and SSRC (from its builder and voice model). */
void vr_gen_plan_set(struct vr_gen_plan *p, uint32_t i, const struct vr_addr *src, uint16_t sport, uint16_t dport,
		     uint32_t ssrc);

/**
 * Build the receiver lookup once every stream is set.
 * @return 0; -EEXIST when two streams share a client address and port.
 */
int vr_gen_plan_index(struct vr_gen_plan *p);

/** Free a plan; NULL is ignored. */
void vr_gen_plan_free(struct vr_gen_plan *p);

/**
 * The stream whose client address and port are @addr / @port (host
 * order): who a received packet was sent to.
 * @return its index, or UINT32_MAX when no member has them. Pure on the
 *         plan, thread-safe.
 */
uint32_t vr_gen_plan_lookup(const struct vr_gen_plan *p, const struct vr_addr *addr, uint16_t port);

/**
 * Write the plan as JSON (one object: rooms with their port and members,
 * each with client address, port, SSRC, and keys as base64 of key||salt,
 * the SDES inline form of RFC 4568 section 6.1) for whoever programs the
 * device under test. @suite gives the key length (VR_RELAY_SUITE_NONE
 * writes no keys); @o the VIP and the suite and codec names.
 * @return 0, -ENOMEM or -EIO.
 */
int vr_gen_plan_write_json(const struct vr_gen_plan *p, const struct vr_gen_opts *o, enum vr_relay_suite suite,
			   FILE *f);

#endif
