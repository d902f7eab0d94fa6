/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-exporter: serves voxrelay-dp's DPDK telemetry as Prometheus metrics on GET /metrics. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter.h"

#define DEFAULT_LISTEN "127.0.0.1:9581"
#define DEFAULT_TIMEOUT_MS 2000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " VR_EXP_PROG " --file-prefix PREFIX [--listen HOST:PORT] [--telemetry-socket PATH]\n"
		"                         [--timeout-ms MS] [--relay-max-rooms N] [--relay-max-ssrcs N]\n"
		"Serves the counters of the voxrelay-dp instance with EAL file prefix PREFIX (DPDK telemetry)\n"
		"as Prometheus metrics on http://HOST:PORT/metrics (default " DEFAULT_LISTEN ").\n"
		"  --telemetry-socket PATH  instead of DPDK's default <runtime dir>/dpdk/PREFIX/dpdk_telemetry.v2\n"
		"  --timeout-ms MS          wait for each telemetry reply at most MS ms (default %d)\n"
		"  --relay-max-rooms N      relay role: per-room series of at most N rooms (default %d, 0 none)\n"
		"  --relay-max-ssrcs N      relay role: per-SSRC series of at most N SSRCs (default %d, 0 none)\n"
		"While the dataplane is not running, /metrics still answers, with voxrelay_dp_up 0.\n",
		DEFAULT_TIMEOUT_MS, VR_EXP_RELAY_MAX_ROOMS, VR_EXP_RELAY_MAX_SSRCS);
}

/* The same runtime directory DPDK's EAL picks, so both sides agree without configuration. */
static void default_socket(const char *prefix, char *buf, size_t n)
{
	const char *dir = "/var/run";

	if (getuid() != 0) {
		const char *x = getenv("XDG_RUNTIME_DIR");
		dir = x != NULL && x[0] ? x : "/tmp";
	}
	snprintf(buf, n, "%s/dpdk/%s/dpdk_telemetry.v2", dir, prefix);
}

static int handle(void *arg, const char *path, char **body, size_t *len, const char **ctype)
{
	struct vr_exporter *x = arg;
	static const char index_page[] =
		"<html><head><title>voxrelay-exporter</title></head><body>"
		"<h1>voxrelay-exporter</h1><p><a href=\"/metrics\">/metrics</a></p></body></html>\n";

	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		return vr_exporter_scrape(x, body, len) == 0 ? 200 : 500;
	}
	if (strcmp(path, "/") == 0) {
		*ctype = "text/html; charset=utf-8";
		*body = strdup(index_page);
		*len = sizeof(index_page) - 1;
		return 200;
	}
	*body = strdup("not found: try /metrics\n");
	*len = *body ? strlen(*body) : 0;
	return 404;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file-prefix", required_argument, NULL, 'f'},
		{"listen", required_argument, NULL, 'l'},
		{"telemetry-socket", required_argument, NULL, 's'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"relay-max-rooms", required_argument, NULL, 'R'},
		{"relay-max-ssrcs", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static struct vr_exporter x;
	struct vr_http_server srv;
	struct vr_http_handler h = {.fn = handle, .arg = &x};
	const char *prefix = NULL, *listen_addr = DEFAULT_LISTEN, *sock = NULL;
	char path[sizeof(x.tel.path)];
	long timeout = DEFAULT_TIMEOUT_MS, max_rooms = VR_EXP_RELAY_MAX_ROOMS, max_ssrcs = VR_EXP_RELAY_MAX_SSRCS;
	struct sigaction sa;
	int c;

	while ((c = getopt_long(argc, argv, "f:l:s:t:hV", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'f':
			prefix = optarg;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*end != '\0' || timeout < 1 || timeout > 60000) {
				fprintf(stderr, VR_EXP_PROG ": --timeout-ms: 1..60000\n");
				return 2;
			}
			break;
		case 'R':
		case 'S': {
			long *n = c == 'R' ? &max_rooms : &max_ssrcs;

			*n = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || *n < 0 || *n > 1000000) {
				fprintf(stderr, VR_EXP_PROG ": --relay-max-%s: 0..1000000\n", c == 'R' ? "rooms" : "ssrcs");
				return 2;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(VR_EXP_PROG " " VR_EXP_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (prefix == NULL && sock == NULL)) {
		usage(stderr);
		return 2;
	}
	if (prefix != NULL && (prefix[0] == '\0' || strchr(prefix, '/') != NULL)) {
		fprintf(stderr, VR_EXP_PROG ": --file-prefix: a name, no '/'\n");
		return 2;
	}
	if (sock != NULL) {
		if (strlen(sock) >= sizeof(path)) {
			fprintf(stderr, VR_EXP_PROG ": --telemetry-socket: longer than %zu bytes\n", sizeof(path) - 1);
			return 2;
		}
		snprintf(path, sizeof(path), "%s", sock);
	} else {
		default_socket(prefix, path, sizeof(path));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;  /* no SA_RESTART: poll returns and the loop sees stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	vr_exporter_init(&x, path, (int)timeout);
	x.relay_max_rooms = (size_t)max_rooms;
	x.relay_max_ssrcs = (size_t)max_ssrcs;
	if (vr_http_listen(&srv, listen_addr) < 0)
		return 1;
	fprintf(stderr, VR_EXP_PROG ": serving http://%s/metrics from telemetry %s\n", srv.bound, path);
	while (!stop) {
		if (vr_http_poll(&srv, 1000, &h) < 0) {
			fprintf(stderr, VR_EXP_PROG ": poll: %s\n", strerror(errno));
			break;
		}
	}
	vr_http_close(&srv);
	vr_tel_close(&x.tel);
	free(x.tel.buf);
	return stop ? 0 : 1;
}
