/* test_core.c - base64, time parsing, buffers, error mapping, secrets */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"

static void
test_b64url(void **state)
{
	static const struct {
		const char *name, *in, *want; /* want NULL: refused */
	} cases[] = {
	    {"empty", "", ""},
	    {"f", "Zg", "f"},
	    {"fo", "Zm8", "fo"},
	    {"foo", "Zm9v", "foo"},
	    {"url alphabet", "-_8", "\xfb\xff"},
	    {"padding refused", "Zg==", NULL},
	    {"std alphabet refused", "+/8", NULL},
	    {"one symbol group", "Z", NULL},
	    {"non-zero trailing bits", "Zh", NULL},
	    {"whitespace refused", "Zm 9v", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 0;
		uint8_t *out = core_b64url_decode(cases[i].in,
						  strlen(cases[i].in), &n);

		if (cases[i].want == NULL) {
			if (out != NULL)
				fail_msg("%s: expected refusal", cases[i].name);
		} else if (out == NULL || n != strlen(cases[i].want) ||
			   memcmp(out, cases[i].want, n) != 0) {
			fail_msg("%s: wrong decode", cases[i].name);
		}
		free(out);
	}
}

static void
test_b64_roundtrip(void **state)
{
	uint8_t buf[64];

	(void)state;
	for (size_t len = 0; len < sizeof(buf); len++) {
		char *u, *s;
		uint8_t *d1, *d2;
		size_t n1 = 0, n2 = 0;

		core_random(buf, len);
		u = core_b64url_encode(buf, len);
		s = core_b64_encode(buf, len);
		d1 = core_b64url_decode(u, strlen(u), &n1);
		d2 = core_b64_decode(s, strlen(s), &n2);
		assert_non_null(d1);
		assert_non_null(d2);
		assert_int_equal(n1, len);
		assert_int_equal(n2, len);
		assert_memory_equal(d1, buf, len);
		assert_memory_equal(d2, buf, len);
		assert_int_equal(strlen(s) % 4, 0);
		free(u), free(s), free(d1), free(d2);
	}
}

static void
test_time_parse(void **state)
{
	static const struct {
		const char *in;
		int ok;
		int64_t want;
	} cases[] = {
	    {"1970-01-01T00:00:00Z", 1, 0},
	    {"2026-11-28T17:26:37Z", 1, 1795886797},
	    {"2026-11-28T17:26:37.123Z", 1, 1795886797},
	    {"2026-11-28T18:26:37+01:00", 1, 1795886797},
	    {"2026-11-28", 1, 1795824000},
	    {"2000-02-29T00:00:00Z", 1, 951782400},
	    {"1795886797", 1, 1795886797},
	    {"2026-13-01T00:00:00Z", 0, 0},
	    {"2026-02-30T00:00:00Z", 1, 0}, /* day <= 29 in Feb table: refused below */
	    {"2026-11-28T25:00:00Z", 0, 0},
	    {"2026-11-28T17:26:37", 0, 0},
	    {"yesterday", 0, 0},
	    {"", 0, 0},
	    {"12abc", 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;
		int rc = core_time_parse(cases[i].in, &t);

		if (strcmp(cases[i].in, "2026-02-30T00:00:00Z") == 0) {
			assert_int_equal(rc, -1);
			continue;
		}
		if (cases[i].ok ? (rc != 0 || t != cases[i].want) : rc != -1)
			fail_msg("%s: rc %d t %lld", cases[i].in, rc, (long long)t);
	}
}

static void
test_iso8601(void **state)
{
	char buf[32];

	(void)state;
	core_time_iso8601(1795886797, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-28T17:26:37Z");
}

static void
test_buf(void **state)
{
	struct core_buf b;

	(void)state;
	core_buf_init(&b, 8);
	assert_int_equal(core_buf_puts(&b, "12345678"), 0);
	assert_int_equal(core_buf_puts(&b, "9"), -1);
	assert_int_equal(b.len, 8);
	core_buf_reset(&b);

	core_buf_init(&b, 0);
	core_buf_put_xml(&b, "<a href=\"x\">&'\x01");
	assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;?");
	core_buf_reset(&b);

	core_buf_put_json(&b, "a\"b\\c\n\x01");
	assert_string_equal(b.data, "a\\\"b\\\\c\\u000a\\u0001");
	core_buf_reset(&b);

	/* Valid UTF-8 passes; invalid bytes, overlongs, surrogates do not. */
	core_buf_put_json(&b, "\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80|\xff|\xc0\xaf|\xed\xa0\x80|\xc3");
	assert_string_equal(b.data, "\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80|\\ufffd|"
			    "\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd");
	core_buf_wipe(&b);
}

static void
test_url_helpers(void **state)
{
	struct core_buf b;
	char *out;

	(void)state;
	assert_true(core_host_is_loopback("127.0.0.1", 9));
	assert_true(core_host_is_loopback("[::1]", 5));
	assert_true(core_host_is_loopback("LocalHost", 9));
	/* Lengths are the span in the URL: a longer host is another host. */
	assert_false(core_host_is_loopback("127.0.0.1.evil", 14));
	assert_false(core_host_is_loopback("127.0.0.10", 10));
	assert_false(core_host_is_loopback("localhost", 8));
	assert_false(core_host_is_loopback("[::2]", 5));
	core_buf_init(&b, 1024);
	assert_int_equal(core_buf_put_pct(&b, "a-Z_9.~ /?&=%\xc3\xa9"), 0);
	out = core_buf_steal(&b);
	assert_string_equal(out, "a-Z_9.~%20%2F%3F%26%3D%25%C3%A9");
	free(out);
}

static void
test_err_mapping(void **state)
{
	static const struct {
		enum core_code c;
		const char *sts;
		int http;
	} cases[] = {
	    {CORE_EINVALID_TOKEN, "InvalidIdentityToken", 400},
	    {CORE_EEXPIRED_TOKEN, "ExpiredTokenException", 400},
	    {CORE_EIDP_REJECTED, "IDPRejectedClaim", 403},
	    {CORE_EIDP_COMM, "IDPCommunicationError", 400},
	    {CORE_EACCESS, "AccessDenied", 403},
	    {CORE_EVALIDATION, "ValidationError", 400},
	    {CORE_EMALFORMED_POLICY, "MalformedPolicyDocument", 400},
	    {CORE_EPACKED_TOO_LARGE, "PackedPolicyTooLarge", 400},
	    {CORE_EINVALID_ACTION, "InvalidAction", 400},
	    {CORE_EMISSING_PARAM, "MissingParameter", 400},
	    {CORE_ETOO_LARGE, "RequestEntityTooLarge", 413},
	    {CORE_EEXPIRED_SESSION, "ExpiredToken", 403},
	    {CORE_EINTERNAL, "InternalFailure", 500},
	};
	struct core_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(core_code_sts(cases[i].c), cases[i].sts);
		assert_int_equal(core_code_http(cases[i].c), cases[i].http);
	}
	assert_string_equal(core_code_type(CORE_EINTERNAL), "Receiver");
	assert_string_equal(core_code_type(CORE_EACCESS), "Sender");
	/* The first failure wins. */
	core_err_set(&err, CORE_EEXPIRED_TOKEN, "expired", "first %d", 1);
	core_err_set(&err, CORE_EINTERNAL, "other", "second");
	assert_int_equal(err.code, CORE_EEXPIRED_TOKEN);
	assert_string_equal(err.msg, "first 1");
	assert_string_equal(err.reason, "expired");
}

static void
test_secret_eq(void **state)
{
	(void)state;
	assert_true(core_secret_eq("abc", 3, "abc", 3));
	assert_false(core_secret_eq("abc", 3, "abd", 3));
	assert_false(core_secret_eq("abc", 3, "abcd", 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_b64_roundtrip),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_url_helpers),
		cmocka_unit_test(test_err_mapping),
		cmocka_unit_test(test_secret_eq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
