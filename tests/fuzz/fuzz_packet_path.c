/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for the whole balancer packet path: parse, VIP, conntrack/Maglev/rooms, encapsulation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/config.h"
#include "voxrelay/encap.h"
#include "voxrelay/lb.h"
#include "voxrelay/pkt.h"

static const char cfg_text[] =
	"dataplane:\n"
	"  ports:\n"
	"    - name: p0\n"
	"      device: net_null0\n"
	"      ipv4: 192.0.2.1\n"
	"      ipv6: 2001:db8::1\n"
	"      gateway_ipv4: 192.0.2.254\n"
	"      gateway_ipv6: 2001:db8::fe\n"
	"balancer:\n"
	"  maglev_table_size: 1031\n"
	"  conntrack: {capacity: 1024, udp_timeout: 2s}\n"
	"  vips:\n"
	"    - {address: 203.0.113.1, port: 3478, backends: [{address: 198.51.100.1}, {address: 198.51.100.2}]}\n"
	"    - {address: 203.0.113.2, ports: 50000-50010, hash: dst-port, backends: [{address: 198.51.100.3}, {address: 2001:db8:2::1}]}\n"
	"    - {address: 2001:db8:100::1, ports: 1-65535, encap: ipip, backends: [{address: 2001:db8:2::2}, {address: 198.51.100.4, state: draining}]}\n";

static struct vr_lb_state *st;
static struct vr_conntrack *ct;
static uint64_t now;

static void setup(void)
{
	char err[VR_CFG_ERR_LEN];
	struct vr_config *cfg = vr_config_parse("fuzz.yaml", cfg_text, sizeof(cfg_text) - 1, err, sizeof(err));

	if (cfg == NULL || (st = vr_lb_state_build(cfg, NULL, err, sizeof(err))) == NULL ||
	    (ct = vr_ct_create(1024, 2, 7)) == NULL)
		abort();
	vr_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[VR_ENCAP_MAX_HDR + 9216];
	struct vr_pkt_info pi;
	struct vr_lb_choice ch;
	struct vr_lb_clock clk;
	struct vr_encap_params ep;
	uint8_t *frame;

	if (st == NULL)
		setup();
	if (size > sizeof(buf) - VR_ENCAP_MAX_HDR)
		return 0;
	/* Exact-size copy so ASan sees any read past the frame. */
	uint8_t *pkt = malloc(size ? size : 1);
	memcpy(pkt, data, size);
	if (vr_pkt_parse(pkt, (uint32_t)size, &pi) != VR_DROP_NONE || pi.cls != VR_PKT_UDP)
		goto out;
	clk.now = ++now;
	clk.now_s = (uint32_t)(now / 3);
	if (vr_lb_select(st, ct, &pi, &clk, &ch) != VR_DROP_NONE)
		goto out;
	memset(&ep, 0, sizeof(ep));
	ep.type = ch.vip->encap;
	ep.ttl = 64;
	ep.gue_port = ch.vip->gue_port;
	ep.mtu = 1500;
	ep.dst = ch.backend->addr;
	if (ep.dst.family == 2)
		vr_addr_parse("192.0.2.1", &ep.src);
	else
		vr_addr_parse("2001:db8::1", &ep.src);
	memcpy(buf + VR_ENCAP_MAX_HDR, pkt + pi.l3_off, pi.l3_len);
	(void)vr_encap(&ep, buf + VR_ENCAP_MAX_HDR, pi.l3_len, pi.key.family, ch.hash, &frame);
out:
	free(pkt);
	return 0;
}
