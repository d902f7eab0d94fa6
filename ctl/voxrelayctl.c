/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelayctl: one command to the dataplane's control socket, its answer printed, the outcome in the exit status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int main(int argc, char **argv)
{
	struct vr_ctl_response resp = {0};
	struct vr_ctl_opts o;
	char err[VR_CTL_ERR_LEN];
	char *text = NULL, *line = NULL;
	json_t *req = NULL;
	size_t len = 0;
	bool connected;
	int cargc, rc, status;
	char **cargv;

	if (vr_ctl_parse_options(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, VR_CTL_PROG ": %s\n", err);
		vr_ctl_usage(stderr, 0, NULL);
		status = VR_CTL_EXIT_USAGE;
		goto out;
	}
	if (o.help) {
		vr_ctl_help(stdout);
		status = VR_CTL_EXIT_OK;
		goto out;
	}
	cargc = argc - o.cmd_index;
	cargv = argv + o.cmd_index;
	if (vr_ctl_wants_help(cargc, cargv)) {
		vr_ctl_usage(stdout, cargc, cargv);
		status = VR_CTL_EXIT_OK;
		goto out;
	}
	req = vr_ctl_build_request(cargc, cargv, err, sizeof(err));
	if (req == NULL) {
		fprintf(stderr, VR_CTL_PROG ": %s\n", err);
		if (errno == ENOMEM) {
			status = VR_CTL_EXIT_PROTOCOL; /* no code fits; not the user's fault at least */
			goto out;
		}
		vr_ctl_usage(stderr, cargc, cargv);
		status = VR_CTL_EXIT_USAGE;
		goto out;
	}
	if (json_object_set_new(req, "id", json_integer(VR_CTL_REQUEST_ID)) != 0 ||
	    (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		fprintf(stderr, VR_CTL_PROG ": out of memory\n");
		status = VR_CTL_EXIT_PROTOCOL;
		goto out;
	}
	/* json_dumps leaves room for nothing: the newline needs a copy */
	len = strlen(text);
	line = malloc(len + 2);
	if (line == NULL) {
		fprintf(stderr, VR_CTL_PROG ": out of memory\n");
		status = VR_CTL_EXIT_PROTOCOL;
		goto out;
	}
	memcpy(line, text, len);
	line[len++] = '\n';
	line[len] = '\0';
	free(text);
	text = line;
	line = NULL;

	rc = vr_ctl_exchange(o.socket, o.timeout_ms, text, len, &line, &len, &connected, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, VR_CTL_PROG ": %s\n", err);
		status = connected ? VR_CTL_EXIT_PROTOCOL : VR_CTL_EXIT_UNREACHABLE;
		goto out;
	}
	if (vr_ctl_parse_response(line, len, VR_CTL_REQUEST_ID, &resp, err, sizeof(err)) != 0) {
		fprintf(stderr, VR_CTL_PROG ": %s\n", err);
		status = VR_CTL_EXIT_PROTOCOL;
		goto out;
	}
	if (!resp.ok) {
		fputs(VR_CTL_PROG ": the dataplane refused: ", stderr);
		vr_ctl_render_refusal(stderr, &resp);
		status = VR_CTL_EXIT_REFUSED;
		goto out;
	}
	rc = o.json ? vr_ctl_render_json(stdout, resp.result) : vr_ctl_render(stdout, req, resp.result, err, sizeof(err));
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, VR_CTL_PROG ": %s\n", rc == -EPROTO ? err : strerror(-rc));
		status = VR_CTL_EXIT_PROTOCOL;
		goto out;
	}
	status = VR_CTL_EXIT_OK;
out:
	vr_ctl_response_clear(&resp);
	json_decref(req);
	free(text);
	free(line);
	/* a full disk or a closed pipe must not pass for success */
	if (fflush(stdout) != 0 && status == VR_CTL_EXIT_OK) {
		fprintf(stderr, VR_CTL_PROG ": cannot write the output: %s\n", strerror(errno));
		status = VR_CTL_EXIT_PROTOCOL;
	}
	return status;
}
