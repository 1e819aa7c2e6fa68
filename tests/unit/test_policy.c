/* tests/unit/test_policy.c - IAM policy grammar, matching and evaluation */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "trust/policy.h"
#include "trust/policy_int.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ASSUME "sts:AssumeRoleWithWebIdentity"

/*
 * Context spec: '|'-separated items.
 *   key=value   condition key value (repeat the key for a multi-valued key)
 *   []key       key present as an empty set
 *   @Type=value principal
 *   !action     action (default sts:AssumeRoleWithWebIdentity)
 *   ^arn        resource
 */
static struct trust_ctx *
ctx_from_spec(const char *spec)
{
	struct trust_ctx *ctx = trust_ctx_new();
	char *dup = core_xstrdup(spec != NULL ? spec : "");
	char *item = dup, *next;

	trust_ctx_set_action(ctx, ASSUME);
	for (; item != NULL; item = next) {
		char *eq;

		next = strchr(item, '|');
		if (next != NULL)
			*next++ = '\0';
		if (*item == '\0')
			continue;
		if (item[0] == '!') {
			trust_ctx_set_action(ctx, item + 1);
			continue;
		}
		if (item[0] == '^') {
			trust_ctx_set_resource(ctx, item + 1);
			continue;
		}
		if (item[0] == '[' && item[1] == ']') {
			trust_ctx_add_empty_set(ctx, item + 2);
			continue;
		}
		eq = strchr(item, '=');
		assert_non_null(eq);
		*eq = '\0';
		if (item[0] == '@')
			trust_ctx_add_principal(ctx, item + 1, eq + 1);
		else
			trust_ctx_add(ctx, item, eq + 1);
	}
	free(dup);
	return ctx;
}

static struct trust_policy *
parse_or_fail(const char *name, const char *json, enum trust_policy_kind kind)
{
	struct core_err err = {0};
	struct trust_policy *p = trust_policy_parse(json, strlen(json), kind,
						    &err);

	if (p == NULL)
		fail_msg("%s: policy rejected: %s", name, err.msg);
	return p;
}

/* Evaluate with and without a trace: both must give the same answer. */
static enum trust_decision
eval_both(const char *name, const struct trust_policy *const *ps, size_t n,
	  const struct trust_ctx *ctx)
{
	struct core_buf trace;
	enum trust_decision a, b;

	core_buf_init(&trace, 0);
	a = trust_eval(ps, n, ctx, NULL);
	b = trust_eval(ps, n, ctx, &trace);
	if (a != b)
		fail_msg("%s: decision %s without trace, %s with trace:\n%s",
			 name, trust_decision_name(a), trust_decision_name(b),
			 trace.data);
	core_buf_reset(&trace);
	return a;
}

/* ---- grammar ---- */

static void
test_grammar_reject(void **state)
{
	static const struct {
		const char *name;
		enum trust_policy_kind kind;
		const char *json;
		const char *want; /* substring of err.msg */
	} cases[] = {
	    {"not json", TRUST_KIND_TRUST, "{\"Statement\":", "Syntax error"},
	    {"duplicate member", TRUST_KIND_TRUST,
	     "{\"Statement\":[],\"Statement\":[]}", "Syntax error"},
	    {"top level array", TRUST_KIND_TRUST, "[]", "JSON object"},
	    {"unknown top element", TRUST_KIND_TRUST,
	     "{\"Statement\":[],\"Foo\":1}", "unknown policy element \"Foo\""},
	    {"bad version", TRUST_KIND_TRUST,
	     "{\"Version\":\"2020-01-01\",\"Statement\":{\"Effect\":\"Allow\","
	     "\"Principal\":\"*\",\"Action\":\"*\"}}", "Version must be"},
	    {"numeric version", TRUST_KIND_TRUST,
	     "{\"Version\":2012,\"Statement\":{\"Effect\":\"Allow\","
	     "\"Principal\":\"*\",\"Action\":\"*\"}}", "Version must be"},
	    {"no statement", TRUST_KIND_TRUST, "{\"Version\":\"2012-10-17\"}",
	     "must contain a Statement"},
	    {"statement string", TRUST_KIND_TRUST, "{\"Statement\":\"x\"}",
	     "Statement must be an object"},
	    {"statement empty", TRUST_KIND_TRUST, "{\"Statement\":[]}",
	     "1 to 256 statements"},
	    {"statement not object", TRUST_KIND_TRUST, "{\"Statement\":[1]}",
	     "Statement[0]: must be an object"},
	    {"effect missing", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Principal\":\"*\",\"Action\":\"*\"}}",
	     "Statement[0]: Effect must be Allow or Deny"},
	    {"effect lower case", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\"}}", "Effect must be Allow or Deny"},
	    {"effect second statement", TRUST_KIND_TRUST,
	     "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\"},{\"Effect\":\"Maybe\",\"Principal\":\"*\","
	     "\"Action\":\"*\"}]}",
	     "Statement[1]: Effect must be Allow or Deny"},
	    {"no action", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\"}}",
	     "exactly one of Action or NotAction"},
	    {"action and notaction", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"NotAction\":\"s3:*\"}}",
	     "exactly one of Action or NotAction"},
	    {"action number", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":5}}", "Action must be a string"},
	    {"action empty list", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":[]}}", "Action must not be empty"},
	    {"action without service", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"AssumeRole\"}}", "service:Name"},
	    {"resource and notresource", TRUST_KIND_IDENTITY,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
	     "\"Resource\":\"*\",\"NotResource\":\"*\"}}",
	     "cannot both be present"},
	    {"identity without resource", TRUST_KIND_IDENTITY,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}}",
	     "Resource or NotResource is required"},
	    {"resource not arn", TRUST_KIND_IDENTITY,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
	     "\"Resource\":\"bucket\"}}", "must be \"*\" or an ARN"},
	    {"identity with principal", TRUST_KIND_IDENTITY,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Resource\":\"*\"}}",
	     "should not specify a principal"},
	    {"identity with notprincipal", TRUST_KIND_IDENTITY,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"NotPrincipal\":\"*\","
	     "\"Action\":\"*\",\"Resource\":\"*\"}}",
	     "should not specify a principal"},
	    {"trust without principal", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}}",
	     "Principal is required"},
	    {"trust with notprincipal", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":"
	     "\"1\"},\"Action\":\"*\"}}",
	     "NotPrincipal cannot be used in a role trust policy"},
	    {"principal unknown type", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Foo\":"
	     "\"x\"},\"Action\":\"*\"}}", "unknown principal type \"Foo\""},
	    {"principal partial wildcard", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
	     "\"arn:aws:iam::*:root\"},\"Action\":\"*\"}}",
	     "partial wildcards"},
	    {"principal plain string", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"alice\","
	     "\"Action\":\"*\"}}", "Principal must be \"*\""},
	    {"principal empty object", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{},"
	     "\"Action\":\"*\"}}", "Principal must be \"*\""},
	    {"principal value number", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":1},"
	     "\"Action\":\"*\"}}", "Principal must be a string"},
	    {"unknown statement element", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Foo\":1}}",
	     "Statement[0]: unknown element \"Foo\""},
	    {"sid not string", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Sid\":1,\"Effect\":\"Allow\",\"Principal\":"
	     "\"*\",\"Action\":\"*\"}}", "Sid must be a string"},
	    {"duplicate sid", TRUST_KIND_TRUST,
	     "{\"Statement\":[{\"Sid\":\"a\",\"Effect\":\"Allow\",\"Principal\":"
	     "\"*\",\"Action\":\"*\"},{\"Sid\":\"a\",\"Effect\":\"Deny\","
	     "\"Principal\":\"*\",\"Action\":\"*\"}]}",
	     "Statement[1]: duplicate Sid \"a\""},
	    {"id in identity policy", TRUST_KIND_IDENTITY,
	     "{\"Id\":\"x\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
	     "\"*\",\"Resource\":\"*\"}}", "Id is not allowed"},
	    {"id not string", TRUST_KIND_TRUST,
	     "{\"Id\":5,\"Statement\":{\"Effect\":\"Allow\",\"Principal\":"
	     "\"*\",\"Action\":\"*\"}}", "Id must be a string"},
	    {"condition not object", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":[]}}", "Condition must be an object"},
	    {"unknown operator", TRUST_KIND_TRUST,
	     "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\"},{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"StringEquale\":{\"a\":\"b\"}}}]}",
	     "Statement[1]: unknown condition operator StringEquale"},
	    {"unknown operator suffix", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"ForAnyValue:StringEqualsX\":"
	     "{\"a\":\"b\"}}}}", "unknown condition operator"},
	    {"unknown set prefix", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"ForSomeValues:StringEquals\":"
	     "{\"a\":\"b\"}}}}", "unknown condition operator"},
	    {"null ifexists", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"NullIfExists\":{\"a\":true}}}}",
	     "Null takes no IfExists"},
	    {"forall null", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"ForAllValues:Null\":{\"a\":"
	     "true}}}}", "Null takes no IfExists"},
	    {"operator value not object", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"StringEquals\":\"x\"}}}",
	     "non-empty object"},
	    {"condition value null", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"StringEquals\":{\"a\":null}}}}",
	     "string, number or boolean"},
	    {"condition value object", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"StringEquals\":{\"a\":{}}}}}",
	     "string, number or boolean"},
	    {"condition value empty list", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"StringEquals\":{\"a\":[]}}}}",
	     "must not be empty"},
	    {"numeric bad value", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"NumericLessThan\":{\"n\":"
	     "\"ten\"}}}}", "value \"ten\" is not a number"},
	    {"numeric variable", TRUST_KIND_TRUST,
	     "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
	     "\"Principal\":\"*\",\"Action\":\"*\",\"Condition\":"
	     "{\"NumericEquals\":{\"n\":\"${x}\"}}}}", "is not a number"},
	    {"date bad value", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"DateLessThan\":{\"d\":"
	     "\"tomorrow\"}}}}", "ISO 8601"},
	    {"bool bad value", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"Bool\":{\"b\":\"yes\"}}}}",
	     "true or false"},
	    {"null bad value", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"Null\":{\"b\":1}}}}",
	     "true or false"},
	    {"binary bad base64", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"BinaryEquals\":{\"b\":"
	     "\"%%%\"}}}}", "base64"},
	    {"ip bad", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
	     "\"10.0.0.300\"}}}}", "IP address or CIDR"},
	    {"ip prefix too long", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":"
	     "\"10.0.0.0/33\"}}}}", "IP address or CIDR"},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct core_err err = {0};
		struct trust_policy *p;

		p = trust_policy_parse(cases[i].json, strlen(cases[i].json),
				       cases[i].kind, &err);
		if (p != NULL) {
			trust_policy_free(p);
			fail_msg("%s: accepted", cases[i].name);
		}
		if (err.code != CORE_EMALFORMED_POLICY)
			fail_msg("%s: code %s", cases[i].name,
				 core_code_sts(err.code));
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"",
				 cases[i].name, err.msg, cases[i].want);
	}
}

static void
test_grammar_limits(void **state)
{
	struct core_err err = {0};
	struct core_buf b;
	struct trust_policy *p;
	char *big;

	(void)state;
	/* Over TRUST_POLICY_MAX_LEN: refused before parsing. */
	big = core_xmalloc(TRUST_POLICY_MAX_LEN + 2);
	memset(big, ' ', TRUST_POLICY_MAX_LEN + 1);
	big[TRUST_POLICY_MAX_LEN + 1] = '\0';
	p = trust_policy_parse(big, TRUST_POLICY_MAX_LEN + 1,
			       TRUST_KIND_TRUST, &err);
	assert_null(p);
	assert_non_null(strstr(err.msg, "at most"));
	free(big);

	/* 257 statements. */
	core_buf_init(&b, 0);
	core_buf_puts(&b, "{\"Statement\":[");
	for (int i = 0; i <= TRUST_POLICY_MAX_STATEMENTS; i++)
		core_buf_printf(&b, "%s{\"Effect\":\"Allow\",\"Principal\":"
				"\"*\",\"Action\":\"*\"}", i ? "," : "");
	core_buf_puts(&b, "]}");
	memset(&err, 0, sizeof(err));
	p = trust_policy_parse(b.data, b.len, TRUST_KIND_TRUST, &err);
	if (p != NULL)
		fail_msg("257 statements accepted");
	assert_non_null(strstr(err.msg, "1 to 256"));
	core_buf_reset(&b);

	/* Embedded NUL inside the bounded length. */
	memset(&err, 0, sizeof(err));
	p = trust_policy_parse("{\"Statement\":\0}", 15, TRUST_KIND_TRUST,
			       &err);
	assert_null(p);
	assert_int_equal(err.code, CORE_EMALFORMED_POLICY);
}

static void
test_grammar_accept(void **state)
{
	static const struct {
		const char *name;
		enum trust_policy_kind kind;
		const char *json;
	} cases[] = {
	    {"minimal trust", TRUST_KIND_TRUST,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"sts:AssumeRoleWithWebIdentity\"}}"},
	    {"version 2008 and id", TRUST_KIND_TRUST,
	     "{\"Version\":\"2008-10-17\",\"Id\":\"x\",\"Statement\":[{\"Sid\":"
	     "\"a\",\"Effect\":\"Deny\",\"Principal\":{\"AWS\":[\"1\",\"2\"]},"
	     "\"NotAction\":[\"s3:*\"]}]}"},
	    {"identity with notresource", TRUST_KIND_IDENTITY,
	     "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	     "\"Action\":\"s3:Get*\",\"NotResource\":[\"arn:aws:s3:::x/*\"]}]}"},
	    {"every operator", TRUST_KIND_TRUST,
	     "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
	     "\"Principal\":{\"Federated\":\"accounts.google.com\"},"
	     "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{"
	     "\"StringEquals\":{\"a\":\"1\"},\"StringNotEquals\":{\"a\":2},"
	     "\"StringEqualsIgnoreCase\":{\"a\":true},"
	     "\"StringNotEqualsIgnoreCase\":{\"a\":1.5},"
	     "\"StringLike\":{\"a\":\"*\"},\"StringNotLike\":{\"a\":\"?\"},"
	     "\"NumericEquals\":{\"n\":1},\"NumericNotEquals\":{\"n\":\"2\"},"
	     "\"NumericLessThan\":{\"n\":3.25},"
	     "\"NumericLessThanEquals\":{\"n\":-4},"
	     "\"NumericGreaterThan\":{\"n\":\"5e2\"},"
	     "\"NumericGreaterThanEquals\":{\"n\":6},"
	     "\"DateEquals\":{\"d\":\"2026-01-01\"},"
	     "\"DateNotEquals\":{\"d\":1700000000},"
	     "\"DateLessThan\":{\"d\":\"2026-01-01T00:00:00Z\"},"
	     "\"DateLessThanEquals\":{\"d\":\"2026-01-01T00:00:00.5+01:00\"},"
	     "\"DateGreaterThan\":{\"d\":\"1700000000\"},"
	     "\"DateGreaterThanEquals\":{\"d\":\"2020-02-29\"},"
	     "\"Bool\":{\"b\":true},\"BinaryEquals\":{\"x\":\"AAEC\"},"
	     "\"IpAddress\":{\"ip\":[\"10.0.0.0/8\",\"2001:db8::/32\"]},"
	     "\"NotIpAddress\":{\"ip\":\"192.0.2.1\"},"
	     "\"ArnEquals\":{\"r\":\"arn:aws:iam::1:role/x\"},"
	     "\"ArnLike\":{\"r\":\"arn:aws:iam::*:role/*\"},"
	     "\"ArnNotEquals\":{\"r\":\"arn:aws:iam::1:role/y\"},"
	     "\"ArnNotLike\":{\"r\":\"arn:aws:iam::2:*\"},"
	     "\"Null\":{\"z\":\"true\"},"
	     "\"StringLikeIfExists\":{\"q\":\"x\"},"
	     "\"ForAllValues:StringEquals\":{\"t\":[\"a\"]},"
	     "\"ForAnyValue:StringLikeIfExists\":{\"t\":\"a*\"}}}}"},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct trust_policy *p = parse_or_fail(cases[i].name,
						       cases[i].json,
						       cases[i].kind);

		trust_policy_free(p);
	}
	trust_policy_free(NULL);
}

/* ---- conditions: one Allow statement whose Condition is under test ---- */

struct cond_case {
	const char *name;
	const char *version; /* NULL: no Version element */
	const char *cond;
	const char *ctx;
	int want; /* 1: statement applies (allowed) */
};

static void
run_cond_cases(const struct cond_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct trust_policy *pp[1];
		struct trust_policy *p;
		struct trust_ctx *ctx;
		enum trust_decision d;
		char *json, ver[64] = "";

		if (cases[i].version != NULL)
			snprintf(ver, sizeof(ver), "\"Version\":\"%s\",",
				 cases[i].version);
		json = core_xasprintf("{%s\"Statement\":{\"Effect\":\"Allow\","
				      "\"Principal\":\"*\",\"Action\":\"%s\","
				      "\"Condition\":%s}}", ver, ASSUME,
				      cases[i].cond);
		p = parse_or_fail(cases[i].name, json, TRUST_KIND_TRUST);
		ctx = ctx_from_spec(cases[i].ctx);
		pp[0] = p;
		d = eval_both(cases[i].name, pp, 1, ctx);
		if ((d == TRUST_ALLOW) != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].name,
				 trust_decision_name(d),
				 cases[i].want ? "allowed" : "implicitDeny");
		trust_ctx_free(ctx);
		trust_policy_free(p);
		free(json);
	}
}

#define V12 "2012-10-17"

static void
test_cond_string(void **state)
{
	static const struct cond_case cases[] = {
	    {"StringEquals match", V12, "{\"StringEquals\":{\"k\":\"v\"}}",
	     "k=v", 1},
	    {"StringEquals mismatch", V12, "{\"StringEquals\":{\"k\":\"v\"}}",
	     "k=w", 0},
	    {"StringEquals case-sensitive", V12,
	     "{\"StringEquals\":{\"k\":\"v\"}}", "k=V", 0},
	    {"StringEquals missing key", V12,
	     "{\"StringEquals\":{\"k\":\"v\"}}", "", 0},
	    {"StringEquals values OR", V12,
	     "{\"StringEquals\":{\"k\":[\"a\",\"b\"]}}", "k=b", 1},
	    {"key names case-insensitive", V12,
	     "{\"StringEquals\":{\"Accounts.Google.COM:aud\":\"x\"}}",
	     "accounts.google.com:AUD=x", 1},
	    {"StringEquals number value", V12, "{\"StringEquals\":{\"k\":5}}",
	     "k=5", 1},
	    {"StringEquals bool value", V12,
	     "{\"StringEquals\":{\"k\":true}}", "k=true", 1},
	    {"StringEquals real value", V12,
	     "{\"StringEquals\":{\"k\":0.1}}", "k=0.1", 1},
	    {"StringNotEquals differs", V12,
	     "{\"StringNotEquals\":{\"k\":\"a\"}}", "k=b", 1},
	    {"StringNotEquals equal", V12,
	     "{\"StringNotEquals\":{\"k\":\"a\"}}", "k=a", 0},
	    {"StringNotEquals missing key", V12,
	     "{\"StringNotEquals\":{\"k\":\"a\"}}", "", 1},
	    {"StringNotEquals values AND (one hit)", V12,
	     "{\"StringNotEquals\":{\"k\":[\"a\",\"b\"]}}", "k=b", 0},
	    {"StringNotEquals values AND (none hit)", V12,
	     "{\"StringNotEquals\":{\"k\":[\"a\",\"b\"]}}", "k=c", 1},
	    {"StringEqualsIgnoreCase", V12,
	     "{\"StringEqualsIgnoreCase\":{\"k\":\"v\"}}", "k=V", 1},
	    {"StringEqualsIgnoreCase mismatch", V12,
	     "{\"StringEqualsIgnoreCase\":{\"k\":\"v\"}}", "k=w", 0},
	    {"StringNotEqualsIgnoreCase", V12,
	     "{\"StringNotEqualsIgnoreCase\":{\"k\":\"v\"}}", "k=V", 0},
	    {"StringNotEqualsIgnoreCase missing", V12,
	     "{\"StringNotEqualsIgnoreCase\":{\"k\":\"v\"}}", "", 1},
	    {"StringLike star", V12, "{\"StringLike\":{\"k\":\"a*\"}}",
	     "k=abc", 1},
	    {"StringLike question", V12, "{\"StringLike\":{\"k\":\"a?c\"}}",
	     "k=abc", 1},
	    {"StringLike question one char", V12,
	     "{\"StringLike\":{\"k\":\"a?c\"}}", "k=abbc", 0},
	    {"StringLike case-sensitive", V12,
	     "{\"StringLike\":{\"k\":\"A*\"}}", "k=abc", 0},
	    {"StringLike missing", V12, "{\"StringLike\":{\"k\":\"*\"}}", "",
	     0},
	    {"StringNotLike no match", V12,
	     "{\"StringNotLike\":{\"k\":\"a*\"}}", "k=bcd", 1},
	    {"StringNotLike match", V12, "{\"StringNotLike\":{\"k\":\"a*\"}}",
	     "k=abc", 0},
	    {"StringNotLike missing", V12,
	     "{\"StringNotLike\":{\"k\":\"a*\"}}", "", 1},
	    {"StringNotLike values AND", V12,
	     "{\"StringNotLike\":{\"k\":[\"x*\",\"a*\"]}}", "k=abc", 0},
	    {"StringEqualsIfExists absent", V12,
	     "{\"StringEqualsIfExists\":{\"k\":\"v\"}}", "", 1},
	    {"StringEqualsIfExists present mismatch", V12,
	     "{\"StringEqualsIfExists\":{\"k\":\"v\"}}", "k=w", 0},
	    {"StringEqualsIfExists present match", V12,
	     "{\"StringEqualsIfExists\":{\"k\":\"v\"}}", "k=v", 1},
	    {"StringNotEqualsIfExists present equal", V12,
	     "{\"StringNotEqualsIfExists\":{\"k\":\"v\"}}", "k=v", 0},
	    {"keys AND both", V12,
	     "{\"StringEquals\":{\"a\":\"1\",\"b\":\"2\"}}", "a=1|b=2", 1},
	    {"keys AND one fails", V12,
	     "{\"StringEquals\":{\"a\":\"1\",\"b\":\"2\"}}", "a=1|b=3", 0},
	    {"operators AND both", V12,
	     "{\"StringEquals\":{\"a\":\"1\"},\"StringLike\":{\"b\":\"x*\"}}",
	     "a=1|b=xy", 1},
	    {"operators AND one fails", V12,
	     "{\"StringEquals\":{\"a\":\"1\"},\"StringLike\":{\"b\":\"x*\"}}",
	     "a=1|b=y", 0},
	};

	(void)state;
	run_cond_cases(cases, NELEM(cases));
}

static void
test_cond_numeric_date_bool(void **state)
{
	static const struct cond_case cases[] = {
	    {"NumericEquals", V12, "{\"NumericEquals\":{\"n\":10}}", "n=10", 1},
	    {"NumericEquals decimal", V12, "{\"NumericEquals\":{\"n\":10}}",
	     "n=10.0", 1},
	    {"NumericEquals mismatch", V12, "{\"NumericEquals\":{\"n\":10}}",
	     "n=11", 0},
	    {"NumericEquals not a number", V12,
	     "{\"NumericEquals\":{\"n\":10}}", "n=ten", 0},
	    {"NumericEquals missing", V12, "{\"NumericEquals\":{\"n\":10}}", "",
	     0},
	    {"NumericNotEquals differs", V12,
	     "{\"NumericNotEquals\":{\"n\":\"10\"}}", "n=11", 1},
	    {"NumericNotEquals equal", V12,
	     "{\"NumericNotEquals\":{\"n\":\"10\"}}", "n=10", 0},
	    {"NumericNotEquals missing", V12,
	     "{\"NumericNotEquals\":{\"n\":\"10\"}}", "", 1},
	    {"NumericLessThan below", V12,
	     "{\"NumericLessThan\":{\"n\":10}}", "n=9", 1},
	    {"NumericLessThan equal", V12,
	     "{\"NumericLessThan\":{\"n\":10}}", "n=10", 0},
	    {"NumericLessThan negative decimal", V12,
	     "{\"NumericLessThan\":{\"n\":10}}", "n=-1.5", 1},
	    {"NumericLessThanEquals equal", V12,
	     "{\"NumericLessThanEquals\":{\"n\":10}}", "n=10", 1},
	    {"NumericLessThanEquals above", V12,
	     "{\"NumericLessThanEquals\":{\"n\":10}}", "n=10.01", 0},
	    {"NumericGreaterThan above", V12,
	     "{\"NumericGreaterThan\":{\"n\":1.5}}", "n=2", 1},
	    {"NumericGreaterThan equal", V12,
	     "{\"NumericGreaterThan\":{\"n\":1.5}}", "n=1.5", 0},
	    {"NumericGreaterThanEquals equal", V12,
	     "{\"NumericGreaterThanEquals\":{\"n\":\"1.5\"}}", "n=1.5", 1},
	    {"NumericGreaterThanEquals below", V12,
	     "{\"NumericGreaterThanEquals\":{\"n\":\"1.5\"}}", "n=1.4", 0},
	    {"NumericEqualsIfExists absent", V12,
	     "{\"NumericEqualsIfExists\":{\"n\":1}}", "", 1},
	    {"DateLessThan before", V12,
	     "{\"DateLessThan\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00Z\"}}",
	     "aws:CurrentTime=2025-12-31T23:59:59Z", 1},
	    {"DateLessThan equal", V12,
	     "{\"DateLessThan\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00Z\"}}",
	     "aws:CurrentTime=2026-01-01T00:00:00Z", 0},
	    {"DateGreaterThan epoch policy", V12,
	     "{\"DateGreaterThan\":{\"t\":1700000000}}",
	     "t=2024-01-01T00:00:00Z", 1},
	    {"DateEquals iso vs epoch", V12,
	     "{\"DateEquals\":{\"t\":\"2026-01-01T00:00:00Z\"}}",
	     "t=1767225600", 1},
	    {"DateEquals offset", V12,
	     "{\"DateEquals\":{\"t\":\"2026-01-01T01:00:00+01:00\"}}",
	     "t=2026-01-01T00:00:00Z", 1},
	    {"DateNotEquals differs", V12,
	     "{\"DateNotEquals\":{\"t\":\"2026-01-01\"}}", "t=2026-01-02", 1},
	    {"DateNotEquals missing", V12,
	     "{\"DateNotEquals\":{\"t\":\"2026-01-01\"}}", "", 1},
	    {"DateLessThanEquals equal", V12,
	     "{\"DateLessThanEquals\":{\"t\":\"2026-01-01\"}}",
	     "t=2026-01-01T00:00:00Z", 1},
	    {"DateGreaterThanEquals equal", V12,
	     "{\"DateGreaterThanEquals\":{\"t\":\"2026-01-01\"}}",
	     "t=1767225600", 1},
	    {"DateGreaterThanEquals before", V12,
	     "{\"DateGreaterThanEquals\":{\"t\":\"2026-01-01\"}}",
	     "t=1767225599", 0},
	    {"Date bad request value", V12,
	     "{\"DateLessThan\":{\"t\":\"2026-01-01\"}}", "t=yesterday", 0},
	    {"Bool true", V12, "{\"Bool\":{\"b\":\"true\"}}", "b=true", 1},
	    {"Bool json true", V12, "{\"Bool\":{\"b\":true}}", "b=true", 1},
	    {"Bool mismatch", V12, "{\"Bool\":{\"b\":true}}", "b=false", 0},
	    {"Bool case-insensitive", V12, "{\"Bool\":{\"b\":\"true\"}}",
	     "b=TRUE", 1},
	    {"Bool garbage request", V12, "{\"Bool\":{\"b\":\"false\"}}",
	     "b=no", 0},
	    {"Bool missing", V12, "{\"Bool\":{\"b\":\"false\"}}", "", 0},
	    {"BoolIfExists missing", V12, "{\"BoolIfExists\":{\"b\":false}}",
	     "", 1},
	    {"BinaryEquals match", V12,
	     "{\"BinaryEquals\":{\"x\":\"QmluYXJ5VmFsdWU=\"}}",
	     "x=QmluYXJ5VmFsdWU=", 1},
	    {"BinaryEquals mismatch", V12,
	     "{\"BinaryEquals\":{\"x\":\"QmluYXJ5VmFsdWU=\"}}", "x=QmluYXJ5",
	     0},
	    {"BinaryEquals bad request base64", V12,
	     "{\"BinaryEquals\":{\"x\":\"QmluYXJ5VmFsdWU=\"}}", "x=***", 0},
	};

	(void)state;
	run_cond_cases(cases, NELEM(cases));
}

static void
test_cond_ip_arn_null(void **state)
{
	static const struct cond_case cases[] = {
	    {"IpAddress in v4 cidr", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
	     "aws:SourceIp=203.0.113.7", 1},
	    {"IpAddress outside v4 cidr", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
	     "aws:SourceIp=203.0.114.1", 0},
	    {"IpAddress odd prefix", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/9\"}}",
	     "aws:SourceIp=10.127.255.255", 1},
	    {"IpAddress odd prefix outside", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/9\"}}",
	     "aws:SourceIp=10.128.0.0", 0},
	    {"IpAddress bare = /32", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.7\"}}",
	     "aws:SourceIp=203.0.113.8", 0},
	    {"IpAddress v6", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}",
	     "aws:SourceIp=2001:db8:1::1", 1},
	    {"IpAddress v6 bare = /128", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::1\"}}",
	     "aws:SourceIp=2001:db8::2", 0},
	    {"IpAddress family mismatch", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}",
	     "aws:SourceIp=2001:db8::1", 0},
	    {"IpAddress v4-mapped request", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
	     "aws:SourceIp=::ffff:203.0.113.9", 1},
	    {"IpAddress /0", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}",
	     "aws:SourceIp=198.51.100.1", 1},
	    {"IpAddress garbage request", V12,
	     "{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}",
	     "aws:SourceIp=localhost", 0},
	    {"NotIpAddress outside", V12,
	     "{\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}",
	     "aws:SourceIp=192.0.2.1", 1},
	    {"NotIpAddress inside", V12,
	     "{\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}",
	     "aws:SourceIp=10.1.2.3", 0},
	    {"NotIpAddress missing", V12,
	     "{\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}", "", 1},
	    {"NotIpAddress values AND", V12,
	     "{\"NotIpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\","
	     "\"192.0.2.0/24\"]}}", "aws:SourceIp=192.0.2.5", 0},
	    {"ArnLike match", V12,
	     "{\"ArnLike\":{\"r\":\"arn:aws:iam::*:role/dev-*\"}}",
	     "r=arn:aws:iam::123456789012:role/dev-x", 1},
	    {"ArnLike mismatch", V12,
	     "{\"ArnLike\":{\"r\":\"arn:aws:iam::*:role/dev-*\"}}",
	     "r=arn:aws:iam::123456789012:role/prod", 0},
	    {"ArnEquals wildcards like ArnLike", V12,
	     "{\"ArnEquals\":{\"r\":\"arn:aws:iam::12345678901?:role/*\"}}",
	     "r=arn:aws:iam::123456789012:role/a/b", 1},
	    {"ArnLike star stays in its segment", V12,
	     "{\"ArnLike\":{\"r\":\"arn:aws:iam::*:role/x\"}}",
	     "r=arn:aws:iam::1:2:role/x", 0},
	    {"ArnLike not an arn", V12,
	     "{\"ArnLike\":{\"r\":\"arn:aws:iam::*:*\"}}", "r=hello", 0},
	    {"ArnNotLike matching", V12,
	     "{\"ArnNotLike\":{\"r\":\"arn:aws:iam::1:*\"}}",
	     "r=arn:aws:iam::1:role/a", 0},
	    {"ArnNotLike other", V12,
	     "{\"ArnNotLike\":{\"r\":\"arn:aws:iam::1:*\"}}",
	     "r=arn:aws:iam::2:role/a", 1},
	    {"ArnNotLike missing", V12,
	     "{\"ArnNotLike\":{\"r\":\"arn:aws:iam::1:*\"}}", "", 1},
	    {"ArnNotEquals values AND", V12,
	     "{\"ArnNotEquals\":{\"r\":[\"arn:aws:iam::1:role/a\","
	     "\"arn:aws:iam::1:role/b\"]}}", "r=arn:aws:iam::1:role/b", 0},
	    {"Null true absent", V12, "{\"Null\":{\"k\":\"true\"}}", "", 1},
	    {"Null true present", V12, "{\"Null\":{\"k\":\"true\"}}", "k=v", 0},
	    {"Null false present", V12, "{\"Null\":{\"k\":false}}", "k=v", 1},
	    {"Null false absent", V12, "{\"Null\":{\"k\":false}}", "", 0},
	    {"Null true empty set", V12, "{\"Null\":{\"k\":true}}", "[]k", 1},
	};

	(void)state;
	run_cond_cases(cases, NELEM(cases));
}

static void
test_cond_sets(void **state)
{
	static const struct cond_case cases[] = {
	    {"ForAnyValue one matches", V12,
	     "{\"ForAnyValue:StringEquals\":{\"amr\":\"authenticated\"}}",
	     "amr=unauthenticated|amr=authenticated", 1},
	    {"ForAnyValue none matches", V12,
	     "{\"ForAnyValue:StringEquals\":{\"amr\":\"authenticated\"}}",
	     "amr=x|amr=y", 0},
	    {"ForAnyValue absent", V12,
	     "{\"ForAnyValue:StringEquals\":{\"amr\":\"authenticated\"}}", "",
	     0},
	    {"ForAnyValue empty set", V12,
	     "{\"ForAnyValue:StringEquals\":{\"amr\":\"authenticated\"}}",
	     "[]amr", 0},
	    {"ForAnyValue IfExists absent", V12,
	     "{\"ForAnyValue:StringEqualsIfExists\":{\"amr\":\"a\"}}", "", 1},
	    {"ForAllValues all in", V12,
	     "{\"ForAllValues:StringEquals\":{\"tags\":[\"a\",\"b\"]}}",
	     "tags=a|tags=b", 1},
	    {"ForAllValues one out", V12,
	     "{\"ForAllValues:StringEquals\":{\"tags\":[\"a\",\"b\"]}}",
	     "tags=a|tags=c", 0},
	    {"ForAllValues absent", V12,
	     "{\"ForAllValues:StringEquals\":{\"tags\":[\"a\",\"b\"]}}", "",
	     1},
	    {"ForAllValues empty set", V12,
	     "{\"ForAllValues:StringEquals\":{\"tags\":[\"a\",\"b\"]}}",
	     "[]tags", 1},
	    {"ForAllValues StringLike", V12,
	     "{\"ForAllValues:StringLike\":{\"tags\":\"team-*\"}}",
	     "tags=team-a|tags=team-b", 1},
	    {"ForAllValues StringNotEquals one forbidden", V12,
	     "{\"ForAllValues:StringNotEquals\":{\"tags\":\"admin\"}}",
	     "tags=dev|tags=admin", 0},
	    {"ForAnyValue StringNotEquals", V12,
	     "{\"ForAnyValue:StringNotEquals\":{\"tags\":\"admin\"}}",
	     "tags=dev|tags=admin", 1},
	    {"multi-valued without prefix = ForAnyValue", V12,
	     "{\"StringEquals\":{\"amr\":\"authenticated\"}}",
	     "amr=unauthenticated|amr=authenticated", 1},
	    {"multi-valued without prefix, none", V12,
	     "{\"StringEquals\":{\"amr\":\"authenticated\"}}",
	     "amr=unauthenticated|amr=x", 0},
	    {"negated multi-valued without prefix", V12,
	     "{\"StringNotEquals\":{\"amr\":\"a\"}}", "amr=a|amr=a", 0},
	    {"empty set without prefix", V12,
	     "{\"StringEquals\":{\"amr\":\"a\"}}", "[]amr", 0},
	    {"ForAnyValue numeric", V12,
	     "{\"ForAnyValue:NumericGreaterThan\":{\"n\":5}}", "n=1|n=9", 1},
	};

	(void)state;
	run_cond_cases(cases, NELEM(cases));
}

static void
test_cond_variables(void **state)
{
	static const struct cond_case cases[] = {
	    {"variable match", V12,
	     "{\"StringEquals\":{\"k\":\"${aws:username}\"}}",
	     "k=alice|aws:username=alice", 1},
	    {"variable mismatch", V12,
	     "{\"StringEquals\":{\"k\":\"${aws:username}\"}}",
	     "k=alice|aws:username=bob", 0},
	    {"variable name case-insensitive", V12,
	     "{\"StringEquals\":{\"k\":\"u-${AWS:UserName}\"}}",
	     "k=u-alice|aws:username=alice", 1},
	    {"variable missing", V12,
	     "{\"StringEquals\":{\"k\":\"${aws:username}\"}}", "k=", 0},
	    {"variable missing, negated", V12,
	     "{\"StringNotEquals\":{\"k\":\"${aws:username}\"}}", "k=x", 1},
	    {"variable missing, one of two values", V12,
	     "{\"StringEquals\":{\"k\":[\"${nope}\",\"x\"]}}", "k=x", 1},
	    {"default used", V12,
	     "{\"StringEquals\":{\"k\":\"${aws:username, 'nobody'}\"}}",
	     "k=nobody", 1},
	    {"default not used", V12,
	     "{\"StringEquals\":{\"k\":\"${aws:username, 'nobody'}\"}}",
	     "k=nobody|aws:username=bob", 0},
	    {"empty default", V12,
	     "{\"StringEquals\":{\"k\":\"a${x, ''}b\"}}", "k=ab", 1},
	    {"escape star equals", V12,
	     "{\"StringEquals\":{\"k\":\"a${*}b\"}}", "k=a*b", 1},
	    {"escape star not wildcard in equals", V12,
	     "{\"StringEquals\":{\"k\":\"a${*}b\"}}", "k=axb", 0},
	    {"escape star not wildcard in like", V12,
	     "{\"StringLike\":{\"k\":\"a${*}\"}}", "k=abc", 0},
	    {"escape star literal in like", V12,
	     "{\"StringLike\":{\"k\":\"a${*}\"}}", "k=a*", 1},
	    {"escape question literal in like", V12,
	     "{\"StringLike\":{\"k\":\"${?}\"}}", "k=x", 0},
	    {"escape question matches itself", V12,
	     "{\"StringLike\":{\"k\":\"${?}\"}}", "k=?", 1},
	    {"escape dollar", V12, "{\"StringEquals\":{\"k\":\"${$}{x}\"}}",
	     "k=${x}|x=1", 1},
	    {"variable value is literal in like", V12,
	     "{\"StringLike\":{\"k\":\"pre-${v}\"}}", "v=*|k=pre-anything", 0},
	    {"variable value star matches itself", V12,
	     "{\"StringLike\":{\"k\":\"pre-${v}\"}}", "v=*|k=pre-*", 1},
	    {"like wildcard around variable", V12,
	     "{\"StringLike\":{\"k\":\"*/${v}/*\"}}", "v=me|k=a/me/b", 1},
	    {"multi-valued key is no variable", V12,
	     "{\"StringEquals\":{\"k\":\"${v}\"}}", "v=a|v=b|k=a", 0},
	    {"backslash in like is literal", V12,
	     "{\"StringLike\":{\"k\":\"a\\\\*\"}}", "k=a\\bc", 1},
	    {"unterminated variable is literal", V12,
	     "{\"StringEquals\":{\"k\":\"${abc\"}}", "k=${abc", 1},
	    {"ArnLike with variable", V12,
	     "{\"ArnLike\":{\"r\":\"arn:aws:iam::${acct}:role/*\"}}",
	     "acct=123|r=arn:aws:iam::123:role/x", 1},
	    {"ArnLike variable colon stays in segment", V12,
	     "{\"ArnLike\":{\"r\":\"arn:aws:iam::${acct}:role/x\"}}",
	     "acct=1:2|r=arn:aws:iam::1:2:role/x", 0},
	    {"Version 2008 variable literal", "2008-10-17",
	     "{\"StringEquals\":{\"k\":\"${aws:username}\"}}",
	     "k=${aws:username}", 1},
	    {"Version 2008 no expansion", "2008-10-17",
	     "{\"StringEquals\":{\"k\":\"${aws:username}\"}}",
	     "k=alice|aws:username=alice", 0},
	    {"no Version variable literal", NULL,
	     "{\"StringEquals\":{\"k\":\"${aws:username}\"}}",
	     "k=alice|aws:username=alice", 0},
	};

	(void)state;
	run_cond_cases(cases, NELEM(cases));
}

/* ---- statement elements and decisions ---- */

struct eval_case {
	const char *name;
	enum trust_policy_kind kind;
	const char *json;
	const char *ctx;
	enum trust_decision want;
};

static void
run_eval_cases(const struct eval_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct trust_policy *pp[1];
		struct trust_policy *p;
		struct trust_ctx *ctx;
		enum trust_decision d;

		p = parse_or_fail(cases[i].name, cases[i].json, cases[i].kind);
		ctx = ctx_from_spec(cases[i].ctx);
		pp[0] = p;
		d = eval_both(cases[i].name, pp, 1, ctx);
		if (d != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].name,
				 trust_decision_name(d),
				 trust_decision_name(cases[i].want));
		trust_ctx_free(ctx);
		trust_policy_free(p);
	}
}

#define TP(princ)                                                         \
	"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","   \
	"\"Principal\":" princ ",\"Action\":\"" ASSUME "\"}}"
#define AL TRUST_ALLOW
#define ID TRUST_IMPLICIT_DENY
#define ED TRUST_EXPLICIT_DENY
#define KT TRUST_KIND_TRUST
#define KI TRUST_KIND_IDENTITY

static void
test_principal(void **state)
{
	static const struct eval_case cases[] = {
	    {"star, no principal", KT, TP("\"*\""), "", AL},
	    {"federated match", KT, TP("{\"Federated\":\"accounts.google.com\"}"),
	     "@Federated=accounts.google.com", AL},
	    {"federated other", KT, TP("{\"Federated\":\"accounts.google.com\"}"),
	     "@Federated=cognito-identity.amazonaws.com", ID},
	    {"federated none", KT, TP("{\"Federated\":\"accounts.google.com\"}"),
	     "", ID},
	    {"type must match", KT, TP("{\"Federated\":\"accounts.google.com\"}"),
	     "@AWS=accounts.google.com", ID},
	    {"federated list", KT, TP("{\"Federated\":[\"a\",\"b\"]}"),
	     "@Federated=b", AL},
	    {"federated provider arn", KT,
	     TP("{\"Federated\":\"arn:aws:iam::111122223333:oidc-provider/"
		"127.0.0.1:9000/oidc\"}"),
	     "@Federated=arn:aws:iam::111122223333:oidc-provider/127.0.0.1:9000/"
	     "oidc", AL},
	    {"aws account id", KT, TP("{\"AWS\":\"111122223333\"}"),
	     "@AWS=arn:aws:iam::111122223333:user/alice", AL},
	    {"aws account id other account", KT, TP("{\"AWS\":\"111122223333\"}"),
	     "@AWS=arn:aws:iam::444455556666:user/alice", ID},
	    {"aws root arn", KT, TP("{\"AWS\":\"arn:aws:iam::111122223333:root\"}"),
	     "@AWS=arn:aws:sts::111122223333:assumed-role/r/s", AL},
	    {"aws root arn vs bare account", KT,
	     TP("{\"AWS\":\"arn:aws:iam::111122223333:root\"}"),
	     "@AWS=111122223333", AL},
	    {"aws user arn exact", KT,
	     TP("{\"AWS\":\"arn:aws:iam::111122223333:user/alice\"}"),
	     "@AWS=arn:aws:iam::111122223333:user/alice", AL},
	    {"aws user arn other user", KT,
	     TP("{\"AWS\":\"arn:aws:iam::111122223333:user/alice\"}"),
	     "@AWS=arn:aws:iam::111122223333:user/bob", ID},
	    {"aws user name case-sensitive", KT,
	     TP("{\"AWS\":\"arn:aws:iam::111122223333:user/alice\"}"),
	     "@AWS=arn:aws:iam::111122223333:user/Alice", ID},
	    {"aws star matches any type", KT, TP("{\"AWS\":\"*\"}"),
	     "@Federated=x", AL},
	    {"service", KT, TP("{\"Service\":\"ec2.amazonaws.com\"}"),
	     "@Service=ec2.amazonaws.com", AL},
	    {"federated star", KT, TP("{\"Federated\":\"*\"}"), "@Federated=x",
	     AL},
	    {"federated star wrong type", KT, TP("{\"Federated\":\"*\"}"),
	     "@AWS=111122223333", ID},
	    {"two principal types", KT,
	     TP("{\"AWS\":\"111122223333\",\"Federated\":\"x\"}"),
	     "@Federated=x", AL},
	    {"one of several request identities", KT,
	     TP("{\"Federated\":\"x\"}"), "@AWS=1|@Federated=y|@Federated=x",
	     AL},
	};

	(void)state;
	run_eval_cases(cases, NELEM(cases));
}

#define TA(act)                                                           \
	"{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","          \
	"\"Action\":" act "}}"
#define TNA(act)                                                          \
	"{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","          \
	"\"NotAction\":" act "}}"

static void
test_action(void **state)
{
	static const struct eval_case cases[] = {
	    {"exact", KT, TA("\"" ASSUME "\""), "", AL},
	    {"case-insensitive", KT, TA("\"STS:assumerolewithwebidentity\""), "",
	     AL},
	    {"prefix star", KT, TA("\"sts:AssumeRole*\""),
	     "!sts:AssumeRoleWithSAML", AL},
	    {"question", KT, TA("\"sts:AssumeRol?\""), "!sts:AssumeRole", AL},
	    {"question needs a char", KT, TA("\"sts:AssumeRole?\""),
	     "!sts:AssumeRole", ID},
	    {"middle star", KT, TA("\"iam:*AccessKey*\""),
	     "!iam:CreateAccessKeyPair", AL},
	    {"service star other service", KT, TA("\"sts:*\""), "!iam:GetUser",
	     ID},
	    {"star", KT, TA("\"*\""), "!anything:AtAll", AL},
	    {"list", KT, TA("[\"s3:GetObject\",\"sts:Assume*\"]"), "", AL},
	    {"list no match", KT, TA("[\"s3:GetObject\",\"sts:TagSession\"]"),
	     "", ID},
	    {"no action in request", KT, TA("\"sts:*\""), "!", ID},
	    {"NotAction other", KT, TNA("\"sts:TagSession\""), "", AL},
	    {"NotAction listed", KT, TNA("\"sts:TagSession\""),
	     "!sts:TagSession", ID},
	    {"NotAction wildcard ci", KT, TNA("[\"s3:*\",\"sts:Tag*\"]"),
	     "!STS:TAGSESSION", ID},
	};

	(void)state;
	run_eval_cases(cases, NELEM(cases));
}

#define IR(res)                                                           \
	"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","   \
	"\"Action\":\"*\",\"Resource\":" res "}}"
#define INR(res)                                                          \
	"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","   \
	"\"Action\":\"*\",\"NotResource\":" res "}}"

static void
test_resource(void **state)
{
	static const struct eval_case cases[] = {
	    {"object star spans slash", KI, IR("\"arn:aws:s3:::bucket/*\""),
	     "^arn:aws:s3:::bucket/a/b", AL},
	    {"bucket itself not under /*", KI, IR("\"arn:aws:s3:::bucket/*\""),
	     "^arn:aws:s3:::bucket", ID},
	    {"resource star spans colon", KI, IR("\"arn:aws:s3:::*\""),
	     "^arn:aws:s3:::x:y", AL},
	    {"account star", KI, IR("\"arn:aws:iam::*:role/x\""),
	     "^arn:aws:iam::123:role/x", AL},
	    {"account question", KI, IR("\"arn:aws:iam::12?:role/x\""),
	     "^arn:aws:iam::123:role/x", AL},
	    {"account question length", KI, IR("\"arn:aws:iam::12?:role/x\""),
	     "^arn:aws:iam::1234:role/x", ID},
	    {"region wildcard", KI, IR("\"arn:aws:*:us-east-1:*:*\""),
	     "^arn:aws:sqs:us-east-1:1:q", AL},
	    {"region mismatch", KI, IR("\"arn:aws:*:us-east-1:*:*\""),
	     "^arn:aws:sqs:eu-west-1:1:q", ID},
	    {"partition wildcard", KI, IR("\"arn:a*:s3:::b\""),
	     "^arn:aws:s3:::b", AL},
	    {"star does not cross segments", KI, IR("\"arn:aws:s3*\""),
	     "^arn:aws:s3:::b", ID},
	    {"too few segments", KI, IR("\"arn:aws:iam::*\""),
	     "^arn:aws:iam::1:role/x", ID},
	    {"case-sensitive", KI, IR("\"arn:aws:s3:::Bucket/*\""),
	     "^arn:aws:s3:::bucket/x", ID},
	    {"star, no resource", KI, IR("\"*\""), "", AL},
	    {"arn, no resource", KI, IR("\"arn:aws:s3:::b\""), "", ID},
	    {"list", KI, IR("[\"arn:aws:s3:::a\",\"arn:aws:s3:::b\"]"),
	     "^arn:aws:s3:::b", AL},
	    {"NotResource other", KI, INR("\"arn:aws:s3:::secret/*\""),
	     "^arn:aws:s3:::public/x", AL},
	    {"NotResource listed", KI, INR("\"arn:aws:s3:::secret/*\""),
	     "^arn:aws:s3:::secret/x", ID},
	    {"variable", KI, IR("\"arn:aws:s3:::home/${aws:username}/*\""),
	     "aws:username=alice|^arn:aws:s3:::home/alice/f", AL},
	    {"variable other user", KI,
	     IR("\"arn:aws:s3:::home/${aws:username}/*\""),
	     "aws:username=alice|^arn:aws:s3:::home/bob/f", ID},
	    {"variable missing matches nothing", KI,
	     IR("\"arn:aws:s3:::home/${aws:username}/*\""),
	     "^arn:aws:s3:::home/alice/f", ID},
	    {"variable default", KI,
	     IR("\"arn:aws:s3:::home/${aws:username, 'shared'}/*\""),
	     "^arn:aws:s3:::home/shared/f", AL},
	    {"escape star literal", KI, IR("\"arn:aws:s3:::b/${*}\""),
	     "^arn:aws:s3:::b/x", ID},
	    {"escape star itself", KI, IR("\"arn:aws:s3:::b/${*}\""),
	     "^arn:aws:s3:::b/*", AL},
	    {"trust policy without Resource", KT, TA("\"*\""),
	     "^arn:aws:iam::1:role/r", AL},
	};

	(void)state;
	run_eval_cases(cases, NELEM(cases));
}

static void
test_decisions(void **state)
{
	static const struct eval_case cases[] = {
	    {"deny wins in one policy", KT,
	     "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":\"*\","
	     "\"Action\":\"sts:*\"}]}", "", ED},
	    {"deny first still wins", KT,
	     "{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\","
	     "\"Action\":\"sts:*\"},{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\"}]}", "", ED},
	    {"deny not applicable", KT,
	     "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":\"*\","
	     "\"Action\":\"s3:*\"}]}", "", AL},
	    {"only deny, not applicable: implicit deny", KT,
	     "{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":\"*\","
	     "\"Action\":\"s3:*\"}}", "", ID},
	    {"nothing matches: implicit deny", KT,
	     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":"
	     "\"x\"},\"Action\":\"*\"}}", "@Federated=y", ID},
	    {"deny with NotEqualsIfExists, key missing", KT,
	     "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"StringNotEqualsIfExists\":"
	     "{\"k\":\"v\"}}}]}", "", ED},
	    {"deny with NotEquals, key matches", KT,
	     "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
	     "\"Action\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":\"*\","
	     "\"Action\":\"*\",\"Condition\":{\"StringNotEquals\":"
	     "{\"k\":\"v\"}}}]}", "k=v", AL},
	};
	struct trust_policy *a, *d;
	const struct trust_policy *pp[2];
	struct trust_ctx *ctx;
	static const char allow[] =
	    "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
	    "\"Action\":\"*\"}}";
	static const char deny[] =
	    "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"sts:*\","
	    "\"Resource\":\"*\"}}";

	(void)state;
	run_eval_cases(cases, NELEM(cases));

	/* Deny in a second policy wins over an Allow in the first. */
	a = parse_or_fail("two policies allow", allow, KT);
	d = parse_or_fail("two policies deny", deny, KI);
	ctx = ctx_from_spec("");
	pp[0] = a;
	pp[1] = d;
	assert_int_equal(eval_both("two policies", pp, 2, ctx), ED);
	assert_int_equal(eval_both("first policy only", pp, 1, ctx), AL);
	assert_int_equal(trust_eval(pp, 0, ctx, NULL), ID);
	assert_int_equal(trust_eval(NULL, 0, ctx, NULL), ID);
	trust_ctx_free(ctx);
	trust_policy_free(a);
	trust_policy_free(d);
	assert_string_equal(trust_decision_name(TRUST_ALLOW), "allowed");
	assert_string_equal(trust_decision_name(TRUST_EXPLICIT_DENY),
			    "explicitDeny");
	assert_string_equal(trust_decision_name(TRUST_IMPLICIT_DENY),
			    "implicitDeny");
}

/* ---- trace ---- */

static void
test_trace(void **state)
{
	static const char json[] =
	    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":"
	    "\"AllowGoogle\",\"Effect\":\"Allow\",\"Principal\":{\"Federated\":"
	    "\"accounts.google.com\"},\"Action\":\"" ASSUME "\",\"Condition\":"
	    "{\"StringEquals\":{\"accounts.google.com:aud\":\"y\"}}},"
	    "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
	    "\"Condition\":{\"StringNotLike\":{\"k\":[\"a*\",\"b\"]}}},"
	    "{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"other\"},"
	    "\"Action\":\"*\"},"
	    "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":\"sts:*\"},"
	    "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\","
	    "\"Condition\":{\"ForAnyValue:StringEquals\":{\"amr\":\"z\"}}}]}";
	static const struct {
		const char *name;
		const char *ctx;
		const char *want;
	} cases[] = {
	    {"matched", "@Federated=accounts.google.com|"
			"accounts.google.com:aud=y|k=abc",
	     "Statement[0] (Sid \"AllowGoogle\"): Allow \xe2\x80\x94 matched\n"},
	    {"condition value", "@Federated=accounts.google.com|"
				"accounts.google.com:aud=x|k=abc",
	     "Statement[0] (Sid \"AllowGoogle\"): Allow \xe2\x80\x94 not "
	     "applicable: condition StringEquals accounts.google.com:aud: "
	     "request value \"x\" does not match [\"y\"]\n"},
	    {"condition absent", "@Federated=accounts.google.com|k=abc",
	     "accounts.google.com:aud: key not present in request"},
	    {"negated", "k=abc",
	     "Statement[1]: Deny \xe2\x80\x94 not applicable: condition "
	     "StringNotLike k: request value \"abc\" matches [\"a*\",\"b\"]\n"},
	    {"deny matched", "k=zzz",
	     "Statement[1]: Deny \xe2\x80\x94 matched\n"},
	    {"principal", "@Federated=accounts.google.com|k=a",
	     "Statement[2]: Allow \xe2\x80\x94 not applicable: principal does "
	     "not match (request: Federated \"accounts.google.com\")\n"},
	    {"notaction", "k=a",
	     "Statement[3]: Allow \xe2\x80\x94 not applicable: action \""
	     ASSUME "\" is excluded by NotAction\n"},
	    {"multi-valued", "k=a|amr=p|amr=q",
	     "condition ForAnyValue:StringEquals amr: request values "
	     "[\"p\",\"q\"] do not match [\"z\"]\n"},
	    {"value escaped", "k=a|amr=\"\n",
	     "request value \"\\\"\\u000a\" does not match"},
	};
	struct trust_policy *p = parse_or_fail("trace", json, KT);
	const struct trust_policy *pp[1] = {p};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct trust_ctx *ctx = ctx_from_spec(cases[i].ctx);
		struct core_buf trace;

		core_buf_init(&trace, 0);
		(void)eval_both(cases[i].name, pp, 1, ctx);
		(void)trust_eval(pp, 1, ctx, &trace);
		if (trace.data == NULL || strstr(trace.data, cases[i].want) ==
						  NULL)
			fail_msg("%s: trace lacks \"%s\":\n%s", cases[i].name,
				 cases[i].want,
				 trace.data != NULL ? trace.data : "");
		core_buf_reset(&trace);
		trust_ctx_free(ctx);
	}
	trust_policy_free(p);
}

/* A capped trace buffer must not break the decision. */
static void
test_trace_capped(void **state)
{
	static const char json[] =
	    "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":"
	    "\"x\"},\"Action\":\"*\"},{\"Effect\":\"Allow\",\"Principal\":\"*\","
	    "\"Action\":\"*\"}]}";
	struct trust_policy *p = parse_or_fail("capped", json, KT);
	const struct trust_policy *pp[1] = {p};
	struct trust_ctx *ctx = ctx_from_spec("@Federated=y");
	struct core_buf trace;

	(void)state;
	core_buf_init(&trace, 20);
	assert_int_equal(trust_eval(pp, 1, ctx, &trace), TRUST_ALLOW);
	assert_true(trace.len <= 20);
	core_buf_reset(&trace);
	trust_ctx_free(ctx);
	trust_policy_free(p);
}

/* ---- matching helpers ---- */

static void
test_wildcard_match(void **state)
{
	static const struct {
		const char *pat, *s;
		int ci, want;
	} cases[] = {
	    {"", "", 0, 1},
	    {"", "a", 0, 0},
	    {"*", "", 0, 1},
	    {"*", "anything", 0, 1},
	    {"a*", "a", 0, 1},
	    {"a*c", "abbbc", 0, 1},
	    {"a*c", "abbbd", 0, 0},
	    {"a?c", "abc", 0, 1},
	    {"a?c", "ac", 0, 0},
	    {"*a*b*", "xxaxxbxx", 0, 1},
	    {"*a*b", "xxaxxbxxb", 0, 1},
	    {"*ab", "aab", 0, 1},
	    {"a**b", "ab", 0, 1},
	    {"ABC", "abc", 0, 0},
	    {"ABC", "abc", 1, 1},
	    {"s?s:*", "STS:x", 1, 1},
	    {"*?", "", 0, 0},
	    {"a\\*", "a\\b", 0, 1}, /* no escapes in the public matcher */
	    {"*a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		int got = trust_wildcard_match(cases[i].pat, cases[i].s,
					       cases[i].ci);

		if (got != cases[i].want)
			fail_msg("wildcard \"%s\" vs \"%s\" ci=%d: got %d",
				 cases[i].pat, cases[i].s, cases[i].ci, got);
	}
	assert_int_equal(trust_wildcard_match(NULL, "a", 0), 0);
	assert_int_equal(trust_wildcard_match("a", NULL, 0), 0);
}

static void
test_arn_match(void **state)
{
	static const struct {
		const char *pat, *arn;
		int want;
	} cases[] = {
	    {"*", "anything", 1},
	    {"arn:aws:iam::123456789012:role/x",
	     "arn:aws:iam::123456789012:role/x", 1},
	    {"arn:aws:iam::*:role/x", "arn:aws:iam::123456789012:role/x", 1},
	    {"arn:aws:iam::*:role/*", "arn:aws:iam::1:role/a/b:c", 1},
	    {"arn:aws:iam::*", "arn:aws:iam::1:role/x", 0},
	    {"arn:*:iam::1:role/x", "arn:aws-cn:iam::1:role/x", 1},
	    {"arn:aws:iam:*:1:role/x", "arn:aws:iam::1:role/x", 1},
	    {"arn:aws:iam:?:1:role/x", "arn:aws:iam::1:role/x", 0},
	    {"arn:aws:iam::1:role/X", "arn:aws:iam::1:role/x", 0},
	    {"arn:aws:iam::1:*", "arn:aws:iam::1", 0},
	    {"arn:aws:sts::*:assumed-role/r/*",
	     "arn:aws:sts::1:assumed-role/r/session", 1},
	    {"arn:aws:s3:::b*", "arn:aws:s3:::bucket", 1},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		int got = trust_arn_match(cases[i].pat, cases[i].arn);

		if (got != cases[i].want)
			fail_msg("arn \"%s\" vs \"%s\": got %d", cases[i].pat,
				 cases[i].arn, got);
	}
	assert_int_equal(trust_arn_match(NULL, "x"), 0);
}

/* Internal parsers that the operators rely on. */
static void
test_value_parsers(void **state)
{
	static const struct {
		const char *s;
		int ok;
	} nums[] = {
	    {"1", 1}, {"-1.5", 1}, {"+2", 1}, {".5", 1}, {"5.", 1},
	    {"1e3", 1}, {"", 0}, {"-", 0}, {"0x10", 0}, {"inf", 0},
	    {"nan", 0}, {" 1", 0}, {"1 ", 0}, {"1e", 0}, {"1e999", 0},
	};
	static const struct {
		const char *s;
		int prefix_ok, ok;
	} ips[] = {
	    {"10.0.0.1", 0, 1}, {"10.0.0.0/8", 1, 1}, {"10.0.0.0/8", 0, 0},
	    {"::1", 0, 1}, {"::/0", 1, 1}, {"10.0.0.0/", 1, 0},
	    {"10.0.0.0/1x", 1, 0}, {"/8", 1, 0}, {"::/129", 1, 0},
	    {"1.2.3", 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(nums); i++) {
		double d;
		int ok = trust_parse_number(nums[i].s, &d) == 0;

		if (ok != nums[i].ok)
			fail_msg("number \"%s\": got %d", nums[i].s, ok);
	}
	for (size_t i = 0; i < NELEM(ips); i++) {
		struct trust_ip ip;
		int ok = trust_parse_ip(ips[i].s, ips[i].prefix_ok, &ip) == 0;

		if (ok != ips[i].ok)
			fail_msg("ip \"%s\": got %d", ips[i].s, ok);
	}
}

/* Exact mode: only a Principal entry naming the caller itself counts. */
static void
test_exact_principals(void **state)
{
	static const struct {
		const char *name, *principal;
		int normal, exact;
	} cases[] = {
	    {"account id", "\"111122223333\"", TRUST_ALLOW, TRUST_IMPLICIT_DENY},
	    {"account root", "\"arn:aws:iam::111122223333:root\"", TRUST_ALLOW,
	     TRUST_IMPLICIT_DENY},
	    {"star", "\"*\"", TRUST_ALLOW, TRUST_IMPLICIT_DENY},
	    {"user arn", "\"arn:aws:iam::111122223333:user/alice\"", TRUST_ALLOW,
	     TRUST_ALLOW},
	    {"other user", "\"arn:aws:iam::111122223333:user/bob\"",
	     TRUST_IMPLICIT_DENY, TRUST_IMPLICIT_DENY},
	    {"other account", "\"444455556666\"", TRUST_IMPLICIT_DENY,
	     TRUST_IMPLICIT_DENY},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char json[512];
		struct trust_policy *p;
		const struct trust_policy *ps[1];
		struct trust_ctx *ctx = trust_ctx_new();

		snprintf(json, sizeof(json),
			 "{\"Version\":\"2012-10-17\",\"Statement\":[{"
			 "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":%s},"
			 "\"Action\":\"sts:AssumeRole\"}]}", cases[i].principal);
		p = parse_or_fail(cases[i].name, json, TRUST_KIND_TRUST);
		ps[0] = p;
		trust_ctx_add_principal(ctx, "AWS",
					"arn:aws:iam::111122223333:user/alice");
		trust_ctx_set_action(ctx, "sts:AssumeRole");
		if ((int)eval_both(cases[i].name, ps, 1, ctx) != cases[i].normal)
			fail_msg("%s: normal mode", cases[i].name);
		trust_ctx_exact_principals(ctx, 1);
		if ((int)eval_both(cases[i].name, ps, 1, ctx) != cases[i].exact)
			fail_msg("%s: exact mode", cases[i].name);
		trust_ctx_free(ctx);
		trust_policy_free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grammar_reject),
	    cmocka_unit_test(test_grammar_limits),
	    cmocka_unit_test(test_grammar_accept),
	    cmocka_unit_test(test_cond_string),
	    cmocka_unit_test(test_cond_numeric_date_bool),
	    cmocka_unit_test(test_cond_ip_arn_null),
	    cmocka_unit_test(test_cond_sets),
	    cmocka_unit_test(test_cond_variables),
	    cmocka_unit_test(test_principal),
	    cmocka_unit_test(test_action),
	    cmocka_unit_test(test_resource),
	    cmocka_unit_test(test_decisions),
	    cmocka_unit_test(test_trace),
	    cmocka_unit_test(test_trace_capped),
	    cmocka_unit_test(test_wildcard_match),
	    cmocka_unit_test(test_arn_match),
	    cmocka_unit_test(test_value_parsers),
	    cmocka_unit_test(test_exact_principals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
