/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's command line: one table of options (type, offset, bounds, help) drives parsing, defaults and usage. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/config.h"

#include "gen_opts.h"

enum opt_type {
	OPT_U32,
	OPT_U16,
	OPT_U8,
	OPT_U64,
	OPT_DBL,
	OPT_FLAG,  /* no argument: sets a bool */
	OPT_STR,   /* one of @choices ("a|b|c"), or free text when NULL */
	OPT_ADDR,  /* IPv4 or IPv6 address */
	OPT_MAC,
	OPT_LIST,  /* comma-separated u32 list: the RFC 2544 frame sizes */
};

struct opt_def {
	const char *name;
	enum opt_type type;
	size_t off;
	size_t size;        /* OPT_STR: buffer bytes */
	double lo, hi;      /* numeric bounds, inclusive */
	const char *choices;
	const char *arg;    /* argument name in the usage */
	const char *help;
};

#define O(f) offsetof(struct vr_gen_opts, f)
#define S(f) sizeof(((struct vr_gen_opts *)0)->f)

static const struct opt_def opt_table[] = {
	{"streams", OPT_U32, O(streams), 0, 1, 4000000, NULL, "N", "sending members (RTP streams), default 1000"},
	{"rooms", OPT_U32, O(rooms), 0, 0, 65535, NULL, "R", "rooms, one VIP port each, members spread round-robin; 0 = one port per stream (default)"},
	{"codec", OPT_STR, O(codec), S(codec), 0, 0, "opus|g711", "C", "opus: talk spurts, 60..160 B, DTX; g711: 160 B every ptime (default opus)"},
	{"ptime", OPT_U32, O(ptime_ms), 0, 10, 120, NULL, "MS", "packetisation time, default 20"},
	{"ipv6", OPT_FLAG, O(ipv6), 0, 0, 0, NULL, NULL, "send over IPv6 (--vip and --src then IPv6)"},
	{"vip", OPT_ADDR, O(vip), 0, 0, 0, NULL, "A", "destination address, default 10.78.100.1 / fd78:100::1"},
	{"port", OPT_U16, O(port), 0, 1, 65535, NULL, "P", "first destination port; room r uses P + r (default 50000)"},
	{"src", OPT_ADDR, O(src), 0, 0, 0, NULL, "A", "first client address, default 10.80.0.1 / fd80::1"},
	{"src-count", OPT_U32, O(src_count), 0, 1, 16777216, NULL, "N", "client addresses the streams spread over, default min(streams, 65534)"},
	{"src-port", OPT_U16, O(src_port), 0, 0, 65534, NULL, "P", "first client port, +2 per stream on one address; 0 = random even ports (default)"},
	{"srtp", OPT_STR, O(srtp), S(srtp), 0, 0, "none|AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM", "SUITE", "protect with libsrtp, default none"},
	{"key-seed", OPT_U64, O(key_seed), 0, 0, 1.8e19, NULL, "N", "seed of SSRCs, sequence/timestamp starts and SRTP keys, default 1"},
	{"audio-level-id", OPT_U8, O(audio_level_id), 0, 0, 14, NULL, "ID", "RFC 6464 audio level element id, 0 = none (default 1)"},
	{"stamp-id", OPT_U8, O(stamp_id), 0, 1, 14, NULL, "ID", "RFC 8285 id of the measurement stamp under SRTP, default 14"},
	{"no-rtcp", OPT_FLAG, O(rtcp), 0, 0, 0, NULL, NULL, "no RTCP sender reports"},
	{"rate", OPT_DBL, O(rate_pps), 0, 0, 1e9, NULL, "PPS", "aggregate packets/s; 0 = the voice model's own (streams x 1000/ptime)"},
	{"flat-out", OPT_FLAG, O(flat_out), 0, 0, 0, NULL, NULL, "no pacing: as fast as the port takes"},
	{"ramp", OPT_DBL, O(ramp_s), 0, 0, 3600, NULL, "S", "seconds to ramp up to the rate, default 0"},
	{"duration", OPT_DBL, O(duration_s), 0, 0, 1e7, NULL, "S", "seconds of sending; 0 = until a signal (default 10)"},
	{"frame-size", OPT_U32, O(frame_size), 0, 64, 1518, NULL, "B", "fixed Ethernet frame bytes with the FCS, as RFC 2544 counts them (pads the payload); default the codec's"},
	{"expect", OPT_STR, O(expect), S(expect), 0, 0, "echo|room|none", "MODE", "what comes back: echo (each packet once), room (to the room's other members), none (default echo)"},
	{"gue-port", OPT_U16, O(gue_port), 0, 0, 65535, NULL, "P", "decapsulate GUE to this UDP port on receive, default 0 (none)"},
	{"drain", OPT_DBL, O(drain_s), 0, 0, 60, NULL, "S", "seconds to keep receiving after sending stops, default 0.5"},
	{"rfc2544", OPT_FLAG, O(rfc2544), 0, 0, 0, NULL, NULL, "RFC 2544 throughput search (binary, section 26.1) per frame size"},
	{"frame-sizes", OPT_LIST, O(frame_sizes), 0, 64, 1518, NULL, "B,B", "RFC 2544 frame sizes with the FCS, default 218 (G.711 20 ms over IPv4)"},
	{"trial", OPT_DBL, O(trial_s), 0, 0.1, 3600, NULL, "S", "seconds per RFC 2544 trial (the RFC asks 60), default 2"},
	{"loss-tolerance", OPT_DBL, O(loss_tolerance), 0, 0, 0.5, NULL, "X", "loss ratio a trial may show and still pass, default 0"},
	{"resolution", OPT_DBL, O(resolution), 0, 1e-6, 0.5, NULL, "X", "stop when the bracket is below X of the upper bound, default 0.01"},
	{"max-rate", OPT_DBL, O(max_rate_pps), 0, 0, 1e9, NULL, "PPS", "search upper bound; 0 = line rate of --link-gbps"},
	{"link-gbps", OPT_DBL, O(link_gbps), 0, 0.001, 800, NULL, "G", "link speed for % of line rate, default 10"},
	{"latency-load", OPT_DBL, O(latency_load), 0, 0, 1, NULL, "X", "after the search, a trial at X of the throughput for latency (default 0.5; 0 = none)"},
	{"tx-port", OPT_U16, O(tx_port), 0, 0, 1023, NULL, "ID", "DPDK port to send on, default 0"},
	{"rx-port", OPT_U16, O(rx_port), 0, 0, 1023, NULL, "ID", "DPDK port to receive on, default the TX port"},
	{"burst", OPT_U32, O(burst), 0, 1, 256, NULL, "N", "packets per TX burst, default 32"},
	{"mbufs", OPT_U32, O(mbufs), 0, 1023, 16777215, NULL, "N", "mbufs per pool, default 16383"},
	{"dst-mac", OPT_MAC, O(dst_mac), 0, 0, 0, NULL, "MAC", "next hop's MAC, default broadcast"},
	{"link-timeout", OPT_DBL, O(link_timeout_s), 0, 0, 1e6, NULL, "S", "seconds to wait for link up, default 30"},
	{"tx-drop-every", OPT_U32, O(tx_drop_every), 0, 0, 1000000000, NULL, "N", "test knob: leave out every Nth packet of each stream (a known loss), default 0"},
	{"json", OPT_STR, O(json_path), S(json_path), 0, 0, NULL, "FILE", "also write the final report as JSON to FILE ('-': one line on stdout)"},
	{"quiet", OPT_FLAG, O(quiet), 0, 0, 0, NULL, NULL, "no live line per second"},
	{"plan-only", OPT_FLAG, O(plan_only), 0, 0, 0, NULL, NULL, "build the plan, write --members-out, and exit without sending (to program a relay first)"},
	{"members-out", OPT_STR, O(members_out), S(members_out), 0, 0, NULL, "FILE", "write the member table (room ports, SSRCs, addresses, keys) as JSON to FILE"},
};

#define NB_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

void vr_gen_opts_usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [EAL args] -- [options]\n", prog);
	for (size_t i = 0; i < NB_OPTS; i++) {
		const struct opt_def *d = &opt_table[i];
		char head[64];

		snprintf(head, sizeof(head), "--%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
		fprintf(f, "  %-24s ", head);
		fputs(d->help, f);
		fputc('\n', f);
	}
	fprintf(f, "  %-24s this text\n", "--help");
	fprintf(f, "signals: INT/TERM stop (the report is still printed)\n");
}

static void defaults(struct vr_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->streams = 1000;
	snprintf(o->codec, sizeof(o->codec), "opus");
	o->ptime_ms = 20;
	o->port = 50000;
	snprintf(o->srtp, sizeof(o->srtp), "none");
	o->key_seed = 1;
	o->audio_level_id = 1;
	o->stamp_id = 14;
	o->rtcp = true;
	o->duration_s = 10;
	snprintf(o->expect, sizeof(o->expect), "echo");
	o->drain_s = 0.5;
	o->frame_sizes[0] = 218;
	o->nb_frame_sizes = 1;
	o->trial_s = 2;
	o->resolution = 0.01;
	o->link_gbps = 10;
	o->latency_load = 0.5;
	o->burst = 32;
	o->mbufs = 16383;
	memset(o->dst_mac, 0xff, sizeof(o->dst_mac));
	o->link_timeout_s = 30;
}

static int fail(char *err, size_t errlen, const struct opt_def *d, const char *what, const char *val)
{
	snprintf(err, errlen, "--%s: '%s' %s", d->name, val, what);
	return -EINVAL;
}

static int parse_num(const struct opt_def *d, const char *s, double *v, char *err, size_t errlen)
{
	char *end;
	char range[96];

	errno = 0;
	*v = strtod(s, &end);
	snprintf(range, sizeof(range), "is not a number in [%.15g, %.15g]", d->lo, d->hi);
	if (errno || end == s || *end || *v < d->lo || *v > d->hi)
		return fail(err, errlen, d, range, s);
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static bool in_choices(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncasecmp(p, v, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static int set_opt(struct vr_gen_opts *o, const struct opt_def *d, const char *arg, char *err, size_t errlen)
{
	uint8_t *field = (uint8_t *)o + d->off;
	double v;

	switch (d->type) {
	case OPT_FLAG:
		/* "no-rtcp" clears its bool, every other flag sets one */
		*(bool *)field = strncmp(d->name, "no-", 3) != 0;
		return 0;
	case OPT_U32:
	case OPT_U16:
	case OPT_U8:
	case OPT_U64:
	case OPT_DBL:
		if (parse_num(d, arg, &v, err, errlen))
			return -EINVAL;
		if (d->type != OPT_DBL && v != (double)(uint64_t)v)
			return fail(err, errlen, d, "is not a whole number", arg);
		if (d->type == OPT_U32)
			*(uint32_t *)field = (uint32_t)v;
		else if (d->type == OPT_U16)
			*(uint16_t *)field = (uint16_t)v;
		else if (d->type == OPT_U8)
			*(uint8_t *)field = (uint8_t)v;
		else if (d->type == OPT_U64)
			*(uint64_t *)field = strtoull(arg, NULL, 0);
		else
			*(double *)field = v;
		return 0;
	case OPT_STR:
		if (d->choices && !in_choices(d->choices, arg)) {
			char what[160];

			snprintf(what, sizeof(what), "is not one of %s", d->choices);
			return fail(err, errlen, d, what, arg);
		}
		if (strlen(arg) >= d->size)
			return fail(err, errlen, d, "is too long", arg);
		snprintf((char *)field, d->size, "%s", arg);
		return 0;
	case OPT_ADDR:
		if (vr_addr_parse(arg, (struct vr_addr *)field) != 0)
			return fail(err, errlen, d, "is not an IPv4 or IPv6 address", arg);
		return 0;
	case OPT_MAC:
		if (parse_mac(arg, field) != 0)
			return fail(err, errlen, d, "is not a MAC address (xx:xx:xx:xx:xx:xx)", arg);
		return 0;
	case OPT_LIST: {
		char buf[256], *save = NULL, *tok;
		uint32_t n = 0;

		snprintf(buf, sizeof(buf), "%s", arg);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (n == VR_GEN_MAX_FRAME_SIZES)
				return fail(err, errlen, d, "has too many entries", arg);
			if (parse_num(d, tok, &v, err, errlen))
				return -EINVAL;
			o->frame_sizes[n++] = (uint32_t)v;
		}
		if (!n)
			return fail(err, errlen, d, "is empty", arg);
		o->nb_frame_sizes = n;
		return 0;
	}
	}
	return -EINVAL;
}

/* Defaults that depend on other options, and combinations that cannot work. */
static int finish(struct vr_gen_opts *o, bool vip_set, bool src_set, bool src_count_set, char *err, size_t errlen)
{
	int fam = o->ipv6 ? AF_INET6 : AF_INET;

	if (!vip_set)
		vr_addr_parse(o->ipv6 ? "fd78:100::1" : "10.78.100.1", &o->vip);
	if (!src_set)
		vr_addr_parse(o->ipv6 ? "fd80::1" : "10.80.0.1", &o->src);
	if (o->vip.family != fam || o->src.family != fam) {
		snprintf(err, errlen, "--vip and --src must be %s addresses%s", o->ipv6 ? "IPv6" : "IPv4",
			 o->ipv6 ? "" : " (or give --ipv6)");
		return -EINVAL;
	}
	if (!src_count_set)
		o->src_count = o->streams < 65534 ? o->streams : 65534;
	if (o->src_port && (uint64_t)o->src_port + 2ull * ((o->streams + o->src_count - 1) / o->src_count - 1) > 65535) {
		snprintf(err, errlen, "--src-port %u: %u streams over %u addresses need ports past 65535", o->src_port,
			 o->streams, o->src_count);
		return -EINVAL;
	}
	if (o->rooms > o->streams) {
		snprintf(err, errlen, "--rooms %u: more rooms than streams (%u)", o->rooms, o->streams);
		return -EINVAL;
	}
	if ((uint32_t)o->port + (o->rooms ? o->rooms : o->streams) - 1 > 65535) {
		snprintf(err, errlen, "--port %u: %u destination ports do not fit below 65536", o->port,
			 o->rooms ? o->rooms : o->streams);
		return -EINVAL;
	}
	if (!strcmp(o->expect, "room") && !o->rooms) {
		snprintf(err, errlen, "--expect room needs --rooms");
		return -EINVAL;
	}
	if (o->audio_level_id && o->audio_level_id == o->stamp_id) {
		snprintf(err, errlen, "--audio-level-id and --stamp-id are both %u", o->stamp_id);
		return -EINVAL;
	}
	if (o->rfc2544 && o->flat_out) {
		snprintf(err, errlen, "--rfc2544 sets the rate of each trial: drop --flat-out");
		return -EINVAL;
	}
	return 0;
}

int vr_gen_opts_parse(int argc, char **argv, struct vr_gen_opts *o, char *err, size_t errlen)
{
	struct option longopts[NB_OPTS + 2];
	bool vip_set = false, src_set = false, src_count_set = false, rx_port_set = false;
	int c, idx;

	defaults(o);
	for (size_t i = 0; i < NB_OPTS; i++)
		longopts[i] = (struct option){opt_table[i].name,
					      opt_table[i].type == OPT_FLAG ? no_argument : required_argument, NULL,
					      (int)(i + 256)};
	longopts[NB_OPTS] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[NB_OPTS + 1] = (struct option){NULL, 0, NULL, 0};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		const struct opt_def *d;

		if (c == 'h') {
			vr_gen_opts_usage(stdout, argv[0]);
			return 1;
		}
		if (c < 256 || c >= (int)(256 + NB_OPTS)) {
			snprintf(err, errlen, "unknown option or missing argument: '%s'", argv[optind - 1]);
			return -EINVAL;
		}
		d = &opt_table[c - 256];
		if (set_opt(o, d, optarg, err, errlen))
			return -EINVAL;
		vip_set |= d->off == O(vip);
		src_set |= d->off == O(src);
		src_count_set |= d->off == O(src_count);
		rx_port_set |= d->off == O(rx_port);
		if (d->off == O(json_path) && !strcmp(o->json_path, "-")) {
			o->json_stdout = true;
			o->json_path[0] = 0;
		}
	}
	if (optind != argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!rx_port_set)
		o->rx_port = o->tx_port;
	return finish(o, vip_set, src_set, src_count_set, err, errlen);
}
