/* trust/policy.h - IAM policy language: compile once, evaluate per request
 *
 * trust/ knows nothing about JWT, SAML or HTTP: it evaluates a neutral
 * request context (principal, action, resource, condition keys).
 * Grammar and semantics: ../shared/reference/sts-wire.md §4 (IAM User Guide).
 */
#ifndef TRUST_POLICY_H
#define TRUST_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct core_buf;
struct trust_policy; /* compiled, immutable, shareable across threads */
struct trust_ctx;    /* one request's context */

enum trust_policy_kind {
	TRUST_KIND_TRUST,	/* role trust policy: Principal required */
	TRUST_KIND_IDENTITY,	/* permission / session policy: Principal forbidden */
};

/* Limits enforced while parsing untrusted or configured documents. */
#define TRUST_POLICY_MAX_LEN	  (64 * 1024)
#define TRUST_POLICY_MAX_STATEMENTS 256

/**
 * Parse and compile an IAM policy JSON document (with or without whitespace;
 * duplicate member names are refused). Checks the grammar fully: Version
 * ("2012-10-17" or "2008-10-17"; variables expand only with 2012-10-17),
 * Statement (object or array), Effect, Action/NotAction, Resource/NotResource,
 * Principal/NotPrincipal (NotPrincipal refused in trust policies), Condition
 * with known operators (plus IfExists, ForAllValues:, ForAnyValue:), Sid.
 * Returns NULL with err = CORE_EMALFORMED_POLICY and a message naming the
 * problem (e.g. "Statement[1]: unknown condition operator StringEquale").
 * The caller owns the result.
 */
struct trust_policy *trust_policy_parse(const char *json, size_t len,
					enum trust_policy_kind kind,
					struct core_err *err);
void trust_policy_free(struct trust_policy *p);

/* ---- request context ---- */

struct trust_ctx *trust_ctx_new(void);
void trust_ctx_free(struct trust_ctx *ctx);

/**
 * Add one identity of the caller, e.g. ("Federated", "accounts.google.com"),
 * ("Federated", "arn:aws:iam::111122223333:oidc-provider/host/path"),
 * ("AWS", "arn:aws:iam::111122223333:user/alice"), ("AWS", "111122223333").
 * A statement's Principal matches if any of its entries equals any added
 * identity of the same type ("*" matches everyone; {"AWS":"*"} matches all).
 * For type "AWS", an account id or "arn:aws:iam::ACCT:root" in the policy
 * matches any added identity whose account is ACCT.
 */
void trust_ctx_add_principal(struct trust_ctx *ctx, const char *type,
			     const char *value);
/**
 * on != 0: a statement's Principal matches only through an entry equal to
 * an added identity — account ids, ":root" and "*" no longer match. Used to
 * tell whether a resource policy names the caller itself (then, within one
 * account, no identity-policy grant is needed, as on AWS).
 */
void trust_ctx_exact_principals(struct trust_ctx *ctx, int on);
void trust_ctx_set_action(struct trust_ctx *ctx, const char *action);
void trust_ctx_set_resource(struct trust_ctx *ctx, const char *arn);

/**
 * Add a value to condition key `key` (key names compare case-insensitively).
 * Calling it twice for one key makes the key multi-valued (e.g. amr).
 * All values are strings; operators convert (numbers, dates, bools, IPs).
 */
void trust_ctx_add(struct trust_ctx *ctx, const char *key, const char *value);
/** Declare a multi-valued key that is present but empty (ForAllValues). */
void trust_ctx_add_empty_set(struct trust_ctx *ctx, const char *key);

/* ---- evaluation ---- */

enum trust_decision {
	TRUST_IMPLICIT_DENY = 0, /* no statement allowed */
	TRUST_ALLOW,
	TRUST_EXPLICIT_DENY,	 /* a Deny statement matched: wins over everything */
};

/**
 * Evaluate n policies together for ctx: any matching Deny → EXPLICIT_DENY;
 * else any matching Allow → ALLOW; else IMPLICIT_DENY.
 * If trace is not NULL, append one human-readable line per statement
 * explaining why it matched or not (the decision trace of `fedgate explain`
 * and dev mode). Thread-safe: policies are read-only.
 */
enum trust_decision trust_eval(const struct trust_policy *const *policies,
			       size_t n, const struct trust_ctx *ctx,
			       struct core_buf *trace);

const char *trust_decision_name(enum trust_decision d);

/* ---- helpers shared with gateway (ARNs) ---- */

/**
 * IAM wildcard match: '*' any run (may be empty), '?' one character.
 * ci != 0: ASCII case-insensitive.
 */
int trust_wildcard_match(const char *pattern, const char *s, int ci);

/** ARN match per 6 colon-separated components (ArnLike semantics). */
int trust_arn_match(const char *pattern, const char *arn);

#endif /* TRUST_POLICY_H */
