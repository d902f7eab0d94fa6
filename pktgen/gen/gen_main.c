/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen: the voice traffic generator's start-up, run and teardown (EAL, options, plan, ports, workers). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gen_app.h"
#include "gen_port.h"
#include "gen_rfc2544.h"

static volatile bool force_quit;

static void on_signal(int sig)
{
	(void)sig;
	force_quit = true;
}

/* --srtp (one of the option's choices) by vr_relay_suite_name(). */
/* The TSC's offset to the wall clock, for the SRs' NTP timestamps (RFC 3550 6.4.1). */
static uint64_t unix_ns_at_tsc0(uint64_t hz)
{
	struct timespec ts;
	uint64_t tsc = rte_rdtsc();

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec - vr_gen_tsc_to_ns(tsc, hz);
}

static int write_members(struct vr_gen_app *a)
{
	FILE *f = fopen(a->o.members_out, "w");

	if (!f || vr_gen_plan_write_json(a->plan, &a->o, a->suite, f) != 0 || fclose(f) != 0) {
		fprintf(stderr, "voxrelay-gen: cannot write %s\n", a->o.members_out);
		return -1;
	}
	return 0;
}

static void init_shared(struct vr_gen_app *a)
{
	const struct vr_gen_opts *o = &a->o;
	struct vr_gen_shared *sh = &a->sh;

	sh->plan = a->plan;
	sh->tx_port = o->tx_port;
	sh->rx_port = o->rx_port;
	sh->burst = o->burst;
	sh->tsc_hz = rte_get_tsc_hz();
	sh->ptime_ns = (uint64_t)o->ptime_ms * 1000000u;
	sh->unix_ns_at_tsc0 = unix_ns_at_tsc0(sh->tsc_hz);
	/* RFC 2544 counts one packet per frame sent: no SRs in between */
	sh->flat_out = o->flat_out;
	sh->rtcp = o->rtcp && !o->rfc2544;
	sh->expect_room = !strcmp(o->expect, "room");
	sh->expect_none = !strcmp(o->expect, "none");
	sh->tx_drop_every = o->tx_drop_every;
	sh->ramp_ns = (uint64_t)(o->ramp_s * 1e9);
	sh->rx_cfg.gue_port = o->gue_port;
	sh->rx_cfg.opaque = a->suite != VR_RELAY_SUITE_NONE;
	sh->rx_cfg.stamp_id = o->stamp_id;
	sh->force_quit = &force_quit;
}

static int setup_ports(struct vr_gen_app *a)
{
	struct rte_ether_addr mac;
	uint16_t q = (uint16_t)a->nb_workers;
	int rc;

	rc = vr_gen_port_setup(a->o.tx_port, q, a->rx_pool);
	if (!rc && a->o.rx_port != a->o.tx_port)
		rc = vr_gen_port_setup(a->o.rx_port, q, a->rx_pool);
	if (rc) {
		fprintf(stderr, "voxrelay-gen: ports %u/%u with %u queue(s): %s (give them with --vdev or -a)\n",
			a->o.tx_port, a->o.rx_port, q, rte_strerror(-rc));
		return rc;
	}
	rte_eth_macaddr_get(a->o.tx_port, &mac);
	memcpy(a->src_mac, mac.addr_bytes, 6);
	return 0;
}

int main(int argc, char **argv)
{
	static struct vr_gen_app app;
	struct vr_gen_app *a = &app;
	char err[256];
	unsigned int lcore;
	int n, rc = EXIT_FAILURE;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		rte_exit(EXIT_FAILURE, "voxrelay-gen: EAL init failed\n");
	argc -= n;
	argv += n;
	argv[0] = "voxrelay-gen";
	n = vr_gen_opts_parse(argc, argv, &a->o, err, sizeof(err));
	if (n == 1) {
		rc = EXIT_SUCCESS;
		goto out_eal;
	}
	if (n < 0) {
		fprintf(stderr, "voxrelay-gen: %s (--help lists the options)\n", err);
		rc = 2;
		goto out_eal;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	n = vr_relay_suite_parse(a->o.srtp);
	if (n < 0) {
		fprintf(stderr, "voxrelay-gen: --srtp %s: not none, AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM\n",
			a->o.srtp);
		rc = 2;
		goto out_eal;
	}
	a->suite = (enum vr_relay_suite)n;
	a->codec = !strcasecmp(a->o.codec, "g711") ? VR_GEN_CODEC_G711 : VR_GEN_CODEC_OPUS;
	if (a->suite != VR_RELAY_SUITE_NONE && vr_relay_global_init() != 0) {
		fprintf(stderr, "voxrelay-gen: libsrtp initialisation failed\n");
		goto out_eal;
	}
	a->plan = vr_gen_plan_create(&a->o);
	if (!a->plan) {
		fprintf(stderr, "voxrelay-gen: plan of %u streams: out of memory\n", a->o.streams);
		goto out_eal;
	}
	init_shared(a);
	a->tx_pool = rte_pktmbuf_pool_create("vr_gen_tx", a->o.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					     (int)rte_socket_id());
	a->rx_pool = rte_pktmbuf_pool_create("vr_gen_rx", a->o.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					     (int)rte_socket_id());
	if (!a->tx_pool || !a->rx_pool) {
		fprintf(stderr, "voxrelay-gen: mbuf pools of %u: %s (hugepages?)\n", a->o.mbufs, rte_strerror(rte_errno));
		goto out_plan;
	}
	a->nb_workers = rte_lcore_count() - 1;
	if (a->nb_workers < 1 || a->nb_workers > VR_GEN_MAX_LCORES) {
		fprintf(stderr, "voxrelay-gen: needs 2..%u lcores (the main one and a worker per queue), EAL gave %u\n",
			VR_GEN_MAX_LCORES + 1, rte_lcore_count());
		goto out_workers;
	}
	if (setup_ports(a) != 0)
		goto out_workers;
	if (vr_gen_setup_workers(a, a->o.frame_size ? a->o.frame_size - VR_GEN_FCS_LEN : 0) != 0)
		goto out_ports;
	if (a->o.members_out[0] && write_members(a) != 0)
		goto out_ports;
	if (a->o.plan_only) {
		rc = EXIT_SUCCESS;
		goto out_ports;
	}
	printf("voxrelay-gen: %u streams in %u rooms, %s ptime %u ms, %s, %u worker(s); waiting for link\n",
	       a->o.streams, a->plan->nb_rooms, a->o.codec, a->o.ptime_ms, a->o.srtp, a->nb_workers);
	fflush(stdout);
	if (!vr_gen_port_wait_link(a->o.tx_port, a->o.link_timeout_s, &force_quit) ||
	    !vr_gen_port_wait_link(a->o.rx_port, a->o.link_timeout_s, &force_quit)) {
		fprintf(stderr, "voxrelay-gen: link did not come up\n");
		goto out_ports;
	}
	printf("voxrelay-gen: link up\n");
	fflush(stdout);
	for (uint32_t i = 0; i < a->nb_workers; i++) {
		lcore = a->w[i]->lcore;
		rte_eal_remote_launch(vr_gen_worker_main, a->w[i], lcore);
	}
	rc = (a->o.rfc2544 ? vr_gen_run_rfc2544(a) : vr_gen_run_load(a)) ? EXIT_FAILURE : EXIT_SUCCESS;
out_ports:
	/* workers that are still running (a start-up failure after launch cannot happen) are told to quit */
	force_quit = true;
	rte_eal_mp_wait_lcore();
	vr_gen_port_close(a->o.tx_port);
	if (a->o.rx_port != a->o.tx_port)
		vr_gen_port_close(a->o.rx_port);
out_workers:
	vr_gen_setup_free(a);
out_plan:
	vr_gen_plan_free(a->plan);
	rte_mempool_free(a->tx_pool);
	rte_mempool_free(a->rx_pool);
out_eal:
	rte_eal_cleanup();
	return rc;
}
