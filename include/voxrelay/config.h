/* SPDX-License-Identifier: BSD-3-Clause */
/* The YAML configuration (libyaml): parsed, defaulted and validated into struct vr_config. */
#ifndef VOXRELAY_CONFIG_H
#define VOXRELAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "voxrelay/common.h"

#define VR_CFG_MAX_PORTS 8
#define VR_CFG_MAX_LCORES 64
#define VR_CFG_MAX_EAL_ARGS 32
#define VR_CFG_NAME_LEN 64
#define VR_CFG_DEVICE_LEN 256
#define VR_CFG_ERR_LEN 512
/** Room for an HTTP probe's path or host (255 bytes and the NUL). */
#define VR_CFG_HTTP_LEN 256
/** Room for a kernel interface name (IFNAMSIZ). */
#define VR_CFG_IFNAME_LEN 16
/** Most members of one relay room (equals VR_RELAY_MAX_MEMBERS of relay.h). */
#define VR_CFG_RELAY_MAX_MEMBERS 256
/** Room for a file or directory path of the controlplane section (255 bytes and the NUL). */
#define VR_CFG_CP_PATH_LEN 256
/** Room for controlplane.redis.url (511 bytes and the NUL). */
/** Room for a host name, as controlplane.redis.tls_server_name (255 bytes and the NUL). */
#define VR_CFG_CP_HOST_LEN 256
#define VR_CFG_CP_URL_LEN 512
/** Room for a UNIX socket path (sun_path: 107 bytes and the NUL). */
#define VR_CFG_SOCK_LEN 108
/** Most relays controlplane.voice.relays may list. */
#define VR_CFG_CP_MAX_RELAYS 64

enum vr_role { VR_ROLE_BALANCER = 0, VR_ROLE_RELAY = 1 };
/** How a VIP hashes packets onto its Maglev table (config `hash:`). */
enum vr_hash_key {
	VR_HASH_FIVE_TUPLE = 0, /**< src/dst address, src/dst port, protocol */
	VR_HASH_DST_PORT = 1,   /**< VIP and destination port: one voice room per port */
};

/** What the AF_XDP steering program checks on a VIP's traffic (config `filter:`; docs/steer.md). */
enum vr_steer_filter {
	VR_STEER_FILTER_VOICE = 0, /**< RFC 7983 first byte and RTP/RTCP/STUN/DTLS lengths (default) */
	VR_STEER_FILTER_NONE = 1,  /**< no payload checks (generic UDP services) */
};

/** Who answers ARP/ND for the ports' addresses when a port steers (config `xdp_filter.neigh:`). */
enum vr_steer_neigh {
	VR_STEER_NEIGH_DATAPLANE = 0, /**< the steering program hands them to voxrelay-dp (default) */
	VR_STEER_NEIGH_KERNEL = 1,    /**< they stay with the kernel, which must own the addresses */
};

/** Room for a port's steer_program path (255 bytes and the NUL). */
#define VR_CFG_PROG_PATH_LEN 256

/** Where a value stood in the file (1-based), for messages. */
struct vr_cfg_pos {
	uint32_t line, column;
};

struct vr_cfg_backend {
	struct vr_addr addr;
	char name[VR_CFG_NAME_LEN]; /**< the address as text: the Maglev name */
	uint32_t weight;            /**< 1..65535, default 1 */
	uint8_t state;              /**< enum vr_backend_state, default up */
	struct vr_cfg_pos pos;
};

struct vr_cfg_vip {
	struct vr_addr addr;
	uint16_t port_lo, port_hi;  /**< host byte order, inclusive; `port: N` or `ports: A-B` */
	uint8_t hash_key;           /**< enum vr_hash_key, default five-tuple */
	uint8_t encap;              /**< enum vr_encap_type, default gue */
	uint16_t gue_port;          /**< default: the global gue_port */
	uint32_t nb_backends;
	struct vr_cfg_backend *backends;
	/* active health checks of this VIP's backends (`health:`) */
	uint8_t health_type;        /**< enum vr_health_type, default none */
	uint8_t health_rise;        /**< consecutive successes that bring a backend up, default 2 */
	uint8_t health_fall;        /**< consecutive failures that take it down, default 3 */
	uint16_t health_port;       /**< UDP port of the echo responder (default 7), TCP port of the HTTP server (default 80) on the VIP */
	uint32_t health_interval_ms; /**< between probes of one backend, default 1000 */
	uint32_t health_timeout_ms; /**< a probe unanswered this long failed, default 500, < interval */
	char health_path[VR_CFG_HTTP_LEN]; /**< http: request target, default /healthz; "" for other types */
	char health_host[VR_CFG_HTTP_LEN]; /**< http: Host header, default the VIP address ([v6]); "" for other types */
	uint16_t health_expect;     /**< http: the status code that counts as healthy, default 200 */
	bool has_health_expect;     /**< @health_expect is set (type http) */
	/* the AF_XDP steering program's checks of this VIP (ports with steer: true) */
	uint8_t steer_filter;       /**< `filter:` enum vr_steer_filter, default voice */
	bool steer_rate_limit;      /**< `rate_limit:` per-source token bucket, default true */
	struct vr_cfg_pos pos;
};

/** How a VIP's backends are probed. */
enum vr_health_type {
	VR_HEALTH_NONE = 0,     /**< not probed: the configured state is the state */
	VR_HEALTH_UDP_ECHO = 1, /**< a UDP datagram to VIP:port, encapsulated as traffic is, must come back */
	VR_HEALTH_HTTP = 2,     /**< GET path from VIP:port over TCP (the kernel's, through a tap), encapsulated as traffic is */
};

/**
 * UDP source ports of the udp-echo probes (dataplane/dp/health_udp.c: base
 * + target index mod count): the echoes come back to them, at the probing
 * port's address, so a steering port must hand them to the dataplane
 * (vr_steer_table_build()).
 */
#define VR_HEALTH_UDP_SPORT_BASE 40000
#define VR_HEALTH_UDP_SPORT_COUNT 20000

/** An address and port range the relay answers from (`relay.vips`): its rooms live on VIP:port. */
struct vr_cfg_relay_vip {
	struct vr_addr addr;
	uint16_t port_lo, port_hi;  /**< host byte order, inclusive; `port: N` or `ports: A-B` */
	uint8_t steer_filter;       /**< `filter:` enum vr_steer_filter, default voice (clients sending directly) */
	bool steer_rate_limit;      /**< `rate_limit:`, default true */
	struct vr_cfg_pos pos;
};

/** A relay voxrelay-cp places voice rooms on (`controlplane.voice.relays[]`). */
struct vr_cfg_cp_relay {
	struct vr_addr addr;                   /**< the relay's address (a balancer backend address), required */
	char control_socket[VR_CFG_SOCK_LEN];  /**< its control socket (docs/control.md), required */
	struct vr_cfg_pos pos;
};

struct vr_cfg_port {
	char name[VR_CFG_NAME_LEN];
	char device[VR_CFG_DEVICE_LEN]; /**< PCI address (0000:03:00.0) or vdev string (net_af_xdp0,iface=eth1) */
	uint16_t mtu;                   /**< IP MTU, default 1500 */
	uint16_t rx_desc, tx_desc;      /**< ring sizes, default 1024 */
	bool has_ipv4, has_ipv6;
	uint32_t ipv4;                  /**< our address, network byte order */
	uint8_t ipv6[16];
	bool has_gw4, has_gw6, has_gw_mac;
	uint32_t gateway_ipv4;          /**< next hop for everything we send */
	uint8_t gateway_ipv6[16];
	uint8_t gateway_mac[6];         /**< optional: skips ARP/ND resolution */
	char tx_port[VR_CFG_NAME_LEN];  /**< port that sends what this one receives; default: itself (one-armed) */
	uint32_t tx_port_idx;           /**< @tx_port resolved to an index into vr_config.ports */
	bool steer;                     /**< `steer:` attach bpf/steer.bpf.o (net_af_xdp only), default false */
	char steer_program[VR_CFG_PROG_PATH_LEN]; /**< `steer_program:` the object to attach; "" = the built-in default (docs/steer.md) */
	struct vr_cfg_pos pos;
};

struct vr_config {
	char path[4096];
	uint8_t role;                       /**< enum vr_role */
	/* EAL */
	char file_prefix[VR_CFG_NAME_LEN];  /**< default "voxrelay" */
	uint32_t main_lcore;                /**< default 0 */
	uint32_t nb_workers;
	uint32_t worker_lcores[VR_CFG_MAX_LCORES]; /**< default {1} */
	bool huge;                          /**< default true; false passes --no-huge */
	uint32_t memory_mb;                 /**< -m; default 0 (EAL decides) */
	uint32_t nb_eal_args;
	char *eal_args[VR_CFG_MAX_EAL_ARGS]; /**< extra EAL arguments, verbatim */
	/* I/O */
	uint32_t mbufs;                     /**< mbufs per port pool, default 16383 */
	uint32_t burst;                     /**< RX/TX burst, 1..256, default 32 */
	uint32_t idle_sleep_us;             /**< a worker loop that found nothing sleeps this long, us; 0 busy-polls (default) */
	uint32_t nb_ports;
	struct vr_cfg_port ports[VR_CFG_MAX_PORTS];
	/* balancer */
	uint32_t maglev_size;               /**< prime, default 65537, >= 100 x backends of any VIP */
	uint32_t ct_capacity;               /**< flows over all workers, default 1048576 */
	uint32_t ct_udp_timeout_ms;         /**< default 30000 */
	uint16_t gue_port;                  /**< default 6080 */
	uint8_t ttl;                        /**< outer TTL, default 64 */
	uint32_t stats_interval_s;          /**< print counters every N s; 0 = only on SIGUSR1/exit */
	char health_tap[VR_CFG_IFNAME_LEN]; /**< dataplane.health.tap: the kernel tap HTTP probes use, default vrprobe0 */
	/* dataplane.xdp_filter: the steering program's settings (ports with steer: true; docs/steer.md) */
	bool xdp_filter;                    /**< enabled: fragment drops and the voice checks, default true */
	uint32_t xdp_rate_pps;              /**< rate_pps: per-source packets/s to rate-limited VIPs, 0..10000000, 0 (default) = off */
	uint32_t xdp_burst;                 /**< burst: bucket depth in packets, 0 (default) = one second at rate_pps */
	uint8_t xdp_neigh;                  /**< neigh: enum vr_steer_neigh, default dataplane */
	/* control socket (docs/control.md) */
	char control_socket[108];           /**< UNIX socket path, default /run/voxrelay/dp.sock; "" disables */
	uint32_t control_mode;              /**< permissions, octal text in the file ("0660"), default 0660 */
	char control_group[VR_CFG_NAME_LEN]; /**< group owning the socket; "" keeps the process's */
	uint32_t nb_vips;
	struct vr_cfg_vip *vips;
	/* relay (role relay; docs/relay.md) */
	uint32_t relay_max_rooms;           /**< rooms on this host, default 65536 */
	uint32_t relay_max_members;         /**< a room's member limit when room.add gives none, default 32 */
	uint32_t relay_max_speakers;        /**< N loudest speakers forwarded when room.add gives none, default 3 */
	uint32_t relay_slow_queue;          /**< STUN/DTLS datagrams kept for the control side, default 1024 */
	uint16_t relay_gue_port;            /**< UDP port of GUE from the balancer, default 6080 */
	uint8_t relay_ttl;                  /**< TTL / hop limit of what the relay sends, default 64 */
	uint32_t nb_relay_vips;
	struct vr_cfg_relay_vip *relay_vips;
	/* controlplane (voxrelay-cp, the chat WebSocket gateway; docs/configuration.md).
	 * Defaults are filled in even when the section is absent; durations in ms. */
	bool has_controlplane;              /**< `controlplane:` is given (its checks ran); voxrelay-cp needs it */
	bool has_dataplane;                 /**< `dataplane:` is given; voxrelay-dp needs it. Only a file with controlplane: may leave it out */
	struct vr_addr cp_listen_addr;      /**< listen.address, default 0.0.0.0 */
	uint16_t cp_listen_port;            /**< listen.port, 1..65535, default 8080 */
	char cp_tls_cert[VR_CFG_CP_PATH_LEN]; /**< listen.tls_cert, PEM; "" (default) = plain HTTP; set iff cp_tls_key is */
	char cp_tls_key[VR_CFG_CP_PATH_LEN];  /**< listen.tls_key, PEM; "" (default) = plain HTTP */
	char cp_redis_url[VR_CFG_CP_URL_LEN]; /**< redis.url, syntax checked (vr_redis_url_parse()), default redis://127.0.0.1:6379/0 */
	uint32_t cp_redis_connect_timeout_ms; /**< redis.connect_timeout, 100ms..60s, default 2000 */
	uint32_t cp_redis_reconnect_max_ms; /**< redis.reconnect_max: longest reconnect backoff, 100ms..5m, default 5000 */
	uint32_t cp_redis_stream_maxlen;    /**< redis.stream_maxlen: messages kept per chat stream (XADD MAXLEN ~), 100..10000000, default 10000 */
	char cp_redis_tls_ca_file[VR_CFG_CP_PATH_LEN]; /**< redis.tls_ca_file: PEM CA certificate(s) that verify Redis (rediss://); "" (default) = the system's default trust store */
	char cp_redis_tls_cert[VR_CFG_CP_PATH_LEN];    /**< redis.tls_cert: PEM client certificate (chain) for Redis; "" (default) = none; set iff cp_redis_tls_key is */
	char cp_redis_tls_key[VR_CFG_CP_PATH_LEN];     /**< redis.tls_key: PEM private key of cp_redis_tls_cert; "" (default) = none */
	char cp_redis_tls_server_name[VR_CFG_CP_HOST_LEN]; /**< redis.tls_server_name: SNI and the name (or IP address) the certificate must match; "" (default) = the URL's host */
	bool cp_redis_tls_verify;           /**< redis.tls_verify: verify Redis's certificate (chain and name), default true; false only for tests */
	char cp_auth_hs256_secret_file[VR_CFG_CP_PATH_LEN]; /**< auth.hs256_secret_file, "" = none (default); one of the two key files is required */
	char cp_auth_public_key_file[VR_CFG_CP_PATH_LEN];   /**< auth.public_key_file (PEM, RS256 or ES256), "" = none (default) */
	uint32_t cp_auth_leeway_ms;         /**< auth.leeway: clock skew allowed on exp/nbf, 0..10m, default 30000 */
	bool cp_auth_require_exp;           /**< auth.require_exp: a token without exp is refused, default true */
	uint32_t cp_auth_timeout_ms;        /**< auth.timeout: deadline for the auth message after connect, 1s..5m, default 10000 */
	uint32_t cp_heartbeat_interval_ms;  /**< heartbeat_interval, 1s..10m, default 30000 */
	uint32_t cp_presence_ttl_ms;        /**< presence_ttl, 5s..1h, > cp_heartbeat_interval_ms, default 90000 */
	char cp_web_root[VR_CFG_CP_PATH_LEN]; /**< web_root: directory of the web client; "" (default) = the program's built-in default */
	uint32_t cp_max_connections;        /**< limits.max_connections, 1..1000000, default 2000 (env WS_MAX_CONNECTIONS) */
	uint32_t cp_max_connections_per_user; /**< limits.max_connections_per_user, 1..1000, default 5 (env WS_MAX_CONNECTIONS_PER_USER) */
	uint32_t cp_rate_limit_window_ms;   /**< limits.rate_limit_window, 1s..1h, default 60000 (env WS_RATE_LIMIT_WINDOW) */
	uint32_t cp_rate_limit_max_messages; /**< limits.rate_limit_max_messages per window, 1..100000, default 30 (env WS_RATE_LIMIT_MAX_MESSAGES) */
	uint32_t cp_cleanup_interval_ms;    /**< limits.cleanup_interval, 1s..24h, default 300000 (env WS_CLEANUP_INTERVAL) */
	uint32_t cp_inactive_timeout_ms;    /**< limits.inactive_timeout, 10s..168h, default 1800000 (env WS_INACTIVE_TIMEOUT) */
	uint32_t cp_max_payload;            /**< limits.max_payload: bytes of one WebSocket message, 128..16777216, default 16384 (env WS_MAX_PAYLOAD) */
	uint32_t cp_max_message_length;     /**< limits.max_message_length: Unicode code points of a chat message, 1..1000000, <= cp_max_payload, default 4000 (env WS_MAX_MESSAGE_LENGTH) */
	uint32_t cp_outbound_queue;         /**< limits.outbound_queue: bytes queued per connection before it is closed as too slow, 4096..1073741824, default 1048576 */
	uint8_t cp_voice_suite;             /**< voice.suite: enum vr_relay_suite (relay.h), default AES_CM_128_HMAC_SHA1_80 */
	uint32_t nb_cp_relays;              /**< voice.relays: 0..VR_CFG_CP_MAX_RELAYS, default none */
	struct vr_cfg_cp_relay cp_relays[VR_CFG_CP_MAX_RELAYS];
};

/**
 * Load, default and validate a configuration file.
 *
 * Unknown keys, wrong types, values out of range, duplicate VIPs (same
 * address and overlapping ports), VIPs without backends, duplicate backends,
 * a Maglev size that is not prime or below 100 x the backends of a VIP, a
 * backend of a family no port has an address for, an HTTP health check of a
 * VIP or backend whose family the probing port (the first port's tx_port)
 * has no address of: all are errors.
 *
 * @param path  YAML file
 * @param err   on failure, one line "file:line:column: what is wrong"
 * @param errlen size of @err (VR_CFG_ERR_LEN is enough)
 * @return the configuration (free with vr_config_free()), or NULL with errno
 *         EINVAL (bad file; @err says why), ENOENT/EACCES/EISDIR/EIO (cannot
 *         read; @err says so too), EFBIG (over 16 MiB), ENOMEM.
 *         Thread-safe (no global state).
 */
struct vr_config *vr_config_load(const char *path, char *err, size_t errlen);

/** Same as vr_config_load() on @len bytes at @buf (no NUL needed); @name stands for the file in messages. */
struct vr_config *vr_config_parse(const char *name, const char *buf, size_t len, char *err, size_t errlen);

/**
 * Deep copy of a configuration (same content, nothing re-checked), for a
 * caller that edits a copy in place.
 * @return the copy (free with vr_config_free()), or NULL with errno ENOMEM.
 * Thread-safe on a @cfg nobody writes.
 */
struct vr_config *vr_config_clone(const struct vr_config *cfg);

/** Free a configuration; NULL is a no-op. */
void vr_config_free(struct vr_config *cfg);

/**
 * Write @cfg as normalised YAML (every key, defaults filled in) that
 * vr_config_parse() reads back to the same configuration.
 * @return 0, -EINVAL (NULL argument) or -EIO (write error on @f).
 */
int vr_config_dump(const struct vr_config *cfg, FILE *f);

/**
 * Override controlplane.limits from WS_* environment variables, after
 * vr_config_load() (which filled in the YAML values and the defaults).
 *
 * The variables and the keys they override: WS_MAX_CONNECTIONS,
 * WS_MAX_CONNECTIONS_PER_USER, WS_RATE_LIMIT_MAX_MESSAGES, WS_MAX_PAYLOAD
 * (bytes), WS_MAX_MESSAGE_LENGTH (Unicode code points): unsigned integers;
 * WS_RATE_LIMIT_WINDOW, WS_CLEANUP_INTERVAL, WS_INACTIVE_TIMEOUT: durations,
 * in the YAML syntax ("60s", "5m") or a bare integer meaning milliseconds
 * (not seconds as in YAML: existing deployments set WS_RATE_LIMIT_WINDOW=60000).
 * Each value is parsed and bounds-checked by the same table entry as its
 * YAML key, then max_message_length <= max_payload is checked again. An
 * unset variable changes nothing; a set but empty one is an error.
 *
 * @param cfg       configuration to change; unchanged on any error
 * @param getenv_fn how to read a variable (NULL: getenv())
 * @param err       on error, one line "environment WS_X=value: controlplane.limits.x: what is wrong"
 *                  (may be NULL)
 * @param errlen    size of @err (VR_CFG_ERR_LEN is enough)
 * @return 0, or -EINVAL (a bad value; @err says which). Thread-safe if
 *         @getenv_fn is and nobody else uses @cfg during the call (getenv()
 *         races with setenv() in other threads).
 */
int vr_config_cp_env(struct vr_config *cfg, const char *(*getenv_fn)(const char *name), char *err, size_t errlen);

/** A Redis endpoint, parsed from controlplane.redis.url by vr_redis_url_parse(). */
struct vr_redis_url {
	bool tls;            /**< rediss:// */
	char host[256];      /**< host name or address (IPv6 without brackets); "" for unix:// */
	uint16_t port;       /**< default 6379; 0 for unix:// */
	char unix_path[108]; /**< unix://: the socket's absolute path; "" otherwise */
	char user[128];      /**< percent-decoded; "" = none (AUTH with the password only) */
	char password[256];  /**< percent-decoded; "" = none (no AUTH) */
	uint32_t db;         /**< 0..15, default 0 (SELECT) */
};

/**
 * Parse a Redis URL: redis://[[user]:password@]host[:port][/db],
 * rediss://... (TLS) or unix://[[user]:password@]/path[?db=N]. host is a
 * name, an IPv4 address or an IPv6 address in brackets; port 1..65535
 * (default 6379); db 0..15 (default 0); user and password may be
 * percent-encoded (%40 for '@').
 * @param url  NUL-terminated URL
 * @param out  the parts (zeroed first; undefined on error)
 * @return 0 or -EINVAL (NULL argument, bad syntax or value out of range).
 *         Thread-safe (no global state).
 */
int vr_redis_url_parse(const char *url, struct vr_redis_url *out);

/** Format @a as text into @buf (INET6_ADDRSTRLEN bytes); returns @buf. */
const char *vr_addr_str(const struct vr_addr *a, char *buf, size_t len);

/** Parse a textual IPv4 or IPv6 address into @a; 0 or -EINVAL. */
int vr_addr_parse(const char *s, struct vr_addr *a);

#endif
