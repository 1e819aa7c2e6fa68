/* gateway/sts.c - STS actions: thin handlers over federation/ and trust/
 *
 * AssumeRoleWithWebIdentity: validate parameters, verify the ID token
 * (federation), decide with the role's trust policy (trust), mint and seal
 * credentials (federation/mint), render AWS's XML, write one audit line.
 */
#include "gateway/sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "federation/mint.h"
#include "federation/oidc.h"
#include "federation/replay.h"
#include "gateway/app.h"
#include "gateway/audit.h"
#include "gateway/conf.h"
#include "gateway/metrics.h"
#include "gateway/ratelimit.h"
#include "gateway/sts_int.h"
#include "gateway/sts_params.h"
#include "gateway/sts_saml.h"
#include "gateway/sts_signed.h"
#include "gateway/authz.h"
#include "gateway/xml.h"
#include "trust/policy.h"

#define AWI "AssumeRoleWithWebIdentity"
#define GW_JTI_REPLAY_NS "jti"	/* store namespace of used tokens */

/* Everything one AssumeRoleWithWebIdentity call produced, for audit + XML. */
struct awi_call {
	struct gw_awi_params p;
	struct fed_identity *id;
	const struct gw_role *role;
	struct fed_session s;
	char *session_token;
	char principal_id[512];
	int packed;
};

static int
check_session_policy(struct gw_app *app, const struct gw_awi_params *p,
		     size_t tag_bytes, int *packed, struct core_err *err)
{
	if (p->policy != NULL) {
		struct trust_policy *sp = trust_policy_parse(
		    p->policy, strlen(p->policy), TRUST_KIND_IDENTITY, err);

		if (sp == NULL)
			return -1;
		trust_policy_free(sp);
	}
	/* Managed session policies must be configured managed policies:
	 * an unknown ARN could not be enforced later. */
	if (gw_authz_check_policy_arns(app, p->policy_arns, p->n_policy_arns,
				       err) == -1)
		return -1;
	*packed = gw_sts_packed_size(p->policy, p->policy_arns,
				     p->n_policy_arns, tag_bytes, err);
	return *packed < 0 ? -1 : 0;
}

void
gw_awi_session(struct fed_session *s, const struct gw_role *role,
	       const struct fed_identity *id, const char *session_name,
	       const char *policy, const char *const *arns, size_t n_arns,
	       int64_t now, int duration)
{
	gw_sts_role_session(s, role, session_name, policy, arns, n_arns, now,
			    duration);
	if (id->source_identity != NULL)
		s->source_identity = core_xstrdup(id->source_identity);
	for (size_t i = 0; i < id->n_tags; i++)
		gw_sts_session_add_tag(s, id->tags[i].key, id->tags[i].value,
				       id->tags[i].transitive);
	s->federated_provider = core_xasprintf("arn:aws:iam::%s:oidc-provider/%s",
					       role->account_id,
					       id->provider_id);
	s->subject = core_xstrdup(id->subject);
}

/*
 * A provider with replay_protection accepts each token once, on every
 * instance sharing the store: the token's jti (or the whole token) is
 * recorded until it expires (exp + skew: until then it would verify).
 * Recorded last, once every other check passed, so a request refused for
 * a bad parameter does not spend the token. A store that cannot answer
 * refuses the request (fail closed): accepting would reopen the window.
 */
static int
awi_check_replay(struct gw_app *app, const struct fed_identity *id,
		 struct core_err *err)
{
	struct core_store *s = app->saml_replay != NULL ?
	    fed_saml_replay_store(app->saml_replay) : NULL;
	char key[CORE_STORE_MAX_KEY + 1];
	struct core_err serr = {0};
	int rc;

	if (!id->replay_protection)
		return 0;
	snprintf(key, sizeof(key), "%s:%s", id->provider_name,
		 id->jti_sha256);
	rc = s == NULL ? -1 :
	    core_store_add_once(s, GW_JTI_REPLAY_NS, key,
				id->exp + app->conf->clock_skew_seconds, &serr);
	if (rc == 1)
		return 0;
	if (rc == 0) {
		core_err_set(err, CORE_EINVALID_TOKEN, "replay",
			     "Invalid token: this web identity token was "
			     "already used (replay protection is on for its "
			     "provider)");
		gw_metrics_token_failure(id->provider_name, err);
		return -1;
	}
	gw_metrics_store_error();
	log_warnx("%s: token %s refused: replay check impossible (%s)",
		  __func__, id->jti_hash, serr.reason ? serr.reason : "no store");
	core_err_set(err, CORE_EUNAVAILABLE, "replay_store_unavailable",
		     "The replay cache is unavailable; try again later");
	return -1;
}

static int
awi_run(struct gw_app *app, const struct gw_req *req, struct awi_call *c,
	struct core_err *err)
{
	int64_t now = core_now();
	int duration;

	if (gw_sts_awi_params(&req->form, &c->p, err) == -1)
		return -1;
	/* Before the signature check: throttling spares that work too. */
	if (gw_ratelimit_provider(app, fed_oidc_token_provider(app->oidc,
	    c->p.token, c->p.token_len), err) == -1)
		return -1;
	if (fed_oidc_verify(app->oidc, c->p.token, c->p.token_len, now,
			    app->conf->clock_skew_seconds, &c->id, err) == -1) {
		gw_metrics_token_failure(fed_oidc_token_provider(app->oidc,
		    c->p.token, c->p.token_len), err);
		return -1;
	}
	snprintf(c->principal_id, sizeof(c->principal_id), "%s:%s:%s",
		 c->id->provider_id, c->id->audience, c->id->subject);
	c->role = gw_conf_find_role(app->conf, c->p.role_arn);
	if (gw_trust_web_identity(app, req, c->role, c->id, c->p.session_name,
				  now, err) == -1)
		return -1;
	if (gw_sts_duration(c->p.duration, c->role->max_session_duration,
			    &duration, err) == -1 ||
	    check_session_policy(app, &c->p, gw_tag_bytes(c->id), &c->packed,
				 err) == -1 ||
	    awi_check_replay(app, c->id, err) == -1)
		return -1;
	gw_awi_session(&c->s, c->role, c->id, c->p.session_name, c->p.policy,
		       c->p.policy_arns, c->p.n_policy_arns, now, duration);
	c->session_token = fed_mint_seal(app->keyring, &c->s, err);
	return c->session_token == NULL ? -1 : 0;
}

static void
awi_render(struct core_buf *b, const struct awi_call *c, const char *rid)
{
	gw_xml_begin(b, AWI);
	gw_sts_render_credentials(b, &c->s, c->session_token);
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "SubjectFromWebIdentityToken", c->id->subject);
	gw_sts_render_assumed_role_user(b, &c->s);
	core_buf_puts(b, "\n    ");
	gw_xml_elem_int(b, "PackedPolicySize", c->packed);
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Provider", c->id->issuer);
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Audience", c->id->audience);
	if (c->s.source_identity != NULL) {
		core_buf_puts(b, "\n    ");
		gw_xml_elem(b, "SourceIdentity", c->s.source_identity);
	}
	gw_xml_end(b, AWI, rid);
}

static void
awi_audit(struct gw_app *app, const struct gw_req *req,
	  const struct awi_call *c, const struct core_err *err)
{
	struct gw_audit_event ev = {0};
	char assumed_id[256];

	ev.event_name = AWI;
	ev.request_id = req->request_id;
	ev.source_ip = req->source_ip;
	ev.user_agent = req->user_agent;
	ev.time = core_now();
	ev.identity_type = "WebIdentityUser";
	ev.role_arn = c->p.role_arn;
	ev.role_session_name = c->p.session_name;
	ev.duration_seconds = c->p.duration;
	if (c->id != NULL) {
		ev.principal_id = c->principal_id;
		ev.user_name = c->id->subject;
		ev.identity_provider = c->id->provider_id;
		ev.token_hash = c->id->jti_hash;
	}
	if (err->code != CORE_OK) {
		ev.err = err;
	} else {
		snprintf(assumed_id, sizeof(assumed_id), "%s:%s",
			 c->role->role_id, c->s.session_name);
		ev.access_key_id = c->s.access_key_id;
		ev.expiration = c->s.expires_at;
		ev.assumed_role_id = assumed_id;
		ev.assumed_role_arn = c->s.assumed_role_arn;
		ev.provider = c->id->issuer;
		ev.audience = c->id->audience;
	}
	gw_audit_log(app->audit, &ev);
}

static void
assume_role_with_web_identity(struct gw_app *app, const struct gw_req *req,
			      struct gw_resp *resp)
{
	struct core_err err = {0};
	struct awi_call c;

	memset(&c, 0, sizeof(c));
	if (awi_run(app, req, &c, &err) == -1) {
		gw_resp_error(resp, req, &err);
	} else {
		resp->status = 200;
		resp->content_type = "text/xml";
		awi_render(&resp->body, &c, req->request_id);
		gw_metrics_credentials_issued(AWI, c.id->provider_name);
	}
	gw_metrics_sts_request(AWI, err.code);
	awi_audit(app, req, &c, &err);
	free(c.session_token);
	fed_identity_free(c.id);
	if (c.s.access_key_id != NULL) {
		struct fed_session *heap = core_xmalloc(sizeof(*heap));

		*heap = c.s; /* fed_session_free wipes the secret */
		fed_session_free(heap);
	}
}

/* Actions of the STS model that later releases implement. */
static const char *const later_actions[] = {
	"GetFederationToken", "GetAccessKeyInfo", NULL,
};

void
gw_sts_handle(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	struct core_err err = {0};
	const char *action, *version;

	if (req->form_error) {
		gw_metrics_sts_request(NULL, req->form_err.code);
		gw_resp_error(resp, req, &req->form_err);
		return;
	}
	if (req->body_not_form) {
		core_err_set(&err, CORE_EUNSUPPORTED_MEDIA, "content_type",
			     "The STS API expects application/"
			     "x-www-form-urlencoded request bodies");
		gw_metrics_sts_request(NULL, err.code);
		gw_resp_error(resp, req, &err);
		return;
	}
	action = gw_form_get(&req->form, "Action");
	version = gw_form_get(&req->form, "Version");
	if (action == NULL || action[0] == '\0') {
		core_err_set(&err, CORE_EMISSING_ACTION, "action_missing",
			     "Missing Action");
	} else if (version != NULL && strcmp(version, GW_STS_VERSION) != 0) {
		core_err_set(&err, CORE_EINVALID_ACTION, "version_invalid",
			     "Could not find operation %.64s for version %.32s",
			     action, version);
	} else if (strcmp(action, AWI) == 0) {
		assume_role_with_web_identity(app, req, resp);
		return;
	} else if (strcmp(action, "AssumeRoleWithSAML") == 0) {
		gw_sts_assume_role_with_saml(app, req, resp);
		return;
	} else if (gw_sts_signed(app, req, action, resp) == 0) {
		return;
	} else {
		int later = 0;

		for (size_t i = 0; later_actions[i] != NULL; i++)
			later |= strcmp(action, later_actions[i]) == 0;
		core_err_set(&err, CORE_EINVALID_ACTION, "action_invalid",
			     later ? "Action %.64s is not supported by this "
				     "fedgate version"
				   : "Could not find operation %.64s for version "
				     GW_STS_VERSION, action);
	}
	gw_metrics_sts_request(action, err.code);
	gw_resp_error(resp, req, &err);
}
