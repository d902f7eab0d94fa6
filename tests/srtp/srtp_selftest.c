/* SPDX-License-Identifier: BSD-3-Clause */
/* Proves our libsrtp is the subproject's OpenSSL build: crypto backend, known answers, round trips, rejections. */

/* dl_iterate_phdr, sched_getcpu, CPU_SET: glibc extensions (meson also passes it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "../common/check.h"

/* Debug module names registered by libsrtp's crypto kernel, joined by '|':
 * the one public window on which backend (built-in, OpenSSL, NSS) was compiled in. */
static char modules[1024] = "|";

static void collect_log(srtp_log_level_t level, const char *msg, void *data)
{
	(void)level;
	(void)data;
	/* srtp_list_debug_modules() logs "  <name> " then "(off)\n" per module: keep the names. */
	if (strncmp(msg, "  ", 2) != 0)
		return;
	msg += 2;
	size_t n = strlen(msg), used = strlen(modules);

	while (n > 0 && msg[n - 1] == ' ')
		n--;
	snprintf(modules + used, sizeof(modules) - used, "%.*s|", (int)n, msg);
}

/* Shared objects mapped into this process: which libsrtp/libcrypto/NSS the linker really gave us. */
struct mapped {
	bool libsrtp_so, libcrypto, nss;
};

static int scan_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct mapped *m = data;
	(void)size;

	if (strstr(info->dlpi_name, "libsrtp2.so"))
		m->libsrtp_so = true;
	if (strstr(info->dlpi_name, "libcrypto.so"))
		m->libcrypto = true;
	if (strstr(info->dlpi_name, "libnss3.so") || strstr(info->dlpi_name, "libfreebl"))
		m->nss = true;
	return 0;
}

/* libsrtp's own known-answer vectors (test/srtp_driver.c): same key, SSRC 0xcafebabe,
 * 16 bytes of 0xab after a 12-byte header. A backend that computes anything else
 * does not interoperate, however fast it is. */
static const uint8_t kat_plain[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t kat_key_cm[46] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c,
	0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb,
	0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6, 0xc1, 0x73, 0xc3, 0x17, 0xf2, 0xda,
	0xbe, 0x35, 0x77, 0x93, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t kat_cipher_cm[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
	0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
	0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t kat_key_gcm[28] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static const uint8_t kat_cipher_gcm[44] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
	0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
	0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
};

struct suite {
	const char *name;
	void (*set)(srtp_crypto_policy_t *);
	const uint8_t *key;
	const uint8_t *kat_cipher;
	int tag_len;
};

static void policy_for(srtp_policy_t *p, const struct suite *s, srtp_ssrc_type_t dir)
{
	memset(p, 0, sizeof(*p));
	s->set(&p->rtp);
	s->set(&p->rtcp);
	p->ssrc.type = dir;
	p->key = (unsigned char *)s->key;
	p->window_size = 128;
}

/* The known answer, then a 172-byte voice packet (12-byte header, 160 bytes of G.711
 * 20 ms) out and back, a replay, and a flipped bit: the last two must be refused. */
static void check_suite(const struct suite *s)
{
	srtp_policy_t p;
	srtp_t tx = NULL, rx = NULL;
	uint8_t buf[172 + SRTP_MAX_TRAILER_LEN], orig[172], copy[sizeof(buf)];
	int len;

	policy_for(&p, s, ssrc_any_outbound);
	CHECK_MSG(srtp_create(&tx, &p) == srtp_err_status_ok, "%s: create tx", s->name);
	policy_for(&p, s, ssrc_any_inbound);
	CHECK_MSG(srtp_create(&rx, &p) == srtp_err_status_ok, "%s: create rx", s->name);
	if (!tx || !rx)
		goto out;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, kat_plain, sizeof(kat_plain));
	len = (int)sizeof(kat_plain);
	CHECK_MSG(srtp_protect(tx, buf, &len) == srtp_err_status_ok, "%s: KAT protect", s->name);
	CHECK_MSG(len == (int)sizeof(kat_plain) + s->tag_len, "%s: KAT length %d", s->name, len);
	CHECK_MSG(memcmp(buf, s->kat_cipher, sizeof(kat_plain) + (size_t)s->tag_len) == 0,
		  "%s: KAT ciphertext differs from libsrtp's reference", s->name);
	CHECK_MSG(srtp_unprotect(rx, buf, &len) == srtp_err_status_ok, "%s: KAT unprotect", s->name);
	CHECK_MSG(len == (int)sizeof(kat_plain) && memcmp(buf, kat_plain, sizeof(kat_plain)) == 0,
		  "%s: KAT round trip", s->name);

	/* A voice packet of the size the relay carries, on the same SSRC, next sequence number. */
	orig[0] = 0x80;
	orig[1] = 0x00; /* PT 0, PCMU */
	orig[2] = 0x12;
	orig[3] = 0x35;
	memcpy(orig + 4, "\x00\x00\x00\xa0\xca\xfe\xba\xbe", 8);
	for (size_t i = 12; i < sizeof(orig); i++)
		orig[i] = (uint8_t)(i * 7);
	memcpy(buf, orig, sizeof(orig));
	len = (int)sizeof(orig);
	CHECK_MSG(srtp_protect(tx, buf, &len) == srtp_err_status_ok, "%s: protect", s->name);
	CHECK_MSG(len == (int)sizeof(orig) + s->tag_len, "%s: protected length %d", s->name, len);
	CHECK_MSG(memcmp(buf, orig, 12) == 0, "%s: header must stay clear", s->name);
	CHECK_MSG(memcmp(buf + 12, orig + 12, sizeof(orig) - 12) != 0, "%s: payload not encrypted",
		  s->name);
	memcpy(copy, buf, (size_t)len);
	int protected_len = len;

	CHECK_MSG(srtp_unprotect(rx, buf, &len) == srtp_err_status_ok, "%s: unprotect", s->name);
	CHECK_MSG(len == (int)sizeof(orig) && memcmp(buf, orig, sizeof(orig)) == 0,
		  "%s: round trip", s->name);

	memcpy(buf, copy, (size_t)protected_len);
	len = protected_len;
	CHECK_MSG(srtp_unprotect(rx, buf, &len) == srtp_err_status_replay_fail,
		  "%s: a replay must be refused", s->name);

	/* Next packet, with one payload bit flipped in transit. */
	memcpy(buf, orig, sizeof(orig));
	buf[3]++;
	len = (int)sizeof(orig);
	CHECK(srtp_protect(tx, buf, &len) == srtp_err_status_ok);
	buf[100] ^= 0x01;
	CHECK_MSG(srtp_unprotect(rx, buf, &len) == srtp_err_status_auth_fail,
		  "%s: a forged packet must be refused", s->name);
out:
	if (tx)
		srtp_dealloc(tx);
	if (rx)
		srtp_dealloc(rx);
}

int main(void)
{
	static const struct suite suites[] = {
		{"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default, kat_key_cm,
		 kat_cipher_cm, 10},
		{"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, kat_key_gcm,
		 kat_cipher_gcm, 16},
	};

	CHECK(srtp_init() == srtp_err_status_ok);
	printf("libsrtp: %s\n", srtp_get_version_string());
	CHECK(srtp_get_version() >= 0x02050000u);

	/* Backend: the OpenSSL build registers "aes icm ossl" and "hmac sha-1 openssl",
	 * the NSS build "... nss", the built-in one neither. */
	CHECK(srtp_install_log_handler(collect_log, NULL) == srtp_err_status_ok);
	CHECK(srtp_list_debug_modules() == srtp_err_status_ok);
	CHECK(srtp_install_log_handler(NULL, NULL) == srtp_err_status_ok);
	printf("crypto kernel modules: %s\n", modules);
	CHECK_MSG(strstr(modules, "|aes icm ossl|") != NULL, "AES-ICM is not OpenSSL's");
	CHECK_MSG(strstr(modules, "|hmac sha-1 openssl|") != NULL, "HMAC-SHA1 is not OpenSSL's");
	CHECK_MSG(strstr(modules, "|aes gcm|") != NULL, "no OpenSSL AES-GCM (built-in crypto?)");
	/* Whole names: "openssl" itself contains "nss". */
	CHECK_MSG(strstr(modules, " nss|") == NULL, "an NSS module is registered");

	/* Linkage: libsrtp is static, libcrypto is OpenSSL's shared one, no NSS anywhere. */
	struct mapped m = {0};

	dl_iterate_phdr(scan_object, &m);
	CHECK_MSG(!m.libsrtp_so, "libsrtp2.so is mapped: linked against the system library");
	CHECK_MSG(m.libcrypto, "OpenSSL's libcrypto.so is not mapped");
	CHECK_MSG(!m.nss, "NSS is mapped");

	/* AES-256-GCM exists only with an external crypto library. */
	srtp_policy_t p;
	srtp_t s = NULL;
	static const uint8_t key256[44] = {1};

	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
	srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
	p.ssrc.type = ssrc_any_outbound;
	p.key = (unsigned char *)key256;
	CHECK_MSG(srtp_create(&s, &p) == srtp_err_status_ok, "AES-256-GCM unavailable");
	if (s)
		srtp_dealloc(s);

	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		check_suite(&suites[i]);

	CHECK(srtp_shutdown() == srtp_err_status_ok);
	return check_report("srtp_selftest");
}
