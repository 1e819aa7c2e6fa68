/* gateway/sts_assume.c - AssumeRole: users and role sessions assume roles
 *
 * Semantics as on AWS (sts-wire.md §2, §3): the role's trust policy must
 * allow the caller; across accounts the caller's own permissions must also
 * allow sts:AssumeRole on the role; within one account they must too unless
 * the trust policy names the caller itself. Role chaining caps the duration
 * at one hour, carries transitive tags, and keeps the source identity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "gateway/app.h"
#include "gateway/authz.h"
#include "gateway/conf.h"
#include "gateway/sts_int.h"
#include "gateway/xml.h"
#include "trust/policy.h"

#define CHAINING_MAX_DURATION 3600

/* Inherited transitive tags of a chained caller. */
static size_t
inherited_tags(const struct gw_principal *caller)
{
	const struct fed_session *s = caller->session;
	size_t n = 0;

	if (caller->kind != GW_PRINCIPAL_ROLE_SESSION)
		return 0;
	for (size_t i = 0; i < s->n_tags; i++)
		n += s->tags[i].transitive != 0;
	return n;
}

static int
check_chaining_rules(const struct gw_principal *caller,
		     const struct gw_ar_params *p, struct core_err *err)
{
	const struct fed_session *s = caller->session;

	if (p->serial_number != NULL || p->token_code != NULL) {
		core_err_set(err, CORE_EACCESS, "mfa_unsupported",
			     "MultiFactorAuthentication failed: this gateway "
			     "does not support MFA devices");
		return -1;
	}
	if (s == NULL)
		return 0;
	/* "Once set, the source identity cannot be changed" (IAM UG). */
	if (s->source_identity != NULL && p->source_identity != NULL &&
	    strcmp(s->source_identity, p->source_identity) != 0) {
		core_err_set(err, CORE_EACCESS, "source_identity_change",
			     "The source identity of a session cannot be "
			     "changed once set (it is %s)", s->source_identity);
		return -1;
	}
	for (size_t i = 0; caller->kind == GW_PRINCIPAL_ROLE_SESSION &&
			   i < s->n_tags; i++) {
		for (size_t j = 0; s->tags[i].transitive && j < p->n_tags; j++) {
			if (strcasecmp(s->tags[i].key, p->tags[j].key) == 0) {
				core_err_set(err, CORE_EINVALID_PARAM,
					     "tags_invalid",
					     "Tag key %s was set as transitive by "
					     "an earlier session and cannot be "
					     "overridden", p->tags[j].key);
				return -1;
			}
		}
	}
	return 0;
}

static void
add_request_tag(struct trust_ctx *ctx, const char *k, const char *v)
{
	char *key = core_xasprintf("aws:RequestTag/%s", k);

	trust_ctx_add(ctx, key, v);
	trust_ctx_add(ctx, "aws:TagKeys", k);
	free(key);
}

static struct trust_ctx *
assume_ctx(struct gw_app *app, const struct gw_req *req,
	   const struct gw_signed_call *c, int64_t now)
{
	const struct gw_principal *caller = &c->caller;
	const struct fed_session *s = caller->session;
	const struct gw_ar_params *p = &c->ar;
	struct trust_ctx *ctx = trust_ctx_new();

	trust_ctx_add_principal(ctx, "AWS", caller->arn);
	/* A trust policy naming a role admits that role's sessions. */
	if (caller->kind == GW_PRINCIPAL_ROLE_SESSION)
		trust_ctx_add_principal(ctx, "AWS", s->role_arn);
	gw_authz_principal_keys(app, ctx, caller, req->source_ip, now);
	trust_ctx_add(ctx, "sts:RoleSessionName", p->session_name);
	if (p->external_id != NULL)
		trust_ctx_add(ctx, "sts:ExternalId", p->external_id);
	if (p->source_identity != NULL)
		trust_ctx_add(ctx, "sts:SourceIdentity", p->source_identity);
	for (size_t i = 0; i < p->n_tags; i++)
		add_request_tag(ctx, p->tags[i].key, p->tags[i].value);
	for (size_t i = 0; i < p->n_transitive; i++)
		trust_ctx_add(ctx, "sts:TransitiveTagKeys", p->transitive[i]);
	for (size_t i = 0; c->role != NULL && i < c->role->n_tags; i++) {
		char *k = core_xasprintf("iam:ResourceTag/%s", c->role->tags[i].key);

		trust_ctx_add(ctx, k, c->role->tags[i].value);
		free(k);
	}
	trust_ctx_set_resource(ctx, p->role_arn);
	return ctx;
}

/* Both sides: the role's trust policy and, where needed, the caller's own. */
static int
authorize_assume(struct gw_app *app, const struct gw_signed_call *c,
		 struct trust_ctx *ctx, const char *action)
{
	const struct gw_role *role = c->role;
	enum trust_decision trust, mine;
	int same_account, named;

	trust = gw_authz_trust(app, role, ctx, action);
	mine = gw_authz_permissions(app, &c->caller, ctx, NULL);
	if (trust != TRUST_ALLOW || mine == TRUST_EXPLICIT_DENY)
		return -1;
	same_account = strcmp(role->account_id, c->caller.account) == 0;
	trust_ctx_exact_principals(ctx, 1);
	named = trust_eval((const struct trust_policy *const *)&role->trust, 1,
			   ctx, NULL) == TRUST_ALLOW;
	trust_ctx_exact_principals(ctx, 0);
	/* Naming the caller spares it the identity-policy grant, but not the
	 * limits of the session policies its session carries. */
	if (same_account && named)
		return gw_authz_session_allows(app, &c->caller, ctx) ? 0 : -1;
	return mine == TRUST_ALLOW ? 0 : -1;
}

static int
authorize(struct gw_app *app, const struct gw_req *req,
	  const struct gw_signed_call *c, int64_t now, struct core_err *err)
{
	const char *denied = "sts:AssumeRole";
	struct trust_ctx *ctx;

	if (c->role != NULL) {
		ctx = assume_ctx(app, req, c, now);
		if (authorize_assume(app, c, ctx, "sts:AssumeRole") == 0)
			denied = NULL;
		if (denied == NULL &&
		    (c->ar.n_tags > 0 || inherited_tags(&c->caller) > 0) &&
		    authorize_assume(app, c, ctx, "sts:TagSession") == -1)
			denied = "sts:TagSession";
		if (denied == NULL && c->ar.source_identity != NULL &&
		    authorize_assume(app, c, ctx, "sts:SetSourceIdentity") == -1)
			denied = "sts:SetSourceIdentity";
		trust_ctx_free(ctx);
	}
	if (denied == NULL)
		return 0;
	/* AWS's wording; the same for a missing role (no probing). */
	core_err_set(err, CORE_EACCESS,
		     c->role == NULL ? "role_unknown" : "not_authorized",
		     "User: %s is not authorized to perform: %s on resource: "
		     "%.2048s", c->caller.arn, denied, c->ar.role_arn);
	return -1;
}

static int
choose_duration(const struct gw_signed_call *c, int *out,
		struct core_err *err)
{
	int requested = c->ar.duration;

	if (c->caller.kind == GW_PRINCIPAL_ROLE_SESSION) {
		if (requested > CHAINING_MAX_DURATION) {
			core_err_set(err, CORE_EVALIDATION, "chaining_duration",
				     "The requested DurationSeconds exceeds the "
				     "1 hour session limit for roles assumed by "
				     "role chaining.");
			return -1;
		}
	}
	return gw_sts_duration(requested, c->role->max_session_duration, out,
			       err);
}

static size_t
tags_bytes(const struct gw_signed_call *c)
{
	const struct fed_session *s = c->caller.session;
	size_t n = 0;

	for (size_t i = 0; i < c->ar.n_tags; i++)
		n += strlen(c->ar.tags[i].key) + strlen(c->ar.tags[i].value);
	for (size_t i = 0; inherited_tags(&c->caller) && i < s->n_tags; i++)
		if (s->tags[i].transitive)
			n += strlen(s->tags[i].key) + strlen(s->tags[i].value);
	return n;
}

static int
check_session_policies(struct gw_app *app, struct gw_signed_call *c,
		       struct core_err *err)
{
	if (c->ar.policy != NULL) {
		struct trust_policy *sp = trust_policy_parse(
		    c->ar.policy, strlen(c->ar.policy), TRUST_KIND_IDENTITY, err);

		if (sp == NULL)
			return -1;
		trust_policy_free(sp);
	}
	if (gw_authz_check_policy_arns(app, c->ar.policy_arns,
				       c->ar.n_policy_arns, err) == -1)
		return -1;
	c->packed = gw_sts_packed_size(c->ar.policy, c->ar.policy_arns,
				       c->ar.n_policy_arns, tags_bytes(c), err);
	return c->packed < 0 ? -1 : 0;
}

static int
is_transitive(const struct gw_ar_params *p, const char *key)
{
	for (size_t i = 0; i < p->n_transitive; i++)
		if (strcasecmp(p->transitive[i], key) == 0)
			return 1;
	return 0;
}

static void
fill_session(struct gw_signed_call *c, int64_t now, int duration)
{
	const struct fed_session *cs = c->caller.session;
	struct fed_session *s = &c->s;

	gw_sts_role_session(s, c->role, c->ar.session_name, c->ar.policy,
			    c->ar.policy_arns, c->ar.n_policy_arns, now, duration);
	c->have_session = 1;
	if (cs != NULL && cs->source_identity != NULL)
		s->source_identity = core_xstrdup(cs->source_identity);
	else if (c->ar.source_identity != NULL)
		s->source_identity = core_xstrdup(c->ar.source_identity);
	for (size_t i = 0; i < c->ar.n_tags; i++)
		gw_sts_session_add_tag(s, c->ar.tags[i].key, c->ar.tags[i].value,
				       is_transitive(&c->ar, c->ar.tags[i].key));
	for (size_t i = 0; inherited_tags(&c->caller) && i < cs->n_tags; i++)
		if (cs->tags[i].transitive)
			gw_sts_session_add_tag(s, cs->tags[i].key,
					       cs->tags[i].value, 1);
	s->chained = c->caller.kind == GW_PRINCIPAL_ROLE_SESSION;
}

static void
render(struct core_buf *b, const struct gw_signed_call *c, const char *rid)
{
	gw_xml_begin(b, c->action);
	gw_sts_render_credentials(b, &c->s, c->session_token);
	gw_sts_render_assumed_role_user(b, &c->s);
	core_buf_puts(b, "\n    ");
	gw_xml_elem_int(b, "PackedPolicySize", c->packed);
	if (c->s.source_identity != NULL) {
		core_buf_puts(b, "\n    ");
		gw_xml_elem(b, "SourceIdentity", c->s.source_identity);
	}
	gw_xml_end(b, c->action, rid);
}

int
gw_sts_assume_role(struct gw_app *app, const struct gw_req *req,
		   struct gw_signed_call *c, struct gw_resp *resp,
		   struct core_err *err)
{
	int64_t now = core_now();
	int duration;

	if (gw_sts_ar_params(&req->form, &c->ar, err) == -1 ||
	    check_chaining_rules(&c->caller, &c->ar, err) == -1)
		return -1;
	c->role = gw_conf_find_role(app->conf, c->ar.role_arn);
	if (authorize(app, req, c, now, err) == -1 ||
	    choose_duration(c, &duration, err) == -1 ||
	    check_session_policies(app, c, err) == -1)
		return -1;
	fill_session(c, now, duration);
	c->session_token = fed_mint_seal(app->keyring, &c->s, err);
	if (c->session_token == NULL)
		return -1;
	render(&resp->body, c, req->request_id);
	return 0;
}
