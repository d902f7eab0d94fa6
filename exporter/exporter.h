/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-exporter internals shared by its files: telemetry client, metric text, collector, HTTP server. */
#ifndef VOXRELAY_EXPORTER_H
#define VOXRELAY_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include <jansson.h>

#define VR_EXP_PROG "voxrelay-exporter"
#define VR_EXP_VERSION "0.1.0"

/* ---- telemetry.c: a client of DPDK's telemetry socket (dpdk_telemetry.v2) ---- */

struct vr_tel {
	int fd;                          /**< -1 while not connected */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int timeout_ms;                  /**< for the greeting and for each reply */
	size_t max_output_len;           /**< from the greeting: replies longer than this were cut by DPDK */
	char version[64];                /**< from the greeting, e.g. "DPDK 22.11.11" */
	int64_t pid;                     /**< from the greeting */
	char *buf;
	size_t cap;
};

void vr_tel_init(struct vr_tel *t, const char *path, int timeout_ms);
/** Connects and reads the greeting. 0, or -errno (the connection is then closed). */
int vr_tel_open(struct vr_tel *t);
void vr_tel_close(struct vr_tel *t);
/**
 * Sends @cmd ("/voxrelay/stats", "/ethdev/stats,0") and waits for its reply.
 * *@out gets the value under the command's key (a new reference; JSON null
 * when the command is unknown), *@len the reply's size in bytes.
 * 0, or -errno on a transport or protocol failure, after which the
 * connection is closed: a late reply would otherwise answer the next command.
 */
int vr_tel_query(struct vr_tel *t, const char *cmd, json_t **out, size_t *len);

/* ---- metrics.c: Prometheus text exposition format 0.0.4 ---- */

struct vr_metric_family {
	char *name;
	const char *type;                /**< "counter", "gauge", "histogram" */
	char *help;
	char *body;                      /**< sample lines */
	size_t len, cap;
};

struct vr_metrics {
	struct vr_metric_family *fams;
	size_t n, cap;
	bool oom;
};

/** A label set being built: `a="x",b="y"` with values escaped. */
struct vr_labels {
	char s[1024];
	size_t len;
	bool overflow;
};

void vr_metrics_init(struct vr_metrics *m);
void vr_metrics_free(struct vr_metrics *m);
/**
 * Adds one sample `family+suffix{labels} value`. The family is created on
 * first use with @type and @help; -EEXIST when it exists with another type
 * (so a new telemetry field can never corrupt an existing family).
 */
int vr_metrics_add(struct vr_metrics *m, const char *family, const char *type, const char *help, const char *suffix,
		   const struct vr_labels *l, const char *value);
int vr_metrics_add_u64(struct vr_metrics *m, const char *family, const char *type, const char *help,
		       const struct vr_labels *l, uint64_t v);
int vr_metrics_add_double(struct vr_metrics *m, const char *family, const char *type, const char *help,
			  const char *suffix, const struct vr_labels *l, double v);
bool vr_metrics_has(const struct vr_metrics *m, const char *family);
/** Appends the exposition text of @m to *@out (realloc'd); -ENOMEM on failure. */
int vr_metrics_render(const struct vr_metrics *m, char **out, size_t *len, size_t *cap);

void vr_labels_init(struct vr_labels *l);
void vr_labels_add(struct vr_labels *l, const char *name, const char *value);
/** Makes @name a valid metric name in place (anything outside [a-zA-Z0-9_:] becomes '_'). */
void vr_metric_name_sanitize(char *name);
/** Formats a double the way Prometheus reads it back (+Inf, -Inf, NaN). */
void vr_format_double(char *buf, size_t n, double v);

/* ---- collect.c: telemetry -> metrics ---- */

#define VR_EXP_MAX_LCORES 1024
/** Default bounds of the relay's high-cardinality series (--relay-max-rooms, --relay-max-ssrcs). */
#define VR_EXP_RELAY_MAX_ROOMS 1000
#define VR_EXP_RELAY_MAX_SSRCS 4000

/** An lcore's cycle counters at the previous scrape. */
struct vr_lcore_prev {
	uint64_t busy, total;
	double ratio;
	bool seen;
};

struct vr_exporter {
	struct vr_tel tel;
	bool was_up;                     /**< for logging transitions only */
	bool warned_truncated;
	uint64_t connects, errors, truncated, scrapes;
	struct vr_lcore_prev lcore[VR_EXP_MAX_LCORES]; /**< for busy ratios between scrapes */
	size_t relay_max_rooms, relay_max_ssrcs; /**< most rooms / SSRCs exported per scrape; 0: none asked */
};

/** Resets @x; the relay bounds get their defaults (VR_EXP_RELAY_MAX_*). */
void vr_exporter_init(struct vr_exporter *x, const char *socket_path, int timeout_ms);
/** One scrape: the exposition text in *@out (malloc'd). 0, or -ENOMEM. */
int vr_exporter_scrape(struct vr_exporter *x, char **out, size_t *len);

/* The parts of a scrape (collect.c, collect_relay.c) share these. */

/** Prefix of the families of voxrelay-dp's metrics. */
#define VR_EXP_NS "voxrelay_dp_"

struct vr_vip_ref;

/** One scrape in progress. */
struct vr_scrape {
	struct vr_exporter *x;
	struct vr_metrics *m;
	struct vr_vip_ref *vips;         /**< collect.c's: the VIPs seen, for their backends' labels */
	size_t nvips, capvips;
};

/** The help of a family we know, else NULL. */
const char *vr_collect_help(const char *fam);
bool vr_collect_number(const json_t *v, uint64_t *u, double *d, bool *is_int);
const char *vr_collect_str(const json_t *obj, const char *key);
void vr_collect_add(struct vr_scrape *s, const char *fam, const char *type, const char *help, const char *suffix,
		    const struct vr_labels *l, uint64_t u, double d, bool is_int);
void vr_collect_fields(struct vr_scrape *s, const json_t *obj, const char *prefix, const struct vr_labels *l,
		       const char *source, const char *const *skip, const char *const (*rename)[2]);
/*
 * Every numeric member of @obj (NULL or not an object: none) but those in
 * @skip (NULL: none; an entry ending in '*' is a prefix) as a sample of the
 * counter @fam with @l and reason="<member>": drops and other counts by
 * reason, so a reason the dataplane adds needs no exporter change.
 */
void vr_collect_reasons(struct vr_scrape *s, const json_t *obj, const char *fam, const struct vr_labels *l,
			const char *const *skip);
int vr_collect_query(struct vr_scrape *s, const char *cmd, json_t **out);
int vr_collect_each_max(struct vr_scrape *s, const char *cmd, json_t *first,
			void (*fn)(struct vr_scrape *, const char *, const json_t *), size_t max, bool *limited);

/* ---- collect_relay.c: the relay role's part of a scrape ---- */

/** {family, help} of the relay's families, for vr_collect_help. */
extern const char *const vr_collect_relay_help[][2];
extern const size_t vr_collect_relay_nhelp;
/** /voxrelay/relay, then at most relay_max_rooms rooms and relay_max_ssrcs SSRCs. 0, or -errno. */
int vr_collect_relay(struct vr_scrape *s);

/* ---- http.c: a minimal HTTP/1.1 server for GET /metrics ---- */

#define VR_HTTP_MAX_CONNS 64
#define VR_HTTP_REQ_MAX 8192

struct vr_http_conn {
	int fd;
	size_t len;
	uint64_t deadline_ms;            /**< closed when nothing complete arrived by then */
	char buf[VR_HTTP_REQ_MAX];
};

/** Produces a response body for @path: returns the status, sets *@body (malloc'd) and *@ctype. */
struct vr_http_handler {
	int (*fn)(void *arg, const char *path, char **body, size_t *len, const char **ctype);
	void *arg;
};

struct vr_http_server {
	int lfd;
	struct vr_http_conn *conns[VR_HTTP_MAX_CONNS];
	char bound[128];                 /**< the address actually bound, for the log */
};

/** Binds "HOST:PORT" or "[V6]:PORT". 0, or -errno with a message on stderr. */
int vr_http_listen(struct vr_http_server *s, const char *addr);
/** Waits up to @timeout_ms for activity and serves what is ready. 0, or -errno if polling failed. */
int vr_http_poll(struct vr_http_server *s, int timeout_ms, const struct vr_http_handler *h);
void vr_http_close(struct vr_http_server *s);

uint64_t vr_now_ms(void);

#endif
