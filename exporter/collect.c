/* SPDX-License-Identifier: BSD-3-Clause */
/* One scrape: asks voxrelay-dp's telemetry for its counters and turns them into Prometheus metrics. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

/* A reply this close to DPDK's output cap was probably cut: DPDK drops entries that do not fit, silently. */
#define TRUNC_MARGIN 512
#define MAX_PAGES 4096

struct vr_vip_ref {
	char id[24];
	char addr[64];
	char ports[24];
};

/* Help for the families we know (the relay's: collect_relay.c); anything new gets a generic line naming its source. */
static const char *const known_help[][2] = {
	{VR_EXP_NS "rx_packets_total", "Packets received on the port (NIC counter)."},
	{VR_EXP_NS "tx_packets_total", "Packets sent on the port (NIC counter)."},
	{VR_EXP_NS "rx_bytes_total", "Bytes received on the port (NIC counter)."},
	{VR_EXP_NS "tx_bytes_total", "Bytes sent on the port (NIC counter)."},
	{VR_EXP_NS "rx_missed_total", "Packets the NIC dropped because the RX ring was full."},
	{VR_EXP_NS "rx_errors_total", "Erroneous packets received on the port."},
	{VR_EXP_NS "tx_errors_total", "Packets the port failed to send."},
	{VR_EXP_NS "rx_nombuf_total", "RX failures for lack of mbufs."},
	{VR_EXP_NS "link_up", "1 if the port's link is up."},
	{VR_EXP_NS "link_speed_mbps", "Link speed of the port in Mbit/s."},
	{VR_EXP_NS "mtu", "Configured IP MTU of the port."},
	{VR_EXP_NS "rx_queues", "RX queues of the port (one per worker lcore)."},
	{VR_EXP_NS "tx_queues", "TX queues of the port (one per worker lcore)."},
	{VR_EXP_NS "worker_rx_packets_total", "Packets received by the worker lcores, summed over workers."},
	{VR_EXP_NS "worker_tx_packets_total", "Packets sent by the worker lcores, summed over workers."},
	{VR_EXP_NS "worker_rx_bytes_total", "Bytes received by the worker lcores, summed over workers."},
	{VR_EXP_NS "worker_tx_bytes_total", "Bytes sent by the worker lcores, summed over workers."},
	{VR_EXP_NS "busy_cycles_total", "TSC cycles of worker loop iterations that received packets, summed over workers."},
	{VR_EXP_NS "slow_path_total", "Packets handed from workers to the main lcore (ARP, ND)."},
	{VR_EXP_NS "conntrack_inserts_total", "Connection-tracking entries created."},
	{VR_EXP_NS "conntrack_evictions_total", "Live connection-tracking entries evicted for lack of room."},
	{VR_EXP_NS "conntrack_expired_total", "Connection-tracking entries removed after the UDP idle timeout."},
	{VR_EXP_NS "conntrack_entries", "Live connection-tracking entries over all workers."},
	{VR_EXP_NS "reloads_total", "Successful reloads of the configuration (SIGHUP)."},
	{VR_EXP_NS "reload_failures_total", "Refused reloads; the running state was kept."},
	{VR_EXP_NS "drops_total", "Packets dropped, by reason (include/voxrelay/drop.h)."},
	{VR_EXP_NS "vip_rx_packets_total", "Packets received for the VIP."},
	{VR_EXP_NS "vip_backends", "Backends configured in the VIP."},
	{VR_EXP_NS "backend_tx_packets_total", "Packets sent to the backend."},
	{VR_EXP_NS "backend_tx_bytes_total", "Bytes sent to the backend (encapsulated)."},
	{VR_EXP_NS "backend_weight", "Maglev weight of the backend."},
	{VR_EXP_NS "backend_maglev_slots", "Slots of the VIP's Maglev table that point at the backend."},
	{VR_EXP_NS "backend_flows", "Live connection-tracking entries on the backend."},
	{VR_EXP_NS "backend_up", "1 if the backend's state is up, 0 if draining or down."},
	{VR_EXP_NS "backend_state", "1 for the backend's current state (up, draining, down), 0 for the others."},
	{VR_EXP_NS "lcore_rx_packets_total", "Packets received by the worker lcore."},
	{VR_EXP_NS "lcore_tx_packets_total", "Packets sent by the worker lcore."},
	{VR_EXP_NS "lcore_busy_cycles_total", "TSC cycles of the lcore's loop iterations that received packets."},
	{VR_EXP_NS "lcore_cycles_total", "TSC cycles the lcore's loop ran."},
	{VR_EXP_NS "lcore_loops_over_100us_total", "Loop iterations of the worker lcore longer than 100 us."},
	{VR_EXP_NS "lcore_loops_over_1ms_total", "Loop iterations of the worker lcore longer than 1 ms."},
	{VR_EXP_NS "lcore_loops_over_10ms_total", "Loop iterations of the worker lcore longer than 10 ms: a worker that waited."},
	{VR_EXP_NS "lcore_busy_ratio", "Busy cycles over all cycles of the lcore since the previous scrape."},
	{VR_EXP_NS "steer_packets_total",
	 "Packets the AF_XDP steering program saw on the port, by what became of them (docs/steer.md)."},
	{VR_EXP_NS "steer_map_syncs_total", "Times the steering program's maps were brought in step with the configuration."},
	{VR_EXP_NS "steer_map_sync_failures_total",
	 "Map updates of the steering program that failed; the maps were put back as they were."},
};

static const char *help_in(const char *const (*help)[2], size_t n, const char *fam)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(help[i][0], fam) == 0)
			return help[i][1];
	return NULL;
}

const char *vr_collect_help(const char *fam)
{
	const char *h = help_in(known_help, sizeof(known_help) / sizeof(known_help[0]), fam);

	return h != NULL ? h : help_in(vr_collect_relay_help, vr_collect_relay_nhelp, fam);
}

static const char *help_for(const char *fam, const char *field, const char *source, char *buf, size_t n)
{
	const char *h = vr_collect_help(fam);

	if (h != NULL)
		return h;
	snprintf(buf, n, "Field %s of telemetry %s.", field, source);
	return buf;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* An entry ending in '*' matches every name starting with what precedes it. */
static bool in_list(const char *s, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++) {
		size_t n = strlen(*list);

		if (n > 0 && (*list)[n - 1] == '*' ? strncmp(s, *list, n - 1) == 0 : strcmp(s, *list) == 0)
			return true;
	}
	return false;
}

/*
 * Counters are the rule in telemetry; gauges are recognised by name so a new
 * field needs no exporter change (docs/metrics.md states the convention).
 */
static bool is_gauge(const char *f)
{
	static const char *const exact[] = {"weight", "maglev_slots", "flows", "backends", "state_generation",
					    "mtu", "link_up", "link_speed_mbps", "rx_queues", "tx_queues",
					    "memory_bytes", NULL};
	static const char *const suffixes[] = {"_entries", "_capacity", "_memory_bytes", "_ratio", "_current", NULL};

	if (in_list(f, exact) || strncmp(f, "last_", 5) == 0)
		return true;
	for (const char *const *s = suffixes; *s; s++)
		if (ends_with(f, *s))
			return true;
	return false;
}

bool vr_collect_number(const json_t *v, uint64_t *u, double *d, bool *is_int)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*u = (uint64_t)json_integer_value(v);
		*d = (double)*u;
		*is_int = true;
		return true;
	}
	if (json_is_number(v)) {
		*d = json_number_value(v);
		*is_int = false;
		return true;
	}
	return false;
}

void vr_collect_add(struct vr_scrape *s, const char *fam, const char *type, const char *help, const char *suffix,
		      const struct vr_labels *l, uint64_t u, double d, bool is_int)
{
	char v[40];

	if (is_int)
		snprintf(v, sizeof(v), "%" PRIu64, u);
	else
		vr_format_double(v, sizeof(v), d);
	if (vr_metrics_add(s->m, fam, type, help, suffix, l, v) == -EEXIST)
		fprintf(stderr, VR_EXP_PROG ": %s%s: already exported with another type; sample skipped\n", fam,
			suffix ? suffix : "");
}

/* Is @key one of the flat parts (<base>_us_le_<N>, _us_sum, _us_count) of a histogram in @obj? */
static bool histogram_part(const json_t *obj, const char *key, char *base, size_t n)
{
	const char *p = strstr(key, "_us_le_");
	size_t bl;
	char cnt[256];

	if (p != NULL)
		bl = (size_t)(p - key);
	else if (ends_with(key, "_us_sum") || ends_with(key, "_us_count"))
		bl = strlen(key) - (ends_with(key, "_us_sum") ? 7 : 9);
	else
		return false;
	if (bl == 0 || bl >= n || bl + 10 > sizeof(cnt))
		return false;
	memcpy(base, key, bl);
	base[bl] = '\0';
	snprintf(cnt, sizeof(cnt), "%s_us_count", base);
	return json_is_integer(json_object_get(obj, cnt));
}

struct bucket {
	uint64_t le_us, count;
};

static int bucket_cmp(const void *a, const void *b)
{
	const struct bucket *x = a, *y = b;

	return x->le_us < y->le_us ? -1 : x->le_us > y->le_us;
}

/* Telemetry nests containers one level only, so histograms arrive flat, in microseconds; Prometheus wants seconds. */
static void export_histogram(struct vr_scrape *s, const json_t *obj, const char *prefix, const char *base,
			     const struct vr_labels *l, const char *source)
{
	struct bucket bk[64];
	size_t nb = 0, bl = strlen(base);
	char fam[256], key[256], hb[256];
	const char *k;
	json_t *v;
	uint64_t count, sum_us;

	snprintf(key, sizeof(key), "%s_us_count", base);
	count = (uint64_t)json_integer_value(json_object_get(obj, key));
	snprintf(key, sizeof(key), "%s_us_sum", base);
	v = json_object_get(obj, key);
	sum_us = json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
	json_object_foreach((json_t *)obj, k, v) {
		char *end;
		if (strncmp(k, base, bl) != 0 || strncmp(k + bl, "_us_le_", 7) != 0 || !json_is_integer(v) ||
		    nb == sizeof(bk) / sizeof(bk[0]))
			continue;
		bk[nb].le_us = strtoull(k + bl + 7, &end, 10);
		if (*end != '\0' || end == k + bl + 7)
			continue;
		bk[nb++].count = (uint64_t)json_integer_value(v);
	}
	qsort(bk, nb, sizeof(bk[0]), bucket_cmp);
	snprintf(fam, sizeof(fam), "%s%s_seconds", prefix, base);
	vr_metric_name_sanitize(fam);
	snprintf(hb, sizeof(hb), "Histogram %s of telemetry %s, in seconds.", base, source);
	for (size_t i = 0; i <= nb; i++) {
		struct vr_labels bl2 = *l;
		char le[40];

		if (i < nb)
			vr_format_double(le, sizeof(le), (double)bk[i].le_us / 1e6);
		else
			snprintf(le, sizeof(le), "+Inf");
		vr_labels_add(&bl2, "le", le);
		vr_collect_add(s, fam, "histogram", hb, "_bucket", &bl2, i < nb ? bk[i].count : count, 0, true);
	}
	vr_collect_add(s, fam, "histogram", hb, "_sum", l, 0, (double)sum_us / 1e6, false);
	vr_collect_add(s, fam, "histogram", hb, "_count", l, count, 0, true);
}

/*
 * Every numeric member of @obj becomes <prefix><field>: counters get _total,
 * *_us become *_seconds, flat histograms become histograms. @skip: members
 * used as labels or exported by hand; @rename: {field, new name} pairs.
 */
void vr_collect_fields(struct vr_scrape *s, const json_t *obj, const char *prefix, const struct vr_labels *l,
			  const char *source, const char *const *skip, const char *const (*rename)[2])
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		char field[200], fam[256], hbuf[300], base[200];
		const char *type, *help;
		uint64_t u;
		double d;
		bool is_int;

		if (in_list(key, skip))
			continue;
		if (histogram_part(obj, key, base, sizeof(base))) {
			/* Exported once, from its count member. */
			if (ends_with(key, "_us_count"))
				export_histogram(s, obj, prefix, base, l, source);
			continue;
		}
		if (!vr_collect_number(v, &u, &d, &is_int))
			continue;
		snprintf(field, sizeof(field), "%s", key);
		for (size_t i = 0; rename != NULL && rename[i][0] != NULL; i++)
			if (strcmp(key, rename[i][0]) == 0)
				snprintf(field, sizeof(field), "%s", rename[i][1]);
		if (ends_with(field, "_us")) {
			field[strlen(field) - 3] = '\0';
			snprintf(field + strlen(field), sizeof(field) - strlen(field), "_seconds");
			d /= 1e6;
			is_int = false;
		}
		type = is_gauge(field) ? "gauge" : "counter";
		snprintf(fam, sizeof(fam), "%s%s%s", prefix, field,
			 strcmp(type, "counter") == 0 && !ends_with(field, "_total") ? "_total" : "");
		vr_metric_name_sanitize(fam);
		help = help_for(fam, key, source, hbuf, sizeof(hbuf));
		vr_collect_add(s, fam, type, help, NULL, l, u, d, is_int);
	}
}

void vr_collect_reasons(struct vr_scrape *s, const json_t *obj, const char *fam, const struct vr_labels *l,
			const char *const *skip)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		struct vr_labels rl = *l;
		uint64_t u;
		double d;
		bool is_int;

		if (in_list(key, skip) || !vr_collect_number(v, &u, &d, &is_int))
			continue;
		vr_labels_add(&rl, "reason", key);
		vr_collect_add(s, fam, "counter", vr_collect_help(fam), NULL, &rl, u, d, is_int);
	}
}

static void note_truncation(struct vr_scrape *s, const char *cmd, size_t len)
{
	if (len + TRUNC_MARGIN < s->x->tel.max_output_len)
		return;
	s->x->truncated++;
	if (!s->x->warned_truncated)
		fprintf(stderr, VR_EXP_PROG ": reply to %s is %zu bytes of DPDK's %zu: probably cut; "
			"the dataplane must page it (docs/metrics.md)\n", cmd, len, s->x->tel.max_output_len);
	s->x->warned_truncated = true;
}

int vr_collect_query(struct vr_scrape *s, const char *cmd, json_t **out)
{
	size_t len = 0;
	int rc = vr_tel_query(&s->x->tel, cmd, out, &len);

	if (rc == 0)
		note_truncation(s, cmd, len);
	return rc;
}

/*
 * Calls @fn for every object member of a dict reply. A reply carrying
 * "next": N is a page; "<cmd>,N" asks for the following one, so long lists
 * fit DPDK's reply cap. @first: the first page when the caller already asked
 * for it (its reference is taken), else NULL. At most @max entries: *@limited
 * (if given) says whether the list went on after them.
 */
int vr_collect_each_max(struct vr_scrape *s, const char *cmd, json_t *first,
			  void (*fn)(struct vr_scrape *, const char *, const json_t *), size_t max, bool *limited)
{
	char c[128];
	uint64_t next = 0;
	size_t seen = 0;
	bool cut = false;

	for (int page = 0; page < MAX_PAGES; page++) {
		const char *key;
		json_t *r, *v, *nx;
		bool more;
		int rc;

		if (page == 0 && first != NULL) {
			r = first;
		} else {
			if (page == 0)
				snprintf(c, sizeof(c), "%s", cmd);
			else
				snprintf(c, sizeof(c), "%s,%" PRIu64, cmd, next);
			rc = vr_collect_query(s, c, &r);
			if (rc < 0)
				return rc;
		}
		if (!json_is_object(r)) {
			json_decref(r);
			return 0;
		}
		json_object_foreach(r, key, v) {
			if (!json_is_object(v))
				continue;
			if (seen == max) {
				cut = true;
				break;
			}
			fn(s, key, v);
			seen++;
		}
		nx = json_object_get(r, "next");
		more = json_is_integer(nx) && json_integer_value(nx) > 0 && (uint64_t)json_integer_value(nx) > next;
		if (more)
			next = (uint64_t)json_integer_value(nx);
		json_decref(r);
		/* at the bound with pages left: entries were probably left out (a page may come back empty) */
		cut |= more && seen == max;
		if (!more || cut)
			break;
	}
	if (limited != NULL)
		*limited = cut;
	return 0;
}

static int each_entry(struct vr_scrape *s, const char *cmd, json_t *first,
		      void (*fn)(struct vr_scrape *, const char *, const json_t *))
{
	return vr_collect_each_max(s, cmd, first, fn, SIZE_MAX, NULL);
}

const char *vr_collect_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- ports ---- */

static const char *const port_skip[] = {"name", "port_id", "device", NULL};

static void port_entry(struct vr_scrape *s, const char *key, const json_t *p)
{
	struct vr_labels l;
	const char *name = vr_collect_str(p, "name");

	vr_labels_init(&l);
	vr_labels_add(&l, "port", name ? name : key);
	vr_collect_fields(s, p, VR_EXP_NS, &l, "/voxrelay/ports", port_skip, NULL);
}

/* A dataplane older than /voxrelay/ports: DPDK's own ethdev commands give the NIC counters (by device name). */
static int ports_from_ethdev(struct vr_scrape *s)
{
	static const char *const map[][2] = {
		{"ipackets", "rx_packets"}, {"opackets", "tx_packets"}, {"ibytes", "rx_bytes"},
		{"obytes", "tx_bytes"}, {"imissed", "rx_missed"}, {"ierrors", "rx_errors"},
		{"oerrors", "tx_errors"}, {"rx_nombuf", "rx_nombuf"},
	};
	json_t *list, *id;
	size_t i;
	int rc = vr_collect_query(s, "/ethdev/list", &list);

	if (rc < 0)
		return rc;
	json_array_foreach(list, i, id) {
		char cmd[64], key[24];
		json_t *info = NULL, *st = NULL, *link = NULL, *p;

		if (!json_is_integer(id))
			continue;
		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		snprintf(cmd, sizeof(cmd), "/ethdev/info,%s", key);
		if ((rc = vr_collect_query(s, cmd, &info)) < 0)
			break;
		snprintf(cmd, sizeof(cmd), "/ethdev/stats,%s", key);
		if ((rc = vr_collect_query(s, cmd, &st)) < 0) {
			json_decref(info);
			break;
		}
		snprintf(cmd, sizeof(cmd), "/ethdev/link_status,%s", key);
		if ((rc = vr_collect_query(s, cmd, &link)) < 0) {
			json_decref(info);
			json_decref(st);
			break;
		}
		p = json_object();
		if (p != NULL && json_is_object(st)) {
			const char *name = vr_collect_str(info, "name");
			const char *status = vr_collect_str(link, "status");
			json_object_set_new(p, "name", json_string(name ? name : key));
			for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
				json_t *v = json_object_get(st, map[k][0]);
				if (json_is_integer(v))
					json_object_set(p, map[k][1], v);
			}
			if (status != NULL)
				json_object_set_new(p, "link_up", json_integer(strcmp(status, "UP") == 0));
			port_entry(s, key, p);
		}
		json_decref(p);
		json_decref(info);
		json_decref(st);
		json_decref(link);
	}
	json_decref(list);
	return rc < 0 ? rc : 0;
}

static int collect_ports(struct vr_scrape *s)
{
	json_t *r;
	int rc = vr_collect_query(s, "/voxrelay/ports", &r);

	if (rc < 0)
		return rc;
	/* null: DPDK's answer to a command nobody registered (or to one that failed, this scrape only). */
	if (json_is_null(r)) {
		json_decref(r);
		return ports_from_ethdev(s);
	}
	return each_entry(s, "/voxrelay/ports", r, port_entry);
}

/* ---- totals and drops ---- */

static int collect_stats(struct vr_scrape *s)
{
	/* Same counters as the ports' NIC families, but counted by workers: they must not share a name. */
	static const char *const rename[][2] = {
		{"rx_packets", "worker_rx_packets"}, {"tx_packets", "worker_tx_packets"},
		{"rx_bytes", "worker_rx_bytes"}, {"tx_bytes", "worker_tx_bytes"}, {NULL, NULL},
	};
	struct vr_labels none;
	json_t *r;
	int rc = vr_collect_query(s, "/voxrelay/stats", &r);

	if (rc < 0)
		return rc;
	if (!json_is_object(r)) {
		json_decref(r);
		return -ENODATA;
	}
	vr_labels_init(&none);
	vr_collect_fields(s, r, VR_EXP_NS, &none, "/voxrelay/stats", NULL, rename);
	json_decref(r);
	return 0;
}

static int collect_drops(struct vr_scrape *s)
{
	struct vr_labels none;
	json_t *r;
	int rc = vr_collect_query(s, "/voxrelay/drops", &r);

	if (rc < 0)
		return rc;
	vr_labels_init(&none);
	vr_collect_reasons(s, r, VR_EXP_NS "drops_total", &none, NULL);
	json_decref(r);
	return 0;
}

/* ---- VIPs and backends ---- */

static void vip_ports(const json_t *v, char *buf, size_t n)
{
	const json_t *lo = json_object_get(v, "port_lo"), *hi = json_object_get(v, "port_hi");
	const char *ports = vr_collect_str(v, "ports");

	if (ports != NULL)
		snprintf(buf, n, "%s", ports);
	else if (json_is_integer(lo) && json_is_integer(hi) && json_integer_value(lo) != json_integer_value(hi))
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT, json_integer_value(lo),
			 json_integer_value(hi));
	else if (json_is_integer(lo))
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(lo));
	else
		buf[0] = '\0';
}

static void vip_entry(struct vr_scrape *s, const char *key, const json_t *v)
{
	static const char *const skip[] = {"address", "port_lo", "port_hi", "ports", "id", NULL};
	struct vr_labels l;
	struct vr_vip_ref *r;
	const char *addr = vr_collect_str(v, "address");

	if (addr == NULL)
		return;
	if (s->nvips == s->capvips) {
		size_t nc = s->capvips ? s->capvips * 2 : 64;
		struct vr_vip_ref *nv = realloc(s->vips, nc * sizeof(*nv));
		if (nv == NULL)
			return;
		s->vips = nv;
		s->capvips = nc;
	}
	r = &s->vips[s->nvips++];
	snprintf(r->id, sizeof(r->id), "%s", key);
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
	vip_ports(v, r->ports, sizeof(r->ports));
	vr_labels_init(&l);
	vr_labels_add(&l, "vip", r->addr);
	vr_labels_add(&l, "ports", r->ports);
	vr_collect_fields(s, v, VR_EXP_NS "vip_", &l, "/voxrelay/vips", skip, NULL);
}

/* The backend's VIP port range: given, or found through the VIP id, or through its address if that is unique. */
static const char *backend_vip_ports(struct vr_scrape *s, const json_t *b, const char *vip)
{
	const char *given = vr_collect_str(b, "vip_ports");
	const json_t *id = json_object_get(b, "vip_id");
	const char *found = NULL;

	if (given != NULL)
		return given;
	if (json_is_integer(id)) {
		char k[24];
		snprintf(k, sizeof(k), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		for (size_t i = 0; i < s->nvips; i++)
			if (strcmp(s->vips[i].id, k) == 0)
				return s->vips[i].ports;
	}
	for (size_t i = 0; i < s->nvips; i++) {
		if (strcmp(s->vips[i].addr, vip) != 0)
			continue;
		if (found != NULL)
			return "";
		found = s->vips[i].ports;
	}
	return found ? found : "";
}

static void backend_entry(struct vr_scrape *s, const char *key, const json_t *b)
{
	static const char *const skip[] = {"vip", "vip_id", "vip_ports", "address", "name", "state", "id", NULL};
	static const char *const states[] = {"up", "draining", "down"};
	const char *vip = vr_collect_str(b, "vip"), *addr = vr_collect_str(b, "address"),
		   *state = vr_collect_str(b, "state");
	struct vr_labels l;
	bool listed = false;

	(void)key;
	if (vip == NULL || addr == NULL)
		return;
	vr_labels_init(&l);
	vr_labels_add(&l, "vip", vip);
	vr_labels_add(&l, "ports", backend_vip_ports(s, b, vip));
	vr_labels_add(&l, "backend", addr);
	vr_collect_fields(s, b, VR_EXP_NS "backend_", &l, "/voxrelay/backends", skip, NULL);
	if (state == NULL)
		return;
	vr_collect_add(s, VR_EXP_NS "backend_up", "gauge", vr_collect_help(VR_EXP_NS "backend_up"), NULL, &l,
		       strcmp(state, "up") == 0, 0, true);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		struct vr_labels sl = l;
		vr_labels_add(&sl, "state", states[i]);
		vr_collect_add(s, VR_EXP_NS "backend_state", "gauge", vr_collect_help(VR_EXP_NS "backend_state"), NULL,
			       &sl, strcmp(state, states[i]) == 0, 0, true);
		listed |= strcmp(state, states[i]) == 0;
	}
	if (!listed) {
		struct vr_labels sl = l;
		vr_labels_add(&sl, "state", state);
		vr_collect_add(s, VR_EXP_NS "backend_state", "gauge", vr_collect_help(VR_EXP_NS "backend_state"), NULL,
			       &sl, 1, 0, true);
	}
}

/* ---- lcores ---- */

static void lcore_entry(struct vr_scrape *s, const char *key, const json_t *c)
{
	static const char *const rename[][2] = {{"total_cycles", "cycles"}, {NULL, NULL}};
	const json_t *busy = json_object_get(c, "busy_cycles"), *total = json_object_get(c, "total_cycles");
	struct vr_labels l;
	char *end;
	unsigned long id = strtoul(key, &end, 10);

	vr_labels_init(&l);
	vr_labels_add(&l, "lcore", key);
	vr_collect_fields(s, c, VR_EXP_NS "lcore_", &l, "/voxrelay/lcores", NULL, rename);
	if (*end != '\0' || id >= VR_EXP_MAX_LCORES || !json_is_integer(busy) || !json_is_integer(total))
		return;
	uint64_t b = (uint64_t)json_integer_value(busy), t = (uint64_t)json_integer_value(total);
	struct vr_lcore_prev *p = &s->x->lcore[id];
	/* Over the interval since the previous scrape; the first one (or after a reset) covers the whole run. */
	if (p->seen && t > p->total && b >= p->busy)
		p->ratio = (double)(b - p->busy) / (double)(t - p->total);
	else if (!p->seen || t < p->total || b < p->busy)
		p->ratio = t ? (double)b / (double)t : 0.0;
	p->busy = b;
	p->total = t;
	p->seen = true;
	vr_collect_add(s, VR_EXP_NS "lcore_busy_ratio", "gauge", vr_collect_help(VR_EXP_NS "lcore_busy_ratio"), NULL,
		       &l, 0, p->ratio, false);
}

/* ---- the AF_XDP steering programs ---- */

/* Field @field of @e, if a number, as sample @fam{@l} (a counter). */
static void add_field(struct vr_scrape *s, const json_t *e, const char *field, const char *fam,
		      const struct vr_labels *l)
{
	uint64_t u = 0;
	double d = 0;
	bool is_int = false;

	if (vr_collect_number(json_object_get(e, field), &u, &d, &is_int))
		vr_collect_add(s, fam, "counter", vr_collect_help(fam), NULL, l, u, d, is_int);
}

/*
 * One port's program: every number but the bookkeeping ones is a packet
 * count by reason, so a reason added to steer.h needs no change here.
 */
static void steer_entry(struct vr_scrape *s, const char *key, const json_t *e)
{
	static const char *const not_reasons[] = {"name", "prog_id", "map_syncs", "map_sync_failures", NULL};
	const char *name = vr_collect_str(e, "name");
	struct vr_labels l;

	vr_labels_init(&l);
	vr_labels_add(&l, "port", name ? name : key);
	vr_collect_reasons(s, e, VR_EXP_NS "steer_packets_total", &l, not_reasons);
	add_field(s, e, "map_syncs", VR_EXP_NS "steer_map_syncs_total", &l);
	add_field(s, e, "map_sync_failures", VR_EXP_NS "steer_map_sync_failures_total", &l);
}

/* Null from a dataplane older than /voxrelay/steer; an empty dict when no port steers. */
static int collect_steer(struct vr_scrape *s)
{
	json_t *r;
	int rc = vr_collect_query(s, "/voxrelay/steer", &r);

	if (rc < 0)
		return rc;
	if (!json_is_object(r)) {
		json_decref(r);
		return 0;
	}
	return each_entry(s, "/voxrelay/steer", r, steer_entry);
}

static int collect(struct vr_exporter *x, struct vr_metrics *m)
{
	struct vr_scrape s = {.x = x, .m = m};
	int rc;

	if ((rc = collect_ports(&s)) < 0 || (rc = collect_stats(&s)) < 0 || (rc = collect_drops(&s)) < 0 ||
	    (rc = each_entry(&s, "/voxrelay/vips", NULL, vip_entry)) < 0 ||
	    (rc = each_entry(&s, "/voxrelay/backends", NULL, backend_entry)) < 0 ||
	    (rc = each_entry(&s, "/voxrelay/probes", NULL, backend_entry)) < 0 ||
	    (rc = each_entry(&s, "/voxrelay/lcores", NULL, lcore_entry)) < 0 || (rc = collect_steer(&s)) < 0 ||
	    (rc = vr_collect_relay(&s)) < 0)
		goto out;
	rc = m->oom ? -ENOMEM : 0;
out:
	free(s.vips);
	return rc;
}

void vr_exporter_init(struct vr_exporter *x, const char *socket_path, int timeout_ms)
{
	memset(x, 0, sizeof(*x));
	vr_tel_init(&x->tel, socket_path, timeout_ms);
	x->relay_max_rooms = VR_EXP_RELAY_MAX_ROOMS;
	x->relay_max_ssrcs = VR_EXP_RELAY_MAX_SSRCS;
}

static void self_metrics(struct vr_exporter *x, struct vr_metrics *m, bool up, double secs)
{
	struct vr_labels l;

	vr_labels_init(&l);
	vr_metrics_add_u64(m, VR_EXP_NS "up", "gauge", "1 if the dataplane's telemetry answered this scrape, else 0.",
			   &l, up);
	if (up) {
		vr_metrics_add_u64(m, VR_EXP_NS "pid", "gauge", "Process id of the dataplane (changes on restart).", &l,
				   (uint64_t)x->tel.pid);
		vr_labels_add(&l, "dpdk_version", x->tel.version);
		vr_metrics_add_u64(m, VR_EXP_NS "info", "gauge", "Always 1; labels describe the dataplane.", &l, 1);
		vr_labels_init(&l);
	}
	vr_metrics_add_u64(m, "voxrelay_exporter_telemetry_connects_total", "counter",
			   "Connections made to the DPDK telemetry socket.", &l, x->connects);
	vr_metrics_add_u64(m, "voxrelay_exporter_telemetry_errors_total", "counter",
			   "Scrapes of the dataplane that failed (socket errors, timeouts, bad replies).", &l, x->errors);
	vr_metrics_add_u64(m, "voxrelay_exporter_truncated_replies_total", "counter",
			   "Telemetry replies that reached DPDK's output cap and were probably cut.", &l, x->truncated);
	vr_metrics_add_double(m, "voxrelay_exporter_scrape_duration_seconds", "gauge",
			      "Time this scrape spent asking the dataplane.", NULL, &l, secs);
	vr_labels_add(&l, "version", VR_EXP_VERSION);
	vr_metrics_add_u64(m, "voxrelay_exporter_build_info", "gauge", "Always 1; the exporter's version.", &l, 1);
}

int vr_exporter_scrape(struct vr_exporter *x, char **out, size_t *len)
{
	struct vr_metrics self, dp;
	uint64_t t0 = vr_now_ms();
	size_t cap = 0;
	bool up = false;
	int rc = -ENOTCONN;

	x->scrapes++;
	vr_metrics_init(&dp);
	/* A connection from before a dataplane restart fails on first use: one retry on a fresh one. */
	for (int attempt = 0; attempt < 2 && !up; attempt++) {
		bool fresh = false;

		if (x->tel.fd < 0) {
			int64_t old_pid = x->tel.pid;
			rc = vr_tel_open(&x->tel);
			if (rc < 0)
				break;
			x->connects++;
			fresh = true;
			if (x->tel.pid != old_pid)
				memset(x->lcore, 0, sizeof(x->lcore));
		}
		vr_metrics_free(&dp);
		vr_metrics_init(&dp);
		rc = collect(x, &dp);
		if (rc == 0) {
			up = true;
			break;
		}
		x->errors++;
		/* Only a broken connection earns a retry: a timeout would just cost a second timeout. */
		if (fresh || (rc != -ECONNRESET && rc != -EPIPE && rc != -ENOTCONN))
			break;
	}
	if (up && !x->was_up)
		fprintf(stderr, VR_EXP_PROG ": telemetry %s: connected (%s, pid %" PRId64 ")\n", x->tel.path,
			x->tel.version, x->tel.pid);
	else if (!up && (x->was_up || x->scrapes == 1))
		fprintf(stderr, VR_EXP_PROG ": telemetry %s: dataplane not reachable: %s\n", x->tel.path,
			rc == -ENODATA ? "no /voxrelay/stats (not voxrelay-dp?)" : strerror(-rc));
	x->was_up = up;

	vr_metrics_init(&self);
	self_metrics(x, &self, up, (double)(vr_now_ms() - t0) / 1e3);
	*out = NULL;
	*len = 0;
	rc = vr_metrics_render(&self, out, len, &cap);
	if (rc == 0 && up)
		rc = vr_metrics_render(&dp, out, len, &cap);
	vr_metrics_free(&self);
	vr_metrics_free(&dp);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}
