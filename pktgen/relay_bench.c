/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-relay-bench: the relay fan-out core on one core: rooms of 5, one speaker each, AES_CM_128_HMAC_SHA1_80, 172-byte RTP. */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "voxrelay/relay.h"

#define MEMBERS 5
#define PAYLOAD 160
#define PKT (12 + PAYLOAD)
#define BENCH_ROOMS 200
#define PKTS_PER_SPEAKER 200
#define MEM_MEMBERS 10000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 1;
static uint8_t rnd8(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint8_t)(rng >> 56);
}

/* A room of 5 with fixed addresses; member m's in key is keys[m]. */
static struct vr_relay_room *make_room(uint32_t id, uint8_t keys[MEMBERS][2][30])
{
	struct vr_relay_room_conf rc = { .id = id, .vip_port = (uint16_t)(10000 + id % 50000),
		.max_members = MEMBERS, .max_speakers = MEMBERS };
	struct vr_relay_room *room = vr_relay_room_create(&rc);

	for (uint32_t m = 0; room && m < MEMBERS; m++) {
		struct vr_addr a;
		struct vr_relay_member_conf mc = { .id = m + 1, .ssrcs = { id * 16 + m + 1 }, .nssrc = 1,
			.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = keys[m][0],
			.out_key = keys[m][1], .addr = &a, .port = (uint16_t)(20000 + m), .clock_hz = 8000 };

		vr_addr_set_v4(&a, htonl(0x0a000000u + id * 8 + m));
		if (vr_relay_member_add(room, &mc) != 0) {
			vr_relay_room_free(room);
			return NULL;
		}
	}
	return room;
}

int main(void)
{
	static uint8_t keys[BENCH_ROOMS][MEMBERS][2][30];
	struct vr_relay_room **rooms = calloc(BENCH_ROOMS, sizeof(*rooms));
	size_t npk = (size_t)BENCH_ROOMS * MEMBERS * PKTS_PER_SPEAKER;
	uint8_t (*pk)[PKT + 16] = malloc(npk * sizeof(*pk));
	uint16_t *plen = malloc(npk * sizeof(*plen));
	uint8_t outbuf[MEMBERS - 1][PKT + VR_RELAY_TAILROOM];
	struct vr_relay_tx tx[MEMBERS - 1];
	struct vr_relay_out out = { .tx = tx, .ntx = MEMBERS - 1 };
	uint64_t inputs = 0, outputs = 0;
	struct mallinfo2 before, after;
	double t0, dt, mem_member, mem_room;
	int rc = 1;

	if (!rooms || !pk || !plen || vr_relay_global_init() != 0)
		goto out;
	for (int i = 0; i < MEMBERS - 1; i++)
		tx[i] = (struct vr_relay_tx){ .buf = outbuf[i], .cap = sizeof(outbuf[i]) };

	/* Memory: 10,000 members (2,000 rooms of 5), sizeof + libsrtp allocations. */
	{
		uint32_t nrooms = MEM_MEMBERS / MEMBERS;
		struct vr_relay_room **mr = calloc(nrooms, sizeof(*mr));

		for (size_t i = 0; i < sizeof(keys[0]); i++)
			((uint8_t *)keys[0])[i] = rnd8();
		before = mallinfo2();
		for (uint32_t r = 0; r < nrooms; r++)
			if (!(mr[r] = make_room(r + 1, keys[0])))
				goto out;
		after = mallinfo2();
		mem_room = (double)(after.uordblks + after.hblkhd - before.uordblks - before.hblkhd) / nrooms;
		mem_member = mem_room / MEMBERS;
		for (uint32_t r = 0; r < nrooms; r++)
			vr_relay_room_free(mr[r]);
		free(mr);
	}

	/* Traffic: every member of every room speaks; packets protected beforehand by client senders. */
	for (uint32_t r = 0; r < BENCH_ROOMS; r++) {
		for (size_t i = 0; i < sizeof(keys[r]); i++)
			((uint8_t *)keys[r])[i] = rnd8();
		if (!(rooms[r] = make_room(r + 1, keys[r])))
			goto out;
		for (uint32_t m = 0; m < MEMBERS; m++) {
			srtp_policy_t p;
			srtp_t s;

			memset(&p, 0, sizeof(p));
			srtp_crypto_policy_set_rtp_default(&p.rtp);
			srtp_crypto_policy_set_rtcp_default(&p.rtcp);
			p.ssrc.type = ssrc_any_outbound;
			p.key = keys[r][m][0];
			p.window_size = 128;
			if (srtp_create(&s, &p) != srtp_err_status_ok)
				goto out;
			for (uint32_t k = 0; k < PKTS_PER_SPEAKER; k++) {
				/* interleaved: packet k of every speaker of every room, like 20 ms ticks */
				size_t i = ((size_t)k * BENCH_ROOMS + r) * MEMBERS + m;
				uint8_t *b = pk[i];
				uint32_t ssrc = (r + 1) * 16 + m + 1, ts = k * 160;
				int l = PKT;

				b[0] = 0x80, b[1] = 8, b[2] = (uint8_t)(k >> 8), b[3] = (uint8_t)k;
				b[4] = (uint8_t)(ts >> 24), b[5] = (uint8_t)(ts >> 16), b[6] = (uint8_t)(ts >> 8), b[7] = (uint8_t)ts;
				b[8] = (uint8_t)(ssrc >> 24), b[9] = (uint8_t)(ssrc >> 16), b[10] = (uint8_t)(ssrc >> 8), b[11] = (uint8_t)ssrc;
				for (int j = 12; j < PKT; j++)
					b[j] = rnd8();
				if (srtp_protect(s, b, &l) != srtp_err_status_ok)
					goto out;
				plen[i] = (uint16_t)l;
			}
			srtp_dealloc(s);
		}
	}
	t0 = now_s();
	for (size_t i = 0; i < npk; i++) {
		uint32_t r = (uint32_t)((i / MEMBERS) % BENCH_ROOMS), m = (uint32_t)(i % MEMBERS);
		struct vr_addr a;

		vr_addr_set_v4(&a, htonl(0x0a000000u + (r + 1) * 8 + m));
		if (vr_relay_input(rooms[r], pk[i], plen[i], &a, (uint16_t)(20000 + m), (uint64_t)i * 1000, &out) !=
		    VR_RELAY_FORWARD) {
			fprintf(stderr, "packet %zu dropped: %s\n", i, vr_relay_drop_name(out.reason));
			goto out;
		}
		inputs++;
		outputs += out.count;
	}
	dt = now_s() - t0;
	printf("rooms %d x %d members, one speaker each, AES_CM_128_HMAC_SHA1_80, %d-byte RTP, one core\n",
	       BENCH_ROOMS, MEMBERS, PKT);
	printf("input  %.0f packets/s (%.0f ns each)\n", inputs / dt, dt * 1e9 / inputs);
	printf("output %.0f packets/s\n", outputs / dt);
	printf("srtp   %.0f operations/s (1 unprotect + %d protects per input)\n", (inputs + outputs) / dt, MEMBERS - 1);
	printf("memory %.0f bytes per member, %.0f per room (%d members; sizeof(room) %zu, sizeof(member) %zu)\n",
	       mem_member, mem_room, MEM_MEMBERS, sizeof(struct vr_relay_room), sizeof(struct vr_relay_member));
	printf("{\"bench\":\"relay\",\"members_per_room\":%d,\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"pkt_bytes\":%d,"
	       "\"inputs\":%llu,\"seconds\":%.4f,\"input_pps\":%.0f,\"output_pps\":%.0f,\"srtp_ops_per_s\":%.0f,"
	       "\"bytes_per_member\":%.0f,\"bytes_per_room\":%.0f}\n",
	       MEMBERS, PKT, (unsigned long long)inputs, dt, inputs / dt, outputs / dt, (inputs + outputs) / dt,
	       mem_member, mem_room);
	rc = 0;
out:
	for (uint32_t r = 0; rooms && r < BENCH_ROOMS; r++)
		vr_relay_room_free(rooms[r]);
	free(rooms);
	free(pk);
	free(plen);
	return rc;
}
