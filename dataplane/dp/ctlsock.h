/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket server of voxrelay-dp (docs/control.md): framing only, the operations are ctlops.c's. */
#ifndef VOXRELAY_DP_CTLSOCK_H
#define VOXRELAY_DP_CTLSOCK_H

#include <stddef.h>
#include <stdint.h>

struct vr_ctl_server;

/**
 * Answers one request line (without its newline, @len bytes, not
 * NUL-terminated) by storing a malloc'ed, NUL-terminated response ending in
 * a newline in *@answer: either now, returning 0, or later (group commit),
 * returning 1 and keeping @answer, which it must fill before the server's
 * flush callback returns. Answers go out in request order per connection.
 * Returns -ENOMEM on allocation failure (the connection is then closed).
 */
typedef int (*vr_ctl_handler_fn)(void *arg, const char *line, size_t len, char **answer);

/**
 * Called once per poll, after every request read in it went through the
 * handler and before any answer is written: it completes the deferred
 * answers (e.g. applies the batch of changes they asked for).
 */
typedef void (*vr_ctl_flush_fn)(void *arg);

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
					 vr_ctl_handler_fn handler, vr_ctl_flush_fn flush, void *arg);

/**
 * Wait up to @timeout_ms for activity, then accept clients, read requests,
 * call the handler for each complete line (in order, per connection), call
 * the flush callback, and write responses. A line over 1 MiB closes its connection. Never blocks
 * beyond @timeout_ms on a slow client.
 */
void vr_ctl_server_poll(struct vr_ctl_server *s, int timeout_ms);

/** Close every connection and remove the socket file; NULL is a no-op. */
void vr_ctl_server_close(struct vr_ctl_server *s);

#endif
