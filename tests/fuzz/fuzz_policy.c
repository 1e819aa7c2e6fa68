/* tests/fuzz/fuzz_policy.c - IAM policy parser and evaluator
 *
 * Each input is parsed as a trust policy and as an identity policy. A
 * rejection must carry MalformedPolicyDocument and a message; an accepted
 * policy is evaluated against a fixed request, with and without a trace,
 * and both runs must reach the same valid decision.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "trust/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct trust_ctx *
fuzz_ctx(int with_resource)
{
	struct trust_ctx *ctx = trust_ctx_new();

	trust_ctx_add_principal(ctx, "Federated", "accounts.google.com");
	trust_ctx_add_principal(ctx, "AWS",
				"arn:aws:iam::111122223333:user/alice");
	trust_ctx_set_action(ctx, "sts:AssumeRoleWithWebIdentity");
	if (with_resource)
		trust_ctx_set_resource(ctx, "arn:aws:s3:::bucket/home/alice/x");
	trust_ctx_add(ctx, "accounts.google.com:aud", "client-1");
	trust_ctx_add(ctx, "accounts.google.com:sub", "1234567890");
	trust_ctx_add(ctx, "aws:username", "alice");
	trust_ctx_add(ctx, "cognito-identity.amazonaws.com:amr",
		      "authenticated");
	trust_ctx_add(ctx, "cognito-identity.amazonaws.com:amr",
		      "accounts.google.com");
	trust_ctx_add(ctx, "aws:SourceIp", "203.0.113.7");
	trust_ctx_add(ctx, "aws:CurrentTime", "2026-01-01T00:00:00Z");
	trust_ctx_add(ctx, "aws:EpochTime", "1767225600");
	trust_ctx_add(ctx, "aws:SecureTransport", "true");
	trust_ctx_add(ctx, "bin", "QmluYXJ5VmFsdWU=");
	trust_ctx_add(ctx, "n", "42.5");
	trust_ctx_add(ctx, "arn", "arn:aws:iam::111122223333:role/dev-x");
	trust_ctx_add_empty_set(ctx, "aws:TagKeys");
	return ctx;
}

static void
fuzz_eval(const struct trust_policy *p, const struct trust_ctx *ctx)
{
	const struct trust_policy *pp[2] = {p, p};
	enum trust_decision a, b;
	struct core_buf trace;

	a = trust_eval(pp, 1, ctx, NULL);
	if (a != TRUST_IMPLICIT_DENY && a != TRUST_ALLOW &&
	    a != TRUST_EXPLICIT_DENY)
		abort();
	core_buf_init(&trace, 64 * 1024);
	b = trust_eval(pp, 2, ctx, &trace);
	/* The same policy twice cannot change the decision. */
	if (a != b)
		abort();
	if (trust_decision_name(a) == NULL)
		abort();
	core_buf_reset(&trace);
}

static void
fuzz_one(const char *json, size_t len, enum trust_policy_kind kind,
	 struct trust_ctx *const *ctxs)
{
	struct core_err err = {0};
	struct trust_policy *p = trust_policy_parse(json, len, kind, &err);

	if (p == NULL) {
		if (err.code != CORE_EMALFORMED_POLICY || err.msg[0] == '\0')
			abort();
		return;
	}
	if (err.code != CORE_OK)
		abort();
	fuzz_eval(p, ctxs[0]);
	fuzz_eval(p, ctxs[1]);
	trust_policy_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trust_ctx *ctxs[2];

	/* Built once and kept: a fixed request for every input. */
	if (ctxs[0] == NULL) {
		ctxs[0] = fuzz_ctx(0);
		ctxs[1] = fuzz_ctx(1);
	}
	fuzz_one((const char *)data, size, TRUST_KIND_TRUST, ctxs);
	fuzz_one((const char *)data, size, TRUST_KIND_IDENTITY, ctxs);
	return 0;
}
