/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-decap: loads the decapsulation XDP program on an interface, fills its maps, reports its counters. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decap.skel.h"
#include "voxrelay/bpf_maps.h"
#include "voxrelay/decap.h"

_Static_assert(VR_BPF_AF_INET == AF_INET && VR_BPF_AF_INET6 == AF_INET6,
	       "decap.h family values must be the libc ones");

/* Exit codes (documented in docs/decap.md). */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1, /* load, attach or map update failed */
	EXIT_USAGE = 2,   /* bad or missing option / value */
	EXIT_NOIFACE = 3, /* the interface does not exist */
	EXIT_PERM = 4,    /* not root */
};

#define PROG "voxrelay-decap"
#define MAX_INTERVAL 86400u

struct opts {
	const char *iface;
	const char *vips[VR_DECAP_MAX_VIPS];
	unsigned int n_vips;
	unsigned int gue_port;
	__u32 xdp_flags;
	unsigned int interval; /* seconds, 0 = only on signal */
	int stats_only;
	int verbose;
};

static int verbose;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --iface IF --vip ADDR [--vip ADDR ...] [--gue-port PORT]\n"
		"                      [--mode native|generic] [--stats-interval S] [--verbose]\n"
		"       " PROG " --iface IF --stats\n"
		"\n"
		"Strips GUE (UDP to PORT, default %u) and IPIP/IP6IP6/4in6/6in4 from packets\n"
		"arriving on IF whose inner destination is a VIP, so sockets bound to the VIP\n"
		"(configured on lo) receive them. Stays in the foreground; SIGINT/SIGTERM print\n"
		"the counters and detach, SIGUSR1 prints them. --gue-port 0 turns GUE off.\n"
		"--stats prints the counters of the program already attached to IF.\n"
		"Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 no such interface, 4 not root.\n",
		6080u);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* Returns 0 to run, 1 after --help, or -EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"vip", required_argument, NULL, 'v'},
		{"gue-port", required_argument, NULL, 'p'},
		{"mode", required_argument, NULL, 'm'},
		{"stats-interval", required_argument, NULL, 's'},
		{"stats", no_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct vr_bpf_addr_key k;
	int c;

	memset(o, 0, sizeof(*o));
	o->gue_port = 6080;
	while ((c = getopt_long(argc, argv, "i:v:p:m:s:SVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->iface = optarg;
			break;
		case 'v':
			if (vr_bpf_addr_key_parse(optarg, &k) != 0) {
				fprintf(stderr, PROG ": --vip '%s' is not an IPv4 or IPv6 address\n", optarg);
				return -EXIT_USAGE;
			}
			if (o->n_vips == VR_DECAP_MAX_VIPS) {
				fprintf(stderr, PROG ": at most %d VIPs\n", VR_DECAP_MAX_VIPS);
				return -EXIT_USAGE;
			}
			o->vips[o->n_vips++] = optarg;
			break;
		case 'p':
			if (parse_uint(optarg, 65535, &o->gue_port) != 0) {
				fprintf(stderr, PROG ": --gue-port '%s' is not a port (0-65535)\n", optarg);
				return -EXIT_USAGE;
			}
			break;
		case 'm':
			if (strcmp(optarg, "native") == 0) {
				o->xdp_flags = XDP_FLAGS_DRV_MODE;
			} else if (strcmp(optarg, "generic") == 0) {
				o->xdp_flags = XDP_FLAGS_SKB_MODE;
			} else {
				fprintf(stderr, PROG ": --mode '%s': expected native or generic\n", optarg);
				return -EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_uint(optarg, MAX_INTERVAL, &o->interval) != 0) {
				fprintf(stderr, PROG ": --stats-interval '%s': expected 0-%u seconds\n",
					optarg, MAX_INTERVAL);
				return -EXIT_USAGE;
			}
			break;
		case 'S':
			o->stats_only = 1;
			break;
		case 'V':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return -EXIT_USAGE;
	}
	if (o->iface == NULL || *o->iface == '\0') {
		fprintf(stderr, PROG ": --iface is required\n");
		return -EXIT_USAGE;
	}
	if (strlen(o->iface) >= IF_NAMESIZE) {
		fprintf(stderr, PROG ": --iface '%s' is longer than an interface name can be\n", o->iface);
		return -EXIT_USAGE;
	}
	if (!o->stats_only && o->n_vips == 0) {
		fprintf(stderr, PROG ": at least one --vip is required\n");
		return -EXIT_USAGE;
	}
	return 0;
}

static int print_stats(int fd, const char *iface, const char *when)
{
	uint64_t v[VR_DECAP_STAT_MAX];
	int ret = vr_bpf_percpu_sum(fd, VR_DECAP_STAT_MAX, v);

	if (ret != 0) {
		fprintf(stderr, PROG ": reading counters: %s\n", strerror(-ret));
		return ret;
	}
	printf(PROG ": %s iface=%s", when, iface);
	for (unsigned int s = 0; s < VR_DECAP_STAT_MAX; s++)
		printf(" %s=%" PRIu64, vr_decap_stat_name(s), v[s]);
	printf("\n");
	fflush(stdout);
	return 0;
}

/* Prints the counters of the program attached to @ifindex, if it is ours (its `decap_stats` map). */
static int stats_of_attached(int ifindex, const char *iface)
{
	struct vr_bpf_map_ref stats = {.name = "decap_stats"};
	const struct bpf_map_info *mi = &stats.info;
	uint32_t prog_id;
	int rc = vr_bpf_xdp_maps(ifindex, &prog_id, &stats, 1), ret = EXIT_RUNTIME;

	if (rc == -ENOENT) {
		fprintf(stderr, PROG ": no XDP program attached to %s\n", iface);
		return ret;
	}
	if (rc != 0) {
		fprintf(stderr, PROG ": XDP program %u of %s: %s\n", prog_id, iface, strerror(-rc));
		return ret;
	}
	if (stats.fd < 0 || mi->type != BPF_MAP_TYPE_PERCPU_ARRAY || mi->value_size != sizeof(__u64) ||
	    mi->max_entries != VR_DECAP_STAT_MAX) {
		fprintf(stderr, PROG ": the XDP program on %s (id %u) is not voxrelay-decap's\n", iface, prog_id);
		goto out;
	}
	if (print_stats(stats.fd, iface, "stats") == 0)
		ret = EXIT_OK;
out:
	vr_bpf_maps_close(&stats, 1);
	return ret;
}

static int fill_maps(struct vr_decap_bpf *skel, const struct opts *o)
{
	__u32 key = VR_DECAP_CFG_GUE_PORT, port = o->gue_port;
	__u32 flags = VR_DECAP_VIP_ALL;

	if (bpf_map__update_elem(skel->maps.decap_config, &key, sizeof(key), &port, sizeof(port), BPF_ANY) != 0) {
		fprintf(stderr, PROG ": setting the GUE port: %s\n", strerror(errno));
		return -errno;
	}
	for (unsigned int i = 0; i < o->n_vips; i++) {
		struct vr_bpf_addr_key k;

		if (vr_bpf_addr_key_parse(o->vips[i], &k) != 0)
			return -EINVAL;
		if (bpf_map__update_elem(skel->maps.vips, &k, sizeof(k), &flags, sizeof(flags), BPF_ANY) != 0) {
			fprintf(stderr, PROG ": adding VIP %s: %s\n", o->vips[i], strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static const char *mode_name(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q) != 0)
		return "unknown";
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	default:
		return "unknown";
	}
}

/* Waits for signals; prints counters every @o->interval seconds and on SIGUSR1. */
static int run(int sfd, int stats_fd, const struct opts *o)
{
	struct pollfd pfd = {.fd = sfd, .events = POLLIN};
	int timeout = o->interval ? (int)(o->interval * 1000u) : -1;

	for (;;) {
		struct signalfd_siginfo si;
		int n = poll(&pfd, 1, timeout);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
			return -errno;
		}
		if (n == 0) {
			print_stats(stats_fd, o->iface, "stats");
			continue;
		}
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGUSR1)
			print_stats(stats_fd, o->iface, "stats");
		else
			return 0;
	}
}

int main(int argc, char **argv)
{
	struct vr_decap_bpf *skel = NULL;
	struct opts o;
	sigset_t mask, oldmask;
	int ifindex, link_fd = -1, sfd = -1, ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = parse_args(argc, argv, &o);
	if (ret != 0)
		return ret > 0 ? EXIT_OK : -ret;
	verbose = o.verbose;
	libbpf_set_print(libbpf_print);

	if (geteuid() != 0) {
		fprintf(stderr, PROG ": must run as root (loads BPF, attaches XDP)\n");
		return EXIT_PERM;
	}
	ifindex = (int)if_nametoindex(o.iface);
	if (ifindex == 0) {
		fprintf(stderr, PROG ": interface '%s' does not exist\n", o.iface);
		return EXIT_NOIFACE;
	}
	if (o.stats_only)
		return stats_of_attached(ifindex, o.iface);

	/* Block first so a signal during loading is not lost (nor kills us
	 * before we could detach). */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, PROG ": signalfd: %s\n", strerror(errno));
		ret = EXIT_RUNTIME;
		goto out_sig;
	}

	ret = EXIT_RUNTIME;
	skel = vr_decap_bpf__open_and_load();
	if (skel == NULL) {
		fprintf(stderr, PROG ": loading the BPF program: %s\n", strerror(errno));
		goto out_sfd;
	}
	if (fill_maps(skel, &o) != 0)
		goto out_skel;

	/* A BPF link, not a netlink attachment: if we die the kernel detaches
	 * the program, so a crashed loader never leaves stale XDP behind. */
	{
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = o.xdp_flags);

		link_fd = bpf_link_create(bpf_program__fd(skel->progs.vr_decap_xdp), ifindex, BPF_XDP, &lo);
	}
	if (link_fd < 0) {
		err = errno;
		if (err == EBUSY || err == EEXIST)
			fprintf(stderr,
				PROG ": %s already has an XDP program (another " PROG "? else remove it: "
				     "ip link set dev %s xdp off)\n",
				o.iface, o.iface);
		else if (err == EOPNOTSUPP && o.xdp_flags == XDP_FLAGS_DRV_MODE)
			fprintf(stderr, PROG ": %s has no native XDP support; try --mode generic\n", o.iface);
		else
			fprintf(stderr, PROG ": attaching to %s: %s\n", o.iface, strerror(err));
		goto out_skel;
	}
	printf(PROG ": attached to %s (ifindex %d, %s mode), GUE port %u%s, %u VIP(s):", o.iface, ifindex,
	       mode_name(ifindex), o.gue_port, o.gue_port ? "" : " (GUE off)", o.n_vips);
	for (unsigned int i = 0; i < o.n_vips; i++)
		printf(" %s", o.vips[i]);
	printf("\n");

	if (run(sfd, bpf_map__fd(skel->maps.decap_stats), &o) == 0)
		ret = EXIT_OK;
	print_stats(bpf_map__fd(skel->maps.decap_stats), o.iface, "final");
	close(link_fd);
	printf(PROG ": detached from %s\n", o.iface);
out_skel:
	vr_decap_bpf__destroy(skel);
out_sfd:
	close(sfd);
out_sig:
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return ret;
}
