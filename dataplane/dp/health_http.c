/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP probes: the kernel's TCP on the tap from our address, every segment encapsulated to the backend like traffic. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "health_priv.h"
#include "tap.h"
#include "voxrelay/encap.h"

#define NB_PORTS 65536
#define POLL_CHUNK 64

/* An IPv4 and an IPv6 socket may get the same port number: one table per family. */
static inline uint32_t port_slot(uint8_t family, uint16_t port)
{
	return (family == AF_INET6 ? NB_PORTS : 0) + port;
}

void vr_http_probe_close(struct vr_dp *dp, struct vr_health_target *t)
{
	(void)dp;
	if (t->http.fd >= 0)
		close(t->http.fd);
	/* The port stays in the table: the reset close() just sent, or one
	 * answering a late FIN, still has to reach the backend. The next
	 * probe that gets the port from the kernel takes it over. */
	t->http.fd = -1;
	t->http.phase = VR_HTTP_IDLE;
}

void vr_http_ports_rebuild(struct vr_dp *dp, struct vr_health_target *nt, uint32_t n)
{
	if (dp->http_ports == NULL && (dp->http_ports = calloc(2 * NB_PORTS, sizeof(*dp->http_ports))) == NULL)
		return; /* probes then fail to start, with ENOMEM */
	memset(dp->http_ports, 0, 2 * NB_PORTS * sizeof(*dp->http_ports));
	for (uint32_t i = 0; i < n; i++)
		if (nt[i].http.fd >= 0 && nt[i].http.lport != 0)
			dp->http_ports[port_slot(nt[i].vip.family, nt[i].http.lport)] = (uint16_t)(i + 1);
}

/* @port in network byte order; our address of @family on the probing port. */
static socklen_t sockaddr_of(struct sockaddr_storage *ss, const struct vr_addr *a, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = port;
		s4->sin_addr.s_addr = a->a.w[3];
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = port;
	memcpy(&s6->sin6_addr, a->a.b, 16);
	return sizeof(*s6);
}

int vr_http_probe_start(struct vr_dp *dp, struct vr_health_target *t, uint32_t idx, char *why, size_t len)
{
	const struct vr_dp_port *p = vr_health_port(dp);
	/* close() then sends a reset: no TIME_WAIT left per probe. */
	static const struct linger abortive = {.l_onoff = 1, .l_linger = 0};
	const struct vr_addr *me = t->vip.family == AF_INET ? &p->addr4 : &p->addr6;
	const char *ifname = vr_dp_tap_name(dp), *what = "socket";
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = -1, rc;

	vr_http_probe_close(dp, t);
	if (dp->tap == NULL) {
		snprintf(why, len, "no tap for HTTP probes (see the log)");
		return -ENODEV;
	}
	if (dp->http_ports == NULL) {
		snprintf(why, len, "no memory for the port table");
		return -ENOMEM;
	}
	if (t->vip.family == AF_INET ? !p->local.has_v4 : !p->local.has_v6) {
		snprintf(why, len, "no local address of the VIP's family");
		return -EADDRNOTAVAIL;
	}
	fd = socket(t->vip.family == AF_INET ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_TCP);
	if (fd < 0)
		goto fail;
	what = "SO_BINDTODEVICE";
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) != 0)
		goto fail;
	what = "SO_LINGER";
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive)) != 0)
		goto fail;
	what = "bind";
	sl = sockaddr_of(&ss, me, 0);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
		goto fail;
	/* The port must be in the table before the SYN reaches the tap. */
	what = "getsockname";
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		goto fail;
	t->http.lport = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	dp->http_ports[port_slot(t->vip.family, t->http.lport)] = (uint16_t)(idx + 1);
	what = "connect";
	sl = sockaddr_of(&ss, &t->vip, htons(t->port));
	rc = connect(fd, (struct sockaddr *)&ss, sl);
	if (rc != 0 && errno != EINPROGRESS)
		goto fail;
	t->http.fd = fd;
	t->http.phase = rc == 0 ? VR_HTTP_SENDING : VR_HTTP_CONNECTING;
	t->http.req_sent = 0;
	t->http.got = 0;
	return 0;
fail:
	rc = -errno;
	snprintf(why, len, "%s: %s", what, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* End @t's probe: close, then count it; true if the backend changed state. */
static bool finish(struct vr_dp *dp, struct vr_health_target *t, bool ok, const char *why)
{
	vr_http_probe_close(dp, t);
	if (ok)
		return vr_health_succeed(t, (rte_rdtsc() - t->sent_tsc) * 1000000 / dp->tsc_hz);
	return vr_health_fail(t, why);
}

/* Read what the server sent so far; true if the backend changed state. */
static bool read_status(struct vr_dp *dp, struct vr_health_target *t)
{
	struct vr_http_conn *c = &t->http;
	char why[64];
	uint16_t code;
	ssize_t n = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, MSG_DONTWAIT);
	int rc;

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return false;
		snprintf(why, sizeof(why), "HTTP: %s", strerror(errno));
		return finish(dp, t, false, why);
	}
	c->got = (uint16_t)(c->got + n);
	rc = vr_http_status_parse(c->buf, c->got, &code);
	if (rc == 0 && n > 0)
		return false;
	if (rc == 0)
		return finish(dp, t, false, "HTTP: connection closed before the status line");
	if (rc < 0)
		return finish(dp, t, false, "HTTP: malformed status line");
	if (code != t->expect) {
		snprintf(why, sizeof(why), "HTTP status %u, expected %u", code, t->expect);
		return finish(dp, t, false, why);
	}
	return finish(dp, t, true, NULL);
}

/* Move one probe on after poll() said its socket is ready; true if the backend changed state. */
static bool step(struct vr_dp *dp, struct vr_health_target *t)
{
	struct vr_http_conn *c = &t->http;
	char req[VR_HTTP_REQUEST_MAX], why[64];
	int err = 0, len;
	socklen_t el = sizeof(err);
	ssize_t n;

	switch (c->phase) {
	case VR_HTTP_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err != 0) {
			snprintf(why, sizeof(why), "connect: %s", strerror(err));
			return finish(dp, t, false, why);
		}
		c->phase = VR_HTTP_SENDING;
		/* fall through */
	case VR_HTTP_SENDING:
		len = vr_http_request(req, sizeof(req), t->path, t->host);
		if (len < 0)
			return finish(dp, t, false, "HTTP: cannot build the request");
		n = send(c->fd, req + c->req_sent, (size_t)len - c->req_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return false;
			snprintf(why, sizeof(why), "send: %s", strerror(errno));
			return finish(dp, t, false, why);
		}
		c->req_sent = (uint16_t)(c->req_sent + n);
		if (c->req_sent == len)
			c->phase = VR_HTTP_READING;
		return false;
	case VR_HTTP_READING:
		return read_status(dp, t);
	default:
		return false;
	}
}

bool vr_http_probe_poll(struct vr_dp *dp)
{
	struct pollfd pfd[POLL_CHUNK];
	uint32_t idx[POLL_CHUNK], n = 0;
	bool changed = false;

	/* One poll() per chunk of sockets: a syscall per loop, not per probe. */
	for (uint32_t i = 0; i <= dp->nb_health; i++) {
		if (i < dp->nb_health) {
			const struct vr_health_target *t = &dp->health[i];

			if (t->type != VR_HEALTH_HTTP || t->http.fd < 0)
				continue;
			pfd[n].fd = t->http.fd;
			pfd[n].events = t->http.phase == VR_HTTP_READING ? POLLIN : POLLOUT;
			pfd[n].revents = 0;
			idx[n++] = i;
			if (n < POLL_CHUNK)
				continue;
		}
		if (n > 0 && poll(pfd, n, 0) > 0)
			for (uint32_t j = 0; j < n; j++)
				if (pfd[j].revents != 0)
					changed |= step(dp, &dp->health[idx[j]]);
		n = 0;
	}
	return changed;
}

int vr_dp_health_http_output(struct vr_dp *dp, const uint8_t *frame, const struct vr_pkt_info *pi)
{
	const struct vr_dp_port *p = vr_health_port(dp);
	const struct vr_addr *me = pi->key.family == AF_INET ? &p->addr4 : &p->addr6;
	const struct vr_health_target *t;
	struct rte_mbuf *m;
	uint16_t owner, lport = ntohs(pi->key.sport);
	uint8_t *l3;

	if (pi->cls != VR_PKT_TCP || dp->http_ports == NULL ||
	    !(pi->key.family == AF_INET ? p->local.has_v4 : p->local.has_v6) || memcmp(pi->key.src, me->a.b, 16) != 0)
		return -ENOENT;
	owner = dp->http_ports[port_slot(pi->key.family, lport)];
	if (owner == 0 || owner > dp->nb_health)
		return -ENOENT;
	t = &dp->health[owner - 1];
	if (t->type != VR_HEALTH_HTTP || pi->key.family != t->vip.family || memcmp(pi->key.dst, t->vip.a.b, 16) != 0 ||
	    ntohs(pi->key.dport) != t->port)
		return -ENOENT;
	m = rte_pktmbuf_alloc(p->pool);
	if (m == NULL)
		return -ENOMEM;
	l3 = rte_pktmbuf_mtod(m, uint8_t *) + VR_ENCAP_MAX_HDR;
	if ((uint32_t)VR_ENCAP_MAX_HDR + pi->l3_len > rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	memcpy(l3, frame + pi->l3_off, pi->l3_len);
	/* One outer source port per connection, as for a client's flow. */
	return vr_health_encap_send(dp, t, m, l3, pi->l3_len, (uint32_t)lport * 2654435761u);
}
