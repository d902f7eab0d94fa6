/* SPDX-License-Identifier: BSD-3-Clause */
/* A minimal HTTP/1.1 server: GET/HEAD of one resource at a time, keep-alive, bounded requests and time. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "exporter.h"

/* A client that sends no complete request for this long is dropped: one slow peer must not pin a slot. */
#define REQ_TIMEOUT_MS 10000
#define IDLE_TIMEOUT_MS 60000
#define WRITE_TIMEOUT_MS 10000

static int split_addr(const char *addr, char *host, size_t hn, char *port, size_t pn)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - addr - 1) >= hn)
			return -EINVAL;
		memcpy(host, addr + 1, (size_t)(end - addr - 1));
		host[end - addr - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || (size_t)(colon - addr) >= hn)
			return -EINVAL;
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
	}
	if (colon[1] == '\0' || strlen(colon + 1) >= pn)
		return -EINVAL;
	snprintf(port, pn, "%s", colon + 1);
	return 0;
}

int vr_http_listen(struct vr_http_server *s, const char *addr)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	char host[256], port[16];
	int one = 1, rc;

	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	if (split_addr(addr, host, sizeof(host), port, sizeof(port)) < 0) {
		fprintf(stderr, VR_EXP_PROG ": --listen %s: expected HOST:PORT or [IPV6]:PORT\n", addr);
		return -EINVAL;
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, VR_EXP_PROG ": --listen %s: %s\n", addr, gai_strerror(rc));
		return -EINVAL;
	}
	s->lfd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s->lfd, res->ai_addr, res->ai_addrlen) < 0 || listen(s->lfd, 64) < 0) {
		rc = -errno;
		fprintf(stderr, VR_EXP_PROG ": --listen %s: %s\n", addr, strerror(-rc));
		freeaddrinfo(res);
		if (s->lfd >= 0)
			close(s->lfd);
		s->lfd = -1;
		return rc;
	}
	snprintf(s->bound, sizeof(s->bound), "%s", addr);
	freeaddrinfo(res);
	return 0;
}

static void conn_close(struct vr_http_server *s, int i)
{
	char junk[4096];

	/* Unread request bytes make close() send a reset, which can destroy the
	 * error response we just wrote before the client reads it. */
	shutdown(s->conns[i]->fd, SHUT_WR);
	for (int n = 0; n < 16 && recv(s->conns[i]->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; n++)
		;
	close(s->conns[i]->fd);
	free(s->conns[i]);
	s->conns[i] = NULL;
}

static void accept_all(struct vr_http_server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;

		if (fd < 0)
			return;
		for (i = 0; i < VR_HTTP_MAX_CONNS && s->conns[i] != NULL; i++)
			;
		if (i == VR_HTTP_MAX_CONNS || (s->conns[i] = malloc(sizeof(*s->conns[i]))) == NULL) {
			close(fd);
			continue;
		}
		s->conns[i]->fd = fd;
		s->conns[i]->len = 0;
		s->conns[i]->deadline_ms = vr_now_ms() + REQ_TIMEOUT_MS;
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	uint64_t deadline = vr_now_ms() + WRITE_TIMEOUT_MS;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		uint64_t now = vr_now_ms();
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static int respond(int fd, int status, const char *ctype, const char *body, size_t len, bool head, bool keep)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n%s\r\n",
			 status, reason(status), ctype, len, keep ? "keep-alive" : "close",
			 status == 405 ? "Allow: GET, HEAD\r\n" : "");

	if (write_all(fd, hdr, (size_t)n) < 0)
		return -EIO;
	return head ? 0 : write_all(fd, body, len);
}

static int respond_text(int fd, int status, const char *text, bool keep)
{
	return respond(fd, status, "text/plain; charset=utf-8", text, strlen(text), false, keep);
}

/* Value of header @name in the header block @h (lines end in \n, maybe \r\n), copied to @out. */
static bool header(const char *h, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);

	for (const char *line = h; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
			continue;
		const char *v = line + nl + 1, *e;
		while (*v == ' ' || *v == '\t')
			v++;
		for (e = v; *e && *e != '\r' && *e != '\n'; e++)
			;
		snprintf(out, n, "%.*s", (int)(e - v), v);
		return true;
	}
	return false;
}

/*
 * Serves every complete request in the connection's buffer. Returns false
 * when the connection must be closed.
 */
static bool serve(struct vr_http_conn *c, const struct vr_http_handler *h)
{
	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4), *sp1, *sp2, *q, *eol;
		char method[16], target[1024], version[16], v[128];
		size_t used;
		bool keep, head;
		int status;

		if (end == NULL) {
			if (c->len == sizeof(c->buf)) {
				respond_text(c->fd, 431, "request header too large\n", false);
				return false;
			}
			return true;
		}
		*end = '\0';
		used = (size_t)(end - c->buf) + 4;
		eol = strstr(c->buf, "\r\n");
		if (eol != NULL)
			*eol = '\0';
		sp1 = strchr(c->buf, ' ');
		sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		if (sp1 == NULL || sp2 == NULL || sp1 - c->buf >= (long)sizeof(method) ||
		    sp2 - sp1 - 1 >= (long)sizeof(target) || strlen(sp2 + 1) >= sizeof(version)) {
			respond_text(c->fd, 400, "bad request line\n", false);
			return false;
		}
		snprintf(method, sizeof(method), "%.*s", (int)(sp1 - c->buf), c->buf);
		snprintf(target, sizeof(target), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
		snprintf(version, sizeof(version), "%s", sp2 + 1);
		if (strncmp(version, "HTTP/1.", 7) != 0) {
			respond_text(c->fd, 505, "HTTP/1.x only\n", false);
			return false;
		}
		const char *hdrs = eol ? eol + 2 : "";
		/* HTTP/1.1 keeps the connection unless told otherwise; 1.0 closes unless told otherwise. */
		keep = strcmp(version, "HTTP/1.1") == 0;
		if (header(hdrs, "Connection", v, sizeof(v)))
			keep = strcasestr(v, "close") ? false : strcasestr(v, "keep-alive") ? true : keep;
		/* We never read bodies, so a request with one would desynchronise the connection. */
		if ((header(hdrs, "Content-Length", v, sizeof(v)) && strtoul(v, NULL, 10) != 0) ||
		    header(hdrs, "Transfer-Encoding", v, sizeof(v))) {
			respond_text(c->fd, 400, "request bodies are not accepted\n", false);
			return false;
		}
		q = strchr(target, '?');
		if (q != NULL)
			*q = '\0';
		head = strcmp(method, "HEAD") == 0;
		if (!head && strcmp(method, "GET") != 0) {
			status = respond_text(c->fd, 405, "GET or HEAD\n", keep);
		} else {
			char *body = NULL;
			size_t len = 0;
			const char *ctype = "text/plain; charset=utf-8";
			int st = h->fn(h->arg, target, &body, &len, &ctype);
			status = body ? respond(c->fd, st, ctype, body, len, head, keep)
				      : respond_text(c->fd, 500, "out of memory\n", false);
			free(body);
		}
		if (status < 0 || !keep)
			return false;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		c->deadline_ms = vr_now_ms() + (c->len ? REQ_TIMEOUT_MS : IDLE_TIMEOUT_MS);
	}
}

int vr_http_poll(struct vr_http_server *s, int timeout_ms, const struct vr_http_handler *h)
{
	struct pollfd pf[VR_HTTP_MAX_CONNS + 1];
	int idx[VR_HTTP_MAX_CONNS + 1], n = 0, rc;
	uint64_t now = vr_now_ms();

	pf[n] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
	idx[n++] = -1;
	for (int i = 0; i < VR_HTTP_MAX_CONNS; i++) {
		if (s->conns[i] == NULL)
			continue;
		if (now >= s->conns[i]->deadline_ms) {
			conn_close(s, i);
			continue;
		}
		if ((int)(s->conns[i]->deadline_ms - now) < timeout_ms)
			timeout_ms = (int)(s->conns[i]->deadline_ms - now);
		pf[n] = (struct pollfd){.fd = s->conns[i]->fd, .events = POLLIN};
		idx[n++] = i;
	}
	rc = poll(pf, (nfds_t)n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	for (int k = 1; k < n; k++) {
		struct vr_http_conn *c = s->conns[idx[k]];
		ssize_t r;

		if (pf[k].revents == 0)
			continue;
		r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(s, idx[k]);
			continue;
		}
		if (r > 0) {
			if (c->len == 0)
				c->deadline_ms = vr_now_ms() + REQ_TIMEOUT_MS;
			c->len += (size_t)r;
		}
		if (!serve(c, h))
			conn_close(s, idx[k]);
	}
	if (pf[0].revents & POLLIN)
		accept_all(s);
	return 0;
}

void vr_http_close(struct vr_http_server *s)
{
	for (int i = 0; i < VR_HTTP_MAX_CONNS; i++)
		if (s->conns[i] != NULL)
			conn_close(s, i);
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
}
