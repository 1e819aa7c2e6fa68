/* gateway/sts_saml.c - AssumeRoleWithSAML: thin handler over federation/saml
 *
 * Validate the response (federation/saml.c), require the (RoleArn,
 * PrincipalArn) pair in the Role attribute, decide with the role's trust
 * policy (SAML:* keys), mint, render AWS's XML, audit (assertion ID only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "federation/mint.h"
#include "federation/saml.h"
#include "gateway/app.h"
#include "gateway/audit.h"
#include "gateway/authz.h"
#include "gateway/conf.h"
#include "gateway/metrics.h"
#include "gateway/ratelimit.h"
#include "gateway/saml_claims.h"
#include "gateway/sts_int.h"
#include "gateway/sts_params.h"
#include "gateway/sts_saml.h"
#include "gateway/xml.h"
#include "trust/policy.h"

#define ARWS "AssumeRoleWithSAML"

struct saml_call {
	struct gw_saml_params p;
	struct fed_saml_assertion *a;
	struct gw_saml_claims claims;
	const struct gw_role *role;
	const char *provider_name;
	char provider_account[16];
	char *name_qualifier;
	struct fed_session s;
	int have_session;
	char *session_token;
	int packed;
};

/* PrincipalArn names a configured SAML provider; remember its account. */
static int
find_provider(struct gw_app *app, struct saml_call *c, struct core_err *err)
{
	int i = gw_conf_find_saml_idp(app->conf, c->p.principal_arn);

	if (i < 0 || app->saml == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "provider_unknown",
			     "No SAML provider %.2048s is configured",
			     c->p.principal_arn);
		return -1;
	}
	c->provider_name = fed_saml_idp_name(app->saml, (size_t)i);
	/* arn:aws:iam::ACCT:saml-provider/NAME */
	snprintf(c->provider_account, sizeof(c->provider_account), "%.12s",
		 c->p.principal_arn + strlen("arn:aws:iam::"));
	return 0;
}

static void
add_request_keys(struct trust_ctx *ctx, const char *source_ip,
		 const struct gw_saml_claims *cl, int64_t now)
{
	char buf[64];

	trust_ctx_add(ctx, "sts:RoleSessionName", cl->session_name);
	trust_ctx_add(ctx, "aws:SourceIp", source_ip);
	core_time_iso8601(now, buf, sizeof(buf));
	trust_ctx_add(ctx, "aws:CurrentTime", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)now);
	trust_ctx_add(ctx, "aws:EpochTime", buf);
	if (cl->source_identity != NULL)
		trust_ctx_add(ctx, "sts:SourceIdentity", cl->source_identity);
	for (size_t i = 0; i < cl->n_tags; i++) {
		char *k = core_xasprintf("aws:RequestTag/%s", cl->tags[i].key);

		trust_ctx_add(ctx, k, cl->tags[i].value);
		trust_ctx_add(ctx, "aws:TagKeys", cl->tags[i].key);
		if (cl->tags[i].transitive)
			trust_ctx_add(ctx, "sts:TransitiveTagKeys",
				      cl->tags[i].key);
		free(k);
	}
}

int
gw_saml_trust_check(struct gw_app *app, const char *source_ip,
		    const struct fed_saml_assertion *a,
		    const struct gw_saml_claims *cl, const struct gw_role *role,
		    const char *principal_arn, int64_t now,
		    struct core_err *err)
{
	struct trust_ctx *ctx;
	const char *denied = "sts:AssumeRoleWithSAML";
	char account[16];

	/* arn:aws:iam::ACCT:saml-provider/NAME (checked by the caller) */
	snprintf(account, sizeof(account), "%.12s",
		 principal_arn + strlen("arn:aws:iam::"));
	/* The IdP must list this exact pair: it decides who may use what. */
	if (role != NULL && gw_saml_role_pair(a, role->arn, principal_arn)) {
		ctx = trust_ctx_new();
		trust_ctx_add_principal(ctx, "Federated", principal_arn);
		trust_ctx_set_resource(ctx, role->arn);
		gw_saml_context_keys(ctx, a, account, a->idp_name);
		add_request_keys(ctx, source_ip, cl, now);
		if (gw_authz_trust(app, role, ctx, denied) == TRUST_ALLOW)
			denied = NULL;
		if (denied == NULL && cl->n_tags > 0 &&
		    gw_authz_trust(app, role, ctx, "sts:TagSession") !=
			TRUST_ALLOW)
			denied = "sts:TagSession";
		if (denied == NULL && cl->source_identity != NULL &&
		    gw_authz_trust(app, role, ctx, "sts:SetSourceIdentity") !=
			TRUST_ALLOW)
			denied = "sts:SetSourceIdentity";
		trust_ctx_free(ctx);
	}
	if (denied == NULL)
		return 0;
	core_err_set(err, CORE_EACCESS, role == NULL ? "role_unknown"
				 : "trust_policy_denied",
		     "Not authorized to perform %s", denied);
	return -1;
}

int
gw_saml_duration(const struct gw_role *role, const struct gw_saml_claims *cl,
		 const struct fed_saml_assertion *a, int requested,
		 int64_t now, int *out, struct core_err *err)
{
	int d;

	if (gw_sts_duration(requested, role->max_session_duration, &d,
			    err) == -1)
		return -1;
	if (cl->session_duration > role->max_session_duration) {
		core_err_set(err, CORE_EVALIDATION, "duration_exceeds_role_max",
			     "The requested DurationSeconds exceeds the "
			     "MaxSessionDuration set for this role.");
		return -1;
	}
	if (cl->session_duration > 0 && cl->session_duration < d)
		d = cl->session_duration;
	if (a->session_not_on_or_after > 0 &&
	    a->session_not_on_or_after - now < d)
		d = (int)(a->session_not_on_or_after - now);
	if (d <= 0) {
		core_err_set(err, CORE_EEXPIRED_TOKEN, "session_expired",
			     "The SAML session (SessionNotOnOrAfter) has ended");
		return -1;
	}
	*out = d;
	return 0;
}

static int
session_policies(struct gw_app *app, struct saml_call *c, struct core_err *err)
{
	size_t tag_bytes = 0;

	if (c->p.policy != NULL) {
		struct trust_policy *sp = trust_policy_parse(
		    c->p.policy, strlen(c->p.policy), TRUST_KIND_IDENTITY, err);

		if (sp == NULL)
			return -1;
		trust_policy_free(sp);
	}
	if (gw_authz_check_policy_arns(app, c->p.policy_arns,
				       c->p.n_policy_arns, err) == -1)
		return -1;
	for (size_t i = 0; i < c->claims.n_tags; i++)
		tag_bytes += strlen(c->claims.tags[i].key) +
			     strlen(c->claims.tags[i].value);
	c->packed = gw_sts_packed_size(c->p.policy, c->p.policy_arns,
				       c->p.n_policy_arns, tag_bytes, err);
	return c->packed < 0 ? -1 : 0;
}

void
gw_saml_session(struct fed_session *s, const struct gw_role *role,
		const struct gw_saml_claims *cl,
		const struct fed_saml_assertion *a, const char *principal_arn,
		const char *policy, const char *const *arns, size_t n_arns,
		int64_t now, int d)
{
	gw_sts_role_session(s, role, cl->session_name, policy, arns, n_arns,
			    now, d);
	if (cl->source_identity != NULL)
		s->source_identity = core_xstrdup(cl->source_identity);
	for (size_t i = 0; i < cl->n_tags; i++)
		gw_sts_session_add_tag(s, cl->tags[i].key, cl->tags[i].value,
				       cl->tags[i].transitive);
	s->federated_provider = core_xstrdup(principal_arn);
	if (a->name_id != NULL)
		s->subject = core_xstrdup(a->name_id);
}

static int
run(struct gw_app *app, const struct gw_req *req, struct saml_call *c,
    struct core_err *err)
{
	int64_t now = core_now();
	int d;

	if (gw_sts_saml_params(&req->form, &c->p, err) == -1 ||
	    find_provider(app, c, err) == -1 ||
	    gw_ratelimit_provider(app, c->provider_name, err) == -1)
		return -1;
	/* Unsolicited responses only on the API: any InResponseTo is refused. */
	if (fed_saml_validate(app->saml, app->saml_replay, c->p.assertion,
			      c->p.assertion_len, now,
			      app->conf->clock_skew_seconds, NULL, 0, &c->a, err,
			      NULL) == -1) {
		gw_metrics_token_failure(c->provider_name, err);
		if (err->code == CORE_EUNAVAILABLE)
			gw_metrics_store_error();
		return -1;
	}
	if (strcmp(c->a->idp_name, c->provider_name) != 0) {
		core_err_set(err, CORE_EINVALID_TOKEN, "issuer_mismatch",
			     "The SAML response was not issued by the provider "
			     "named in PrincipalArn");
		return -1;
	}
	if (gw_saml_claims_read(c->a, &c->claims, err) == -1)
		return -1;
	c->name_qualifier = gw_saml_name_qualifier(c->a->issuer,
						   c->provider_account,
						   c->provider_name);
	c->role = gw_conf_find_role(app->conf, c->p.role_arn);
	if (gw_saml_trust_check(app, req->source_ip, c->a, &c->claims, c->role,
				c->p.principal_arn, now, err) == -1 ||
	    gw_saml_duration(c->role, &c->claims, c->a, c->p.duration, now, &d,
			     err) == -1 ||
	    session_policies(app, c, err) == -1)
		return -1;
	gw_saml_session(&c->s, c->role, &c->claims, c->a, c->p.principal_arn,
			c->p.policy, c->p.policy_arns, c->p.n_policy_arns, now, d);
	c->have_session = 1;
	c->session_token = fed_mint_seal(app->keyring, &c->s, err);
	return c->session_token == NULL ? -1 : 0;
}

static void
render(struct core_buf *b, const struct saml_call *c, const char *rid)
{
	gw_xml_begin(b, ARWS);
	gw_sts_render_credentials(b, &c->s, c->session_token);
	gw_sts_render_assumed_role_user(b, &c->s);
	core_buf_puts(b, "\n    ");
	gw_xml_elem_int(b, "PackedPolicySize", c->packed);
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Subject", c->a->name_id ? c->a->name_id : "");
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "SubjectType", gw_saml_subject_type(c->a->name_id_format));
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Issuer", c->a->issuer);
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Audience", c->a->recipient);
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "NameQualifier", c->name_qualifier);
	if (c->s.source_identity != NULL) {
		core_buf_puts(b, "\n    ");
		gw_xml_elem(b, "SourceIdentity", c->s.source_identity);
	}
	gw_xml_end(b, ARWS, rid);
}

static void
audit(struct gw_app *app, const struct gw_req *req, const struct saml_call *c,
      const struct core_err *err)
{
	struct gw_audit_event ev = {0};
	char pid[512], assumed[256];

	ev.event_name = ARWS;
	ev.request_id = req->request_id;
	ev.source_ip = req->source_ip;
	ev.user_agent = req->user_agent;
	ev.time = core_now();
	ev.identity_type = "SAMLUser";
	ev.role_arn = c->p.role_arn;
	ev.role_session_name = c->claims.session_name;
	ev.duration_seconds = c->p.duration;
	ev.identity_provider = c->p.principal_arn;
	if (c->a != NULL) {
		snprintf(pid, sizeof(pid), "%s:%s",
			 c->name_qualifier ? c->name_qualifier : "",
			 c->a->name_id ? c->a->name_id : "");
		ev.principal_id = pid;
		ev.user_name = c->a->name_id;
		ev.token_hash = c->a->assertion_id; /* the ID, never the assertion */
	}
	if (err->code != CORE_OK) {
		ev.err = err;
	} else {
		snprintf(assumed, sizeof(assumed), "%s:%s", c->s.role_id,
			 c->s.session_name);
		ev.access_key_id = c->s.access_key_id;
		ev.expiration = c->s.expires_at;
		ev.assumed_role_id = assumed;
		ev.assumed_role_arn = c->s.assumed_role_arn;
		ev.provider = c->p.principal_arn;
		ev.audience = c->a->recipient;
	}
	gw_audit_log(app->audit, &ev);
}

void
gw_sts_assume_role_with_saml(struct gw_app *app, const struct gw_req *req,
			     struct gw_resp *resp)
{
	struct core_err err = {0};
	struct saml_call c;

	memset(&c, 0, sizeof(c));
	if (run(app, req, &c, &err) == -1) {
		gw_resp_error(resp, req, &err);
	} else {
		resp->status = 200;
		resp->content_type = "text/xml";
		render(&resp->body, &c, req->request_id);
		gw_metrics_credentials_issued(ARWS, c.provider_name);
	}
	gw_metrics_sts_request(ARWS, err.code);
	audit(app, req, &c, &err);
	free(c.session_token);
	free(c.name_qualifier);
	fed_saml_assertion_free(c.a);
	if (c.have_session) {
		struct fed_session *heap = core_xmalloc(sizeof(*heap));

		*heap = c.s;
		fed_session_free(heap);
	}
}
