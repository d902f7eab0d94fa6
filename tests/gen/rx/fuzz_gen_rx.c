/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: arbitrary bytes through voxrelay-gen's frame classifier, flow accounting and histogram. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_flow.h"
#include "gen_hist.h"
#include "gen_report.h"
#include "gen_rx.h"

#define NFLOWS 16

/*
 * Input: one settings byte, then the frame.
 *   bit 0     payloads are SRTP-opaque
 *   bit 1     GUE decapsulation on port 6080
 *   bits 2-5  stamp element id (0: the default)
 *   bit 6     also read the frame's bytes as flow records (flow, seq, times),
 *             so sequences the classifier would never yield reach the window
 */
static struct vr_gen_flows *flows;
static struct vr_gen_hist hist;
static uint64_t clock_tsc, inputs;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_flow(uint32_t flow)
{
	struct vr_gen_flow_stats st;

	if (vr_gen_flow_get(flows, flow, &st) != 0)
		abort();
	if (st.unique > st.expected || st.lost != st.expected - st.unique ||
	    st.received != st.unique + st.dup + st.late || st.reordered > st.unique)
		abort();
}

static void feed_records(const uint8_t *p, size_t n)
{
	for (; n >= 9; p += 9, n -= 9) {
		uint32_t flow = p[0] % NFLOWS, seq = rd32(p + 1), dt = rd32(p + 5);

		clock_tsc += dt & 0xffff;
		if (vr_gen_flow_rx(flows, flow, seq, clock_tsc - (dt >> 16), seq * 160u, clock_tsc) < 0)
			abort();
		check_flow(flow);
		vr_gen_hist_record(&hist, (uint64_t)rd32(p + 1) << (p[0] & 31));
	}
}

/* Now and then: summaries, an interval, every report into nowhere, and a fresh start. */
static void report(void)
{
	struct vr_gen_flows_summary sum;
	struct vr_gen_flows_interval iv;
	struct vr_gen_report r = {.duration_s = 1.0, .sent = inputs};
	char line[256];
	FILE *null = fopen("/dev/null", "w");

	if (vr_gen_flows_summary(flows, &sum) != 0 || vr_gen_flows_interval(flows, &iv, NULL) != 0)
		abort();
	vr_gen_report_live(line, sizeof(line), 1.0, 1.0, inputs, &iv, &hist);
	if (null) {
		r.sum = &sum;
		r.lat = vr_gen_flows_hist(flows);
		vr_gen_report_final(null, &r);
		vr_gen_report_json(null, &r);
		fclose(null);
	}
	if (vr_gen_hist_percentile(&hist, 99.9) > vr_gen_hist_max(&hist))
		abort();
	vr_gen_flows_reset(flows);
	vr_gen_hist_reset(&hist);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_gen_rx_info ri;
	struct vr_gen_rx_cfg cfg;
	enum vr_gen_rx_err e;

	if (!flows) {
		flows = vr_gen_flows_create(NFLOWS, VR_GEN_FLOWS_HIST, 8000, 2000000000ULL);
		if (!flows)
			abort();
		vr_gen_hist_reset(&hist);
	}
	if (size < 1)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.opaque = data[0] & 1;
	cfg.gue_port = (data[0] & 2) ? 6080 : 0;
	cfg.stamp_id = (uint8_t)((data[0] >> 2) & 15);

	/* libFuzzer's buffer ends exactly at data + size: ASan sees any overread */
	e = vr_gen_rx_classify(&cfg, data + 1, (uint32_t)(size - 1), &ri);
	if (e != ri.err || (e != VR_GEN_RX_ERR_OK) != (ri.kind == VR_GEN_RX_MALFORMED) ||
	    ri.kind >= VR_GEN_RX_KIND_MAX || !vr_gen_rx_detail_name(&ri))
		abort();
	if (e == VR_GEN_RX_ERR_OK && ri.family && (uint32_t)ri.payload_off + ri.payload_len > size - 1)
		abort();
	if (ri.kind == VR_GEN_RX_RTP) {
		clock_tsc += 20000;
		if (vr_gen_flow_rx(flows, ri.stream % NFLOWS, ri.seq, ri.tx_tsc, ri.rtp_ts, clock_tsc) < 0)
			abort();
		check_flow(ri.stream % NFLOWS);
	}
	if (data[0] & 0x40)
		feed_records(data + 1, size - 1);
	if (++inputs % 512 == 0)
		report();
	return 0;
}
