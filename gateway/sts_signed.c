/* gateway/sts_signed.c - GetCallerIdentity, GetSessionToken, AssumeRole,
 * DecodeAuthorizationMessage: the caller is whoever signed the request.
 */
#include "gateway/sts_signed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "federation/mint.h"
#include "federation/replay.h"
#include "gateway/app.h"
#include "gateway/audit.h"
#include "gateway/authn.h"
#include "gateway/authz.h"
#include "gateway/authzmsg.h"
#include "gateway/conf.h"
#include "gateway/metrics.h"
#include "gateway/revoke.h"
#include "gateway/sts_int.h"
#include "gateway/sts_params.h"
#include "gateway/xml.h"
#include "trust/policy.h"

void
gw_sts_render_credentials(struct core_buf *b, const struct fed_session *s,
		   const char *token)
{
	char exp[32];

	core_time_iso8601(s->expires_at, exp, sizeof(exp));
	core_buf_puts(b, "    <Credentials>\n      ");
	gw_xml_elem(b, "AccessKeyId", s->access_key_id);
	core_buf_puts(b, "\n      ");
	gw_xml_elem(b, "SecretAccessKey", s->secret_access_key);
	core_buf_puts(b, "\n      ");
	gw_xml_elem(b, "SessionToken", token);
	core_buf_puts(b, "\n      ");
	gw_xml_elem(b, "Expiration", exp);
	core_buf_puts(b, "\n    </Credentials>");
}

void
gw_sts_render_assumed_role_user(struct core_buf *b, const struct fed_session *s)
{
	core_buf_puts(b, "\n    <AssumedRoleUser>\n      ");
	gw_xml_elem(b, "Arn", s->assumed_role_arn);
	core_buf_puts(b, "\n      <AssumedRoleId>");
	core_buf_put_xml(b, s->role_id);
	core_buf_puts(b, ":");
	core_buf_put_xml(b, s->session_name);
	core_buf_puts(b, "</AssumedRoleId>\n    </AssumedRoleUser>");
}

void
gw_sts_role_session(struct fed_session *s, const struct gw_role *r,
		    const char *session_name, const char *policy,
		    const char *const *arns, size_t n_arns, int64_t now,
		    int duration)
{
	memset(s, 0, sizeof(*s));
	fed_mint_new_keys(s);
	s->account = core_xstrdup(r->account_id);
	s->role_arn = core_xstrdup(r->arn);
	s->role_id = core_xstrdup(r->role_id);
	s->session_name = core_xstrdup(session_name);
	s->assumed_role_arn = core_xasprintf("arn:aws:sts::%s:assumed-role/%s/%s",
					     r->account_id, r->name, session_name);
	if (policy != NULL)
		s->session_policy = core_xstrdup(policy);
	s->policy_arns = core_xcalloc(n_arns + 1, sizeof(char *));
	for (size_t i = 0; i < n_arns; i++)
		s->policy_arns[s->n_policy_arns++] = core_xstrdup(arns[i]);
	s->issued_at = now;
	s->expires_at = now + duration;
}

void
gw_sts_session_add_tag(struct fed_session *s, const char *key,
		       const char *value, int transitive)
{
	s->tags = core_xrealloc(s->tags, (s->n_tags + 1) * sizeof(*s->tags));
	s->tags[s->n_tags].key = core_xstrdup(key);
	s->tags[s->n_tags].value = core_xstrdup(value);
	s->tags[s->n_tags++].transitive = transitive;
}

/* ---- GetCallerIdentity ---- */

static int
get_caller_identity(struct gw_app *app, const struct gw_req *req,
		    struct gw_signed_call *c, struct gw_resp *resp,
		    struct core_err *err)
{
	struct core_buf *b = &resp->body;

	(void)app, (void)err;
	/* "No permissions are required": even an explicit deny cannot stop it. */
	gw_xml_begin(b, c->action);
	core_buf_puts(b, "    ");
	gw_xml_elem(b, "UserId", c->caller.user_id);
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Account", c->caller.account);
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Arn", c->caller.arn);
	gw_xml_end(b, c->action, req->request_id);
	return 0;
}

/* ---- GetSessionToken ---- */

static int
get_session_token(struct gw_app *app, const struct gw_req *req,
		  struct gw_signed_call *c, struct gw_resp *resp,
		  struct core_err *err)
{
	const struct gw_principal *p = &c->caller;
	int64_t now = core_now();
	int duration;

	if (p->kind != GW_PRINCIPAL_USER) {
		core_err_set(err, CORE_EACCESS, "session_credentials",
			     "Cannot call GetSessionToken with session "
			     "credentials");
		return -1;
	}
	if (gw_sts_gst_duration(&req->form, &duration, err) == -1)
		return -1;
	memset(&c->s, 0, sizeof(c->s));
	c->have_session = 1;
	fed_mint_new_keys(&c->s);
	c->s.account = core_xstrdup(p->account);
	c->s.user_arn = core_xstrdup(p->arn);
	c->s.user_id = core_xstrdup(p->user_id);
	c->s.session_name = core_xstrdup(p->name);
	c->s.issued_at = now;
	c->s.expires_at = now + duration;
	c->session_token = fed_mint_seal(app->keyring, &c->s, err);
	if (c->session_token == NULL)
		return -1;
	gw_xml_begin(&resp->body, c->action);
	gw_sts_render_credentials(&resp->body, &c->s, c->session_token);
	gw_xml_end(&resp->body, c->action, req->request_id);
	return 0;
}

/* ---- DecodeAuthorizationMessage ---- */

static enum trust_decision
caller_may(struct gw_app *app, const struct gw_req *req,
	   const struct gw_principal *p, const char *action,
	   const char *resource)
{
	struct trust_ctx *ctx = trust_ctx_new();
	enum trust_decision d;

	gw_authz_principal_keys(app, ctx, p, req->source_ip, core_now());
	trust_ctx_set_action(ctx, action);
	trust_ctx_set_resource(ctx, resource);
	d = gw_authz_permissions(app, p, ctx, NULL);
	trust_ctx_free(ctx);
	return d;
}

static int
decode_authorization_message(struct gw_app *app, const struct gw_req *req,
			     struct gw_signed_call *c, struct gw_resp *resp,
			     struct core_err *err)
{
	const char *enc = gw_form_get(&req->form, "EncodedMessage");
	char *json;

	if (enc == NULL || enc[0] == '\0') {
		core_err_set(err, CORE_EMISSING_PARAM, "parameter_missing",
			     "The request must contain the parameter "
			     "EncodedMessage");
		return -1;
	}
	if (caller_may(app, req, &c->caller, "sts:DecodeAuthorizationMessage",
		       "*") != TRUST_ALLOW) {
		core_err_set(err, CORE_EACCESS, "permission_denied",
			     "User: %s is not authorized to perform: "
			     "sts:DecodeAuthorizationMessage", c->caller.arn);
		return -1;
	}
	json = gw_authzmsg_decode(app, enc, err);
	if (json == NULL)
		return -1;
	gw_xml_begin(&resp->body, c->action);
	core_buf_puts(&resp->body, "    ");
	gw_xml_elem(&resp->body, "DecodedMessage", json);
	gw_xml_end(&resp->body, c->action, req->request_id);
	free(json);
	return 0;
}

/* ---- RevokeSessions (fedgate extension) ---- */

/* Which form of RevokeSessions the parameters ask for: exactly one. */
static int
revoke_params(const struct gw_req *req, struct gw_revocation *r,
	      struct core_err *err)
{
	const char *role = gw_form_get(&req->form, "RoleArn");
	const char *akid = gw_form_get(&req->form, "AccessKeyId");
	const char *sub = gw_form_get(&req->form, "Subject");
	const char *prov = gw_form_get(&req->form, "Provider");
	const char *before = gw_form_get(&req->form, "IssuedBefore");
	int forms = (role != NULL) + (akid != NULL) +
		    (sub != NULL || prov != NULL);

	memset(r, 0, sizeof(*r));
	if (forms != 1 || (akid != NULL && before != NULL)) {
		core_err_set(err, CORE_EVALIDATION, "parameter_combination",
			     "Specify exactly one of RoleArn [IssuedBefore], "
			     "AccessKeyId, or Subject and Provider "
			     "[IssuedBefore]");
		return -1;
	}
	r->kind = role != NULL ? GW_REVOKE_ROLE :
	    akid != NULL ? GW_REVOKE_SESSION : GW_REVOKE_SUBJECT;
	r->role_arn = role;
	r->access_key_id = akid;
	r->subject = sub;
	r->provider = prov;
	return gw_revoke_parse_time(before, core_now(), &r->issued_before,
				    err);
}

static char *
revoke_target(const struct gw_revocation *r)
{
	if (r->kind == GW_REVOKE_SESSION)
		return core_xasprintf("session/%s", r->access_key_id);
	if (r->kind == GW_REVOKE_ROLE)
		return core_xstrdup(r->role_arn);
	return core_xasprintf("subject/%s/%s",
			      gw_revoke_provider_id(r->provider), r->subject);
}

static int
revoke_sessions(struct gw_app *app, const struct gw_req *req,
		struct gw_signed_call *c, struct gw_resp *resp,
		struct core_err *err)
{
	struct gw_revocation r;
	char key[GW_REVOKE_KEY_MAX], when[32];
	int64_t t;

	if (revoke_params(req, &r, err) == -1 ||
	    gw_revoke_key(&r, key, sizeof(key), err) == -1)
		return -1;
	c->revoke_target = revoke_target(&r);
	/* Role revocations are scoped to the role; the others reach
	 * sessions of any role, so they need fedgate:Revoke on "*". */
	if (caller_may(app, req, &c->caller, "fedgate:Revoke",
		       r.kind == GW_REVOKE_ROLE ? r.role_arn : "*") !=
	    TRUST_ALLOW) {
		core_err_set(err, CORE_EACCESS, "permission_denied",
			     "User: %s is not authorized to perform: "
			     "fedgate:Revoke on resource: %s", c->caller.arn,
			     r.kind == GW_REVOKE_ROLE ? r.role_arn : "*");
		return -1;
	}
	if (gw_revoke_record(fed_saml_replay_store(app->saml_replay), &r,
			     core_now(), &t, err) == -1)
		return -1;
	core_time_iso8601(t, when, sizeof(when));
	gw_xml_begin(&resp->body, c->action);
	core_buf_puts(&resp->body, "    ");
	gw_xml_elem(&resp->body, "Target", c->revoke_target);
	core_buf_puts(&resp->body, "\n    ");
	gw_xml_elem(&resp->body, r.kind == GW_REVOKE_SESSION ? "RevokedAt" :
		    "IssuedBefore", when);
	gw_xml_end(&resp->body, c->action, req->request_id);
	log_info("revoked %s (issued before %s) by %s", c->revoke_target, when,
		 c->caller.arn);
	return 0;
}

/* ---- dispatch ---- */

static const struct {
	const char *action;
	int (*fn)(struct gw_app *, const struct gw_req *, struct gw_signed_call *,
		  struct gw_resp *, struct core_err *);
} signed_actions[] = {
	{"GetCallerIdentity", get_caller_identity},
	{"GetSessionToken", get_session_token},
	{"AssumeRole", gw_sts_assume_role},
	{"DecodeAuthorizationMessage", decode_authorization_message},
	{"RevokeSessions", revoke_sessions},
};

static const char *
identity_type(const struct gw_principal *p)
{
	return p->kind == GW_PRINCIPAL_ROLE_SESSION ? "AssumedRole" : "IAMUser";
}

static void
audit_signed(struct gw_app *app, const struct gw_req *req,
	     const struct gw_signed_call *c, const struct core_err *err)
{
	struct gw_audit_event ev = {0};
	char assumed_id[256];

	ev.event_name = c->action;
	ev.request_id = req->request_id;
	ev.source_ip = req->source_ip;
	ev.user_agent = req->user_agent;
	ev.time = core_now();
	ev.identity_type = c->authenticated ? identity_type(&c->caller) : NULL;
	if (c->authenticated) {
		ev.principal_id = c->caller.user_id;
		ev.arn = c->caller.arn;
		ev.account_id = c->caller.account;
		ev.caller_key_id = c->caller.access_key_id;
		ev.user_name = c->caller.name;
	}
	ev.role_arn = c->ar.role_arn;
	ev.role_session_name = c->ar.session_name;
	ev.duration_seconds = c->ar.duration;
	if (c->revoke_target != NULL) {
		ev.action = "fedgate:Revoke";
		ev.resource = c->revoke_target;
	}
	if (err->code != CORE_OK) {
		ev.err = err;
	} else if (c->have_session && c->session_token != NULL) {
		ev.access_key_id = c->s.access_key_id;
		ev.expiration = c->s.expires_at;
		if (c->s.role_arn != NULL) {
			snprintf(assumed_id, sizeof(assumed_id), "%s:%s",
				 c->s.role_id, c->s.session_name);
			ev.assumed_role_id = assumed_id;
			ev.assumed_role_arn = c->s.assumed_role_arn;
		}
	}
	gw_audit_log(app->audit, &ev);
}

static void
session_clear(struct gw_signed_call *c)
{
	free(c->session_token);
	free(c->revoke_target);
	if (c->have_session) {
		struct fed_session *heap = core_xmalloc(sizeof(*heap));

		*heap = c->s; /* fed_session_free wipes the secret */
		fed_session_free(heap);
	}
}

int
gw_sts_signed(struct gw_app *app, struct gw_req *req, const char *action,
	      struct gw_resp *resp)
{
	struct core_err err = {0};
	struct gw_signed_msg m;
	struct gw_signed_call c;
	size_t i, n = sizeof(signed_actions) / sizeof(signed_actions[0]);

	for (i = 0; i < n; i++)
		if (strcmp(action, signed_actions[i].action) == 0)
			break;
	if (i == n)
		return -1;
	memset(&c, 0, sizeof(c));
	c.action = signed_actions[i].action;
	gw_authn_msg_from_req(req, &m);
	if (gw_authn_verify(app, &m.msg, "sts", core_now(), &c.caller,
			    &err) == 0) {
		c.authenticated = 1;
		resp->status = 200;
		resp->content_type = "text/xml";
		if (signed_actions[i].fn(app, req, &c, resp, &err) == 0)
			err.code = CORE_OK;
	}
	if (err.code != CORE_OK)
		gw_resp_error(resp, req, &err);
	else if (c.session_token != NULL)
		gw_metrics_credentials_issued(c.action, NULL);
	gw_metrics_sts_request(c.action, err.code);
	audit_signed(app, req, &c, &err);
	session_clear(&c);
	gw_principal_clear(&c.caller);
	return 0;
}
