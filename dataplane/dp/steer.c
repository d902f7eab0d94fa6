/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-dp's side of the AF_XDP steering program: xdp_prog= in the devargs, the attached program's maps found through the interface, filled from the configuration and its reloads, counters. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <rte_log.h>
#include <rte_telemetry.h>

#include "dp.h"
#include "steer.h"
#include "telemetry.h"
#include "voxrelay/bpf_maps.h"
#include "voxrelay/steer_table.h"

#define RTE_LOGTYPE_VOXRELAY RTE_LOGTYPE_USER1

/* Set by dataplane/dp/meson.build; a build without them only knows the installed path. */
#ifndef VR_STEER_PROG_INSTALLED
#define VR_STEER_PROG_INSTALLED "/usr/local/share/voxrelay/steer.bpf.o"
#endif

/* The attached program's maps (fds of our own, opened by id). */
struct steer_maps {
	uint32_t prog_id;
	int vips, self, cfg, stats;
};

/* One port's steering: where the program is, its maps and what they hold. */
struct steer_port {
	bool on;
	char iface[IF_NAMESIZE];
	char program[PATH_MAX];
	struct steer_maps m;
	struct vr_steer_table *held; /* the content last written in full; NULL: the maps as loaded (empty) */
	uint64_t syncs, sync_failures;
};

struct vr_dp_steer {
	uint32_t nb_ports;
	struct steer_port port[VR_CFG_MAX_PORTS];
};

/* ---- paths and devargs ---- */

int vr_dp_steer_prog_path(const struct vr_cfg_port *p, char *buf, size_t len)
{
	const char *path = VR_STEER_PROG_INSTALLED;
	int n;

	if (p->steer_program[0] != '\0') {
		path = p->steer_program;
	} else {
#if defined(VR_STEER_PROG_BUILD) && defined(VR_DP_BUILD_EXE)
		/* Only the binary the build tree made uses the build tree's object:
		 * an installed copy must not pick up a stale build directory. */
		char self[PATH_MAX];
		ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (sl > 0) {
			self[sl] = '\0';
			if (strcmp(self, VR_DP_BUILD_EXE) == 0)
				path = VR_STEER_PROG_BUILD;
		}
#endif
	}
	n = snprintf(buf, len, "%s", path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vr_dp_steer_devargs(const struct vr_cfg_port *p, char *buf, size_t len)
{
	char prog[PATH_MAX];
	int n, rc;

	if (!p->steer) {
		n = snprintf(buf, len, "%s", p->device);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	rc = vr_dp_steer_prog_path(p, prog, sizeof(prog));
	if (rc != 0)
		return rc;
	/* DPDK splits devargs at commas: a path with one cannot be passed. */
	if (strchr(prog, ',') != NULL)
		return -EINVAL;
	n = snprintf(buf, len, "%s,xdp_prog=%s", p->device, prog);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vr_dp_steer_precheck(const struct vr_config *cfg, char *err, size_t errlen)
{
	char prog[PATH_MAX];
	int rc = 0;

	for (uint32_t i = 0; i < cfg->nb_ports && rc == 0; i++) {
		const struct vr_cfg_port *p = &cfg->ports[i];

		if (!p->steer)
			continue;
		rc = vr_dp_steer_prog_path(p, prog, sizeof(prog));
		if (rc != 0) {
			snprintf(err, errlen, "port %s: steer program path too long", p->name);
			break;
		}
		if (strchr(prog, ',') != NULL) {
			snprintf(err, errlen, "port %s: steer program %s: a comma cannot be passed in devargs", p->name,
				 prog);
			rc = -EINVAL;
		} else if (access(prog, R_OK) != 0) {
			rc = -errno;
			snprintf(err, errlen, "port %s: steer program %s: %s", p->name, prog, strerror(errno));
		}
	}
	return rc;
}

/* The value of "iface=" in a vdev string. */
static int iface_of(const char *device, char *out, size_t len)
{
	const char *p = strstr(device, ",iface=");
	size_t n;

	if (p == NULL)
		return -EINVAL;
	p += strlen(",iface=");
	n = strcspn(p, ",");
	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* ---- finding the maps ---- */

static void maps_close(struct steer_maps *m)
{
	int *fds[] = {&m->vips, &m->self, &m->cfg, &m->stats};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* What steer.bpf.c declares: a map of another shape is an older or foreign object. */
static const struct {
	const char *name;
	size_t fd_off;
	uint32_t type, key_size, value_size, max_entries; /* max_entries 0: any */
} want_maps[] = {
	{"vips", offsetof(struct steer_maps, vips), BPF_MAP_TYPE_HASH, sizeof(struct vr_bpf_addr_key),
	 sizeof(struct vr_steer_vip), 0},
	{"self_addrs", offsetof(struct steer_maps, self), BPF_MAP_TYPE_HASH, sizeof(struct vr_bpf_addr_key),
	 sizeof(uint32_t), 0},
	{"steer_cfg", offsetof(struct steer_maps, cfg), BPF_MAP_TYPE_ARRAY, sizeof(uint32_t),
	 sizeof(struct vr_steer_cfg), 0},
	{"steer_stats", offsetof(struct steer_maps, stats), BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint32_t),
	 sizeof(uint64_t), VR_STEER_STAT_MAX},
};
#define NB_WANT (sizeof(want_maps) / sizeof(want_maps[0]))

/* Whether map @i of want_maps has the shape of @mi; else says why in @err. */
static bool map_shape_ok(size_t i, const struct bpf_map_info *mi, char *err, size_t errlen)
{
	if (mi->type == want_maps[i].type && mi->key_size == want_maps[i].key_size &&
	    mi->value_size == want_maps[i].value_size &&
	    (want_maps[i].max_entries == 0 || mi->max_entries == want_maps[i].max_entries))
		return true;
	snprintf(err, errlen,
		 "map %s has type %u, key %u, value %u bytes, %u entries; this voxrelay-dp expects type %u, "
		 "key %u, value %u bytes (an object from another build?)",
		 mi->name, mi->type, mi->key_size, mi->value_size, mi->max_entries, want_maps[i].type,
		 want_maps[i].key_size, want_maps[i].value_size);
	return false;
}

static int find_maps(const char *iface, struct steer_maps *m, char *err, size_t errlen)
{
	struct vr_bpf_map_ref refs[NB_WANT];
	int ifindex = (int)if_nametoindex(iface), rc;
	char why[256] = "";

	m->vips = m->self = m->cfg = m->stats = -1;
	m->prog_id = 0;
	if (ifindex == 0) {
		rc = -errno;
		snprintf(err, errlen, "interface %s: %s", iface, strerror(-rc));
		return rc;
	}
	for (size_t w = 0; w < NB_WANT; w++)
		refs[w].name = want_maps[w].name;
	rc = vr_bpf_xdp_maps(ifindex, &m->prog_id, refs, NB_WANT);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "no XDP program attached to %s", iface);
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "XDP program %u of %s: %s", m->prog_id, iface, strerror(-rc));
		return rc;
	}
	for (size_t w = 0; w < NB_WANT && rc == 0; w++) {
		if (refs[w].fd < 0) {
			snprintf(why, sizeof(why), "it has no map named %s", want_maps[w].name);
			rc = -ENOENT;
		} else if (!map_shape_ok(w, &refs[w].info, why, sizeof(why))) {
			rc = -ENOENT;
		}
	}
	if (rc != 0) {
		vr_bpf_maps_close(refs, NB_WANT);
		snprintf(err, errlen, "the XDP program on %s (id %u) is not voxrelay's steering program: %s", iface,
			 m->prog_id, why);
		return rc;
	}
	for (size_t w = 0; w < NB_WANT; w++)
		*(int *)((uint8_t *)m + want_maps[w].fd_off) = refs[w].fd;
	return 0;
}

/* ---- writing them ---- */

/*
 * Makes hash map @fd (keys struct vr_bpf_addr_key) hold exactly the @n keys
 * at @keys, @key_stride bytes apart, with the @val_size-byte values at
 * @vals, @val_stride bytes apart (0: one value for all).
 */
static int reconcile_hash(int fd, const void *keys, size_t key_stride, const void *vals, size_t val_stride,
			  size_t val_size, uint32_t n, uint32_t max)
{
	struct vr_bpf_addr_key key, *stale = NULL;
	uint8_t cur[sizeof(struct vr_steer_vip)];
	uint32_t nstale = 0;
	int rc = 0;

	/* New and changed first, so an address keeps being steered while its entry is rewritten. */
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		const void *k = (const uint8_t *)keys + (size_t)i * key_stride;
		const void *v = (const uint8_t *)vals + (size_t)i * val_stride;

		if (bpf_map_lookup_elem(fd, k, cur) == 0 && memcmp(cur, v, val_size) == 0)
			continue;
		if (bpf_map_update_elem(fd, k, v, BPF_ANY) != 0)
			rc = -errno;
	}
	if (rc != 0)
		goto out;
	stale = calloc(max, sizeof(*stale));
	if (stale == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* Collected first: deleting while walking would restart the walk. */
	for (int r = bpf_map_get_next_key(fd, NULL, &key); r == 0 && nstale < max;
	     r = bpf_map_get_next_key(fd, &key, &key)) {
		bool wanted = false;

		for (uint32_t i = 0; i < n && !wanted; i++)
			wanted = memcmp((const uint8_t *)keys + (size_t)i * key_stride, &key, sizeof(key)) == 0;
		if (!wanted)
			stale[nstale++] = key;
	}
	for (uint32_t i = 0; i < nstale && rc == 0; i++)
		if (bpf_map_delete_elem(fd, &stale[i]) != 0 && errno != ENOENT)
			rc = -errno;
out:
	free(stale);
	return rc;
}

/* vips, then self_addrs, then steer_cfg: the program sees the settings only once the lists are in place. */
static int write_table(const struct steer_maps *m, const struct vr_steer_table *t)
{
	static const uint32_t self_val; /* the set's values are unused: 0 */
	uint32_t k0 = 0;
	int rc;

	rc = reconcile_hash(m->vips, &t->vips[0].key, sizeof(t->vips[0]), &t->vips[0].val, sizeof(t->vips[0]),
			    sizeof(t->vips[0].val), t->nb_vips, VR_STEER_MAX_VIPS);
	if (rc == 0)
		rc = reconcile_hash(m->self, t->self, sizeof(t->self[0]), &self_val, 0, sizeof(self_val), t->nb_self,
				    VR_STEER_MAX_SELF);
	if (rc == 0 && bpf_map_update_elem(m->cfg, &k0, &t->cfg, BPF_ANY) != 0)
		rc = -errno;
	return rc;
}

/* Builds port @i's table from dp->cfg and writes it; on a failed write, puts the previous content back. */
static int sync_port(struct vr_dp *dp, uint32_t i, char *err, size_t errlen)
{
	struct steer_port *sp = &dp->steer->port[i];
	struct vr_steer_table *t = malloc(sizeof(*t));
	struct vr_steer_build_err be;
	int rc;

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* The loader ran the same build (config_steer.c): only a bug gets here. */
	rc = vr_steer_table_build(dp->cfg, i, t, &be);
	if (rc != 0) {
		snprintf(err, errlen, "building the table: %s", strerror(-rc));
		goto fail;
	}
	rc = write_table(&sp->m, t);
	if (rc != 0) {
		static const struct vr_steer_table empty;
		int back = write_table(&sp->m, sp->held != NULL ? sp->held : &empty);

		snprintf(err, errlen, "writing the maps: %s; %s", strerror(-rc),
			 back == 0 ? "the previous content is back" : "the previous content could not be restored");
		goto fail;
	}
	free(sp->held);
	sp->held = t;
	sp->syncs++;
	return 0;
fail:
	free(t);
	sp->sync_failures++;
	return rc;
}

int vr_dp_steer_sync(struct vr_dp *dp)
{
	char err[VR_CFG_ERR_LEN];
	int first = 0;

	if (dp->steer == NULL)
		return 0;
	for (uint32_t i = 0; i < dp->steer->nb_ports; i++) {
		int rc;

		if (!dp->steer->port[i].on)
			continue;
		rc = sync_port(dp, i, err, sizeof(err));
		if (rc != 0) {
			RTE_LOG(ERR, VOXRELAY, "port %s: steering maps not updated: %s\n", dp->ports[i].cfg->name, err);
			if (first == 0)
				first = rc;
		}
	}
	return first;
}

int vr_dp_steer_init(struct vr_dp *dp, char *err, size_t errlen)
{
	struct vr_dp_steer *s;
	char why[VR_CFG_ERR_LEN];
	bool any = false;
	int rc = 0;

	for (uint32_t i = 0; i < dp->nb_ports; i++)
		any |= dp->ports[i].cfg->steer;
	if (!any)
		return 0;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->nb_ports = dp->nb_ports;
	for (uint32_t i = 0; i < s->nb_ports; i++)
		s->port[i].m.vips = s->port[i].m.self = s->port[i].m.cfg = s->port[i].m.stats = -1;
	dp->steer = s;
	for (uint32_t i = 0; i < s->nb_ports && rc == 0; i++) {
		const struct vr_cfg_port *c = dp->ports[i].cfg;
		struct steer_port *sp = &s->port[i];

		if (!c->steer)
			continue;
		sp->on = true;
		vr_dp_steer_prog_path(c, sp->program, sizeof(sp->program));
		rc = iface_of(c->device, sp->iface, sizeof(sp->iface));
		if (rc != 0) {
			snprintf(err, errlen, "port %s: no iface= in device \"%s\"", c->name, c->device);
			break;
		}
		rc = find_maps(sp->iface, &sp->m, why, sizeof(why));
		if (rc == 0)
			rc = sync_port(dp, i, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "port %s: %s", c->name, why);
			break;
		}
		RTE_LOG(INFO, VOXRELAY, "port %s: steering program %u on %s (%s): %u VIP addresses, %u own\n", c->name,
			sp->m.prog_id, sp->iface, sp->program, sp->held->nb_vips, sp->held->nb_self);
	}
	if (rc != 0)
		vr_dp_steer_fini(dp);
	return rc;
}

/* ---- counters ---- */

int vr_dp_steer_counters(struct vr_dp *dp, uint32_t port, uint64_t out[VR_STEER_STAT_MAX])
{
	if (dp->steer == NULL || port >= dp->steer->nb_ports || !dp->steer->port[port].on)
		return -ENOENT;
	return vr_bpf_percpu_sum(dp->steer->port[port].m.stats, VR_STEER_STAT_MAX, out);
}

json_t *vr_dp_steer_json(struct vr_dp *dp)
{
	json_t *list = json_array();

	for (uint32_t i = 0; list != NULL && dp->steer != NULL && i < dp->steer->nb_ports; i++) {
		const struct steer_port *sp = &dp->steer->port[i];
		uint64_t c[VR_STEER_STAT_MAX];
		json_t *counters, *e;

		if (!sp->on)
			continue;
		counters = json_object();
		if (vr_dp_steer_counters(dp, i, c) == 0)
			for (uint32_t s = 0; counters != NULL && s < VR_STEER_STAT_MAX; s++)
				json_object_set_new(counters, vr_steer_stat_name(s), json_integer((json_int_t)c[s]));
		e = json_pack("{s:s, s:s, s:I, s:s, s:o*, s:I, s:I}", "port", dp->ports[i].cfg->name, "iface", sp->iface,
			      "prog_id", (json_int_t)sp->m.prog_id, "program", sp->program, "counters", counters,
			      "map_syncs", (json_int_t)sp->syncs, "map_sync_failures", (json_int_t)sp->sync_failures);
		if (e == NULL || json_array_append_new(list, e) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

int vr_dp_steer_telemetry(struct vr_dp *dp, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&dp->ctl_lock);
	for (uint32_t i = 0; dp->steer != NULL && i < dp->steer->nb_ports; i++) {
		const struct steer_port *sp = &dp->steer->port[i];
		uint64_t c[VR_STEER_STAT_MAX];
		struct rte_tel_data *e;
		char key[RTE_TEL_MAX_STRING_LEN];

		if (!sp->on)
			continue;
		e = vr_dp_tel_new_entry(i, key, sizeof(key));
		if (e == NULL)
			break;
		rte_tel_data_add_dict_string(e, "name", dp->ports[i].cfg->name);
		rte_tel_data_add_dict_u64(e, "prog_id", sp->m.prog_id);
		if (vr_dp_steer_counters(dp, i, c) == 0)
			for (uint32_t s = 0; s < VR_STEER_STAT_MAX; s++)
				rte_tel_data_add_dict_u64(e, vr_steer_stat_name(s), c[s]);
		rte_tel_data_add_dict_u64(e, "map_syncs", sp->syncs);
		rte_tel_data_add_dict_u64(e, "map_sync_failures", sp->sync_failures);
		if (!vr_dp_tel_add_entry(d, key, e))
			break;
	}
	pthread_mutex_unlock(&dp->ctl_lock);
	return 0;
}

void vr_dp_steer_fini(struct vr_dp *dp)
{
	struct vr_dp_steer *s;

	pthread_mutex_lock(&dp->ctl_lock);
	s = dp->steer;
	dp->steer = NULL;
	pthread_mutex_unlock(&dp->ctl_lock);
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->nb_ports; i++) {
		maps_close(&s->port[i].m);
		free(s->port[i].held);
	}
	free(s);
}
