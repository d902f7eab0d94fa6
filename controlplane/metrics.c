/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp's figures: latency histograms, per-second rings for the last minute, GET /health (the shape existing monitors read) and GET /metrics (Prometheus text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_priv.h"

static const double bounds_ms[VR_CP_LAT_BUCKETS] = {1, 5, 10, 25, 50, 100, 250};

void vr_cp_hist_add(struct vr_cp_hist *h, double ms)
{
	unsigned i = 0;

	while (i < VR_CP_LAT_BUCKETS && ms > bounds_ms[i])
		i++;
	h->le[i]++;
	h->count++;
	h->sum_ms += ms;
}

/* Rings of 60 one-second slots: slots of seconds that passed unused are cleared first. */
static void advance(struct vr_cp *cp)
{
	uint64_t now = vr_cp_now_ms() / 1000;
	uint64_t *rings[] = {cp->st.messages_minute, cp->st.errors_minute, cp->st.requests_minute, cp->st.resp_ms_minute};

	if (cp->st.minute_sec == 0)
		cp->st.minute_sec = now;
	for (uint64_t s = cp->st.minute_sec + 1; s <= now && s <= cp->st.minute_sec + 60; s++)
		for (unsigned r = 0; r < sizeof(rings) / sizeof(rings[0]); r++)
			rings[r][s % 60] = 0;
	cp->st.minute_sec = now;
}

void vr_cp_count_second(struct vr_cp *cp, uint64_t *ring, uint64_t n)
{
	advance(cp);
	ring[cp->st.minute_sec % 60] += n;
}

uint64_t vr_cp_sum_minute(struct vr_cp *cp, const uint64_t *ring)
{
	uint64_t sum = 0;

	advance(cp);
	for (unsigned i = 0; i < 60; i++)
		sum += ring[i];
	return sum;
}

/*
 * healthy: Redis up, under 80 % of capacity, errors under 5 % of requests;
 * warning: 80-95 % of capacity or errors 5-20 %; critical (503): Redis
 * down, 95 % of capacity or more, errors above 20 %.
 */
char *vr_cp_health_json(struct vr_cp *cp, int *http_status, size_t *len)
{
	uint64_t req = vr_cp_sum_minute(cp, cp->st.requests_minute);
	uint64_t errs = vr_cp_sum_minute(cp, cp->st.errors_minute);
	double err_rate = req ? (double)errs / (double)req : 0.0;
	double resp_ms = req ? (double)vr_cp_sum_minute(cp, cp->st.resp_ms_minute) / (double)req : 0.0;
	double load = (double)cp->nconns / (double)cp->cfg->cp_max_connections;
	json_t *issues = json_array(), *root;
	const char *status = "healthy";
	char ts[32], *out;
	time_t now = time(NULL);
	struct tm tm;

	if (!vr_cp_store_up(cp->store)) {
		json_array_append_new(issues, json_string("Redis unreachable: messages cannot be saved"));
		status = "critical";
	}
	if (load >= 0.95) {
		json_array_append_new(issues, json_string("connections at 95 % of capacity or more"));
		status = "critical";
	} else if (load >= 0.8) {
		json_array_append_new(issues, json_string("connections above 80 % of capacity"));
		if (strcmp(status, "healthy") == 0)
			status = "warning";
	}
	if (err_rate > 0.2) {
		json_array_append_new(issues, json_string("error rate above 20 %"));
		status = "critical";
	} else if (err_rate > 0.05) {
		json_array_append_new(issues, json_string("error rate above 5 %"));
		if (strcmp(status, "healthy") == 0)
			status = "warning";
	}
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	root = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:f, s:f, s:I}, s:o}", "status", status, "timestamp", ts,
			 "metrics", "totalConnections", (json_int_t)cp->nconns, "totalUsers",
			 (json_int_t)HASH_COUNT(cp->users), "messagesPerMinute",
			 (json_int_t)vr_cp_sum_minute(cp, cp->st.messages_minute), "averageResponseTime",
			 resp_ms, "errorRate", err_rate,
			 "uptime", (json_int_t)((vr_cp_now_ms() - cp->start_ms) / 1000), "issues", issues);
	*http_status = strcmp(status, "critical") == 0 ? 503 : 200;
	out = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	if (out)
		*len = strlen(out);
	return out;
}

static void hist(FILE *f, const char *name, const char *labels, const struct vr_cp_hist *h)
{
	uint64_t cum = 0;

	for (unsigned i = 0; i < VR_CP_LAT_BUCKETS; i++) {
		cum += h->le[i];
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, labels[0] ? "," : "", bounds_ms[i] / 1000.0,
			(unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, labels[0] ? "," : "", (unsigned long long)h->count);
	fprintf(f, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels, h->sum_ms / 1000.0, name, labels,
		(unsigned long long)h->count);
}

char *vr_cp_metrics_text(struct vr_cp *cp, size_t *len)
{
	const struct vr_cp_stats *s = &cp->st;
	char labels[96], *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	fprintf(f, "# HELP voxrelay_cp_connections Open WebSocket connections.\n# TYPE voxrelay_cp_connections gauge\n"
		"voxrelay_cp_connections %u\n", cp->nconns);
	fprintf(f, "# HELP voxrelay_cp_users Users with at least one connection here.\n# TYPE voxrelay_cp_users gauge\n"
		"voxrelay_cp_users %u\n", HASH_COUNT(cp->users));
	fprintf(f, "# HELP voxrelay_cp_connections_total Connections accepted.\n# TYPE voxrelay_cp_connections_total counter\n"
		"voxrelay_cp_connections_total %llu\n", (unsigned long long)s->connections_total);
	fprintf(f, "# HELP voxrelay_cp_closed_total Connections closed by the server, by reason.\n"
		"# TYPE voxrelay_cp_closed_total counter\n");
	fprintf(f, "voxrelay_cp_closed_total{reason=\"slow_consumer\"} %llu\n", (unsigned long long)s->closed_slow);
	fprintf(f, "voxrelay_cp_closed_total{reason=\"auth_timeout\"} %llu\n", (unsigned long long)s->closed_auth_timeout);
	fprintf(f, "voxrelay_cp_closed_total{reason=\"heartbeat\"} %llu\n", (unsigned long long)s->closed_heartbeat);
	fprintf(f, "voxrelay_cp_closed_total{reason=\"inactive\"} %llu\n", (unsigned long long)s->closed_inactive);
	fprintf(f, "voxrelay_cp_closed_total{reason=\"too_big\"} %llu\n", (unsigned long long)s->closed_too_big);
	fprintf(f, "# HELP voxrelay_cp_limit_rejections_total Requests or connections refused by a limit, by kind.\n"
		"# TYPE voxrelay_cp_limit_rejections_total counter\n");
	fprintf(f, "voxrelay_cp_limit_rejections_total{kind=\"capacity\"} %llu\n",
		(unsigned long long)s->connections_rejected_capacity);
	fprintf(f, "voxrelay_cp_limit_rejections_total{kind=\"per_user\"} %llu\n",
		(unsigned long long)s->connections_rejected_user);
	fprintf(f, "voxrelay_cp_limit_rejections_total{kind=\"rate\"} %llu\n", (unsigned long long)s->rate_limited);
	fprintf(f, "voxrelay_cp_limit_rejections_total{kind=\"message_length\"} %llu\n",
		(unsigned long long)s->errors_out[VR_CP_E_MESSAGE_TOO_LONG]);
	fprintf(f, "# HELP voxrelay_cp_frames_total WebSocket frames, by direction.\n# TYPE voxrelay_cp_frames_total counter\n"
		"voxrelay_cp_frames_total{direction=\"in\"} %llu\nvoxrelay_cp_frames_total{direction=\"out\"} %llu\n",
		(unsigned long long)s->frames_in, (unsigned long long)s->frames_out);
	fprintf(f, "# HELP voxrelay_cp_bytes_total WebSocket message payload bytes, by direction.\n"
		"# TYPE voxrelay_cp_bytes_total counter\n"
		"voxrelay_cp_bytes_total{direction=\"in\"} %llu\nvoxrelay_cp_bytes_total{direction=\"out\"} %llu\n",
		(unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out);
	fprintf(f, "# HELP voxrelay_cp_messages_total Requests by type and result status.\n"
		"# TYPE voxrelay_cp_messages_total counter\n");
	for (unsigned i = 0; i < cp->ntypes; i++) {
		fprintf(f, "voxrelay_cp_messages_total{type=\"%s\",status=\"ok\"} %llu\n", cp->types[i].type,
			(unsigned long long)cp->types[i].ok);
		fprintf(f, "voxrelay_cp_messages_total{type=\"%s\",status=\"error\"} %llu\n", cp->types[i].type,
			(unsigned long long)cp->types[i].err);
	}
	fprintf(f, "# HELP voxrelay_cp_errors_total Error replies sent, by code.\n# TYPE voxrelay_cp_errors_total counter\n");
	for (unsigned e = 1; e < VR_CP_E_MAX; e++)
		fprintf(f, "voxrelay_cp_errors_total{code=\"%s\"} %llu\n", vr_cp_error_code(e),
			(unsigned long long)s->errors_out[e]);
	fprintf(f, "# HELP voxrelay_cp_request_duration_seconds Time from a request to its reply, by type.\n"
		"# TYPE voxrelay_cp_request_duration_seconds histogram\n");
	for (unsigned i = 0; i < cp->ntypes; i++) {
		snprintf(labels, sizeof(labels), "type=\"%s\"", cp->types[i].type);
		hist(f, "voxrelay_cp_request_duration_seconds", labels, &cp->types[i].lat);
	}
	fprintf(f, "# HELP voxrelay_cp_redis_commands_total Redis commands, by status.\n"
		"# TYPE voxrelay_cp_redis_commands_total counter\n"
		"voxrelay_cp_redis_commands_total{status=\"ok\"} %llu\nvoxrelay_cp_redis_commands_total{status=\"error\"} %llu\n",
		(unsigned long long)s->redis_ok, (unsigned long long)s->redis_err);
	fprintf(f, "# HELP voxrelay_cp_redis_up Whether the command connection to Redis is up.\n"
		"# TYPE voxrelay_cp_redis_up gauge\nvoxrelay_cp_redis_up %d\n", vr_cp_store_up(cp->store) ? 1 : 0);
	fprintf(f, "# HELP voxrelay_cp_redis_reconnects_total Times a Redis connection came back.\n"
		"# TYPE voxrelay_cp_redis_reconnects_total counter\nvoxrelay_cp_redis_reconnects_total %llu\n",
		(unsigned long long)s->redis_reconnects);
	fprintf(f, "# HELP voxrelay_cp_redis_duration_seconds Redis command round trips.\n"
		"# TYPE voxrelay_cp_redis_duration_seconds histogram\n");
	hist(f, "voxrelay_cp_redis_duration_seconds", "", &s->redis_lat);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
