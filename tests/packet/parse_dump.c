/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helper: runs vr_pkt_parse over every frame of pcap files and prints one line per frame for check_captures.py. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <sys/socket.h>

#include "voxrelay/pkt.h"

static const char *const cls_names[] = { "udp", "ip_other", "arp", "nd", "tcp" };

static void print_addr(const uint8_t *a, uint8_t family)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(family, family == AF_INET ? a + 12 : a, s, sizeof(s));
	printf(" %s", s);
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];

	for (int i = 1; i < argc; i++) {
		pcap_t *p = pcap_open_offline(argv[i], err);
		struct pcap_pkthdr *h;
		const u_char *data;
		long idx = 0;

		if (!p) {
			fprintf(stderr, "%s: %s\n", argv[i], err);
			return 2;
		}
		if (pcap_datalink(p) != DLT_EN10MB) {
			printf("%s skip linktype %d\n", argv[i], pcap_datalink(p));
			pcap_close(p);
			continue;
		}
		while (pcap_next_ex(p, &h, &data) == 1) {
			struct vr_pkt_info pi;
			enum vr_drop d;

			if (h->caplen != h->len) {
				printf("%s %ld truncated-capture\n", argv[i], idx++);
				continue;
			}
			d = vr_pkt_parse(data, h->caplen, &pi);
			printf("%s %ld %s", argv[i], idx++, vr_drop_name(d));
			if (d == VR_DROP_NONE) {
				printf(" %s %u %u %u", cls_names[pi.cls], pi.has_vlan, pi.l3_off, pi.l3_len);
				if (pi.cls != VR_PKT_ARP) {
					printf(" %u %u", pi.l4_off, pi.key.proto);
					print_addr(pi.key.src, pi.key.family);
					print_addr(pi.key.dst, pi.key.family);
				}
				if (pi.cls == VR_PKT_UDP || pi.cls == VR_PKT_TCP)
					printf(" %u %u %u %u", ntohs(pi.key.sport), ntohs(pi.key.dport),
					       pi.payload_off, pi.payload_len);
			}
			printf("\n");
		}
		pcap_close(p);
	}
	return 0;
}
