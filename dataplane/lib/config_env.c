/* SPDX-License-Identifier: BSD-3-Clause */
/* vr_config_cp_env: WS_* environment variables override controlplane.limits through the keys' own table entries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/config.h"

#include "config_priv.h"

/* Longest part of a value quoted back in a message. */
#define ENV_SHOW_MAX 64

/* The names deployments of the previous gateway already set, and the key each one stands for. */
static const struct {
	const char *env;
	const char *path;
} cp_env_keys[] = {
	{"WS_MAX_CONNECTIONS", "controlplane.limits.max_connections"},
	{"WS_MAX_CONNECTIONS_PER_USER", "controlplane.limits.max_connections_per_user"},
	{"WS_RATE_LIMIT_WINDOW", "controlplane.limits.rate_limit_window"},
	{"WS_RATE_LIMIT_MAX_MESSAGES", "controlplane.limits.rate_limit_max_messages"},
	{"WS_CLEANUP_INTERVAL", "controlplane.limits.cleanup_interval"},
	{"WS_INACTIVE_TIMEOUT", "controlplane.limits.inactive_timeout"},
	{"WS_MAX_PAYLOAD", "controlplane.limits.max_payload"},
	{"WS_MAX_MESSAGE_LENGTH", "controlplane.limits.max_message_length"},
};

/* The scalar key at dotted @path, through mappings only, so that its field is in struct vr_config; NULL if none. */
static const struct vr_cfg_key *key_at(const char *path)
{
	const struct vr_cfg_section *s = &vr_cfg_root_section;

	for (;;) {
		size_t n = strcspn(path, ".");
		const struct vr_cfg_key *k = NULL;

		for (uint32_t i = 0; i < s->nb_keys && !k; i++)
			if (strlen(s->keys[i].name) == n && !memcmp(s->keys[i].name, path, n))
				k = &s->keys[i];
		if (!k)
			return NULL;
		if (path[n] == '\0')
			return k->type == VR_CFG_T_UINT || k->type == VR_CFG_T_DURATION ? k : NULL;
		if (k->type != VR_CFG_T_MAP)
			return NULL;
		s = k->sub;
		path += n + 1;
	}
}

/* getenv returns char *: called through a pointer of another type would be undefined */
static const char *sys_getenv(const char *name)
{
	return getenv(name);
}

/* "environment NAME=value" for the message, the value printable and bounded */
static void env_label(char *buf, size_t len, const char *name, const char *val)
{
	size_t o = (size_t)snprintf(buf, len, "environment %s=", name);

	for (size_t i = 0; val[i] && o + 4 < len; i++) {
		if (i == ENV_SHOW_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		unsigned char ch = (unsigned char)val[i];
		buf[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[o < len ? o : len - 1] = '\0';
}

int vr_config_cp_env(struct vr_config *cfg, const char *(*getenv_fn)(const char *name), char *err, size_t errlen)
{
	const struct vr_cfg_key *keys[VR_ARRAY_SIZE(cp_env_keys)];
	uint64_t saved[VR_ARRAY_SIZE(cp_env_keys)];
	const char *vals[VR_ARRAY_SIZE(cp_env_keys)];
	char label[sizeof("environment =") + 32 + ENV_SHOW_MAX + 4];
	struct vr_cfg_ctx c = {.err = err, .errlen = errlen, .nopos = true};
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg)
		return -EINVAL;
	if (!getenv_fn)
		getenv_fn = sys_getenv;
	for (size_t i = 0; i < VR_ARRAY_SIZE(cp_env_keys); i++) {
		keys[i] = key_at(cp_env_keys[i].path);
		if (!keys[i] || keys[i]->size > sizeof(saved[i])) {
			c.name = "environment";
			return vr_cfg_fail(&c, 0, 0, "internal error: %s names no number key %s", cp_env_keys[i].env,
					   cp_env_keys[i].path);
		}
		/* kept to put back: a bad variable leaves the configuration as it was */
		memcpy(&saved[i], (uint8_t *)cfg + keys[i]->off, keys[i]->size);
		vals[i] = getenv_fn(cp_env_keys[i].env);
	}
	for (size_t i = 0; i < VR_ARRAY_SIZE(cp_env_keys) && !rc; i++) {
		struct vr_cfg_key k = *keys[i];
		yaml_node_t node;

		if (!vals[i])
			continue;
		/* a bare duration in the environment is milliseconds (WS_RATE_LIMIT_WINDOW=60000) */
		if (k.type == VR_CFG_T_DURATION)
			k.flags |= VR_CFG_F_BARE_MS;
		/* a quoted scalar, so "" reads as an empty value rather than as YAML's null */
		memset(&node, 0, sizeof(node));
		node.type = YAML_SCALAR_NODE;
		node.data.scalar.value = (yaml_char_t *)(uintptr_t)vals[i];
		node.data.scalar.length = strlen(vals[i]);
		node.data.scalar.style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		env_label(label, sizeof(label), cp_env_keys[i].env, vals[i]);
		c.name = label;
		snprintf(c.path, sizeof(c.path), "%s", cp_env_keys[i].path);
		rc = vr_cfg_conv_scalar(&c, &k, cfg, vals[i], node.data.scalar.length, &node);
	}
	if (!rc) {
		/* the limits' check across keys, worded about the variable that broke it */
		size_t len_i = 0, pay_i = 0;
		char why[160];

		for (size_t i = 0; i < VR_ARRAY_SIZE(cp_env_keys); i++) {
			if (keys[i]->off == offsetof(struct vr_config, cp_max_message_length))
				len_i = i;
			else if (keys[i]->off == offsetof(struct vr_config, cp_max_payload))
				pay_i = i;
		}
		bool by_payload = !vals[len_i];
		size_t at = by_payload ? pay_i : len_i;
		if (vr_cfg_cp_limits_check(cfg, by_payload, why, sizeof(why))) {
			if (vals[at])
				env_label(label, sizeof(label), cp_env_keys[at].env, vals[at]);
			c.name = vals[at] ? label : "environment";
			rc = vr_cfg_fail(&c, 0, 0, "%s: %s", cp_env_keys[at].path, why);
		}
	}
	if (rc)
		for (size_t i = 0; i < VR_ARRAY_SIZE(cp_env_keys); i++)
			memcpy((uint8_t *)cfg + keys[i]->off, &saved[i], keys[i]->size);
	return rc;
}
