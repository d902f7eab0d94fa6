/* SPDX-License-Identifier: BSD-3-Clause */
/* The configuration schema: per section, each key's type, field, bounds and default, and the hook that checks it. */
#include <stddef.h>

#include "voxrelay/config.h"
#include "voxrelay/encap.h"
#include "voxrelay/relay.h"

#include "config_priv.h"

#ifdef __has_include
#if __has_include(<rte_build_config.h>)
#include <rte_build_config.h>
#endif
#endif
#ifndef RTE_MAX_LCORE
#define RTE_MAX_LCORE 128
#endif

#define CFG_EAL_ARG_LEN 1024

static const struct vr_cfg_enum role_names[] = {
	{"balancer", VR_ROLE_BALANCER},
	{"relay", VR_ROLE_RELAY},
	{NULL, 0},
};
static const struct vr_cfg_enum hash_names[] = {
	{"five-tuple", VR_HASH_FIVE_TUPLE},
	{"dst-port", VR_HASH_DST_PORT},
	{NULL, 0},
};
static const struct vr_cfg_enum encap_names[] = {
	{"gue", VR_ENCAP_GUE},
	{"ipip", VR_ENCAP_IPIP},
	{NULL, 0},
};
static const struct vr_cfg_enum state_names[] = {
	{"up", VR_BACKEND_UP},
	{"draining", VR_BACKEND_DRAINING},
	{"down", VR_BACKEND_DOWN},
	{NULL, 0},
};

static const struct vr_cfg_enum steer_filter_names[] = {
	{"voice", VR_STEER_FILTER_VOICE},
	{"none", VR_STEER_FILTER_NONE},
	{NULL, 0},
};
static const struct vr_cfg_enum steer_neigh_names[] = {
	{"dataplane", VR_STEER_NEIGH_DATAPLANE},
	{"kernel", VR_STEER_NEIGH_KERNEL},
	{NULL, 0},
};

/* ------------------------------------------------------------------ */
/* the tables */

/* `ports`/`port` write lo and hi as one pair */
_Static_assert(offsetof(struct vr_cfg_vip, port_hi) == offsetof(struct vr_cfg_vip, port_lo) + sizeof(uint16_t),
	       "port_hi must follow port_lo");

#define FLD(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
#define HAS(T, m) .present = offsetof(T, m) + 1
#define SECTION(keys_, post_) .keys = keys_, .nb_keys = VR_ARRAY_SIZE(keys_), .post = post_

static const struct vr_cfg_key backend_keys[] = {
	{"address", VR_CFG_T_ADDR, VR_CFG_F_REQ, FLD(struct vr_cfg_backend, addr)},
	{"weight", VR_CFG_T_UINT, 0, FLD(struct vr_cfg_backend, weight), .min = 1, .max = 65535, .def = "1"},
	{"state", VR_CFG_T_ENUM, 0, FLD(struct vr_cfg_backend, state), .names = state_names, .def = "up"},
};
static const struct vr_cfg_section backend_section = {
	SECTION(backend_keys, vr_cfg_post_backend),
	.pos_off = offsetof(struct vr_cfg_backend, pos) + 1,
};

static const struct vr_cfg_enum health_names[] = {
	{"none", VR_HEALTH_NONE},
	{"udp-echo", VR_HEALTH_UDP_ECHO},
	{"http", VR_HEALTH_HTTP},
	{NULL, 0},
};

static const struct vr_cfg_key health_keys[] = {
	{"type", VR_CFG_T_ENUM, 0, FLD(struct vr_cfg_vip, health_type), .names = health_names, .def = "none"},
	{"port", VR_CFG_T_UINT, 0, FLD(struct vr_cfg_vip, health_port), .min = 1, .max = 65535, .def = "7"},
	{"interval", VR_CFG_T_DURATION, 0, FLD(struct vr_cfg_vip, health_interval_ms), .min = 100, .max = 3600000,
	 .unit = 1, .def = "1s"},
	{"timeout", VR_CFG_T_DURATION, 0, FLD(struct vr_cfg_vip, health_timeout_ms), .min = 10, .max = 3600000,
	 .unit = 1, .def = "500ms"},
	{"rise", VR_CFG_T_UINT, 0, FLD(struct vr_cfg_vip, health_rise), .min = 1, .max = 100, .def = "2"},
	{"fall", VR_CFG_T_UINT, 0, FLD(struct vr_cfg_vip, health_fall), .min = 1, .max = 100, .def = "3"},
	/* http only; their defaults (/healthz, the VIP, 200, port 80) depend on
	 * the type and the address, so vr_cfg_post_health and _vip fill them in */
	{"path", VR_CFG_T_STRING, 0, FLD(struct vr_cfg_vip, health_path)},
	{"host", VR_CFG_T_STRING, 0, FLD(struct vr_cfg_vip, health_host)},
	{"expect", VR_CFG_T_UINT, 0, FLD(struct vr_cfg_vip, health_expect), HAS(struct vr_cfg_vip, has_health_expect),
	 .min = 100, .max = 599},
};
const struct vr_cfg_section vr_cfg_health_section = {SECTION(health_keys, vr_cfg_post_health)};

static const struct vr_cfg_key vip_keys[] = {
	{"address", VR_CFG_T_ADDR, VR_CFG_F_REQ, FLD(struct vr_cfg_vip, addr)},
	{"ports", VR_CFG_T_PORT_RANGE, 0, .off = offsetof(struct vr_cfg_vip, port_lo), .size = 4},
	{"port", VR_CFG_T_PORT_RANGE, VR_CFG_F_SINGLE | VR_CFG_F_NODUMP, .off = offsetof(struct vr_cfg_vip, port_lo),
	 .size = 4},
	{"hash", VR_CFG_T_ENUM, 0, FLD(struct vr_cfg_vip, hash_key), .names = hash_names, .def = "five-tuple"},
	{"encap", VR_CFG_T_ENUM, 0, FLD(struct vr_cfg_vip, encap), .names = encap_names, .def = "gue"},
	{"gue_port", VR_CFG_T_UINT, 0, FLD(struct vr_cfg_vip, gue_port), .min = 1, .max = 65535},
	{"health", VR_CFG_T_MAP, 0, .sub = &vr_cfg_health_section},
	/* the AF_XDP steering program's checks (ports with steer: true) */
	{"filter", VR_CFG_T_ENUM, 0, FLD(struct vr_cfg_vip, steer_filter), .names = steer_filter_names, .def = "voice"},
	{"rate_limit", VR_CFG_T_BOOL, 0, FLD(struct vr_cfg_vip, steer_rate_limit), .def = "true"},
	{"backends", VR_CFG_T_SEQ, 0, FLD(struct vr_cfg_vip, backends),
	 .count_off = offsetof(struct vr_cfg_vip, nb_backends), .cmin = 0, .cmax = VR_MAX_BACKENDS,
	 .sub = &backend_section, .item_size = sizeof(struct vr_cfg_backend)},
};
const struct vr_cfg_section vr_cfg_vip_section = {
	SECTION(vip_keys, vr_cfg_post_vip),
	.pos_off = offsetof(struct vr_cfg_vip, pos) + 1,
};

static const struct vr_cfg_key port_keys[] = {
	{"name", VR_CFG_T_STRING, VR_CFG_F_REQ | VR_CFG_F_NAME, FLD(struct vr_cfg_port, name)},
	{"device", VR_CFG_T_STRING, VR_CFG_F_REQ, FLD(struct vr_cfg_port, device)},
	{"mtu", VR_CFG_T_UINT, 0, FLD(struct vr_cfg_port, mtu), .min = 576, .max = 9000, .def = "1500"},
	{"rx_desc", VR_CFG_T_UINT, VR_CFG_F_POW2, FLD(struct vr_cfg_port, rx_desc), .min = 64, .max = 16384,
	 .def = "1024"},
	{"tx_desc", VR_CFG_T_UINT, VR_CFG_F_POW2, FLD(struct vr_cfg_port, tx_desc), .min = 64, .max = 16384,
	 .def = "1024"},
	{"ipv4", VR_CFG_T_IPV4, 0, FLD(struct vr_cfg_port, ipv4), HAS(struct vr_cfg_port, has_ipv4)},
	{"ipv6", VR_CFG_T_IPV6, 0, FLD(struct vr_cfg_port, ipv6), HAS(struct vr_cfg_port, has_ipv6)},
	{"gateway_ipv4", VR_CFG_T_IPV4, 0, FLD(struct vr_cfg_port, gateway_ipv4), HAS(struct vr_cfg_port, has_gw4)},
	{"gateway_ipv6", VR_CFG_T_IPV6, 0, FLD(struct vr_cfg_port, gateway_ipv6), HAS(struct vr_cfg_port, has_gw6)},
	{"gateway_mac", VR_CFG_T_MAC, 0, FLD(struct vr_cfg_port, gateway_mac), HAS(struct vr_cfg_port, has_gw_mac)},
	{"tx_port", VR_CFG_T_STRING, VR_CFG_F_NAME, FLD(struct vr_cfg_port, tx_port)},
	/* net_af_xdp only (vr_cfg_post_port); the program's default path is voxrelay-dp's to find */
	{"steer", VR_CFG_T_BOOL, 0, FLD(struct vr_cfg_port, steer), .def = "false"},
	{"steer_program", VR_CFG_T_STRING, 0, FLD(struct vr_cfg_port, steer_program)},
};
const struct vr_cfg_section vr_cfg_port_section = {
	SECTION(port_keys, vr_cfg_post_port),
	.pos_off = offsetof(struct vr_cfg_port, pos) + 1,
};

static const struct vr_cfg_key eal_keys[] = {
	{"file_prefix", VR_CFG_T_STRING, VR_CFG_F_NAME, FLD(struct vr_config, file_prefix), .def = "voxrelay"},
	{"main_lcore", VR_CFG_T_UINT, 0, FLD(struct vr_config, main_lcore), .min = 0, .max = RTE_MAX_LCORE - 1,
	 .def = "0"},
	{"huge", VR_CFG_T_BOOL, 0, FLD(struct vr_config, huge), .def = "true"},
	{"memory_mb", VR_CFG_T_UINT, 0, FLD(struct vr_config, memory_mb), .min = 0, .max = 1048576, .def = "0"},
	{"args", VR_CFG_T_STRING_LIST, 0, .off = offsetof(struct vr_config, eal_args),
	 .count_off = offsetof(struct vr_config, nb_eal_args), .cmin = 0, .cmax = VR_CFG_MAX_EAL_ARGS,
	 .size = CFG_EAL_ARG_LEN},
};
static const struct vr_cfg_section eal_section = {SECTION(eal_keys, NULL)};

static const struct vr_cfg_key control_keys[] = {
	{"socket", VR_CFG_T_STRING, 0, FLD(struct vr_config, control_socket), .def = "/run/voxrelay/dp.sock"},
	{"mode", VR_CFG_T_OCTAL, 0, FLD(struct vr_config, control_mode), .min = 0, .max = 0777, .def = "0660"},
	{"group", VR_CFG_T_STRING, 0, FLD(struct vr_config, control_group)},
};
static const struct vr_cfg_section control_section = {SECTION(control_keys, NULL)};

static const struct vr_cfg_key dp_health_keys[] = {
	{"tap", VR_CFG_T_STRING, VR_CFG_F_NAME, FLD(struct vr_config, health_tap), .def = "vrprobe0"},
};
static const struct vr_cfg_section dp_health_section = {SECTION(dp_health_keys, vr_cfg_post_dp_health)};

static const struct vr_cfg_key xdp_filter_keys[] = {
	{"enabled", VR_CFG_T_BOOL, 0, FLD(struct vr_config, xdp_filter), .def = "true"},
	{"rate_pps", VR_CFG_T_UINT, 0, FLD(struct vr_config, xdp_rate_pps), .min = 0, .max = 10000000, .def = "0"},
	{"burst", VR_CFG_T_UINT, 0, FLD(struct vr_config, xdp_burst), .min = 0, .max = 100000000, .def = "0"},
	{"neigh", VR_CFG_T_ENUM, 0, FLD(struct vr_config, xdp_neigh), .names = steer_neigh_names, .def = "dataplane"},
};
static const struct vr_cfg_section xdp_filter_section = {SECTION(xdp_filter_keys, NULL)};

static const struct vr_cfg_key dataplane_keys[] = {
	{"role", VR_CFG_T_ENUM, 0, FLD(struct vr_config, role), .names = role_names, .def = "balancer"},
	{"eal", VR_CFG_T_MAP, 0, .sub = &eal_section},
	{"control", VR_CFG_T_MAP, 0, .sub = &control_section},
	{"health", VR_CFG_T_MAP, 0, .sub = &dp_health_section},
	{"xdp_filter", VR_CFG_T_MAP, 0, .sub = &xdp_filter_section},
	{"worker_lcores", VR_CFG_T_UINT_LIST, VR_CFG_F_DISTINCT, .off = offsetof(struct vr_config, worker_lcores),
	 .count_off = offsetof(struct vr_config, nb_workers), .cmin = 1, .cmax = VR_CFG_MAX_LCORES, .min = 0,
	 .max = RTE_MAX_LCORE - 1, .def = "1"},
	{"mbufs", VR_CFG_T_UINT, 0, FLD(struct vr_config, mbufs), .min = 1023, .max = 4194303, .def = "16383"},
	{"burst", VR_CFG_T_UINT, 0, FLD(struct vr_config, burst), .min = 1, .max = 256, .def = "32"},
	{"idle_sleep_us", VR_CFG_T_UINT, 0, FLD(struct vr_config, idle_sleep_us), .min = 0, .max = 100000, .def = "0"},
	{"stats_interval", VR_CFG_T_DURATION, 0, FLD(struct vr_config, stats_interval_s), .min = 0, .max = 86400000,
	 .unit = 1000, .def = "0s"},
	{"ports", VR_CFG_T_SEQ, VR_CFG_F_REQ | VR_CFG_F_INLINE, .off = offsetof(struct vr_config, ports),
	 .count_off = offsetof(struct vr_config, nb_ports), .cmin = 1, .cmax = VR_CFG_MAX_PORTS,
	 .sub = &vr_cfg_port_section, .item_size = sizeof(struct vr_cfg_port)},
};
static const struct vr_cfg_section dataplane_section = {SECTION(dataplane_keys, vr_cfg_post_dataplane)};

static const struct vr_cfg_key conntrack_keys[] = {
	{"capacity", VR_CFG_T_UINT, 0, FLD(struct vr_config, ct_capacity), .min = 64, .max = 67108864,
	 .def = "1048576"},
	{"udp_timeout", VR_CFG_T_DURATION, 0, FLD(struct vr_config, ct_udp_timeout_ms), .min = 1000, .max = 3600000,
	 .unit = 1, .def = "30s"},
};
static const struct vr_cfg_section conntrack_section = {SECTION(conntrack_keys, NULL)};

static const struct vr_cfg_key balancer_keys[] = {
	{"maglev_table_size", VR_CFG_T_UINT, VR_CFG_F_PRIME, FLD(struct vr_config, maglev_size), .min = 3,
	 .max = VR_MAGLEV_MAX_SIZE, .def = "65537"},
	{"conntrack", VR_CFG_T_MAP, 0, .sub = &conntrack_section},
	{"gue_port", VR_CFG_T_UINT, 0, FLD(struct vr_config, gue_port), .min = 1, .max = 65535, .def = "6080"},
	{"ttl", VR_CFG_T_UINT, 0, FLD(struct vr_config, ttl), .min = 1, .max = 255, .def = "64"},
	{"vips", VR_CFG_T_SEQ, 0, FLD(struct vr_config, vips), .count_off = offsetof(struct vr_config, nb_vips),
	 .cmin = 0, .cmax = VR_MAX_VIPS, .sub = &vr_cfg_vip_section, .item_size = sizeof(struct vr_cfg_vip)},
};
const struct vr_cfg_section vr_cfg_balancer_section = {SECTION(balancer_keys, vr_cfg_post_balancer)};

static const struct vr_cfg_key relay_vip_keys[] = {
	{"address", VR_CFG_T_ADDR, VR_CFG_F_REQ, FLD(struct vr_cfg_relay_vip, addr)},
	{"ports", VR_CFG_T_PORT_RANGE, 0, .off = offsetof(struct vr_cfg_relay_vip, port_lo), .size = 4},
	{"port", VR_CFG_T_PORT_RANGE, VR_CFG_F_SINGLE | VR_CFG_F_NODUMP,
	 .off = offsetof(struct vr_cfg_relay_vip, port_lo), .size = 4},
	{"filter", VR_CFG_T_ENUM, 0, FLD(struct vr_cfg_relay_vip, steer_filter), .names = steer_filter_names,
	 .def = "voice"},
	{"rate_limit", VR_CFG_T_BOOL, 0, FLD(struct vr_cfg_relay_vip, steer_rate_limit), .def = "true"},
};
_Static_assert(offsetof(struct vr_cfg_relay_vip, port_hi) == offsetof(struct vr_cfg_relay_vip, port_lo) + sizeof(uint16_t),
	       "port_hi must follow port_lo");
const struct vr_cfg_section vr_cfg_relay_vip_section = {
	SECTION(relay_vip_keys, vr_cfg_post_relay_vip),
	.pos_off = offsetof(struct vr_cfg_relay_vip, pos) + 1,
};

static const struct vr_cfg_key relay_keys[] = {
	{"max_rooms", VR_CFG_T_UINT, 0, FLD(struct vr_config, relay_max_rooms), .min = 1, .max = 1048576,
	 .def = "65536"},
	{"max_members", VR_CFG_T_UINT, 0, FLD(struct vr_config, relay_max_members), .min = 2,
	 .max = VR_CFG_RELAY_MAX_MEMBERS, .def = "32"},
	{"max_speakers", VR_CFG_T_UINT, 0, FLD(struct vr_config, relay_max_speakers), .min = 1,
	 .max = VR_CFG_RELAY_MAX_MEMBERS, .def = "3"},
	{"slow_path_queue", VR_CFG_T_UINT, 0, FLD(struct vr_config, relay_slow_queue), .min = 16, .max = 65536,
	 .def = "1024"},
	{"gue_port", VR_CFG_T_UINT, 0, FLD(struct vr_config, relay_gue_port), .min = 1, .max = 65535, .def = "6080"},
	{"ttl", VR_CFG_T_UINT, 0, FLD(struct vr_config, relay_ttl), .min = 1, .max = 255, .def = "64"},
	{"vips", VR_CFG_T_SEQ, 0, FLD(struct vr_config, relay_vips), .count_off = offsetof(struct vr_config, nb_relay_vips),
	 .cmin = 0, .cmax = VR_MAX_VIPS, .sub = &vr_cfg_relay_vip_section, .item_size = sizeof(struct vr_cfg_relay_vip)},
};
const struct vr_cfg_section vr_cfg_relay_section = {SECTION(relay_keys, vr_cfg_post_relay)};

/* controlplane: voxrelay-cp, the chat WebSocket gateway. All its fields live in
 * struct vr_config (prefix cp_); the checks across keys are in config_cp.c. */

/* a duration stored in milliseconds in struct vr_config */
#define DUR_MS(m) VR_CFG_T_DURATION, 0, FLD(struct vr_config, m), .unit = 1

static const struct vr_cfg_key cp_listen_keys[] = {
	{"address", VR_CFG_T_ADDR, 0, FLD(struct vr_config, cp_listen_addr), .def = "0.0.0.0"},
	{"port", VR_CFG_T_UINT, 0, FLD(struct vr_config, cp_listen_port), .min = 1, .max = 65535, .def = "8080"},
	{"tls_cert", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_tls_cert)},
	{"tls_key", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_tls_key)},
};
const struct vr_cfg_section vr_cfg_cp_listen_section = {SECTION(cp_listen_keys, vr_cfg_post_cp_listen)};

static const struct vr_cfg_key cp_redis_keys[] = {
	{"url", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_redis_url), .def = "redis://127.0.0.1:6379/0"},
	{"connect_timeout", DUR_MS(cp_redis_connect_timeout_ms), .min = 100, .max = 60000, .def = "2s"},
	{"reconnect_max", DUR_MS(cp_redis_reconnect_max_ms), .min = 100, .max = 300000, .def = "5s"},
	{"stream_maxlen", VR_CFG_T_UINT, 0, FLD(struct vr_config, cp_redis_stream_maxlen), .min = 100,
	 .max = 10000000, .def = "10000"},
	/* rediss:// only (vr_cfg_post_cp_redis) */
	{"tls_ca_file", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_redis_tls_ca_file)},
	{"tls_cert", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_redis_tls_cert)},
	{"tls_key", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_redis_tls_key)},
	{"tls_server_name", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_redis_tls_server_name)},
	{"tls_verify", VR_CFG_T_BOOL, 0, FLD(struct vr_config, cp_redis_tls_verify), .def = "true"},
};
const struct vr_cfg_section vr_cfg_cp_redis_section = {SECTION(cp_redis_keys, vr_cfg_post_cp_redis)};

static const struct vr_cfg_key cp_auth_keys[] = {
	{"hs256_secret_file", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_auth_hs256_secret_file)},
	{"public_key_file", VR_CFG_T_STRING, 0, FLD(struct vr_config, cp_auth_public_key_file)},
	{"leeway", DUR_MS(cp_auth_leeway_ms), .min = 0, .max = 600000, .def = "30s"},
	{"require_exp", VR_CFG_T_BOOL, 0, FLD(struct vr_config, cp_auth_require_exp), .def = "true"},
	{"timeout", DUR_MS(cp_auth_timeout_ms), .min = 1000, .max = 300000, .def = "10s"},
};
const struct vr_cfg_section vr_cfg_cp_auth_section = {SECTION(cp_auth_keys, vr_cfg_post_cp_auth)};

/* vr_config_cp_env (config_env.c) finds these by path: renaming one renames an override */
static const struct vr_cfg_key cp_limits_keys[] = {
	{"max_connections", VR_CFG_T_UINT, 0, FLD(struct vr_config, cp_max_connections), .min = 1, .max = 1000000,
	 .def = "2000"},
	{"max_connections_per_user", VR_CFG_T_UINT, 0, FLD(struct vr_config, cp_max_connections_per_user), .min = 1,
	 .max = 1000, .def = "5"},
	{"rate_limit_window", DUR_MS(cp_rate_limit_window_ms), .min = 1000, .max = 3600000, .def = "60s"},
	{"rate_limit_max_messages", VR_CFG_T_UINT, 0, FLD(struct vr_config, cp_rate_limit_max_messages), .min = 1,
	 .max = 100000, .def = "30"},
	{"cleanup_interval", DUR_MS(cp_cleanup_interval_ms), .min = 1000, .max = 86400000, .def = "5m"},
	{"inactive_timeout", DUR_MS(cp_inactive_timeout_ms), .min = 10000, .max = 604800000, .def = "30m"},
	{"max_payload", VR_CFG_T_UINT, 0, FLD(struct vr_config, cp_max_payload), .min = 128, .max = 16777216,
	 .def = "16384"},
	{"max_message_length", VR_CFG_T_UINT, 0, FLD(struct vr_config, cp_max_message_length), .min = 1,
	 .max = 1000000, .def = "4000"},
	{"outbound_queue", VR_CFG_T_UINT, 0, FLD(struct vr_config, cp_outbound_queue), .min = 4096,
	 .max = 1073741824, .def = "1048576"},
};
const struct vr_cfg_section vr_cfg_cp_limits_section = {SECTION(cp_limits_keys, vr_cfg_post_cp_limits)};

static const struct vr_cfg_key cp_relay_keys[] = {
	{"address", VR_CFG_T_ADDR, VR_CFG_F_REQ, FLD(struct vr_cfg_cp_relay, addr)},
	{"control_socket", VR_CFG_T_STRING, VR_CFG_F_REQ, FLD(struct vr_cfg_cp_relay, control_socket)},
};
static const struct vr_cfg_section cp_relay_section = {
	SECTION(cp_relay_keys, NULL),
	.pos_off = offsetof(struct vr_cfg_cp_relay, pos) + 1,
};

static const struct vr_cfg_enum suite_names[] = {
	{"AES_CM_128_HMAC_SHA1_80", VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80},
	{"AEAD_AES_128_GCM", VR_RELAY_SUITE_AEAD_AES_128_GCM},
	{"NONE", VR_RELAY_SUITE_NONE},
	{NULL, 0},
};

static const struct vr_cfg_key cp_voice_keys[] = {
	{"relays", VR_CFG_T_SEQ, VR_CFG_F_INLINE, .off = offsetof(struct vr_config, cp_relays),
	 .count_off = offsetof(struct vr_config, nb_cp_relays), .cmin = 0, .cmax = VR_CFG_CP_MAX_RELAYS,
	 .sub = &cp_relay_section, .item_size = sizeof(struct vr_cfg_cp_relay)},
	{"suite", VR_CFG_T_ENUM, 0, FLD(struct vr_config, cp_voice_suite), .names = suite_names,
	 .def = "AES_CM_128_HMAC_SHA1_80"},
};
static const struct vr_cfg_section cp_voice_section = {SECTION(cp_voice_keys, NULL)};

static const struct vr_cfg_key cp_keys[] = {
	{"listen", VR_CFG_T_MAP, 0, .sub = &vr_cfg_cp_listen_section},
	{"redis", VR_CFG_T_MAP, 0, .sub = &vr_cfg_cp_redis_section},
	{"auth", VR_CFG_T_MAP, 0, .sub = &vr_cfg_cp_auth_section},
	{"heartbeat_interval", DUR_MS(cp_heartbeat_interval_ms), .min = 1000, .max = 600000, .def = "30s"},
	{"presence_ttl", DUR_MS(cp_presence_ttl_ms), .min = 5000, .max = 3600000, .def = "90s"},
	{"web_root", VR_CFG_T_STRING, VR_CFG_F_EMPTY, FLD(struct vr_config, cp_web_root)},
	{"limits", VR_CFG_T_MAP, 0, .sub = &vr_cfg_cp_limits_section},
	{"voice", VR_CFG_T_MAP, 0, .sub = &cp_voice_section},
};
const struct vr_cfg_section vr_cfg_cp_section = {SECTION(cp_keys, vr_cfg_post_cp)};

static const struct vr_cfg_key root_keys[] = {
	/* required unless the file is voxrelay-cp's alone (vr_cfg_post_root) */
	{"dataplane", VR_CFG_T_MAP, 0, HAS(struct vr_config, has_dataplane), .sub = &dataplane_section},
	{"balancer", VR_CFG_T_MAP, 0, .sub = &vr_cfg_balancer_section},
	{"relay", VR_CFG_T_MAP, 0, .sub = &vr_cfg_relay_section},
	{"controlplane", VR_CFG_T_MAP, 0, HAS(struct vr_config, has_controlplane), .sub = &vr_cfg_cp_section},
};
const struct vr_cfg_section vr_cfg_root_section = {SECTION(root_keys, vr_cfg_post_root)};
