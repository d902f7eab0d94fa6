/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gw-load's connections: non-blocking socket, connect and upgrade, epoll arming, buffered writes, frames in and out, close. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_priv.h"
#include "gw_ws.h"

#define MAX_FRAME (16 * 1024 * 1024)  /* larger than voxrelay-cp ever sends: a broken stream */
#define NFAIL_SHOWN 5

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned fails_shown;

static uint32_t rnd32(struct vr_gw_worker *w)
{
	/* xorshift64*: masks only need to vary, not to be secret */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return (uint32_t)((w->rng * 0x2545f4914f6cdd1dull) >> 32);
}

void vr_gw_show_fail(const struct vr_gw_conn *c, const char *what, const char *detail)
{
	pthread_mutex_lock(&fail_lock);
	if (fails_shown < NFAIL_SHOWN)
		fprintf(stderr, "gw_load: connection %u: %s%s%s\n", c->gidx, what, detail ? ": " : "",
			detail ? detail : "");
	else if (fails_shown == NFAIL_SHOWN)
		fprintf(stderr, "gw_load: (further failures counted, not shown)\n");
	fails_shown++;
	pthread_mutex_unlock(&fail_lock);
}

void vr_gw_conn_close(struct vr_gw_worker *w, struct vr_gw_conn *c, const char *what, const char *detail)
{
	if (c->state == VR_GW_CS_CLOSED)
		return;
	if (c->state == VR_GW_CS_READY) {
		VR_GW_ADD(w->st.closed_later, 1);
	} else {
		VR_GW_ADD(w->st.failed, 1);
		if (c->state != VR_GW_CS_IDLE)
			w->opening--;
	}
	vr_gw_show_fail(c, what, detail);
	if (c->fd >= 0) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = VR_GW_CS_CLOSED;
	free(c->rbuf);
	free(c->wbuf);
	free(c->frag);
	c->rbuf = c->wbuf = NULL;
	c->frag = NULL;
	c->rlen = c->rcap = c->wlen = c->wcap = c->frag_len = 0;
	if (vr_gw_opt.fanout)
		__atomic_store_n(&vr_gw_fatal, 1, __ATOMIC_RELAXED); /* a chat lost a member: its figures would lie */
}

static void arm(struct vr_gw_worker *w, struct vr_gw_conn *c, bool out)
{
	struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};

	if (c->want_out == out)
		return;
	c->want_out = out;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static bool grow(unsigned char **buf, uint32_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 256;
	unsigned char *p;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return true;
	if (n > MAX_FRAME * 2u)
		return false;
	p = realloc(*buf, n);
	if (!p)
		return false;
	*buf = p;
	*cap = (uint32_t)n;
	return true;
}

/* Write now what the socket takes, queue the rest; false if the connection was closed. */
static bool conn_write(struct vr_gw_worker *w, struct vr_gw_conn *c, const void *buf, size_t len)
{
	ssize_t n = 0;

	if (c->wlen == 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN) {
				vr_gw_conn_close(w, c, "send", strerror(errno));
				return false;
			}
			n = 0;
		}
		if ((size_t)n == len)
			return true;
	}
	if (!grow(&c->wbuf, &c->wcap, c->wlen + len - (size_t)n)) {
		vr_gw_conn_close(w, c, "send", "output queue too large");
		return false;
	}
	memcpy(c->wbuf + c->wlen, (const char *)buf + n, len - (size_t)n);
	c->wlen += (uint32_t)(len - (size_t)n);
	arm(w, c, true);
	return true;
}

bool vr_gw_send_frame(struct vr_gw_worker *w, struct vr_gw_conn *c, unsigned opcode, const void *payload, size_t len)
{
	unsigned char *out = w->tx, *heap = NULL;
	size_t n;
	bool ok;

	if (len + VR_WS_HDR_MAX > VR_GW_TX_SCRATCH) {
		heap = malloc(len + VR_WS_HDR_MAX);
		if (!heap)
			return false;
		out = heap;
	}
	n = vr_ws_encode(out, opcode, payload, len, rnd32(w));
	ok = conn_write(w, c, out, n);
	free(heap);
	return ok;
}

bool vr_gw_send_text(struct vr_gw_worker *w, struct vr_gw_conn *c, const char *text, size_t len)
{
	return vr_gw_send_frame(w, c, VR_WS_TEXT, text, len);
}

void vr_gw_flush_out(struct vr_gw_worker *w, struct vr_gw_conn *c)
{
	ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN)
			vr_gw_conn_close(w, c, "send", strerror(errno));
		return;
	}
	memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
	c->wlen -= (uint32_t)n;
	if (c->wlen == 0)
		arm(w, c, false);
}

void vr_gw_conn_open(struct vr_gw_worker *w, struct vr_gw_conn *c)
{
	struct sockaddr_in src = {.sin_family = AF_INET},
			   dst = {.sin_family = AF_INET, .sin_port = htons(vr_gw_opt.port)};
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
	int one = 1, fd;

	inet_pton(AF_INET, vr_gw_opt.host, &dst.sin_addr);
	c->state = VR_GW_CS_CONNECTING;
	c->want_out = true;
	w->opening++;
	VR_GW_ADD(w->st.opened, 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->fd = fd;
	if (fd < 0) {
		vr_gw_conn_close(w, c, "socket", errno == EMFILE ? "too many open files (raise ulimit -n)" : strerror(errno));
		return;
	}
	/* Small frames each way: Nagle would hold them for the peer's ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (vr_gw_nsources > 1) {
		/* Several loopback sources lift the ~28k ephemeral ports of one source
		 * address; the port is chosen at connect() so it only has to be unique
		 * per four-tuple (IP_BIND_ADDRESS_NO_PORT). */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		src.sin_addr.s_addr = htonl(0x7f000001u + c->gidx % vr_gw_nsources);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			vr_gw_conn_close(w, c, "bind", strerror(errno));
			return;
		}
	}
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
		vr_gw_conn_close(w, c, "connect",
				 errno == EADDRNOTAVAIL ? "no free local port (more --sources?)" : strerror(errno));
		return;
	}
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		vr_gw_conn_close(w, c, "epoll_ctl", strerror(errno));
}

void vr_gw_on_connected(struct vr_gw_worker *w, struct vr_gw_conn *c)
{
	char req[512], host[96];
	int err = 0, n;
	socklen_t el = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
		vr_gw_conn_close(w, c, "connect", strerror(err ? err : errno));
		return;
	}
	VR_GW_ADD(w->st.connected, 1);
	snprintf(host, sizeof(host), "%s:%u", vr_gw_opt.host, vr_gw_opt.port);
	n = vr_ws_request(req, sizeof(req), host, vr_gw_opt.path, c->key);
	c->state = VR_GW_CS_UPGRADING;
	arm(w, c, false);
	conn_write(w, c, req, (size_t)n);
}

static void on_frame(struct vr_gw_worker *w, struct vr_gw_conn *c, const struct vr_ws_frame *f, const unsigned char *p)
{
	switch (f->opcode) {
	case VR_WS_TEXT:
	case VR_WS_BINARY:
	case VR_WS_CONT:
		if (f->opcode != VR_WS_CONT && f->fin) {
			if (f->opcode == VR_WS_TEXT)
				vr_gw_on_text(w, c, (const char *)p, f->len);
			return;
		}
		/* fragmented: collect (rare; voxrelay-cp writes whole frames) */
		if (f->opcode != VR_WS_CONT) {
			c->frag_op = (uint8_t)f->opcode;
			c->frag_len = 0;
		}
		if (c->frag_len + f->len > MAX_FRAME) {
			vr_gw_conn_close(w, c, "receive", "fragmented message too large");
			return;
		}
		{
			char *n = realloc(c->frag, c->frag_len + f->len + 1);

			if (!n) {
				vr_gw_conn_close(w, c, "receive", "out of memory");
				return;
			}
			c->frag = n;
		}
		memcpy(c->frag + c->frag_len, p, f->len);
		c->frag_len += (uint32_t)f->len;
		if (f->fin) {
			if (c->frag_op == VR_WS_TEXT)
				vr_gw_on_text(w, c, c->frag, c->frag_len);
			free(c->frag);
			c->frag = NULL;
			c->frag_len = 0;
		}
		return;
	case VR_WS_PING:
		/* lws pings a quiet connection and hangs up without the pong */
		VR_GW_ADD(w->st.pings, 1);
		vr_gw_send_frame(w, c, VR_WS_PONG, p, f->len);
		return;
	case VR_WS_CLOSE: {
		char detail[160];
		unsigned code = f->len >= 2 ? (unsigned)p[0] << 8 | p[1] : 1005;

		snprintf(detail, sizeof(detail), "%u %.*s", code, f->len > 2 ? (int)(f->len - 2) : 0, p + 2);
		vr_gw_conn_close(w, c, "closed by the server", detail);
		return;
	}
	default:
		return;
	}
}

/* Parse @buf[0..@len): the HTTP answer first, then frames. Returns bytes used, or -1 once closed. */
static long consume(struct vr_gw_worker *w, struct vr_gw_conn *c, const unsigned char *buf, size_t len)
{
	size_t off = 0;

	if (c->state == VR_GW_CS_UPGRADING) {
		long h = vr_ws_answer((const char *)buf, len, c->key);

		if (h == 0)
			return 0;
		if (h < 0) {
			char first[80];

			snprintf(first, sizeof(first), "%.*s", (int)strcspn((const char *)buf, "\r\n") % 79,
				 (const char *)buf);
			vr_gw_conn_close(w, c, "upgrade refused", first);
			return -1;
		}
		c->state = VR_GW_CS_HELLO;
		off = (size_t)h;
	}
	while (off < len) {
		struct vr_ws_frame f;
		int r = vr_ws_parse(buf + off, len - off, &f);

		if (r < 0 || f.len > MAX_FRAME) {
			vr_gw_conn_close(w, c, "receive", "protocol error in a server frame");
			return -1;
		}
		if (r == 0 || f.hdr_len + f.len > len - off)
			break;
		on_frame(w, c, &f, buf + off + f.hdr_len);
		if (c->state == VR_GW_CS_CLOSED)
			return -1;
		off += f.hdr_len + f.len;
	}
	return (long)off;
}

void vr_gw_on_readable(struct vr_gw_worker *w, struct vr_gw_conn *c)
{
	ssize_t n = recv(c->fd, w->rx, VR_GW_RX_SCRATCH, 0);
	long used;

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		vr_gw_conn_close(w, c, "receive", n == 0 ? "connection closed by the server" : strerror(errno));
		return;
	}
	if (c->rlen == 0) {
		used = consume(w, c, w->rx, (size_t)n);
		if (used < 0)
			return;
		if (used < n) {
			if (!grow(&c->rbuf, &c->rcap, (size_t)(n - used))) {
				vr_gw_conn_close(w, c, "receive", "input too large");
				return;
			}
			memcpy(c->rbuf, w->rx + used, (size_t)(n - used));
			c->rlen = (uint32_t)(n - used);
		}
		return;
	}
	if (!grow(&c->rbuf, &c->rcap, c->rlen + (size_t)n)) {
		vr_gw_conn_close(w, c, "receive", "input too large");
		return;
	}
	memcpy(c->rbuf + c->rlen, w->rx, (size_t)n);
	c->rlen += (uint32_t)n;
	used = consume(w, c, c->rbuf, c->rlen);
	if (used < 0)
		return;
	memmove(c->rbuf, c->rbuf + used, c->rlen - (size_t)used);
	c->rlen -= (uint32_t)used;
	if (c->rlen == 0 && c->rcap > 4096) {
		/* a large frame passed: give its buffer back, 100k connections add up */
		free(c->rbuf);
		c->rbuf = NULL;
		c->rcap = 0;
	}
}
