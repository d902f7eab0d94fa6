/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's receive classifier: Ethernet/IP/UDP, GUE or IPIP decapsulation, RTP/RTCP, the stamp. */
#include <errno.h>
#include <string.h>

#include "voxrelay/drop.h"
#include "voxrelay/pkt.h"
#include "voxrelay/relaypkt.h"
#include "voxrelay/rtp.h"

#include "../../dataplane/lib/bytes.h"
#include "gen_rx.h"
#include "gen_stamp.h"

static const char *const kind_names[VR_GEN_RX_KIND_MAX] = {
#define VR_GEN_RX_KIND_NAME(id, name) [VR_GEN_RX_##id] = name,
	VR_GEN_RX_KINDS(VR_GEN_RX_KIND_NAME)
#undef VR_GEN_RX_KIND_NAME
};

static const char *const err_names[VR_GEN_RX_ERR_MAX] = {
#define VR_GEN_RX_ERR_NAME(id, name) [VR_GEN_RX_ERR_##id] = name,
	VR_GEN_RX_ERRS(VR_GEN_RX_ERR_NAME)
#undef VR_GEN_RX_ERR_NAME
};

const char *vr_gen_rx_kind_name(unsigned int kind)
{
	return kind < VR_GEN_RX_KIND_MAX ? kind_names[kind] : "unknown";
}

const char *vr_gen_rx_err_name(unsigned int err)
{
	return err < VR_GEN_RX_ERR_MAX ? err_names[err] : "unknown";
}

const char *vr_gen_rx_detail_name(const struct vr_gen_rx_info *ri)
{
	switch (ri->err) {
	case VR_GEN_RX_ERR_FRAME:
	case VR_GEN_RX_ERR_TUNNEL:
		return vr_drop_name((enum vr_drop)ri->drop);
	case VR_GEN_RX_ERR_RTP:
	case VR_GEN_RX_ERR_RTCP:
		return vr_rtp_err_name((enum vr_rtp_err)ri->rtp_err);
	default:
		return "none";
	}
}

static enum vr_gen_rx_err malformed(struct vr_gen_rx_info *ri, enum vr_gen_rx_err err)
{
	ri->kind = VR_GEN_RX_MALFORMED;
	ri->err = (uint8_t)err;
	return err;
}

/*
 * SRTCP (RFC 3711 section 3.4) appends the E/index word and a tag after the
 * compound, so its lengths cannot add up to the datagram: only what stays
 * in clear at the front is checked.
 */
static enum vr_gen_rx_err rtcp(const uint8_t *p, uint32_t len, int opaque, struct vr_gen_rx_info *ri)
{
	struct vr_rtcp_info info;
	enum vr_rtp_err e;

	ri->kind = VR_GEN_RX_RTCP;
	ri->pt = p[1];
	if (opaque) {
		if (len < 8)
			e = VR_RTP_RTCP_TRUNCATED;
		else if ((p[0] >> 6) != 2)
			e = VR_RTP_RTCP_VERSION;
		else
			e = VR_RTP_OK;
		if (e == VR_RTP_OK)
			ri->ssrc = vr_rd32(p + 4);
	} else {
		/* reduced size: a relay forwards WebRTC feedback as it comes */
		e = vr_rtcp_parse(p, len, VR_RTCP_REDUCED_SIZE, &info);
		if (e == VR_RTP_OK)
			ri->ssrc = info.ssrc;
	}
	if (e != VR_RTP_OK) {
		ri->rtp_err = (uint8_t)e;
		return malformed(ri, VR_GEN_RX_ERR_RTCP);
	}
	return VR_GEN_RX_ERR_OK;
}

static enum vr_gen_rx_err rtp(const uint8_t *p, uint32_t len, int opaque, uint8_t stamp_id,
			      struct vr_gen_rx_info *ri)
{
	struct vr_gen_stamp st;
	struct vr_rtp_hdr h;
	enum vr_rtp_err e;

	e = vr_rtp_parse(p, len, opaque ? VR_RTP_OPAQUE_PAYLOAD : 0, &h);
	if (e != VR_RTP_OK) {
		ri->rtp_err = (uint8_t)e;
		return malformed(ri, VR_GEN_RX_ERR_RTP);
	}
	ri->pt = h.pt;
	ri->marker = h.marker;
	ri->rtp_seq = h.seq;
	ri->rtp_ts = h.ts;
	ri->ssrc = h.ssrc;
	ri->rtp_payload_len = h.payload_len;
	if (vr_gen_stamp_find_hdr(p, &h, opaque, stamp_id, &st) != 0) {
		ri->kind = VR_GEN_RX_RTP_UNSTAMPED;
		return VR_GEN_RX_ERR_OK;
	}
	ri->kind = VR_GEN_RX_RTP;
	ri->stamped = 1;
	ri->stream = st.stream;
	ri->seq = st.seq;
	ri->tx_tsc = st.tx_tsc;
	return VR_GEN_RX_ERR_OK;
}

enum vr_gen_rx_err vr_gen_rx_classify(const struct vr_gen_rx_cfg *cfg, const uint8_t *frame, uint32_t len,
				      struct vr_gen_rx_info *ri)
{
	static const struct vr_gen_rx_cfg defaults;
	struct vr_relay_frame rf;
	struct vr_pkt_info pi;
	const uint8_t *p;
	uint8_t stamp_id;
	enum vr_drop d;

	memset(ri, 0, sizeof(*ri));
	if (!cfg)
		cfg = &defaults;
	stamp_id = cfg->stamp_id ? cfg->stamp_id : VR_GEN_STAMP_EXT_ID;

	d = vr_pkt_parse(frame, len, &pi);
	if (d != VR_DROP_NONE) {
		ri->drop = (uint8_t)d;
		return malformed(ri, VR_GEN_RX_ERR_FRAME);
	}
	ri->has_vlan = pi.has_vlan;
	ri->vlan_tci = pi.vlan_tci;
	if (pi.cls != VR_PKT_UDP && pi.cls != VR_PKT_IP_OTHER) {
		/* ARP, ND, TCP: healthy traffic that is not ours */
		ri->kind = VR_GEN_RX_NOT_UDP;
		ri->outer_family = pi.cls == VR_PKT_ARP ? 0 : pi.key.family;
		return VR_GEN_RX_ERR_OK;
	}
	ri->outer_family = pi.key.family;

	d = vr_relay_frame_parse(frame, len, &pi, cfg->gue_port, &rf);
	ri->encap = rf.encap;
	if (d == VR_DROP_NOT_UDP || d == VR_DROP_INNER_NOT_UDP) {
		ri->kind = VR_GEN_RX_NOT_UDP;
		return VR_GEN_RX_ERR_OK;
	}
	if (d != VR_DROP_NONE) {
		ri->drop = (uint8_t)d;
		return malformed(ri, rf.encap == VR_RELAY_ENCAP_NONE ? VR_GEN_RX_ERR_FRAME : VR_GEN_RX_ERR_TUNNEL);
	}
	/* vr_relay_frame_parse() keeps these inside @len; checked again so a
	 * change there cannot turn into a read past the frame here */
	if ((uint32_t)rf.payload_off + rf.payload_len > len) {
		ri->drop = VR_DROP_UDP_LENGTH;
		return malformed(ri, rf.encap == VR_RELAY_ENCAP_NONE ? VR_GEN_RX_ERR_FRAME : VR_GEN_RX_ERR_TUNNEL);
	}
	ri->family = rf.family;
	ri->src = rf.src;
	ri->dst = rf.dst;
	ri->sport = rf.sport;
	ri->dport = rf.dport;
	ri->payload_off = rf.payload_off;
	ri->payload_len = rf.payload_len;

	p = frame + rf.payload_off;
	ri->demux = (uint8_t)vr_demux_classify(p, rf.payload_len);
	if (ri->demux != VR_DEMUX_RTP) {
		ri->kind = VR_GEN_RX_UDP_OTHER;
		return VR_GEN_RX_ERR_OK;
	}
	if (vr_rtp_is_rtcp(p, rf.payload_len))
		return rtcp(p, rf.payload_len, cfg->opaque, ri);
	return rtp(p, rf.payload_len, cfg->opaque, stamp_id, ri);
}
