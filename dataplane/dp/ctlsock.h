/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket server of voxrelay-dp (docs/control.md): framing only, the operations are ctlops.c's. */
#ifndef VOXRELAY_DP_CTLSOCK_H
#define VOXRELAY_DP_CTLSOCK_H

#include <stddef.h>
#include <stdint.h>

struct vr_ctl_server;

/**
 * Answers one request line (without its newline, @len bytes, not
 * NUL-terminated). Returns a malloc'ed, NUL-terminated response ending in a
 * newline, or NULL on allocation failure (the connection is then closed).
 */
typedef char *(*vr_ctl_handler_fn)(void *arg, const char *line, size_t len);

/**
 * Listen on the UNIX stream socket @path (its directory is created if
 * missing), with permissions @mode and group @group (NULL or "" keeps the
 * process's). A stale socket file is replaced; one a running process answers
 * on is not.
 *
 * @return the server, or NULL with errno: ENAMETOOLONG, EADDRINUSE (another
 *         instance listens), ENOENT (no such group), or what bind/chmod/chown
 *         set. Single-threaded: the control thread only.
 */
struct vr_ctl_server *vr_ctl_server_open(const char *path, uint32_t mode, const char *group,
					 vr_ctl_handler_fn handler, void *arg);

/**
 * Wait up to @timeout_ms for activity, then accept clients, read requests,
 * call the handler for each complete line (in order, per connection) and
 * write responses. A line over 1 MiB closes its connection. Never blocks
 * beyond @timeout_ms on a slow client.
 */
void vr_ctl_server_poll(struct vr_ctl_server *s, int timeout_ms);

/** Close every connection and remove the socket file; NULL is a no-op. */
void vr_ctl_server_close(struct vr_ctl_server *s);

#endif
