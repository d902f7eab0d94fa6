/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-blast: flat-out (or paced) RTP-over-UDP sender over N flows, the load for the benchmarks. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "voxrelay/hash.h"
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#define BLAST_MAX_BURST 256
#define BLAST_MAX_QUEUES 16
#define BLAST_RTP_HDR_LEN 12
/* Smallest Ethernet frame without FCS, and what fits a 1500-byte MTU. */
#define BLAST_MIN_FRAME 60
#define BLAST_MAX_FRAME 1514
/* RTP timestamp step of one 20 ms packet at the 8 kHz clock of PT 0 (PCMU). */
#define BLAST_RTP_TS_STEP 160
/* Source ports start here and are even, as RTP ports usually are. */
#define BLAST_SPORT_BASE 16384

static volatile bool force_quit;
/*
 * SIGUSR1: stop sending but keep the memif connection until SIGINT/SIGTERM.
 * The memif PMD unmaps its rings from the interrupt thread when the peer
 * goes away; a lcore inside rx/tx_burst at that moment crashes, so a
 * benchmark quiets the sender before it stops the receiver.
 */
static volatile bool pause_req;

struct blast_opts {
	uint32_t flows;
	uint32_t frame_len;
	uint32_t vip;           /* network byte order */
	uint16_t dport;         /* host byte order */
	uint32_t src_base;      /* host byte order; first source address */
	uint32_t src_count;     /* distinct source addresses (<= 65534) */
	double duration_s;      /* 0: until SIGINT/SIGTERM */
	double pps;             /* 0: flat out */
	uint16_t port_id;
	uint16_t nb_queues;
	uint32_t burst;
	uint32_t mbufs;
	struct rte_ether_addr dst_mac;
	double link_timeout_s;
	const char *json_path;
};

/*
 * Sums of the header words that are the same in every packet, so that a
 * packet's checksums cost a few additions instead of a pass over it.
 */
struct blast_template {
	uint8_t frame[BLAST_MAX_FRAME];
	uint32_t ip_sum_base;
	uint32_t udp_sum_base;
};

/* A queue's position in the flow space; queue q owns the flows i with i % nb_queues == q. */
struct blast_queue {
	uint32_t next_flow;
	uint32_t pass;
	uint32_t nb_pending;
	struct rte_mbuf *pending[BLAST_MAX_BURST];
} __rte_cache_aligned;

struct blast_lcore {
	uint64_t tx_packets;
	uint64_t built;
	uint64_t alloc_fail;
	uint64_t rx_drained;
	uint64_t tx_full_polls;    /* tx_burst calls that took fewer packets than offered */
	uint64_t start_tsc;        /* link up: the send window starts */
	uint64_t first_pass_tsc;   /* when every flow had been sent once; 0 before */
	struct blast_queue q[BLAST_MAX_QUEUES];
} __rte_cache_aligned;

static struct blast_template tmpl;
static struct blast_lcore state;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		pause_req = true;
	else
		force_quit = true;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL args] -- [options]\n"
		"  --flows N        distinct flows (source address x port), default 1000000\n"
		"  --size B         Ethernet frame bytes without FCS (60..1514), default 218\n"
		"  --vip A          destination IPv4 address, default 10.78.100.1\n"
		"  --port P         destination UDP port, default 40000\n"
		"  --duration S     seconds to send after the link is up; 0 = until a signal (default 10)\n"
		"  --pps R          pace to R packets/s in total; 0 = flat out (default)\n"
		"  --src A          first source address, default 10.80.0.1 (addresses wrap after 65534)\n"
		"  --dst-mac M      destination MAC, default the broadcast address\n"
		"  --queues Q       TX queues; flow i goes to queue i %% Q (default 1)\n"
		"  --burst N        packets per tx burst (1..%d), default 32\n"
		"  --mbufs N        mbufs in the pool, default 16383\n"
		"  --ethdev ID      DPDK port id to send on, default 0\n"
		"  --link-timeout S seconds to wait for link up (default 60)\n"
		"  --json FILE      also write the result as JSON to FILE\n"
		"signals: INT/TERM stop; USR1 stops sending but keeps the port up until INT/TERM\n",
		prog, BLAST_MAX_BURST);
}

static double parse_num(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		rte_exit(EXIT_FAILURE, "blast: %s: '%s' is not a number in [%g, %g]\n", opt, s, lo, hi);
	return v;
}

static void parse_opts(int argc, char **argv, struct blast_opts *o)
{
	static const struct option longopts[] = {
		{"flows", required_argument, NULL, 'f'},
		{"size", required_argument, NULL, 's'},
		{"vip", required_argument, NULL, 'v'},
		{"port", required_argument, NULL, 'p'},
		{"duration", required_argument, NULL, 'd'},
		{"pps", required_argument, NULL, 'r'},
		{"src", required_argument, NULL, 'a'},
		{"dst-mac", required_argument, NULL, 'm'},
		{"queues", required_argument, NULL, 'q'},
		{"burst", required_argument, NULL, 'b'},
		{"mbufs", required_argument, NULL, 'n'},
		{"ethdev", required_argument, NULL, 'e'},
		{"link-timeout", required_argument, NULL, 'l'},
		{"json", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct in_addr ia;
	int c;

	*o = (struct blast_opts){
		.flows = 1000000,
		.frame_len = 218,
		.dport = 40000,
		.src_base = RTE_IPV4(10, 80, 0, 1),
		.duration_s = 10,
		.nb_queues = 1,
		.burst = 32,
		.mbufs = 16383,
		.link_timeout_s = 60,
	};
	o->vip = rte_cpu_to_be_32(RTE_IPV4(10, 78, 100, 1));
	memset(&o->dst_mac, 0xff, sizeof(o->dst_mac));

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->flows = (uint32_t)parse_num("--flows", optarg, 1, 1u << 26); break;
		case 's': o->frame_len = (uint32_t)parse_num("--size", optarg, BLAST_MIN_FRAME, BLAST_MAX_FRAME); break;
		case 'v':
			if (inet_pton(AF_INET, optarg, &ia) != 1)
				rte_exit(EXIT_FAILURE, "blast: --vip: '%s' is not an IPv4 address\n", optarg);
			o->vip = ia.s_addr;
			break;
		case 'p': o->dport = (uint16_t)parse_num("--port", optarg, 1, 65535); break;
		case 'd': o->duration_s = parse_num("--duration", optarg, 0, 1e7); break;
		case 'r': o->pps = parse_num("--pps", optarg, 0, 1e10); break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &ia) != 1)
				rte_exit(EXIT_FAILURE, "blast: --src: '%s' is not an IPv4 address\n", optarg);
			o->src_base = rte_be_to_cpu_32(ia.s_addr);
			break;
		case 'm':
			if (rte_ether_unformat_addr(optarg, &o->dst_mac) != 0)
				rte_exit(EXIT_FAILURE, "blast: --dst-mac: '%s' is not a MAC address\n", optarg);
			break;
		case 'q': o->nb_queues = (uint16_t)parse_num("--queues", optarg, 1, BLAST_MAX_QUEUES); break;
		case 'b': o->burst = (uint32_t)parse_num("--burst", optarg, 1, BLAST_MAX_BURST); break;
		case 'n': o->mbufs = (uint32_t)parse_num("--mbufs", optarg, 1023, 1u << 24); break;
		case 'e': o->port_id = (uint16_t)parse_num("--ethdev", optarg, 0, RTE_MAX_ETHPORTS - 1); break;
		case 'l': o->link_timeout_s = parse_num("--link-timeout", optarg, 0, 1e6); break;
		case 'j': o->json_path = optarg; break;
		case 'h': usage(argv[0]); exit(EXIT_SUCCESS);
		default: usage(argv[0]); exit(EXIT_FAILURE);
		}
	}
	if (optind != argc) {
		usage(argv[0]);
		rte_exit(EXIT_FAILURE, "blast: unexpected argument '%s'\n", argv[optind]);
	}
	/* 65534 keeps the addresses inside one /16 without its .0.0 and .255.255. */
	o->src_count = RTE_MIN(o->flows, 65534u);
	uint32_t nb_sports = (o->flows + o->src_count - 1) / o->src_count;
	if (BLAST_SPORT_BASE + 2 * (nb_sports - 1) > 65535)
		rte_exit(EXIT_FAILURE, "blast: %u flows need more source ports than there are\n", o->flows);
	if (o->nb_queues > o->flows)
		rte_exit(EXIT_FAILURE, "blast: more queues than flows\n");
}

/* Sum of a buffer as 16-bit words in memory order, not folded. */
static uint32_t raw_sum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		uint16_t w;
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (len & 1) {
		uint16_t w = 0;
		memcpy(&w, p + len - 1, 1);
		sum += w;
	}
	return sum;
}

static inline uint16_t fold_cksum(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * The frame with every per-flow and per-packet field zero; the sums of
 * everything else are taken once here.
 */
static void build_template(const struct blast_opts *o, const struct rte_ether_addr *src_mac)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)tmpl.frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *rtp = (uint8_t *)(udp + 1);
	uint32_t l4_len = o->frame_len - RTE_ETHER_HDR_LEN - 20;

	memset(&tmpl, 0, sizeof(tmpl));
	eth->dst_addr = o->dst_mac;
	eth->src_addr = *src_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(o->frame_len - RTE_ETHER_HDR_LEN));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->dst_addr = o->vip;
	udp->dst_port = rte_cpu_to_be_16(o->dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)l4_len);
	rtp[0] = 0x80; /* version 2, no padding, no extension, no CSRC */
	rtp[1] = 0;    /* marker 0, payload type 0 (PCMU) */
	/* mu-law silence, so the payload looks like a G.711 stream between words */
	memset(rtp + BLAST_RTP_HDR_LEN, 0xff, l4_len - 8 - BLAST_RTP_HDR_LEN);

	tmpl.ip_sum_base = raw_sum(ip, sizeof(*ip));
	/* pseudo header (RFC 768) without the source address, then the datagram */
	struct {
		uint32_t dst;
		uint8_t zero, proto;
		uint16_t len;
	} __rte_packed ph = {ip->dst_addr, 0, IPPROTO_UDP, udp->dgram_len};
	tmpl.udp_sum_base = raw_sum(&ph, sizeof(ph)) + raw_sum(udp, l4_len);
}

/* Mempool object initialiser: every mbuf carries the template, so a send patches only the variable fields. */
static void init_mbuf(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	const struct blast_opts *o = arg;
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)idx;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), tmpl.frame, o->frame_len);
}

/* A fixed pseudo-random SSRC per flow (a 32-bit integer hash of the flow number). */
static inline uint32_t flow_ssrc(uint32_t i)
{
	return vr_hash_mix(i + 0x9e3779b9u);
}

/* Patch flow @i's addresses, RTP header and both checksums into @m. */
static inline void fill_packet(const struct blast_opts *o, struct rte_mbuf *m, uint32_t i, uint32_t pass)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *rtp = (uint8_t *)(udp + 1);
	uint32_t ssrc_h = flow_ssrc(i);
	uint32_t src = rte_cpu_to_be_32(o->src_base + i % o->src_count);
	uint16_t sport = rte_cpu_to_be_16((uint16_t)(BLAST_SPORT_BASE + 2 * (i / o->src_count)));
	/* RTP starts seq and timestamp at random values; here, values derived from the SSRC */
	uint16_t seq = rte_cpu_to_be_16((uint16_t)((ssrc_h >> 16) + pass));
	uint32_t ts = rte_cpu_to_be_32(ssrc_h + pass * BLAST_RTP_TS_STEP);
	uint32_t ssrc = rte_cpu_to_be_32(ssrc_h);
	uint32_t s_src = (src & 0xffff) + (src >> 16);
	uint32_t sum;
	uint16_t ck;

	m->data_len = (uint16_t)o->frame_len;
	m->pkt_len = o->frame_len;

	ip->src_addr = src;
	ip->hdr_checksum = fold_cksum(tmpl.ip_sum_base + s_src);

	udp->src_port = sport;
	memcpy(rtp + 2, &seq, 2);
	memcpy(rtp + 4, &ts, 4);
	memcpy(rtp + 8, &ssrc, 4);
	sum = tmpl.udp_sum_base + s_src + sport + seq + (ts & 0xffff) + (ts >> 16) + (ssrc & 0xffff) + (ssrc >> 16);
	ck = fold_cksum(sum);
	udp->dgram_cksum = ck == 0 ? 0xffff : ck; /* 0 would mean "no checksum" */
}

/* Check the incremental checksums against DPDK's full computation before trusting them. */
static void self_test(const struct blast_opts *o, struct rte_mempool *mp)
{
	static const uint32_t probes[][2] = {{0, 0}, {1, 1}, {65533, 7}, {65534, 65535}, {999999, 123456}};
	size_t k;

	for (k = 0; k < RTE_DIM(probes); k++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			rte_exit(EXIT_FAILURE, "blast: self-test: no mbuf\n");
		fill_packet(o, m, probes[k][0] % o->flows, probes[k][1]);
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
		uint16_t ip_ck = ip->hdr_checksum, udp_ck = udp->dgram_cksum;
		/* DPDK's functions want the checksum fields zero */
		ip->hdr_checksum = 0;
		udp->dgram_cksum = 0;
		if (rte_ipv4_cksum(ip) != ip_ck || rte_ipv4_udptcp_cksum(ip, udp) != udp_ck)
			rte_exit(EXIT_FAILURE, "blast: self-test: flow %u: checksums %04x/%04x, expected %04x/%04x\n",
				 probes[k][0] % o->flows, ip_ck, udp_ck, rte_ipv4_cksum(ip), rte_ipv4_udptcp_cksum(ip, udp));
		rte_pktmbuf_free(m);
	}
}

static void port_setup(const struct blast_opts *o, struct rte_mempool *rx_mp)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t q;
	int rc;

	if (!rte_eth_dev_is_valid_port(o->port_id))
		rte_exit(EXIT_FAILURE, "blast: no DPDK port %u (give one with --vdev in the EAL args)\n", o->port_id);
	rc = rte_eth_dev_info_get(o->port_id, &info);
	if (rc != 0)
		rte_exit(EXIT_FAILURE, "blast: port %u: dev_info: %s\n", o->port_id, rte_strerror(-rc));
	if (o->nb_queues > info.max_tx_queues || o->nb_queues > info.max_rx_queues)
		rte_exit(EXIT_FAILURE, "blast: port %u takes at most %u queues\n", o->port_id,
			 RTE_MIN(info.max_tx_queues, info.max_rx_queues));
	rc = rte_eth_dev_configure(o->port_id, o->nb_queues, o->nb_queues, &conf);
	if (rc != 0)
		rte_exit(EXIT_FAILURE, "blast: port %u: configure: %s\n", o->port_id, rte_strerror(-rc));
	for (q = 0; q < o->nb_queues; q++) {
		/* RX only so that whatever comes back (ARP, ICMP) is drained, not left to fill the ring */
		rc = rte_eth_rx_queue_setup(o->port_id, q, 1024, rte_eth_dev_socket_id(o->port_id), NULL, rx_mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(o->port_id, q, 1024, rte_eth_dev_socket_id(o->port_id), NULL);
		if (rc != 0)
			rte_exit(EXIT_FAILURE, "blast: port %u queue %u: %s\n", o->port_id, q, rte_strerror(-rc));
	}
	rc = rte_eth_dev_start(o->port_id);
	if (rc != 0)
		rte_exit(EXIT_FAILURE, "blast: port %u: start: %s\n", o->port_id, rte_strerror(-rc));
}

static bool wait_link(const struct blast_opts *o)
{
	uint64_t deadline = rte_get_tsc_cycles() + (uint64_t)(o->link_timeout_s * rte_get_tsc_hz());
	struct rte_eth_link link;

	while (!force_quit) {
		if (rte_eth_link_get_nowait(o->port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			return true;
		if (o->link_timeout_s > 0 && rte_get_tsc_cycles() > deadline)
			return false;
		rte_delay_ms(10);
	}
	return false;
}

/* Give back what the peer sends us so that its TX never blocks on us. */
static void drain_rx(const struct blast_opts *o, struct blast_lcore *st)
{
	struct rte_mbuf *rx[64];
	uint16_t q, n;

	for (q = 0; q < o->nb_queues; q++) {
		n = rte_eth_rx_burst(o->port_id, q, rx, RTE_DIM(rx));
		if (n > 0) {
			rte_pktmbuf_free_bulk(rx, n);
			st->rx_drained += n;
		}
	}
}

/* Send until the duration is over or a signal comes; returns the TSC cycles spent sending. */
static uint64_t blast_loop(const struct blast_opts *o, struct rte_mempool *mp, struct blast_lcore *st)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t t0 = st->start_tsc = rte_get_tsc_cycles();
	const uint64_t t_end = o->duration_s > 0 ? t0 + (uint64_t)(o->duration_s * hz) : UINT64_MAX;
	const double pkts_per_cycle = o->pps / (double)hz;
	const uint32_t per_queue_flows = o->flows / o->nb_queues;
	uint64_t iter = 0, now = t0;
	uint32_t queues_warm = 0;
	bool announced = false;
	uint16_t q, first_q = 0;

	while (!force_quit && !pause_req) {
		now = rte_get_tsc_cycles();
		if (now >= t_end)
			break;
		/* a paced sender may build what the rate has earned since t0 (after a stall it catches up) */
		uint64_t allowed = UINT64_MAX;
		if (o->pps > 0) {
			uint64_t target = (uint64_t)((double)(now - t0) * pkts_per_cycle) + 1;
			allowed = target > st->built ? target - st->built : 0;
		}
		/* the queue served first changes every round, so pacing shares the rate out evenly */
		if (++first_q == o->nb_queues)
			first_q = 0;
		for (uint16_t qi = 0; qi < o->nb_queues; qi++) {
			q = (uint16_t)(first_q + qi < o->nb_queues ? first_q + qi : first_q + qi - o->nb_queues);
			struct blast_queue *bq = &st->q[q];
			uint32_t want = o->burst - bq->nb_pending;

			if (want > allowed)
				want = (uint32_t)allowed;
			if (want > 0) {
				if (rte_pktmbuf_alloc_bulk(mp, &bq->pending[bq->nb_pending], want) != 0) {
					st->alloc_fail++;
					want = 0;
				}
				for (uint32_t k = 0; k < want; k++) {
					uint32_t flow = bq->next_flow * o->nb_queues + q;
					fill_packet(o, bq->pending[bq->nb_pending + k], flow, bq->pass);
					if (++bq->next_flow == per_queue_flows + (q < o->flows % o->nb_queues)) {
						bq->next_flow = 0;
						if (bq->pass++ == 0 && ++queues_warm == o->nb_queues)
							st->first_pass_tsc = rte_get_tsc_cycles();
					}
				}
				bq->nb_pending += want;
				st->built += want;
				allowed -= want;
			}
			if (bq->nb_pending == 0)
				continue;
			uint16_t sent = rte_eth_tx_burst(o->port_id, q, bq->pending, (uint16_t)bq->nb_pending);
			st->tx_packets += sent;
			/* unsent packets wait for the next call, so every flow keeps its turn and its sequence */
			if (sent < bq->nb_pending) {
				st->tx_full_polls++;
				memmove(bq->pending, bq->pending + sent, (bq->nb_pending - sent) * sizeof(bq->pending[0]));
			}
			bq->nb_pending -= sent;
		}
		if ((++iter & 255) == 0)
			drain_rx(o, st);
		if (unlikely(st->first_pass_tsc != 0 && !announced)) {
			/* said once, for scripts that wait until every flow exists downstream */
			printf("blast: all %u flows sent once after %.3f s\n", o->flows,
			       (double)(st->first_pass_tsc - t0) / (double)hz);
			fflush(stdout);
			announced = true;
		}
	}
	return now - t0;
}

int main(int argc, char **argv)
{
	struct blast_opts o;
	struct rte_ether_addr src_mac;
	struct rte_mempool *mp, *rx_mp;
	uint64_t cycles;
	uint16_t q;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		rte_exit(EXIT_FAILURE, "blast: EAL init failed\n");
	argc -= n;
	argv += n;
	argv[0] = "voxrelay-blast";
	parse_opts(argc, argv, &o);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);

	if (rte_eth_macaddr_get(o.port_id, &src_mac) != 0)
		rte_exit(EXIT_FAILURE, "blast: no DPDK port %u (give one with --vdev in the EAL args)\n", o.port_id);
	build_template(&o, &src_mac);
	mp = rte_pktmbuf_pool_create("blast_pool", o.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL)
		rte_exit(EXIT_FAILURE, "blast: mbuf pool: %s\n", rte_strerror(rte_errno));
	rte_mempool_obj_iter(mp, init_mbuf, &o);
	self_test(&o, mp);
	/* received frames would overwrite the templates, so they get a pool of their own */
	rx_mp = rte_pktmbuf_pool_create("blast_rx_pool", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (rx_mp == NULL)
		rte_exit(EXIT_FAILURE, "blast: rx mbuf pool: %s\n", rte_strerror(rte_errno));
	port_setup(&o, rx_mp);

	printf("blast: port %u, %u flows, %u-byte frames to " "%u.%u.%u.%u:%u, %s, %u queue(s); waiting for link\n",
	       o.port_id, o.flows, o.frame_len,
	       ((uint8_t *)&o.vip)[0], ((uint8_t *)&o.vip)[1], ((uint8_t *)&o.vip)[2], ((uint8_t *)&o.vip)[3],
	       o.dport, o.pps > 0 ? "paced" : "flat out", o.nb_queues);
	fflush(stdout);
	if (!wait_link(&o)) {
		fprintf(stderr, "blast: link of port %u did not come up\n", o.port_id);
		rte_eth_dev_stop(o.port_id);
		rte_eal_cleanup();
		return force_quit ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	printf("blast: link up, sending\n");
	fflush(stdout);

	cycles = blast_loop(&o, mp, &state);

	for (q = 0; q < o.nb_queues; q++)
		if (state.q[q].nb_pending > 0)
			rte_pktmbuf_free_bulk(state.q[q].pending, state.q[q].nb_pending);

	struct rte_eth_stats es;
	if (rte_eth_stats_get(o.port_id, &es) != 0)
		memset(&es, 0, sizeof(es));
	double secs = (double)cycles / (double)rte_get_tsc_hz();
	double mpps = secs > 0 ? (double)state.tx_packets / secs / 1e6 : 0;
	double passes = (double)state.tx_packets / o.flows;
	char json[1024];
	snprintf(json, sizeof(json),
		 "{\"tx_packets\":%" PRIu64 ",\"seconds\":%.6f,\"tx_mpps\":%.4f,\"flows\":%u,\"frame_bytes\":%u,"
		 "\"passes\":%.2f,\"queues\":%u,\"paced_pps\":%.0f,\"tx_full_polls\":%" PRIu64
		 ",\"alloc_fail\":%" PRIu64 ",\"rx_drained\":%" PRIu64 ",\"all_flows_sent_s\":%.6f,"
		 "\"port_opackets\":%" PRIu64 ",\"port_oerrors\":%" PRIu64 "}",
		 state.tx_packets, secs, mpps, o.flows, o.frame_len, passes, o.nb_queues, o.pps,
		 state.tx_full_polls, state.alloc_fail, state.rx_drained,
		 state.first_pass_tsc ? (double)(state.first_pass_tsc - state.start_tsc) / (double)rte_get_tsc_hz() : -1.0,
		 es.opackets, es.oerrors);
	printf("blast: sent %" PRIu64 " packets in %.3f s: %.3f Mpps TX (%.1f passes over %u flows)\n",
	       state.tx_packets, secs, mpps, passes, o.flows);
	printf("%s\n", json);
	fflush(stdout);
	if (o.json_path != NULL) {
		FILE *f = fopen(o.json_path, "w");
		if (f == NULL || fprintf(f, "%s\n", json) < 0 || fclose(f) != 0)
			fprintf(stderr, "blast: cannot write %s: %s\n", o.json_path, strerror(errno));
	}
	/* paused: hold the connection without touching a queue until told to quit */
	while (pause_req && !force_quit)
		usleep(10000);
	rte_eth_dev_stop(o.port_id);
	rte_eth_dev_close(o.port_id);
	rte_eal_cleanup();
	return EXIT_SUCCESS;
}
