/* test_ratelimit.c - gateway/ratelimit: token buckets on a memory
 * store with injected times, and the rate_limits config block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/store.h"
#include "gateway/conf.h"
#include "gateway/ratelimit.h"

#define NOW 1700000000LL	/* a multiple of 10, 20 and 3600 */

/* ---- token bucket math ---- */

#define MS(sec) ((NOW + (sec)) * 1000)

/* Table: {limit, hits at ms offsets from NOW, expected answers}. */
static void
test_bucket(void **state)
{
	static const struct {
		int requests, per, burst;
		int64_t at_ms;
		int allowed;
		const char *why;
	} hits[] = {
	    /* 3 per 10 s, burst 3: a full bucket, then 1 token per 3.33 s */
	    {3, 10, 0, 0, 1, "full"}, {3, 10, 0, 0, 1, "full"},
	    {3, 10, 0, 1, 1, "full"}, {3, 10, 0, 2, 0, "empty"},
	    {3, 10, 0, 3332, 0, "1 ms short of a token"},
	    {3, 10, 0, 3334, 1, "one token back"},
	    {3, 10, 0, 3335, 0, "empty again"},
	    {3, 10, 0, 3335 + 6667, 1, "two tokens back"},
	    {3, 10, 0, 3335 + 6667, 1, "two tokens back"},
	    {3, 10, 0, 3335 + 6667, 0, "and no more"},
	    /* a long idle time fills the bucket, never beyond burst */
	    {3, 10, 0, 86400000, 1, "idle"}, {3, 10, 0, 86400000, 1, "idle"},
	    {3, 10, 0, 86400000, 1, "idle"}, {3, 10, 0, 86400000, 0, "cap"},
	    /* a clock going back refills nothing, and takes what is there */
	    {3, 10, 0, 86300000, 0, "clock behind"},
	};
	struct core_store *s = core_store_open_memory(100);

	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		struct gw_rate_limit lim = {hits[i].requests, hits[i].per,
					    hits[i].burst};
		struct core_err err = {0};
		int r = gw_ratelimit_hit(s, &lim, "ip", "192.0.2.1",
					 NOW * 1000 + hits[i].at_ms, &err);

		if (r != hits[i].allowed)
			fail_msg("hit %zu (%s) at +%lld ms: got %d, want %d",
				 i, hits[i].why, (long long)hits[i].at_ms, r,
				 hits[i].allowed);
		if (r == 0) {
			assert_int_equal(err.code, CORE_ETHROTTLED);
			assert_string_equal(err.reason, GW_RATELIMIT_REASON);
			assert_string_equal(err.msg, "Rate exceeded");
			assert_string_equal(core_code_sts(err.code),
					    "Throttling");
			assert_int_equal(core_code_http(err.code), 400);
		} else {
			assert_int_equal(err.code, CORE_OK);
		}
	}
	core_store_close(s);
}

/* burst apart from the rate: 1 per second sustained, 5 at once. */
static void
test_bucket_burst(void **state)
{
	struct gw_rate_limit lim = {1, 1, 5};
	struct core_store *s = core_store_open_memory(100);
	struct core_err err = {0};
	int n = 0;

	for (int i = 0; i < 20; i++)
		n += gw_ratelimit_hit(s, &lim, "ip", "a", MS(0), &err) == 1;
	assert_int_equal(n, 5);
	/* Sustained: 10 s later exactly 5 more (the bucket holds 5), and
	 * then one per second. */
	n = 0;
	for (int i = 0; i < 20; i++)
		n += gw_ratelimit_hit(s, &lim, "ip", "a", MS(10), &err) == 1;
	assert_int_equal(n, 5);
	for (int sec = 11; sec < 20; sec++) {
		assert_int_equal(gw_ratelimit_hit(s, &lim, "ip", "a", MS(sec),
						  &err), 1);
		assert_int_equal(gw_ratelimit_hit(s, &lim, "ip", "a", MS(sec),
						  &err), 0);
	}
	/* burst below requests: no more than burst at once. */
	lim = (struct gw_rate_limit){100, 1, 2};
	n = 0;
	for (int i = 0; i < 10; i++)
		n += gw_ratelimit_hit(s, &lim, "ip", "b", MS(0), &err) == 1;
	assert_int_equal(n, 2);
	core_store_close(s);
}

/* No fixed-window edge: a burst at the end of one second and another at
 * the start of the next cannot pass twice the limit. */
static void
test_no_window_edge(void **state)
{
	struct gw_rate_limit lim = {10, 1, 0};
	struct core_store *s = core_store_open_memory(100);
	struct core_err err = {0};
	int n = 0;

	for (int i = 0; i < 30; i++)
		n += gw_ratelimit_hit(s, &lim, "ip", "a", MS(0) + 999, &err) == 1;
	for (int i = 0; i < 30; i++)
		n += gw_ratelimit_hit(s, &lim, "ip", "a", MS(1) + 1, &err) == 1;
	assert_int_equal(n, 10 + 0);
	/* The bucket is forgotten only once full again: same answers. */
	assert_int_equal(core_store_count(s), 1);
	core_store_close(s);
}

/* Keys and kinds count separately; a hit never spills over. */
static void
test_keys_independent(void **state)
{
	static const struct {
		const char *kind, *key;
	} keys[] = {
	    {"ip", "192.0.2.1"}, {"ip", "192.0.2.2"}, {"ip", "::1"},
	    {"provider", "192.0.2.1"}, {"provider", "google"},
	    {"provider", "okta"}, {"ip", ""}, {"ip", "has space\tand tab"},
	};
	struct gw_rate_limit lim = {2, 60, 0};
	struct core_store *s = core_store_open_memory(100);
	size_t n = sizeof(keys) / sizeof(keys[0]);

	for (size_t i = 0; i < n; i++) {
		struct core_err err = {0};

		assert_int_equal(gw_ratelimit_hit(s, &lim, keys[i].kind,
						  keys[i].key, MS(0), &err), 1);
		assert_int_equal(gw_ratelimit_hit(s, &lim, keys[i].kind,
						  keys[i].key, MS(0), &err), 1);
	}
	for (size_t i = 0; i < n; i++) {
		struct core_err err = {0};

		assert_int_equal(gw_ratelimit_hit(s, &lim, keys[i].kind,
						  keys[i].key, MS(0), &err), 0);
	}
	assert_int_equal(core_store_count(s), n);
	core_store_close(s);
}

/* No limit configured: allowed, and nothing is stored. */
static void
test_unlimited(void **state)
{
	struct gw_rate_limit none = {0, 0, 0};
	struct core_store *s = core_store_open_memory(100);
	struct core_err err = {0};

	for (int i = 0; i < 100; i++)
		assert_int_equal(gw_ratelimit_hit(s, &none, "ip", "a", MS(0),
						  &err), 1);
	assert_int_equal(gw_ratelimit_hit(s, NULL, "ip", "a", MS(0), &err), 1);
	assert_int_equal(core_store_count(s), 0);
	core_store_close(s);
}

/* A store that cannot count answers -1 (the gateway then allows). */
static void
test_store_full(void **state)
{
	struct gw_rate_limit lim = {5, 60, 0};
	struct core_store *s = core_store_open_memory(1);
	struct core_err err = {0};

	assert_int_equal(gw_ratelimit_hit(s, &lim, "ip", "a", MS(0), &err), 1);
	assert_int_equal(gw_ratelimit_hit(s, &lim, "ip", "b", MS(0), &err), -1);
	assert_int_equal(err.code, CORE_EUNAVAILABLE);
	core_store_close(s);
}

/* A source address of the maximum length still makes a valid key. */
static void
test_long_key(void **state)
{
	struct gw_rate_limit lim = {1, 60, 0};
	struct core_store *s = core_store_open_memory(10);
	struct core_err err = {0};
	char key[600];

	memset(key, 'x', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(gw_ratelimit_hit(s, &lim, "ip", key, MS(0), &err), 1);
	assert_int_equal(gw_ratelimit_hit(s, &lim, "ip", key, MS(0), &err), 0);
	core_store_close(s);
}

/* ---- config ---- */

static void
test_conf(void **state)
{
	static const struct {
		const char *yaml;
		int ip_req, ip_per, pr_req, pr_per;
		const char *msg;	/* NULL: loads */
	} cases[] = {
	    {"state_dir: /nonexistent/x\n", 0, 0, 0, 0, NULL},
	    {"rate_limits:\n"
	     "  per_source_ip: {requests: 50, per_seconds: 1}\n"
	     "  per_provider: {requests: 500, per_seconds: 3600}\n",
	     50, 1, 500, 3600, NULL},
	    {"rate_limits:\n  per_provider: {requests: 1000000, "
	     "per_seconds: 2}\n", 0, 0, 1000000, 2, NULL},
	    {"rate_limits: {}\n", 0, 0, 0, 0, NULL},
	    {"rate_limits:\n  per_source_ip: {requests: 0, per_seconds: 1}\n",
	     0, 0, 0, 0, "t.yaml:2: rate_limits.per_source_ip.requests: must "
	     "be between 1 and 1000000"},
	    {"rate_limits:\n  per_source_ip: {requests: 1000001, "
	     "per_seconds: 1}\n", 0, 0, 0, 0, "must be between 1 and 1000000"},
	    {"rate_limits:\n  per_provider: {requests: 5, per_seconds: 3601}\n",
	     0, 0, 0, 0, "t.yaml:2: rate_limits.per_provider.per_seconds: must "
	     "be between 1 and 3600"},
	    {"rate_limits:\n  per_provider: {requests: 5, per_seconds: 0}\n",
	     0, 0, 0, 0, "must be between 1 and 3600"},
	    {"rate_limits:\n  per_provider: {requests: 5}\n", 0, 0, 0, 0,
	     "t.yaml:2: rate_limits.per_provider: missing required key "
	     "'per_seconds'"},
	    {"rate_limits:\n  per_provider: {per_seconds: 5}\n", 0, 0, 0, 0,
	     "missing required key 'requests'"},
	    {"rate_limits:\n  per_user: {requests: 5, per_seconds: 1}\n",
	     0, 0, 0, 0, "t.yaml:2: rate_limits.per_user: unknown key"},
	    {"rate_limits:\n  per_source_ip: {requests: 5, per_seconds: 1, "
	     "burst: 2}\n", 5, 1, 0, 0, NULL},
	    {"rate_limits:\n  per_source_ip: {requests: 5, per_seconds: 1, "
	     "burst: 0}\n", 0, 0, 0, 0, "t.yaml:2: rate_limits.per_source_ip."
	     "burst: must be between 1 and 1000000"},
	    {"rate_limits:\n  per_source_ip: 50\n", 0, 0, 0, 0,
	     "rate_limits.per_source_ip: expected a mapping"},
	    {"rate_limits: [1]\n", 0, 0, 0, 0,
	     "t.yaml:1: rate_limits: expected a mapping"},
	    {"rate_limits:\n  per_source_ip: {requests: \"5\", "
	     "per_seconds: 1}\n", 0, 0, 0, 0, "requests: expected an integer"},
	    {"rate_limits:\n  per_source_ip: {requests: 5, per_seconds: 1}\n"
	     "  per_source_ip: {requests: 6, per_seconds: 1}\n", 0, 0, 0, 0,
	     "t.yaml:3: rate_limits.per_source_ip: duplicate key"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *errs = NULL;
		size_t sz;
		FILE *f = open_memstream(&errs, &sz);
		int nerr = -1;
		struct gw_conf *c;

		assert_non_null(f);
		c = gw_conf_load_string(cases[i].yaml, strlen(cases[i].yaml),
					"t.yaml", f, &nerr);
		fclose(f);
		if (cases[i].msg == NULL) {
			if (c == NULL)
				fail_msg("case %zu: %s", i, errs);
			assert_int_equal(c->rl_source_ip.requests,
					 cases[i].ip_req);
			assert_int_equal(c->rl_source_ip.per_seconds,
					 cases[i].ip_per);
			assert_int_equal(c->rl_provider.requests,
					 cases[i].pr_req);
			assert_int_equal(c->rl_provider.per_seconds,
					 cases[i].pr_per);
		} else {
			assert_null(c);
			if (strstr(errs, cases[i].msg) == NULL)
				fail_msg("case %zu: want \"%s\" in \"%s\"", i,
					 cases[i].msg, errs);
		}
		gw_conf_free(c);
		free(errs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket),
	    cmocka_unit_test(test_bucket_burst),
	    cmocka_unit_test(test_no_window_edge),
	    cmocka_unit_test(test_keys_independent),
	    cmocka_unit_test(test_unlimited),
	    cmocka_unit_test(test_store_full),
	    cmocka_unit_test(test_long_key),
	    cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
