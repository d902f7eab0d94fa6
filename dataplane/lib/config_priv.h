/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to the configuration loader (config*.c): the directive table types and what the files share. */
#ifndef VOXRELAY_LIB_CONFIG_PRIV_H
#define VOXRELAY_LIB_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <yaml.h>

#include "voxrelay/config.h"

/* Most keys a section table may have (the `given` array of a mapping is sized by it). */
#define VR_CFG_MAX_KEYS 32
#define VR_CFG_PATH_LEN 160

enum vr_cfg_type {
	VR_CFG_T_UINT,        /* unsigned integer of width size, bounds min..max */
	VR_CFG_T_OCTAL,       /* as UINT, written in octal ("0660"): file modes */
	VR_CFG_T_BOOL,        /* true/false/yes/no/on/off */
	VR_CFG_T_STRING,      /* char[size], length 1..size-1 */
	VR_CFG_T_ENUM,        /* uint8_t, one of names[] */
	VR_CFG_T_IPV4,        /* uint32_t, network byte order */
	VR_CFG_T_IPV6,        /* uint8_t[16] */
	VR_CFG_T_ADDR,        /* struct vr_addr, either family */
	VR_CFG_T_MAC,         /* uint8_t[6] */
	VR_CFG_T_DURATION,    /* milliseconds in the file's units, stored divided by unit */
	VR_CFG_T_PORT_RANGE,  /* two uint16_t (lo, hi) at off; "A-B" or "A" */
	VR_CFG_T_UINT_LIST,   /* uint32_t[cmax] at off, count at count_off */
	VR_CFG_T_STRING_LIST, /* char *[cmax] at off, count at count_off, strings of < size bytes */
	VR_CFG_T_MAP,         /* nested mapping parsed by sub into the same object */
	VR_CFG_T_SEQ,         /* sequence of mappings parsed by sub into items of item_size */
};

enum vr_cfg_flag {
	VR_CFG_F_REQ = 1 << 0,      /* the key must be given */
	VR_CFG_F_POW2 = 1 << 1,     /* uint: a power of two */
	VR_CFG_F_PRIME = 1 << 2,    /* uint: a prime */
	VR_CFG_F_DISTINCT = 1 << 3, /* uint list: no value twice */
	VR_CFG_F_INLINE = 1 << 4,   /* seq: items live in a fixed array at off, not behind a pointer */
	VR_CFG_F_NAME = 1 << 5,     /* string: letters, digits, '_', '-', '.' only */
	VR_CFG_F_SINGLE = 1 << 6,   /* port range: one port only */
	VR_CFG_F_NODUMP = 1 << 7,   /* not written by vr_config_dump (an alias of another key) */
	VR_CFG_F_BARE_MS = 1 << 8,  /* duration: a bare number is milliseconds, not seconds (environment values) */
	VR_CFG_F_EMPTY = 1 << 9,    /* string: "" is allowed and means unset, as leaving the key out does */
};

struct vr_cfg_enum {
	const char *name;
	uint8_t value;
};

struct vr_cfg_ctx;
struct vr_cfg_section;

struct vr_cfg_key {
	const char *name;
	uint8_t type;   /* enum vr_cfg_type */
	uint16_t flags; /* enum vr_cfg_flag */
	size_t off;
	size_t size;
	size_t present;   /* 1 + offset of a bool set when given (maps too: before their keys are read); 0: none */
	size_t count_off; /* lists and sequences: offset of the uint32_t count */
	uint32_t cmin, cmax;
	uint64_t min, max;
	uint32_t unit; /* durations: milliseconds per stored unit (0 means 1) */
	const char *def;
	const struct vr_cfg_enum *names;
	const struct vr_cfg_section *sub;
	size_t item_size;
};

typedef int (*vr_cfg_post_fn)(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark,
			      yaml_node_t *const *given);

struct vr_cfg_section {
	const struct vr_cfg_key *keys;
	uint32_t nb_keys;
	size_t pos_off; /* 1 + offset of a struct vr_cfg_pos set to the mapping's start; 0: none */
	vr_cfg_post_fn post;
};

/* Where a field's value was written, for messages of checks that run after parsing. */
struct vr_cfg_mark {
	const void *field;
	struct vr_cfg_pos pos;
};

struct vr_cfg_ctx {
	const char *name;
	yaml_document_t *doc;
	struct vr_config *cfg;
	char *err;
	size_t errlen;
	int rc;
	char path[VR_CFG_PATH_LEN];
	struct vr_cfg_mark *marks;
	size_t nb_marks, cap_marks;
	uint32_t total_backends;
	bool nopos; /* messages are "name: what" (no line:column): the value came from the environment */
	/* filling the defaults of an optional section the file leaves out
	 * (a key with a present flag): its required keys are required only
	 * when the section is written */
	unsigned absent;
};

/* config.c: the document walk */

bool vr_cfg_node_is_null(const yaml_node_t *n);

static inline yaml_node_t *vr_cfg_node(struct vr_cfg_ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

/* config_err.c: messages, the key path, marks */

__attribute__((format(printf, 4, 5))) int vr_cfg_fail(struct vr_cfg_ctx *c, uint32_t line, uint32_t col,
						      const char *fmt, ...);
__attribute__((format(printf, 3, 4))) int vr_cfg_fail_mark(struct vr_cfg_ctx *c, const yaml_mark_t *m,
							   const char *fmt, ...);
__attribute__((format(printf, 3, 4))) int vr_cfg_fail_pos(struct vr_cfg_ctx *c, const struct vr_cfg_pos *p,
							  const char *fmt, ...);
int vr_cfg_nomem(struct vr_cfg_ctx *c);
const char *vr_cfg_quote(const char *s, size_t len, char *buf, size_t buflen);
const char *vr_cfg_node_desc(const yaml_node_t *n, char *buf, size_t buflen);
__attribute__((format(printf, 3, 4))) int vr_cfg_value_err(struct vr_cfg_ctx *c, const yaml_node_t *node,
							   const char *fmt, ...);
int vr_cfg_type_err(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, const yaml_node_t *node);
/* Length of a sequence node (0 for null), checked against the key's count bounds; 0 or a negative errno after the error is recorded. */
int vr_cfg_seq_len(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, yaml_node_t *node, uint32_t *n);
int vr_cfg_count_err(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, const yaml_node_t *node, uint32_t n);
__attribute__((format(printf, 2, 3))) size_t vr_cfg_path_push(struct vr_cfg_ctx *c, const char *fmt, ...);
void vr_cfg_path_pop(struct vr_cfg_ctx *c, size_t saved);
int vr_cfg_mark_add(struct vr_cfg_ctx *c, const void *field, const yaml_mark_t *m);
const struct vr_cfg_pos *vr_cfg_mark_of(const struct vr_cfg_ctx *c, const void *field,
					const struct vr_cfg_pos *fallback);

/* config_types.c: values */

uint64_t vr_cfg_load_uint(const void *p, size_t size);
uint64_t vr_cfg_next_prime(uint64_t n);
void vr_cfg_fmt_duration(uint64_t ms, char *buf, size_t len);
int vr_cfg_conv_scalar(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, const char *s, size_t len,
		       const yaml_node_t *node);
int vr_cfg_parse_uint_list(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, yaml_node_t *node);
int vr_cfg_parse_string_list(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, yaml_node_t *node);

/* config_schema.c: the tables */

extern const struct vr_cfg_section vr_cfg_root_section;
extern const struct vr_cfg_section vr_cfg_balancer_section;
extern const struct vr_cfg_section vr_cfg_vip_section;
extern const struct vr_cfg_section vr_cfg_port_section;
extern const struct vr_cfg_section vr_cfg_health_section;
extern const struct vr_cfg_section vr_cfg_relay_section;
extern const struct vr_cfg_section vr_cfg_relay_vip_section;

/* Index of @name in @s, for hooks reading their `given` array (0 if absent: callers name real keys). */
static inline uint32_t vr_cfg_key_idx(const struct vr_cfg_section *s, const char *name)
{
	for (uint32_t i = 0; i < s->nb_keys; i++)
		if (!strcmp(s->keys[i].name, name))
			return i;
	return 0;
}

/* config_check.c: the section hooks, checks across keys */

int vr_cfg_post_backend(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_vip(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_port(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_dataplane(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_balancer(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_root(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);

/* config_relay.c: the relay section */

int vr_cfg_post_relay_vip(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_relay(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
/* Role relay: relay VIPs present, no balancer VIPs, a sending port of each VIP's family. */
int vr_cfg_check_relay_role(struct vr_cfg_ctx *c, const struct vr_config *cfg, const struct vr_cfg_pos *top);

/* config_cp.c: the controlplane section (voxrelay-cp) */

extern const struct vr_cfg_section vr_cfg_cp_section;
extern const struct vr_cfg_section vr_cfg_cp_listen_section;
extern const struct vr_cfg_section vr_cfg_cp_redis_section;
extern const struct vr_cfg_section vr_cfg_cp_auth_section;
extern const struct vr_cfg_section vr_cfg_cp_limits_section;

int vr_cfg_post_cp(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_cp_listen(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_cp_redis(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_cp_auth(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_cp_limits(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
/* vr_redis_url_parse with the reason of a rejection in @why (a static string). */
int vr_cfg_redis_url_parse(const char *url, struct vr_redis_url *out, const char **why);
/* max_message_length <= max_payload; on failure -EINVAL and why in @buf, worded about max_payload if @by_payload. */
int vr_cfg_cp_limits_check(const struct vr_config *cfg, bool by_payload, char *buf, size_t len);

/* config_steer.c: the AF_XDP steering keys */

/* A port's steer and steer_program against its device; from vr_cfg_post_port. */
int vr_cfg_post_port_steer(struct vr_cfg_ctx *c, struct vr_cfg_port *p, const yaml_mark_t *mark,
			   yaml_node_t *const *given);
/* Every steered port's map content fits (vr_steer_table_build()); no HTTP probes through a steered port. */
int vr_cfg_check_steer(struct vr_cfg_ctx *c, const struct vr_config *cfg);

/* config_health.c: health checks' type-dependent defaults and checks */

int vr_cfg_post_health(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);
int vr_cfg_post_dp_health(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given);

/* A VIP's HTTP Host default, its address (IPv6 in brackets); once the VIP's keys are all read. */
void vr_cfg_health_host_default(struct vr_cfg_vip *v);
/* Every VIP with HTTP health, and its backends, have an address of their family on the probing port. */
int vr_cfg_check_http_probes(struct vr_cfg_ctx *c, const struct vr_config *cfg);

#endif
