/* SPDX-License-Identifier: BSD-3-Clause */
/* Types shared by the AF_XDP steering XDP program (bpf/steer.bpf.c) and user space: map keys and values, config, counters. */
#ifndef VOXRELAY_STEER_H
#define VOXRELAY_STEER_H

/* linux/types.h rather than stdint.h: this header is also compiled for
 * -target bpf, where glibc's headers are not usable. */
#include <linux/types.h>

#include "voxrelay/bpf_addr.h"

/** Most VIP addresses the `vips` map holds (one entry per address, VR_MAX_VIPS like the dataplane). */
#define VR_STEER_MAX_VIPS 256
/** Most addresses of the appliance itself in `self_addrs`. */
#define VR_STEER_MAX_SELF 64
/**
 * Slots of `xsks_map`: the key is the netdev RX queue index, so this bounds
 * the queue numbers that can be steered (a packet on a higher queue falls
 * back to the kernel, counted as redirect_failed).
 */
#define VR_STEER_MAX_QUEUES 256
/**
 * Sources the `src_buckets` LRU map tracks. ~104 bytes each in the kernel
 * (element header with LRU node, key, value), 13 MiB preallocated; when
 * full the least recently seen source is forgotten and starts again with a
 * full bucket.
 */
#define VR_STEER_MAX_SOURCES 131072

/** Flags of struct vr_steer_vip: which early checks apply to a VIP's traffic. */
enum vr_steer_vip_flags {
	/**
	 * The UDP payload must be voice (RFC 7983 first byte: STUN, DTLS,
	 * RTP/RTCP) and pass the RTP length checks. Set for client-facing voice
	 * VIPs; leave clear for generic UDP services and for the GUE underlay
	 * address of a relay host (a GUE header is not RTP).
	 */
	VR_STEER_VIP_VOICE = 1u << 0,
	/**
	 * Per-source token bucket (rate and burst from struct vr_steer_cfg).
	 * Set for client-facing VIPs; never for the GUE underlay, whose few
	 * sources (the balancers) carry everyone's traffic.
	 */
	VR_STEER_VIP_RATE_LIMIT = 1u << 1,
};

/**
 * Most port ranges one VIP address carries in `vips`. Several VIPs of the
 * configuration often share an address (a voice port range and a STUN or
 * RTP port, say); each keeps its own range and checks.
 */
#define VR_STEER_VIP_RANGES 8

/** One UDP destination port range of a VIP address and the checks for it. */
struct vr_steer_port_range {
	__u16 lo;    /**< first port, host byte order */
	__u16 hi;    /**< last port (inclusive), host byte order; >= @lo */
	__u32 flags; /**< enum vr_steer_vip_flags */
};

/**
 * Value of the `vips` map: the UDP destination port ranges of one VIP
 * address that go to the dataplane, each with its checks. The first range
 * (in @r order) holding the port decides; ports in none of them, and other
 * protocols to the address, go to the kernel. Ranges past @nb_ranges are
 * ignored (write them zero).
 */
struct vr_steer_vip {
	__u32 nb_ranges; /**< ranges in use, 0..VR_STEER_VIP_RANGES; larger counts as VR_STEER_VIP_RANGES */
	__u32 pad;       /**< zero */
	struct vr_steer_port_range r[VR_STEER_VIP_RANGES];
};

/** Flags of struct vr_steer_cfg. */
enum vr_steer_cfg_flags {
	/**
	 * ARP and ND for the addresses in `self_addrs` go to the AF_XDP socket
	 * (voxrelay-dp answers ARP/ND itself and learns its next hops from the
	 * replies). Clear: they go to the kernel, which must then own those
	 * addresses.
	 */
	VR_STEER_CFG_NEIGH_TO_XSK = 1u << 0,
	/**
	 * Early filter on: fragments to a VIP are dropped, and VIPs with
	 * VR_STEER_VIP_VOICE get the payload checks. Clear: pure steering
	 * (fragments to a VIP go to the kernel, payloads are not looked at).
	 * The rate limit has its own switch (@rate_pps).
	 */
	VR_STEER_CFG_FILTER = 1u << 1,
};

/**
 * The only entry (key 0) of the `steer_cfg` array map. All zero (the state
 * right after loading) means: no filter, no rate limit, ARP/ND to the
 * kernel — with `vips` still empty the program passes everything.
 */
struct vr_steer_cfg {
	__u32 flags;    /**< enum vr_steer_cfg_flags */
	__u32 rate_pps; /**< per-source packets per second to rate-limited VIPs; 0 = no rate limit */
	__u32 burst;    /**< bucket depth in packets (what a source may send at once); 0 is taken as 1 */
	__u32 pad;      /**< zero */
};

/** Nanoseconds in a second: tokens are kept in 1e-9 packet units so refills never round away. */
#define VR_STEER_NS_PER_S 1000000000ull

/**
 * Value of the `src_buckets` map: one source's token bucket. @tokens is in
 * units of 1e-9 packet (a packet costs VR_STEER_NS_PER_S), so adding
 * elapsed_ns × rate_pps is exact; the cap is burst × VR_STEER_NS_PER_S,
 * which fits 64 bits for any 32-bit burst.
 */
struct vr_steer_bucket {
	__u64 tokens;  /**< available, in 1e-9 packets */
	__u64 last_ns; /**< bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the last refill */
};

/**
 * Slots of the `steer_stats` per-CPU array map (values are __u64 packet
 * counts). Every packet the program sees lands in exactly one slot.
 */
enum vr_steer_stat {
	VR_STEER_STAT_PASSED_KERNEL = 0,  /**< not for the dataplane (or filter off for a fragment): XDP_PASS */
	VR_STEER_STAT_REDIRECTED,         /**< handed to the AF_XDP socket of its RX queue: XDP_REDIRECT */
	VR_STEER_STAT_REDIRECT_FAILED,    /**< for the dataplane, but no socket on its queue: XDP_PASS */
	VR_STEER_STAT_DROP_NOT_VOICE,     /**< to a voice VIP, first payload byte not STUN/DTLS/RTP (RFC 7983) */
	VR_STEER_STAT_DROP_RTP_VERSION,   /**< to a voice VIP, first byte 192..255: RTP version field 3 */
	VR_STEER_STAT_DROP_SHORT,         /**< to a voice VIP, shorter than its STUN/DTLS/RTP/RTCP header */
	VR_STEER_STAT_DROP_FRAGMENT,      /**< UDP fragment to a VIP address (filter on) */
	VR_STEER_STAT_DROP_RATE_LIMITED,  /**< source over its token bucket */
	VR_STEER_STAT_MALFORMED,          /**< truncated or inconsistent headers: dropped */
	VR_STEER_STAT_MAX,
};

#if !defined(__bpf__)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/**
 * Name of counter @s (stable: scripts and metrics use it).
 *
 * @param s  enum vr_steer_stat
 * @return a static string; "unknown" for an out-of-range @s
 */
static inline const char *vr_steer_stat_name(unsigned int s)
{
	static const char *const names[VR_STEER_STAT_MAX] = {
		[VR_STEER_STAT_PASSED_KERNEL] = "passed_kernel",
		[VR_STEER_STAT_REDIRECTED] = "redirected",
		[VR_STEER_STAT_REDIRECT_FAILED] = "redirect_failed",
		[VR_STEER_STAT_DROP_NOT_VOICE] = "drop_not_voice",
		[VR_STEER_STAT_DROP_RTP_VERSION] = "drop_rtp_version",
		[VR_STEER_STAT_DROP_SHORT] = "drop_short",
		[VR_STEER_STAT_DROP_FRAGMENT] = "drop_fragment",
		[VR_STEER_STAT_DROP_RATE_LIMITED] = "drop_rate_limited",
		[VR_STEER_STAT_MALFORMED] = "malformed",
	};
	return s < VR_STEER_STAT_MAX ? names[s] : "unknown";
}

#endif

#endif
