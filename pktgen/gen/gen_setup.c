/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gen's set-up: workers per lcore with their share of the streams, voice models, frame builders and receive accounting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "gen_app.h"
#include "gen_rfc2544.h"

/* A per-stream seed: streams of one run differ, runs with one --key-seed repeat. */
static uint64_t stream_seed(const struct vr_gen_app *a, uint32_t stream)
{
	return a->o.key_seed * 0x9e3779b97f4a7c15ull ^ ((uint64_t)stream << 20 | stream);
}

static void tx_conf(const struct vr_gen_app *a, uint32_t frame_len, struct vr_gen_tx_conf *c)
{
	const struct vr_gen_opts *o = &a->o;

	memset(c, 0, sizeof(*c));
	memcpy(c->src_mac, a->src_mac, 6);
	memcpy(c->dst_mac, o->dst_mac, 6);
	c->src_base = o->src;
	/* the whole family's space: addresses run on from --src for --src-count */
	c->src_prefix_len = 0;
	c->src_count = o->src_count;
	c->src_port = o->src_port;
	c->vip = o->vip;
	c->room_port_base = o->port;
	c->room_port_step = 1;
	c->members_per_room = a->plan->room_size;
	/* without rooms every stream has a port of its own */
	if (!o->rooms)
		c->members_per_room = 1;
	c->frame_len = frame_len;
	/* RFC 2544's smallest frames have no room for the RFC 6464 element */
	c->audio_level_id = o->rfc2544 ? 0 : o->audio_level_id;
	c->stamp_id = o->stamp_id;
	c->tos = 0xb8; /* EF, as voice is marked (RFC 4594) */
	c->suite = a->suite;
	c->seed = o->key_seed;
}

static int init_stream(struct vr_gen_app *a, struct vr_gen_worker *w, uint32_t k, const struct vr_gen_tx_conf *c)
{
	uint32_t s = w->first + k;
	struct vr_gen_voice_params vp = {
		.codec = a->codec,
		.ptime_ms = a->o.ptime_ms,
	};
	struct vr_gen_tx *t = &w->tx[k];
	int rc;

	rc = vr_gen_tx_init(t, c, s, a->suite == VR_RELAY_SUITE_NONE ? NULL : a->plan->members[s].tx_key);
	if (rc) {
		fprintf(stderr, "voxrelay-gen: stream %u: frame builder: %s\n", s, strerror(-rc));
		return rc;
	}
	vp.fixed_payload = vr_gen_tx_fixed_payload(t);
	/* streams start spread evenly over one ptime, on the worker's timeline */
	rc = vr_gen_voice_init(&w->voice[k], &vp, stream_seed(a, s), (uint64_t)k * a->sh.ptime_ns / w->count);
	if (rc) {
		fprintf(stderr, "voxrelay-gen: stream %u: voice model: %s\n", s, strerror(-rc));
		return rc;
	}
	vr_gen_plan_set(a->plan, s, &t->src, t->sport, t->dport, vr_gen_voice_ssrc(&w->voice[k]));
	return 0;
}

int vr_gen_setup_workers(struct vr_gen_app *a, uint32_t frame_len)
{
	struct vr_gen_tx_conf c;
	unsigned int lcore;
	uint32_t i = 0, per, extra, next = 0;
	int rc;

	a->nb_flows = a->sh.expect_room ? a->plan->nb_members * a->plan->room_size : a->plan->nb_members;
	per = a->plan->nb_members / a->nb_workers;
	extra = a->plan->nb_members % a->nb_workers;
	tx_conf(a, frame_len, &c);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct vr_gen_worker *w = rte_zmalloc_socket("vr_gen_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
							     (int)rte_lcore_to_socket_id(lcore));

		if (!w)
			return -ENOMEM;
		a->w[i] = w;
		w->lcore = lcore;
		w->queue = (uint16_t)i;
		w->sh = &a->sh;
		w->pool = a->tx_pool;
		w->first = next;
		w->count = per + (i < extra);
		next += w->count;
		w->voice = calloc(w->count ? w->count : 1, sizeof(*w->voice));
		w->tx = calloc(w->count ? w->count : 1, sizeof(*w->tx));
		w->iv_lat = vr_gen_hist_create();
		/* a flow's first packets may precede the relay learning the receiver: count from the first seen */
		w->flows = vr_gen_flows_create(a->nb_flows, a->sh.expect_room ? VR_GEN_FLOWS_BASE_FIRST : 0,
					       a->codec == VR_GEN_CODEC_G711 ? VR_GEN_G711_CLOCK : VR_GEN_OPUS_CLOCK,
					       a->sh.tsc_hz);
		if (!w->voice || !w->tx || !w->iv_lat || !w->flows)
			return -ENOMEM;
		for (uint32_t k = 0; k < w->count; k++) {
			rc = init_stream(a, w, k, &c);
			if (rc)
				return rc;
		}
		/* flat out until a SEND brings a rate */
		vr_gen_pace_init(&w->pace, a->sh.tsc_hz, a->sh.burst, 0, rte_rdtsc());
		i++;
	}
	rc = vr_gen_plan_index(a->plan);
	if (rc) {
		fprintf(stderr, "voxrelay-gen: two streams share a client address and port (raise --src-count)\n");
		return rc;
	}
	return 0;
}

int vr_gen_setup_frame(struct vr_gen_app *a, uint32_t frame_len)
{
	struct vr_gen_tx_conf c;
	int rc;

	tx_conf(a, frame_len, &c);
	for (uint32_t i = 0; i < a->nb_workers; i++) {
		struct vr_gen_worker *w = a->w[i];

		for (uint32_t k = 0; k < w->count; k++) {
			vr_gen_tx_fini(&w->tx[k]);
			rc = vr_gen_tx_init(&w->tx[k], &c, w->first + k,
					    a->suite == VR_RELAY_SUITE_NONE ? NULL : a->plan->members[w->first + k].tx_key);
			if (rc) {
				fprintf(stderr, "voxrelay-gen: %u-byte frames: %s\n", frame_len + VR_GEN_FCS_LEN,
					strerror(-rc));
				return rc;
			}
			/* every payload fills the frame, so the SR's octet counts stay what is on the wire */
			w->voice[k].fixed_payload = vr_gen_tx_fixed_payload(&w->tx[k]);
		}
	}
	return 0;
}

void vr_gen_setup_free(struct vr_gen_app *a)
{
	for (uint32_t i = 0; i < VR_GEN_MAX_LCORES; i++) {
		struct vr_gen_worker *w = a->w[i];

		if (!w)
			continue;
		if (w->tx)
			for (uint32_t k = 0; k < w->count; k++)
				vr_gen_tx_fini(&w->tx[k]);
		free(w->tx);
		free(w->voice);
		vr_gen_hist_free(w->iv_lat);
		vr_gen_flows_free(w->flows);
		rte_free(w);
		a->w[i] = NULL;
	}
}
