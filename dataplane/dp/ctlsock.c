/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket: a non-blocking UNIX stream server speaking line-delimited JSON (docs/control.md). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"

#define CTL_MAX_CLIENTS 64
#define CTL_MAX_LINE (1u << 20)

/* An answer of this poll that waits for the flush callback, or follows one that does. */
struct vr_ctl_answer {
	struct vr_ctl_answer *next;
	char *text;
};

struct vr_ctl_client {
	int fd;
	int rc;                       /* this poll's read error: close after answering */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	struct vr_ctl_answer *head, **tail; /* answers queued in order during this poll */
};

struct vr_ctl_server {
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vr_ctl_client clients[CTL_MAX_CLIENTS];
	vr_ctl_handler_fn handler;
	vr_ctl_flush_fn flush;
	void *arg;
};

/* A socket file nobody listens on is left over from a crash: reuse the path.
 * One somebody answers on belongs to a running instance: refuse. */
static int claim_path(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (errno == ECONNREFUSED && unlink(sa->sun_path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

struct vr_ctl_server *vr_ctl_server_open(const char *path, uint32_t mode, const char *group,
					 vr_ctl_handler_fn handler, vr_ctl_flush_fn flush, void *arg)
{
	struct vr_ctl_server *s = NULL;
	struct sockaddr_un sa;
	char dir[sizeof(sa.sun_path)];
	int err;

	if (strlen(path) >= sizeof(sa.sun_path) || path[0] == '\0') {
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->lfd = -1;
	s->handler = handler;
	s->flush = flush;
	s->arg = arg;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0755) != 0 && errno != EEXIST) {
		err = errno;
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	err = -claim_path(&sa);
	if (err != 0)
		goto fail;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = errno;
		goto fail;
	}
	if (group != NULL && group[0] != '\0') {
		struct group *g = getgrnam(group);

		if (g == NULL || chown(path, (uid_t)-1, g->gr_gid) != 0) {
			err = g == NULL ? ENOENT : errno;
			goto fail_unlink;
		}
	}
	if (chmod(path, (mode_t)mode) != 0 || listen(s->lfd, 16) != 0) {
		err = errno;
		goto fail_unlink;
	}
	return s;
fail_unlink:
	unlink(path);
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	free(s);
	errno = err;
	return NULL;
}

static void client_close(struct vr_ctl_client *c)
{
	while (c->head != NULL) {
		struct vr_ctl_answer *a = c->head;

		c->head = a->next;
		free(a->text);
		free(a);
	}
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void vr_ctl_server_close(struct vr_ctl_server *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			client_close(&s->clients[i]);
	close(s->lfd);
	unlink(s->path);
	free(s);
}

static void accept_clients(struct vr_ctl_server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0)
			return;
		for (i = 0; i < CTL_MAX_CLIENTS && s->clients[i].fd >= 0; i++)
			;
		if (i == CTL_MAX_CLIENTS) {
			/* Full: the client sees the connection closed at once. */
			close(fd);
			continue;
		}
		s->clients[i].fd = fd;
	}
}

static int queue_out(struct vr_ctl_client *c, const char *resp, size_t n)
{
	char *o = realloc(c->out, c->out_len + n);
	if (o == NULL)
		return -ENOMEM;
	memcpy(o + c->out_len, resp, n);
	c->out = o;
	c->out_len += n;
	return 0;
}

/* Queue an answer behind the deferred ones of this poll; @text may be NULL
 * (to be filled in through the returned slot). */
static char **queue_answer(struct vr_ctl_client *c, char *text)
{
	struct vr_ctl_answer *a = malloc(sizeof(*a));

	if (a == NULL)
		return NULL;
	a->next = NULL;
	a->text = text;
	if (c->head == NULL)
		c->tail = &c->head;
	*c->tail = a;
	c->tail = &a->next;
	return &a->text;
}

/* Hand every complete line to the handler; keep a partial one. */
static int handle_lines(struct vr_ctl_server *s, struct vr_ctl_client *c)
{
	size_t start = 0;

	for (size_t i = 0; i < c->in_len; i++) {
		if (c->in[i] != '\n')
			continue;
		char **answer = queue_answer(c, NULL);
		int rc;

		if (answer == NULL)
			return -ENOMEM;
		rc = s->handler(s->arg, c->in + start, i - start, answer);
		if (rc < 0)
			return rc;
		start = i + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	return c->in_len > CTL_MAX_LINE ? -EMSGSIZE : 0;
}

/* Move this poll's answers, complete now, to the output buffer. */
static int deliver(struct vr_ctl_client *c)
{
	static const char lost[] = "{\"ok\":false,\"error\":{\"code\":\"EIO\",\"message\":\"no answer\"}}\n";
	int rc = 0;

	while (c->head != NULL) {
		struct vr_ctl_answer *a = c->head;
		const char *t = a->text != NULL ? a->text : lost;

		if (rc == 0)
			rc = queue_out(c, t, strlen(t));
		c->head = a->next;
		free(a->text);
		free(a);
	}
	return rc;
}

static int client_read(struct vr_ctl_server *s, struct vr_ctl_client *c)
{
	for (;;) {
		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			char *b = realloc(c->in, cap);
			if (b == NULL)
				return -ENOMEM;
			c->in = b;
			c->in_cap = cap;
		}
		ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n == 0)
			return -EPIPE;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? handle_lines(s, c) : -errno;
		c->in_len += (size_t)n;
		int rc = handle_lines(s, c);
		if (rc != 0)
			return rc;
	}
}

static int client_write(struct vr_ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

void vr_ctl_server_poll(struct vr_ctl_server *s, int timeout_ms)
{
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	int map[CTL_MAX_CLIENTS + 1], n = 0;

	pfd[n].fd = s->lfd;
	pfd[n].events = POLLIN;
	map[n++] = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct vr_ctl_client *c = &s->clients[i];
		if (c->fd < 0)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = (short)(POLLIN | (c->out_off < c->out_len ? POLLOUT : 0));
		map[n++] = i;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return;
	if (pfd[0].revents & POLLIN)
		accept_clients(s);
	for (int k = 1; k < n; k++) {
		struct vr_ctl_client *c = &s->clients[map[k]];

		c->rc = 0;
		if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
			c->rc = client_read(s, c);
	}
	/* Every request of this poll has been seen: complete the deferred
	 * answers (one commit for all the changes) before writing any. */
	if (s->flush != NULL)
		s->flush(s->arg);
	for (int k = 1; k < n; k++) {
		struct vr_ctl_client *c = &s->clients[map[k]];
		int rc = c->rc;

		if (deliver(c) != 0 && rc == 0)
			rc = -ENOMEM;
		if (rc == 0 || rc == -EPIPE) {
			/* Answer what was asked even if the peer already shut down its
			 * side; the socket buffer takes a reply of this size. */
			int wrc = client_write(c);
			if (wrc != 0)
				rc = wrc;
		}
		if (rc != 0)
			client_close(c);
	}
}
