/* SPDX-License-Identifier: BSD-3-Clause */
/* vr_config_dump: the configuration as normalised YAML, every key written from the directive tables. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/config.h"

#include "config_priv.h"

/* ------------------------------------------------------------------ */
/* dump */

static const char *enum_name(const struct vr_cfg_enum *e, uint8_t v)
{
	for (; e->name; e++)
		if (e->value == v)
			return e->name;
	return "?";
}

static void dump_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void dump_section(FILE *f, const struct vr_cfg_section *s, const void *obj, int indent, bool item);

static void dump_key(FILE *f, const struct vr_cfg_key *k, const void *obj, int indent)
{
	const uint8_t *field = (const uint8_t *)obj + k->off;
	char buf[INET6_ADDRSTRLEN];

	switch (k->type) {
	case VR_CFG_T_UINT:
		fprintf(f, "%" PRIu64 "\n", vr_cfg_load_uint(field, k->size));
		break;
	case VR_CFG_T_OCTAL:
		fprintf(f, "\"0%" PRIo64 "\"\n", vr_cfg_load_uint(field, k->size));
		break;
	case VR_CFG_T_BOOL:
		fprintf(f, "%s\n", *(const bool *)field ? "true" : "false");
		break;
	case VR_CFG_T_STRING:
		dump_string(f, (const char *)field);
		fputc('\n', f);
		break;
	case VR_CFG_T_ENUM:
		fprintf(f, "%s\n", enum_name(k->names, *field));
		break;
	case VR_CFG_T_IPV4:
		fprintf(f, "%s\n", inet_ntop(AF_INET, field, buf, sizeof(buf)) ? buf : "?");
		break;
	case VR_CFG_T_IPV6:
		fprintf(f, "\"%s\"\n", inet_ntop(AF_INET6, field, buf, sizeof(buf)) ? buf : "?");
		break;
	case VR_CFG_T_ADDR:
		fprintf(f, "\"%s\"\n", vr_addr_str((const struct vr_addr *)field, buf, sizeof(buf)));
		break;
	case VR_CFG_T_MAC:
		fprintf(f, "\"%02x:%02x:%02x:%02x:%02x:%02x\"\n", field[0], field[1], field[2], field[3], field[4],
			field[5]);
		break;
	case VR_CFG_T_DURATION: {
		char d[24];
		vr_cfg_fmt_duration(vr_cfg_load_uint(field, k->size) * (k->unit ? k->unit : 1), d, sizeof(d));
		fprintf(f, "%s\n", d);
		break;
	}
	case VR_CFG_T_PORT_RANGE: {
		uint16_t p[2];
		memcpy(p, field, sizeof(p));
		if (p[0] == p[1])
			fprintf(f, "%u\n", p[0]);
		else
			fprintf(f, "%u-%u\n", p[0], p[1]);
		break;
	}
	case VR_CFG_T_UINT_LIST: {
		uint32_t n = *(const uint32_t *)((const uint8_t *)obj + k->count_off);
		fputc('[', f);
		for (uint32_t i = 0; i < n; i++)
			fprintf(f, "%s%" PRIu32, i ? ", " : "", ((const uint32_t *)field)[i]);
		fputs("]\n", f);
		break;
	}
	case VR_CFG_T_STRING_LIST: {
		uint32_t n = *(const uint32_t *)((const uint8_t *)obj + k->count_off);
		fputc('[', f);
		for (uint32_t i = 0; i < n; i++) {
			fputs(i ? ", " : "", f);
			dump_string(f, ((char *const *)field)[i]);
		}
		fputs("]\n", f);
		break;
	}
	case VR_CFG_T_MAP:
		fputc('\n', f);
		dump_section(f, k->sub, obj, indent + 2, false);
		break;
	case VR_CFG_T_SEQ: {
		uint32_t n = *(const uint32_t *)((const uint8_t *)obj + k->count_off);
		const uint8_t *items = (k->flags & VR_CFG_F_INLINE) ? field : *(uint8_t *const *)field;
		if (n == 0) {
			fputs("[]\n", f);
			break;
		}
		fputc('\n', f);
		for (uint32_t i = 0; i < n; i++)
			dump_section(f, k->sub, items + (size_t)i * k->item_size, indent + 2, true);
		break;
	}
	}
}

static void dump_section(FILE *f, const struct vr_cfg_section *s, const void *obj, int indent, bool item)
{
	bool first = true;

	for (uint32_t i = 0; i < s->nb_keys; i++) {
		const struct vr_cfg_key *k = &s->keys[i];
		if (k->flags & VR_CFG_F_NODUMP)
			continue;
		if (k->present && !*(const bool *)((const uint8_t *)obj + k->present - 1))
			continue;
		/* An optional string left unset has no value to write back. */
		if (k->type == VR_CFG_T_STRING && *((const char *)obj + k->off) == '\0')
			continue;
		/* a block (mapping, non-empty list) starts on the next line: no trailing space */
		bool block = k->type == VR_CFG_T_MAP ||
			     (k->type == VR_CFG_T_SEQ && *(const uint32_t *)((const uint8_t *)obj + k->count_off) > 0);
		if (item && first)
			fprintf(f, "%*s- %s:%s", indent, "", k->name, block ? "" : " ");
		else
			fprintf(f, "%*s%s:%s", indent + (item ? 2 : 0), "", k->name, block ? "" : " ");
		dump_key(f, k, obj, indent + (item ? 2 : 0));
		first = false;
	}
}

int vr_config_dump(const struct vr_config *cfg, FILE *f)
{
	if (!cfg || !f)
		return -EINVAL;
	dump_section(f, &vr_cfg_root_section, cfg, 0, false);
	return ferror(f) ? -EIO : 0;
}
