/* SPDX-License-Identifier: BSD-3-Clause */
/* Checks what voxrelay-dp (role relay) sent against what it was fed: every copy decrypts with its recipient's key to what another member sent. */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <srtp2/srtp.h>

#include "voxrelay/config.h"
#include "voxrelay/pkt.h"
#include "voxrelay/relay.h"
#include "voxrelay/relaypkt.h"
#include "voxrelay/rtp.h"

/*
 * usage: relay_pcap_check IN.pcap OUT.pcap VIP PORT MEMBER...
 *   MEMBER = ADDR,PORT,TX_KEY,RX_KEY (keys: base64 AES_CM_128_HMAC_SHA1_80 key||salt)
 *
 * IN is what the relay received (direct or GUE/IPIP), OUT what it sent.
 * Each member's datagrams in IN are unprotected with its TX key by an
 * independent receiver; each frame of OUT must come from VIP:PORT, go to a
 * member's ADDR:PORT, unprotect with that member's RX key, and carry the
 * plaintext of a datagram another member sent. Prints one JSON line of
 * counts; exit 0 when every RTP/RTCP datagram of IN authenticated and each
 * reached every other member exactly once, 1 otherwise.
 */

#define MAX_MEMBERS 8
#define MAX_DGRAMS 8192

struct member {
	struct vr_addr addr;
	uint16_t port;
	srtp_t rx_in;   /* unprotects what it sent (its TX key) */
	srtp_t rx_out;  /* unprotects what it received (its RX key) */
	unsigned long sent, got, got_ok, own, dup;
};

struct dgram {
	int from;                      /* member index */
	uint32_t len;
	uint8_t *plain;                /* what it carried, unprotected */
	uint8_t seen[MAX_MEMBERS];     /* copies found per recipient */
};

static struct member m[MAX_MEMBERS];
static int nm;
static struct dgram d[MAX_DGRAMS];
static int nd;

static int b64(const char *s, uint8_t *out)
{
	uint8_t buf[64];
	size_t len = strlen(s);
	int n;

	if (len == 0 || len % 4 != 0 || len > 80)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
	n -= (s[len - 1] == '=') + (s[len - 2] == '=');
	if (n != 30)
		return -1;
	memcpy(out, buf, 30);
	return 0;
}

static srtp_t receiver(const uint8_t *key)
{
	return vr_relay_srtp_session(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, key, true, 1024);
}

static int find_member(const struct vr_addr *a, uint16_t port)
{
	for (int i = 0; i < nm; i++)
		if (vr_addr_eq(&m[i].addr, a) && m[i].port == port)
			return i;
	return -1;
}

/* Unprotect @p (4-byte aligned copy) with @s; returns the plaintext length or -1. */
static int unprotect(srtp_t s, uint8_t *p, int len)
{
	srtp_err_status_t e;

	if (vr_rtp_is_rtcp(p, (uint32_t)len))
		e = srtp_unprotect_rtcp(s, p, &len);
	else
		e = srtp_unprotect(s, p, &len);
	return e == srtp_err_status_ok ? len : -1;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct vr_addr vip;
	uint16_t vport;
	pcap_t *pc;
	struct pcap_pkthdr *ph;
	const u_char *data;
	unsigned long in_auth_fail = 0, in_other = 0, out_bad_hdr = 0, out_unknown = 0, out_auth_fail = 0,
		      out_no_match = 0, missing = 0;
	int ok;

	if (argc < 6) {
		fprintf(stderr, "usage: %s IN.pcap OUT.pcap VIP PORT ADDR,PORT,TX_KEY,RX_KEY...\n", argv[0]);
		return 2;
	}
	if (srtp_init() != srtp_err_status_ok || vr_addr_parse(argv[3], &vip) != 0)
		return 2;
	vport = (uint16_t)atoi(argv[4]);
	for (int i = 5; i < argc && nm < MAX_MEMBERS; i++, nm++) {
		char *spec = strdup(argv[i]), *a = strtok(spec, ","), *p = strtok(NULL, ","), *tx = strtok(NULL, ","),
		     *rx = strtok(NULL, ",");
		uint8_t ktx[30], krx[30];

		if (!rx || vr_addr_parse(a, &m[nm].addr) != 0 || b64(tx, ktx) != 0 || b64(rx, krx) != 0) {
			fprintf(stderr, "bad member %s\n", argv[i]);
			return 2;
		}
		m[nm].port = (uint16_t)atoi(p);
		m[nm].rx_in = receiver(ktx);
		m[nm].rx_out = receiver(krx);
		free(spec);
	}

	/* what the members sent */
	if ((pc = pcap_open_offline(argv[1], err)) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 2;
	}
	while (pcap_next_ex(pc, &ph, &data) == 1) {
		struct vr_pkt_info pi;
		struct vr_relay_frame rf;
		uint32_t buf[1024];
		uint8_t *p = (uint8_t *)buf;
		enum vr_demux k;
		int who, len;

		if (vr_pkt_parse(data, ph->caplen, &pi) != VR_DROP_NONE ||
		    vr_relay_frame_parse(data, ph->caplen, &pi, 6080, &rf) != VR_DROP_NONE ||
		    (who = find_member(&rf.src, rf.sport)) < 0 || rf.payload_len > sizeof(buf) - 64) {
			in_other++;
			continue;
		}
		k = vr_demux_classify(data + rf.payload_off, rf.payload_len);
		if (k != VR_DEMUX_RTP) {
			in_other++;
			continue;
		}
		memcpy(p, data + rf.payload_off, rf.payload_len);
		len = unprotect(m[who].rx_in, p, (int)rf.payload_len);
		if (len < 0) {
			in_auth_fail++;
			continue;
		}
		if (nd == MAX_DGRAMS)
			return 2;
		d[nd].from = who;
		d[nd].len = (uint32_t)len;
		d[nd].plain = malloc((size_t)len);
		memcpy(d[nd].plain, p, (size_t)len);
		nd++;
		m[who].sent++;
	}
	pcap_close(pc);

	/* what the relay sent */
	if ((pc = pcap_open_offline(argv[2], err)) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[2], err);
		return 2;
	}
	while (pcap_next_ex(pc, &ph, &data) == 1) {
		struct vr_pkt_info pi;
		uint32_t buf[1024];
		uint8_t *p = (uint8_t *)buf;
		struct vr_addr src, dst;
		int to, len, hit = -1;

		if (vr_pkt_parse(data, ph->caplen, &pi) != VR_DROP_NONE || pi.cls != VR_PKT_UDP ||
		    pi.payload_len > sizeof(buf) - 64) {
			out_bad_hdr++;
			continue;
		}
		/* the key holds IPv4 IPv4-mapped, as struct vr_addr does */
		memset(&src, 0, sizeof(src));
		memset(&dst, 0, sizeof(dst));
		src.family = dst.family = pi.key.family;
		memcpy(src.a.b, pi.key.src, 16);
		memcpy(dst.a.b, pi.key.dst, 16);
		if (!vr_addr_eq(&src, &vip) || ntohs(pi.key.sport) != vport) {
			out_bad_hdr++;
			continue;
		}
		to = find_member(&dst, ntohs(pi.key.dport));
		if (to < 0) {
			out_unknown++;
			continue;
		}
		m[to].got++;
		memcpy(p, data + pi.payload_off, pi.payload_len);
		len = unprotect(m[to].rx_out, p, (int)pi.payload_len);
		if (len < 0) {
			out_auth_fail++;
			continue;
		}
		for (int i = 0; i < nd && hit < 0; i++)
			if (d[i].len == (uint32_t)len && d[i].seen[to] == 0 && memcmp(d[i].plain, p, (size_t)len) == 0)
				hit = i;
		if (hit < 0) {
			out_no_match++;
			continue;
		}
		if (d[hit].from == to)
			m[to].own++;
		d[hit].seen[to]++;
		m[to].got_ok++;
	}
	pcap_close(pc);

	for (int i = 0; i < nd; i++)
		for (int r = 0; r < nm; r++)
			if (r != d[i].from && d[i].seen[r] != 1)
				missing++;
	printf("{\"datagrams_in\": %d, \"in_auth_fail\": %lu, \"in_other\": %lu, \"out_bad_header\": %lu, "
	       "\"out_unknown_dst\": %lu, \"out_auth_fail\": %lu, \"out_no_match\": %lu, \"missing\": %lu, \"members\": [",
	       nd, in_auth_fail, in_other, out_bad_hdr, out_unknown, out_auth_fail, out_no_match, missing);
	for (int i = 0; i < nm; i++)
		printf("%s{\"sent\": %lu, \"received\": %lu, \"decrypted_and_matched\": %lu, \"own\": %lu}", i ? ", " : "",
		       m[i].sent, m[i].got, m[i].got_ok, m[i].own);
	printf("]}\n");
	ok = nd > 0 && in_auth_fail == 0 && out_bad_hdr == 0 && out_unknown == 0 && out_auth_fail == 0 &&
	     out_no_match == 0 && missing == 0;
	for (int i = 0; i < nm; i++)
		ok &= m[i].own == 0;
	return ok ? 0 : 1;
}
