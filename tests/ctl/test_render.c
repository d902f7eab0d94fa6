/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of voxrelayctl's answer side: which lines are answers, and the exact text people and programs get from each result. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "../common/check.h"

/* ------------------------------------------------------------------ */
/* answers */

static void parse_ok(const char *line, bool ok, const char *code, const char *message)
{
	struct vr_ctl_response r;
	char err[VR_CTL_ERR_LEN];
	int rc = vr_ctl_parse_response(line, strlen(line), 1, &r, err, sizeof(err));

	CHECK_MSG(rc == 0, "%s: refused: %s", line, err);
	if (rc != 0)
		return;
	CHECK_MSG(r.ok == ok, "%s: ok %d", line, r.ok);
	if (ok) {
		CHECK_MSG(json_is_object(r.result), "%s: no result", line);
	} else {
		CHECK_STR(r.code, code, line);
		CHECK_STR(r.message, message, line);
	}
	vr_ctl_response_clear(&r);
	CHECK_MSG(r.root == NULL && r.result == NULL && r.code == NULL, "%s: not cleared", line);
}

/* want: the exact message, or its start when it ends in '*' (jansson words its own errors) */
static void parse_bad(const char *line, size_t len, const char *want)
{
	struct vr_ctl_response r = {0};
	char err[VR_CTL_ERR_LEN];
	size_t n = strlen(want);
	int rc = vr_ctl_parse_response(line, len, 1, &r, err, sizeof(err));

	CHECK_MSG(rc == -EPROTO, "%s: rc %d", line, rc);
	CHECK_MSG(r.root == NULL, "%s: root kept", line);
	if (n > 0 && want[n - 1] == '*')
		CHECK_MSG(strncmp(err, want, n - 1) == 0, "%s:\n  want %s\n  got  %s", line, want, err);
	else
		CHECK_STR(err, want, line);
	for (const char *c = err; *c; c++)
		CHECK_MSG((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f, "%s: byte 0x%02x in the message", line,
		      (unsigned char)*c);
}

#define BAD(line, want) parse_bad((line), strlen(line), (want))

static void test_parse(void)
{
	static const char nul[] = "{\"ok\":true,\"result\":{}}\0garbage";

	parse_ok("{\"id\":1,\"ok\":true,\"result\":{}}", true, NULL, NULL);
	parse_ok("{\"ok\":true,\"result\":{\"a\":[1,2]}}", true, NULL, NULL);
	parse_ok("  {\"result\":{},\"ok\":true,\"id\":1,\"extra\":null}\r", true, NULL, NULL);
	parse_ok("{\"id\":1,\"ok\":false,\"error\":{\"code\":\"ENOENT\",\"message\":\"no backend 10.77.2.99\"}}", false,
		 "ENOENT", "no backend 10.77.2.99");
	parse_ok("{\"id\":1,\"ok\":false,\"error\":{\"code\":\"EBUSY\"}}", false, "EBUSY", "");
	parse_ok("{\"id\":1,\"ok\":false,\"error\":{\"code\":\"EINVAL\",\"message\":7}}", false, "EINVAL", "");
	/* a refusal carries no result; one that does is still a refusal */
	parse_ok("{\"ok\":false,\"result\":{},\"error\":{\"code\":\"EPROTO\",\"message\":\"not JSON\"}}", false, "EPROTO",
		 "not JSON");

	BAD("", "the answer is not JSON (*");
	BAD("hello", "the answer is not JSON (*");
	BAD("\x1b[31mhello", "the answer is not JSON (*");
	BAD("{\"ok\":true,\"result\":{}} trailing", "the answer is not JSON (*");
	BAD("{\"ok\":true,\"ok\":true,\"result\":{}}", "the answer is not JSON (*");
	BAD("{\"ok\":true,\"result\":{\"s\":\"a\\u0000b\"}}", "the answer is not JSON (*");
	BAD("{\"ok\":true,\"result\":{\"s\":\"\xff\"}}", "the answer is not JSON (*");
	parse_bad(nul, sizeof(nul) - 1, "the answer is not JSON (*");
	BAD("[1,2]", "the answer is not a JSON object: \"[1,2]\"");
	BAD("\"ok\"", "the answer is not a JSON object: \"\"ok\"\"");
	BAD("[\"\x1b[2J\"]", "the answer is not JSON (*");
	BAD("[\"\xc3\xa9\",\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]",
	    "the answer is not a JSON object: \"[\"??\",\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
	BAD("null", "the answer is not a JSON object: \"null\"");
	BAD("{\"id\":2,\"ok\":true,\"result\":{}}", "the answer carries another request's id");
	BAD("{\"id\":\"1\",\"ok\":true,\"result\":{}}", "the answer carries another request's id");
	BAD("{\"id\":null,\"ok\":true,\"result\":{}}", "the answer carries another request's id");
	BAD("{\"id\":1,\"result\":{}}", "the answer has no \"ok\" true or false");
	BAD("{\"id\":1,\"ok\":1,\"result\":{}}", "the answer has no \"ok\" true or false");
	BAD("{\"id\":1,\"ok\":\"true\",\"result\":{}}", "the answer has no \"ok\" true or false");
	BAD("{\"id\":1,\"ok\":true}", "the answer has \"ok\": true but no \"result\" object");
	BAD("{\"id\":1,\"ok\":true,\"result\":[]}", "the answer has \"ok\": true but no \"result\" object");
	BAD("{\"id\":1,\"ok\":true,\"result\":null}", "the answer has \"ok\": true but no \"result\" object");
	BAD("{\"id\":1,\"ok\":false}", "the answer has \"ok\": false but no \"error\" with a \"code\"");
	BAD("{\"id\":1,\"ok\":false,\"error\":\"ENOENT\"}", "the answer has \"ok\": false but no \"error\" with a \"code\"");
	BAD("{\"id\":1,\"ok\":false,\"error\":{\"code\":2}}",
	    "the answer has \"ok\": false but no \"error\" with a \"code\"");
	BAD("{\"id\":1,\"ok\":false,\"error\":{\"code\":\"\"}}",
	    "the answer has \"ok\": false but no \"error\" with a \"code\"");

	vr_ctl_response_clear(NULL);
}

/* ------------------------------------------------------------------ */
/* output */

/* Renders result (JSON text) as the answer to request and returns what was printed. */
static char *render(const char *request, const char *result, int want_rc, const char *want_err)
{
	json_t *req = json_loads(request, 0, NULL), *res = json_loads(result, 0, NULL);
	char err[VR_CTL_ERR_LEN], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int rc;

	CHECK_MSG(req != NULL && res != NULL, "bad test JSON: %s / %s", request, result);
	rc = vr_ctl_render(f, req, res, err, sizeof(err));
	fclose(f);
	CHECK_MSG(rc == want_rc, "%s: rc %d (%s)", request, rc, err);
	if (want_err != NULL)
		CHECK_STR(err, want_err, request);
	json_decref(req);
	json_decref(res);
	return out;
}

static void expect(const char *request, const char *result, const char *want)
{
	char *got = render(request, result, 0, NULL);

	CHECK_STR(got, want, request);
	free(got);
}

static void expect_proto(const char *request, const char *result, const char *want_err)
{
	free(render(request, result, -EPROTO, want_err));
}

static const char vip_list[] =
	"{\"vips\":["
	"{\"id\":0,\"address\":\"10.77.100.1\",\"ports\":\"50000-50999\",\"hash\":\"dst-port\",\"encap\":\"gue\","
	"\"gue_port\":6080,\"rx_packets\":123456,\"backends\":["
	"{\"id\":0,\"address\":\"10.77.2.11\",\"weight\":1,\"state\":\"up\",\"maglev_slots\":32769,"
	"\"maglev_share\":0.50001,\"flows\":12,\"tx_packets\":61000,\"tx_bytes\":9760000},"
	"{\"id\":1,\"address\":\"10.77.2.12\",\"weight\":1,\"state\":\"draining\",\"maglev_slots\":32768,"
	"\"maglev_share\":0.49999,\"flows\":3,\"tx_packets\":62456,\"tx_bytes\":9992960}]},"
	"{\"id\":1,\"address\":\"fd77:100::1\",\"ports\":\"3478-3478\",\"hash\":\"five-tuple\",\"encap\":\"ipip\","
	"\"rx_packets\":0,\"backends\":["
	"{\"id\":2,\"address\":\"fd77:2::11\",\"weight\":10,\"state\":\"down\",\"maglev_slots\":0,"
	"\"maglev_share\":0,\"flows\":0,\"tx_packets\":0,\"tx_bytes\":0}]}]}";

static const char vip_list_text[] =
	"ID  VIP          PORTS        HASH        ENCAP  GUE_PORT  BACKENDS  RX_PACKETS\n"
	" 0  10.77.100.1  50000-50999  dst-port    gue        6080         2      123456\n"
	" 1  fd77:100::1  3478         five-tuple  ipip          -         1           0\n"
	"\n"
	"VIP          PORTS        BACKEND     ID  WEIGHT  STATE     SLOTS   SHARE  FLOWS  TX_PACKETS  TX_BYTES\n"
	"10.77.100.1  50000-50999  10.77.2.11   0       1  up        32769  50.00%     12       61000   9760000\n"
	"10.77.100.1  50000-50999  10.77.2.12   1       1  draining  32768  50.00%      3       62456   9992960\n"
	"fd77:100::1  3478         fd77:2::11   2      10  down          0   0.00%      0           0         0\n";

/* As stats.c's --stats-json writes it. */
static const char stats[] =
	"{\"tsc_hz\":2400000000,\"ports\":[{\"name\":\"uplink\",\"rx_packets\":1000,\"tx_packets\":990,"
	"\"rx_bytes\":172000,\"tx_bytes\":198000,\"rx_missed\":0,\"tx_errors\":2},{\"name\":\"p1\"}],"
	"\"lcores\":[{\"lcore\":1,\"rx_packets\":600,\"tx_packets\":590,\"busy_cycles\":250,\"total_cycles\":1000,"
	"\"cycles_per_packet\":0.42},{\"lcore\":2,\"rx_packets\":400,\"tx_packets\":400,\"busy_cycles\":0,"
	"\"total_cycles\":0,\"cycles_per_packet\":0.00}],"
	"\"vips\":[{\"id\":0,\"address\":\"10.77.100.1\",\"ports\":\"50000-50999\",\"rx_packets\":1000}],"
	"\"backends\":[{\"id\":0,\"vip_id\":0,\"vip_ports\":\"50000-50999\",\"vip\":\"10.77.100.1\","
	"\"address\":\"10.77.2.11\",\"state\":\"up\",\"weight\":1,\"maglev_slots\":65537,\"maglev_share\":1.00000,"
	"\"tx_packets\":990,\"tx_bytes\":158400,\"flows\":7}],"
	"\"drops\":{\"not_ip\":0,\"no_vip\":8,\"ttl\":2},"
	"\"conntrack\":{\"memory_bytes\":67108864,\"entries\":7,\"lookups\":1000,\"hits\":993,\"inserts\":7,"
	"\"updates\":993,\"expired\":0,\"evictions\":0},"
	"\"slow_path\":3,\"reloads\":1,\"reload_failures\":0,\"state_generation\":2}";

static const char stats_text[] =
	"PORT    RX_PACKETS  RX_BYTES  TX_PACKETS  TX_BYTES  RX_MISSED  TX_ERRORS\n"
	"uplink        1000    172000         990    198000          0          2\n"
	"p1               -         -           -         -          -          -\n"
	"\n"
	"LCORE  RX_PACKETS  TX_PACKETS   BUSY  CYCLES/PACKET\n"
	"    1         600         590  25.0%            0.4\n"
	"    2         400         400      -            0.0\n"
	"\n"
	"ID  VIP          PORTS        RX_PACKETS\n"
	" 0  10.77.100.1  50000-50999        1000\n"
	"\n"
	"VIP          PORTS        BACKEND     ID  WEIGHT  STATE  SLOTS    SHARE  FLOWS  TX_PACKETS  TX_BYTES\n"
	"10.77.100.1  50000-50999  10.77.2.11   0       1  up     65537  100.00%      7         990    158400\n"
	"\n"
	"COUNTER                      VALUE\n"
	"conntrack.memory_bytes    67108864\n"
	"conntrack.entries                7\n"
	"conntrack.lookups             1000\n"
	"conntrack.hits                 993\n"
	"conntrack.inserts                7\n"
	"conntrack.updates              993\n"
	"conntrack.expired                0\n"
	"conntrack.evictions              0\n"
	"drops.no_vip                     8\n"
	"drops.ttl                        2\n"
	"tsc_hz                  2400000000\n"
	"slow_path                        3\n"
	"reloads                          1\n"
	"reload_failures                  0\n"
	"state_generation                 2\n";

static void test_render(void)
{
	expect("{\"op\":\"ping\"}",
	       "{\"version\":\"0.1.0\",\"role\":\"balancer\",\"state_generation\":3,\"uptime_s\":93784}",
	       "voxrelay-dp 0.1.0, role balancer, state generation 3, up 1d 02:03:04\n");
	expect("{\"op\":\"ping\"}", "{\"version\":\"0.1.0\",\"role\":\"relay\",\"state_generation\":1,\"uptime_s\":59}",
	       "voxrelay-dp 0.1.0, role relay, state generation 1, up 00:00:59\n");
	expect("{\"op\":\"ping\"}", "{}", "voxrelay-dp -, role -, state generation -, up -\n");

	expect("{\"op\":\"vip.list\"}", vip_list, vip_list_text);
	expect("{\"op\":\"vip.list\"}", "{\"vips\":[]}", "no VIPs\n");
	/* what is missing shows as "-", the columns stay */
	expect("{\"op\":\"vip.list\"}", "{\"vips\":[{\"address\":\"10.0.0.1\"},7]}",
	       "ID  VIP       PORTS  HASH  ENCAP  GUE_PORT  BACKENDS  RX_PACKETS\n"
	       " -  10.0.0.1  -      -     -             -         -           -\n"
	       " -  -         -      -     -             -         -           -\n");
	/* only a range of one port is shortened */
	expect("{\"op\":\"vip.list\"}",
	       "{\"vips\":[{\"ports\":\"5-5\"},{\"ports\":\"5-55\"},{\"ports\":\"55-5\"},{\"ports\":\"-\"},"
	       "{\"ports\":\"5-\"},{\"ports\":-5},{\"ports\":\"a-a\"}]}",
	       "ID  VIP  PORTS  HASH  ENCAP  GUE_PORT  BACKENDS  RX_PACKETS\n"
	       " -  -    5      -     -             -         -           -\n"
	       " -  -    5-55   -     -             -         -           -\n"
	       " -  -    55-5   -     -             -         -           -\n"
	       " -  -    -      -     -             -         -           -\n"
	       " -  -    5-     -     -             -         -           -\n"
	       " -  -    -5     -     -             -         -           -\n"
	       " -  -    a      -     -             -         -           -\n");
	expect_proto("{\"op\":\"vip.list\"}", "{}", "unexpected answer to vip.list: no \"vips\" list");
	expect_proto("{\"op\":\"vip.list\"}", "{\"vips\":{}}", "unexpected answer to vip.list: no \"vips\" list");

	expect("{\"op\":\"maglev.shares\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000}}",
	       "{\"size\":65537,\"backends\":[{\"address\":\"10.77.2.11\",\"state\":\"up\",\"slots\":32769,"
	       "\"share\":0.50001},{\"address\":\"10.77.2.12\",\"state\":\"up\",\"slots\":32768,\"share\":0.49999},"
	       "{\"address\":\"10.77.2.13\",\"state\":\"draining\",\"slots\":0,\"share\":0}]}",
	       "Maglev table of 10.77.100.1 port 50000: 65537 slots\n"
	       "BACKEND     STATE     SLOTS   SHARE\n"
	       "10.77.2.11  up        32769  50.00%\n"
	       "10.77.2.12  up        32768  50.00%\n"
	       "10.77.2.13  draining      0   0.00%\n");
	expect_proto("{\"op\":\"maglev.shares\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000}}", "{\"size\":7}",
		     "unexpected answer to maglev.shares: no \"backends\" list");

	expect("{\"op\":\"stats\"}", stats, stats_text);
	expect_proto("{\"op\":\"stats\"}", "{\"ports\":[],\"lcores\":[],\"vips\":[],\"backends\":[],\"drops\":{}}",
		     "unexpected answer to stats: no \"conntrack\" object");
	expect_proto("{\"op\":\"stats\"}", "{\"ports\":[]}", "unexpected answer to stats: no \"lcores\" list");

	expect("{\"op\":\"conntrack.list\"}",
	       "{\"entries\":[{\"client\":\"192.0.2.1\",\"client_port\":40000,\"vip\":\"10.77.100.1\",\"vip_port\":50000,"
	       "\"backend\":\"10.77.2.11\",\"idle_ms\":120,\"lcore\":1},"
	       "{\"client\":\"2001:db8::7\",\"client_port\":3478,\"vip\":\"fd77:100::1\",\"vip_port\":3478,"
	       "\"backend\":\"fd77:2::11\",\"idle_ms\":29999,\"lcore\":2}],\"truncated\":true}",
	       "CLIENT              VIP                 BACKEND     IDLE_MS  LCORE\n"
	       "192.0.2.1:40000     10.77.100.1:50000   10.77.2.11      120      1\n"
	       "[2001:db8::7]:3478  [fd77:100::1]:3478  fd77:2::11    29999      2\n"
	       "2 entries shown; more match (--limit raises the limit, up to 10000)\n");
	expect("{\"op\":\"conntrack.list\"}", "{\"entries\":[],\"truncated\":false}", "0 entries\n");
	expect("{\"op\":\"conntrack.list\"}",
	       "{\"entries\":[{\"client\":\"192.0.2.1\",\"vip\":\"10.77.100.1\",\"vip_port\":50000}]}",
	       "CLIENT     VIP                BACKEND  IDLE_MS  LCORE\n"
	       "192.0.2.1  10.77.100.1:50000  -              -      -\n"
	       "1 entry\n");
	expect_proto("{\"op\":\"conntrack.list\"}", "{\"truncated\":false}",
		     "unexpected answer to conntrack.list: no \"entries\" list");

	expect("{\"op\":\"vip.add\",\"args\":{\"address\":\"10.77.100.2\",\"ports\":\"6000-6999\"}}",
	       "{\"vip\":{\"id\":3,\"address\":\"10.77.100.2\",\"ports\":\"6000-6999\",\"hash\":\"five-tuple\","
	       "\"encap\":\"gue\",\"gue_port\":6080,\"rx_packets\":0,\"backends\":[{\"id\":5},{\"id\":6}]}}",
	       "added VIP 10.77.100.2 ports 6000-6999 (id 3, hash five-tuple, encap gue, 2 backends)\n");
	expect("{\"op\":\"vip.add\",\"args\":{\"address\":\"fd77:100::2\",\"port\":3478}}",
	       "{\"vip\":{\"id\":4,\"address\":\"fd77:100::2\",\"ports\":\"3478-3478\",\"hash\":\"five-tuple\","
	       "\"encap\":\"ipip\",\"backends\":[]}}",
	       "added VIP fd77:100::2 ports 3478 (id 4, hash five-tuple, encap ipip, 0 backends)\n");
	expect_proto("{\"op\":\"vip.add\",\"args\":{}}", "{}", "unexpected answer to vip.add: no \"vip\" object");
	expect("{\"op\":\"vip.remove\",\"args\":{\"vip\":\"10.77.100.2\",\"port\":6100}}", "{}",
	       "removed the VIP of 10.77.100.2 port 6100\n");
	expect("{\"op\":\"backend.add\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.13\"}}",
	       "{\"backend\":{\"id\":7,\"address\":\"10.77.2.13\",\"weight\":1,\"state\":\"up\",\"maglev_slots\":21846,"
	       "\"maglev_share\":0.33334,\"flows\":0,\"tx_packets\":0,\"tx_bytes\":0}}",
	       "added backend 10.77.2.13 to VIP 10.77.100.1 port 50000: weight 1, up, 21846 Maglev slots (33.33%), "
	       "0 flows\n");
	expect("{\"op\":\"backend.set\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.11\","
	       "\"state\":\"draining\"}}",
	       "{\"backend\":{\"id\":0,\"address\":\"10.77.2.11\",\"weight\":1,\"state\":\"draining\",\"maglev_slots\":0,"
	       "\"maglev_share\":0,\"flows\":42,\"tx_packets\":100,\"tx_bytes\":16000}}",
	       "changed backend 10.77.2.11 of VIP 10.77.100.1 port 50000: weight 1, draining, 0 Maglev slots (0.00%), "
	       "42 flows\n");
	expect_proto("{\"op\":\"backend.set\",\"args\":{}}", "{\"backend\":[]}",
		     "unexpected answer to backend.set: no \"backend\" object");
	expect("{\"op\":\"backend.remove\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.13\"}}",
	       "{}", "removed backend 10.77.2.13 from VIP 10.77.100.1 port 50000\n");
	expect("{\"op\":\"conntrack.flush\"}", "{\"flushed\":1}", "flushed 1 conntrack entry\n");
	expect("{\"op\":\"conntrack.flush\",\"args\":{\"backend\":\"10.77.2.11\"}}", "{\"flushed\":1234}",
	       "flushed 1234 conntrack entries\n");
	expect_proto("{\"op\":\"conntrack.flush\"}", "{\"flushed\":\"all\"}",
		     "unexpected answer to conntrack.flush: no \"flushed\" count");
	expect("{\"op\":\"reload\"}", "{\"state_generation\":4}",
	       "reloaded the configuration file: state generation 4\n");
	/* an op this version does not know: the result as JSON rather than nothing */
	expect("{\"op\":\"future.op\"}", "{\"a\":1}", "{\n  \"a\": 1\n}\n");
}

/* ------------------------------------------------------------------ */
/* relay */

/* As relay_ctl.c writes them: a member whose address is not known yet has "address": null. */
static const char room_show[] =
	"{\"room\":{\"vip\":\"10.77.200.1\",\"port\":40001,\"id\":2,\"max_members\":8,\"max_speakers\":4,"
	"\"audio_level_id\":1,\"members\":3,\"lcore\":2,\"rx_packets\":1510,\"tx_packets\":1500,"
	"\"drops\":{\"relay_not_rtp\":0,\"relay_auth_fail\":7,\"relay_replay\":3,\"relay_not_loudest\":0}},"
	"\"members\":["
	"{\"id\":7,\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"address\":\"192.0.2.10\",\"client_port\":50000,"
	"\"fixed\":false,\"verified\":true,\"latched\":true,\"counters\":{\"rx_packets\":1010,\"rx_bytes\":173720,"
	"\"tx_packets\":500,\"tx_bytes\":86000,\"rx_drops\":10,\"relatches\":1},\"ssrcs\":["
	"{\"ssrc\":3735928559,\"started\":true,\"packets\":1000,\"bytes\":172000,\"cumulative_lost\":-2,"
	"\"ext_highest_seq\":65636,\"roc\":1,\"jitter_ms\":1.25,\"rtcp_packets\":5},"
	"{\"ssrc\":17,\"started\":false,\"packets\":0,\"bytes\":0,\"cumulative_lost\":0,\"ext_highest_seq\":0,"
	"\"roc\":0,\"jitter_ms\":0.0,\"rtcp_packets\":0}]},"
	"{\"id\":8,\"suite\":\"AEAD_AES_128_GCM\",\"address\":null,\"client_port\":0,\"fixed\":false,"
	"\"verified\":false,\"latched\":false,\"counters\":{\"rx_packets\":0,\"rx_bytes\":0,\"tx_packets\":1000,"
	"\"tx_bytes\":172000,\"rx_drops\":0,\"relatches\":0},\"ssrcs\":["
	"{\"ssrc\":42,\"started\":true,\"packets\":500,\"bytes\":86000,\"cumulative_lost\":12,"
	"\"ext_highest_seq\":511,\"roc\":0,\"jitter_ms\":20.5,\"rtcp_packets\":2}]},"
	"{\"id\":9,\"suite\":\"NONE\",\"address\":\"2001:db8::9\",\"client_port\":3478,\"fixed\":true,"
	"\"verified\":false,\"latched\":false,\"counters\":{},\"ssrcs\":[]}]}";

static const char room_show_text[] =
	"room 10.77.200.1 port 40001 (id 2, lcore 2): 3 of 8 members, at most 4 speakers, audio level id 1; "
	"1510 packets in, 1500 out\n"
	"drops: relay_auth_fail 7, relay_replay 3\n"
	"ID  SUITE                    ADDRESS             FIXED  VERIFIED  LATCHED  RX_PACKETS  RX_BYTES  TX_PACKETS"
	"  TX_BYTES  RX_DROPS  RELATCHES\n"
	" 7  AES_CM_128_HMAC_SHA1_80  192.0.2.10:50000    no     yes       yes            1010    173720         500"
	"     86000        10          1\n"
	" 8  AEAD_AES_128_GCM         -                   no     no        no                0         0        1000"
	"    172000         0          0\n"
	" 9  NONE                     [2001:db8::9]:3478  yes    no        no                -         -           -"
	"         -         -          -\n"
	"\n"
	"MEMBER        SSRC  PACKETS  LOST  EXT_SEQ  JITTER_MS  ROC  RTCP\n"
	"     7  3735928559     1000    -2    65636       1.25    1     5\n"
	"     7          17        0     0        -          -    -     0\n"
	"     8          42      500    12      511      20.50    0     2\n";

/* The relay's stats: the common part (no VIPs, no backends) and its own object. */
static const char stats_relay[] =
	"{\"tsc_hz\":2400000000,\"ports\":[{\"name\":\"uplink\",\"rx_packets\":3000,\"tx_packets\":2990,"
	"\"rx_bytes\":516000,\"tx_bytes\":514280,\"rx_missed\":0,\"tx_errors\":0}],"
	"\"lcores\":[{\"lcore\":1,\"rx_packets\":1500,\"tx_packets\":1495,\"busy_cycles\":100,\"total_cycles\":1000,"
	"\"cycles_per_packet\":850.5}],\"vips\":[],\"backends\":[],\"drops\":{\"not_ip\":0,\"no_vip\":0},"
	"\"conntrack\":{\"memory_bytes\":0,\"entries\":0,\"lookups\":0,\"hits\":0,\"inserts\":0,\"updates\":0,"
	"\"expired\":0,\"evictions\":0},\"slow_path\":0,\"reloads\":0,\"reload_failures\":0,\"state_generation\":1,"
	"\"relay\":{\"rooms\":2,\"members\":5,\"rx_packets\":3000,\"tx_packets\":2990,\"slow_path\":6,\"stun\":4,"
	"\"dtls\":2,\"handoff_out\":700,\"handoff_in\":700,\"drops\":{\"relay_not_rtp\":0,\"relay_auth_fail\":7,"
	"\"relay_no_room\":3,\"relay_handoff_full\":0},\"future_counter\":9}}";

static const char stats_relay_text[] =
	"PORT    RX_PACKETS  RX_BYTES  TX_PACKETS  TX_BYTES  RX_MISSED  TX_ERRORS\n"
	"uplink        3000    516000        2990    514280          0          0\n"
	"\n"
	"LCORE  RX_PACKETS  TX_PACKETS   BUSY  CYCLES/PACKET\n"
	"    1        1500        1495  10.0%          850.5\n"
	"\n"
	"ROOMS  MEMBERS  RX_PACKETS  TX_PACKETS  SLOW_PATH  STUN  DTLS  HANDOFF_OUT  HANDOFF_IN\n"
	"    2        5        3000        2990          6     4     2          700         700\n"
	"\n"
	"COUNTER                           VALUE\n"
	"conntrack.memory_bytes                0\n"
	"conntrack.entries                     0\n"
	"conntrack.lookups                     0\n"
	"conntrack.hits                        0\n"
	"conntrack.inserts                     0\n"
	"conntrack.updates                     0\n"
	"conntrack.expired                     0\n"
	"conntrack.evictions                   0\n"
	"relay.future_counter                  9\n"
	"relay.drops.relay_auth_fail           7\n"
	"relay.drops.relay_no_room             3\n"
	"tsc_hz                       2400000000\n"
	"slow_path                             0\n"
	"reloads                               0\n"
	"reload_failures                       0\n"
	"state_generation                      1\n";

/* A room object as the change answers carry it. */
#define ROOM(members) \
	"{\"vip\":\"10.77.200.1\",\"port\":40001,\"id\":2,\"max_members\":8,\"max_speakers\":4,\"audio_level_id\":0," \
	"\"members\":" #members ",\"lcore\":2}"
#define ROOM_ARGS "\"args\":{\"vip\":\"10.77.200.1\",\"port\":40001"

static void test_relay(void)
{
	/* listed by id, whatever the dataplane's order */
	expect("{\"op\":\"room.list\"}",
	       "{\"rooms\":[{\"vip\":\"10.77.200.1\",\"port\":40001,\"id\":2,\"max_members\":8,\"max_speakers\":4,"
	       "\"audio_level_id\":1,\"members\":3,\"lcore\":2},{\"vip\":\"fd77:200::1\",\"port\":40000,\"id\":1,"
	       "\"max_members\":256,\"max_speakers\":3,\"audio_level_id\":0,\"members\":0,\"lcore\":1}],"
	       "\"max_rooms\":1024}",
	       "ID  VIP          PORT   MEMBERS  MAX_MEMBERS  MAX_SPEAKERS  AUDIO_LEVEL_ID  LCORE\n"
	       " 1  fd77:200::1  40000        0          256             3               0      1\n"
	       " 2  10.77.200.1  40001        3            8             4               1      2\n"
	       "2 rooms of at most 1024\n");
	expect("{\"op\":\"room.list\"}", "{\"rooms\":[" ROOM(1) "],\"max_rooms\":1}",
	       "ID  VIP          PORT   MEMBERS  MAX_MEMBERS  MAX_SPEAKERS  AUDIO_LEVEL_ID  LCORE\n"
	       " 2  10.77.200.1  40001        1            8             4               0      2\n"
	       "1 room of at most 1\n");
	expect("{\"op\":\"room.list\"}", "{\"rooms\":[],\"max_rooms\":1024}", "0 rooms of at most 1024\n");
	/* what is missing shows as "-", ids or not */
	expect("{\"op\":\"room.list\"}", "{\"rooms\":[{\"id\":5},{},7]}",
	       "ID  VIP  PORT  MEMBERS  MAX_MEMBERS  MAX_SPEAKERS  AUDIO_LEVEL_ID  LCORE\n"
	       " -  -    -           -            -             -               -      -\n"
	       " -  -    -           -            -             -               -      -\n"
	       " 5  -    -           -            -             -               -      -\n"
	       "3 rooms of at most -\n");
	expect_proto("{\"op\":\"room.list\"}", "{\"max_rooms\":1024}", "unexpected answer to room.list: no \"rooms\" list");

	expect("{\"op\":\"room.show\"," ROOM_ARGS "}}", room_show, room_show_text);
	expect("{\"op\":\"room.show\"," ROOM_ARGS "}}",
	       "{\"room\":{\"vip\":\"fd77:200::1\",\"port\":40000,\"id\":1,\"max_members\":2,\"max_speakers\":1,"
	       "\"audio_level_id\":0,\"members\":0,\"lcore\":1,\"rx_packets\":0,\"tx_packets\":0,"
	       "\"drops\":{\"relay_not_rtp\":0}},\"members\":[]}",
	       "room fd77:200::1 port 40000 (id 1, lcore 1): 0 of 2 members, at most 1 speaker, no audio level; "
	       "0 packets in, 0 out\n"
	       "no members\n");
	expect_proto("{\"op\":\"room.show\"," ROOM_ARGS "}}", "{\"members\":[]}",
		     "unexpected answer to room.show: no \"room\" object");
	expect_proto("{\"op\":\"room.show\"," ROOM_ARGS "}}", "{\"room\":{}}",
		     "unexpected answer to room.show: no \"members\" list");

	expect("{\"op\":\"relay.slowpath\",\"args\":{\"peek\":true}}",
	       "{\"datagrams\":[{\"mono_ns\":123456789012,\"kind\":\"stun\",\"vip\":\"10.77.200.1\",\"port\":40001,"
	       "\"src\":\"192.0.2.10\",\"sport\":50000,\"encap\":\"gue\",\"len\":20,\"truncated\":false,"
	       "\"hex\":\"000100002112a442b7e7a701bc34d686fa87dfae\"},"
	       "{\"mono_ns\":123456799999,\"kind\":\"dtls\",\"vip\":\"fd77:200::1\",\"port\":40000,"
	       "\"src\":\"2001:db8::9\",\"sport\":3478,\"encap\":\"none\",\"len\":1600,\"truncated\":true,"
	       "\"hex\":\"16fefd000000000000000000\"},"
	       "{\"mono_ns\":123456800000,\"kind\":\"dtls\",\"vip\":\"10.77.200.1\",\"port\":40001,"
	       "\"src\":\"192.0.2.11\",\"sport\":1,\"encap\":\"ipip\",\"len\":33,\"truncated\":false,"
	       "\"hex\":\"16fefd00000000000000000000000000000000000000000000000000000000000001\"}],"
	       "\"queued\":3,\"received\":17,\"overwritten\":1,\"read\":14,\"malformed\":0}",
	       "     MONO_NS  KIND  VIP                  SOURCE              ENCAP   LEN  DATA\n"
	       "123456789012  stun  10.77.200.1:40001    192.0.2.10:50000    gue      20  "
	       "000100002112a442b7e7a701bc34d686fa87dfae\n"
	       "123456799999  dtls  [fd77:200::1]:40000  [2001:db8::9]:3478  none   1600  16fefd000000000000000000...\n"
	       "123456800000  dtls  10.77.200.1:40001    192.0.2.11:1        ipip     33  "
	       "16fefd0000000000000000000000000000000000000000000000000000000000...\n"
	       "3 datagrams (peeked: still queued); 3 queued, 17 received, 1 overwritten, 14 read, 0 malformed\n");
	expect("{\"op\":\"relay.slowpath\"}",
	       "{\"datagrams\":[],\"queued\":0,\"received\":1,\"overwritten\":0,\"read\":1,\"malformed\":0}",
	       "0 datagrams; 0 queued, 1 received, 0 overwritten, 1 read, 0 malformed\n");
	expect_proto("{\"op\":\"relay.slowpath\"}", "{\"datagrams\":{}}",
		     "unexpected answer to relay.slowpath: no \"datagrams\" list");

	expect("{\"op\":\"stats\"}", stats_relay, stats_relay_text);

	expect("{\"op\":\"room.add\"," ROOM_ARGS "}}", "{\"room\":" ROOM(0) "}",
	       "added room 10.77.200.1 port 40001 (id 2, lcore 2): at most 8 members and 4 speakers, no audio level\n");
	expect("{\"op\":\"room.remove\"," ROOM_ARGS "}}", "{\"room\":" ROOM(1) "}",
	       "removed room 10.77.200.1 port 40001 (id 2) and its 1 member\n");
	expect("{\"op\":\"room.remove\"," ROOM_ARGS "}}", "{\"room\":" ROOM(0) "}",
	       "removed room 10.77.200.1 port 40001 (id 2) and its 0 members\n");
	expect("{\"op\":\"member.add\"," ROOM_ARGS ",\"id\":7}}", "{\"room\":" ROOM(2) ",\"member\":7}",
	       "added member 7 to room 10.77.200.1 port 40001: 2 of 8 members\n");
	expect("{\"op\":\"member.remove\"," ROOM_ARGS ",\"id\":7}}", "{\"room\":" ROOM(1) ",\"member\":7}",
	       "removed member 7 from room 10.77.200.1 port 40001: 1 of 8 members left\n");
	expect("{\"op\":\"member.set\"," ROOM_ARGS ",\"id\":7,\"client_address\":\"2001:db8::10\",\"client_port\":5000}}",
	       "{\"room\":" ROOM(1) ",\"member\":7}",
	       "changed member 7 of room 10.77.200.1 port 40001: fixed at [2001:db8::10]:5000\n");
	expect("{\"op\":\"member.set\"," ROOM_ARGS ",\"id\":7}}", "{\"room\":" ROOM(1) ",\"member\":7}",
	       "changed member 7 of room 10.77.200.1 port 40001: address forgotten, latched again from its next "
	       "authenticated packet\n");
	expect_proto("{\"op\":\"member.add\"," ROOM_ARGS ",\"id\":7}}", "{\"member\":7}",
		     "unexpected answer to member.add: no \"room\" object");
	expect_proto("{\"op\":\"room.add\"," ROOM_ARGS "}}", "{\"room\":[]}",
		     "unexpected answer to room.add: no \"room\" object");
}

/* What the dataplane says goes to a terminal: its control characters must not. */
static void test_hostile_text(void)
{
	expect("{\"op\":\"vip.list\"}",
	       "{\"vips\":[{\"id\":0,\"address\":\"10.0.0.1\\u001b[2J\",\"ports\":\"1-2\\n3\",\"hash\":\"\\u009b31m\","
	       "\"encap\":\"\u00e9t\u00e9\",\"backends\":[]}]}",
	       "ID  VIP           PORTS  HASH  ENCAP  GUE_PORT  BACKENDS  RX_PACKETS\n"
	       " 0  10.0.0.1?[2J  1-2?3  ?31m  \u00e9t\u00e9           -         0           -\n");
	expect("{\"op\":\"reload\"}", "{\"state_generation\":\"\\u0007\\u007f\"}",
	       "reloaded the configuration file: state generation ??\n");
	expect("{\"op\":\"room.show\"}",
	       "{\"room\":{\"vip\":\"10.0.0.1\\u001b[2J\",\"drops\":{\"\\u009bx\":1}},\"members\":[{\"suite\":\"a\\nb\","
	       "\"address\":\"\\u0007\",\"ssrcs\":[{\"ssrc\":\"\\u001b\"}]}]}",
	       "room 10.0.0.1?[2J port - (id -, lcore -): - of - members, at most - speakers, audio level id -; "
	       "- packets in, - out\n"
	       "drops: ?x 1\n"
	       "ID  SUITE  ADDRESS  FIXED  VERIFIED  LATCHED  RX_PACKETS  RX_BYTES  TX_PACKETS  TX_BYTES  RX_DROPS"
	       "  RELATCHES\n"
	       " -  a?b    ?        -      -         -                 -         -           -         -         -"
	       "          -\n"
	       "\n"
	       "MEMBER  SSRC  PACKETS  LOST  EXT_SEQ  JITTER_MS  ROC  RTCP\n"
	       "     -     ?        -     -        -          -    -     -\n");
	expect("{\"op\":\"relay.slowpath\"}",
	       "{\"datagrams\":[{\"kind\":\"\\u001b[31m\",\"hex\":\"\\u009b\\u009b\"}]}",
	       "MONO_NS  KIND   VIP  SOURCE  ENCAP  LEN  DATA\n"
	       "      -  ?[31m  -    -       -        -  ??\n"
	       "1 datagram; - queued, - received, - overwritten, - read, - malformed\n");
}

static void test_json(void)
{
	json_t *v = json_loads("{\"size\":65537,\"backends\":[{\"address\":\"10.77.2.11\",\"share\":0.1},"
			       "{\"address\":\"x\",\"share\":0.50001}],\"e\":{}}",
			       0, NULL);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	/* 17 digits: the program reading it gets the dataplane's very doubles back */
	CHECK_MSG(vr_ctl_render_json(f, v) == 0, "render_json");
	fclose(f);
	CHECK_STR(out,
		  "{\n"
		  "  \"size\": 65537,\n"
		  "  \"backends\": [\n"
		  "    {\n"
		  "      \"address\": \"10.77.2.11\",\n"
		  "      \"share\": 0.10000000000000001\n"
		  "    },\n"
		  "    {\n"
		  "      \"address\": \"x\",\n"
		  "      \"share\": 0.50000999999999995\n"
		  "    }\n"
		  "  ],\n"
		  "  \"e\": {}\n"
		  "}\n",
		  "render_json");
	free(out);
	json_decref(v);
}

static void test_refusal(void)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"{\"ok\":false,\"error\":{\"code\":\"ENOENT\",\"message\":\"no backend 10.77.2.99 in VIP "
		 "10.77.100.1:5000-5999\"}}",
		 "ENOENT: no backend 10.77.2.99 in VIP 10.77.100.1:5000-5999\n"},
		{"{\"ok\":false,\"error\":{\"code\":\"EBUSY\"}}", "EBUSY\n"},
		{"{\"ok\":false,\"error\":{\"code\":\"E\\u001b\",\"message\":\"a\\nb\\u009bc\"}}", "E?: a?b?c\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vr_ctl_response r;
		char err[VR_CTL_ERR_LEN], *out = NULL;
		size_t len = 0;
		FILE *f;

		if (vr_ctl_parse_response(cases[i].line, strlen(cases[i].line), 1, &r, err, sizeof(err)) != 0) {
			CHECK_MSG(0, "%s: %s", cases[i].line, err);
			continue;
		}
		f = open_memstream(&out, &len);
		vr_ctl_render_refusal(f, &r);
		fclose(f);
		CHECK_STR(out, cases[i].want, cases[i].line);
		free(out);
		vr_ctl_response_clear(&r);
	}
}

int main(void)
{
	test_parse();
	test_render();
	test_relay();
	test_hostile_text();
	test_json();
	test_refusal();
	return check_report("test_render");
}
