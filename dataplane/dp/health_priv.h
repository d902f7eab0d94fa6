/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to the health checker (health*.c): a probe target, and what the UDP and HTTP probers share. */
#ifndef VOXRELAY_DP_HEALTH_PRIV_H
#define VOXRELAY_DP_HEALTH_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "health.h"
#include "voxrelay/config.h"
#include "voxrelay/http.h"

/* Where an HTTP probe stands (health_http.c). */
enum vr_http_phase {
	VR_HTTP_IDLE = 0,   /* no socket */
	VR_HTTP_CONNECTING, /* SYN sent, waiting to be writable */
	VR_HTTP_SENDING,    /* connected, request not all written */
	VR_HTTP_READING,    /* waiting for the status line */
};

/* One TCP connection of an HTTP probe; the socket belongs to the main lcore. */
struct vr_http_conn {
	int fd;              /* -1 when idle */
	uint16_t lport;      /* our TCP port, host byte order, 0 when none */
	uint8_t phase;       /* enum vr_http_phase */
	uint16_t req_sent;   /* bytes of the request written so far */
	uint16_t got;        /* bytes of the answer in @buf */
	char buf[VR_HTTP_STATUS_MAX];
};

struct vr_health_target {
	struct vr_addr vip, backend;
	uint16_t vip_port_lo, vip_port_hi;
	uint16_t vip_id, backend_id; /* in dp->state when last synced, for telemetry; VR_BACKEND_NONE if absent */
	uint16_t port;               /* echo responder's UDP port, or the HTTP server's TCP port */
	uint8_t type;                /* enum vr_health_type */
	uint8_t encap;
	uint16_t gue_port;
	uint8_t healthy, outstanding;
	uint16_t ok_run, fail_run, rise, fall;
	uint32_t seq;
	uint64_t interval, timeout;  /* TSC cycles */
	uint64_t sent_tsc, next_tsc;
	uint64_t probes, failures, changes;
	uint64_t lat_sum_us, hist[VR_HEALTH_BUCKETS + 1];
	char last_failure[64];       /* why the last probe failed, "" if none did */
	/* http */
	uint16_t expect;
	char path[VR_CFG_HTTP_LEN], host[VR_CFG_HTTP_LEN];
	struct vr_http_conn http;
};

/* A failed probe of @t (reason @why, logged if the state changes); true if the backend just went down. */
bool vr_health_fail(struct vr_health_target *t, const char *why);
/* A successful probe of @t after @lat_us microseconds; true if the backend just came back up. */
bool vr_health_succeed(struct vr_health_target *t, uint64_t lat_us);
/* Rebuild the state after a health change (logged on failure). */
void vr_health_apply(struct vr_dp *dp);

/*
 * Encapsulate the inner IP packet of @len bytes at @l3 (inside @m, with
 * VR_ENCAP_MAX_HDR bytes of room before it) to @t's backend exactly as the
 * workers encapsulate its VIP's traffic, and queue it on worker 0's TX.
 * Takes @m in every case. 0, or -EHOSTUNREACH (gateway unresolved),
 * -EADDRNOTAVAIL (no address of the family), -EMSGSIZE (over the MTU).
 */
int vr_health_encap_send(struct vr_dp *dp, const struct vr_health_target *t, struct rte_mbuf *m, uint8_t *l3,
			 uint32_t len, uint32_t hash);

/* The port probes leave from (the first port's tx_port). */
struct vr_dp_port *vr_health_port(struct vr_dp *dp);

/* health_udp.c: send target @idx's echo probe (sequence and send time already set); 0 or -errno. */
int vr_udp_probe_send(struct vr_dp *dp, struct vr_health_target *t, uint32_t idx);

/* health_http.c */

/* Start a probe of target @idx: socket on the tap, bind, connect. 0, or -errno and what failed in @why. */
int vr_http_probe_start(struct vr_dp *dp, struct vr_health_target *t, uint32_t idx, char *why, size_t len);
/* Move every outstanding HTTP probe on (connect, send, read the status line); true if a backend changed. */
bool vr_http_probe_poll(struct vr_dp *dp);
/* Close @t's connection, if any (abortive close: RST, no TIME_WAIT). */
void vr_http_probe_close(struct vr_dp *dp, struct vr_health_target *t);
/* The local-port table after the targets were rebuilt (@nt replaces the old array). */
void vr_http_ports_rebuild(struct vr_dp *dp, struct vr_health_target *nt, uint32_t n);

#endif
