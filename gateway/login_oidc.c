/* gateway/login_oidc.c - the login page's OIDC sign-in: code flow + PKCE
 *
 * GET /login/<provider> sends the browser to the provider's authorization
 * endpoint with state, nonce and an S256 challenge, all sealed into the
 * flow cookie; GET /oidc/callback must bring back this browser's state
 * (single use), then the code is exchanged at the token endpoint and the
 * ID token validated by the STS API's verifier, nonce and hd included.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"
#include "federation/oidc.h"
#include "federation/oidc_code.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/login_int.h"
#include "gateway/metrics.h"
#include "gateway/websess.h"

#define ENDPOINTS_TTL 3600	/* discovered OIDC endpoints are reused 1 h */

/* Copy the endpoints to use: configured ones win over discovered ones. */
static void
endpoints_copy(const struct gw_login_provider *lp,
	       const struct fed_oidc_endpoints *found,
	       struct fed_oidc_endpoints *out)
{
	out->authorization_endpoint = core_xstrdup(
	    lp->authorization_endpoint != NULL ? lp->authorization_endpoint :
	    found->authorization_endpoint);
	out->token_endpoint = core_xstrdup(lp->token_endpoint != NULL ?
	    lp->token_endpoint : found->token_endpoint);
}

/*
 * The provider's endpoints: configured, or discovered and cached for
 * ENDPOINTS_TTL. The lock is never held across the network: while one
 * request refetches, the others keep using the last good endpoints, and
 * a failed refetch keeps them too.
 */
static int
oidc_endpoints(struct gw_app *app, const struct gw_login_provider *lp,
	       struct fed_oidc_endpoints *out, struct core_err *err)
{
	struct gw_login *l = app->login;
	struct login_endpoints *le = &l->eps[lp - app->conf->logins];
	struct fed_oidc_endpoints fresh = {0};
	int64_t now = core_now();
	int have, refetch;

	memset(out, 0, sizeof(*out));
	if (lp->authorization_endpoint != NULL && lp->token_endpoint != NULL) {
		endpoints_copy(lp, &fresh, out);
		return 0;
	}
	pthread_mutex_lock(&l->lock);
	have = le->ep.token_endpoint != NULL;
	refetch = !le->fetching && (!have || now - le->fetched_at > ENDPOINTS_TTL);
	if (refetch)
		le->fetching = 1;
	else if (have)
		endpoints_copy(lp, &le->ep, out);
	pthread_mutex_unlock(&l->lock);
	if (!refetch && have)
		return 0;
	if (!refetch) {
		core_err_set(err, CORE_EIDP_COMM, "discovery_pending",
			     "the provider's discovery document is being fetched");
		return -1;
	}
	if (fed_oidc_discover_endpoints(lp->issuer, lp->http_timeout_seconds,
					&fresh, err) == -1)
		fed_oidc_endpoints_clear(&fresh);
	pthread_mutex_lock(&l->lock);
	le->fetching = 0;
	if (fresh.token_endpoint != NULL) {
		fed_oidc_endpoints_clear(&le->ep);
		le->ep = fresh;
		le->fetched_at = now;
	}
	have = le->ep.token_endpoint != NULL;
	if (have)
		endpoints_copy(lp, &le->ep, out);
	pthread_mutex_unlock(&l->lock);
	return have ? 0 : -1;
}

static char *
redirect_uri(const struct gw_app *app)
{
	return core_xasprintf("%s/oidc/callback", app->conf->public_url);
}

static char *
scope_string(const struct gw_login_provider *lp)
{
	struct core_buf b;

	core_buf_init(&b, 4096);
	for (size_t i = 0; i < lp->n_scopes; i++)
		core_buf_printf(&b, "%s%s", i ? " " : "", lp->scopes[i]);
	return core_buf_steal(&b);
}

void
gw_login_start_oidc(struct gw_app *app, struct gw_resp *resp,
	   const struct gw_login_provider *lp)
{
	struct fed_oidc_endpoints ep;
	struct fed_oidc_authz_request r = {0};
	struct core_err err = {0};
	char state[48], nonce[48], verifier[FED_PKCE_LEN + 1];
	char challenge[FED_PKCE_LEN + 1];
	char *url, *redir, *scope;

	if (oidc_endpoints(app, lp, &ep, &err) == -1) {
		log_warnx("login: %s: %s", lp->name, err.msg);
		gw_login_error(app, resp, NULL, 502, "IDPCommunicationError",
			       "The sign-in service cannot be reached",
			       "fedgate could not read the identity "
			       "provider's configuration. Try again in a "
			       "minute; if it persists, tell your "
			       "administrator.");
		return;
	}
	gw_web_random(state, sizeof(state), 32);
	gw_web_random(nonce, sizeof(nonce), 32);
	fed_pkce_verifier(verifier);
	fed_pkce_challenge(verifier, challenge);
	redir = redirect_uri(app);
	scope = scope_string(lp);
	r.authorization_endpoint = ep.authorization_endpoint;
	r.client_id = lp->client_id;
	r.redirect_uri = redir;
	r.scope = scope;
	r.state = state;
	r.nonce = nonce;
	r.code_challenge = challenge;
	r.hosted_domain = lp->hosted_domain;
	url = fed_oidc_authorize_url(&r);
	if (url == NULL) {
		log_warnx("login: %s: unusable authorization endpoint or "
			  "scopes", lp->name);
		gw_login_error(app, resp, NULL, 500, "InternalError",
			       "This sign-in option is not set up correctly",
			       "Tell your administrator (the details are in "
			       "fedgate's log).");
	} else {
		gw_login_set_flow(app, resp, json_pack("{s:s, s:i, s:s, s:s, s:s}",
					      "p", lp->name, "k", GW_LOGIN_OIDC,
					      "st", state, "n", nonce, "v",
					      verifier));
		gw_login_redirect(resp, url);
		resp->status = 302;
	}
	free(url);
	free(redir);
	free(scope);
	fed_oidc_endpoints_clear(&ep);
}

/* ---- GET /oidc/callback ---- */

static int
oidc_check_state(struct gw_app *app, struct gw_req *req, json_t *flow,
		 struct core_err *err)
{
	const char *state = gw_form_get(&req->form, "state");
	int r;

	if (flow == NULL || !gw_login_flow_eq(flow, "st", state)) {
		core_err_set(err, CORE_EACCESS, "state_mismatch",
			     "state does not belong to this browser");
		return -1;
	}
	r = gw_web_use_once(app, "web_state", state,
			    json_integer_value(json_object_get(flow, "exp")),
			    err);
	if (r == 0)
		core_err_set(err, CORE_EACCESS, "state_reused",
			     "state already used");
	return r == 1 ? 0 : -1;
}

/* Code for the ID token (back channel), validated like any other. */
static int
oidc_redeem(struct gw_app *app, const struct gw_login_provider *lp,
	    const char *code, json_t *flow, struct fed_identity **id,
	    struct core_err *err)
{
	struct fed_oidc_endpoints ep;
	struct fed_oidc_code_exchange x = {0};
	char *token = NULL, *redir;
	int rc;

	if (oidc_endpoints(app, lp, &ep, err) == -1)
		return -1;
	redir = redirect_uri(app);
	x.token_endpoint = ep.token_endpoint;
	x.client_id = lp->client_id;
	x.client_secret = lp->client_secret;
	x.code = code;
	x.redirect_uri = redir;
	x.code_verifier = json_string_value(json_object_get(flow, "v"));
	x.timeout_seconds = lp->http_timeout_seconds;
	rc = fed_oidc_exchange_code(&x, &token, err);
	if (rc == 0)
		rc = fed_oidc_verify(app->oidc, token, strlen(token),
				     core_now(), app->conf->clock_skew_seconds,
				     id, err);
	if (token != NULL)
		core_secret_free(token, strlen(token));
	free(redir);
	fed_oidc_endpoints_clear(&ep);
	return rc;
}

/* What the ID token must say beyond fed_oidc_verify: ours, this nonce. */
static int
oidc_check_identity(const struct gw_login_provider *lp,
		    const struct fed_identity *id, json_t *flow,
		    struct core_err *err)
{
	const char *nonce = fed_identity_claim(id, "nonce");
	const char *hd = fed_identity_claim(id, "hd");

	if (strcmp(id->provider_name, lp->name) != 0 ||
	    strcmp(id->audience, lp->client_id) != 0)
		core_err_set(err, CORE_EINVALID_TOKEN, "audience_mismatch",
			     "ID token not issued to this client");
	else if (!gw_login_flow_eq(flow, "n", nonce))
		core_err_set(err, CORE_EINVALID_TOKEN, "nonce_mismatch",
			     "nonce mismatch");
	else if (lp->hosted_domain != NULL &&
		 (hd == NULL || strcmp(hd, lp->hosted_domain) != 0))
		core_err_set(err, CORE_EACCESS, "hosted_domain",
			     "account outside the hosted domain");
	else
		return 0;
	return -1;
}

void
gw_login_oidc_callback(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	json_t *flow = gw_login_open_flow(app, req, GW_LOGIN_OIDC);
	const char *pname = json_string_value(json_object_get(flow, "p"));
	const struct gw_login_provider *lp =
	    pname != NULL ? gw_conf_find_login(app->conf, pname) : NULL;
	const char *code = gw_form_get(&req->form, "code");
	struct fed_identity *id = NULL;
	struct core_err err = {0};
	const char *user;

	if (oidc_check_state(app, req, flow, &err) == -1 || lp == NULL) {
		int down = err.code == CORE_EUNAVAILABLE;

		gw_login_failed(app, req, resp, down ? 503 : 403, &err,
			     down ? "ServiceUnavailable" : "InvalidState",
			     down ? "fedgate cannot check this sign-in right "
				    "now. Try again in a minute." :
			     "This sign-in was started in another browser, "
			     "took longer than 10 minutes, or was already "
			     "used. Start again from the sign-in page.");
	} else if (gw_form_get(&req->form, "error") != NULL || code == NULL) {
		core_err_set(&err, CORE_EIDP_REJECTED, "idp_error",
			     "the identity provider returned an error");
		gw_login_failed(app, req, resp, 403, &err, "IdPRejectedClaim",
			     "The identity provider did not sign you in "
			     "(you may have cancelled, or are not allowed "
			     "to use this application).");
	} else if (oidc_redeem(app, lp, code, flow, &id, &err) == -1 ||
		   oidc_check_identity(lp, id, flow, &err) == -1) {
		int comm = err.code == CORE_EIDP_COMM;

		gw_metrics_token_failure(lp->name, &err);
		gw_login_failed(app, req, resp, comm ? 502 : 403, &err,
			     comm ? "IDPCommunicationError" :
			     "InvalidIdentityToken",
			     comm ? "fedgate could not reach the identity "
				    "provider. Try again in a minute." :
			     "The identity provider's answer was not "
			     "accepted. Start again from the sign-in page.");
	} else {
		user = fed_identity_claim(id, "email");
		gw_login_signed_in(app, req, resp, lp->name, GW_LOGIN_OIDC,
			  user != NULL ? user : id->subject,
			  fed_identity_to_json(id));
	}
	fed_identity_free(id);
	json_decref(flow);
}
