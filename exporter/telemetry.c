/* SPDX-License-Identifier: BSD-3-Clause */
/* Client of DPDK's telemetry socket: connect, read the greeting, one command -> one JSON reply. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "exporter.h"

/* DPDK 22.11 caps replies at 16 KiB; larger buffers let us notice a bigger cap or a truncation. */
#define TEL_MIN_BUF (256 * 1024)

uint64_t vr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void vr_tel_init(struct vr_tel *t, const char *path, int timeout_ms)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->timeout_ms = timeout_ms;
}

void vr_tel_close(struct vr_tel *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* One whole message or -errno; a message bigger than our buffer is an error rather than silently cut. */
static ssize_t recv_msg(struct vr_tel *t)
{
	uint64_t deadline = vr_now_ms() + (uint64_t)t->timeout_ms;
	struct pollfd p = {.fd = t->fd, .events = POLLIN};

	for (;;) {
		uint64_t now = vr_now_ms();
		int rc;

		if (now >= deadline)
			return -ETIMEDOUT;
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		ssize_t n = recv(t->fd, t->buf, t->cap - 1, MSG_TRUNC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		if ((size_t)n >= t->cap)
			return -EMSGSIZE;
		t->buf[n] = '\0';
		return n;
	}
}

/* jansson refuses integers above INT64_MAX; a counter that big is still worth a (rounded) value. */
static json_t *parse(const char *buf, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(buf, len, 0, &err);

	if (j == NULL && strstr(err.text, "too big") != NULL)
		j = json_loadb(buf, len, JSON_DECODE_INT_AS_REAL, &err);
	if (j == NULL)
		fprintf(stderr, VR_EXP_PROG ": telemetry: bad JSON (%s)\n", err.text);
	return j;
}

int vr_tel_open(struct vr_tel *t)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	json_t *info, *v;
	ssize_t n;

	vr_tel_close(t);
	if (t->buf == NULL) {
		t->cap = TEL_MIN_BUF;
		t->buf = malloc(t->cap);
		if (t->buf == NULL)
			return -ENOMEM;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
	t->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->fd < 0)
		return -errno;
	if (connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		vr_tel_close(t);
		return -e;
	}
	/* DPDK greets every client; a full server (too many clients) closes instead. */
	n = recv_msg(t);
	if (n < 0) {
		vr_tel_close(t);
		return (int)n;
	}
	info = parse(t->buf, (size_t)n);
	if (!json_is_object(info)) {
		json_decref(info);
		vr_tel_close(t);
		return -EPROTO;
	}
	v = json_object_get(info, "max_output_len");
	t->max_output_len = json_is_integer(v) ? (size_t)json_integer_value(v) : 16384;
	v = json_object_get(info, "version");
	snprintf(t->version, sizeof(t->version), "%s", json_is_string(v) ? json_string_value(v) : "");
	v = json_object_get(info, "pid");
	t->pid = json_is_integer(v) ? json_integer_value(v) : 0;
	json_decref(info);
	if (t->max_output_len + 1 > t->cap) {
		char *nb = realloc(t->buf, t->max_output_len + 1);
		if (nb == NULL) {
			vr_tel_close(t);
			return -ENOMEM;
		}
		t->buf = nb;
		t->cap = t->max_output_len + 1;
	}
	return 0;
}

int vr_tel_query(struct vr_tel *t, const char *cmd, json_t **out, size_t *len)
{
	const char *key;
	json_t *reply, *val;
	size_t cl = strlen(cmd);
	ssize_t n;

	*out = NULL;
	if (t->fd < 0)
		return -ENOTCONN;
	n = send(t->fd, cmd, cl, MSG_NOSIGNAL);
	if (n != (ssize_t)cl) {
		int e = n < 0 ? errno : EIO;
		vr_tel_close(t);
		return -e;
	}
	n = recv_msg(t);
	if (n < 0) {
		vr_tel_close(t);
		return (int)n;
	}
	*len = (size_t)n;
	reply = parse(t->buf, (size_t)n);
	/* The reply is {"<command without parameters>": value}: exactly one member. */
	if (!json_is_object(reply) || json_object_size(reply) != 1) {
		json_decref(reply);
		vr_tel_close(t);
		return -EPROTO;
	}
	json_object_foreach(reply, key, val) {
		*out = json_incref(val);
	}
	json_decref(reply);
	return 0;
}
