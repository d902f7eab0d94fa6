/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gw-load, the load client of scripts/bench.sh gateway: command line, set-up (key, file limit, sources, workers), main. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include <openssl/crypto.h>

#include "gw_priv.h"

#define MAX_SOURCES 250

struct vr_gw_opts vr_gw_opt = {
	.host = "127.0.0.1",
	.port = 8080,
	.path = "/ws/chat",
	.prefix = "u",
	.hold_s = 10,
	.chats = 1000,
	.members = 10,
	.inflight = 4,
	.warmup_s = 3,
	.duration_s = 10,
	.size = 64,
	.threads = 1,
	.concurrency = 512,
	.connect_timeout_s = 300,
};

struct vr_jwt_key *vr_gw_key;
int vr_gw_phase;
volatile sig_atomic_t vr_gw_stop_requested;
int vr_gw_fatal;
uint32_t vr_gw_nconns_total;
uint32_t vr_gw_nsources;
struct vr_gw_worker *vr_gw_workers;

/* The HS256 key from the secret file, read as voxrelay-cp reads it. */
static int load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	char secret[4096];
	size_t n;

	if (!f) {
		fprintf(stderr, "gw_load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(secret, 1, sizeof(secret), f);
	fclose(f);
	/* as voxrelay-cp reads it: a trailing newline is not part of the secret */
	while (n && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
		n--;
	if (!n) {
		fprintf(stderr, "gw_load: %s: empty secret\n", path);
		return -1;
	}
	vr_gw_key = vr_jwt_key_hmac(secret, n);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (!vr_gw_key) {
		fprintf(stderr, "gw_load: %s: not a usable HS256 secret: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int raise_nofile(uint32_t need)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need)
		rl.rlim_max = need; /* only root may raise the hard limit (up to fs.nr_open) */
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		fprintf(stderr,
			"gw_load: %u connections need %u file descriptors; RLIMIT_NOFILE is %llu (hard %llu): "
			"raise it (ulimit -n %u as root; fs.nr_open bounds it)\n",
			vr_gw_nconns_total, need, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, need);
		return -1;
	}
	return 0;
}

/* Loopback sources needed: the ephemeral range serves each source address once per destination. */
static uint32_t sources_needed(uint32_t n)
{
	unsigned lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	uint32_t per, k;

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	per = (hi - lo + 1) * 9 / 10; /* leave room for TIME_WAIT left by earlier runs */
	k = (n + per - 1) / per;
	return k < 1 ? 1 : k;
}

static int setup_workers(void)
{
	uint32_t groups = (vr_gw_nconns_total + vr_gw_opt.members - 1) / vr_gw_opt.members;

	vr_gw_workers = calloc(vr_gw_opt.threads, sizeof(*vr_gw_workers));
	if (!vr_gw_workers)
		return -1;
	for (uint32_t t = 0; t < vr_gw_opt.threads; t++) {
		struct vr_gw_worker *w = &vr_gw_workers[t];
		uint32_t mygroups = groups / vr_gw_opt.threads + (t < groups % vr_gw_opt.threads), k = 0;

		w->id = (int)t;
		w->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)t << 32) ^ (uint64_t)vr_gw_now_ns();
		w->seen_phase = VR_GW_PH_CONNECT;
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->rx = malloc(VR_GW_RX_SCRATCH);
		w->tx = malloc(VR_GW_TX_SCRATCH);
		w->conns = calloc((size_t)mygroups * vr_gw_opt.members, sizeof(*w->conns));
		w->chats = vr_gw_opt.fanout ? calloc(mygroups ? mygroups : 1, sizeof(*w->chats)) : NULL;
		if (w->ep < 0 || !w->rx || !w->tx || !w->conns || (vr_gw_opt.fanout && !w->chats))
			return -1;
		/* group g (a chat's members, or ten connections) lives on worker g mod threads */
		for (uint32_t g = t; g < groups; g += vr_gw_opt.threads) {
			if (vr_gw_opt.fanout) {
				w->chats[w->nchats].first = k;
				w->nchats++;
			}
			for (uint32_t m = 0; m < vr_gw_opt.members && g * vr_gw_opt.members + m < vr_gw_nconns_total;
			     m++, k++) {
				struct vr_gw_conn *c = &w->conns[k];

				c->fd = -1;
				c->gidx = g * vr_gw_opt.members + m;
				c->chat = vr_gw_opt.fanout ? w->nchats - 1 : 0;
			}
		}
		w->nconns = k;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: voxrelay-gw-load --secret FILE [--host A] [--port P] [--path /ws/chat]\n"
		"         (--connect N [--hold S] | --fanout [--chats C] [--members M] [--rate R | --inflight W]\n"
		"          [--warmup S] [--duration S] [--size B])\n"
		"         [--threads T] [--sources K] [--concurrency K] [--user-prefix P]\n"
		"         [--server-pid PID] [--redis-pid PID] [--connect-timeout S] [--json]\n"
		"  --connect N     open N connections, authenticate each (user <prefix><i>), answer pings and send\n"
		"                  heartbeats at the server's interval; report when all are ready, hold S seconds\n"
		"                  (default 10, 0 = until SIGINT/SIGTERM); with --server-pid, its RSS per connection\n"
		"  --fanout        C chats of M members (distinct users; default 1000 x 10): member 0 creates the chat,\n"
		"                  the others join it by id; then member 0 of every chat sends messages whose content\n"
		"                  carries the send time, at R messages/s in all, or flat out with W per sender not yet\n"
		"                  delivered back to it (default 4); every member's copy is a delivery; warm-up S (3), then a\n"
		"                  measured window of S seconds (10): deliveries/s, latency p50/p95/p99, and with\n"
		"                  --server-pid deliveries per second of the server's CPU time\n"
		"  --sources K     bind to 127.0.0.1..127.0.0.K (default: as many as the ephemeral port range needs)\n"
		"  --concurrency K connections being opened and authenticated at once (default 512)\n"
		"  --threads T     worker threads, each with its own connections (default 1)\n"
		"  --json          end with one JSON object on stdout\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", required_argument, NULL, 'H'},       {"port", required_argument, NULL, 'p'},
		{"path", required_argument, NULL, 'P'},       {"secret", required_argument, NULL, 's'},
		{"connect", required_argument, NULL, 'n'},    {"hold", required_argument, NULL, 'o'},
		{"fanout", no_argument, NULL, 'f'},           {"chats", required_argument, NULL, 'c'},
		{"members", required_argument, NULL, 'm'},    {"rate", required_argument, NULL, 'r'},
		{"inflight", required_argument, NULL, 'i'},   {"warmup", required_argument, NULL, 'w'},
		{"duration", required_argument, NULL, 'd'},   {"size", required_argument, NULL, 'b'},
		{"threads", required_argument, NULL, 't'},    {"sources", required_argument, NULL, 'S'},
		{"concurrency", required_argument, NULL, 'k'}, {"user-prefix", required_argument, NULL, 'u'},
		{"server-pid", required_argument, NULL, 'x'}, {"redis-pid", required_argument, NULL, 'y'},
		{"connect-timeout", required_argument, NULL, 'T'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
	};
	const char *secret = NULL;
	struct in_addr a;
	int o;

	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case 'H': snprintf(vr_gw_opt.host, sizeof(vr_gw_opt.host), "%s", optarg); break;
		case 'p': vr_gw_opt.port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'P': snprintf(vr_gw_opt.path, sizeof(vr_gw_opt.path), "%s", optarg); break;
		case 's': secret = optarg; break;
		case 'n': vr_gw_opt.connect = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'o': vr_gw_opt.hold_s = strtod(optarg, NULL); break;
		case 'f': vr_gw_opt.fanout = true; break;
		case 'c': vr_gw_opt.chats = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'm': vr_gw_opt.members = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': vr_gw_opt.rate = strtod(optarg, NULL); break;
		case 'i': vr_gw_opt.inflight = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'w': vr_gw_opt.warmup_s = strtod(optarg, NULL); break;
		case 'd': vr_gw_opt.duration_s = strtod(optarg, NULL); break;
		case 'b': vr_gw_opt.size = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': vr_gw_opt.threads = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S': vr_gw_opt.sources = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'k': vr_gw_opt.concurrency = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'u': snprintf(vr_gw_opt.prefix, sizeof(vr_gw_opt.prefix), "%s", optarg); break;
		case 'x': vr_gw_opt.server_pid = atoi(optarg); break;
		case 'y': vr_gw_opt.redis_pid = atoi(optarg); break;
		case 'T': vr_gw_opt.connect_timeout_s = strtod(optarg, NULL); break;
		case 'j': vr_gw_opt.json = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || !secret || (vr_gw_opt.fanout == (vr_gw_opt.connect > 0))) {
		usage(stderr);
		return -1;
	}
	if (inet_pton(AF_INET, vr_gw_opt.host, &a) != 1 || !vr_gw_opt.port || vr_gw_opt.port > 65535) {
		fprintf(stderr, "gw_load: --host must be an IPv4 address and --port 1-65535\n");
		return -1;
	}
	if (!vr_gw_opt.threads || !vr_gw_opt.members || vr_gw_opt.members > 100 || !vr_gw_opt.concurrency || (vr_gw_opt.fanout && !vr_gw_opt.chats) ||
	    vr_gw_opt.size > 4000 || vr_gw_opt.inflight == 0 || (vr_gw_opt.fanout && vr_gw_opt.duration_s <= 0)) {
		fprintf(stderr, "gw_load: bad numbers (members 1-100, size at most 4000, threads/inflight/chats > 0)\n");
		return -1;
	}
	if (vr_gw_opt.sources > MAX_SOURCES) {
		fprintf(stderr, "gw_load: at most %d source addresses\n", MAX_SOURCES);
		return -1;
	}
	if (vr_gw_opt.sources && (ntohl(a.s_addr) >> 24) != 127) {
		fprintf(stderr, "gw_load: --sources needs a loopback --host\n");
		return -1;
	}
	return load_key(secret);
}

static void on_signal(int sig)
{
	(void)sig;
	vr_gw_stop_requested = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	int64_t t0;

	if (parse_args(argc, argv) != 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	vr_gw_nconns_total = vr_gw_opt.fanout ? vr_gw_opt.chats * vr_gw_opt.members : vr_gw_opt.connect;
	if (!vr_gw_opt.fanout)
		vr_gw_opt.members = 10; /* connect mode: groups of ten only spread connections over workers */
	vr_gw_nsources = vr_gw_opt.sources ? vr_gw_opt.sources : sources_needed(vr_gw_nconns_total);
	if (vr_gw_nsources > MAX_SOURCES) {
		fprintf(stderr, "gw_load: %u connections need more than %d loopback source addresses\n",
			vr_gw_nconns_total, MAX_SOURCES);
		return 2;
	}
	if (vr_gw_nsources > 1 && (ntohl(inet_addr(vr_gw_opt.host)) >> 24) != 127) {
		fprintf(stderr, "gw_load: %u connections to one non-loopback address exceed the ephemeral port range\n",
			vr_gw_nconns_total);
		return 2;
	}
	if (raise_nofile(vr_gw_nconns_total + 256) != 0)
		return 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (setup_workers() != 0) {
		fprintf(stderr, "gw_load: out of memory\n");
		return 2;
	}
	printf("gw_load: %s %u connections to %s:%u%s from %u source address%s, %u thread%s\n",
	       vr_gw_opt.fanout ? "fanout," : "connect,", vr_gw_nconns_total, vr_gw_opt.host, vr_gw_opt.port,
	       vr_gw_opt.path, vr_gw_nsources, vr_gw_nsources == 1 ? "" : "es", vr_gw_opt.threads,
	       vr_gw_opt.threads == 1 ? "" : "s");
	t0 = vr_gw_now_ns();
	return vr_gw_opt.fanout ? vr_gw_run_fanout(t0) : vr_gw_run_connect(t0);
}
