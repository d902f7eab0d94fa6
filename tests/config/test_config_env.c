/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of vr_config_cp_env (WS_* overrides of controlplane.limits) and vr_redis_url_parse. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/config.h"

#include "../packet/testutil.h"

static const char base_yaml[] = "dataplane:\n"
				"  ports: [{name: p0, device: net_null0, ipv4: 10.0.0.2, gateway_ipv4: 10.0.0.1}]\n"
				"balancer:\n"
				"  vips: [{address: 10.1.0.1, port: 1, backends: [{address: 10.2.0.1}]}]\n"
				"controlplane:\n"
				"  auth: {hs256_secret_file: /etc/voxrelay/jwt.secret}\n";

/* The fake environment: name=value pairs of one case, NULL-terminated. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = fake_env; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static struct vr_config *load_base(const char *yaml)
{
	char err[VR_CFG_ERR_LEN];
	struct vr_config *cfg = vr_config_parse("base", yaml, strlen(yaml), err, sizeof(err));

	if (!cfg) {
		fprintf(stderr, "base configuration does not load: %s\n", err);
		exit(1);
	}
	return cfg;
}

static void test_good(void)
{
	struct vr_config *cfg = load_base(base_yaml);
	struct vr_config before = *cfg;
	char err[VR_CFG_ERR_LEN];

	/* nothing set changes nothing (the defaults themselves are test_config's) */
	fake_env = (const char *const[]){NULL};
	CHECK(vr_config_cp_env(cfg, fake_getenv, err, sizeof(err)) == 0);
	CHECK(err[0] == '\0');
	CHECK(memcmp(&before, cfg, sizeof(before)) == 0);

	fake_env = (const char *const[]){
		"WS_MAX_CONNECTIONS=100",
		"WS_MAX_CONNECTIONS_PER_USER=1000",
		"WS_RATE_LIMIT_WINDOW=60000",     /* a bare number is ms here, not seconds as in YAML */
		"WS_RATE_LIMIT_MAX_MESSAGES=7",
		"WS_CLEANUP_INTERVAL=90s",        /* the YAML syntax works too */
		"WS_INACTIVE_TIMEOUT=2h",
		"WS_MAX_PAYLOAD=65536",
		"WS_MAX_MESSAGE_LENGTH=65536",    /* equal to the payload is allowed */
		"WS_OTHER=1",
		NULL,
	};
	CHECK(vr_config_cp_env(cfg, fake_getenv, err, sizeof(err)) == 0);
	CHECK_EQ(cfg->cp_max_connections, 100);
	CHECK_EQ(cfg->cp_max_connections_per_user, 1000);
	CHECK_EQ(cfg->cp_rate_limit_window_ms, 60000);
	CHECK_EQ(cfg->cp_rate_limit_max_messages, 7);
	CHECK_EQ(cfg->cp_cleanup_interval_ms, 90000);
	CHECK_EQ(cfg->cp_inactive_timeout_ms, 7200000);
	CHECK_EQ(cfg->cp_max_payload, 65536);
	CHECK_EQ(cfg->cp_max_message_length, 65536);
	CHECK_EQ(cfg->cp_outbound_queue, 1048576); /* no variable */

	/* both duration forms, bounds inclusive */
	fake_env = (const char *const[]){"WS_RATE_LIMIT_WINDOW=60s", "WS_CLEANUP_INTERVAL=1000",
					 "WS_INACTIVE_TIMEOUT=604800000", NULL};
	CHECK(vr_config_cp_env(cfg, fake_getenv, NULL, 0) == 0);
	CHECK_EQ(cfg->cp_rate_limit_window_ms, 60000);
	CHECK_EQ(cfg->cp_cleanup_interval_ms, 1000);
	CHECK_EQ(cfg->cp_inactive_timeout_ms, 604800000);
	fake_env = (const char *const[]){"WS_RATE_LIMIT_WINDOW=1500ms", "WS_MAX_CONNECTIONS=1000000", NULL};
	CHECK(vr_config_cp_env(cfg, fake_getenv, NULL, 0) == 0);
	CHECK_EQ(cfg->cp_rate_limit_window_ms, 1500);
	CHECK_EQ(cfg->cp_max_connections, 1000000);

	/* NULL: the process's environment */
	setenv("WS_MAX_CONNECTIONS_PER_USER", "42", 1);
	CHECK(vr_config_cp_env(cfg, NULL, err, sizeof(err)) == 0);
	CHECK_EQ(cfg->cp_max_connections_per_user, 42);
	setenv("WS_MAX_CONNECTIONS_PER_USER", "x", 1);
	CHECK(vr_config_cp_env(cfg, NULL, err, sizeof(err)) == -EINVAL);
	CHECK(strcmp(err, "environment WS_MAX_CONNECTIONS_PER_USER=x: controlplane.limits.max_connections_per_user: "
			  "expected an unsigned integer, got \"x\"") == 0);
	unsetenv("WS_MAX_CONNECTIONS_PER_USER");

	CHECK(vr_config_cp_env(NULL, fake_getenv, err, sizeof(err)) == -EINVAL);
	vr_config_free(cfg);

	/* no controlplane section: the defaults are there and can be overridden all the same */
	cfg = load_base("dataplane:\n"
			"  ports: [{name: p0, device: net_null0, ipv4: 10.0.0.2, gateway_ipv4: 10.0.0.1}]\n"
			"balancer:\n"
			"  vips: [{address: 10.1.0.1, port: 1, backends: [{address: 10.2.0.1}]}]\n");
	CHECK(!cfg->has_controlplane);
	fake_env = (const char *const[]){"WS_MAX_PAYLOAD=4000", NULL};
	CHECK(vr_config_cp_env(cfg, fake_getenv, err, sizeof(err)) == 0);
	CHECK_EQ(cfg->cp_max_payload, 4000);
	vr_config_free(cfg);
}

static const struct {
	const char *env[3];
	const char *want;
} bad[] = {
	{{"WS_MAX_CONNECTIONS=abc"},
	 "environment WS_MAX_CONNECTIONS=abc: controlplane.limits.max_connections: expected an unsigned integer, got "
	 "\"abc\""},
	{{"WS_MAX_CONNECTIONS=-5"},
	 "environment WS_MAX_CONNECTIONS=-5: controlplane.limits.max_connections: expected an unsigned integer, got "
	 "\"-5\""},
	{{"WS_MAX_CONNECTIONS=0"},
	 "environment WS_MAX_CONNECTIONS=0: controlplane.limits.max_connections: 0 is out of range 1..1000000"},
	{{"WS_MAX_CONNECTIONS=1000001"},
	 "environment WS_MAX_CONNECTIONS=1000001: controlplane.limits.max_connections: 1000001 is out of range "
	 "1..1000000"},
	{{"WS_MAX_CONNECTIONS= 5"},
	 "environment WS_MAX_CONNECTIONS= 5: controlplane.limits.max_connections: expected an unsigned integer, got "
	 "\" 5\""},
	{{"WS_MAX_CONNECTIONS=99999999999999999999999"},
	 "environment WS_MAX_CONNECTIONS=99999999999999999999999: controlplane.limits.max_connections: "
	 "99999999999999999999999 is out of range 1..1000000"},
	{{"WS_MAX_CONNECTIONS_PER_USER="},
	 "environment WS_MAX_CONNECTIONS_PER_USER=: controlplane.limits.max_connections_per_user: expected an unsigned "
	 "integer, got \"\""},
	{{"WS_MAX_CONNECTIONS_PER_USER=1001"},
	 "environment WS_MAX_CONNECTIONS_PER_USER=1001: controlplane.limits.max_connections_per_user: 1001 is out of "
	 "range 1..1000"},
	{{"WS_RATE_LIMIT_MAX_MESSAGES=1e3"},
	 "environment WS_RATE_LIMIT_MAX_MESSAGES=1e3: controlplane.limits.rate_limit_max_messages: expected an "
	 "unsigned integer, got \"1e3\""},
	{{"WS_RATE_LIMIT_WINDOW=abc"},
	 "environment WS_RATE_LIMIT_WINDOW=abc: controlplane.limits.rate_limit_window: expected a duration like 30s, "
	 "500ms, 5m, 1h or a number of milliseconds, got \"abc\""},
	{{"WS_RATE_LIMIT_WINDOW=-60000"},
	 "environment WS_RATE_LIMIT_WINDOW=-60000: controlplane.limits.rate_limit_window: expected a duration like "
	 "30s, 500ms, 5m, 1h or a number of milliseconds, got \"-60000\""},
	{{"WS_RATE_LIMIT_WINDOW="},
	 "environment WS_RATE_LIMIT_WINDOW=: controlplane.limits.rate_limit_window: expected a duration like 30s, "
	 "500ms, 5m, 1h or a number of milliseconds, got \"\""},
	{{"WS_RATE_LIMIT_WINDOW=60"}, /* 60 ms, not 60 s */
	 "environment WS_RATE_LIMIT_WINDOW=60: controlplane.limits.rate_limit_window: \"60\" is out of range 1s..1h"},
	{{"WS_RATE_LIMIT_WINDOW=2h"},
	 "environment WS_RATE_LIMIT_WINDOW=2h: controlplane.limits.rate_limit_window: \"2h\" is out of range 1s..1h"},
	{{"WS_CLEANUP_INTERVAL=5min"},
	 "environment WS_CLEANUP_INTERVAL=5min: controlplane.limits.cleanup_interval: expected a duration like 30s, "
	 "500ms, 5m, 1h or a number of milliseconds, got \"5min\""},
	{{"WS_INACTIVE_TIMEOUT=9999"},
	 "environment WS_INACTIVE_TIMEOUT=9999: controlplane.limits.inactive_timeout: \"9999\" is out of range "
	 "10s..168h"},
	{{"WS_MAX_PAYLOAD=127"},
	 "environment WS_MAX_PAYLOAD=127: controlplane.limits.max_payload: 127 is out of range 128..16777216"},
	{{"WS_MAX_MESSAGE_LENGTH=0"},
	 "environment WS_MAX_MESSAGE_LENGTH=0: controlplane.limits.max_message_length: 0 is out of range 1..1000000"},
	/* the check across the two limits, worded about the variable given */
	{{"WS_MAX_MESSAGE_LENGTH=20000"},
	 "environment WS_MAX_MESSAGE_LENGTH=20000: controlplane.limits.max_message_length: 20000 is more than "
	 "controlplane.limits.max_payload (16384)"},
	{{"WS_MAX_PAYLOAD=1000"},
	 "environment WS_MAX_PAYLOAD=1000: controlplane.limits.max_payload: 1000 is less than "
	 "controlplane.limits.max_message_length (4000)"},
	{{"WS_MAX_PAYLOAD=1000", "WS_MAX_MESSAGE_LENGTH=2000"},
	 "environment WS_MAX_MESSAGE_LENGTH=2000: controlplane.limits.max_message_length: 2000 is more than "
	 "controlplane.limits.max_payload (1000)"},
	/* the first bad variable in table order is reported */
	{{"WS_MAX_PAYLOAD=x", "WS_MAX_CONNECTIONS=y"},
	 "environment WS_MAX_CONNECTIONS=y: controlplane.limits.max_connections: expected an unsigned integer, got "
	 "\"y\""},
	/* a value is shown printable and bounded */
	{{"WS_MAX_CONNECTIONS=a\nb"},
	 "environment WS_MAX_CONNECTIONS=a?b: controlplane.limits.max_connections: expected an unsigned integer, got "
	 "\"a?b\""},
	{{"WS_MAX_CONNECTIONS=0123456789012345678901234567890123456789012345678901234567890123456789x"},
	 "environment WS_MAX_CONNECTIONS=0123456789012345678901234567890123456789012345678901234567890123...: "
	 "controlplane.limits.max_connections: expected an unsigned integer, got "
	 "\"0123456789012345678901234567890123456789012345678901234567890123456789x\""},
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vr_config *cfg = load_base(base_yaml);
		struct vr_config before = *cfg;
		char err[VR_CFG_ERR_LEN];
		/* a good variable next to the bad one must not stay applied */
		const char *env[5] = {"WS_OUTBOUND=1", "WS_RATE_LIMIT_MAX_MESSAGES=99", bad[i].env[0], bad[i].env[1],
				      NULL};

		if (strncmp(bad[i].env[0], "WS_RATE_LIMIT_MAX_MESSAGES=", 27) == 0)
			env[1] = "WS_OTHER=1";
		fake_env = env;
		memset(err, 'x', sizeof(err));
		int rc = vr_config_cp_env(cfg, fake_getenv, err, sizeof(err));
		if (rc != -EINVAL || strcmp(err, bad[i].want) != 0) {
			fprintf(stderr, "bad[%zu] %s: rc %d\n  got:  %s\n  want: %s\n", i, bad[i].env[0], rc,
				memchr(err, '\0', sizeof(err)) ? err : "(not terminated)", bad[i].want);
			vr_test_failures++;
		}
		CHECK(memcmp(&before, cfg, sizeof(before)) == 0);
		/* no room for the message: still -EINVAL, still a terminated string */
		char small[16];
		CHECK(vr_config_cp_env(cfg, fake_getenv, small, sizeof(small)) == -EINVAL);
		CHECK(strlen(small) == sizeof(small) - 1);
		CHECK(vr_config_cp_env(cfg, fake_getenv, NULL, 0) == -EINVAL);
		vr_config_free(cfg);
	}
	printf("bad environments: %zu checked\n", sizeof(bad) / sizeof(bad[0]));
}

/* The environment's message after the label is the YAML loader's after "file:line:column: ". */
static void test_same_wording(void)
{
	static const struct {
		const char *key, *yaml_value, *env;
	} same[] = {
		{"max_connections", "abc", "WS_MAX_CONNECTIONS=abc"},
		{"max_connections", "0", "WS_MAX_CONNECTIONS=0"},
		{"max_payload", "\"\"", "WS_MAX_PAYLOAD="},
		{"rate_limit_window", "2h", "WS_RATE_LIMIT_WINDOW=2h"},
		{"inactive_timeout", "\"-1\"", "WS_INACTIVE_TIMEOUT=-1"},
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char yaml[1024], yerr[VR_CFG_ERR_LEN], eerr[VR_CFG_ERR_LEN];
		int n = snprintf(yaml, sizeof(yaml), "%s  limits: {%s: %s}\n", base_yaml, same[i].key,
				 same[i].yaml_value);
		struct vr_config *cfg = vr_config_parse("y", yaml, (size_t)n, yerr, sizeof(yerr));

		CHECK(cfg == NULL);
		vr_config_free(cfg);
		cfg = load_base(base_yaml);
		fake_env = (const char *const[]){same[i].env, NULL};
		CHECK(vr_config_cp_env(cfg, fake_getenv, eerr, sizeof(eerr)) == -EINVAL);
		vr_config_free(cfg);
		const char *y = strstr(yerr, ": controlplane."), *e = strstr(eerr, ": controlplane.");
		/* a bare YAML number is seconds, so the duration wording differs only in that hint */
		if (!y || !e || (strcmp(y, e) != 0 && !strstr(e, "milliseconds"))) {
			fprintf(stderr, "same[%zu]: yaml %s\n  env  %s\n", i, yerr, eerr);
			vr_test_failures++;
		}
	}
}

static void test_redis_url(void)
{
	static const struct {
		const char *url;
		bool tls;
		const char *host;
		uint16_t port;
		uint32_t db;
		const char *user, *password, *unix_path;
	} good[] = {
		{"redis://127.0.0.1:6379/0", false, "127.0.0.1", 6379, 0, "", "", ""},
		{"redis://localhost", false, "localhost", 6379, 0, "", "", ""},
		{"redis://localhost/", false, "localhost", 6379, 0, "", "", ""},
		{"redis://redis.example:1/15", false, "redis.example", 1, 15, "", "", ""},
		{"redis://h:65535/7", false, "h", 65535, 7, "", "", ""},
		{"rediss://cache-1.internal_x:6380", true, "cache-1.internal_x", 6380, 0, "", "", ""},
		{"redis://:pw@h", false, "h", 6379, 0, "", "pw", ""},
		{"redis://alice:pw@h:7000/2", false, "h", 7000, 2, "alice", "pw", ""},
		{"redis://al%69ce:p%40ss%3Aw%2Fd@h", false, "h", 6379, 0, "alice", "p@ss:w/d", ""},
		{"redis://u:p@ss@h", false, "h", 6379, 0, "u", "p@ss", ""}, /* last '@' ends the user info */
		{"redis://[::1]:6380/1", false, "::1", 6380, 1, "", "", ""},
		{"rediss://[fd77::5]", true, "fd77::5", 6379, 0, "", "", ""},
		{"unix:///run/redis/redis.sock", false, "", 0, 0, "", "", "/run/redis/redis.sock"},
		{"unix:///run/redis.sock?db=3", false, "", 0, 3, "", "", "/run/redis.sock"},
		{"unix://u:pw@/run/redis.sock", false, "", 0, 0, "u", "pw", "/run/redis.sock"},
	};
	static const char *const bad_urls[] = {
		"",
		"http://h",
		"redis:/h",
		"REDIS://h",
		"redis://",
		"redis:///0",
		"redis://h:",
		"redis://h:0",
		"redis://h:70000",
		"redis://h:99999999999",
		"redis://h:6379x",
		"redis://h/16",
		"redis://h/99999999999",
		"redis://h/-1",
		"redis://h/a",
		"redis://h/0/1",
		"redis://h?db=1",
		"redis://h/0#x",
		"redis://h h",
		"redis://::1",
		"redis://[::1",
		"redis://[zz]:1",
		"redis://[::1]x",
		"redis://[]",
		"redis://pw@h",
		"redis://u:@h",
		"redis://u:p%4@h",
		"redis://u:p%zz@h",
		"redis://u:p%00@h",
		"redis://u:p\x01@h",
		"unix://",
		"unix://relative.sock",
		"unix://host/run/redis.sock",
		"unix:///run/r.sock?db=16",
		"unix:///run/r.sock?x=1",
		"unix:///run/0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789.sock",
	};
	struct vr_redis_url u;
	char longhost[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&u, 0xa5, sizeof(u));
		int rc = vr_redis_url_parse(good[i].url, &u);
		if (rc != 0 || u.tls != good[i].tls || strcmp(u.host, good[i].host) || u.port != good[i].port ||
		    u.db != good[i].db || strcmp(u.user, good[i].user) || strcmp(u.password, good[i].password) ||
		    strcmp(u.unix_path, good[i].unix_path)) {
			fprintf(stderr, "redis url %s: rc %d tls %d host %s port %u db %u user %s password %s unix %s\n",
				good[i].url, rc, u.tls, u.host, u.port, u.db, u.user, u.password, u.unix_path);
			vr_test_failures++;
		}
	}
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++)
		if (vr_redis_url_parse(bad_urls[i], &u) != -EINVAL) {
			fprintf(stderr, "redis url %s: accepted\n", bad_urls[i]);
			vr_test_failures++;
		}
	CHECK(vr_redis_url_parse(NULL, &u) == -EINVAL);
	CHECK(vr_redis_url_parse("redis://h", NULL) == -EINVAL);
	/* host of 255 bytes fits, 256 does not */
	memcpy(longhost, "redis://", 8);
	memset(longhost + 8, 'a', 255);
	longhost[8 + 255] = '\0';
	CHECK(vr_redis_url_parse(longhost, &u) == 0 && strlen(u.host) == 255);
	longhost[8 + 255] = 'a';
	longhost[8 + 256] = '\0';
	CHECK(vr_redis_url_parse(longhost, &u) == -EINVAL);
	printf("redis urls: %zu good, %zu bad checked\n", sizeof(good) / sizeof(good[0]),
	       sizeof(bad_urls) / sizeof(bad_urls[0]));
}

int main(void)
{
	test_good();
	test_bad();
	test_same_wording();
	test_redis_url();
	return vr_test_done("test_config_env");
}
