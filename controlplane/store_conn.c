/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp's Redis connection set-up: TCP or UNIX socket on the libuv loop, and for rediss:// the TLS context and each connection's handshake. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/hiredis_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "voxrelay/config.h"

#include "store.h"

/* Debian's libhiredis-dev (0.14) has the same header names: make sure ours came first. */
#if !defined(HIREDIS_MAJOR) || HIREDIS_MAJOR < 1
#error "hiredis >= 1.0 expected (subprojects/hiredis, scripts/fetch-hiredis.sh)"
#endif

struct vr_cp_store_tls {
	SSL_CTX *ctx;
	char name[VR_CFG_CP_HOST_LEN]; /* SNI and the name the certificate must carry */
	bool name_is_ip;               /* an address: matched against the IP SANs, and no SNI (RFC 6066) */
	bool verify;
};

/* The last OpenSSL error's reason, or @p dflt; the queue is emptied (it is per thread, lws shares it). */
static const char *ssl_reason(const char *dflt)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : dflt;
}

/* A PEM file of the configuration that OpenSSL could not use: say which key, which file and why. */
static int file_err(const char *key, const char *path, char *err, size_t errlen)
{
	if (access(path, R_OK) != 0)
		snprintf(err, errlen, "controlplane.redis.%s \"%s\": %s", key, path, strerror(errno));
	else
		snprintf(err, errlen, "controlplane.redis.%s \"%s\": unusable: %s", key, path, ssl_reason("not PEM"));
	ERR_clear_error();
	errno = EINVAL;
	return -EINVAL;
}

static int ctx_setup(struct vr_cp_store_tls *t, const struct vr_config *cfg, char *err, size_t errlen)
{
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(t->ctx, t->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (cfg->cp_redis_tls_ca_file[0]) {
		if (SSL_CTX_load_verify_locations(t->ctx, cfg->cp_redis_tls_ca_file, NULL) != 1)
			return file_err("tls_ca_file", cfg->cp_redis_tls_ca_file, err, errlen);
	} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
		snprintf(err, errlen, "controlplane.redis: the system's default trust store: %s",
			 ssl_reason("cannot load"));
		errno = EINVAL;
		return -EINVAL;
	}
	if (!cfg->cp_redis_tls_cert[0])
		return 0;
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cfg->cp_redis_tls_cert) != 1)
		return file_err("tls_cert", cfg->cp_redis_tls_cert, err, errlen);
	if (SSL_CTX_use_PrivateKey_file(t->ctx, cfg->cp_redis_tls_key, SSL_FILETYPE_PEM) != 1)
		return file_err("tls_key", cfg->cp_redis_tls_key, err, errlen);
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		snprintf(err, errlen, "controlplane.redis.tls_key \"%s\" is not the key of tls_cert \"%s\"",
			 cfg->cp_redis_tls_key, cfg->cp_redis_tls_cert);
		ERR_clear_error();
		errno = EINVAL;
		return -EINVAL;
	}
	return 0;
}

struct vr_cp_store_tls *vr_cp_store_tls_new(const struct vr_config *cfg, const char *host, char *err, size_t errlen)
{
	struct vr_cp_store_tls *t = calloc(1, sizeof(*t));
	unsigned char a[16];

	if (!t) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	snprintf(t->name, sizeof(t->name), "%s", cfg->cp_redis_tls_server_name[0] ? cfg->cp_redis_tls_server_name : host);
	t->name_is_ip = inet_pton(AF_INET, t->name, a) == 1 || inet_pton(AF_INET6, t->name, a) == 1;
	t->verify = cfg->cp_redis_tls_verify;
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx) {
		snprintf(err, errlen, "TLS context: %s", ssl_reason("cannot create"));
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	if (ctx_setup(t, cfg, err, errlen) != 0) {
		int e = errno;

		vr_cp_store_tls_free(t);
		errno = e;
		return NULL;
	}
	return t;
}

void vr_cp_store_tls_free(struct vr_cp_store_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* One connection's TLS session: SNI, the name to verify, and the handshake started (hiredis drives it on). */
static int tls_start(struct vr_cp_store_tls *t, redisAsyncContext *ac, SSL **out, char *why, size_t whylen)
{
	SSL *ssl = SSL_new(t->ctx);
	X509_VERIFY_PARAM *p;

	ERR_clear_error();
	if (!ssl || (!t->name_is_ip && SSL_set_tlsext_host_name(ssl, t->name) != 1))
		goto fail;
	p = SSL_get0_param(ssl);
	if (t->verify) {
		if (t->name_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(p, t->name) != 1 : SSL_set1_host(ssl, t->name) != 1)
			goto fail;
		X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	}
	/* hiredis owns the session from here on, and frees it with the connection */
	if (redisInitiateSSL(&ac->c, ssl) == REDIS_OK) {
		*out = ssl;
		return 0;
	}
	/* on loopback the whole handshake may fail within this call */
	if (!vr_cp_store_tls_why(ssl, why, whylen))
		snprintf(why, whylen, "cannot start TLS: %s", ac->c.errstr[0] ? ac->c.errstr : "error");
	SSL_free(ssl);
	ERR_clear_error();
	return -1;
fail:
	snprintf(why, whylen, "cannot start TLS: %s", ssl_reason(ssl ? "bad server name" : "out of memory"));
	SSL_free(ssl);
	return -1;
}

struct redisAsyncContext *vr_cp_store_connect(const struct vr_redis_url *u, struct vr_cp_store_tls *tls,
					      uv_loop_t *loop, void *data, SSL **ssl, char *why, size_t whylen)
{
	redisAsyncContext *ac = u->unix_path[0] ? redisAsyncConnectUnix(u->unix_path) : redisAsyncConnect(u->host, u->port);

	*ssl = NULL;
	if (!ac || ac->err) {
		snprintf(why, whylen, "cannot create a connection: %s", ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		return NULL;
	}
	ac->data = data;
	if (redisLibuvAttach(ac, loop) != REDIS_OK) {
		snprintf(why, whylen, "cannot attach to the loop");
		goto fail;
	}
	/* before anything is written: every byte goes through TLS */
	if (tls && tls_start(tls, ac, ssl, why, whylen) != 0)
		goto fail;
	return ac;
fail:
	ac->data = NULL;
	redisAsyncFree(ac);
	return NULL;
}

const char *vr_cp_store_tls_why(SSL *ssl, char *buf, size_t len)
{
	long v;

	/* a session that finished its handshake failed for another reason than TLS */
	if (!ssl || SSL_is_init_finished(ssl))
		return NULL;
	v = SSL_get_verify_result(ssl);
	if (v != X509_V_OK && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER))
		snprintf(buf, len, "TLS certificate verification failed: %s", X509_verify_cert_error_string(v));
	else if (ERR_peek_last_error())
		snprintf(buf, len, "TLS handshake failed: %s", ssl_reason("error"));
	else
		return NULL;
	ERR_clear_error();
	return buf;
}
