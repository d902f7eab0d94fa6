/* SPDX-License-Identifier: BSD-3-Clause */
/* The YAML configuration: entry points and the libyaml document walk that drives the directive tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "voxrelay/config.h"

#include "config_priv.h"

/* A file larger than this is certainly not a configuration: refuse before reading. */
#define CFG_MAX_FILE (16u << 20)

/* ------------------------------------------------------------------ */
/* the tree walk */

bool vr_cfg_node_is_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	return len == 0 || (len == 1 && s[0] == '~') ||
	       (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int parse_map(struct vr_cfg_ctx *c, const struct vr_cfg_section *s, void *obj, yaml_node_t *map,
		     const yaml_mark_t *where);

static int parse_seq(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, yaml_node_t *node)
{
	uint32_t *count = (uint32_t *)((uint8_t *)obj + k->count_off);
	uint8_t *items;
	uint32_t n = 0;

	int rc = vr_cfg_seq_len(c, k, node, &n);

	if (rc != 0)
		return rc;
	if (vr_cfg_mark_add(c, count, &node->start_mark))
		return -ENOMEM;
	if (k->flags & VR_CFG_F_INLINE) {
		items = (uint8_t *)obj + k->off;
	} else {
		items = NULL;
		if (n && !(items = calloc(n, k->item_size)))
			return vr_cfg_nomem(c);
		*(void **)((uint8_t *)obj + k->off) = items;
	}
	*count = n; /* items are zeroed: a half-parsed array frees cleanly */
	for (uint32_t i = 0; i < n; i++) {
		size_t saved = vr_cfg_path_push(c, "[%u]", i);
		int rc = parse_map(c, k->sub, items + (size_t)i * k->item_size,
				   vr_cfg_node(c, node->data.sequence.items.start[i]), &node->start_mark);
		vr_cfg_path_pop(c, saved);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_value(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, yaml_node_t *node)
{
	switch (k->type) {
	case VR_CFG_T_MAP:
		/* set first: the section's own checks tell a given section from defaults */
		if (k->present)
			*(bool *)((uint8_t *)obj + k->present - 1) = true;
		return parse_map(c, k->sub, obj, node, &node->start_mark);
	case VR_CFG_T_SEQ:
		return parse_seq(c, k, obj, node);
	case VR_CFG_T_UINT_LIST:
	case VR_CFG_T_STRING_LIST:
		if (vr_cfg_mark_add(c, (uint8_t *)obj + k->off, &node->start_mark))
			return -ENOMEM;
		return k->type == VR_CFG_T_UINT_LIST ? vr_cfg_parse_uint_list(c, k, obj, node)
						     : vr_cfg_parse_string_list(c, k, obj, node);
	default:
		if (node->type != YAML_SCALAR_NODE || vr_cfg_node_is_null(node))
			return vr_cfg_type_err(c, k, node);
		if (vr_cfg_mark_add(c, (uint8_t *)obj + k->off, &node->start_mark))
			return -ENOMEM;
		return vr_cfg_conv_scalar(c, k, obj, (const char *)node->data.scalar.value, node->data.scalar.length,
					  node);
	}
}

static int apply_default(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, const yaml_mark_t *where)
{
	switch (k->type) {
	case VR_CFG_T_MAP: {
		int rc;

		c->absent += k->present != 0;
		rc = parse_map(c, k->sub, obj, NULL, where);
		c->absent -= k->present != 0;
		return rc;
	}
	case VR_CFG_T_SEQ:
	case VR_CFG_T_STRING_LIST:
		return 0; /* empty */
	case VR_CFG_T_UINT_LIST: {
		/* the default is one value, the only list default needed */
		if (!k->def)
			return 0;
		struct vr_cfg_key elem = *k;
		elem.type = VR_CFG_T_UINT;
		elem.size = sizeof(uint32_t);
		elem.flags = 0;
		elem.present = 0;
		if (vr_cfg_conv_scalar(c, &elem, obj, k->def, strlen(k->def), NULL))
			return -EINVAL;
		*(uint32_t *)((uint8_t *)obj + k->count_off) = 1;
		return 0;
	}
	default:
		return k->def ? vr_cfg_conv_scalar(c, k, obj, k->def, strlen(k->def), NULL) : 0;
	}
}

static int parse_map(struct vr_cfg_ctx *c, const struct vr_cfg_section *s, void *obj, yaml_node_t *map,
		     const yaml_mark_t *where)
{
	yaml_node_t *given[VR_CFG_MAX_KEYS] = {0};
	yaml_mark_t keymark[VR_CFG_MAX_KEYS];
	const yaml_mark_t *mark = map ? &map->start_mark : where;
	char q[96];
	int rc;

	if (s->nb_keys > VR_CFG_MAX_KEYS)
		return vr_cfg_fail_mark(c, mark, "internal error: section has too many keys");
	if (map && !vr_cfg_node_is_null(map) && map->type != YAML_MAPPING_NODE)
		return vr_cfg_value_err(c, map, "expected a mapping, got %s", vr_cfg_node_desc(map, q, sizeof(q)));
	if (s->pos_off) {
		struct vr_cfg_pos *p = (struct vr_cfg_pos *)((uint8_t *)obj + s->pos_off - 1);
		p->line = (uint32_t)mark->line + 1;
		p->column = (uint32_t)mark->column + 1;
	}
	if (map && map->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
			yaml_node_t *kn = vr_cfg_node(c, pr->key), *vn = vr_cfg_node(c, pr->value);
			uint32_t i;

			if (!kn || !vn)
				return vr_cfg_fail_mark(c, mark, "internal error: dangling node");
			if (kn->type != YAML_SCALAR_NODE || vr_cfg_node_is_null(kn))
				return vr_cfg_fail_mark(c, &kn->start_mark, "%s%sexpected a key name, got %s", c->path,
							c->path[0] ? ": " : "", vr_cfg_node_desc(kn, q, sizeof(q)));
			const char *name = (const char *)kn->data.scalar.value;
			size_t len = kn->data.scalar.length;
			for (i = 0; i < s->nb_keys; i++)
				if (strlen(s->keys[i].name) == len && !memcmp(s->keys[i].name, name, len))
					break;
			if (i == s->nb_keys) {
				if (c->path[0])
					return vr_cfg_fail_mark(c, &kn->start_mark, "unknown key %s in %s",
								vr_cfg_quote(name, len, q, sizeof(q)), c->path);
				return vr_cfg_fail_mark(c, &kn->start_mark, "unknown key %s at the top level",
							vr_cfg_quote(name, len, q, sizeof(q)));
			}
			if (given[i])
				return vr_cfg_fail_mark(c, &kn->start_mark,
							"duplicate key \"%s\" in %s (first at line %zu)",
							s->keys[i].name, c->path[0] ? c->path : "the top level",
							keymark[i].line + 1);
			given[i] = vn;
			keymark[i] = kn->start_mark;
			size_t saved = vr_cfg_path_push(c, "%s%s", c->path[0] ? "." : "", s->keys[i].name);
			rc = parse_value(c, &s->keys[i], obj, vn);
			vr_cfg_path_pop(c, saved);
			if (rc)
				return rc;
		}
	}
	for (uint32_t i = 0; i < s->nb_keys; i++) {
		if (given[i])
			continue;
		if ((s->keys[i].flags & VR_CFG_F_REQ) && !c->absent) {
			if (c->path[0])
				return vr_cfg_fail_mark(c, mark, "missing required key \"%s\" in %s", s->keys[i].name,
							c->path);
			return vr_cfg_fail_mark(c, mark, "missing required key \"%s\" at the top level",
						s->keys[i].name);
		}
		size_t saved = vr_cfg_path_push(c, "%s%s", c->path[0] ? "." : "", s->keys[i].name);
		rc = apply_default(c, &s->keys[i], obj, mark);
		vr_cfg_path_pop(c, saved);
		if (rc)
			return rc;
	}
	return s->post ? s->post(c, obj, mark, given) : 0;
}

/* ------------------------------------------------------------------ */
/* entry points */

/* libyaml's reader errors carry a byte offset, not a mark. */
static void offset_to_pos(const char *buf, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int syntax_error(struct vr_cfg_ctx *c, const yaml_parser_t *p, const char *buf, size_t len)
{
	uint32_t line, col;

	if (p->error == YAML_MEMORY_ERROR)
		return vr_cfg_nomem(c);
	if (p->error == YAML_READER_ERROR) {
		offset_to_pos(buf, len, p->problem_offset, &line, &col);
		return vr_cfg_fail(c, line, col, "YAML syntax error: %s", p->problem ? p->problem : "unreadable input");
	}
	line = (uint32_t)p->problem_mark.line + 1;
	col = (uint32_t)p->problem_mark.column + 1;
	if (p->context)
		return vr_cfg_fail(c, line, col, "YAML syntax error: %s (%s at line %zu)",
				   p->problem ? p->problem : "?", p->context, p->context_mark.line + 1);
	return vr_cfg_fail(c, line, col, "YAML syntax error: %s", p->problem ? p->problem : "?");
}

struct vr_config *vr_config_parse(const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
	struct vr_cfg_ctx c = {.name = name ? name : "<config>", .err = err, .errlen = errlen};
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool have_doc = false;
	struct vr_config *cfg = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (!buf && len) {
		vr_cfg_fail(&c, 1, 1, "no input");
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		vr_cfg_nomem(&c);
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)(buf ? buf : ""), len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(&c, &parser, buf, len);
		goto out_parser;
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		vr_cfg_fail(&c, 1, 1, "the configuration is empty");
		goto out_doc;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		syntax_error(&c, &parser, buf, len);
		goto out_doc;
	}
	yaml_node_t *second = yaml_document_get_root_node(&extra);
	if (second)
		vr_cfg_fail_mark(&c, &extra.start_mark, "a second YAML document; the configuration is one document");
	yaml_document_delete(&extra);
	if (c.rc)
		goto out_doc;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		vr_cfg_nomem(&c);
		goto out_doc;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", c.name);
	c.doc = &doc;
	c.cfg = cfg;
	if (root->type != YAML_MAPPING_NODE) {
		char q[96];
		vr_cfg_fail_mark(&c, &root->start_mark, "expected a mapping at the top level, got %s",
				 vr_cfg_node_desc(root, q, sizeof(q)));
		goto out_doc;
	}
	parse_map(&c, &vr_cfg_root_section, cfg, root, &root->start_mark);
out_doc:
	if (have_doc)
		yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
out:
	free(c.marks);
	if (c.rc) {
		vr_config_free(cfg);
		errno = -c.rc;
		return NULL;
	}
	return cfg;
}

struct vr_config *vr_config_load(const char *path, char *err, size_t errlen)
{
	struct vr_config *cfg = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	FILE *f = NULL;
	int e = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!path) {
		e = EINVAL;
		goto out;
	}
	f = fopen(path, "rb");
	if (!f) {
		e = errno;
		goto fail_read;
	}
	if (fstat(fileno(f), &st) < 0) {
		e = errno;
		goto fail_read;
	}
	if (S_ISDIR(st.st_mode)) {
		e = EISDIR;
		goto fail_read;
	}
	if (st.st_size > (off_t)CFG_MAX_FILE) {
		e = EFBIG;
		goto fail_read;
	}
	/* sized by reading, not by st_size: a pipe or /proc file has no size */
	for (;;) {
		if (len == cap) {
			if (cap >= CFG_MAX_FILE) {
				e = EFBIG;
				goto fail_read;
			}
			cap = cap ? cap * 2 : 16384;
			char *n = realloc(buf, cap);
			if (!n) {
				e = ENOMEM;
				goto fail_read;
			}
			buf = n;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				e = EIO;
				goto fail_read;
			}
			break;
		}
	}
	cfg = vr_config_parse(path, buf, len, err, errlen);
	if (!cfg)
		e = errno;
	goto out;

fail_read:
	if (err && errlen)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
out:
	if (f)
		fclose(f);
	free(buf);
	if (!cfg)
		errno = e;
	return cfg;
}

void vr_config_free(struct vr_config *cfg)
{
	if (!cfg)
		return;
	for (uint32_t i = 0; i < cfg->nb_eal_args; i++)
		free(cfg->eal_args[i]);
	if (cfg->vips)
		for (uint32_t i = 0; i < cfg->nb_vips; i++)
			free(cfg->vips[i].backends);
	free(cfg->vips);
	free(cfg->relay_vips);
	free(cfg);
}

struct vr_config *vr_config_clone(const struct vr_config *cfg)
{
	struct vr_config *c = malloc(sizeof(*c));

	if (c == NULL)
		return NULL;
	memcpy(c, cfg, sizeof(*c));
	c->nb_eal_args = 0;
	c->vips = NULL;
	c->nb_vips = 0;
	c->relay_vips = NULL;
	c->nb_relay_vips = 0;
	if (cfg->nb_relay_vips != 0) {
		c->relay_vips = malloc(cfg->nb_relay_vips * sizeof(*c->relay_vips));
		if (c->relay_vips == NULL)
			goto fail;
		memcpy(c->relay_vips, cfg->relay_vips, cfg->nb_relay_vips * sizeof(*c->relay_vips));
		c->nb_relay_vips = cfg->nb_relay_vips;
	}
	for (uint32_t i = 0; i < cfg->nb_eal_args; i++) {
		c->eal_args[i] = strdup(cfg->eal_args[i]);
		if (c->eal_args[i] == NULL)
			goto fail;
		c->nb_eal_args++;
	}
	if (cfg->nb_vips != 0) {
		c->vips = calloc(cfg->nb_vips, sizeof(*c->vips));
		if (c->vips == NULL)
			goto fail;
	}
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		size_t n = (size_t)cfg->vips[i].nb_backends * sizeof(*cfg->vips[i].backends);

		c->vips[i] = cfg->vips[i];
		c->vips[i].backends = n != 0 ? malloc(n) : NULL;
		c->nb_vips++;
		if (n != 0 && c->vips[i].backends == NULL)
			goto fail;
		if (n != 0)
			memcpy(c->vips[i].backends, cfg->vips[i].backends, n);
	}
	return c;
fail:
	vr_config_free(c);
	errno = ENOMEM;
	return NULL;
}
