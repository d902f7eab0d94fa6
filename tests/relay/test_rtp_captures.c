/* SPDX-License-Identifier: BSD-3-Clause */
/* The RTP/RTCP parsers on real captures: every RTCP datagram of a compound capture, every RTP header of two calls. */
#include <pcap/pcap.h>
#include <unistd.h>

#include "voxrelay/pkt.h"
#include "voxrelay/roc.h"
#include "voxrelay/rtp.h"
#include "voxrelay/rtpstats.h"

#include "relay_test.h"

#define MAX_SSRC 8

struct stream {
	uint32_t ssrc;
	struct vr_rtpstats st;
	uint64_t last_index; /* highest SRTP index (RFC 3711 3.3.1) */
	unsigned long n;
};

struct totals {
	unsigned long udp, rtp, rtcp, rtcp_pkts, other;
	unsigned long srs, rrs, blocks;
	struct stream s[MAX_SSRC];
	int nstreams;
};

static struct vr_guard guard;

static struct stream *stream_of(struct totals *t, uint32_t ssrc, uint16_t seq)
{
	for (int i = 0; i < t->nstreams; i++)
		if (t->s[i].ssrc == ssrc)
			return &t->s[i];
	if (t->nstreams == MAX_SSRC)
		return NULL;
	struct stream *s = &t->s[t->nstreams++];
	s->ssrc = ssrc;
	vr_rtpstats_init(&s->st, 8000);
	s->last_index = seq; /* ROC 0 */
	return s;
}

static void on_rtcp(const char *file, long idx, const uint8_t *p, uint32_t len, struct totals *t, bool must)
{
	struct vr_rtcp_info ri;
	struct vr_rtcp_iter it;
	struct vr_rtcp_pkt pk;
	enum vr_rtp_err e = vr_rtcp_parse(p, len, 0, &ri);
	uint32_t sum = 0;

	t->rtcp++;
	if (!must)
		return;
	vr_test_checks++;
	if (e != VR_RTP_OK) {
		vr_test_failures++;
		fprintf(stderr, "%s frame %ld: RTCP refused: %s\n", file, idx, vr_rtp_err_name(e));
		return;
	}
	vr_rtcp_begin(&it, p, len);
	while (vr_rtcp_next(&it, &pk) > 0) {
		struct vr_rtcp_report rb;

		sum += pk.len;
		t->rtcp_pkts++;
		if (pk.pt == VR_RTCP_SR || pk.pt == VR_RTCP_RR) {
			t->srs += pk.pt == VR_RTCP_SR;
			t->rrs += pk.pt == VR_RTCP_RR;
			for (unsigned i = 0; i < pk.count; i++) {
				CHECK_EQ(vr_rtcp_report_block(p, &pk, i, &rb), 0);
				t->blocks++;
				/* frame 4: an RR on the SR sender, read by hand from the bytes */
				if (strstr(file, "rtcp-compound") && idx == 4)
					CHECK(rb.ssrc == 0x5d931534u && rb.fraction_lost == 0 && rb.cum_lost == 1 &&
					      rb.ext_highest_seq == 0xbf8b && rb.jitter == 6 && rb.lsr == 0xc1704d61u &&
					      rb.dlsr == 0x4051c);
				printf("%s %ld block ssrc=%08x fraction=%u lost=%d ext_seq=%u jitter=%u lsr=%08x dlsr=%u\n",
				       file, idx, rb.ssrc, rb.fraction_lost, rb.cum_lost, rb.ext_highest_seq, rb.jitter,
				       rb.lsr, rb.dlsr);
			}
		}
	}
	CHECK_EQ(sum, len);
	printf("%s %ld rtcp ok: %u packets, first %u ssrc=%08x%s\n", file, idx, ri.npkts, ri.first.pt, ri.ssrc,
	       ri.is_sr ? " (SR)" : "");
}

static void on_rtp(const char *file, long idx, const uint8_t *p, uint32_t len, uint64_t ts_ns, bool srtp,
		   struct totals *t)
{
	struct vr_rtp_hdr h;
	enum vr_rtp_err e = vr_rtp_parse(p, len, srtp ? VR_RTP_OPAQUE_PAYLOAD : 0, &h);
	struct stream *s;

	t->rtp++;
	vr_test_checks++;
	if (e != VR_RTP_OK) {
		vr_test_failures++;
		fprintf(stderr, "%s frame %ld: RTP refused: %s\n", file, idx, vr_rtp_err_name(e));
		return;
	}
	CHECK(h.payload_off + h.payload_len + h.pad_len == len);
	s = stream_of(t, h.ssrc, h.seq);
	if (s == NULL)
		return;
	s->n++;
	vr_rtpstats_update(&s->st, h.seq, h.ts, ts_ns, h.payload_len);
	/* The index must never go back by more than reordering allows, nor jump. */
	uint64_t index = (uint64_t)vr_roc_guess(s->last_index, h.seq) << 16 | h.seq;

	if (s->n > 1)
		CHECK(index + 1000 > s->last_index && index < s->last_index + 1000);
	if (index > s->last_index)
		s->last_index = index;
}

/*
 * @mode: "rtcp" (every UDP payload must be RTCP and parse), "rtp" (every
 * RTP-range payload that is not RTCP must parse), "srtp" (the same with
 * opaque payloads; SRTCP is counted, not parsed).
 */
static int run(const char *file, const char *mode, struct totals *t)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(file, err);
	struct pcap_pkthdr *ph;
	const u_char *data;
	long idx = 0;
	int dlt;

	if (!pc) {
		fprintf(stderr, "%s: %s\n", file, err);
		return -1;
	}
	dlt = pcap_datalink(pc);
	memset(t, 0, sizeof(*t));
	while (pcap_next_ex(pc, &ph, &data) == 1) {
		uint8_t frame[2048];
		uint32_t flen = ph->caplen;
		struct vr_pkt_info pi;
		const uint8_t *pay;

		idx++;
		if (ph->caplen != ph->len || ph->caplen > sizeof(frame))
			continue;
		if (dlt == DLT_EN10MB) {
			memcpy(frame, data, flen);
		} else if (dlt == DLT_LINUX_SLL && flen >= 16) {
			/* Linux cooked capture: 16-byte header whose last 2 bytes
			 * are the EtherType; give vr_pkt_parse() an Ethernet one. */
			memset(frame, 0, 12);
			memcpy(frame + 12, data + 14, 2);
			memcpy(frame + 14, data + 16, flen - 16);
			flen -= 2;
		} else {
			continue;
		}
		if (vr_pkt_parse(frame, flen, &pi) != VR_DROP_NONE || pi.cls != VR_PKT_UDP)
			continue;
		t->udp++;
		/* exactly the UDP payload, against a guard page */
		pay = vr_guard_copy(&guard, frame + pi.payload_off, pi.payload_len);
		if (vr_demux_classify(pay, pi.payload_len) != VR_DEMUX_RTP) {
			t->other++;
			CHECK(strcmp(mode, "rtcp") != 0);
			continue;
		}
		if (vr_rtp_is_rtcp(pay, pi.payload_len))
			on_rtcp(file, idx, pay, pi.payload_len, t, strcmp(mode, "srtp") != 0);
		else
			on_rtp(file, idx, pay, pi.payload_len,
			       (uint64_t)ph->ts.tv_sec * 1000000000ull + (uint64_t)ph->ts.tv_usec * 1000ull,
			       strcmp(mode, "srtp") == 0, t);
	}
	pcap_close(pc);
	printf("%s: %lu UDP, %lu RTP, %lu RTCP datagrams (%lu packets: %lu SR, %lu RR, %lu report blocks), %lu other\n",
	       file, t->udp, t->rtp, t->rtcp, t->rtcp_pkts, t->srs, t->rrs, t->blocks, t->other);
	for (int i = 0; i < t->nstreams; i++) {
		struct stream *s = &t->s[i];
		struct vr_rtpstats_report rep;

		vr_rtpstats_report(&s->st, &rep);
		printf("  ssrc %08x: %lu packets, ext_max %u, expected %u, lost %d, jitter %.3f ms (at 8 kHz), roc %u\n",
		       s->ssrc, s->n, rep.ext_max, rep.expected, rep.cum_lost, vr_rtpstats_jitter_ms(&s->st),
		       (uint32_t)(s->last_index >> 16));
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct totals t;

	if (argc != 4) {
		fprintf(stderr, "usage: %s RTCP_COMPOUND.pcap SIP_G711A.pcap WEBRTC_SRTP.pcap\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (access(argv[i], R_OK) != 0) {
			printf("%s missing: skipped\n", argv[i]);
			return 77;
		}

	/* rtcp-compound.pcap: 5 datagrams, each SR or RR + SDES */
	CHECK_EQ(run(argv[1], "rtcp", &t), 0);
	CHECK_EQ(t.rtcp, 5);
	CHECK_EQ(t.rtcp_pkts, 10);
	CHECK_EQ(t.srs, 3);
	CHECK_EQ(t.rrs, 2);
	CHECK_EQ(t.other + t.rtp, 0);

	/* sip-g711a-rtp.pcap: one G.711 A-law stream, 236 packets, nothing lost */
	CHECK_EQ(run(argv[2], "rtp", &t), 0);
	CHECK_EQ(t.rtp, 236);
	CHECK_EQ(t.nstreams, 1);
	CHECK_EQ(t.s[0].n, 236);
	CHECK_EQ(t.s[0].st.received, 235); /* the first is probation */

	/* webrtc-pcma-srtp-sdes.pcap: SRTP both ways, headers in clear */
	CHECK_EQ(run(argv[3], "srtp", &t), 0);
	CHECK_EQ(t.rtp, 486);
	CHECK(t.nstreams >= 2);
	return vr_test_done("test_rtp_captures");
}
