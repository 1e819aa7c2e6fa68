/* gateway/authz.c - building trust contexts and deciding role assumption */
#include "gateway/authz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "federation/mint.h"
#include "federation/oidc.h"
#include "gateway/app.h"
#include "gateway/authn.h"
#include "gateway/conf.h"
#include "gateway/http.h"
#include "trust/policy.h"

#define TAG_KEY_MAX 128
#define TAG_VALUE_MAX 256
#define TAGS_MAX 50

size_t
gw_tag_bytes(const struct fed_identity *id)
{
	size_t n = 0;

	for (size_t i = 0; i < id->n_tags; i++)
		n += strlen(id->tags[i].key) + strlen(id->tags[i].value);
	return n;
}

int
gw_authz_check_policy_arns(struct gw_app *app, const char *const *arns,
			   size_t n, struct core_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (gw_conf_find_managed_policy(app->conf, arns[i]) == NULL) {
			core_err_set(err, CORE_EINVALID_PARAM, "policy_arn_unknown",
				     "Policy %.2048s does not exist or is not "
				     "attachable.", arns[i]);
			return -1;
		}
	}
	return 0;
}

/* IAM tag rules (sts-wire.md §2): bounded lengths, no "aws:" prefix. */
static int
check_tags(const struct fed_identity *id, struct core_err *err)
{
	if (id->n_tags > TAGS_MAX) {
		core_err_set(err, CORE_EINVALID_TOKEN, "tags_invalid",
			     "The token carries more than %d session tags", TAGS_MAX);
		return -1;
	}
	for (size_t i = 0; i < id->n_tags; i++) {
		size_t kl = strlen(id->tags[i].key);

		if (kl == 0 || kl > TAG_KEY_MAX ||
		    strlen(id->tags[i].value) > TAG_VALUE_MAX ||
		    strncasecmp(id->tags[i].key, "aws:", 4) == 0) {
			core_err_set(err, CORE_EINVALID_TOKEN, "tags_invalid",
				     "The token carries an invalid session tag");
			return -1;
		}
	}
	return 0;
}

static void
add_claims(struct trust_ctx *ctx, const struct fed_identity *id)
{
	for (size_t i = 0; i < id->n_claims; i++) {
		const struct fed_claim_kv *kv = &id->claims[i];

		if (kv->multi && kv->n_values == 0)
			trust_ctx_add_empty_set(ctx, kv->key);
		for (size_t j = 0; j < kv->n_values; j++)
			trust_ctx_add(ctx, kv->key, kv->values[j]);
	}
}

static void
add_request_keys(struct trust_ctx *ctx, const struct gw_req *req,
		 const struct fed_identity *id, const char *session_name,
		 int64_t now)
{
	char buf[64];

	trust_ctx_add(ctx, "sts:RoleSessionName", session_name);
	trust_ctx_add(ctx, "aws:SourceIp", req->source_ip);
	core_time_iso8601(now, buf, sizeof(buf));
	trust_ctx_add(ctx, "aws:CurrentTime", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)now);
	trust_ctx_add(ctx, "aws:EpochTime", buf);
	if (id->source_identity != NULL)
		trust_ctx_add(ctx, "sts:SourceIdentity", id->source_identity);
	if (id->n_tags == 0)
		return;
	for (size_t i = 0; i < id->n_tags; i++) {
		char *k = core_xasprintf("aws:RequestTag/%s", id->tags[i].key);

		trust_ctx_add(ctx, k, id->tags[i].value);
		trust_ctx_add(ctx, "aws:TagKeys", id->tags[i].key);
		if (id->tags[i].transitive)
			trust_ctx_add(ctx, "sts:TransitiveTagKeys", id->tags[i].key);
		free(k);
	}
}

static struct trust_ctx *
web_identity_ctx(const struct gw_role *role, const struct gw_req *req,
		 const struct fed_identity *id, const char *session_name,
		 int64_t now)
{
	struct trust_ctx *ctx = trust_ctx_new();
	char *provider_arn = core_xasprintf("arn:aws:iam::%s:oidc-provider/%s",
					    role->account_id, id->provider_id);

	/* Both forms AWS uses: the IAM provider ARN and, for the built-in
	 * providers (accounts.google.com, cognito-identity...), the bare id. */
	trust_ctx_add_principal(ctx, "Federated", provider_arn);
	trust_ctx_add_principal(ctx, "Federated", id->provider_id);
	trust_ctx_add(ctx, "aws:FederatedProvider", provider_arn);
	trust_ctx_set_resource(ctx, role->arn);
	add_claims(ctx, id);
	add_request_keys(ctx, req, id, session_name, now);
	free(provider_arn);
	return ctx;
}

enum trust_decision
gw_authz_trust(struct gw_app *app, const struct gw_role *role,
	       struct trust_ctx *ctx, const char *action)
{
	const struct trust_policy *pol[1] = {role->trust};
	struct core_buf trace;
	enum trust_decision d;

	trust_ctx_set_action(ctx, action);
	if (app->devidp == NULL)
		return trust_eval(pol, 1, ctx, NULL);
	core_buf_init(&trace, 64 * 1024);
	d = trust_eval(pol, 1, ctx, &trace);
	log_info("decision trace for %s on %s: %s\n%s", action, role->arn,
		 trust_decision_name(d), trace.data ? trace.data : "");
	core_buf_reset(&trace);
	return d;
}

int
gw_trust_web_identity(struct gw_app *app, const struct gw_req *req,
		      const struct gw_role *role, const struct fed_identity *id,
		      const char *session_name, int64_t now,
		      struct core_err *err)
{
	struct trust_ctx *ctx;
	const char *denied = NULL;

	if (role == NULL) {
		denied = "sts:AssumeRoleWithWebIdentity";
		goto deny;
	}
	if (check_tags(id, err) == -1)
		return -1;
	ctx = web_identity_ctx(role, req, id, session_name, now);
	if (gw_authz_trust(app, role, ctx, "sts:AssumeRoleWithWebIdentity") != TRUST_ALLOW)
		denied = "sts:AssumeRoleWithWebIdentity";
	else if (id->n_tags > 0 &&
		 gw_authz_trust(app, role, ctx, "sts:TagSession") != TRUST_ALLOW)
		denied = "sts:TagSession";
	else if (id->source_identity != NULL &&
		 gw_authz_trust(app, role, ctx, "sts:SetSourceIdentity") != TRUST_ALLOW)
		denied = "sts:SetSourceIdentity";
	trust_ctx_free(ctx);
	if (denied == NULL)
		return 0;
deny:
	/* Same answer for a missing role and an untrusting one (no probing). */
	core_err_set(err, CORE_EACCESS,
		     role == NULL ? "role_unknown" : "trust_policy_denied",
		     "Not authorized to perform %s", denied);
	return -1;
}

/* ---- permissions of authenticated callers ([2/5]) ---- */

/* Above every config limit (64 inline + 20 attached; 1 + 10 session);
 * more than this denies rather than silently ignoring a policy. */
#define MAX_POLICIES 128
#define TOO_MANY ((size_t)-1)

static void
add_tags(struct trust_ctx *ctx, const struct gw_tag *tags, size_t n,
	 const struct fed_session *s)
{
	for (size_t i = 0; i < n; i++) {
		int overridden = 0;
		char *k;

		/* Session tags win over role/user tags with the same key
		 * (keys compare case-insensitively, as IAM tags do). */
		for (size_t j = 0; s != NULL && j < s->n_tags; j++)
			overridden |= strcasecmp(s->tags[j].key, tags[i].key) == 0;
		if (overridden)
			continue;
		k = core_xasprintf("aws:PrincipalTag/%s", tags[i].key);
		trust_ctx_add(ctx, k, tags[i].value);
		free(k);
	}
	for (size_t j = 0; s != NULL && j < s->n_tags; j++) {
		char *k = core_xasprintf("aws:PrincipalTag/%s", s->tags[j].key);

		trust_ctx_add(ctx, k, s->tags[j].value);
		free(k);
	}
}

/* Web-identity keys that survive into later requests (sts-wire.md §3). */
static void
add_federated_keys(struct trust_ctx *ctx, const struct fed_session *s)
{
	const char *id;
	char *k;

	if (s == NULL || s->federated_provider == NULL)
		return;
	trust_ctx_add(ctx, "aws:FederatedProvider", s->federated_provider);
	id = strstr(s->federated_provider, ":oidc-provider/");
	if (id == NULL || s->subject == NULL)
		return;
	k = core_xasprintf("%s:sub", id + strlen(":oidc-provider/"));
	trust_ctx_add(ctx, k, s->subject);
	free(k);
}

void
gw_authz_principal_keys(struct gw_app *app, struct trust_ctx *ctx,
			const struct gw_principal *p, const char *source_ip,
			int64_t now)
{
	const struct fed_session *s = p->session;
	char buf[64];

	(void)app;
	trust_ctx_add(ctx, "aws:userid", p->user_id);
	trust_ctx_add(ctx, "aws:PrincipalAccount", p->account);
	if (p->kind == GW_PRINCIPAL_ROLE_SESSION) {
		trust_ctx_add(ctx, "aws:PrincipalArn", s->role_arn);
		trust_ctx_add(ctx, "aws:PrincipalType", "AssumedRole");
		add_tags(ctx, p->role ? p->role->tags : NULL,
			 p->role ? p->role->n_tags : 0, s);
	} else {
		trust_ctx_add(ctx, "aws:PrincipalArn", p->arn);
		trust_ctx_add(ctx, "aws:username", p->user ? p->user->name : p->name);
		trust_ctx_add(ctx, "aws:PrincipalType", "User");
		add_tags(ctx, p->user ? p->user->tags : NULL,
			 p->user ? p->user->n_tags : 0, s);
	}
	if (s != NULL && s->source_identity != NULL)
		trust_ctx_add(ctx, "aws:SourceIdentity", s->source_identity);
	if (s != NULL) {
		core_time_iso8601(s->issued_at, buf, sizeof(buf));
		trust_ctx_add(ctx, "aws:TokenIssueTime", buf);
	}
	add_federated_keys(ctx, s);
	trust_ctx_add(ctx, "aws:SourceIp", source_ip);
	core_time_iso8601(now, buf, sizeof(buf));
	trust_ctx_add(ctx, "aws:CurrentTime", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)now);
	trust_ctx_add(ctx, "aws:EpochTime", buf);
	trust_ctx_add(ctx, "aws:SecureTransport", "false");
	/* As on AWS: absent for long-term keys, false for sessions (no MFA). */
	if (p->kind != GW_PRINCIPAL_USER)
		trust_ctx_add(ctx, "aws:MultiFactorAuthPresent", "false");
}

/* Inline policies plus attached managed ones; missing ARNs are skipped
 * (the config loader refuses them, so none are missing in practice). */
static size_t
collect_identity(struct gw_app *app, const struct gw_principal *p,
		 const struct trust_policy **out)
{
	const struct gw_named_policy *inl = NULL;
	char *const *arns = NULL;
	size_t n_inl = 0, n_arns = 0, n = 0;

	if (p->kind == GW_PRINCIPAL_ROLE_SESSION && p->role != NULL) {
		inl = p->role->policies, n_inl = p->role->n_policies;
		arns = p->role->managed_policy_arns;
		n_arns = p->role->n_managed_policy_arns;
	} else if (p->kind != GW_PRINCIPAL_ROLE_SESSION && p->user != NULL) {
		inl = p->user->policies, n_inl = p->user->n_policies;
		arns = p->user->managed_policy_arns;
		n_arns = p->user->n_managed_policy_arns;
	}
	if (n_inl + n_arns > MAX_POLICIES)
		return TOO_MANY;
	for (size_t i = 0; i < n_inl; i++)
		out[n++] = inl[i].policy;
	for (size_t i = 0; i < n_arns; i++) {
		const struct gw_named_policy *mp =
		    gw_conf_find_managed_policy(app->conf, arns[i]);

		if (mp != NULL)
			out[n++] = mp->policy;
	}
	return n;
}

/* Session policies carried by a role session: inline Policy + PolicyArns. */
static size_t
collect_session(struct gw_app *app, const struct fed_session *s,
		const struct trust_policy **out, struct trust_policy **parsed)
{
	size_t n = 0;

	*parsed = NULL;
	if (s == NULL)
		return 0;
	if (s->n_policy_arns + 1 > MAX_POLICIES)
		return TOO_MANY;
	if (s->session_policy != NULL) {
		struct core_err err = {0};

		/* Validated when the session was issued; a failure now means
		 * the grammar changed: deny rather than widen. */
		*parsed = trust_policy_parse(s->session_policy,
					     strlen(s->session_policy),
					     TRUST_KIND_IDENTITY, &err);
		out[n++] = *parsed; /* NULL entry: see below */
	}
	for (size_t i = 0; i < s->n_policy_arns; i++) {
		const struct gw_named_policy *mp =
		    gw_conf_find_managed_policy(app->conf, s->policy_arns[i]);

		out[n++] = mp ? mp->policy : NULL;
	}
	return n;
}

static int
any_null(const struct trust_policy *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == NULL)
			return 1;
	return 0;
}

enum trust_decision
gw_authz_permissions(struct gw_app *app, const struct gw_principal *p,
		     const struct trust_ctx *ctx, struct core_buf *trace)
{
	const struct trust_policy *idp[MAX_POLICIES], *sp[MAX_POLICIES];
	struct trust_policy *parsed = NULL;
	size_t n_id = collect_identity(app, p, idp);
	size_t n_s = collect_session(app, p->session, sp, &parsed);
	enum trust_decision d, ds;

	if (n_id == TOO_MANY || n_s == TOO_MANY) {
		d = TRUST_IMPLICIT_DENY;
		goto out;
	}
	d = trust_eval(idp, n_id, ctx, trace);
	if (d == TRUST_EXPLICIT_DENY || n_s == 0)
		goto out;
	/* A session policy that cannot be used any more denies everything. */
	if (any_null(sp, n_s)) {
		if (trace != NULL)
			core_buf_puts(trace, "session policy unavailable: deny\n");
		d = TRUST_IMPLICIT_DENY;
		goto out;
	}
	if (trace != NULL)
		core_buf_puts(trace, "session policies:\n");
	/* Effective permissions = identity ∩ session (explicit deny wins). */
	ds = trust_eval(sp, n_s, ctx, trace);
	if (ds == TRUST_EXPLICIT_DENY)
		d = TRUST_EXPLICIT_DENY;
	else if (ds != TRUST_ALLOW && d == TRUST_ALLOW)
		d = TRUST_IMPLICIT_DENY;
out:
	trust_policy_free(parsed);
	return d;
}

int
gw_authz_session_allows(struct gw_app *app, const struct gw_principal *p,
			const struct trust_ctx *ctx)
{
	const struct trust_policy *sp[MAX_POLICIES];
	struct trust_policy *parsed = NULL;
	size_t n = collect_session(app, p->session, sp, &parsed);
	int ok;

	if (n == 0)
		ok = 1;
	else if (n == TOO_MANY || any_null(sp, n))
		ok = 0;
	else
		ok = trust_eval(sp, n, ctx, NULL) == TRUST_ALLOW;
	trust_policy_free(parsed);
	return ok;
}
