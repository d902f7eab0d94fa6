/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelayctl's one exchange with the dataplane: connect, write a request line, read an answer line, all under one deadline. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

/* A full listen backlog makes connect() fail with EAGAIN rather than wait: retry this often. */
#define CONNECT_RETRY_MS 10
#define READ_CHUNK 65536

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline: 0, -ETIMEDOUT, or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return 0; /* readiness or an error: the next call tells which */
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_until(int fd, const struct sockaddr_un *sa, int64_t deadline)
{
	for (;;) {
		int64_t left;

		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			int rc = wait_fd(fd, POLLOUT, deadline), soerr = 0;
			socklen_t len = sizeof(soerr);

			if (rc != 0)
				return rc;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
				return -errno;
			return -soerr;
		}
		if (errno != EAGAIN)
			return -errno;
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (left > CONNECT_RETRY_MS)
			left = CONNECT_RETRY_MS;
		nanosleep(&(struct timespec){.tv_nsec = (long)left * 1000000}, NULL);
	}
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int rc;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if ((rc = wait_fd(fd, POLLOUT, deadline)) != 0)
			return rc;
	}
	return 0;
}

/* Reads up to the first newline; what follows it is not ours to read. */
static int read_line(int fd, int64_t deadline, char **line, size_t *len)
{
	char *buf = NULL, *nl = NULL, *grown;
	size_t have = 0, cap = 0;
	int rc = 0;

	while (nl == NULL) {
		ssize_t n;

		if (cap - have < READ_CHUNK + 1) {
			cap = cap ? cap * 2 : 2 * READ_CHUNK;
			grown = realloc(buf, cap);
			if (grown == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			buf = grown;
		}
		n = recv(fd, buf + have, READ_CHUNK, 0);
		if (n > 0) {
			nl = memchr(buf + have, '\n', (size_t)n);
			have += (size_t)n;
			/* the limit is on the line: bytes after its newline do not count */
			if ((nl ? (size_t)(nl - buf) : have) > VR_CTL_MAX_RESPONSE) {
				rc = -EMSGSIZE;
				goto out;
			}
			continue;
		}
		if (n == 0) {
			rc = have ? -EPROTO : -ECONNRESET;
			goto out;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			rc = -errno;
			goto out;
		}
		if ((rc = wait_fd(fd, POLLIN, deadline)) != 0)
			goto out;
	}
	*nl = '\0';
	*len = (size_t)(nl - buf);
	*line = buf;
	buf = NULL;
out:
	free(buf);
	return rc;
}

/* "Connection refused" -> "connection refused", to sit inside our own sentence. */
static const char *reason(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && (buf[1] < 'A' || buf[1] > 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

int vr_ctl_exchange(const char *path, unsigned timeout_ms, const char *req, size_t reqlen, char **line,
		    size_t *len, bool *connected, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	double secs = timeout_ms / 1000.0;
	char why[128];
	int fd = -1, rc;

	*connected = false;
	*line = NULL;
	*len = 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		rc = -ENAMETOOLONG;
		snprintf(err, errlen, "the socket path %s is too long", path);
		goto out;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a socket: %s", reason(errno, why, sizeof(why)));
		goto out;
	}
	rc = connect_until(fd, &sa, deadline);
	if (rc == -ETIMEDOUT) {
		snprintf(err, errlen,
			 "cannot reach the dataplane at %s: no connection accepted within %g s (is voxrelay-dp stuck?)",
			 path, secs);
		goto out;
	}
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		snprintf(err, errlen, "cannot reach the dataplane at %s: %s (is voxrelay-dp running?)", path,
			 reason(-rc, why, sizeof(why)));
		goto out;
	}
	if (rc == -EACCES || rc == -EPERM) {
		snprintf(err, errlen,
			 "cannot reach the dataplane at %s: %s (is this user in the socket's group, "
			 "dataplane.control.group?)",
			 path, reason(-rc, why, sizeof(why)));
		goto out;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot reach the dataplane at %s: %s", path, reason(-rc, why, sizeof(why)));
		goto out;
	}
	*connected = true;

	rc = send_all(fd, req, reqlen, deadline);
	if (rc == 0)
		rc = read_line(fd, deadline, line, len);
	switch (rc) {
	case 0:
		break;
	case -ETIMEDOUT:
		snprintf(err, errlen,
			 "no answer from the dataplane at %s within %g s (a change may have been applied all the same)",
			 path, secs);
		break;
	case -ECONNRESET:
	case -EPIPE:
		snprintf(err, errlen, "the dataplane at %s closed the connection without answering", path);
		break;
	case -EPROTO:
		snprintf(err, errlen, "the dataplane at %s closed the connection in the middle of its answer", path);
		break;
	case -EMSGSIZE:
		snprintf(err, errlen, "the dataplane's answer is longer than %u MiB", VR_CTL_MAX_RESPONSE >> 20);
		break;
	default:
		snprintf(err, errlen, "talking to the dataplane at %s: %s", path, reason(-rc, why, sizeof(why)));
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
