/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration values: one scalar or list of a key's type into its field, checked against the key's bounds. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "voxrelay/config.h"

#include "config_priv.h"

/* ------------------------------------------------------------------ */
/* scalar conversions */

static void store_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

uint64_t vr_cfg_load_uint(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

/* Decimal digits only, no sign, no spaces; false on anything else or overflow. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool is_prime(uint64_t n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (uint64_t d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

uint64_t vr_cfg_next_prime(uint64_t n)
{
	while (!is_prime(n))
		n++;
	return n;
}

void vr_cfg_fmt_duration(uint64_t ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0s");
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%" PRIu64 "h", ms / 3600000);
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%" PRIu64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "ms", ms);
}

/* @bare: milliseconds per unit of a number without a suffix (1000 in YAML, 1 in the environment). */
static bool parse_duration(const char *s, size_t len, uint64_t bare, uint64_t *ms)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	size_t digits = 0;
	uint64_t v, mult = bare;

	while (digits < len && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0 || !parse_u64(s, digits, &v))
		return false;
	if (digits < len) {
		size_t i;
		for (i = 0; i < VR_ARRAY_SIZE(units); i++)
			if (len - digits == strlen(units[i].suffix) &&
			    !memcmp(s + digits, units[i].suffix, len - digits))
				break;
		if (i == VR_ARRAY_SIZE(units))
			return false;
		mult = units[i].mult;
	}
	if (v > UINT64_MAX / mult)
		v = UINT64_MAX / mult; /* saturate: still out of any range */
	*ms = v * mult;
	return true;
}

static bool parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	if (len != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || (i < 5 && p[2] != ':'))
			return false;
		char hex[3] = {p[0], p[1], '\0'};
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return true;
}

/* inet_pton wants a C string; scalars carry a length and may hold NULs. */
static bool parse_inet(int family, const char *s, size_t len, void *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(family, buf, out) == 1;
}

int vr_addr_parse(const char *s, struct vr_addr *a)
{
	uint8_t b[16];

	if (!s || !a)
		return -EINVAL;
	size_t len = strlen(s);
	if (parse_inet(AF_INET, s, len, b)) {
		uint32_t be;
		memcpy(&be, b, 4);
		vr_addr_set_v4(a, be);
		return 0;
	}
	if (parse_inet(AF_INET6, s, len, b)) {
		memset(a, 0, sizeof(*a));
		a->family = AF_INET6;
		memcpy(a->a.b, b, 16);
		return 0;
	}
	return -EINVAL;
}

const char *vr_addr_str(const struct vr_addr *a, char *buf, size_t len)
{
	if (!buf || len == 0)
		return buf;
	buf[0] = '\0';
	if (!a)
		return buf;
	if (a->family == AF_INET) {
		if (!inet_ntop(AF_INET, &a->a.w[3], buf, (socklen_t)len))
			buf[0] = '\0';
	} else if (a->family == AF_INET6) {
		if (!inet_ntop(AF_INET6, a->a.b, buf, (socklen_t)len))
			buf[0] = '\0';
	}
	return buf;
}

/* @s is all digits here, so it prints as it was written */
static int check_uint_bounds(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, const yaml_node_t *node, uint64_t v,
			     const char *s, size_t len)
{
	if (v < k->min || v > k->max)
		return vr_cfg_value_err(c, node, "%.*s%s is out of range %" PRIu64 "..%" PRIu64,
					(int)(len > 24 ? 24 : len), s, len > 24 ? "..." : "", k->min, k->max);
	if ((k->flags & VR_CFG_F_POW2) && (v & (v - 1)))
		return vr_cfg_value_err(c, node, "%" PRIu64 " is not a power of two", v);
	if ((k->flags & VR_CFG_F_PRIME) && !is_prime(v))
		return vr_cfg_value_err(c, node, "%" PRIu64 " is not a prime (next prime: %" PRIu64 ")", v,
					vr_cfg_next_prime(v));
	return 0;
}

/* Convert one scalar @s (@len bytes) for key @k into @obj; @node NULL for defaults. */
int vr_cfg_conv_scalar(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, const char *s, size_t len,
		       const yaml_node_t *node)
{
	uint8_t *field = (uint8_t *)obj + k->off;
	char q[96];
	uint64_t v;

	if (memchr(s, '\0', len))
		return vr_cfg_value_err(c, node, "contains a NUL character");
	switch (k->type) {
	case VR_CFG_T_UINT:
		if (!parse_u64(s, len, &v)) {
			bool digits = len > 0;
			for (size_t i = 0; i < len; i++)
				digits = digits && s[i] >= '0' && s[i] <= '9';
			if (!digits)
				return vr_cfg_type_err(c, k, node);
			v = UINT64_MAX; /* too many digits: out of range below */
		}
		if (check_uint_bounds(c, k, node, v, s, len))
			return -EINVAL;
		store_uint(field, k->size, v);
		break;
	case VR_CFG_T_OCTAL: {
		bool ok = len > 0 && len <= 12;

		v = 0;
		for (size_t i = 0; i < len && ok; i++) {
			ok = s[i] >= '0' && s[i] <= '7';
			v = v * 8 + (uint64_t)(s[i] - '0');
		}
		if (!ok)
			return vr_cfg_value_err(c, node, "expected an octal number such as 0660, got %s",
						vr_cfg_quote(s, len, q, sizeof(q)));
		if (v < k->min || v > k->max)
			return vr_cfg_value_err(c, node, "%s is out of range 0%" PRIo64 "..0%" PRIo64,
						vr_cfg_quote(s, len, q, sizeof(q)), (uint64_t)k->min, (uint64_t)k->max);
		store_uint(field, k->size, v);
		break;
	}
	case VR_CFG_T_BOOL: {
		static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
		bool val = false, found = false;
		for (size_t i = 0; i < 3 && !found; i++) {
			if (len == strlen(yes[i]) && !strncasecmp(s, yes[i], len))
				val = found = true;
			else if (len == strlen(no[i]) && !strncasecmp(s, no[i], len))
				found = true;
		}
		if (!found)
			return vr_cfg_type_err(c, k, node);
		*(bool *)field = val;
		break;
	}
	case VR_CFG_T_STRING:
		if (len == 0 && !(k->flags & VR_CFG_F_EMPTY))
			return vr_cfg_value_err(c, node, "must not be empty");
		if (len >= k->size)
			return vr_cfg_value_err(c, node, "too long: %zu bytes, at most %zu", len, k->size - 1);
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)s[i];
			bool ok = (k->flags & VR_CFG_F_NAME) ? (isalnum(ch) || ch == '_' || ch == '-' || ch == '.')
							     : (ch >= 0x20 && ch != 0x7f);
			if (!ok)
				return vr_cfg_value_err(c, node, "%s: character %zu is not allowed%s",
							vr_cfg_quote(s, len, q, sizeof(q)), i + 1,
							(k->flags & VR_CFG_F_NAME) ? " (letters, digits, '_', '-', '.')"
										   : "");
		}
		memcpy(field, s, len);
		field[len] = '\0';
		break;
	case VR_CFG_T_ENUM: {
		const struct vr_cfg_enum *e;
		for (e = k->names; e->name; e++)
			if (strlen(e->name) == len && !memcmp(e->name, s, len))
				break;
		if (!e->name)
			return vr_cfg_type_err(c, k, node);
		*field = e->value;
		break;
	}
	case VR_CFG_T_IPV4:
	case VR_CFG_T_IPV6: {
		int fam = k->type == VR_CFG_T_IPV4 ? AF_INET : AF_INET6, other = fam == AF_INET ? AF_INET6 : AF_INET;
		uint8_t b[16];

		if (!parse_inet(fam, s, len, field)) {
			if (parse_inet(other, s, len, b))
				return vr_cfg_value_err(c, node, "%s is an IPv%d address; expected IPv%d",
							vr_cfg_quote(s, len, q, sizeof(q)), fam == AF_INET ? 6 : 4,
							fam == AF_INET ? 4 : 6);
			return vr_cfg_type_err(c, k, node);
		}
		break;
	}
	case VR_CFG_T_ADDR: {
		char buf[INET6_ADDRSTRLEN + 1];
		if (len >= sizeof(buf))
			return vr_cfg_type_err(c, k, node);
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (vr_addr_parse(buf, (struct vr_addr *)field))
			return vr_cfg_type_err(c, k, node);
		break;
	}
	case VR_CFG_T_MAC:
		if (!parse_mac(s, len, field))
			return vr_cfg_type_err(c, k, node);
		break;
	case VR_CFG_T_DURATION: {
		uint32_t unit = k->unit ? k->unit : 1;
		char lo[24], hi[24];
		if (!parse_duration(s, len, (k->flags & VR_CFG_F_BARE_MS) ? 1 : 1000, &v))
			return vr_cfg_type_err(c, k, node);
		if (v < k->min || v > k->max) {
			vr_cfg_fmt_duration(k->min, lo, sizeof(lo));
			vr_cfg_fmt_duration(k->max, hi, sizeof(hi));
			return vr_cfg_value_err(c, node, "%s is out of range %s..%s",
						vr_cfg_quote(s, len, q, sizeof(q)), lo, hi);
		}
		if (v % unit)
			return vr_cfg_value_err(c, node, "%s: must be a whole number of %s",
						vr_cfg_quote(s, len, q, sizeof(q)), unit == 1000 ? "seconds" : "units");
		store_uint(field, k->size, v / unit);
		break;
	}
	case VR_CFG_T_PORT_RANGE: {
		uint64_t lo, hi;
		const char *dash = memchr(s, '-', len);
		if (dash && !(k->flags & VR_CFG_F_SINGLE)) {
			if (!parse_u64(s, (size_t)(dash - s), &lo) ||
			    !parse_u64(dash + 1, len - (size_t)(dash - s) - 1, &hi))
				return vr_cfg_type_err(c, k, node);
		} else {
			if (!parse_u64(s, len, &lo))
				return vr_cfg_type_err(c, k, node);
			hi = lo;
		}
		if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535)
			return vr_cfg_value_err(c, node, "%s is out of range 1..65535",
						vr_cfg_quote(s, len, q, sizeof(q)));
		if (lo > hi)
			return vr_cfg_value_err(c, node, "%s: the range is reversed",
						vr_cfg_quote(s, len, q, sizeof(q)));
		uint16_t p[2] = {(uint16_t)lo, (uint16_t)hi};
		memcpy(field, p, sizeof(p));
		break;
	}
	default:
		return vr_cfg_value_err(c, node, "internal error: key type %u is not a scalar", k->type);
	}
	if (k->present)
		*(bool *)((uint8_t *)obj + k->present - 1) = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* lists */

int vr_cfg_parse_uint_list(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, yaml_node_t *node)
{
	uint32_t *arr = (uint32_t *)((uint8_t *)obj + k->off);
	uint32_t *count = (uint32_t *)((uint8_t *)obj + k->count_off);
	struct vr_cfg_key elem = *k;
	uint32_t n = 0;

	elem.type = VR_CFG_T_UINT;
	elem.size = sizeof(uint32_t);
	elem.present = 0;
	elem.flags = 0;
	*count = 0;
	int rc = vr_cfg_seq_len(c, k, node, &n);

	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		yaml_node_t *it = vr_cfg_node(c, node->data.sequence.items.start[i]);
		size_t saved = vr_cfg_path_push(c, "[%u]", i);
		int rc;
		elem.off = 0;
		if (!it || it->type != YAML_SCALAR_NODE || vr_cfg_node_is_null(it))
			rc = vr_cfg_type_err(c, &elem, it ? it : node);
		else
			rc = vr_cfg_conv_scalar(c, &elem, &arr[i], (const char *)it->data.scalar.value,
						it->data.scalar.length, it);
		if (!rc && (k->flags & VR_CFG_F_DISTINCT))
			for (uint32_t j = 0; j < i; j++)
				if (arr[j] == arr[i]) {
					rc = vr_cfg_value_err(c, it, "%" PRIu32 " is listed twice", arr[i]);
					break;
				}
		vr_cfg_path_pop(c, saved);
		if (rc)
			return rc;
		*count = i + 1;
	}
	return 0;
}

int vr_cfg_parse_string_list(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, void *obj, yaml_node_t *node)
{
	char **arr = (char **)((uint8_t *)obj + k->off);
	uint32_t *count = (uint32_t *)((uint8_t *)obj + k->count_off);
	uint32_t n = 0;

	int rc = vr_cfg_seq_len(c, k, node, &n);

	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		yaml_node_t *it = vr_cfg_node(c, node->data.sequence.items.start[i]);
		size_t saved = vr_cfg_path_push(c, "[%u]", i);
		int rc = 0;
		if (!it || it->type != YAML_SCALAR_NODE || vr_cfg_node_is_null(it)) {
			struct vr_cfg_key elem = *k;
			elem.type = VR_CFG_T_STRING;
			rc = vr_cfg_type_err(c, &elem, it ? it : node);
		} else {
			const char *s = (const char *)it->data.scalar.value;
			size_t len = it->data.scalar.length;
			if (len == 0)
				rc = vr_cfg_value_err(c, it, "must not be empty");
			else if (len >= k->size)
				rc = vr_cfg_value_err(c, it, "too long: %zu bytes, at most %zu", len, k->size - 1);
			else if (memchr(s, '\0', len)) /* verbatim, but a C string */
				rc = vr_cfg_value_err(c, it, "contains a NUL character");
			else if (!(arr[i] = strndup(s, len)))
				rc = vr_cfg_nomem(c);
		}
		vr_cfg_path_pop(c, saved);
		if (rc)
			return rc;
		*count = i + 1; /* counted as soon as owned, so vr_config_free() frees it */
	}
	return 0;
}

int vr_cfg_seq_len(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, yaml_node_t *node, uint32_t *n)
{
	*n = 0;
	if (!vr_cfg_node_is_null(node)) {
		if (node->type != YAML_SEQUENCE_NODE)
			return vr_cfg_type_err(c, k, node);
		*n = (uint32_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	}
	if (*n < k->cmin || *n > k->cmax)
		return vr_cfg_count_err(c, k, node, *n);
	return 0;
}
