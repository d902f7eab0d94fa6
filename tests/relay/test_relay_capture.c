/* SPDX-License-Identifier: BSD-3-Clause */
/* The fan-out core on a real WebRTC SRTP call (SDES keys): every packet authenticates, every copy decrypts to what the other side sent. */
#include <arpa/inet.h>
#include <math.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include "voxrelay/pkt.h"
#include "voxrelay/rtp.h"

#include "relay_srtp.h"

/* ../shared/captures/SOURCES.md: the SDES key (key||salt, base64) of each SSRC's sender. */
#define SSRC_A 0xD092D296u
#define KEY_A "7SYMKhu8sVMhCr4VXh+ZqkteB01QgqDSgLr4L9iU"
#define SSRC_B 0x522B93ABu
#define KEY_B "bhn3DDDcf7GhHEnFkGLW9V223XncT60nJrTQK06x"
/* B (192.168.1.130) also sends two receiver reports from libwebrtc's
 * placeholder RTCP SSRC, under its own key: a second SSRC of member B. */
#define SSRC_B_RTCP 0xFA17FA17u

int main(int argc, char **argv)
{
	uint8_t in_a[30], in_b[30], out_a[30], out_b[30];
	uint64_t rng = 0x5eed;
	char err[PCAP_ERRBUF_SIZE];
	struct vr_relay_room_conf rc = { .id = 1, .vip_port = 5004, .max_members = 2, .max_speakers = 2 };
	struct vr_relay_member_conf ma = { .id = 1, .ssrcs = { SSRC_A }, .nssrc = 1,
		.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = in_a, .out_key = out_a, .clock_hz = 8000 };
	struct vr_relay_member_conf mb = ma;
	struct vr_relay_room *room = NULL;
	srtp_t rx_a = NULL, rx_b = NULL;
	pcap_t *pc = NULL;
	struct pcap_pkthdr *ph;
	const u_char *data;
	unsigned long rtp = 0, rtcp = 0, slow = 0, copies = 0, copies_ok = 0, per_ssrc[2] = { 0, 0 };
	/* RFC 3550 A.8 of each member's RTP SSRC, in floating point straight from
	 * the RFC, over the capture's arrival times (its pcap timestamps, which
	 * are the relay's now here) and the packets' RTP timestamps: J in RTP
	 * units, the last transit, and whether there is one */
	double jit[2] = { 0, 0 }, transit[2] = { 0, 0 };
	bool have_transit[2] = { false, false };

	if (argc != 2) {
		fprintf(stderr, "usage: %s webrtc-pcma-srtp-sdes.pcap\n", argv[0]);
		return 2;
	}
	if (access(argv[1], R_OK) != 0) {
		printf("%s missing: skipped\n", argv[1]);
		return 77;
	}
	CHECK_EQ(vr_relay_global_init(), 0);
	CHECK_EQ(vr_t_b64(KEY_A, in_a, sizeof(in_a)), 30);
	CHECK_EQ(vr_t_b64(KEY_B, in_b, sizeof(in_b)), 30);
	vr_t_random_key(&rng, out_a, sizeof(out_a));
	vr_t_random_key(&rng, out_b, sizeof(out_b));
	mb.id = 2;
	mb.ssrcs[0] = SSRC_B;
	mb.ssrcs[1] = SSRC_B_RTCP;
	mb.nssrc = 2;
	mb.in_key = in_b;
	mb.out_key = out_b;
	vr_addr_set_v4(&rc.vip, htonl(0xc0000201));
	room = vr_relay_room_create(&rc);
	CHECK(room != NULL);
	if (!room)
		goto out;
	CHECK_EQ(vr_relay_member_add(room, &ma), 0);
	CHECK_EQ(vr_relay_member_add(room, &mb), 0);
	/* the independent receivers of each member: its outbound keys */
	rx_a = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, out_a, 1024);
	rx_b = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, out_b, 1024);
	CHECK(rx_a && rx_b);
	pc = pcap_open_offline(argv[1], err);
	CHECK(pc != NULL);
	if (!pc || !rx_a || !rx_b)
		goto out;
	while (pcap_next_ex(pc, &ph, &data) == 1) {
		uint8_t frame[2048], pay[2048], bufs[1][2048 + VR_RELAY_TAILROOM];
		struct vr_relay_tx tx[1] = { { .buf = bufs[0], .cap = sizeof(bufs[0]) } };
		struct vr_relay_out out = { .tx = tx, .ntx = 1 };
		struct vr_pkt_info pi;
		struct vr_addr src;
		enum vr_relay_verdict vd;
		uint64_t now;
		bool is_rtcp;
		uint32_t ssrc;

		if (ph->caplen != ph->len || ph->caplen > sizeof(frame) || pcap_datalink(pc) != DLT_EN10MB)
			continue;
		memcpy(frame, data, ph->caplen);
		if (vr_pkt_parse(frame, ph->caplen, &pi) != VR_DROP_NONE || pi.cls != VR_PKT_UDP)
			continue;
		memcpy(pay, frame + pi.payload_off, pi.payload_len);
		memset(&src, 0, sizeof(src));
		src.family = pi.key.family;
		memcpy(src.a.b, pi.key.src, 16);
		now = (uint64_t)ph->ts.tv_sec * 1000000000ull + (uint64_t)ph->ts.tv_usec * 1000ull;
		is_rtcp = vr_demux_classify(pay, pi.payload_len) == VR_DEMUX_RTP && vr_rtp_is_rtcp(pay, pi.payload_len);
		ssrc = pi.payload_len >= 12 ? (uint32_t)pay[is_rtcp ? 4 : 8] << 24 | (uint32_t)pay[is_rtcp ? 5 : 9] << 16 |
						      (uint32_t)pay[is_rtcp ? 6 : 10] << 8 | pay[is_rtcp ? 7 : 11]
					    : 0;
		vd = vr_relay_input(room, pay, pi.payload_len, &src, ntohs(pi.key.sport), now, &out);
		if (vd == VR_RELAY_SLOW_PATH) {
			slow++;
			continue;
		}
		if (vd != VR_RELAY_FORWARD && vr_demux_classify(pay, pi.payload_len) != VR_DEMUX_RTP) {
			/* the capture's 4 DNS datagrams: not ours */
			CHECK_EQ(out.reason, VR_RELAY_DROP_NOT_RTP);
			continue;
		}
		vr_test_checks++;
		if (vd != VR_RELAY_FORWARD) {
			vr_test_failures++;
			fprintf(stderr, "frame dropped: %s (ssrc %08x, %s)\n", vr_relay_drop_name(out.reason), ssrc,
				is_rtcp ? "rtcp" : "rtp");
			continue;
		}
		is_rtcp ? rtcp++ : rtp++;
		per_ssrc[ssrc != SSRC_A]++;
		if (!is_rtcp) {
			int w = ssrc != SSRC_A;
			uint32_t ts = (uint32_t)pay[4] << 24 | (uint32_t)pay[5] << 16 | (uint32_t)pay[6] << 8 | pay[7];
			double tr = ((double)ph->ts.tv_sec + (double)ph->ts.tv_usec * 1e-6) * 8000.0 - (double)ts;

			if (have_transit[w])
				jit[w] += (fabs(tr - transit[w]) - jit[w]) / 16.0;
			transit[w] = tr;
			have_transit[w] = true;
		}
		CHECK(ssrc == SSRC_A || ssrc == SSRC_B || ssrc == SSRC_B_RTCP);
		CHECK_EQ(out.sender_id, ssrc == SSRC_A ? 1u : 2u);
		CHECK(vr_addr_eq(&vr_relay_member_find(room, out.sender_id)->addr, &src));
		/* payload is now the sender's plaintext; its length: */
		for (uint32_t i = 0; i < out.count; i++) {
			int l = (int)tx[i].len;
			srtp_t rx = tx[i].member_id == 1 ? rx_a : rx_b;
			srtp_err_status_t e;
			copies++;
			CHECK(tx[i].member_id != out.sender_id);
			e = is_rtcp ? srtp_unprotect_rtcp(rx, tx[i].buf, &l) : srtp_unprotect(rx, tx[i].buf, &l);
			CHECK_EQ(e, srtp_err_status_ok);
			if (e != srtp_err_status_ok)
				continue;
			copies_ok++;
			/* What the recipient decrypts is exactly what the sender sent. */
			uint32_t plen = pi.payload_len - (is_rtcp ? 14u : 10u);

			CHECK_EQ((uint32_t)l, plen);
			if ((uint32_t)l == plen)
				CHECK_MEM(tx[i].buf, pay, plen);
			/* and goes where that member's packets came from */
			CHECK(tx[i].port != 0);
		}
		/* Once both addresses are latched, every packet gives exactly one copy. */
		if (vr_relay_member_find(room, 1)->addr_verified && vr_relay_member_find(room, 2)->addr_verified)
			CHECK_EQ(out.count, 1u);
	}
	printf("capture: %lu RTP + %lu RTCP forwarded (%lu from %08x, %lu from %08x), %lu slow path; %lu copies, %lu decrypted\n",
	       rtp, rtcp, per_ssrc[0], SSRC_A, per_ssrc[1], SSRC_B, slow, copies, copies_ok);
	CHECK_EQ(rtp, 486ul);
	CHECK_EQ(rtcp, 8ul);
	CHECK_EQ(slow, 95ul); /* STUN */
	CHECK_EQ(per_ssrc[0], 259ul + 4);
	CHECK_EQ(per_ssrc[1], 227ul + 4);
	CHECK_EQ(room->drops[VR_RELAY_DROP_NOT_RTP], 4u); /* DNS */
	room->drops[VR_RELAY_DROP_NOT_RTP] = 0;
	CHECK(copies > 480);
	CHECK_EQ(copies, copies_ok);
	for (int d = 1; d < VR_RELAY_DROP_MAX; d++)
		if (room->drops[d]) {
			vr_test_checks++;
			vr_test_failures++;
			fprintf(stderr, "drop %s: %lu\n", vr_relay_drop_name((enum vr_relay_drop)d),
				(unsigned long)room->drops[d]);
		}
	for (uint32_t id = 1; id <= 2; id++) {
		struct vr_relay_member *m = vr_relay_member_find(room, id);
		struct vr_rtpstats_report rep;

		CHECK(m->latched && m->addr_verified);
		vr_rtpstats_report(&m->streams[0].stats, &rep);
		printf("member %u: ssrc %08x rx %lu tx %lu, ext_max %u lost %d jitter %.3f ms, rtcp %lu, roc %u\n", id,
		       m->streams[0].ssrc, (unsigned long)m->c.rx_packets, (unsigned long)m->c.tx_packets, rep.ext_max,
		       rep.cum_lost, vr_rtpstats_jitter_ms(&m->streams[0].stats),
		       (unsigned long)m->streams[0].rtcp_packets, vr_relay_stream_roc(&m->streams[0]));
		/* the relay's integer A.8 against the float one: within the
		 * integer form's rounding (one RTP unit is 1/8 ms at 8 kHz) */
		CHECK(fabs(vr_rtpstats_jitter_ms(&m->streams[0].stats) - jit[id - 1] / 8.0) < 0.1);
		printf("member %u: RFC 3550 A.8 over the pcap times: %.3f ms\n", id, jit[id - 1] / 8.0);
	}
out:
	if (pc)
		pcap_close(pc);
	if (rx_a)
		srtp_dealloc(rx_a);
	if (rx_b)
		srtp_dealloc(rx_b);
	vr_relay_room_free(room);
	return vr_test_done("test_relay_capture");
}
