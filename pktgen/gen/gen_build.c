/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's frame builder: per-stream header template and address spreading, RTP and RTCP frames, checksums, SRTP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_ip.h>
#include <srtp2/srtp.h>

#include "voxrelay/splitmix.h"

#include "../../dataplane/lib/bytes.h"
#include "gen_build.h"

#define ETH_LEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define SR_LEN (VR_RTCP_HDR_LEN + 4 + VR_RTCP_SENDER_INFO_LEN)
#define NTP_UNIX_OFFSET 2208988800ull /* 1900 to 1970, s */

/*
 * One's complement sum (RFC 1071) of @n bytes as big-endian 16-bit words,
 * added to @s (not folded). DPDK's rte_raw_cksum() sums in memory order,
 * several words per step; the sum is byte-order invariant up to a swap of
 * its folded result (RFC 1071 section 2(B)).
 */
static inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	return s + rte_be_to_cpu_16(rte_raw_cksum(p, n));
}

/*
 * The same sum over @n bytes, @n a multiple of 4, 32 bits a step: for the
 * ~40 bytes of RTP header, extension and stamp just written, DPDK 22.11's
 * rte_raw_cksum() (16 bits a step) was a tenth of a frame's cost. Words
 * in memory order summed into 64 bits and folded give the memory-order
 * sum, byte-swapped to big-endian as in sum16().
 */
static inline uint32_t sum32(const uint8_t *p, size_t n, uint32_t s)
{
	uint64_t a = 0;
	uint32_t w;

	for (size_t i = 0; i < n; i += 4) {
		memcpy(&w, p + i, 4);
		a += w;
	}
	a = (a & 0xffffffffu) + (a >> 32);
	a = (a & 0xffff) + (a >> 16);
	a = (a & 0xffff) + (a >> 16);
	a = (a & 0xffff) + (a >> 16);
	return s + rte_be_to_cpu_16((uint16_t)a);
}

static void filler_init(void);

static uint16_t fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Address number @n from @base inside its prefix; -EINVAL when the run's range leaves the host part. */
static int src_addr(const struct vr_gen_tx_conf *c, uint32_t n, struct vr_addr *out)
{
	uint32_t hb, last = c->src_count - 1;

	*out = c->src_base;
	if (c->src_base.family == AF_INET) {
		uint32_t a = vr_rd32(c->src_base.a.b + 12), hmask, host;

		if (c->src_prefix_len > 32)
			return -EINVAL;
		hb = 32 - c->src_prefix_len;
		hmask = hb == 32 ? UINT32_MAX : (1u << hb) - 1;
		host = a & hmask;
		/* neither the network's own address nor its broadcast (a /31 or /32 has no room for clients) */
		if (hb < 2 || host == 0 || (uint64_t)host + last > (uint64_t)hmask - 1)
			return -EINVAL;
		vr_wr32(out->a.b + 12, (a & ~hmask) | (host + n));
		return 0;
	}
	{
		uint64_t lo = (uint64_t)vr_rd32(c->src_base.a.b + 8) << 32 | vr_rd32(c->src_base.a.b + 12);
		uint64_t hmask, host;

		if (c->src_prefix_len > 127)
			return -EINVAL;
		hb = 128 - c->src_prefix_len;
		hmask = hb >= 64 ? UINT64_MAX : (1ull << hb) - 1;
		host = lo & hmask;
		/* host 0 is the subnet-router anycast address (RFC 4291 2.6.1); only the low 64 bits count */
		if (host == 0 || host + last < host || host + last > hmask)
			return -EINVAL;
		lo = (lo & ~hmask) | (host + n);
		vr_wr32(out->a.b + 8, (uint32_t)(lo >> 32));
		vr_wr32(out->a.b + 12, (uint32_t)lo);
		return 0;
	}
}

/* RFC 8285 block bytes for a level element and/or the stamp element: 4 + data rounded up to words. */
static uint32_t ext_bytes(int level, int stamp)
{
	uint32_t data = (level ? 2u : 0u) + (stamp ? 1u + VR_GEN_STAMP_LEN : 0u);

	return data ? 4 + (data + 3) / 4 * 4 : 0;
}

static void build_template(struct vr_gen_tx *t, const struct vr_gen_tx_conf *c, uint64_t *rng)
{
	uint8_t *h = t->hdr, *ip = h + ETH_LEN, *udp;
	uint8_t ttl = c->ttl ? c->ttl : 64;

	memset(h, 0, sizeof(t->hdr));
	memcpy(h, c->dst_mac, 6);
	memcpy(h + 6, c->src_mac, 6);
	if (!t->v6) {
		vr_wr16(h + 12, ETHERTYPE_IPV4);
		ip[0] = 0x45;
		ip[1] = c->tos;
		vr_wr16(ip + 6, 0x4000); /* DF: RTP is never fragmented by its senders */
		ip[8] = ttl;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, t->src.a.b + 12, 4);
		memcpy(ip + 16, c->vip.a.b + 12, 4);
		udp = ip + 20;
		t->ip_sum = sum16(ip, 20, 0);
		t->l4_sum = sum16(ip + 12, 8, IPPROTO_UDP);
	} else {
		uint32_t flow = (uint32_t)vr_splitmix64(rng) & 0xfffff;

		vr_wr16(h + 12, ETHERTYPE_IPV6);
		vr_wr32(ip, 6u << 28 | (uint32_t)c->tos << 20 | flow);
		ip[6] = IPPROTO_UDP;
		ip[7] = ttl;
		memcpy(ip + 8, t->src.a.b, 16);
		memcpy(ip + 24, c->vip.a.b, 16);
		udp = ip + 40;
		t->l4_sum = sum16(ip + 8, 32, IPPROTO_UDP);
	}
	vr_wr16(udp, t->sport);
	vr_wr16(udp + 2, t->dport);
	t->l4_sum = sum16(udp, 4, t->l4_sum);
	t->l4_off = (uint8_t)(udp - h);
	t->hdr_len = (uint8_t)(t->l4_off + VR_UDP_HDR_LEN);
}

int vr_gen_tx_init(struct vr_gen_tx *t, const struct vr_gen_tx_conf *c, uint32_t stream, const uint8_t *key)
{
	uint32_t slot, nth, room, step, min_frame;
	uint64_t rng;
	int rc;

	memset(t, 0, sizeof(*t));
	filler_init();
	if ((c->vip.family != AF_INET && c->vip.family != AF_INET6) || c->src_base.family != c->vip.family ||
	    c->src_count == 0 || c->room_port_base == 0 || c->audio_level_id > 14 || c->stamp_id > 14 ||
	    (c->audio_level_id && c->audio_level_id == (c->stamp_id ? c->stamp_id : VR_GEN_STAMP_EXT_ID)) ||
	    (c->frame_len && (c->frame_len < VR_GEN_MIN_FRAME || c->frame_len > VR_GEN_MAX_FRAME)) ||
	    c->suite >= VR_RELAY_SUITE_MAX || (c->suite != VR_RELAY_SUITE_NONE && !key))
		return -EINVAL;
	t->v6 = c->vip.family == AF_INET6;
	t->stream = stream;
	slot = stream % c->src_count;
	nth = stream / c->src_count;
	rc = src_addr(c, slot, &t->src);
	if (rc)
		return rc;
	room = c->members_per_room ? stream / c->members_per_room : 0;
	step = c->room_port_step ? c->room_port_step : 1;
	if ((c->src_port ? (uint64_t)c->src_port + 2ull * nth > 65535 : nth >= VR_GEN_PORTS) ||
	    (uint64_t)c->room_port_base + (uint64_t)room * step > 65535)
		return -ERANGE;
	t->dport = (uint16_t)(c->room_port_base + room * step);
	if (c->src_port) {
		t->sport = (uint16_t)(c->src_port + 2 * nth);
	} else {
		/* One offset per address and one odd stride per run: the ports of an
		 * address look random yet never repeat (an odd stride is coprime with 8192). */
		uint64_t prng = c->seed ^ 0x5a17e0f0c0ffeeull, stride = vr_splitmix64(&prng) | 1;
		uint64_t a = c->seed + slot * 0x9e3779b97f4a7c15ull, off = vr_splitmix64(&a);

		t->sport = (uint16_t)(VR_GEN_PORT_MIN + 2 * ((off + nth * stride) % VR_GEN_PORTS));
	}
	rng = c->seed ^ ((uint64_t)stream << 32 | stream);
	vr_splitmix64(&rng);
	t->ip_id = (uint16_t)vr_splitmix64(&rng);
	t->cname_len = (uint8_t)snprintf(t->cname, sizeof(t->cname), "vxg-%016llx",
					 (unsigned long long)vr_splitmix64(&rng));
	t->level_id = c->audio_level_id;
	t->stamp_id = c->stamp_id ? c->stamp_id : VR_GEN_STAMP_EXT_ID;
	t->stamp_in_ext = c->stamp_in_ext || c->suite != VR_RELAY_SUITE_NONE;
	t->tag_len = c->suite == VR_RELAY_SUITE_AEAD_AES_128_GCM ? 16 : c->suite != VR_RELAY_SUITE_NONE ? 10 : 0;
	t->frame_len = c->frame_len;
	build_template(t, c, &rng);
	min_frame = t->hdr_len + VR_RTP_HDR_LEN + ext_bytes(t->level_id != 0, t->stamp_in_ext) + t->tag_len;
	if (c->frame_len && c->frame_len < min_frame)
		return -EINVAL;
	if (c->suite != VR_RELAY_SUITE_NONE) {
		t->srtp = vr_relay_srtp_session(c->suite, key, false, 0);
		if (!t->srtp)
			return -errno;
	}
	return 0;
}

void vr_gen_tx_fini(struct vr_gen_tx *t)
{
	if (t->srtp)
		srtp_dealloc(t->srtp);
	t->srtp = NULL;
}

uint32_t vr_gen_tx_fixed_payload(const struct vr_gen_tx *t)
{
	if (!t->frame_len)
		return 0;
	return t->frame_len - t->hdr_len - VR_RTP_HDR_LEN - ext_bytes(t->level_id != 0, t->stamp_in_ext) - t->tag_len;
}

uint64_t vr_gen_ntp_from_unix_ns(uint64_t unix_ns)
{
	uint64_t sec = unix_ns / 1000000000ull + NTP_UNIX_OFFSET;
	uint64_t frac = ((unix_ns % 1000000000ull) << 32) / 1000000000ull;

	return sec << 32 | frac;
}

/*
 * SRTP-protect @len bytes at @p in place, where @p has tag room after it.
 * libsrtp reads the header as 32-bit words, so a misaligned packet goes
 * through an aligned copy. Returns the protected length or -EIO.
 */
static int protect(struct vr_gen_tx *t, uint8_t *p, int len, int rtcp)
{
	_Alignas(8) uint8_t tmp[VR_GEN_MAX_FRAME + SRTP_MAX_TRAILER_LEN];
	uint8_t *q = ((uintptr_t)p & 3) ? tmp : p;
	srtp_err_status_t e;

	if (q != p)
		memcpy(q, p, (size_t)len);
	e = rtcp ? srtp_protect_rtcp(t->srtp, q, &len) : srtp_protect(t->srtp, q, &len);
	if (e != srtp_err_status_ok)
		return -EIO;
	if (q != p)
		memcpy(p, q, (size_t)len);
	return len;
}

/*
 * Fill in IP and UDP lengths and checksums around @l4_payload bytes after
 * the template, whose RFC 1071 sum (unfolded) the caller knows; pad to 60.
 */
static int finish(struct vr_gen_tx *t, uint8_t *buf, uint32_t l4_payload, uint32_t payload_sum)
{
	uint8_t *udp = buf + t->l4_off, *ip = buf + ETH_LEN;
	uint32_t udp_len = VR_UDP_HDR_LEN + l4_payload, len = t->hdr_len + l4_payload;
	uint16_t ck;

	if (!t->v6) {
		vr_wr16(ip + 2, (uint16_t)(20 + udp_len));
		vr_wr16(ip + 4, t->ip_id);
		vr_wr16(ip + 10, fold(t->ip_sum + 20 + udp_len + t->ip_id));
		t->ip_id++;
	} else {
		vr_wr16(ip + 4, (uint16_t)udp_len);
	}
	vr_wr16(udp + 4, (uint16_t)udp_len);
	/* the length twice: once in the pseudo-header, once in the UDP header */
	ck = fold(payload_sum + t->l4_sum + 2 * udp_len);
	vr_wr16(udp + 6, ck ? ck : 0xffff); /* 0 would mean "no checksum" (RFC 768) */
	if (len < VR_GEN_MIN_FRAME) {
		memset(buf + len, 0, VR_GEN_MIN_FRAME - len);
		len = VR_GEN_MIN_FRAME;
	}
	return (int)len;
}

/*
 * Payload bytes: a window of a random block chosen by SSRC and sequence
 * number, reproducible and as incompressible as coded speech. A copy, not
 * a PRNG run per packet, and its checksum from prefix sums, not a pass
 * over the bytes: the filler and the UDP checksum over it were most of
 * the per-packet cost.
 */
#define FILLER_BLOCK 2048u
/* a frame's payload past any offset, rounded to whole 8-byte draws */
static uint8_t filler_block[FILLER_BLOCK + ((VR_GEN_MAX_FRAME + 7) & ~7u)];
/*
 * filler_prefix[k]: the RFC 1071 sum (unfolded) of filler_block[0, k) as
 * big-endian 16-bit words, an odd last byte counting as a word's high
 * byte. A window starting at an even offset o sums to prefix[o + n] -
 * prefix[o]: below 2^32 for the whole block (2,300 words of at most 0xffff).
 */
static uint32_t filler_prefix[sizeof(filler_block) + 1];

/* Filled once by the first vr_gen_tx_init() (start-up, before any TX lcore runs). */
static void filler_init(void)
{
	uint64_t s = 0x766f7872656c6179ull;

	if (filler_block[0] | filler_block[1] | filler_block[2] | filler_block[3])
		return;
	for (size_t i = 0; i < sizeof(filler_block); i += 8) {
		uint64_t r = vr_splitmix64(&s);

		memcpy(filler_block + i, &r, 8);
	}
	filler_block[0] |= 1; /* the "filled" mark can never read as zero */
	filler_prefix[0] = 0;
	for (size_t k = 0; k < sizeof(filler_block); k += 2) {
		filler_prefix[k + 1] = filler_prefix[k] + ((uint32_t)filler_block[k] << 8);
		filler_prefix[k + 2] = filler_prefix[k] + vr_rd16(filler_block + k);
	}
}

/* Copy the window of @n bytes for (@ssrc, @seq) to @p; returns its sum as filler_prefix describes. */
static inline uint32_t filler(uint8_t *p, uint32_t n, uint32_t ssrc, uint16_t seq)
{
	uint32_t o = ((ssrc ^ (uint32_t)seq * 2654435761u) % FILLER_BLOCK) & ~1u;

	memcpy(p, filler_block + o, n);
	return filler_prefix[o + n] - filler_prefix[o];
}

/* Unfolded sum @s of bytes that start at an odd offset, as words aligned on even offsets (RFC 1071 2(B)). */
static inline uint32_t sum_at_odd(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ((s & 0xff) << 8) | (s >> 8);
}

int vr_gen_tx_rtp(struct vr_gen_tx *t, const struct vr_gen_rtp_info *ri, const struct vr_gen_stamp *st, uint8_t *buf,
		  size_t room)
{
	const struct vr_gen_stamp *ext_st = t->stamp_in_ext ? st : NULL;
	int level = t->level_id ? ri->level : -1;
	uint32_t ext = ext_bytes(level >= 0, ext_st != NULL), hdr = t->hdr_len + VR_RTP_HDR_LEN + ext;
	uint32_t payload, rtp_len, frame, fsum, head;
	uint8_t *rtp = buf + t->hdr_len, *pl;
	int n;

	if (t->frame_len) {
		if (t->frame_len < hdr + t->tag_len)
			return -EMSGSIZE;
		payload = t->frame_len - hdr - t->tag_len;
	} else {
		payload = ri->payload_len;
		if (payload > VR_GEN_MAX_FRAME - hdr - t->tag_len)
			return -EMSGSIZE;
	}
	rtp_len = VR_RTP_HDR_LEN + ext + payload;
	frame = hdr + payload + t->tag_len;
	if (room < (frame < VR_GEN_MIN_FRAME ? VR_GEN_MIN_FRAME : frame))
		return -ENOSPC;

	memcpy(buf, t->hdr, t->hdr_len);
	vr_rtp_write_hdr(rtp, (uint8_t)((ri->marker ? 0x80 : 0) | (ri->pt & 0x7f)), ri->seq, ri->ts, ri->ssrc);
	if (ext) {
		rtp[0] |= 0x10; /* X */
		n = vr_gen_ext_write(rtp + VR_RTP_HDR_LEN, ext, ext_st, t->stamp_id, level, t->level_id);
		if (n != (int)ext)
			return n < 0 ? n : -EINVAL;
	}
	pl = rtp + VR_RTP_HDR_LEN + ext;
	n = st && !ext_st ? (int)vr_gen_stamp_payload_write(pl, payload, st) : 0;
	fsum = filler(pl + n, payload - (uint32_t)n, ri->ssrc, ri->seq);
	if (t->srtp) {
		n = protect(t, rtp, (int)rtp_len, 0);
		if (n < 0)
			return n;
		rtp_len = (uint32_t)n;
		return finish(t, buf, rtp_len, sum16(rtp, rtp_len, 0));
	}
	/* the headers and stamp are summed, the filler's sum is looked up */
	head = VR_RTP_HDR_LEN + ext + (uint32_t)n;
	return finish(t, buf, rtp_len,
		      (head & 3 ? sum16(rtp, head, 0) : sum32(rtp, head, 0)) + (head & 1 ? sum_at_odd(fsum) : fsum));
}

int vr_gen_tx_rtcp(struct vr_gen_tx *t, const struct vr_gen_sr_info *si, uint64_t ntp, uint8_t *buf, size_t room)
{
	/* SDES chunk: SSRC, CNAME item (type, length, text), then 1..4 null octets to a word boundary (RFC 3550 6.5) */
	uint32_t chunk = 4 + 2 + t->cname_len, nulls = 4 - chunk % 4;
	uint32_t sdes = VR_RTCP_HDR_LEN + chunk + nulls, len = SR_LEN + sdes;
	uint32_t trailer = t->srtp ? 4u + t->tag_len : 0;
	uint32_t frame = t->hdr_len + len + trailer;
	uint8_t *r = buf + t->hdr_len, *s;
	int n;

	if (room < (frame < VR_GEN_MIN_FRAME ? VR_GEN_MIN_FRAME : frame))
		return -ENOSPC;
	memcpy(buf, t->hdr, t->hdr_len);
	r[0] = 0x80; /* V = 2, P = 0, RC = 0: we receive nothing to report on */
	r[1] = VR_RTCP_SR;
	vr_wr16(r + 2, SR_LEN / 4 - 1);
	vr_wr32(r + 4, si->ssrc);
	vr_wr32(r + 8, (uint32_t)(ntp >> 32));
	vr_wr32(r + 12, (uint32_t)ntp);
	vr_wr32(r + 16, si->rtp_ts);
	vr_wr32(r + 20, si->packets);
	vr_wr32(r + 24, si->octets);
	s = r + SR_LEN;
	s[0] = 0x81; /* SC = 1 */
	s[1] = VR_RTCP_SDES;
	vr_wr16(s + 2, (uint16_t)(sdes / 4 - 1));
	vr_wr32(s + 4, si->ssrc);
	s[8] = 1; /* CNAME */
	s[9] = t->cname_len;
	memcpy(s + 10, t->cname, t->cname_len);
	memset(s + 10 + t->cname_len, 0, nulls);
	if (t->srtp) {
		n = protect(t, r, (int)len, 1);
		if (n < 0)
			return n;
		len = (uint32_t)n;
	}
	return finish(t, buf, len, sum16(r, len, 0));
}
