/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target over voxrelayctl's answer path: any line through the parser and every renderer; nothing may crash or reach the terminal raw. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* A request of each op, with the args the renderers read to name things. */
static const char *const request_texts[] = {
	"{\"op\":\"ping\"}",
	"{\"op\":\"vip.list\"}",
	"{\"op\":\"vip.add\",\"args\":{\"address\":\"10.0.0.1\",\"ports\":\"5000-5999\"}}",
	"{\"op\":\"vip.remove\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":5000}}",
	"{\"op\":\"backend.add\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":5000,\"address\":\"10.0.0.2\"}}",
	"{\"op\":\"backend.remove\",\"args\":{\"vip\":\"fd00::1\",\"port\":5000,\"address\":\"fd00::2\"}}",
	"{\"op\":\"backend.set\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":5000,\"address\":\"10.0.0.2\",\"weight\":2}}",
	"{\"op\":\"maglev.shares\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":5000}}",
	"{\"op\":\"stats\"}",
	"{\"op\":\"conntrack.list\"}",
	"{\"op\":\"conntrack.flush\"}",
	"{\"op\":\"reload\"}",
	"{\"op\":\"room.add\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":40000}}",
	"{\"op\":\"room.remove\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":40000}}",
	"{\"op\":\"room.list\"}",
	"{\"op\":\"room.show\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":40000}}",
	"{\"op\":\"member.add\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":40000,\"id\":7}}",
	"{\"op\":\"member.remove\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":40000,\"id\":7}}",
	("{\"op\":\"member.set\",\"args\":{\"vip\":\"fd00::1\",\"port\":40000,\"id\":7,\"client_address\":\"fd00::7\","
	 "\"client_port\":5000}}"),
	"{\"op\":\"member.set\",\"args\":{\"vip\":\"10.0.0.1\",\"port\":40000,\"id\":7}}",
	"{\"op\":\"relay.slowpath\",\"args\":{\"peek\":true}}",
	"{\"op\":\"unknown.op\"}",
};

#define NB_REQUESTS (sizeof(request_texts) / sizeof(request_texts[0]))

static json_t *requests[NB_REQUESTS];

/* What people see must carry no control character but the newlines between lines (C1 included). */
static void check_printable(const char *what, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\n') || ch == 0x7f ||
		    (ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] < 0xa0)) {
			fprintf(stderr, "%s: byte 0x%02x at %zu reaches the terminal\n", what, ch, i);
			abort();
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < NB_REQUESTS; i++) {
		requests[i] = json_loads(request_texts[i], 0, NULL);
		if (requests[i] == NULL)
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_ctl_response r;
	char err[VR_CTL_ERR_LEN], *out = NULL;
	size_t len = 0;
	FILE *f;

	if (vr_ctl_parse_response((const char *)data, size, 1, &r, err, sizeof(err)) != 0) {
		check_printable("parse error", err, strlen(err));
		if (strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	f = open_memstream(&out, &len);
	if (f == NULL)
		return 0;
	if (!r.ok) {
		vr_ctl_render_refusal(f, &r);
	} else {
		for (size_t i = 0; i < NB_REQUESTS; i++) {
			err[0] = '\0';
			if (vr_ctl_render(f, requests[i], r.result, err, sizeof(err)) != 0) {
				check_printable("render error", err, strlen(err));
				if (strchr(err, '\n') != NULL)
					abort();
			}
		}
	}
	fclose(f);
	check_printable("output", out, len);
	free(out);
	/* JSON output is jansson's escaping: run it for the sanitizers, not for its bytes */
	if (r.ok) {
		f = fopen("/dev/null", "w");
		if (f != NULL) {
			vr_ctl_render_json(f, r.result);
			fclose(f);
		}
	}
	vr_ctl_response_clear(&r);
	return 0;
}
