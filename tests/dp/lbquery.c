/* SPDX-License-Identifier: BSD-3-Clause */
/* vr-lbquery: prints the backend the balancer's logic gives each flow read from stdin (for tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "voxrelay/config.h"
#include "voxrelay/lb.h"

/* Input lines: "SRC SPORT DST DPORT"; output lines: backend address, or "drop:REASON". */
int main(int argc, char **argv)
{
	char err[VR_CFG_ERR_LEN], line[512], src[128], dst[128];
	struct vr_config *cfg;
	struct vr_lb_state *st;
	struct vr_conntrack *ct;
	unsigned int sport, dport;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFIG < flows\n", argv[0]);
		return 2;
	}
	cfg = vr_config_load(argv[1], err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	st = vr_lb_state_build(cfg, NULL, err, sizeof(err));
	ct = vr_ct_create(cfg->ct_capacity, 1000, 1);
	if (st == NULL || ct == NULL) {
		fprintf(stderr, "%s\n", st == NULL ? err : "conntrack");
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct vr_pkt_info pi;
		struct vr_addr s, d;
		struct vr_lb_choice ch;
		struct vr_lb_clock clk = {1, 1};
		enum vr_drop rc;

		if (sscanf(line, "%127s %u %127s %u", src, &sport, dst, &dport) != 4 || vr_addr_parse(src, &s) < 0 ||
		    vr_addr_parse(dst, &d) < 0 || s.family != d.family) {
			fprintf(stderr, "bad line: %s", line);
			return 1;
		}
		memset(&pi, 0, sizeof(pi));
		pi.cls = VR_PKT_UDP;
		memcpy(pi.key.src, s.a.b, 16);
		memcpy(pi.key.dst, d.a.b, 16);
		pi.key.sport = rte_cpu_to_be_16((uint16_t)sport);
		pi.key.dport = rte_cpu_to_be_16((uint16_t)dport);
		pi.key.proto = 17;
		pi.key.family = s.family;
		rc = vr_lb_select(st, ct, &pi, &clk, &ch);
		if (rc != VR_DROP_NONE)
			printf("drop:%s\n", vr_drop_name(rc));
		else
			printf("%s\n", ch.backend->name);
	}
	vr_ct_free(ct);
	vr_lb_state_free(st);
	vr_config_free(cfg);
	return 0;
}
