/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-dp's relay role: per-lcore room ownership, the hand-off between lcores, commands from the control thread. */
#ifndef VOXRELAY_DP_RELAY_H
#define VOXRELAY_DP_RELAY_H

#include <stdint.h>

#include <rte_ring.h>

#include "dp.h"
#include "voxrelay/relay.h"

/*
 * Ownership (docs/relay.md, "Scaling with lcores"): libsrtp has no locking,
 * so a room and everything in it belongs to one worker lcore, chosen by a
 * hash of the room's VIP:port (vr_dp_relay_owner()). A worker that receives
 * a datagram for another lcore's room passes the mbuf over that lcore's
 * hand-off ring (multi-producer, single-consumer); the owner relays it.
 * The control thread never touches a room: it hands a command to the owner
 * (struct vr_relay_cmd) and waits for the answer.
 */

/** Why the relay role dropped a frame before (or around) the fan-out core. Names stable, append only. */
#define VR_RELAY_DP_DROPS(X) \
	X(NO_ROOM, "relay_no_room")             /* VIP:port of a relay VIP with no room */ \
	X(NOT_RELAY_VIP, "relay_not_vip")       /* UDP to an address/port that is no relay VIP */ \
	X(HANDOFF_FULL, "relay_handoff_full")   /* the owner lcore's hand-off ring was full */ \
	X(SLOW_PATH_FULL, "relay_slow_path_full") /* STUN/DTLS queue to the control thread full */ \
	X(NO_MBUF, "relay_no_mbuf")             /* copies without an mbuf (per copy) */ \
	X(NO_NEXTHOP, "relay_nexthop_unresolved") /* gateway MAC not known yet (per copy) */ \
	X(MTU, "relay_mtu_exceeded")            /* a copy would not fit the egress MTU */ \
	X(FRAME, "relay_bad_frame")             /* multi-segment mbuf */

enum vr_relay_dp_drop {
#define VR_RELAY_DP_DROP_ENUM(id, name) VR_RELAY_DP_DROP_##id,
	VR_RELAY_DP_DROPS(VR_RELAY_DP_DROP_ENUM)
#undef VR_RELAY_DP_DROP_ENUM
	VR_RELAY_DP_DROP_MAX
};

/** Stable name of a relay-role drop reason; "unknown" if out of range. */
const char *vr_relay_dp_drop_name(unsigned int d);

/** Totals of one lcore: live rooms plus the ones it removed; published about once a second. */
struct vr_relay_lcore_stats {
	uint64_t rooms, members;
	uint64_t rx_packets, tx_packets;      /**< datagrams into the fan-out core, copies out of it */
	uint64_t drops[VR_RELAY_DROP_MAX];    /**< the fan-out core's reasons */
};

/** Counters the relay worker keeps itself (written by its lcore only). */
struct vr_relay_worker_stats {
	uint64_t handoff_out, handoff_in;     /**< mbufs passed to / received from other lcores */
	uint64_t stun, dtls;                  /**< datagrams sent to the control thread's slow-path queue */
	uint64_t drops[VR_RELAY_DP_DROP_MAX];
};

/** Key of a room in its owner's table: the VIP (IPv4-mapped for IPv4) and port. */
struct vr_relay_room_key {
	uint8_t addr[16];
	uint16_t port;   /**< host order */
	uint8_t family;
	uint8_t pad;
};

enum vr_relay_cmd_op {
	VR_RCMD_ROOM_ADD = 1,
	VR_RCMD_ROOM_REMOVE,
	VR_RCMD_MEMBER_ADD,
	VR_RCMD_MEMBER_REMOVE,
	VR_RCMD_MEMBER_SET_ADDR,
	VR_RCMD_ROOM_SHOW,
};

/** One member as room.show reports it. */
struct vr_relay_member_view {
	uint32_t id;
	uint8_t suite, addr_fixed, addr_verified, latched, nssrc;
	struct vr_addr addr;
	uint16_t port;
	struct vr_relay_member_counters c;
	struct vr_relay_ssrc_stats ssrc[VR_RELAY_MAX_SSRCS]; /**< vr_relay_ssrc_stats() of each */
};

/** A room snapshot, filled by its owner for room.show and the telemetry. */
struct vr_relay_room_view {
	struct vr_relay_room_conf conf;
	uint32_t nmembers;
	uint64_t rx_packets, tx_packets;
	uint64_t drops[VR_RELAY_DROP_MAX];
	struct vr_relay_member_view *members; /**< room for conf.max_members, owned by the caller */
};

/**
 * A command for the lcore that owns a room. The control thread fills it,
 * posts it (vr_dp_relay_call()), and the worker runs it between bursts and
 * sets @done (release). Buffers it points to belong to the caller.
 */
struct vr_relay_cmd {
	uint8_t op;                        /**< enum vr_relay_cmd_op */
	struct vr_relay_room_key key;
	struct vr_relay_room_conf room;    /**< ROOM_ADD */
	struct vr_relay_member_conf member; /**< MEMBER_ADD (key pointers into @in_key/@out_key, @addr) */
	uint8_t in_key[VR_RELAY_KEY_LEN_AES_CM_128], out_key[VR_RELAY_KEY_LEN_AES_CM_128];
	uint32_t member_id;                /**< MEMBER_REMOVE, MEMBER_SET_ADDR */
	struct vr_addr addr;               /**< MEMBER_ADD (fixed address) / MEMBER_SET_ADDR */
	uint16_t port;
	uint8_t has_addr;
	struct vr_relay_room_view *view;   /**< ROOM_SHOW; NULL asks for @nmembers alone */
	int rc;                            /**< 0 or -errno */
	/** out: the room's members after the command (before it for ROOM_REMOVE); 0 without a room */
	uint32_t nmembers;
	uint32_t done;
};

/** One lcore's relay context; lives in its struct vr_worker. */
struct vr_relay_lcore {
	struct rte_hash *rooms;            /**< struct vr_relay_room_key -> struct vr_relay_room * (this lcore's) */
	struct rte_ring *handoff;          /**< mbufs other lcores received for this lcore's rooms */
	struct vr_relay_cmd *cmd;          /**< pending command, or NULL (atomic) */
	uint64_t next_publish_tsc;
	struct vr_relay_lcore_stats retired; /**< of rooms removed (counters live on in the totals) */
	struct vr_relay_worker_stats ws __rte_cache_aligned;
	struct vr_relay_lcore_stats pub __rte_cache_aligned; /**< published totals (racy reads) */
};

/** The control thread's list of rooms: which lcore owns each, and its limits. */
struct vr_relay_dir_room {
	struct vr_relay_room_key key;
	struct vr_addr vip;
	uint32_t owner;             /**< worker index */
	uint32_t members;           /**< the owner's count in its last answer (struct vr_relay_cmd.nmembers) */
	uint8_t members_stale;      /**< a command timed out since: it may have changed the room after */
	struct vr_relay_room_conf conf;
};

struct vr_relay_dir {
	struct rte_hash *h;         /**< key -> struct vr_relay_dir_room * */
	uint32_t n;
	uint32_t next_id;
};

/* relay_worker.c */
/** Worker index owning the room @key (stable for the life of the process). */
uint32_t vr_dp_relay_owner(const struct vr_dp *dp, const struct vr_relay_room_key *key);
/** The key of room @vip:@port (port in host order). */
void vr_dp_relay_room_key(struct vr_relay_room_key *k, const struct vr_addr *vip, uint16_t port);
/** Whether @addr:@port (host order) lies in one of the relay's VIP ranges. Any thread; @cfg read only. */
bool vr_dp_relay_is_vip(const struct vr_config *cfg, const struct vr_addr *addr, uint16_t port);
/** Create each worker's relay context (rooms table, hand-off ring); start-up only; 0 or -errno. */
int vr_dp_relay_init(struct vr_dp *dp);
/** Free every room and context; after the workers stopped. */
void vr_dp_relay_fini(struct vr_dp *dp);
/** The relay role's worker loop (rte_eal_remote_launch). */
int vr_dp_relay_worker_main(void *arg);
/** Post @cmd to worker @idx and wait (up to 5 s) for it; 0 or -EBUSY (@cmd->rc has the result). Control/telemetry threads. */
int vr_dp_relay_call(struct vr_dp *dp, uint32_t idx, struct vr_relay_cmd *cmd);

/* relay_slow.c */
/** Create the STUN/DTLS queue towards the control thread; 0 or -errno. */
int vr_dp_relay_slow_init(struct vr_dp *dp);
void vr_dp_relay_slow_fini(struct vr_dp *dp);
/** Move what workers queued into the control side's log (control thread). */
void vr_dp_relay_slow_poll(struct vr_dp *dp);

/* relay_ctl.c */
/** Free the control thread's room directory (at exit). */
void vr_dp_relay_dir_free(struct vr_dp *dp);
/** Relay totals over all lcores for `stats` (racy reads of published counters). */
json_t *vr_dp_relay_stats_json(struct vr_dp *dp);
struct ctl_reply;
/** Snapshot of one room from its owner; the caller frees view->members (unless -EBUSY). 0 or -errno with @r. */
int vr_dp_relay_room_view(struct vr_dp *dp, const struct vr_relay_dir_room *dr, struct vr_relay_room_view *view,
			  struct ctl_reply *r);

/* relay_telemetry.c */
/** Register /voxrelay/relay, /voxrelay/relay/rooms and /voxrelay/relay/ssrcs (role relay); 0 or -EINVAL. */
int vr_dp_relay_telemetry_init(struct vr_dp *dp);

#endif
