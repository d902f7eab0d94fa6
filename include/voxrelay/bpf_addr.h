/* SPDX-License-Identifier: BSD-3-Clause */
/* The address key shared by the XDP programs (decap, steer) and their user-space side: 16 bytes IPv4-mapped and a family, and its parser. */
#ifndef VOXRELAY_BPF_ADDR_H
#define VOXRELAY_BPF_ADDR_H

/* linux/types.h rather than stdint.h: this header is also compiled for
 * -target bpf, where glibc's headers are not usable. */
#include <linux/types.h>

/** Address families of struct vr_bpf_addr_key (the values of AF_INET / AF_INET6). */
#define VR_BPF_AF_INET 2
#define VR_BPF_AF_INET6 10

/**
 * An address as a BPF map key. Same layout idea as struct vr_addr, but
 * with the family after the address so the key has no hole before it.
 * The whole 20 bytes are hashed, so @pad must be zero.
 */
struct vr_bpf_addr_key {
	__u8 addr[16]; /**< network byte order; IPv4 as ::ffff:a.b.c.d (RFC 4291 2.5.5.2) */
	__u8 family;   /**< VR_BPF_AF_INET or VR_BPF_AF_INET6 */
	__u8 pad[3];   /**< zero */
};

/**
 * Set @k to the IPv4 address at @a4 (4 bytes, network byte order) as
 * ::ffff:a.b.c.d, family VR_BPF_AF_INET, the rest zero. For the XDP
 * programs (@a4 may point into the packet once its bounds are checked) and
 * user space alike. Pure.
 */
static inline __attribute__((always_inline)) void vr_bpf_addr_key_set4(struct vr_bpf_addr_key *k, const void *a4)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->addr[10] = 0xff;
	k->addr[11] = 0xff;
	__builtin_memcpy(&k->addr[12], a4, 4);
	k->family = VR_BPF_AF_INET;
}

/** Set @k to the IPv6 address at @a6 (16 bytes), family VR_BPF_AF_INET6, pad zero. As vr_bpf_addr_key_set4(). Pure. */
static inline __attribute__((always_inline)) void vr_bpf_addr_key_set6(struct vr_bpf_addr_key *k, const void *a6)
{
	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(k->addr, a6, 16);
	k->family = VR_BPF_AF_INET6;
}

#if !defined(__bpf__)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/**
 * Fill @k from the textual IPv4 or IPv6 address @s (inet_pton syntax, no
 * prefix length, no zone).
 *
 * @param s  address text, e.g. "203.0.113.10" or "2001:db8::10"
 * @param k  out: zeroed, then address and family set
 * @return 0, or -EINVAL if @s is NULL or not an address. Thread-safe.
 */
static inline int vr_bpf_addr_key_parse(const char *s, struct vr_bpf_addr_key *k)
{
	unsigned char buf[16];

	memset(k, 0, sizeof(*k));
	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, buf) == 1) {
		vr_bpf_addr_key_set4(k, buf);
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		vr_bpf_addr_key_set6(k, buf);
		return 0;
	}
	return -EINVAL;
}
#endif

#endif
