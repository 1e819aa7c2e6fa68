/* gateway/authz.c - building trust contexts and deciding role assumption */
#include "gateway/authz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "federation/oidc.h"
#include "gateway/app.h"
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

const struct gw_named_policy *
gw_role_policy_by_arn(const struct gw_role *role, const char *arn)
{
	char prefix[64];
	size_t plen;

	if (role == NULL)
		return NULL;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:policy/",
				role->account_id);
	if (strncmp(arn, prefix, plen) != 0)
		return NULL;
	for (size_t i = 0; i < role->n_policies; i++)
		if (strcmp(role->policies[i].name, arn + plen) == 0)
			return &role->policies[i];
	return NULL;
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

/* Evaluate one action against the role's trust policy, tracing in dev. */
static enum trust_decision
decide(struct gw_app *app, const struct gw_role *role, struct trust_ctx *ctx,
       const char *action)
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
	if (decide(app, role, ctx, "sts:AssumeRoleWithWebIdentity") != TRUST_ALLOW)
		denied = "sts:AssumeRoleWithWebIdentity";
	else if (id->n_tags > 0 &&
		 decide(app, role, ctx, "sts:TagSession") != TRUST_ALLOW)
		denied = "sts:TagSession";
	else if (id->source_identity != NULL &&
		 decide(app, role, ctx, "sts:SetSourceIdentity") != TRUST_ALLOW)
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
