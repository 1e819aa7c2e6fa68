/* test_form.c - urlencoded decoding and STS parameter validation */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gateway/form.h"
#include "gateway/sts_params.h"

static void
test_form_decoding(void **state)
{
	static const struct {
		const char *name, *input, *key, *want; /* want NULL: refused */
	} cases[] = {
	    {"plain", "a=b", "a", "b"},
	    {"plus is space", "a=x+y", "a", "x y"},
	    {"percent", "a=%41%2b%2F", "a", "A+/"},
	    {"utf-8", "a=%C3%A4", "a", "\xc3\xa4"},
	    {"empty value", "a=", "a", ""},
	    {"no equals", "a", "a", ""},
	    {"empty pairs skipped", "&&a=1&&", "a", "1"},
	    {"second of two", "a=1&b=2", "b", "2"},
	    {"encoded name", "Policy%41rns=1", "PolicyArns", "1"},
	    {"trailing newline kept", "t=abc%0A", "t", "abc\n"},
	    {"bad escape", "a=%4", "a", NULL},
	    {"bad hex", "a=%zz", "a", NULL},
	    {"escape at end", "a=%", "a", NULL},
	    {"NUL byte", "a=x%00y", "a", NULL},
	    {"duplicate name", "a=1&a=2", "a", NULL},
	    {"empty name", "=1", "a", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_form f;
		struct core_err err = {0};
		int rc;
		const char *got;

		gw_form_init(&f);
		rc = gw_form_parse(&f, cases[i].input, strlen(cases[i].input),
				   &err);
		if (cases[i].want == NULL) {
			if (rc != -1 || err.code != CORE_EVALIDATION)
				fail_msg("%s: expected refusal", cases[i].name);
		} else {
			got = gw_form_get(&f, cases[i].key);
			if (rc != 0 || got == NULL || strcmp(got, cases[i].want) != 0)
				fail_msg("%s: got %s", cases[i].name,
					 got ? got : "(null)");
		}
		gw_form_clear(&f);
	}
}

static void
test_form_limits(void **state)
{
	char buf[8192];
	size_t o = 0;
	struct gw_form f;
	struct core_err err = {0};

	(void)state;
	for (int i = 0; i <= GW_FORM_MAX_PARAMS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "p%d=1&", i);
	gw_form_init(&f);
	assert_int_equal(gw_form_parse(&f, buf, o, &err), -1);
	assert_int_equal(err.code, CORE_EVALIDATION);
	gw_form_clear(&f);

	/* Query string and body merge into one form: no duplicates across. */
	gw_form_init(&f);
	memset(&err, 0, sizeof(err));
	assert_int_equal(gw_form_parse(&f, "Action=X", 8, &err), 0);
	assert_int_equal(gw_form_parse(&f, "Action=Y", 8, &err), -1);
	gw_form_clear(&f);
}

static const char *valid_token = "aaaa.bbbb.cccc";

static int
params_for(const char *body, struct gw_awi_params *p, struct core_err *err,
	   struct gw_form *f)
{
	gw_form_init(f);
	if (gw_form_parse(f, body, strlen(body), err) == -1)
		return -2;
	return gw_sts_awi_params(f, p, err);
}

static void
test_awi_params(void **state)
{
	static const struct {
		const char *name, *body;
		enum core_code want;
	} cases[] = {
	    {"minimal", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa.bbbb.cccc", CORE_OK},
	    {"missing role", "RoleSessionName=s1&WebIdentityToken=aaaa", CORE_EMISSING_PARAM},
	    {"missing token", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1", CORE_EMISSING_PARAM},
	    {"missing session", "RoleArn=arn:aws:iam::111122223333:role/r&WebIdentityToken=aaaa", CORE_EMISSING_PARAM},
	    {"short arn", "RoleArn=arn:aws:iam::1:r&RoleSessionName=s1&WebIdentityToken=aaaa", CORE_EVALIDATION},
	    {"session 1 char", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s&WebIdentityToken=aaaa", CORE_EVALIDATION},
	    {"session space", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=a+b&WebIdentityToken=aaaa", CORE_EVALIDATION},
	    {"session non-ascii", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=%C3%A4b&WebIdentityToken=aaaa", CORE_EVALIDATION},
	    {"session all allowed", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=a_b%2B%3D%2C.%40-9&WebIdentityToken=aaaa", CORE_OK},
	    {"duration 899", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&DurationSeconds=899", CORE_EVALIDATION},
	    {"duration 43201", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&DurationSeconds=43201", CORE_EVALIDATION},
	    {"duration abc", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&DurationSeconds=abc", CORE_EVALIDATION},
	    {"duration negative", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&DurationSeconds=-900", CORE_EVALIDATION},
	    {"duration 900", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&DurationSeconds=900", CORE_OK},
	    {"token 3 chars", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=abc", CORE_EVALIDATION},
	    {"provider id", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&ProviderId=www.amazon.com", CORE_EVALIDATION},
	    {"policy control char", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&Policy=%01", CORE_EVALIDATION},
	    {"policy arns", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&PolicyArns.member.1.arn=arn:aws:iam::111122223333:policy/p", CORE_OK},
	    {"policy arn short", "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=s1&WebIdentityToken=aaaa&PolicyArns.member.1.arn=x", CORE_EVALIDATION},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_awi_params p;
		struct core_err err = {0};
		struct gw_form f;

		params_for(cases[i].body, &p, &err, &f);
		if (err.code != cases[i].want)
			fail_msg("%s: got %s (%s)", cases[i].name,
				 core_code_sts(err.code), err.msg);
		gw_form_clear(&f);
	}
}

static void
test_token_newline_and_length(void **state)
{
	struct gw_awi_params p;
	struct core_err err = {0};
	struct gw_form f;
	static char body[21000 + 200];
	size_t o;

	(void)state;
	assert_int_equal(params_for("RoleArn=arn:aws:iam::111122223333:role/r&"
				    "RoleSessionName=s1&WebIdentityToken=aaaa.bbbb.cccc%0A",
				    &p, &err, &f), 0);
	assert_int_equal(p.token_len, strlen(valid_token));
	assert_memory_equal(p.token, valid_token, p.token_len);
	gw_form_clear(&f);

	o = (size_t)snprintf(body, sizeof(body), "RoleArn=arn:aws:iam::111122223333:"
			     "role/r&RoleSessionName=s1&WebIdentityToken=");
	memset(body + o, 'a', 20001);
	body[o + 20001] = '\0';
	assert_int_equal(params_for(body, &p, &err, &f), -1);
	assert_int_equal(err.code, CORE_EVALIDATION);
	/* The message never echoes the token. */
	assert_null(strstr(err.msg, "aaaa"));
	gw_form_clear(&f);

	body[o + 20000] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(params_for(body, &p, &err, &f), 0);
	gw_form_clear(&f);
}

static void
test_duration_and_packed(void **state)
{
	struct core_err err = {0};
	int d = 0;
	const char *arns[1] = {"arn:aws:iam::111122223333:policy/p"};
	char big[4096];

	(void)state;
	assert_int_equal(gw_sts_duration(0, 7200, &d, &err), 0);
	assert_int_equal(d, 3600);
	assert_int_equal(gw_sts_duration(0, 1800, &d, &err), 0);
	assert_int_equal(d, 1800);
	assert_int_equal(gw_sts_duration(7200, 7200, &d, &err), 0);
	assert_int_equal(d, 7200);
	assert_int_equal(gw_sts_duration(7201, 7200, &d, &err), -1);
	assert_string_equal(err.msg, "The requested DurationSeconds exceeds the "
			    "MaxSessionDuration set for this role.");

	memset(&err, 0, sizeof(err));
	assert_int_equal(gw_sts_packed_size(NULL, NULL, 0, 0, &err), 0);
	/* Whitespace does not count. */
	assert_int_equal(gw_sts_packed_size("{ \"a\" :  1 }", NULL, 0, 0, &err),
			 gw_sts_packed_size("{\"a\":1}", NULL, 0, 0, &err));
	assert_true(gw_sts_packed_size(NULL, arns, 1, 0, &err) > 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(gw_sts_packed_size(big, NULL, 0, 0, &err), -1);
	assert_int_equal(err.code, CORE_EPACKED_TOO_LARGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_decoding),
		cmocka_unit_test(test_form_limits),
		cmocka_unit_test(test_awi_params),
		cmocka_unit_test(test_token_newline_and_length),
		cmocka_unit_test(test_duration_and_packed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
