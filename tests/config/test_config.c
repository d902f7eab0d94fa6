/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of the configuration loader: the shipped example, good edge cases, one bad file per error. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/config.h"
#include "voxrelay/encap.h"
#include "voxrelay/relay.h"

#include "../packet/testutil.h"

static const char *dir_good;

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (!p) {
		perror("malloc");
		exit(2);
	}
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static bool addr_is(const struct vr_addr *a, const char *text)
{
	struct vr_addr b;
	return vr_addr_parse(text, &b) == 0 && vr_addr_eq(a, &b);
}

static bool ip4_is(uint32_t be, const char *text)
{
	struct in_addr in;
	return inet_pton(AF_INET, text, &in) == 1 && in.s_addr == be;
}

static bool ip6_is(const uint8_t *b, const char *text)
{
	uint8_t x[16];
	return inet_pton(AF_INET6, text, x) == 1 && memcmp(x, b, 16) == 0;
}

/* Dump, parse the dump, dump again: both dumps must be equal (nothing lost or changed). */
static void check_roundtrip(const struct vr_config *cfg, const char *what)
{
	char *d1 = NULL, *d2 = NULL, err[VR_CFG_ERR_LEN];
	size_t n1 = 0, n2 = 0;
	struct vr_config *again = NULL;
	FILE *f;

	f = open_memstream(&d1, &n1);
	CHECK(f && vr_config_dump(cfg, f) == 0);
	if (f)
		fclose(f);
	if (!d1)
		return;
	again = vr_config_parse("dump", d1, n1, err, sizeof(err));
	if (!again) {
		fprintf(stderr, "%s: dump does not parse back: %s\n---\n%s---\n", what, err, d1);
		vr_test_failures++;
		goto out;
	}
	f = open_memstream(&d2, &n2);
	CHECK(f && vr_config_dump(again, f) == 0);
	if (f)
		fclose(f);
	if (!d2 || n1 != n2 || memcmp(d1, d2, n1)) {
		fprintf(stderr, "%s: dump differs after a round trip\n---\n%s---\n%s---\n", what, d1, d2 ? d2 : "");
		vr_test_failures++;
	}
out:
	vr_config_free(again);
	free(d1);
	free(d2);
}

static struct vr_config *load_good(const char *name)
{
	char err[VR_CFG_ERR_LEN];
	char *path = join(dir_good, name);
	struct vr_config *cfg = vr_config_load(path, err, sizeof(err));

	if (!cfg) {
		fprintf(stderr, "%s: unexpected error: %s\n", path, err);
		vr_test_failures++;
	} else {
		check_roundtrip(cfg, path);
	}
	free(path);
	return cfg;
}

static void test_example(const char *path)
{
	char err[VR_CFG_ERR_LEN];
	struct vr_config *cfg = vr_config_load(path, err, sizeof(err));

	if (!cfg) {
		fprintf(stderr, "%s: the shipped example does not load: %s\n", path, err);
		vr_test_failures++;
		return;
	}
	CHECK(strcmp(cfg->path, path) == 0);
	CHECK_EQ(cfg->role, VR_ROLE_BALANCER);
	CHECK(strcmp(cfg->file_prefix, "voxrelay") == 0);
	CHECK_EQ(cfg->nb_workers, 1);
	CHECK_EQ(cfg->worker_lcores[0], 1);
	CHECK_EQ(cfg->nb_ports, 1);
	const struct vr_cfg_port *p = &cfg->ports[0];
	CHECK(strcmp(p->name, "uplink") == 0);
	CHECK(strcmp(p->device, "net_af_xdp0,iface=lb0") == 0);
	CHECK(p->has_ipv4 && p->has_ipv6 && p->has_gw4 && p->has_gw6 && p->has_gw_mac);
	CHECK(ip4_is(p->ipv4, "10.77.0.2"));
	CHECK(ip6_is(p->ipv6, "fd77::2"));
	CHECK(ip4_is(p->gateway_ipv4, "10.77.0.1"));
	CHECK(ip6_is(p->gateway_ipv6, "fd77::1"));
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	CHECK(memcmp(p->gateway_mac, mac, 6) == 0);
	CHECK_EQ(p->tx_port_idx, 0);
	CHECK_EQ(cfg->maglev_size, 65537);
	CHECK_EQ(cfg->nb_vips, 2);
	if (cfg->nb_vips == 2) {
		const struct vr_cfg_vip *v = &cfg->vips[0];
		CHECK(addr_is(&v->addr, "10.77.100.1"));
		CHECK_EQ(v->port_lo, 50000);
		CHECK_EQ(v->port_hi, 50999);
		CHECK_EQ(v->hash_key, VR_HASH_DST_PORT);
		CHECK_EQ(v->encap, VR_ENCAP_GUE);
		CHECK_EQ(v->nb_backends, 2);
		CHECK(strcmp(v->backends[0].name, "10.77.2.11") == 0);
		v = &cfg->vips[1];
		CHECK(addr_is(&v->addr, "fd77:100::1"));
		CHECK_EQ(v->port_lo, 3478);
		CHECK_EQ(v->port_hi, 3478);
		CHECK_EQ(v->gue_port, 6080);
		CHECK_EQ(v->nb_backends, 2);
		if (v->nb_backends == 2) {
			CHECK(strcmp(v->backends[1].name, "fd77:2::12") == 0);
			CHECK_EQ(v->backends[1].state, VR_BACKEND_DRAINING);
			CHECK_EQ(v->backends[1].weight, 1);
		}
	}
	/* the commented controlplane block loads as written */
	CHECK(cfg->has_controlplane);
	CHECK_EQ(cfg->cp_listen_port, 8080);
	CHECK(strcmp(cfg->cp_auth_hs256_secret_file, "/etc/voxrelay/jwt.secret") == 0);
	CHECK_EQ(cfg->cp_cleanup_interval_ms, 300000);
	CHECK_EQ(cfg->nb_cp_relays, 2);
	check_roundtrip(cfg, path);
	vr_config_free(cfg);
}

static void test_good(void)
{
	struct vr_config *cfg;

	/* only what is required: every default shows */
	if ((cfg = load_good("minimal.yaml"))) {
		CHECK_EQ(cfg->role, VR_ROLE_BALANCER);
		CHECK(strcmp(cfg->file_prefix, "voxrelay") == 0);
		CHECK_EQ(cfg->main_lcore, 0);
		CHECK(cfg->huge);
		CHECK_EQ(cfg->memory_mb, 0);
		CHECK_EQ(cfg->nb_eal_args, 0);
		CHECK_EQ(cfg->nb_workers, 1);
		CHECK_EQ(cfg->worker_lcores[0], 1);
		CHECK_EQ(cfg->mbufs, 16383);
		CHECK_EQ(cfg->burst, 32);
		CHECK_EQ(cfg->stats_interval_s, 0);
		CHECK_EQ(cfg->ports[0].mtu, 1500);
		CHECK_EQ(cfg->ports[0].rx_desc, 1024);
		CHECK_EQ(cfg->ports[0].tx_desc, 1024);
		CHECK(!cfg->ports[0].has_ipv6 && !cfg->ports[0].has_gw_mac);
		CHECK(strcmp(cfg->ports[0].tx_port, "p0") == 0);
		CHECK_EQ(cfg->maglev_size, VR_MAGLEV_DEFAULT_SIZE);
		CHECK_EQ(cfg->ct_capacity, 1048576);
		CHECK_EQ(cfg->ct_udp_timeout_ms, 30000);
		CHECK_EQ(cfg->gue_port, VR_GUE_DEFAULT_PORT);
		CHECK_EQ(cfg->ttl, 64);
		CHECK_EQ(cfg->nb_vips, 1);
		CHECK_EQ(cfg->vips[0].hash_key, VR_HASH_FIVE_TUPLE);
		CHECK_EQ(cfg->vips[0].encap, VR_ENCAP_GUE);
		CHECK_EQ(cfg->vips[0].gue_port, VR_GUE_DEFAULT_PORT);
		CHECK_EQ(cfg->vips[0].backends[0].weight, 1);
		CHECK_EQ(cfg->vips[0].backends[0].state, VR_BACKEND_UP);
		CHECK_EQ(cfg->vips[0].pos.line, 11);
		CHECK_EQ(cfg->vips[0].pos.column, 7);
		/* no controlplane section: not marked given, its defaults filled in all the same */
		CHECK(!cfg->has_controlplane);
		CHECK(addr_is(&cfg->cp_listen_addr, "0.0.0.0"));
		CHECK_EQ(cfg->cp_listen_port, 8080);
		CHECK(cfg->cp_tls_cert[0] == '\0' && cfg->cp_tls_key[0] == '\0');
		CHECK(strcmp(cfg->cp_redis_url, "redis://127.0.0.1:6379/0") == 0);
		CHECK_EQ(cfg->cp_redis_connect_timeout_ms, 2000);
		CHECK_EQ(cfg->cp_redis_reconnect_max_ms, 5000);
		CHECK_EQ(cfg->cp_redis_stream_maxlen, 10000);
		CHECK(cfg->cp_redis_tls_ca_file[0] == '\0' && cfg->cp_redis_tls_cert[0] == '\0' &&
		      cfg->cp_redis_tls_key[0] == '\0' && cfg->cp_redis_tls_server_name[0] == '\0');
		CHECK(cfg->cp_redis_tls_verify);
		CHECK(cfg->cp_auth_hs256_secret_file[0] == '\0' && cfg->cp_auth_public_key_file[0] == '\0');
		CHECK_EQ(cfg->cp_auth_leeway_ms, 30000);
		CHECK(cfg->cp_auth_require_exp);
		CHECK_EQ(cfg->cp_auth_timeout_ms, 10000);
		CHECK_EQ(cfg->cp_heartbeat_interval_ms, 30000);
		CHECK_EQ(cfg->cp_presence_ttl_ms, 90000);
		CHECK(cfg->cp_web_root[0] == '\0');
		CHECK_EQ(cfg->cp_max_connections, 2000);
		CHECK_EQ(cfg->cp_max_connections_per_user, 5);
		CHECK_EQ(cfg->cp_rate_limit_window_ms, 60000);
		CHECK_EQ(cfg->cp_rate_limit_max_messages, 30);
		CHECK_EQ(cfg->cp_cleanup_interval_ms, 300000);
		CHECK_EQ(cfg->cp_inactive_timeout_ms, 1800000);
		CHECK_EQ(cfg->cp_max_payload, 16384);
		CHECK_EQ(cfg->cp_max_message_length, 4000);
		CHECK_EQ(cfg->cp_outbound_queue, 1048576);
		CHECK_EQ(cfg->cp_voice_suite, VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80);
		CHECK_EQ(cfg->nb_cp_relays, 0);
		vr_config_free(cfg);
	}
	/* a file for voxrelay-cp alone: no dataplane section, the balancer's VIPs still read */
	if ((cfg = load_good("controlplane_only.yaml"))) {
		CHECK(cfg->has_controlplane);
		CHECK(!cfg->has_dataplane);
		CHECK_EQ(cfg->nb_ports, 0);
		CHECK_EQ(cfg->nb_vips, 1);
		CHECK_EQ(cfg->vips[0].nb_backends, 1);
		vr_config_free(cfg);
	}
	if ((cfg = load_good("minimal.yaml"))) {
		CHECK(cfg->has_dataplane);
		vr_config_free(cfg);
	}
	/* controlplane: every key given, none at its default; a clone copies the relays */
	if ((cfg = load_good("controlplane.yaml"))) {
		struct vr_config *c2 = vr_config_clone(cfg);
		struct vr_redis_url u;

		CHECK(cfg->has_controlplane);
		CHECK(addr_is(&cfg->cp_listen_addr, "::1"));
		CHECK_EQ(cfg->cp_listen_port, 8443);
		CHECK(strcmp(cfg->cp_tls_cert, "/etc/voxrelay/cp.crt") == 0);
		CHECK(strcmp(cfg->cp_tls_key, "/etc/voxrelay/cp.key") == 0);
		CHECK(strcmp(cfg->cp_redis_url, "rediss://chat:s3cr%40t@redis.example:6380/3") == 0);
		CHECK(vr_redis_url_parse(cfg->cp_redis_url, &u) == 0 && u.tls && u.port == 6380 && u.db == 3 &&
		      strcmp(u.password, "s3cr@t") == 0);
		CHECK_EQ(cfg->cp_redis_connect_timeout_ms, 500);
		CHECK_EQ(cfg->cp_redis_reconnect_max_ms, 300000);
		CHECK_EQ(cfg->cp_redis_stream_maxlen, 100);
		CHECK(strcmp(cfg->cp_redis_tls_ca_file, "/etc/voxrelay/redis-ca.crt") == 0);
		CHECK(strcmp(cfg->cp_redis_tls_cert, "/etc/voxrelay/redis-client.crt") == 0);
		CHECK(strcmp(cfg->cp_redis_tls_key, "/etc/voxrelay/redis-client.key") == 0);
		CHECK(strcmp(cfg->cp_redis_tls_server_name, "redis.internal.example") == 0);
		CHECK(!cfg->cp_redis_tls_verify);
		CHECK(strcmp(cfg->cp_auth_hs256_secret_file, "/etc/voxrelay/jwt.secret") == 0);
		CHECK(strcmp(cfg->cp_auth_public_key_file, "/etc/voxrelay/jwt.pub") == 0);
		CHECK_EQ(cfg->cp_auth_leeway_ms, 0);
		CHECK(!cfg->cp_auth_require_exp);
		CHECK_EQ(cfg->cp_auth_timeout_ms, 1000);
		CHECK_EQ(cfg->cp_heartbeat_interval_ms, 600000);
		CHECK_EQ(cfg->cp_presence_ttl_ms, 3600000);
		CHECK(strcmp(cfg->cp_web_root, "/usr/share/voxrelay/web") == 0);
		CHECK_EQ(cfg->cp_max_connections, 1000000);
		CHECK_EQ(cfg->cp_max_connections_per_user, 1);
		CHECK_EQ(cfg->cp_rate_limit_window_ms, 3600000);
		CHECK_EQ(cfg->cp_rate_limit_max_messages, 100000);
		CHECK_EQ(cfg->cp_cleanup_interval_ms, 86400000);
		CHECK_EQ(cfg->cp_inactive_timeout_ms, 604800000);
		CHECK_EQ(cfg->cp_max_payload, 128);
		CHECK_EQ(cfg->cp_max_message_length, 128);
		CHECK_EQ(cfg->cp_outbound_queue, 4096);
		CHECK_EQ(cfg->cp_voice_suite, VR_RELAY_SUITE_AEAD_AES_128_GCM);
		CHECK_EQ(cfg->nb_cp_relays, 2);
		CHECK(addr_is(&cfg->cp_relays[0].addr, "10.77.2.11"));
		CHECK(strcmp(cfg->cp_relays[0].control_socket, "/run/voxrelay/relay1.sock") == 0);
		CHECK(addr_is(&cfg->cp_relays[1].addr, "fd77:2::12"));
		CHECK(strcmp(cfg->cp_relays[1].control_socket, "/run/voxrelay/relay2.sock") == 0);
		CHECK_EQ(cfg->cp_relays[1].pos.line, 54);
		CHECK(c2 != NULL && c2->has_controlplane && c2->nb_cp_relays == 2 &&
		      strcmp(c2->cp_relays[1].control_socket, "/run/voxrelay/relay2.sock") == 0);
		vr_config_free(c2);
		vr_config_free(cfg);
	}
	/* a controlplane of defaults but the auth key; web_root "" is the same as leaving it out */
	{
		static const char cp[] = "dataplane:\n  ports: [{name: p0, device: net_null0, ipv4: 10.0.0.2, "
					 "gateway_ipv4: 10.0.0.1}]\n"
					 "balancer:\n  vips: [{address: 10.1.0.1, port: 1, backends: [{address: 10.2.0.1}]}]\n"
					 "controlplane:\n  web_root: \"\"\n  auth: {public_key_file: /k.pem}\n"
					 "  redis: {url: \"unix:///run/redis.sock?db=2\"}\n  voice: {relays: []}\n";
		char err[VR_CFG_ERR_LEN];

		cfg = vr_config_parse("cp", cp, sizeof(cp) - 1, err, sizeof(err));
		if (!cfg) {
			fprintf(stderr, "controlplane defaults: %s\n", err);
			vr_test_failures++;
		} else {
			CHECK(cfg->has_controlplane);
			CHECK(cfg->cp_web_root[0] == '\0');
			CHECK_EQ(cfg->cp_listen_port, 8080);
			CHECK_EQ(cfg->cp_presence_ttl_ms, 90000);
			CHECK_EQ(cfg->nb_cp_relays, 0);
			check_roundtrip(cfg, "controlplane defaults");
			vr_config_free(cfg);
		}
	}
	/* IPv6 only: VIP, backends, port; port ranges; global gue_port inherited, one overridden */
	if ((cfg = load_good("ipv6.yaml"))) {
		CHECK(cfg->ports[0].has_ipv6 && !cfg->ports[0].has_ipv4);
		CHECK_EQ(cfg->ports[0].mtu, 1280);
		CHECK_EQ(cfg->nb_vips, 3);
		if (cfg->nb_vips == 3) {
			CHECK(addr_is(&cfg->vips[0].addr, "2001:db8:100::1"));
			CHECK_EQ(cfg->vips[0].addr.family, AF_INET6);
			CHECK_EQ(cfg->vips[0].port_lo, 1);
			CHECK_EQ(cfg->vips[0].port_hi, 65535);
			CHECK_EQ(cfg->vips[0].gue_port, 7000);
			CHECK_EQ(cfg->vips[0].nb_backends, 3);
			CHECK(strcmp(cfg->vips[0].backends[2].name, "2001:db8:2::13") == 0);
			CHECK_EQ(cfg->vips[0].backends[2].weight, 65535);
			CHECK_EQ(cfg->vips[0].backends[1].state, VR_BACKEND_DOWN);
			/* same address, adjacent ranges: no overlap */
			CHECK_EQ(cfg->vips[1].port_lo, 40000);
			CHECK_EQ(cfg->vips[1].port_hi, 40000);
			CHECK_EQ(cfg->vips[1].gue_port, 7001);
			CHECK_EQ(cfg->vips[1].encap, VR_ENCAP_IPIP);
			CHECK_EQ(cfg->vips[2].port_lo, 40001);
			CHECK_EQ(cfg->vips[2].port_hi, 40001);
		}
		CHECK_EQ(cfg->maglev_size, 307); /* the smallest prime >= 100 x 3 backends */
		vr_config_free(cfg);
	}
	/* relay role: no balancer VIPs, its own VIPs and limits; a clone copies them */
	if ((cfg = load_good("relay.yaml"))) {
		struct vr_config *c2 = vr_config_clone(cfg);

		CHECK_EQ(cfg->role, VR_ROLE_RELAY);
		CHECK_EQ(cfg->nb_vips, 0);
		CHECK(cfg->vips == NULL);
		CHECK_EQ(cfg->relay_gue_port, 6081);
		CHECK_EQ(cfg->relay_ttl, 32);
		CHECK_EQ(cfg->relay_max_rooms, 100);
		CHECK_EQ(cfg->relay_max_members, 8);
		CHECK_EQ(cfg->relay_max_speakers, 2);
		CHECK_EQ(cfg->relay_slow_queue, 64);
		CHECK_EQ(cfg->nb_relay_vips, 3);
		CHECK_EQ(cfg->relay_vips[0].port_lo, 50000);
		CHECK_EQ(cfg->relay_vips[0].port_hi, 50999);
		CHECK_EQ(cfg->relay_vips[1].port_lo, 51000);
		CHECK_EQ(cfg->relay_vips[1].port_hi, 51000);
		CHECK_EQ(cfg->relay_vips[2].addr.family, AF_INET6);
		CHECK(c2 != NULL && c2->nb_relay_vips == 3 && c2->relay_vips != cfg->relay_vips &&
		      vr_addr_eq(&c2->relay_vips[2].addr, &cfg->relay_vips[2].addr));
		vr_config_free(c2);
		vr_config_free(cfg);
	}
	/* the steering keys: defaults, then every one given */
	if ((cfg = load_good("minimal.yaml"))) {
		CHECK(!cfg->ports[0].steer && cfg->ports[0].steer_program[0] == '\0');
		CHECK(cfg->xdp_filter && cfg->xdp_rate_pps == 0 && cfg->xdp_burst == 0);
		CHECK_EQ(cfg->xdp_neigh, VR_STEER_NEIGH_DATAPLANE);
		CHECK_EQ(cfg->vips[0].steer_filter, VR_STEER_FILTER_VOICE);
		CHECK(cfg->vips[0].steer_rate_limit);
		vr_config_free(cfg);
	}
	if ((cfg = load_good("steer.yaml"))) {
		CHECK(cfg->ports[0].steer);
		CHECK(strcmp(cfg->ports[0].steer_program, "/opt/voxrelay/steer.bpf.o") == 0);
		CHECK(!cfg->xdp_filter && cfg->xdp_rate_pps == 2000 && cfg->xdp_burst == 4000);
		CHECK_EQ(cfg->xdp_neigh, VR_STEER_NEIGH_KERNEL);
		CHECK_EQ(cfg->vips[0].steer_filter, VR_STEER_FILTER_VOICE);
		CHECK(cfg->vips[0].steer_rate_limit);
		CHECK_EQ(cfg->vips[1].steer_filter, VR_STEER_FILTER_NONE);
		CHECK(!cfg->vips[1].steer_rate_limit);
		vr_config_free(cfg);
	}
	if ((cfg = load_good("relay.yaml"))) {
		CHECK_EQ(cfg->relay_vips[0].steer_filter, VR_STEER_FILTER_VOICE);
		CHECK(cfg->relay_vips[0].steer_rate_limit);
		vr_config_free(cfg);
	}
	/* relay defaults */
	if ((cfg = load_good("relay_defaults.yaml"))) {
		CHECK_EQ(cfg->relay_gue_port, 6080);
		CHECK_EQ(cfg->relay_max_rooms, 65536);
		CHECK_EQ(cfg->relay_max_members, 32);
		CHECK_EQ(cfg->relay_max_speakers, 3);
		CHECK_EQ(cfg->relay_slow_queue, 1024);
		CHECK_EQ(cfg->idle_sleep_us, 0);
		vr_config_free(cfg);
	}
	/* two-armed: a receive-only port needs no gateway; everything else given */
	if ((cfg = load_good("two_armed.yaml"))) {
		CHECK_EQ(cfg->nb_ports, 2);
		CHECK_EQ(cfg->ports[0].tx_port_idx, 1);
		CHECK_EQ(cfg->ports[1].tx_port_idx, 1);
		CHECK(!cfg->ports[0].has_gw4);
		CHECK_EQ(cfg->nb_workers, 3);
		CHECK_EQ(cfg->worker_lcores[2], 5);
		CHECK_EQ(cfg->main_lcore, 2);
		CHECK(!cfg->huge);
		CHECK_EQ(cfg->memory_mb, 512);
		CHECK_EQ(cfg->nb_eal_args, 2);
		if (cfg->nb_eal_args == 2) {
			CHECK(strcmp(cfg->eal_args[0], "--log-level=lib.eal:debug") == 0);
			CHECK(strcmp(cfg->eal_args[1], "--vdev=net_null1, with \"quotes\"") == 0);
		}
		CHECK_EQ(cfg->stats_interval_s, 300);
		CHECK_EQ(cfg->ct_udp_timeout_ms, 1500);
		CHECK_EQ(cfg->ttl, 255);
		CHECK_EQ(cfg->burst, 256);
		CHECK_EQ(cfg->mbufs, 4194303);
		CHECK_EQ(cfg->ports[1].rx_desc, 16384);
		CHECK_EQ(cfg->ports[1].tx_desc, 64);
		CHECK_EQ(cfg->ports[1].mtu, 9000);
		vr_config_free(cfg);
	}

	/* HTTP health checks: type-dependent defaults, every key given, other types untouched */
	if ((cfg = load_good("health_http.yaml"))) {
		CHECK(strcmp(cfg->health_tap, "vrprobe0") == 0);
		CHECK_EQ(cfg->nb_vips, 4);
		if (cfg->nb_vips == 4) {
			const struct vr_cfg_vip *v = &cfg->vips[0];
			CHECK_EQ(v->health_type, VR_HEALTH_HTTP);
			CHECK_EQ(v->health_port, 80);
			CHECK(strcmp(v->health_path, "/healthz") == 0);
			CHECK(strcmp(v->health_host, "10.1.0.1") == 0);
			CHECK_EQ(v->health_expect, 200);
			CHECK_EQ(v->health_interval_ms, 1000);
			v = &cfg->vips[1];
			CHECK_EQ(v->health_port, 8080);
			CHECK(strcmp(v->health_path, "/ready?deep=1") == 0);
			CHECK(strcmp(v->health_host, "relay.example:8080") == 0);
			CHECK_EQ(v->health_expect, 204);
			CHECK_EQ(v->health_timeout_ms, 1000);
			v = &cfg->vips[2];
			CHECK(strcmp(v->health_host, "[2001:db8:100::2]") == 0);
			v = &cfg->vips[3];
			CHECK_EQ(v->health_type, VR_HEALTH_UDP_ECHO);
			CHECK_EQ(v->health_port, 7);
			CHECK(v->health_path[0] == '\0' && v->health_host[0] == '\0' && !v->has_health_expect);
		}
		vr_config_free(cfg);
	}
	if ((cfg = load_good("two_armed.yaml"))) {
		CHECK(strcmp(cfg->health_tap, "vrprobe0") == 0);
		CHECK_EQ(cfg->vips[0].health_type, VR_HEALTH_NONE);
		vr_config_free(cfg);
	}

	/* durations in every form */
	static const struct {
		const char *text;
		uint32_t ms;
	} durations[] = {
		{"45", 45000}, {"1s", 1000}, {"1500ms", 1500}, {"2m", 120000}, {"1h", 3600000}, {"\"10s\"", 10000},
	};
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		char buf[512], err[VR_CFG_ERR_LEN];
		int n = snprintf(buf, sizeof(buf),
				 "dataplane:\n  ports: [{name: p0, device: net_null0, ipv4: 10.0.0.2, "
				 "gateway_ipv4: 10.0.0.1}]\n"
				 "balancer:\n  conntrack: {udp_timeout: %s}\n"
				 "  vips: [{address: 10.1.0.1, port: 1, backends: [{address: 10.2.0.1}]}]\n",
				 durations[i].text);
		cfg = vr_config_parse("durations", buf, (size_t)n, err, sizeof(err));
		if (!cfg) {
			fprintf(stderr, "duration %s: %s\n", durations[i].text, err);
			vr_test_failures++;
			continue;
		}
		CHECK_EQ(cfg->ct_udp_timeout_ms, durations[i].ms);
		check_roundtrip(cfg, durations[i].text);
		vr_config_free(cfg);
	}
}

/* A bad file says in its leading comments "# expect: <line>:<column>: <message substring>". */
static int test_bad_file(const char *dir, const char *name)
{
	char *path = join(dir, name);
	char first[512], want_prefix[4096 + 64], err[VR_CFG_ERR_LEN];
	unsigned line, col;
	int used = 0, rc = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "%s: cannot read\n", path);
		rc = -1;
		goto out;
	}
	/* the licence line comes first, so look through the leading comments */
	while (fgets(first, sizeof(first), f) && first[0] == '#' && strncmp(first, "# expect: ", 10) != 0)
		;
	first[strcspn(first, "\n")] = '\0';
	if (sscanf(first, "# expect: %u:%u: %n", &line, &col, &used) != 2 || used == 0 || !first[used]) {
		fprintf(stderr, "%s: first line is not \"# expect: L:C: message\"\n", path);
		rc = -1;
		goto out;
	}
	const char *want = first + used;
	snprintf(want_prefix, sizeof(want_prefix), "%s:%u:%u: ", path, line, col);
	errno = 0;
	memset(err, 'x', sizeof(err));
	struct vr_config *cfg = vr_config_load(path, err, sizeof(err));
	if (cfg) {
		fprintf(stderr, "%s: loaded, expected an error\n", path);
		vr_config_free(cfg);
		rc = -1;
	} else if (errno != EINVAL) {
		fprintf(stderr, "%s: errno %d (%s), expected EINVAL\n", path, errno, strerror(errno));
		rc = -1;
	} else if (memchr(err, '\0', sizeof(err)) == NULL || strchr(err, '\n')) {
		fprintf(stderr, "%s: error message is not one terminated line\n", path);
		rc = -1;
	} else if (strncmp(err, want_prefix, strlen(want_prefix)) != 0 || !strstr(err, want)) {
		fprintf(stderr, "%s:\n  got:  %s\n  want: %s... %s\n", path, err, want_prefix, want);
		rc = -1;
	}
out:
	if (f)
		fclose(f);
	free(path);
	return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int yaml_only(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

static void test_bad(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, yaml_only, by_name);

	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		vr_test_failures++;
		return;
	}
	if (n < 30) {
		fprintf(stderr, "%s: only %d bad files; the directory is not the right one?\n", dir, n);
		vr_test_failures++;
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		if (test_bad_file(dir, list[i]->d_name))
			bad++;
		free(list[i]);
	}
	free(list);
	printf("bad files: %d checked, %d wrong\n", n, bad);
	vr_test_failures += bad;
}

static void test_api(void)
{
	char err[VR_CFG_ERR_LEN], small[24];
	struct vr_addr a;
	char buf[64];

	vr_config_free(NULL);
	CHECK(vr_config_dump(NULL, stdout) == -EINVAL);

	errno = 0;
	CHECK(vr_config_load("/nonexistent/voxrelay.yaml", err, sizeof(err)) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(strstr(err, "/nonexistent/voxrelay.yaml") != NULL);
	errno = 0;
	CHECK(vr_config_load(dir_good, err, sizeof(err)) == NULL);
	CHECK_EQ(errno, EISDIR);

	/* bad input with no room or no buffer for the message must still fail cleanly */
	static const char bad[] = "dataplane: {burst: 1000}\n";
	errno = 0;
	CHECK(vr_config_parse("x", bad, sizeof(bad) - 1, NULL, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(vr_config_parse("x", bad, sizeof(bad) - 1, small, 1) == NULL);
	CHECK(small[0] == '\0');
	CHECK(vr_config_parse("x", bad, sizeof(bad) - 1, small, sizeof(small)) == NULL);
	CHECK(strlen(small) == sizeof(small) - 1 && strncmp(small, "x:1:20: ", 8) == 0);
	CHECK(vr_config_parse(NULL, bad, sizeof(bad) - 1, err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "<config>:1:20: ", 15) == 0);
	CHECK(vr_config_parse("x", NULL, 0, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "empty") != NULL);
	/* the buffer is not NUL-terminated: only len bytes count */
	static const char cut[] = "dataplane: {burst: 1}XXXX";
	CHECK(vr_config_parse("x", cut, 20, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "YAML syntax error") != NULL);
	/* a NUL byte inside the input */
	static const char nul[] = "dataplane:\n  burst: 3\0002\n";
	CHECK(vr_config_parse("x", nul, sizeof(nul) - 1, err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "x:2:", 4) == 0);

	CHECK(vr_addr_parse("10.1.2.3", &a) == 0);
	CHECK_EQ(a.family, AF_INET);
	CHECK_EQ(a.a.b[10], 0xff);
	CHECK_EQ(a.a.b[11], 0xff);
	CHECK_EQ(a.a.b[15], 3);
	CHECK(strcmp(vr_addr_str(&a, buf, sizeof(buf)), "10.1.2.3") == 0);
	CHECK(vr_addr_parse("2001:db8::1", &a) == 0);
	CHECK_EQ(a.family, AF_INET6);
	CHECK(strcmp(vr_addr_str(&a, buf, sizeof(buf)), "2001:db8::1") == 0);
	CHECK(vr_addr_str(&a, buf, 4)[0] == '\0'); /* too small: empty, not cut */
	CHECK(vr_addr_parse("10.1.2.256", &a) == -EINVAL);
	CHECK(vr_addr_parse("fe80::1%eth0", &a) == -EINVAL);
	CHECK(vr_addr_parse("", &a) == -EINVAL);
	CHECK(vr_addr_parse(NULL, &a) == -EINVAL);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s <example.yaml> <bad-dir> <good-dir>\n", argv[0]);
		return 2;
	}
	dir_good = argv[3];
	test_example(argv[1]);
	test_good();
	test_bad(argv[2]);
	test_api();
	return vr_test_done("test_config");
}
