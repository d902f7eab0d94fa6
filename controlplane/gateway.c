/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp's listener (libwebsockets on the libuv loop): /ws/chat, GET /health and /metrics, the web client's files, and the per-second sweep of deadlines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"

/* One per wsi, from lws: a chat connection, or an HTTP answer being written. */
union pss {
	struct vr_cp_conn *c;
	struct {
		unsigned char *body; /* LWS_PRE + len */
		size_t len;
	} http;
};

static struct vr_cp *cp_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* ---- HTTP ---- */

static int http_answer(struct lws *wsi, union pss *ps, unsigned status, const char *type, char *text, size_t len)
{
	unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;

	if (!text)
		return lws_return_http_status(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, NULL) ? -1 : 0;
	ps->http.body = malloc(LWS_PRE + len + 1);
	if (!ps->http.body) {
		free(text);
		return -1;
	}
	memcpy(ps->http.body + LWS_PRE, text, len);
	ps->http.len = len;
	free(text);
	if (lws_add_http_common_headers(wsi, status, type, len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store",
					8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* The web client: a few flat files, names checked so no path leaves web_root. */
static int http_file(struct lws *wsi, struct vr_cp *cp, const char *uri)
{
	const char *name = strcmp(uri, "/") == 0 ? "index.html" : uri + 1, *mime;
	char path[4200];
	int n;

	for (const char *q = name; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-' || *q == '_' ||
		      (*q == '.' && q != name)))
			return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) ? -1 : 0;
	/* by the name's ending, from lws's table; a type it does not know is not served */
	mime = lws_get_mimetype(name, NULL);
	if (!mime)
		return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) ? -1 : 0;
	snprintf(path, sizeof(path), "%s/%s", cp->web_root, name);
	n = lws_serve_http_file(wsi, path, mime, NULL, 0);
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

static int on_http(struct lws *wsi, union pss *ps, const char *uri)
{
	struct vr_cp *cp = cp_of(wsi);
	size_t len = 0;
	int status = 200;
	char *text;

	if (strcmp(uri, "/api/websocket/health") == 0 || strcmp(uri, "/health") == 0) {
		text = vr_cp_health_json(cp, &status, &len);
		return http_answer(wsi, ps, (unsigned)status, "application/json", text, len);
	}
	if (strcmp(uri, "/api/websocket/metrics") == 0 || strcmp(uri, "/metrics") == 0) {
		text = vr_cp_metrics_text(cp, &len);
		return http_answer(wsi, ps, 200, "text/plain; version=0.0.4", text, len);
	}
	return http_file(wsi, cp, uri);
}

/* ---- WebSocket ---- */

static void established(struct lws *wsi, union pss *ps)
{
	struct vr_cp *cp = cp_of(wsi);
	struct vr_cp_conn *c = calloc(1, sizeof(*c));

	ps->c = c;
	if (!c)
		return;
	c->cp = cp;
	c->wsi = wsi;
	c->connected_ms = c->last_rx_ms = c->last_request_ms = vr_cp_now_ms();
	c->next = cp->conns;
	if (cp->conns)
		cp->conns->prev = c;
	cp->conns = c;
	if (cp->nconns >= cp->cfg->cp_max_connections || cp->stopping) {
		/* Counted apart, so a full server still reports its true load. */
		cp->st.connections_rejected_capacity++;
		vr_cp_send_error(c, VR_CP_E_AT_CAPACITY, NULL, NULL);
		vr_cp_close(c, VR_CP_CLOSE_TRY_LATER, "Server at capacity");
		return;
	}
	cp->nconns++;
	cp->st.connections_total++;
	c->counted = true;
	vr_cp_hello(c);
}

static void closed(struct vr_cp_conn *c)
{
	struct vr_cp *cp = c->cp;

	if (c->prev)
		c->prev->next = c->next;
	else
		cp->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->counted)
		cp->nconns--;
	c->dead = true;
	vr_cp_user_detach(c);
	if (c->pending == 0)
		vr_cp_conn_free(c);
}

static void receive(struct vr_cp_conn *c, struct lws *wsi, const char *in, size_t len)
{
	struct vr_cp *cp = c->cp;
	bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);

	if (c->close_code)
		return;
	c->last_rx_ms = vr_cp_now_ms();
	if (first) {
		c->rx_len = 0;
		c->rx_binary = lws_frame_is_binary(wsi);
	}
	if (c->rx_len + len > cp->cfg->cp_max_payload) {
		char msg[96];

		snprintf(msg, sizeof(msg), "frame larger than %u bytes", cp->cfg->cp_max_payload);
		cp->st.closed_too_big++;
		vr_cp_send_error(c, VR_CP_E_MESSAGE_TOO_LONG, msg, NULL);
		vr_cp_close(c, VR_CP_CLOSE_TOO_BIG, "frame too big");
		free(c->rx);
		c->rx = NULL;
		return;
	}
	if (first && final && !c->rx_binary) {
		vr_cp_dispatch(c, in, len);
		return;
	}
	if (!c->rx_binary) {
		char *p = realloc(c->rx, c->rx_len + len + 1);

		if (!p) {
			vr_cp_close(c, VR_CP_CLOSE_TRY_LATER, "out of memory");
			return;
		}
		c->rx = p;
		memcpy(c->rx + c->rx_len, in, len);
	}
	c->rx_len += len;
	if (!final)
		return;
	if (c->rx_binary) {
		vr_cp_send_error(c, VR_CP_E_BINARY, NULL, NULL);
	} else {
		vr_cp_dispatch(c, c->rx, c->rx_len);
	}
	free(c->rx);
	c->rx = NULL;
	c->rx_len = 0;
}

static bool uri_is_chat(struct lws *wsi)
{
	char uri[64];

	return lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) > 0 && strcmp(uri, "/ws/chat") == 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	union pss *ps = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return on_http(wsi, ps, in);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!ps || !ps->http.body)
			break;
		if (lws_write(wsi, ps->http.body + LWS_PRE, ps->http.len, LWS_WRITE_HTTP_FINAL) != (int)ps->http.len)
			return -1;
		free(ps->http.body);
		ps->http.body = NULL;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (ps) {
			free(ps->http.body);
			ps->http.body = NULL;
		}
		break;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* WebSocket only on /ws/chat */
		return uri_is_chat(wsi) ? 0 : 1;
	case LWS_CALLBACK_ESTABLISHED:
		established(wsi, ps);
		return ps->c ? 0 : -1;
	case LWS_CALLBACK_RECEIVE:
		if (ps->c)
			receive(ps->c, wsi, in, len);
		break;
	case LWS_CALLBACK_RECEIVE_PONG:
		if (ps->c)
			ps->c->ping_out = false;
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ps->c ? vr_cp_conn_writeable(ps->c) : -1;
	case LWS_CALLBACK_CLOSED:
		if (ps->c)
			closed(ps->c);
		ps->c = NULL;
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
	{.name = "vr-chat", .callback = callback, .per_session_data_size = sizeof(union pss),
	 /* lws's per-connection receive buffer (default 4 KB) is most of a
	  * connection's memory; larger frames arrive in pieces we join. */
	 .rx_buffer_size = 1024},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

void vr_cp_sweep(struct vr_cp *cp)
{
	const struct vr_config *cfg = cp->cfg;
	uint64_t now = vr_cp_now_ms(), hb = cfg->cp_heartbeat_interval_ms;

	for (struct vr_cp_conn *c = cp->conns; c; c = c->next) {
		if (c->close_code)
			continue;
		if (!c->user && now - c->connected_ms > cfg->cp_auth_timeout_ms) {
			cp->st.closed_auth_timeout++;
			vr_cp_close(c, VR_CP_CLOSE_AUTH_TIMEOUT, "authentication timed out");
		} else if (c->user && now - c->last_rx_ms > 2 * hb) {
			/* a heartbeat (or any frame) may be late by one interval; two silent ones close */
			cp->st.closed_heartbeat++;
			vr_cp_close(c, VR_CP_CLOSE_HEARTBEAT, "no frame for two heartbeat intervals");
		} else if (c->ping_out && now - c->ping_ms > 2 * hb) {
			/* the peer's WebSocket side is gone or broken, whatever its application still sends */
			cp->st.closed_heartbeat++;
			vr_cp_close(c, VR_CP_CLOSE_HEARTBEAT, "ping unanswered for two heartbeat intervals");
		} else if (c->user && now - c->last_request_ms > cfg->cp_inactive_timeout_ms) {
			cp->st.closed_inactive++;
			vr_cp_close(c, VR_CP_CLOSE_INACTIVE, "inactive: no request but heartbeats");
		} else if (!c->ping_out && now - c->last_rx_ms > hb && now - c->ping_ms > hb) {
			/*
			 * Silent for an interval: a WebSocket ping makes the TCP
			 * stack find a dead peer (its write fails) even where the
			 * application deadlines are longer. Done here rather than
			 * by lws's retry policy, whose per-connection timers lws 4.1
			 * keeps in one sorted list: quadratic at 100,000 connections.
			 */
			c->ping_ms = now;
			c->ping_out = true;
			c->want_ping = true;
			lws_callback_on_writable(c->wsi);
		}
	}
}

int vr_cp_gateway_start(struct vr_cp *cp)
{
	struct lws_context_creation_info info;
	void *foreign[1] = {cp->loop};
	char iface[64];
	const struct vr_config *cfg = cp->cfg;

	memset(&info, 0, sizeof(info));
	vr_addr_str(&cfg->cp_listen_addr, iface, sizeof(iface));
	info.port = cfg->cp_listen_port;
	info.iface = strcmp(iface, "0.0.0.0") == 0 || strcmp(iface, "::") == 0 ? NULL : iface;
	info.protocols = protocols;
	info.user = cp;
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	info.foreign_loops = foreign;
	info.timeout_secs = 10;
	if (cfg->cp_tls_cert[0]) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cfg->cp_tls_cert;
		info.ssl_private_key_filepath = cfg->cp_tls_key;
	}
	lws_set_log_level(getenv("VR_CP_LWS_LOG") ? atoi(getenv("VR_CP_LWS_LOG")) : (LLL_ERR | LLL_WARN), NULL);
	/* lws 4.1 returns a context even when the default vhost cannot bind
	 * its port; an explicit vhost reports that failure. */
	info.options |= LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	cp->lws = lws_create_context(&info);
	if (!cp->lws)
		return -ENOMEM;
	if (!lws_create_vhost(cp->lws, &info)) {
		/* the foreign-loop destroy in its two steps, the loop turned in between */
		lws_context_destroy(cp->lws);
		for (int i = 0; i < 4; i++)
			uv_run(cp->loop, UV_RUN_NOWAIT);
		lws_context_destroy(cp->lws);
		cp->lws = NULL;
		return -EADDRINUSE;
	}
	return 0;
}

void vr_cp_gateway_stop(struct vr_cp *cp)
{
	/* With a foreign loop lws destroys in two steps: this call closes its
	 * handles; the loop must then run dry before the second call (main). */
	if (cp->lws)
		lws_context_destroy(cp->lws);
}
