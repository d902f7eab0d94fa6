/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp: start-up (configuration, environment overrides, keys, Redis, voice, the listener), the libuv loop, and an orderly stop on SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cp_priv.h"

#ifndef VR_CP_WEB_DEFAULT
#define VR_CP_WEB_DEFAULT "/usr/share/voxrelay/web"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: voxrelay-cp -c FILE [--check]\n"
		   "  -c, --config FILE  the YAML configuration (its controlplane: section; docs/configuration.md)\n"
		   "      --check        validate the configuration and the keys, then exit\n"
		   "  WS_* environment variables override the limits (docs/configuration.md)\n");
}

static int load_keys(struct vr_cp *cp)
{
	const struct vr_config *cfg = cp->cfg;

	if (cfg->cp_auth_hs256_secret_file[0]) {
		FILE *f = fopen(cfg->cp_auth_hs256_secret_file, "r");
		char secret[4096];
		size_t n;

		if (!f) {
			fprintf(stderr, "voxrelay-cp: %s: %s\n", cfg->cp_auth_hs256_secret_file, strerror(errno));
			return -1;
		}
		n = fread(secret, 1, sizeof(secret), f);
		/* a secret cut to the buffer would verify no token: refuse it whole */
		if (n == sizeof(secret) && fgetc(f) != EOF) {
			fclose(f);
			OPENSSL_cleanse(secret, sizeof(secret));
			fprintf(stderr, "voxrelay-cp: %s: longer than %zu bytes: not an HS256 secret\n",
				cfg->cp_auth_hs256_secret_file, sizeof(secret));
			return -1;
		}
		fclose(f);
		/* a trailing newline is how editors save a one-line file, not part of the secret */
		while (n && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
			n--;
		cp->keys[cp->nkeys] = vr_jwt_key_hmac(secret, n);
		OPENSSL_cleanse(secret, sizeof(secret));
		if (!cp->keys[cp->nkeys]) {
			fprintf(stderr, "voxrelay-cp: %s: not a usable HS256 secret: %s\n", cfg->cp_auth_hs256_secret_file,
				strerror(errno));
			return -1;
		}
		cp->nkeys++;
	}
	if (cfg->cp_auth_public_key_file[0]) {
		cp->keys[cp->nkeys] = vr_jwt_key_pem_file(cfg->cp_auth_public_key_file);
		if (!cp->keys[cp->nkeys]) {
			fprintf(stderr, "voxrelay-cp: %s: not an RS256 (RSA >= 2048) or ES256 (P-256) public key: %s\n",
				cfg->cp_auth_public_key_file, strerror(errno));
			return -1;
		}
		cp->nkeys++;
	}
	return 0;
}

/* How long a stop waits for users' voice leaves (Redis records, relay members) and for the connections to
 * take their close frames, before the rest is closed regardless. */
#define STOP_WAIT_MS 2000
#define STOP_POLL_MS 10

/*
 * The rest of a stop, once voice is done and the connections are gone (their
 * closes queued the users' presence updates): timers, signals, the listener
 * (its second step in main), then Redis, which writes what is queued first.
 */
static void stop_finish(struct vr_cp *cp)
{
	uv_close((uv_handle_t *)&cp->stop_wait, NULL);
	uv_timer_stop(&cp->sweep);
	uv_close((uv_handle_t *)&cp->sweep, NULL);
	uv_close((uv_handle_t *)&cp->sigint, NULL);
	uv_close((uv_handle_t *)&cp->sigterm, NULL);
	uv_close((uv_handle_t *)&cp->cleanup, NULL);
	vr_cp_gateway_stop(cp);
	vr_cp_store_free(cp->store);
	cp->store = NULL;
}

/* Polled rather than signalled: a voice leave or a close ends in many places, a count of them is one question. */
static void on_stop_wait(uv_timer_t *t)
{
	struct vr_cp *cp = t->data;
	bool busy = vr_cp_voice_busy(cp) || cp->conns;

	if (busy && vr_cp_now_ms() - cp->stop_ms < STOP_WAIT_MS)
		return;
	if (vr_cp_voice_busy(cp))
		fprintf(stderr, "voxrelay-cp: voice leaves still pending after %u ms: closing Redis\n", STOP_WAIT_MS);
	if (cp->conns)
		fprintf(stderr, "voxrelay-cp: connections still open after %u ms: closing them\n", STOP_WAIT_MS);
	stop_finish(cp);
}

static void on_signal(uv_signal_t *h, int sig)
{
	struct vr_cp *cp = h->data;

	(void)sig;
	if (cp->stopping)
		return;
	cp->stopping = true;
	fprintf(stderr, "voxrelay-cp: stopping\n");
	/* Voice first, while Redis and the relays still answer: otherwise users' voice records outlive the process. */
	vr_cp_voice_stop(cp);
	for (struct vr_cp_conn *c = cp->conns; c; c = c->next)
		vr_cp_close(c, VR_CP_CLOSE_GOING_AWAY, "server shutting down");
	cp->stop_ms = vr_cp_now_ms();
	uv_timer_start(&cp->stop_wait, on_stop_wait, 0, STOP_POLL_MS);
}

static void on_sweep(uv_timer_t *t)
{
	vr_cp_sweep(t->data);
}

/*
 * The one presence refresh: every user with a connection here has its
 * field rewritten at least every third of presence_ttl, so it never lapses
 * while the process lives. A timer rather than the clients' heartbeats:
 * the process knows who is connected, while heartbeats may come late by an
 * interval, or not at all from a client busy with other requests.
 */
static void on_cleanup(uv_timer_t *t)
{
	struct vr_cp *cp = t->data;
	struct vr_cp_user *u, *tmp;
	uint64_t now = vr_cp_now_ms();

	HASH_ITER(hh, cp->users, u, tmp) {
		if (now - u->presence_ms < cp->cfg->cp_presence_ttl_ms / 3)
			continue;
		/* not announced yet: Redis was down when it connected */
		if (u->announced)
			vr_cp_presence_publish(cp, u, u->status, false);
		else
			u->announced = vr_cp_presence_publish(cp, u, u->status, true) == 0;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct vr_cp cp = {0};
	const char *path = NULL;
	bool check = false;
	char err[512];
	uint64_t refresh_ms;
	int o, rc = 1;

	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	cp.cfg = vr_config_load(path, err, sizeof(err));
	if (!cp.cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!cp.cfg->has_controlplane) {
		fprintf(stderr, "%s: no controlplane: section (docs/configuration.md)\n", path);
		goto out;
	}
	if (vr_config_cp_env(cp.cfg, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (load_keys(&cp) != 0)
		goto out;
	if (check) {
		printf("%s: valid (controlplane on port %u, %u key(s))\n", path, cp.cfg->cp_listen_port, cp.nkeys);
		rc = 0;
		goto out;
	}
	snprintf(cp.web_root, sizeof(cp.web_root), "%s", cp.cfg->cp_web_root[0] ? cp.cfg->cp_web_root : VR_CP_WEB_DEFAULT);
	if (vr_cp_random_hex(cp.proc_id, (sizeof(cp.proc_id) - 1) / 2) != 0)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	cp.loop = uv_default_loop();
	cp.start_ms = vr_cp_now_ms();
	if (vr_cp_dispatch_init(&cp) != 0)
		goto out;
	cp.store = vr_cp_store_new(&cp, cp.cfg, vr_cp_on_pubsub, vr_cp_on_store_up, err, sizeof(err));
	if (!cp.store) {
		fprintf(stderr, "voxrelay-cp: redis: %s\n", err);
		goto out;
	}
	if (vr_cp_voice_init(&cp, err, sizeof(err)) != 0) {
		fprintf(stderr, "voxrelay-cp: voice: %s\n", err);
		goto out_store;
	}
	if (vr_cp_gateway_start(&cp) != 0) {
		char a[64];

		vr_addr_str(&cp.cfg->cp_listen_addr, a, sizeof(a));
		/* lws logged the precise cause just before */
		fprintf(stderr,
			"voxrelay-cp: cannot listen on %s:%u (port in use, address not local, or TLS certificate/key unusable)\n",
			a, cp.cfg->cp_listen_port);
		goto out_voice;
	}
	uv_timer_init(cp.loop, &cp.sweep);
	cp.sweep.data = &cp;
	uv_timer_start(&cp.sweep, on_sweep, 1000, 1000);
	/* a third of presence_ttl at most: a field refreshed then is at most two thirds old when next refreshed */
	refresh_ms = cp.cfg->cp_presence_ttl_ms / 3;
	if (cp.cfg->cp_cleanup_interval_ms < refresh_ms)
		refresh_ms = cp.cfg->cp_cleanup_interval_ms;
	uv_timer_init(cp.loop, &cp.cleanup);
	cp.cleanup.data = &cp;
	uv_timer_start(&cp.cleanup, on_cleanup, refresh_ms, refresh_ms);
	uv_timer_init(cp.loop, &cp.stop_wait);
	cp.stop_wait.data = &cp;
	uv_signal_init(cp.loop, &cp.sigint);
	uv_signal_init(cp.loop, &cp.sigterm);
	cp.sigint.data = cp.sigterm.data = &cp;
	uv_signal_start(&cp.sigint, on_signal, SIGINT);
	uv_signal_start(&cp.sigterm, on_signal, SIGTERM);
	printf("voxrelay-cp: ready (port %u, redis %s, %u key(s))\n", cp.cfg->cp_listen_port, cp.cfg->cp_redis_url,
	       cp.nkeys);
	fflush(stdout);
	uv_run(cp.loop, UV_RUN_DEFAULT);
	/* lws's second destroy step frees what its closed handles held */
	lws_context_destroy(cp.lws);
	cp.lws = NULL;
	uv_run(cp.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(cp.loop) != 0)
		fprintf(stderr, "voxrelay-cp: handles left open at exit\n");
	rc = 0;
out_voice:
	vr_cp_voice_free(&cp);
out_store:
	/* NULL after a stop, which closed it; else its closing handles need a turn of the loop */
	if (cp.store) {
		vr_cp_store_free(cp.store);
		uv_run(cp.loop, UV_RUN_DEFAULT);
	}
out:
	for (unsigned i = 0; i < cp.nkeys; i++)
		vr_jwt_key_free(cp.keys[i]);
	free(cp.types);
	vr_config_free(cp.cfg);
	return rc;
}
