/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of voxrelayctl's command line: every command to its exact request, every bad argument to its exact message, options and usage. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "../common/check.h"

#define MAX_WORDS 32

/* SRTP keys, base64 master key || salt: 30 bytes (AES_CM_128_HMAC_SHA1_80), another 30, 28 (AEAD_AES_128_GCM), 29 */
#define K30 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define K30B "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB"
#define K28 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="
#define K29 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw="
/* the start of a command line of member add, up to the options */
#define MADD "member add 10.0.0.1 5000 7 "

/* Words split on single spaces; '' stands for an empty word. Returns argc. */
static int split(const char *line, char *store, size_t storelen, char **argv)
{
	int argc = 0;
	char *w;

	snprintf(store, storelen, "%s", line);
	for (w = strtok(store, " "); w != NULL && argc < MAX_WORDS - 1; w = strtok(NULL, " "))
		argv[argc++] = strcmp(w, "''") == 0 ? w + 2 : w; /* w + 2 is the "" that ends "''" */
	argv[argc] = NULL;
	return argc;
}

/* A command line and the request it must give (compact JSON, compared as JSON, types included). */
struct good {
	const char *line;
	const char *want;
};

static const struct good goods[] = {
	{"ping", "{\"op\":\"ping\"}"},
	{"ping --", "{\"op\":\"ping\"}"},
	{"vip list", "{\"op\":\"vip.list\"}"},
	{"vip add 10.77.100.1 50000-50999 --hash dst-port --encap gue --gue-port 6080 --backend 10.77.2.11 "
	 "--backend 10.77.2.12:2 --backend 10.77.2.13:3:draining",
	 "{\"op\":\"vip.add\",\"args\":{\"address\":\"10.77.100.1\",\"ports\":\"50000-50999\",\"hash\":\"dst-port\","
	 "\"encap\":\"gue\",\"gue_port\":6080,\"backends\":[{\"address\":\"10.77.2.11\"},"
	 "{\"address\":\"10.77.2.12\",\"weight\":2},{\"address\":\"10.77.2.13\",\"weight\":3,\"state\":\"draining\"}]}}"},
	{"vip add fd77:100::1 3478", "{\"op\":\"vip.add\",\"args\":{\"address\":\"fd77:100::1\",\"port\":3478}}"},
	{"vip add fd77:100::1 3478 --backend fd77:2::11 --backend [fd77:2::12]:5:down --backend [fd77:2::13] "
	 "--backend [fd77:2::14]:7",
	 "{\"op\":\"vip.add\",\"args\":{\"address\":\"fd77:100::1\",\"port\":3478,\"backends\":["
	 "{\"address\":\"fd77:2::11\"},{\"address\":\"fd77:2::12\",\"weight\":5,\"state\":\"down\"},"
	 "{\"address\":\"fd77:2::13\"},{\"address\":\"fd77:2::14\",\"weight\":7}]}}"},
	/* the range goes out canonical, whatever zeros were typed */
	{"vip add 10.0.0.1 0050-060", "{\"op\":\"vip.add\",\"args\":{\"address\":\"10.0.0.1\",\"ports\":\"50-60\"}}"},
	{"vip add 10.0.0.1 7-7", "{\"op\":\"vip.add\",\"args\":{\"address\":\"10.0.0.1\",\"ports\":\"7-7\"}}"},
	{"vip add 10.0.0.1 1-65535 --backend 10.0.0.2:65535:up",
	 "{\"op\":\"vip.add\",\"args\":{\"address\":\"10.0.0.1\",\"ports\":\"1-65535\",\"backends\":["
	 "{\"address\":\"10.0.0.2\",\"weight\":65535,\"state\":\"up\"}]}}"},
	/* options anywhere, "=" or a separate word, unique prefixes */
	{"vip add --encap ipip 10.0.0.1 --hash=five-tuple 53",
	 "{\"op\":\"vip.add\",\"args\":{\"encap\":\"ipip\",\"address\":\"10.0.0.1\",\"hash\":\"five-tuple\",\"port\":53}}"},
	{"vip add 10.0.0.1 53 --gue 7000",
	 "{\"op\":\"vip.add\",\"args\":{\"address\":\"10.0.0.1\",\"port\":53,\"gue_port\":7000}}"},
	{"vip remove 10.77.100.1 50123", "{\"op\":\"vip.remove\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50123}}"},
	{"vip remove fd77:100::1 3478", "{\"op\":\"vip.remove\",\"args\":{\"vip\":\"fd77:100::1\",\"port\":3478}}"},
	{"backend add 10.77.100.1 50000 10.77.2.13",
	 "{\"op\":\"backend.add\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.13\",\"flows\":true}}"},
	{"backend add 10.77.100.1 50000 10.77.2.13 --weight 65535 --state down",
	 "{\"op\":\"backend.add\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.13\","
	 "\"weight\":65535,\"state\":\"down\",\"flows\":true}}"},
	{"backend add fd77:100::1 3478 fd77:2::13 --weight=1",
	 "{\"op\":\"backend.add\",\"args\":{\"vip\":\"fd77:100::1\",\"port\":3478,\"address\":\"fd77:2::13\","
	 "\"weight\":1,\"flows\":true}}"},
	{"backend remove 10.77.100.1 50000 10.77.2.13",
	 "{\"op\":\"backend.remove\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.13\"}}"},
	{"backend remove -- 10.77.100.1 50000 10.77.2.13",
	 "{\"op\":\"backend.remove\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.13\"}}"},
	{"backend remove 10.77.100.1 -- 50000 10.77.2.13",
	 "{\"op\":\"backend.remove\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.13\"}}"},
	{"backend set 10.77.100.1 50000 10.77.2.11 --state draining",
	 "{\"op\":\"backend.set\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.11\","
	 "\"state\":\"draining\",\"flows\":true}}"},
	{"backend set --weight 3 10.77.100.1 50000 10.77.2.11",
	 "{\"op\":\"backend.set\",\"args\":{\"weight\":3,\"vip\":\"10.77.100.1\",\"port\":50000,"
	 "\"address\":\"10.77.2.11\",\"flows\":true}}"},
	{"backend set 10.77.100.1 50000 10.77.2.11 --st up --w 2",
	 "{\"op\":\"backend.set\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"address\":\"10.77.2.11\","
	 "\"state\":\"up\",\"weight\":2,\"flows\":true}}"},
	{"maglev 10.77.100.1 50000", "{\"op\":\"maglev.shares\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000}}"},
	{"stats", "{\"op\":\"stats\"}"},
	{"conntrack list", "{\"op\":\"conntrack.list\"}"},
	{"conntrack list --client 192.0.2.1 --backend 10.77.2.11 --vip 10.77.100.1 50000 --limit 10000",
	 "{\"op\":\"conntrack.list\",\"args\":{\"client\":\"192.0.2.1\",\"backend\":\"10.77.2.11\","
	 "\"vip\":\"10.77.100.1\",\"port\":50000,\"limit\":10000}}"},
	{"conntrack list --vip=fd77:100::1 3478 --limit 1",
	 "{\"op\":\"conntrack.list\",\"args\":{\"vip\":\"fd77:100::1\",\"port\":3478,\"limit\":1}}"},
	{"conntrack list --client 2001:db8::7", "{\"op\":\"conntrack.list\",\"args\":{\"client\":\"2001:db8::7\"}}"},
	{"conntrack flush", "{\"op\":\"conntrack.flush\"}"},
	{"conntrack flush --backend 10.77.2.11", "{\"op\":\"conntrack.flush\",\"args\":{\"backend\":\"10.77.2.11\"}}"},
	{"conntrack flush --vip 10.77.100.1 50000 --backend 10.77.2.11",
	 "{\"op\":\"conntrack.flush\",\"args\":{\"vip\":\"10.77.100.1\",\"port\":50000,\"backend\":\"10.77.2.11\"}}"},
	{"reload", "{\"op\":\"reload\"}"},
	/* relay */
	{"room add 10.77.200.1 40000", "{\"op\":\"room.add\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000}}"},
	{"room add 10.77.200.1 40000 --max-members 8 --max-speakers 4 --audio-level-id 1",
	 "{\"op\":\"room.add\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"max_members\":8,"
	 "\"max_speakers\":4,\"audio_level_id\":1}}"},
	{"room add --audio-level-id=0 fd77:200::1 --max-members 256 40000 --max-speakers 256",
	 "{\"op\":\"room.add\",\"args\":{\"audio_level_id\":0,\"vip\":\"fd77:200::1\",\"max_members\":256,"
	 "\"port\":40000,\"max_speakers\":256}}"},
	{"room add 10.77.200.1 40000 --max-members 2 --max-speakers 2 --audio-level-id 14",
	 "{\"op\":\"room.add\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"max_members\":2,"
	 "\"max_speakers\":2,\"audio_level_id\":14}}"},
	/* one limit alone: the dataplane's default is the other */
	{"room add 10.77.200.1 40000 --max-speakers 200",
	 "{\"op\":\"room.add\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"max_speakers\":200}}"},
	{"room remove 10.77.200.1 40000",
	 "{\"op\":\"room.remove\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000}}"},
	{"room list", "{\"op\":\"room.list\"}"},
	{"room show fd77:200::1 40000", "{\"op\":\"room.show\",\"args\":{\"vip\":\"fd77:200::1\",\"port\":40000}}"},
	{"member add 10.77.200.1 40000 7 --ssrc 3735928559 --tx-key " K30 " --rx-key " K30B,
	 "{\"op\":\"member.add\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"id\":7,"
	 "\"ssrcs\":[3735928559],\"tx_key\":\"" K30 "\",\"rx_key\":\"" K30B "\"}}"},
	{"member add 10.77.200.1 40000 0 --ssrc 0 --ssrc 4294967295 --ssrc 1 --ssrc 2 --suite AEAD_AES_128_GCM "
	 "--tx-key " K28 " --rx-key=" K28 " --client 192.0.2.10 50000 --clock-rate 8000",
	 "{\"op\":\"member.add\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"id\":0,"
	 "\"ssrcs\":[0,4294967295,1,2],\"suite\":\"AEAD_AES_128_GCM\",\"tx_key\":\"" K28 "\",\"rx_key\":\"" K28 "\","
	 "\"client_address\":\"192.0.2.10\",\"client_port\":50000,\"clock_rate\":8000}}"},
	/* the suite after the keys it decides the length of; options before the words */
	{"member add --rx-key " K30B " --tx-key " K30 " fd77:200::1 40000 4294967295 --clock-rate 192000 --ssrc 9 "
	 "--suite AES_CM_128_HMAC_SHA1_80 --client=2001:db8::10 1",
	 "{\"op\":\"member.add\",\"args\":{\"rx_key\":\"" K30B "\",\"tx_key\":\"" K30 "\",\"vip\":\"fd77:200::1\","
	 "\"port\":40000,\"id\":4294967295,\"clock_rate\":192000,\"ssrcs\":[9],\"suite\":\"AES_CM_128_HMAC_SHA1_80\","
	 "\"client_address\":\"2001:db8::10\",\"client_port\":1}}"},
	{"member add 10.77.200.1 40000 3 --ssrc 5 --suite NONE --clock-rate 1000",
	 "{\"op\":\"member.add\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"id\":3,\"ssrcs\":[5],"
	 "\"suite\":\"NONE\",\"clock_rate\":1000}}"},
	{"member remove 10.77.200.1 40000 7",
	 "{\"op\":\"member.remove\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"id\":7}}"},
	{"member set 10.77.200.1 40000 7 --client 192.0.2.10 50000",
	 "{\"op\":\"member.set\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"id\":7,"
	 "\"client_address\":\"192.0.2.10\",\"client_port\":50000}}"},
	/* no address: forget it and latch again */
	{"member set 10.77.200.1 40000 7",
	 "{\"op\":\"member.set\",\"args\":{\"vip\":\"10.77.200.1\",\"port\":40000,\"id\":7}}"},
	{"slowpath", "{\"op\":\"relay.slowpath\"}"},
	{"slowpath --max 10000 --peek", "{\"op\":\"relay.slowpath\",\"args\":{\"max\":10000,\"peek\":true}}"},
	{"slowpath --peek --max=1", "{\"op\":\"relay.slowpath\",\"args\":{\"peek\":true,\"max\":1}}"},
};

/* A command line and the exact message it must be refused with. */
struct bad {
	const char *line;
	const char *want;
};

static const struct bad bads[] = {
	{"", "missing command"},
	{"frob", "unknown command \"frob\""},
	{"list", "unknown command \"list\""},
	{"vip", "vip: missing subcommand"},
	{"vip frob", "vip: unknown subcommand \"frob\""},
	{"vip --json", "vip: unknown subcommand \"--json\""},
	{"conntrack", "conntrack: missing subcommand"},
	{"backend show", "backend: unknown subcommand \"show\""},
	{"ping extra", "ping: unexpected argument \"extra\""},
	{"stats 1", "stats: unexpected argument \"1\""},
	{"reload now", "reload: unexpected argument \"now\""},
	{"vip list all", "vip list: unexpected argument \"all\""},
	{"vip list --bogus", "vip list: unknown option --bogus"},
	{"vip list --bogus=1", "vip list: unknown option --bogus"},
	{"vip list -x", "vip list: unknown option -x"},
	{"vip list -xyz", "vip list: unknown option -xyz"},
	{"vip list --json", "vip list: --json is a global option: put it before the command"},
	{"stats --timeout 3", "stats: --timeout is a global option: put it before the command"},
	{"stats --socket=/x", "stats: --socket is a global option: put it before the command"},
	{"stats -s /x", "stats: -s is a global option: put it before the command"},
	{"stats -s/x", "stats: -s is a global option: put it before the command"},
	{"vip add", "vip add: missing ADDRESS"},
	{"vip add 10.0.0.1", "vip add: missing PORT|A-B"},
	{"vip add 10.0.0.1 5000 extra", "vip add: unexpected argument \"extra\""},
	{"vip add 300.0.0.1 5000", "vip add: bad ADDRESS \"300.0.0.1\": not an IPv4 or IPv6 address"},
	{"vip add vip.example 5000", "vip add: bad ADDRESS \"vip.example\": not an IPv4 or IPv6 address"},
	{"vip add '' 5000", "vip add: bad ADDRESS \"\": not an IPv4 or IPv6 address"},
	{"vip add 10.0.0.1 0", "vip add: bad PORT|A-B \"0\": a port 1..65535 or a range A-B of them"},
	{"vip add 10.0.0.1 65536", "vip add: bad PORT|A-B \"65536\": a port 1..65535 or a range A-B of them"},
	{"vip add 10.0.0.1 +5", "vip add: bad PORT|A-B \"+5\": a port 1..65535 or a range A-B of them"},
	{"vip add 10.0.0.1 0x10", "vip add: bad PORT|A-B \"0x10\": a port 1..65535 or a range A-B of them"},
	{"vip add 10.0.0.1 5000-", "vip add: bad PORT|A-B \"5000-\": a port 1..65535 or a range A-B of them"},
	{"vip add 10.0.0.1 5000-6000-7000",
	 "vip add: bad PORT|A-B \"5000-6000-7000\": a port 1..65535 or a range A-B of them"},
	{"vip add 10.0.0.1 0-10", "vip add: bad PORT|A-B \"0-10\": a port 1..65535 or a range A-B of them"},
	{"vip add 10.0.0.1 6000-5000", "vip add: bad PORT|A-B \"6000-5000\": the range is reversed"},
	{"vip add 10.0.0.1 -5000", "vip add: unknown option -5000"},
	{"vip add 10.0.0.1 5000 --hash crc32", "vip add: bad --hash \"crc32\": five-tuple or dst-port"},
	{"vip add 10.0.0.1 5000 --hash five-tuple --hash dst-port", "vip add: --hash given twice"},
	{"vip add 10.0.0.1 5000 --encap vxlan", "vip add: bad --encap \"vxlan\": gue or ipip"},
	{"vip add 10.0.0.1 5000 --gue-port 0", "vip add: bad --gue-port \"0\": a port is 1..65535"},
	{"vip add 10.0.0.1 5000 --gue-port", "vip add: --gue-port needs an argument"},
	{"vip add 10.0.0.1 5000 --backend", "vip add: --backend needs an argument"},
	{"vip add 10.0.0.1 5000 --backend 10.0.0.2:0", "vip add: bad --backend \"10.0.0.2:0\": the weight is 1..65535"},
	{"vip add 10.0.0.1 5000 --backend 10.0.0.2:", "vip add: bad --backend \"10.0.0.2:\": the weight is 1..65535"},
	{"vip add 10.0.0.1 5000 --backend 10.0.0.2:x", "vip add: bad --backend \"10.0.0.2:x\": the weight is 1..65535"},
	{"vip add 10.0.0.1 5000 --backend 10.0.0.2::up",
	 "vip add: bad --backend \"10.0.0.2::up\": the weight is 1..65535"},
	{"vip add 10.0.0.1 5000 --backend 10.0.0.2:1:sideways",
	 "vip add: bad --backend \"10.0.0.2:1:sideways\": the state is up, draining or down"},
	{"vip add 10.0.0.1 5000 --backend 10.0.0.2:1:up:x",
	 "vip add: bad --backend \"10.0.0.2:1:up:x\": the state is up, draining or down"},
	{"vip add 10.0.0.1 5000 --backend 10.0.0.2:1:",
	 "vip add: bad --backend \"10.0.0.2:1:\": the state is up, draining or down"},
	{"vip add 10.0.0.1 5000 --backend fd77::1:2:up",
	 "vip add: bad --backend \"fd77::1:2:up\": write ADDR[:WEIGHT[:STATE]] with an IP address, "
	 "[IPV6]:WEIGHT[:STATE] for IPv6"},
	{"vip add 10.0.0.1 5000 --backend relay1.example:2",
	 "vip add: bad --backend \"relay1.example:2\": write ADDR[:WEIGHT[:STATE]] with an IP address, "
	 "[IPV6]:WEIGHT[:STATE] for IPv6"},
	{"vip add 10.0.0.1 5000 --backend [10.0.0.2]:2",
	 "vip add: bad --backend \"[10.0.0.2]:2\": write ADDR[:WEIGHT[:STATE]] with an IP address, "
	 "[IPV6]:WEIGHT[:STATE] for IPv6"},
	{"vip add 10.0.0.1 5000 --backend [fd77::1", "vip add: bad --backend \"[fd77::1\": write [IPV6]:WEIGHT[:STATE]"},
	{"vip add 10.0.0.1 5000 --backend [fd77::1]2",
	 "vip add: bad --backend \"[fd77::1]2\": write [IPV6]:WEIGHT[:STATE]"},
	{"vip add 10.0.0.1 5000 --backend ''",
	 "vip add: bad --backend \"\": write ADDR[:WEIGHT[:STATE]] with an IP address, [IPV6]:WEIGHT[:STATE] for IPv6"},
	{"vip add 10.0.0.1 5000 --backend 10.0.0.2:70000",
	 "vip add: bad --backend \"10.0.0.2:70000\": the weight is 1..65535"},
	{"vip remove 10.0.0.1", "vip remove: missing PORT"},
	{"vip remove 10.0.0.1 50000-50999", "vip remove: bad PORT \"50000-50999\": a port is 1..65535"},
	{"vip remove 10.0.0.1 5000 --hash dst-port", "vip remove: unknown option --hash"},
	{"backend add 10.0.0.1 5000", "backend add: missing ADDRESS"},
	{"backend add 10.0.0.1", "backend add: missing PORT"},
	{"backend add", "backend add: missing VIP"},
	{"backend add 10.0.0.1 5000 10.0.0.2 10.0.0.3", "backend add: unexpected argument \"10.0.0.3\""},
	{"backend add 10.0.0.1 5000 nope", "backend add: bad ADDRESS \"nope\": not an IPv4 or IPv6 address"},
	{"backend add nope 5000 10.0.0.2", "backend add: bad VIP \"nope\": not an IPv4 or IPv6 address"},
	{"backend add 10.0.0.1 x 10.0.0.2", "backend add: bad PORT \"x\": a port is 1..65535"},
	{"backend add 10.0.0.1 5000 10.0.0.2 --weight 0", "backend add: bad --weight \"0\": a weight is 1..65535"},
	{"backend add 10.0.0.1 5000 10.0.0.2 --weight 65536",
	 "backend add: bad --weight \"65536\": a weight is 1..65535"},
	{"backend add 10.0.0.1 5000 10.0.0.2 --weight -1", "backend add: bad --weight \"-1\": a weight is 1..65535"},
	{"backend add 10.0.0.1 5000 10.0.0.2 --weight=", "backend add: bad --weight \"\": a weight is 1..65535"},
	{"backend add 10.0.0.1 5000 10.0.0.2 --weight 99999999999",
	 "backend add: bad --weight \"99999999999\": a weight is 1..65535"},
	{"backend add 10.0.0.1 5000 10.0.0.2 --weight 2 --weight 3", "backend add: --weight given twice"},
	{"backend add 10.0.0.1 5000 10.0.0.2 --state UP", "backend add: bad --state \"UP\": up, draining or down"},
	{"backend add 10.0.0.1 5000 10.0.0.2 --state", "backend add: --state needs an argument"},
	{"backend remove 10.0.0.1 5000 10.0.0.2 --weight 3", "backend remove: unknown option --weight"},
	{"backend set 10.0.0.1 5000 10.0.0.2", "backend set: nothing to change: give --weight or --state"},
	{"backend set 10.0.0.1 5000 10.0.0.2 --state drain", "backend set: bad --state \"drain\": up, draining or down"},
	{"maglev 10.0.0.1", "maglev: missing PORT"},
	{"maglev 10.0.0.1 5000 6000", "maglev: unexpected argument \"6000\""},
	{"conntrack list extra", "conntrack list: unexpected argument \"extra\""},
	{"conntrack list --vip 10.0.0.1", "conntrack list: --vip needs ADDR PORT"},
	{"conntrack list --vip 10.0.0.1 --limit 4", "conntrack list: --vip needs ADDR PORT"},
	{"conntrack list --vip", "conntrack list: --vip needs an argument"},
	{"conntrack list --vip x 5000", "conntrack list: bad --vip ADDR \"x\": not an IPv4 or IPv6 address"},
	{"conntrack list --vip 10.0.0.1 x", "conntrack list: bad --vip PORT \"x\": a port is 1..65535"},
	{"conntrack list --vip 10.0.0.1 5000 --vip 10.0.0.1 6000", "conntrack list: --vip given twice"},
	{"conntrack list --limit 0", "conntrack list: bad --limit \"0\": the limit is 1..10000"},
	{"conntrack list --limit 10001", "conntrack list: bad --limit \"10001\": the limit is 1..10000"},
	{"conntrack list --client nope", "conntrack list: bad --client \"nope\": not an IPv4 or IPv6 address"},
	{"conntrack list --client 10.0.0.1 --client 10.0.0.2", "conntrack list: --client given twice"},
	{"conntrack list --backend 10.0.0.2:1", "conntrack list: bad --backend \"10.0.0.2:1\": not an IPv4 or IPv6 address"},
	{"conntrack flush --limit 5", "conntrack flush: unknown option --limit"},
	{"conntrack flush --client 10.0.0.1", "conntrack flush: unknown option --client"},
	{"conntrack flush all", "conntrack flush: unexpected argument \"all\""},
	/* relay */
	{"room", "room: missing subcommand"},
	{"room frob", "room: unknown subcommand \"frob\""},
	{"member", "member: missing subcommand"},
	{"member list", "member: unknown subcommand \"list\""},
	{"room add", "room add: missing VIP"},
	{"room add 10.0.0.1", "room add: missing PORT"},
	{"room add relay.example 5000", "room add: bad VIP \"relay.example\": not an IPv4 or IPv6 address"},
	{"room add 10.0.0.1 5000-5001", "room add: bad PORT \"5000-5001\": a port is 1..65535"},
	{"room add 10.0.0.1 5000 6000", "room add: unexpected argument \"6000\""},
	{"room add 10.0.0.1 5000 --max-members 1", "room add: bad --max-members \"1\": the member limit is 2..256"},
	{"room add 10.0.0.1 5000 --max-members 257", "room add: bad --max-members \"257\": the member limit is 2..256"},
	{"room add 10.0.0.1 5000 --max-speakers 0", "room add: bad --max-speakers \"0\": the speaker limit is 1..256"},
	{"room add 10.0.0.1 5000 --max-speakers 257",
	 "room add: bad --max-speakers \"257\": the speaker limit is 1..256"},
	{"room add 10.0.0.1 5000 --audio-level-id 15",
	 "room add: bad --audio-level-id \"15\": an RTP header extension id is 0..14 (0: none)"},
	{"room add 10.0.0.1 5000 --audio-level-id -1", "room add: bad --audio-level-id \"-1\": an RTP header extension id "
						     "is 0..14 (0: none)"},
	{"room add 10.0.0.1 5000 --max-speakers 5 --max-members 4", "room add: --max-speakers 5 is more than --max-members 4"},
	{"room add 10.0.0.1 5000 --max-members 8 --max-members 9", "room add: --max-members given twice"},
	{"room add 10.0.0.1 5000 --max-members", "room add: --max-members needs an argument"},
	{"room add 10.0.0.1 5000 --ssrc 1", "room add: unknown option --ssrc"},
	{"room remove 10.0.0.1", "room remove: missing PORT"},
	{"room remove 10.0.0.1 5000 --max-members 3", "room remove: unknown option --max-members"},
	{"room list all", "room list: unexpected argument \"all\""},
	{"room list --peek", "room list: unknown option --peek"},
	{"room show 10.0.0.1", "room show: missing PORT"},
	{"room show 10.0.0.1 0", "room show: bad PORT \"0\": a port is 1..65535"},
	{"member add 10.0.0.1 5000", "member add: missing ID"},
	{"member add 10.0.0.1 5000 x --ssrc 1", "member add: bad ID \"x\": a member id is 0..4294967295"},
	{"member add 10.0.0.1 5000 4294967296", "member add: bad ID \"4294967296\": a member id is 0..4294967295"},
	{MADD "--tx-key " K30 " --rx-key " K30, "member add: missing --ssrc"},
	{MADD "--ssrc 4294967296", "member add: bad --ssrc \"4294967296\": an SSRC is 0..4294967295"},
	{MADD "--ssrc 0x10", "member add: bad --ssrc \"0x10\": an SSRC is 0..4294967295"},
	{MADD "--ssrc 1 --ssrc 2 --ssrc 3 --ssrc 4 --ssrc 5", "member add: at most 4 --ssrc"},
	{MADD "--ssrc 1 --ssrc 01", "member add: --ssrc 1 given twice"},
	{MADD "--ssrc", "member add: --ssrc needs an argument"},
	{MADD "--ssrc 1", "member add: missing --tx-key"},
	{MADD "--ssrc 1 --tx-key " K30, "member add: missing --rx-key"},
	{MADD "--ssrc 1 --rx-key " K30, "member add: missing --tx-key"},
	{MADD "--ssrc 1 --suite aes_cm_128_hmac_sha1_80",
	 "member add: bad --suite \"aes_cm_128_hmac_sha1_80\": AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM or NONE"},
	{MADD "--ssrc 1 --suite none", "member add: bad --suite \"none\": AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM or NONE"},
	{MADD "--ssrc 1 --suite NONE --suite NONE", "member add: --suite given twice"},
	{MADD "--ssrc 1 --tx-key " K28 " --rx-key " K30,
	 "member add: bad --tx-key: 28 bytes, AES_CM_128_HMAC_SHA1_80 takes 30 (master key || salt)"},
	{MADD "--ssrc 1 --tx-key " K30 " --rx-key " K29,
	 "member add: bad --rx-key: 29 bytes, AES_CM_128_HMAC_SHA1_80 takes 30 (master key || salt)"},
	{MADD "--ssrc 1 --suite AEAD_AES_128_GCM --tx-key " K30 " --rx-key " K28,
	 "member add: bad --tx-key: 30 bytes, AEAD_AES_128_GCM takes 28 (master key || salt)"},
	{MADD "--ssrc 1 --rx-key " K30 " --tx-key " K30 " --suite AEAD_AES_128_GCM",
	 "member add: bad --tx-key: 30 bytes, AEAD_AES_128_GCM takes 28 (master key || salt)"},
	{MADD "--ssrc 1 --suite NONE --tx-key " K30 " --rx-key " K30,
	 "member add: --suite NONE takes no keys: leave out --tx-key"},
	{MADD "--ssrc 1 --rx-key " K30 " --suite NONE", "member add: --suite NONE takes no keys: leave out --rx-key"},
	{MADD "--ssrc 1 --tx-key " K30 " --tx-key " K30, "member add: --tx-key given twice"},
	{MADD "--ssrc 1 --tx-key", "member add: --tx-key needs an argument"},
	{MADD "--clock-rate 999", "member add: bad --clock-rate \"999\": the clock rate is 1000..192000 Hz"},
	{MADD "--clock-rate 192001", "member add: bad --clock-rate \"192001\": the clock rate is 1000..192000 Hz"},
	{MADD "--client 192.0.2.1", "member add: --client needs ADDR PORT"},
	{MADD "--client 192.0.2.1 --ssrc 1", "member add: --client needs ADDR PORT"},
	{MADD "--client 192.0.2.1 x", "member add: bad --client PORT \"x\": a port is 1..65535"},
	{MADD "--client host.example 5000", "member add: bad --client ADDR \"host.example\": not an IPv4 or IPv6 address"},
	{MADD "--client 192.0.2.1 1 --client 192.0.2.1 2", "member add: --client given twice"},
	{"member remove 10.0.0.1 5000", "member remove: missing ID"},
	{"member remove 10.0.0.1 5000 7 8", "member remove: unexpected argument \"8\""},
	{"member remove 10.0.0.1 5000 7 --client 10.0.0.9 5", "member remove: unknown option --client"},
	{"member set 10.0.0.1 5000 7 --client 10.0.0.9", "member set: --client needs ADDR PORT"},
	{"member set 10.0.0.1 5000 7 --client 10.0.0.9 0", "member set: bad --client PORT \"0\": a port is 1..65535"},
	{"member set 10.0.0.1 5000 7 --ssrc 1", "member set: unknown option --ssrc"},
	{"slowpath now", "slowpath: unexpected argument \"now\""},
	{"slowpath --max 0", "slowpath: bad --max \"0\": the maximum is 1..10000 datagrams"},
	{"slowpath --max 10001", "slowpath: bad --max \"10001\": the maximum is 1..10000 datagrams"},
	{"slowpath --max", "slowpath: --max needs an argument"},
	{"slowpath --peek=yes", "slowpath: --peek takes no value"},
	{"slowpath --peek --peek", "slowpath: --peek given twice"},
	{"slowpath --json", "slowpath: --json is a global option: put it before the command"},
};

/*
 * A key, or most of one, never shows in a message: not when it is not
 * base64 or not the right length, not when it lands where something else
 * was expected. want is the message; no part of a key is in it.
 */
static const struct bad secret_bads[] = {
	{MADD "--ssrc 1 --tx-key " K30 "x --rx-key " K30,
	 "member add: bad --tx-key: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)"},
	/* unpadded, padding inside, the URL alphabet, a blank */
	{MADD "--ssrc 1 --tx-key " K30 " --rx-key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw",
	 "member add: bad --rx-key: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)"},
	{MADD "--ssrc 1 --tx-key AAECAwQFBgcICQoLDA0O=xAREhMUFRYXGBkaGxwd --rx-key " K30,
	 "member add: bad --tx-key: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)"},
	{MADD "--ssrc 1 --tx-key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw= --rx-key ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CB",
	 "member add: bad --rx-key: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)"},
	{MADD "--ssrc 1 --tx-key '' --rx-key " K30,
	 "member add: bad --tx-key: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)"},
	{MADD "--ssrc 1 --tx-key=" K30 "= --rx-key " K30,
	 "member add: bad --tx-key: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)"},
	/* --tx-key takes "--rx-key" for its value; the key is then a word too many */
	{MADD "--ssrc 1 --tx-key --rx-key " K30,
	 "member add: bad --tx-key: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)"},
	{MADD "--ssrc 1 --tx-key " K30 " " K30B, "member add: unexpected argument (not shown: it may be a key)"},
	{MADD "--ssrc 1 --tx-key " K30 " -- " K30B, "member add: unexpected argument (not shown: it may be a key)"},
	{"member add 10.0.0.1 5000 " K30 " --ssrc 1",
	 "member add: bad ID (not shown: it may be a key): a member id is 0..4294967295"},
	{"member add 10.0.0.1 " K30 " 7", "member add: bad PORT (not shown: it may be a key): a port is 1..65535"},
	{"member add " K30 " 5000 7", "member add: bad VIP (not shown: it may be a key): not an IPv4 or IPv6 address"},
	{MADD "--ssrc " K30, "member add: bad --ssrc (not shown: it may be a key): an SSRC is 0..4294967295"},
	{MADD "--ssrc 1 --suite " K30, "member add: bad --suite (not shown: it may be a key): AES_CM_128_HMAC_SHA1_80, "
				       "AEAD_AES_128_GCM or NONE"},
	{MADD "--ssrc 1 --client " K30 " 5000", "member add: bad --client ADDR (not shown: it may be a key): not an IPv4 or "
						"IPv6 address"},
	{MADD "--ssrc 1 --clock-rate " K28, "member add: bad --clock-rate (not shown: it may be a key): the clock rate is "
					    "1000..192000 Hz"},
	/* a shard of a key split by a blank: what could be a piece of one is not shown either */
	{MADD "--ssrc 1 --tx-key AAECAwQFBgcICQoLDA0OD xAREhMUFRYXGBkaGxwd",
	 "member add: bad --tx-key: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)"},
	{MADD "--ssrc 1 --tx-key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd DxAREhMUFRYX",
	 "member add: unexpected argument (not shown: it may be a key)"},
	/* a short word is shown: nothing there is long enough to be a key's */
	{MADD "--ssrc 1 --tx-key " K30 " --rx-key " K30 " extra", "member add: unexpected argument \"extra\""},
};

static void test_goods(void)
{
	char store[1024], *argv[MAX_WORDS], *copy[MAX_WORDS], err[VR_CTL_ERR_LEN];

	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		int argc = split(goods[i].line, store, sizeof(store), argv);
		json_error_t jerr;
		json_t *want = json_loads(goods[i].want, 0, &jerr);
		json_t *got;

		memcpy(copy, argv, sizeof(argv));
		CHECK_MSG(want != NULL, "case %zu: bad expected JSON: %s", i, jerr.text);
		got = vr_ctl_build_request(argc, argv, err, sizeof(err));
		CHECK_MSG(got != NULL, "%s: refused: %s", goods[i].line, err);
		if (got != NULL && want != NULL) {
			char *g = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);

			/* json_equal compares types too: 5000 is not "5000" */
			CHECK_MSG(json_equal(got, want), "%s:\n  want %s\n  got  %s", goods[i].line, goods[i].want, g);
			/* and the order the keys were given in, to keep the wire readable */
			CHECK_MSG(g != NULL && strcmp(g, goods[i].want) == 0, "%s: key order:\n  want %s\n  got  %s",
			      goods[i].line, goods[i].want, g);
			free(g);
		}
		CHECK_MSG(memcmp(copy, argv, sizeof(argv)) == 0, "%s: argv was reordered", goods[i].line);
		json_decref(got);
		json_decref(want);
	}
}

static void test_bads(void)
{
	char store[1024], *argv[MAX_WORDS], err[VR_CTL_ERR_LEN];

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int argc = split(bads[i].line, store, sizeof(store), argv);
		json_t *got;

		errno = 0;
		got = vr_ctl_build_request(argc, argv, err, sizeof(err));
		CHECK_MSG(got == NULL, "%s: accepted", bads[i].line);
		CHECK_MSG(errno == EINVAL, "%s: errno %d", bads[i].line, errno);
		CHECK_STR(err, bads[i].want, bads[i].line);
		json_decref(got);
	}
}

static void test_secrets(void)
{
	static const char *const keys[] = {K30, K30B, K28, "AAECAwQFBgcI", "DxAREhMUFRYX", "f4CB"};
	char store[1024], *argv[MAX_WORDS], err[VR_CTL_ERR_LEN];

	for (size_t i = 0; i < sizeof(secret_bads) / sizeof(secret_bads[0]); i++) {
		int argc = split(secret_bads[i].line, store, sizeof(store), argv);
		json_t *got;

		errno = 0;
		got = vr_ctl_build_request(argc, argv, err, sizeof(err));
		CHECK_MSG(got == NULL, "%s: accepted", secret_bads[i].line);
		CHECK_MSG(errno == EINVAL, "%s: errno %d", secret_bads[i].line, errno);
		CHECK_STR(err, secret_bads[i].want, secret_bads[i].line);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			CHECK_MSG(strstr(err, keys[k]) == NULL, "%s: a key in the message: %s", secret_bads[i].line, err);
		json_decref(got);
	}
	/* nor in any refusal of the other tables' lines that carry one */
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int argc = split(bads[i].line, store, sizeof(store), argv);

		json_decref(vr_ctl_build_request(argc, argv, err, sizeof(err)));
		for (size_t k = 0; k < 3; k++)
			CHECK_MSG(strstr(err, keys[k]) == NULL, "%s: a key in the message: %s", bads[i].line, err);
	}
}

/* Odd bytes and long words: quoted, cut, and never a second line. */
static void test_messages(void)
{
	char err[VR_CTL_ERR_LEN], longw[400];
	char esc[] = "10.0.0.1\x1b[2J\n";
	char *argv[] = {"vip", "add", esc, "5000", NULL};
	char *argv2[] = {"vip", "add", longw, "5000", NULL};
	char *argv3[] = {"vip", "add", "10.0.0.1", "5000", "--hash", "\x7f", NULL};
	char small[16];

	CHECK_MSG(vr_ctl_build_request(4, argv, err, sizeof(err)) == NULL, "control characters accepted");
	CHECK_STR(err, "vip add: bad ADDRESS \"10.0.0.1?[2J?\": not an IPv4 or IPv6 address", "control characters");

	memset(longw, 'a', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	CHECK_MSG(vr_ctl_build_request(4, argv2, err, sizeof(err)) == NULL, "long word accepted");
	CHECK_STR(err,
		  "vip add: bad ADDRESS \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": "
		  "not an IPv4 or IPv6 address",
		  "long word");
	CHECK_MSG(vr_ctl_build_request(6, argv3, err, sizeof(err)) == NULL, "DEL accepted");
	CHECK_STR(err, "vip add: bad --hash \"?\": five-tuple or dst-port", "DEL");

	/* a short buffer is cut, not overrun; no buffer at all is allowed */
	CHECK_MSG(vr_ctl_build_request(4, argv, small, sizeof(small)) == NULL, "short buffer");
	CHECK_STR(small, "vip add: bad AD", "short buffer");
	CHECK_MSG(vr_ctl_build_request(4, argv, NULL, 0) == NULL && errno == EINVAL, "no buffer");
}

/* ------------------------------------------------------------------ */
/* global options */

/* the longest socket path that fits, and one byte more */
#define P107 "/run/voxrelay/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/dp.sock"
#define P108 "/run/voxrelay/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy/dp.sock"

struct opt_case {
	const char *line; /* argv[0] included */
	const char *env;  /* $VOXRELAY_SOCKET, NULL: unset */
	const char *err;  /* NULL: accepted with what follows */
	const char *socket;
	unsigned timeout_ms;
	bool json, help;
	int cmd_index;
};

static const struct opt_case opt_cases[] = {
	{"voxrelayctl ping", NULL, NULL, "/run/voxrelay/dp.sock", 10000, false, false, 1},
	{"voxrelayctl ping", "/tmp/env.sock", NULL, "/tmp/env.sock", 10000, false, false, 1},
	{"voxrelayctl ping", "''", NULL, "/run/voxrelay/dp.sock", 10000, false, false, 1},
	{"voxrelayctl -s /tmp/a.sock ping", "/tmp/env.sock", NULL, "/tmp/a.sock", 10000, false, false, 3},
	{"voxrelayctl -s/tmp/a.sock ping", NULL, NULL, "/tmp/a.sock", 10000, false, false, 2},
	{"voxrelayctl --socket=/tmp/b.sock --json vip list --weight 3", NULL, NULL, "/tmp/b.sock", 10000, true, false,
	 3},
	{"voxrelayctl --json --timeout 2.5 stats", NULL, NULL, "/run/voxrelay/dp.sock", 2500, true, false, 4},
	{"voxrelayctl --timeout 0.0001 stats", NULL, NULL, "/run/voxrelay/dp.sock", 1, false, false, 3},
	{"voxrelayctl --timeout 0.001 stats", NULL, NULL, "/run/voxrelay/dp.sock", 1, false, false, 3},
	{"voxrelayctl --timeout 0.0010 stats", NULL, NULL, "/run/voxrelay/dp.sock", 1, false, false, 3},
	{"voxrelayctl --timeout 3600 stats", NULL, NULL, "/run/voxrelay/dp.sock", 3600000, false, false, 3},
	{"voxrelayctl --timeout=007 stats", NULL, NULL, "/run/voxrelay/dp.sock", 7000, false, false, 2},
	{"voxrelayctl -h", NULL, NULL, "/run/voxrelay/dp.sock", 10000, false, true, 2},
	{"voxrelayctl --help vip", NULL, NULL, "/run/voxrelay/dp.sock", 10000, false, true, 2},
	{"voxrelayctl -- ping", NULL, NULL, "/run/voxrelay/dp.sock", 10000, false, false, 2},
	{"voxrelayctl", NULL, "missing command"},
	{"voxrelayctl --json", NULL, "missing command"},
	{"voxrelayctl --bogus ping", NULL, "unknown option --bogus"},
	{"voxrelayctl --bogus=3 ping", NULL, "unknown option --bogus"},
	{"voxrelayctl -x ping", NULL, "unknown option -x"},
	{"voxrelayctl --weight 3 backend set", NULL, "unknown option --weight"},
	{"voxrelayctl -s", NULL, "-s needs an argument"},
	{"voxrelayctl --socket", NULL, "--socket needs an argument"},
	{"voxrelayctl --timeout", NULL, "--timeout needs an argument"},
	{"voxrelayctl --json=yes ping", NULL, "--json takes no value"},
	{"voxrelayctl --timeout 0 ping", NULL, "bad --timeout \"0\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl --timeout 0.0 ping", NULL, "bad --timeout \"0.0\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl --timeout 3600.001 ping", NULL,
	 "bad --timeout \"3600.001\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl --timeout 99999999999 ping", NULL,
	 "bad --timeout \"99999999999\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl --timeout .5 ping", NULL, "bad --timeout \".5\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl --timeout 1. ping", NULL, "bad --timeout \"1.\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl --timeout 1e3 ping", NULL, "bad --timeout \"1e3\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl --timeout -1 ping", NULL, "bad --timeout \"-1\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl --timeout '' ping", NULL, "bad --timeout \"\": seconds, more than 0 and at most 3600"},
	{"voxrelayctl -s '' ping", NULL, "empty socket path"},
	/* sun_path holds 108 bytes with the NUL */
	{"voxrelayctl -s " P107 " ping", NULL, NULL, P107, 10000, false, false, 3},
	{"voxrelayctl -s " P108 " ping", NULL, "socket path \"/run/voxrelay/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...\" is too long (at most 107 bytes)"},
};

static void test_options(void)
{
	char store[1024], *argv[MAX_WORDS], err[VR_CTL_ERR_LEN];

	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++) {
		const struct opt_case *c = &opt_cases[i];
		int argc = split(c->line, store, sizeof(store), argv);
		struct vr_ctl_opts o;
		int rc;

		if (c->env == NULL)
			unsetenv(VR_CTL_SOCKET_ENV);
		else
			setenv(VR_CTL_SOCKET_ENV, strcmp(c->env, "''") == 0 ? "" : c->env, 1);
		rc = vr_ctl_parse_options(argc, argv, &o, err, sizeof(err));
		if (c->err != NULL) {
			CHECK_MSG(rc == -EINVAL, "%s: rc %d", c->line, rc);
			CHECK_STR(err, c->err, c->line);
			continue;
		}
		CHECK_MSG(rc == 0, "%s: refused: %s", c->line, err);
		if (rc != 0)
			continue;
		CHECK_STR(o.socket, c->socket, c->line);
		CHECK_MSG(o.timeout_ms == c->timeout_ms, "%s: timeout %u", c->line, o.timeout_ms);
		CHECK_MSG(o.json == c->json, "%s: json %d", c->line, o.json);
		CHECK_MSG(o.help == c->help, "%s: help %d", c->line, o.help);
		CHECK_MSG(o.cmd_index == c->cmd_index, "%s: command at %d", c->line, o.cmd_index);
	}
	unsetenv(VR_CTL_SOCKET_ENV);
}

/* ------------------------------------------------------------------ */
/* usage */

static char *usage_of(const char *line)
{
	char store[256], *argv[MAX_WORDS], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int argc = split(line, store, sizeof(store), argv);

	vr_ctl_usage(f, argc, argv);
	fclose(f);
	return out;
}

#define ALL_COMMANDS                                                                                               \
	"  ping\n"                                                                                                 \
	"  vip list\n"                                                                                             \
	"  vip add ADDRESS PORT|A-B [--hash five-tuple|dst-port] [--encap gue|ipip] [--gue-port N] "                \
	"[--backend ADDR[:WEIGHT[:STATE]]]...\n"                                                                   \
	"  vip remove ADDRESS PORT\n"                                                                              \
	"  backend add VIP PORT ADDRESS [--weight N] [--state up|draining|down]\n"                                  \
	"  backend remove VIP PORT ADDRESS\n"                                                                      \
	"  backend set VIP PORT ADDRESS [--weight N] [--state up|draining|down]\n"                                  \
	"  maglev VIP PORT\n"                                                                                      \
	"  stats\n"                                                                                                \
	"  conntrack list [--client ADDR] [--backend ADDR] [--vip ADDR PORT] [--limit N]\n"                         \
	"  conntrack flush [--backend ADDR] [--vip ADDR PORT]\n"                                                   \
	"  health list\n"                                                                                         \
	"  room add VIP PORT [--max-members N] [--max-speakers N] [--audio-level-id N]\n"                           \
	"  room remove VIP PORT\n"                                                                                 \
	"  room list\n"                                                                                            \
	"  room show VIP PORT\n"                                                                                   \
	"  member add VIP PORT ID --ssrc N [--ssrc N]... [--suite AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM|NONE] "  \
	"--tx-key B64 --rx-key B64 [--client ADDR PORT] [--clock-rate HZ]\n"                                      \
	"  member remove VIP PORT ID\n"                                                                            \
	"  member set VIP PORT ID [--client ADDR PORT]\n"                                                          \
	"  slowpath [--max N] [--peek]\n"                                                                          \
	"  reload\n"

static void test_usage(void)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] COMMAND [ARGS]\n" ALL_COMMANDS},
		{"frob", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] COMMAND [ARGS]\n" ALL_COMMANDS},
		{"ping", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] ping\n"},
		{"stats now", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] stats\n"},
		{"maglev 10.0.0.1", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] maglev VIP PORT\n"},
		{"backend set 1 2 3", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] backend set VIP PORT ADDRESS "
				      "[--weight N] [--state up|draining|down]\n"},
		{"vip", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] COMMAND [ARGS]\n"
			"  vip list\n"
			"  vip add ADDRESS PORT|A-B [--hash five-tuple|dst-port] [--encap gue|ipip] [--gue-port N] "
			"[--backend ADDR[:WEIGHT[:STATE]]]...\n"
			"  vip remove ADDRESS PORT\n"},
		{"room", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] COMMAND [ARGS]\n"
			 "  room add VIP PORT [--max-members N] [--max-speakers N] [--audio-level-id N]\n"
			 "  room remove VIP PORT\n"
			 "  room list\n"
			 "  room show VIP PORT\n"},
		{"member set 10.0.0.1", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] member set VIP PORT ID "
					"[--client ADDR PORT]\n"},
		{"slowpath --max", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] slowpath [--max N] [--peek]\n"},
		{"conntrack show", "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] COMMAND [ARGS]\n"
				   "  conntrack list [--client ADDR] [--backend ADDR] [--vip ADDR PORT] [--limit N]\n"
				   "  conntrack flush [--backend ADDR] [--vip ADDR PORT]\n"},
	};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = usage_of(cases[i].line);

		CHECK_STR(got, cases[i].want, cases[i].line);
		free(got);
	}
	f = open_memstream(&out, &len);
	vr_ctl_help(f);
	fclose(f);
	CHECK_MSG(strncmp(out, "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] COMMAND [ARGS]\n" ALL_COMMANDS,
		      strlen("usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] COMMAND [ARGS]\n" ALL_COMMANDS)) ==
		      0,
	      "help does not start with the usage:\n%s", out);
	CHECK_MSG(strstr(out, "Exit status: 0 done; 1 the dataplane refused") != NULL, "help has no exit codes:\n%s", out);
	free(out);
}

static void test_wants_help(void)
{
	char *a[] = {"vip", "add", "--help", NULL};
	char *b[] = {"vip", "-h", NULL};
	char *c[] = {"vip", "add", "--", "--help", NULL};
	char *d[] = {"vip", "add", "10.0.0.1", "5000", NULL};

	CHECK_MSG(vr_ctl_wants_help(3, a), "--help");
	CHECK_MSG(vr_ctl_wants_help(2, b), "-h");
	CHECK_MSG(!vr_ctl_wants_help(4, c), "--help after --");
	CHECK_MSG(!vr_ctl_wants_help(4, d), "no help");
	CHECK_MSG(!vr_ctl_wants_help(0, d), "nothing");
}

int main(void)
{
	test_goods();
	test_bads();
	test_secrets();
	test_messages();
	test_options();
	test_usage();
	test_wants_help();
	return check_report("test_request");
}
