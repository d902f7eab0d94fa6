/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-dp: start-up (config, EAL, ports, workers), signals and shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "ctlsock.h"
#include "dp.h"
#include "health.h"
#include "relay_dp.h"
#include "steer.h"

volatile sig_atomic_t vr_force_quit;
volatile sig_atomic_t vr_want_reload;
volatile sig_atomic_t vr_want_stats;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		vr_want_reload = 1;
	else if (sig == SIGUSR1)
		vr_want_stats = 1;
	else
		vr_force_quit = 1;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -c FILE [--stats-json OUT] [--control-script FILE]\n"
		"       %s --check-config FILE\n"
		"  -c, --config FILE     configuration (YAML); EAL settings come from it\n"
		"      --check-config F  validate F and exit (0 valid, 1 invalid)\n"
		"      --stats-json OUT  write the final counters to OUT as JSON at exit\n"
		"      --control-script F  control requests (one JSON line each, docs/control.md) run\n"
		"                        before any packet is read: rooms and members, VIP changes\n"
		"signals: HUP reloads FILE, USR1 prints counters, INT/TERM stop\n",
		prog, prog);
}

static int check_config(const char *path)
{
	char err[VR_CFG_ERR_LEN];
	struct vr_config *cfg = vr_dp_config_load(path, err, sizeof(err));
	struct vr_lb_state *st;

	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	st = vr_lb_state_build(cfg, NULL, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "%s: %s\n", path, err);
		vr_config_free(cfg);
		return 1;
	}
	if (cfg->role == VR_ROLE_RELAY)
		printf("%s: valid (role relay, %u relay VIPs)\n", path, cfg->nb_relay_vips);
	else
		printf("%s: valid (%u VIPs)\n", path, cfg->nb_vips);
	vr_lb_state_free(st);
	vr_config_free(cfg);
	return 0;
}

static int workers_init(struct vr_dp *dp)
{
	size_t qsz = rte_rcu_qsbr_get_memsize(dp->nb_workers);
	uint32_t ct_per_worker = dp->cfg->ct_capacity / dp->nb_workers;

	dp->qsv = rte_zmalloc("vr_rcu", qsz, RTE_CACHE_LINE_SIZE);
	if (dp->qsv == NULL || rte_rcu_qsbr_init(dp->qsv, dp->nb_workers) != 0)
		return -ENOMEM;
	dp->slow_ring = rte_ring_create("vr_slow", 1024, rte_socket_id(), RING_F_SC_DEQ);
	if (dp->slow_ring == NULL)
		return -rte_errno;
	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		unsigned int lcore = dp->cfg->worker_lcores[i];
		struct vr_worker *w;
		char name[RTE_RING_NAMESIZE];

		if (!rte_lcore_is_enabled(lcore))
			return -EINVAL;
		w = rte_zmalloc_socket("vr_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(lcore));
		if (w == NULL)
			return -ENOMEM;
		dp->workers[i] = w;
		w->lcore_id = lcore;
		w->index = (uint16_t)i;
		w->dp = dp;
		w->ct = vr_ct_create(ct_per_worker < 64 ? 64 : ct_per_worker,
				     (uint64_t)dp->cfg->ct_udp_timeout_ms * dp->tsc_hz / 1000, 0x5bd1e995u);
		if (w->ct == NULL)
			return -errno;
		snprintf(name, sizeof(name), "vr_ctl_tx_%u", i);
		w->tx_ring = rte_ring_create(name, 512, rte_lcore_to_socket_id(lcore), RING_F_SC_DEQ);
		if (w->tx_ring == NULL)
			return -rte_errno;
	}
	return 0;
}

static void workers_free(struct vr_dp *dp)
{
	for (uint32_t i = 0; i < dp->nb_workers; i++) {
		if (dp->workers[i] == NULL)
			continue;
		vr_ct_free(dp->workers[i]->ct);
		rte_ring_free(dp->workers[i]->tx_ring);
		rte_free(dp->workers[i]);
	}
	rte_ring_free(dp->slow_ring);
	rte_free(dp->qsv);
}

/*
 * Run each line of @path through the control handler, as if a client had
 * sent it, before any packet is read (rooms of a pcap replay, a preloaded
 * host). Answers go to stdout; the first refused request stops the start
 * with "file:line: message".
 */
static int run_script(struct vr_dp *dp, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned int lineno = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		char *answer = NULL;
		json_t *a;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (vr_dp_ctl_handle(dp, line, (size_t)n, &answer) == 1)
			vr_dp_ctl_flush(dp);
		a = answer != NULL ? json_loads(answer, 0, NULL) : NULL;
		if (a == NULL || !json_is_true(json_object_get(a, "ok"))) {
			const char *msg = json_string_value(json_object_get(json_object_get(a, "error"), "message"));

			fprintf(stderr, "%s:%u: %s\n", path, lineno, msg != NULL ? msg : "no answer");
			rc = -1;
		} else {
			fputs(answer, stdout);
		}
		json_decref(a);
		free(answer);
	}
	free(line);
	fclose(f);
	return rc;
}

/* Read CLOCK_MONOTONIC and the TSC together: state.history reports in the clients' clock. */
static void clock_pair(struct vr_dp *dp)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	dp->mono_tsc = rte_rdtsc();
	dp->mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", required_argument, NULL, 'k'},
		{"stats-json", required_argument, NULL, 'j'},
		{"control-script", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct vr_dp dp;
	char err[VR_CFG_ERR_LEN];
	const char *stats_json = NULL, *script = NULL;
	struct vr_lb_state *st;
	int opt, rc, ret = 1;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			dp.config_path = optarg;
			break;
		case 'k':
			return check_config(optarg);
		case 'j':
			stats_json = optarg;
			break;
		case 's':
			script = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (dp.config_path == NULL || optind != argc) {
		usage(argv[0]);
		return 2;
	}
	/* Everything is validated before EAL touches a port. */
	dp.cfg = vr_dp_config_load(dp.config_path, err, sizeof(err));
	if (dp.cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	st = vr_lb_state_build(dp.cfg, NULL, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "%s: %s\n", dp.config_path, err);
		goto out_cfg;
	}
	dp.state = st;
	pthread_mutex_init(&dp.ctl_lock, NULL);
	pthread_mutex_init(&dp.relay_cmd_lock, NULL);
	if (dp.cfg->role == VR_ROLE_RELAY && vr_relay_global_init() != 0) {
		fprintf(stderr, "%s: libsrtp initialisation failed\n", dp.config_path);
		goto out_state;
	}
	/* Claimed before EAL touches a port, so a second instance stops here. */
	if (dp.cfg->control_socket[0] != '\0') {
		dp.ctl = vr_ctl_server_open(dp.cfg->control_socket, dp.cfg->control_mode, dp.cfg->control_group,
					    vr_dp_ctl_handle, vr_dp_ctl_flush, &dp);
		if (dp.ctl == NULL) {
			fprintf(stderr, "%s: control socket %s: %s\n", dp.config_path, dp.cfg->control_socket,
				strerror(errno));
			goto out_state;
		}
	}

	/* A missing object file is one clear message here, not a PMD failure inside EAL. */
	if (vr_dp_steer_precheck(dp.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", dp.config_path, err);
		goto out_state;
	}
	rc = vr_dp_eal_init(dp.cfg, argv[0]);
	if (rc < 0) {
		fprintf(stderr, "%s: EAL initialisation failed: %s\n", dp.config_path, rte_strerror(-rc));
		goto out_state;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGUSR1, on_signal);
	dp.tsc_hz = rte_get_tsc_hz();
	for (uint32_t i = 0, us = 100; i < VR_DP_LONG_LOOP_LEVELS; i++, us *= 10)
		dp.long_loop_cycles[i] = dp.tsc_hz / 1000000 * us;
	dp.start_tsc = rte_rdtsc();
	clock_pair(&dp);
	dp.history[0].generation = dp.state->generation;
	dp.history[0].cause = VR_SWAP_START;
	dp.history[0].publish_tsc = dp.start_tsc;
	dp.history_head = 1;
	dp.nb_workers = dp.cfg->nb_workers;

	rc = workers_init(&dp);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "workers: %s\n", rte_strerror(-rc));
	if (dp.cfg->role == VR_ROLE_RELAY) {
		rc = vr_dp_relay_init(&dp);
		if (rc == 0)
			rc = vr_dp_relay_slow_init(&dp);
		if (rc < 0)
			rte_exit(EXIT_FAILURE, "relay: %s\n", rte_strerror(-rc));
	}
	rc = vr_dp_ports_init(&dp);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "ports: %s\n", rte_strerror(-rc));
	/* Before any packet is read: the maps are filled from the configuration. */
	if (vr_dp_steer_init(&dp, err, sizeof(err)) < 0)
		rte_exit(EXIT_FAILURE, "steering: %s\n", err);
	vr_dp_health_sync(&dp);
	if (vr_dp_telemetry_init(&dp) < 0)
		fprintf(stderr, "voxrelay-dp: telemetry commands not registered\n");
	for (uint32_t i = 0; i < dp.nb_workers; i++) {
		rc = rte_eal_remote_launch(dp.cfg->role == VR_ROLE_RELAY ? vr_dp_relay_worker_main : vr_dp_worker_main,
					   dp.workers[i], dp.workers[i]->lcore_id);
		if (rc != 0)
			rte_exit(EXIT_FAILURE, "launch on lcore %u: %s\n", dp.workers[i]->lcore_id, rte_strerror(-rc));
	}
	if (script != NULL && run_script(&dp, script) != 0) {
		vr_force_quit = 1;
		rte_eal_mp_wait_lcore();
		rte_exit(EXIT_FAILURE, "%s: the control script failed; not starting\n", script);
	}
	__atomic_store_n(&dp.rx_enabled, 1, __ATOMIC_RELEASE);
	if (dp.cfg->role == VR_ROLE_RELAY)
		printf("voxrelay-dp: ready, role relay (%u ports, %u workers, %u relay VIPs)\n", dp.nb_ports,
		       dp.nb_workers, dp.cfg->nb_relay_vips);
	else
		printf("voxrelay-dp: ready (%u ports, %u workers, %u VIPs)\n", dp.nb_ports, dp.nb_workers, st->nb_vips);
	fflush(stdout);

	vr_dp_ctl_loop(&dp);

	rte_eal_mp_wait_lcore();
	vr_dp_stats_print(&dp, stdout);
	if (stats_json != NULL && vr_dp_stats_json(&dp, stats_json) < 0)
		fprintf(stderr, "voxrelay-dp: cannot write %s\n", stats_json);
	vr_ctl_server_close(dp.ctl);
	vr_dp_ctl_cleanup(&dp);
	dp.ctl = NULL;
	vr_dp_relay_fini(&dp);
	vr_dp_relay_slow_fini(&dp);
	vr_dp_relay_dir_free(&dp);
	vr_dp_steer_fini(&dp);
	vr_dp_ports_close(&dp);
	vr_dp_health_fini(&dp);
	workers_free(&dp);
	rte_eal_cleanup();
	ret = 0;
out_state:
	vr_ctl_server_close(dp.ctl);
	vr_dp_ctl_cleanup(&dp);
	vr_lb_state_free(dp.state);
out_cfg:
	vr_config_free(dp.cfg);
	return ret;
}
