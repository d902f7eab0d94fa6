/* SPDX-License-Identifier: BSD-3-Clause */
/* A bare AF_XDP socket for the steer tests and benchmark: bound to a queue so the kernel takes it into an XSKMAP, never fed. */
#ifndef VOXRELAY_TEST_XSK_BARE_H
#define VOXRELAY_TEST_XSK_BARE_H

#include <stddef.h>

/* The socket and its UMEM (to be unmapped after the socket is closed). */
struct xsk_bare {
	int fd;
	void *umem;
	size_t umem_len;
};

/*
 * Opens an AF_XDP socket (no libxdp: its xsk.h left libbpf in 1.0) with a
 * small UMEM, fill, completion and RX rings, bound in copy mode to queue 0
 * of @ifname. The kernel only takes a socket into an XSKMAP once it has
 * all of these and is bound. Returns 0, or -errno with *@step naming the
 * call that failed ("socket", "UMEM mmap", "setsockopt", "bind"); @x is
 * left closed then.
 */
int xsk_bare_open(struct xsk_bare *x, const char *ifname, const char **step);
/* Closes the socket and unmaps its UMEM; @x may be closed already. */
void xsk_bare_close(struct xsk_bare *x);

#endif
