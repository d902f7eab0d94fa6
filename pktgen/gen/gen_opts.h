/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's command line: the options, their defaults and bounds, and the parser driven by their table. */
#ifndef VOXRELAY_GEN_OPTS_H
#define VOXRELAY_GEN_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "voxrelay/common.h"

#define VR_GEN_MAX_FRAME_SIZES 16
#define VR_GEN_MAX_LCORES 16

/** What one voxrelay-gen run does, as the command line gave it (defaults filled in). */
struct vr_gen_opts {
	/* voice */
	uint32_t streams;          /**< concurrent sending members (RTP streams) */
	uint32_t rooms;            /**< rooms (destination ports of the VIP); 0 = one port per stream */
	char codec[8];             /**< "opus" (talk spurts, 60..160 B) or "g711" (160 B every ptime) */
	uint32_t ptime_ms;         /**< packetisation time, ms */
	bool ipv6;                 /**< send over IPv6 */
	struct vr_addr vip;        /**< destination address */
	uint16_t port;             /**< first destination port (room r uses port + r) */
	struct vr_addr src;        /**< first client address; spread over @src_count addresses */
	uint32_t src_count;        /**< distinct client addresses */
	uint16_t src_port;         /**< 0: random even ports per stream; else the first client port, +2 per stream */
	char srtp[32];             /**< "none", "AES_CM_128_HMAC_SHA1_80" or "AEAD_AES_128_GCM" */
	uint64_t key_seed;         /**< SRTP keys and SSRCs derive from it (so a peer can be keyed the same) */
	uint8_t audio_level_id;    /**< RFC 6464 element id, 0 = none */
	uint8_t stamp_id;          /**< RFC 8285 id of the stamp element when SRTP hides the payload */
	bool rtcp;                 /**< RTCP SR every ~5 s per stream */
	/* rate */
	double rate_pps;           /**< aggregate packets/s; 0 = what the voice model sends (streams x 1000/ptime) */
	bool flat_out;             /**< no pacing: as fast as the port takes */
	double ramp_s;             /**< seconds to ramp from 0 to the rate */
	double duration_s;         /**< seconds of sending; 0 = until SIGINT/SIGTERM */
	uint32_t frame_size;       /**< fixed Ethernet frame bytes with the 4-byte FCS (RFC 2544 section 9), 64..1518; 0 = the codec's */
	/* receive */
	char expect[8];            /**< "echo": each packet comes back once; "room": each goes to the room's other members; "none" */
	uint16_t gue_port;         /**< outer UDP port of GUE to decapsulate on receive; 0 = none */
	double drain_s;            /**< seconds to keep receiving after sending stops */
	/* RFC 2544 */
	bool rfc2544;              /**< throughput search instead of one run */
	uint32_t frame_sizes[VR_GEN_MAX_FRAME_SIZES]; /**< RFC 2544 frame sizes, bytes with the FCS */
	uint32_t nb_frame_sizes;
	double trial_s;            /**< seconds per trial (RFC 2544 section 24: 60 for a report) */
	double loss_tolerance;     /**< loss ratio a trial may show and pass (0: zero loss, RFC 2544 26.1) */
	double resolution;         /**< search stops when the bracket is below this fraction of the start rate */
	double max_rate_pps;       /**< search start (upper bound); 0 = line rate of @link_gbps */
	double link_gbps;          /**< link speed for % of line rate and the default upper bound */
	double latency_load;       /**< after the search, a trial at this fraction of the throughput for latency */
	/* ports and lcores */
	uint16_t tx_port;          /**< DPDK port id to send on */
	uint16_t rx_port;          /**< DPDK port id to receive on (default: the TX port) */
	uint32_t burst;            /**< packets per TX burst */
	uint32_t mbufs;            /**< mbufs in each pool */
	uint8_t dst_mac[6];        /**< next hop's MAC; default broadcast */
	double link_timeout_s;
	uint32_t tx_drop_every;    /**< test knob: skip every Nth packet built (a known loss); 0 = none */
	/* output */
	char json_path[256];       /**< also write the final report as JSON here */
	bool json_stdout;          /**< the final report as one JSON line on stdout */
	bool quiet;                /**< no live line */
	bool plan_only;            /**< write --members-out and exit */
	char members_out[256];     /**< write the member table (rooms, SSRCs, addresses, keys) as JSON here */
};

/**
 * Parse voxrelay-gen's options (after the EAL's "--") into @o, defaults
 * first. Every option is described by one table entry (name, type, offset,
 * bounds, help); the usage text comes from the same table.
 *
 * @param argc  arguments left after rte_eal_init()
 * @param argv  their strings; argv[0] is the program name
 * @param o     filled
 * @param err   on error, one line naming the option and what is wrong
 * @param errlen bytes at @err
 * @return 0; 1 when --help was given (usage printed to stdout); -EINVAL
 *         on a bad option or value, or options that contradict each other.
 * Not thread-safe (getopt_long's state).
 */
int vr_gen_opts_parse(int argc, char **argv, struct vr_gen_opts *o, char *err, size_t errlen);

/** Print the usage text (from the option table) to @f. */
void vr_gen_opts_usage(FILE *f, const char *prog);

#endif
