/* SPDX-License-Identifier: BSD-3-Clause */
/* A bare AF_XDP socket for the steer tests and benchmark: bound to a queue so the kernel takes it into an XSKMAP, never fed. */
#include "xsk_bare.h"

#include <errno.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define UMEM_LEN (16 * 4096)

int xsk_bare_open(struct xsk_bare *x, const char *ifname, const char **step)
{
	struct xdp_umem_reg mr = {0};
	struct sockaddr_xdp sx = {0};
	int n = 16, err;

	x->umem = NULL;
	x->umem_len = 0;
	x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		*step = "socket";
		return -errno;
	}
	x->umem = mmap(NULL, UMEM_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->umem == MAP_FAILED) {
		x->umem = NULL;
		*step = "UMEM mmap";
		goto fail;
	}
	x->umem_len = UMEM_LEN;
	mr.addr = (uint64_t)(uintptr_t)x->umem;
	mr.len = UMEM_LEN;
	mr.chunk_size = 4096;
	if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) != 0 ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) != 0 ||
	    setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) != 0 ||
	    setsockopt(x->fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n)) != 0) {
		*step = "setsockopt";
		goto fail;
	}
	sx.sxdp_family = AF_XDP;
	sx.sxdp_ifindex = if_nametoindex(ifname);
	sx.sxdp_queue_id = 0;
	sx.sxdp_flags = XDP_COPY;
	if (bind(x->fd, (struct sockaddr *)&sx, sizeof(sx)) != 0) {
		*step = "bind";
		goto fail;
	}
	return 0;
fail:
	err = -errno;
	xsk_bare_close(x);
	return err;
}

void xsk_bare_close(struct xsk_bare *x)
{
	if (x->fd >= 0)
		close(x->fd);
	if (x->umem != NULL)
		munmap(x->umem, x->umem_len);
	x->fd = -1;
	x->umem = NULL;
	x->umem_len = 0;
}
