/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus text exposition (format 0.0.4): families with HELP/TYPE, samples grouped per family, escaping. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

void vr_metrics_init(struct vr_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

void vr_metrics_free(struct vr_metrics *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->fams[i].name);
		free(m->fams[i].help);
		free(m->fams[i].body);
	}
	free(m->fams);
	memset(m, 0, sizeof(*m));
}

bool vr_metrics_has(const struct vr_metrics *m, const char *family)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->fams[i].name, family) == 0)
			return true;
	return false;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t nc = *cap ? *cap : 256;
	char *nb;

	while (nc < need)
		nc *= 2;
	if (nc == *cap)
		return 0;
	nb = realloc(*buf, nc);
	if (nb == NULL)
		return -ENOMEM;
	*buf = nb;
	*cap = nc;
	return 0;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (grow(buf, cap, *len + n + 1) < 0)
		return -ENOMEM;
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

static struct vr_metric_family *family(struct vr_metrics *m, const char *name, const char *type, const char *help)
{
	struct vr_metric_family *f;

	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->fams[i].name, name) == 0)
			return strcmp(m->fams[i].type, type) == 0 ? &m->fams[i] : NULL;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 32;
		struct vr_metric_family *nf = realloc(m->fams, nc * sizeof(*nf));
		if (nf == NULL) {
			m->oom = true;
			return NULL;
		}
		m->fams = nf;
		m->cap = nc;
	}
	f = &m->fams[m->n];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->help = strdup(help);
	f->type = type;
	if (f->name == NULL || f->help == NULL) {
		free(f->name);
		free(f->help);
		m->oom = true;
		return NULL;
	}
	m->n++;
	return f;
}

int vr_metrics_add(struct vr_metrics *m, const char *fam, const char *type, const char *help, const char *suffix,
		   const struct vr_labels *l, const char *value)
{
	struct vr_metric_family *f = family(m, fam, type, help);
	char line[1536];
	int n;

	if (f == NULL)
		return m->oom ? -ENOMEM : -EEXIST;
	if (l != NULL && l->overflow)
		return -E2BIG;
	n = snprintf(line, sizeof(line), "%s%s%s%s%s %s\n", fam, suffix ? suffix : "",
		     l && l->len ? "{" : "", l && l->len ? l->s : "", l && l->len ? "}" : "", value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	if (append(&f->body, &f->len, &f->cap, line, (size_t)n) < 0) {
		m->oom = true;
		return -ENOMEM;
	}
	return 0;
}

int vr_metrics_add_u64(struct vr_metrics *m, const char *fam, const char *type, const char *help,
		       const struct vr_labels *l, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return vr_metrics_add(m, fam, type, help, NULL, l, s);
}

void vr_format_double(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "NaN");
	else if (isinf(v))
		snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(buf, n, "%.15g", v);
}

int vr_metrics_add_double(struct vr_metrics *m, const char *fam, const char *type, const char *help,
			  const char *suffix, const struct vr_labels *l, double v)
{
	char s[40];

	vr_format_double(s, sizeof(s), v);
	return vr_metrics_add(m, fam, type, help, suffix, l, s);
}

/* HELP text escapes only backslash and newline; label values also escape the double quote. */
static int append_escaped(char **buf, size_t *len, size_t *cap, const char *s, bool quote)
{
	for (; *s; s++) {
		const char *e = NULL;

		if (*s == '\\')
			e = "\\\\";
		else if (*s == '\n')
			e = "\\n";
		else if (quote && *s == '"')
			e = "\\\"";
		if (append(buf, len, cap, e ? e : s, e ? 2 : 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

int vr_metrics_render(const struct vr_metrics *m, char **out, size_t *len, size_t *cap)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct vr_metric_family *f = &m->fams[i];
		char head[512];
		int n;

		if (f->len == 0)
			continue;
		n = snprintf(head, sizeof(head), "# HELP %s ", f->name);
		if (append(out, len, cap, head, (size_t)n) < 0 || append_escaped(out, len, cap, f->help, false) < 0)
			return -ENOMEM;
		n = snprintf(head, sizeof(head), "\n# TYPE %s %s\n", f->name, f->type);
		if (append(out, len, cap, head, (size_t)n) < 0 || append(out, len, cap, f->body, f->len) < 0)
			return -ENOMEM;
	}
	if (*out == NULL && append(out, len, cap, "", 0) < 0)
		return -ENOMEM;
	return 0;
}

void vr_labels_init(struct vr_labels *l)
{
	l->len = 0;
	l->s[0] = '\0';
	l->overflow = false;
}

static void labels_put(struct vr_labels *l, const char *s, size_t n)
{
	if (l->overflow || l->len + n + 1 > sizeof(l->s)) {
		l->overflow = true;
		return;
	}
	memcpy(l->s + l->len, s, n);
	l->len += n;
	l->s[l->len] = '\0';
}

void vr_labels_add(struct vr_labels *l, const char *name, const char *value)
{
	if (l->len)
		labels_put(l, ",", 1);
	labels_put(l, name, strlen(name));
	labels_put(l, "=\"", 2);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			labels_put(l, (char[]){'\\', *p}, 2);
		else if (*p == '\n')
			labels_put(l, "\\n", 2);
		else
			labels_put(l, p, 1);
	}
	labels_put(l, "\"", 1);
}

void vr_metric_name_sanitize(char *name)
{
	for (char *p = name; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':' ||
			  (p != name && *p >= '0' && *p <= '9');
		if (!ok)
			*p = '_';
	}
}
