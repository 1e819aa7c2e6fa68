/* gateway/login.c - the login page: routes and the sign-in flows
 *
 * A sign-in starts at GET /login/<provider>: fedgate seals what it must
 * check on the way back (OIDC state, nonce, PKCE verifier; SAML request ID
 * and RelayState) into a short-lived flow cookie bound to this browser,
 * and sends the browser to the IdP. The way back (POST /saml/acs, GET
 * /oidc/callback) must match that cookie, is single use, and validates
 * the token or assertion with the STS API's own validators. Only then is
 * a web session cookie set.
 */
#include "gateway/login.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"
#include "federation/oidc.h"
#include "federation/oidc_code.h"
#include "federation/saml.h"
#include "federation/saml_authn.h"
#include "gateway/app.h"
#include "gateway/audit.h"
#include "gateway/conf.h"
#include "gateway/login_int.h"
#include "gateway/metrics.h"
#include "gateway/ratelimit.h"
#include "gateway/saml_claims.h"
#include "gateway/web_html.h"
#include "gateway/web_issue.h"
#include "gateway/websess.h"

#define ENDPOINTS_TTL 3600	/* discovered OIDC endpoints are reused 1 h */
#define CLI_STATE_MAX 128

/* Discovered authorization/token endpoints, per login provider. */
struct login_endpoints {
	struct fed_oidc_endpoints ep;
	int64_t fetched_at;
	int fetching;			/* one refetch at a time */
};

struct gw_login {
	pthread_mutex_t lock;
	struct login_endpoints *eps;	/* parallel to conf->logins */
	size_t n;
};

struct gw_login *
gw_login_new(const struct gw_conf *conf)
{
	struct gw_login *l;

	if (conf->n_logins == 0)
		return NULL;
	l = core_xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->eps = core_xcalloc(conf->n_logins, sizeof(*l->eps));
	l->n = conf->n_logins;
	return l;
}

void
gw_login_free(struct gw_login *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		fed_oidc_endpoints_clear(&l->eps[i].ep);
	free(l->eps);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* ---- shared page helpers (login_int.h) ---- */

void
gw_login_page(const struct gw_app *app, const struct gw_websess *ws,
	      struct gw_page *pg)
{
	const struct gw_login_provider *lp = NULL;

	memset(pg, 0, sizeof(*pg));
	pg->title = app->conf->web.title;
	if (ws == NULL)
		return;
	lp = gw_conf_find_login(app->conf, ws->provider);
	pg->user = ws->user;
	pg->provider = lp != NULL ? lp->display_name : ws->provider;
	pg->csrf = ws->csrf;
}

void
gw_login_error(struct gw_app *app, struct gw_resp *resp,
	       const struct gw_websess *ws, int status, const char *code,
	       const char *title, const char *message)
{
	struct gw_page pg;

	gw_login_page(app, ws, &pg);
	core_buf_reset(&resp->body);
	gw_html_error(&resp->body, &pg, title, message, code);
	gw_html_headers(resp, NULL);
	resp->status = status;
}

void
gw_login_redirect(struct gw_resp *resp, const char *where)
{
	free(resp->location);
	resp->location = core_xstrdup(where);
	resp->status = 303;
	resp->content_type = "text/plain";
	core_buf_reset(&resp->body);
	gw_resp_header(resp, "Cache-Control", "no-store");
}

void
gw_login_audit(struct gw_app *app, const struct gw_req *req,
	       const char *event, const struct gw_websess *ws,
	       const char *role_arn, const struct core_err *err)
{
	struct gw_audit_event ev = {0};

	ev.event_name = event;
	ev.request_id = req->request_id;
	ev.source_ip = req->source_ip;
	ev.user_agent = req->user_agent;
	ev.time = core_now();
	ev.role_arn = role_arn;
	if (ws != NULL) {
		ev.identity_type = ws->kind == GW_LOGIN_SAML ? "SAMLUser" :
				   "WebIdentityUser";
		ev.user_name = ws->user;
		ev.identity_provider = ws->provider;
		ev.token_hash = ws->sid;	/* correlates a browser's events */
	}
	if (err != NULL && err->code != CORE_OK)
		ev.err = err;
	gw_audit_log(app->audit, &ev);
}

/* ---- GET /login ---- */

static int
b64url_token(const char *s, size_t min, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static long
int_param(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || strlen(s) > 6)
		return -1;
	v = strtol(s, &end, 10);
	return *end != '\0' || v < lo || v > hi ? -1 : v;
}

/*
 * `fedgate login` sent the browser here: remember its loopback port, state
 * and challenge (and wanted role/duration) for after the sign-in. -1 with
 * an error page on bad values; 0 when there is no hand-off or it is kept.
 */
static int
remember_cli(struct gw_app *app, const struct gw_req *req,
	     struct gw_resp *resp)
{
	const struct gw_form *f = &req->form;
	const char *port = gw_form_get(f, "cli_port");
	const char *role = gw_form_get(f, "role");
	const char *dur = gw_form_get(f, "duration");
	long p, d = 0;
	json_t *o;
	char *v;

	if (port == NULL)
		return 0;
	p = int_param(port, 1024, 65535);
	if (dur != NULL)
		d = int_param(dur, 900, 43200);
	if (p < 0 || d < 0 ||
	    !b64url_token(gw_form_get(f, "cli_state"), 16, CLI_STATE_MAX) ||
	    !b64url_token(gw_form_get(f, "cli_challenge"), 43, 43) ||
	    (role != NULL && strlen(role) > 2048)) {
		gw_login_error(app, resp, NULL, 400, "InvalidRequest",
			       "This sign-in link is not valid",
			       "The link that fedgate login opened is "
			       "incomplete or damaged. Run fedgate login "
			       "again.");
		return -1;
	}
	o = json_pack("{s:I, s:s, s:s, s:s?, s:I, s:I}", "port",
		      (json_int_t)p, "state", gw_form_get(f, "cli_state"),
		      "ch", gw_form_get(f, "cli_challenge"), "role", role,
		      "dur", (json_int_t)d, "exp",
		      (json_int_t)(core_now() + GW_WEB_CLI_SECONDS));
	v = o != NULL ? gw_web_seal(app, GW_COOKIE_CLI, o) : NULL;
	json_decref(o);
	if (v != NULL)
		gw_web_set_cookie(app, resp, GW_COOKIE_CLI, v,
				  GW_WEB_CLI_SECONDS);
	free(v);
	return 0;
}

static void
login_page(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	const struct gw_conf *c = app->conf;
	struct gw_login_button *btns;
	struct gw_websess ws;
	struct core_err err = {0};
	struct gw_page pg;
	int cli = gw_form_get(&req->form, "cli_port") != NULL;

	if (remember_cli(app, req, resp) == -1)
		return;
	if (gw_websess_read(app, req, &ws, core_now(), &err) == 1) {
		gw_websess_clear(&ws);
		gw_login_redirect(resp, "/roles");
		return;
	}
	btns = core_xcalloc(c->n_logins, sizeof(*btns));
	for (size_t i = 0; i < c->n_logins; i++) {
		btns[i].name = c->logins[i].name;
		btns[i].display_name = c->logins[i].display_name;
		btns[i].initials = c->logins[i].initials;
		btns[i].kind = c->logins[i].kind == GW_LOGIN_SAML ? "SAML" :
			       "OpenID Connect";
	}
	gw_login_page(app, NULL, &pg);
	gw_html_login(&resp->body, &pg, btns, c->n_logins,
		      cli ? "Sign in to send temporary credentials to the "
			    "fedgate command on your computer." : NULL);
	free(btns);
	gw_html_headers(resp, NULL);
	resp->status = 200;
}

/* ---- GET /login/<provider> ---- */

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

static void
set_flow(struct gw_app *app, struct gw_resp *resp, json_t *flow)
{
	char *v;

	json_object_set_new(flow, "exp",
			    json_integer(core_now() + GW_WEB_FLOW_SECONDS));
	v = gw_web_seal(app, GW_COOKIE_FLOW, flow);
	if (v != NULL)
		gw_web_set_cookie(app, resp, GW_COOKIE_FLOW, v,
				  GW_WEB_FLOW_SECONDS);
	free(v);
	json_decref(flow);
}

static void
start_oidc(struct gw_app *app, struct gw_resp *resp,
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
		set_flow(app, resp, json_pack("{s:s, s:i, s:s, s:s, s:s}",
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

static void
start_saml(struct gw_app *app, struct gw_resp *resp,
	   const struct gw_login_provider *lp)
{
	struct core_err err = {0};
	char relay[32];
	char *url = NULL, *rid = NULL;
	int i = app->saml != NULL ? fed_saml_idp_index(app->saml, lp->name) : -1;

	gw_web_random(relay, sizeof(relay), 16);
	if (i < 0 || fed_saml_authn_request(app->saml, (size_t)i, relay, &url,
					    &rid, &err) == -1) {
		log_warnx("login: %s: %s", lp->name,
			  i < 0 ? "no such SAML provider" : err.msg);
		gw_login_error(app, resp, NULL, 500, "InternalError",
			       "This sign-in option is not set up correctly",
			       "fedgate cannot send you to this identity "
			       "provider. Tell your administrator (the "
			       "details are in fedgate's log).");
		return;
	}
	set_flow(app, resp, json_pack("{s:s, s:i, s:s, s:s}", "p", lp->name,
				      "k", GW_LOGIN_SAML, "rid", rid, "rs",
				      relay));
	gw_login_redirect(resp, url);
	resp->status = 302;
	free(url);
	free(rid);
}

static void
start_login(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	const char *name = req->path + strlen("/login/");
	const struct gw_login_provider *lp = gw_conf_find_login(app->conf, name);

	if (lp == NULL) {
		gw_login_error(app, resp, NULL, 404, "NotFound",
			       "No such sign-in option",
			       "Choose one of the options on the sign-in "
			       "page.");
		return;
	}
	if (lp->kind == GW_LOGIN_OIDC)
		start_oidc(app, resp, lp);
	else
		start_saml(app, resp, lp);
}

/* ---- the way back: a validated identity becomes a web session ---- */

static void
signed_in(struct gw_app *app, struct gw_req *req, struct gw_resp *resp,
	  const char *provider, int kind, const char *user, char *identity)
{
	struct gw_websess ws;
	struct core_err err = {0};

	/* NULL: the identity has more than the session format holds. */
	if (identity == NULL) {
		core_err_set(&err, CORE_EVALIDATION, "identity_too_large",
			     "The identity provider sent more claims or "
			     "attributes than a browser session can hold");
		gw_login_audit(app, req, "WebLogin", NULL, NULL, &err);
		gw_login_error(app, resp, NULL, 400, "IdentityTooLarge",
			       "Your sign-in is too large for a browser "
			       "session", err.msg);
		return;
	}
	gw_websess_init(&ws, provider, kind, user, identity, core_now());
	free(identity);
	if (gw_websess_write(app, resp, &ws, core_now(), &err) == -1) {
		gw_login_audit(app, req, "WebLogin", &ws, NULL, &err);
		gw_login_error(app, resp, NULL, 400, "IdentityTooLarge",
			       "Your sign-in is too large for a browser "
			       "session", err.msg);
		gw_websess_clear(&ws);
		return;
	}
	gw_web_clear_cookie(app, resp, GW_COOKIE_FLOW);
	gw_login_audit(app, req, "WebLogin", &ws, NULL, NULL);
	gw_login_redirect(resp, "/roles");
	gw_websess_clear(&ws);
}

/* A failed way back: audit the reason, show a page that says what to do. */
static void
login_failed(struct gw_app *app, struct gw_req *req, struct gw_resp *resp,
	     int status, const struct core_err *err, const char *code,
	     const char *message)
{
	gw_login_audit(app, req, "WebLogin", NULL, NULL, err);
	gw_login_error(app, resp, NULL, status, code, "Sign-in failed",
		       message);
}

static int
flow_str_eq(json_t *flow, const char *key, const char *value)
{
	const char *s = json_string_value(json_object_get(flow, key));

	return s != NULL && value != NULL &&
	       core_secret_eq(s, strlen(s), value, strlen(value));
}

/* The flow cookie, if it is unexpired and of this kind. */
static json_t *
open_flow(struct gw_app *app, const struct gw_req *req, int kind)
{
	json_t *f = gw_web_open(app, GW_COOKIE_FLOW, req);

	if (f != NULL &&
	    (json_integer_value(json_object_get(f, "k")) != kind ||
	     json_integer_value(json_object_get(f, "exp")) < core_now())) {
		json_decref(f);
		f = NULL;
	}
	return f;
}

/* ---- POST /saml/acs ---- */

static int
saml_check_relay(struct gw_req *req, json_t *flow, struct core_err *err)
{
	const char *relay = gw_form_get(&req->form, "RelayState");

	/* IdP-initiated: no flow of ours; the response must then carry no
	 * InResponseTo (fed_saml_validate refuses one with nothing
	 * outstanding). */
	if (flow == NULL)
		return 0;
	if (relay != NULL && !flow_str_eq(flow, "rs", relay)) {
		core_err_set(err, CORE_EACCESS, "relay_state_mismatch",
			     "RelayState does not belong to this browser");
		return -1;
	}
	return 0;
}

static void
saml_acs(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	size_t len = 0;
	const char *b64 = gw_form_get_len(&req->form, "SAMLResponse", &len);
	json_t *flow = open_flow(app, req, GW_LOGIN_SAML);
	const char *rid = json_string_value(json_object_get(flow, "rid"));
	struct fed_saml_assertion *a = NULL;
	struct gw_saml_claims cl;
	struct core_err err = {0};

	if (b64 == NULL || app->saml == NULL) {
		core_err_set(&err, CORE_EMISSING_PARAM, "missing", "no SAMLResponse");
		login_failed(app, req, resp, 400, &err, "InvalidRequest",
			     "No SAML response was received. Start again "
			     "from the sign-in page.");
	} else if (saml_check_relay(req, flow, &err) == -1) {
		login_failed(app, req, resp, 403, &err, "InvalidRelayState",
			     "This sign-in was started in another browser "
			     "or has already been used. Start again from "
			     "the sign-in page.");
	} else if (fed_saml_validate(app->saml, app->saml_replay, b64, len,
		   core_now(), app->conf->clock_skew_seconds,
		   rid != NULL ? &rid : NULL, rid != NULL, &a, &err, NULL) == -1) {
		gw_metrics_token_failure(json_string_value(json_object_get(
		    flow, "p")), &err);
		login_failed(app, req, resp,
			     err.code == CORE_EUNAVAILABLE ? 503 : 403, &err,
			     err.code == CORE_EUNAVAILABLE ?
			     "ServiceUnavailable" : "InvalidIdentityToken",
			     err.code == CORE_EUNAVAILABLE ?
			     "fedgate cannot check this sign-in right now. "
			     "Try again in a minute." :
			     "The identity provider's answer was not "
			     "accepted (it may be expired, already used, "
			     "or meant for another service). Start again "
			     "from the sign-in page.");
	} else if (gw_conf_find_login(app->conf, a->idp_name) == NULL ||
		   (flow != NULL && !flow_str_eq(flow, "p", a->idp_name))) {
		core_err_set(&err, CORE_EACCESS, "provider_not_enabled",
			     "provider has no login block");
		login_failed(app, req, resp, 403, &err, "AccessDenied",
			     "This identity provider is not enabled for the "
			     "sign-in page.");
	} else if (gw_saml_claims_read(a, &cl, &err) == -1) {
		login_failed(app, req, resp, 403, &err, "InvalidIdentityToken",
			     err.msg);
	} else {
		signed_in(app, req, resp, a->idp_name, GW_LOGIN_SAML,
			  a->name_id != NULL ? a->name_id : cl.session_name,
			  fed_saml_assertion_to_json(a));
	}
	fed_saml_assertion_free(a);
	json_decref(flow);
}

/* ---- GET /oidc/callback ---- */

static int
oidc_check_state(struct gw_app *app, struct gw_req *req, json_t *flow,
		 struct core_err *err)
{
	const char *state = gw_form_get(&req->form, "state");
	int r;

	if (flow == NULL || !flow_str_eq(flow, "st", state)) {
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
	else if (!flow_str_eq(flow, "n", nonce))
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

static void
oidc_callback(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	json_t *flow = open_flow(app, req, GW_LOGIN_OIDC);
	const char *pname = json_string_value(json_object_get(flow, "p"));
	const struct gw_login_provider *lp =
	    pname != NULL ? gw_conf_find_login(app->conf, pname) : NULL;
	const char *code = gw_form_get(&req->form, "code");
	struct fed_identity *id = NULL;
	struct core_err err = {0};
	const char *user;

	if (oidc_check_state(app, req, flow, &err) == -1 || lp == NULL) {
		int down = err.code == CORE_EUNAVAILABLE;

		login_failed(app, req, resp, down ? 503 : 403, &err,
			     down ? "ServiceUnavailable" : "InvalidState",
			     down ? "fedgate cannot check this sign-in right "
				    "now. Try again in a minute." :
			     "This sign-in was started in another browser, "
			     "took longer than 10 minutes, or was already "
			     "used. Start again from the sign-in page.");
	} else if (gw_form_get(&req->form, "error") != NULL || code == NULL) {
		core_err_set(&err, CORE_EIDP_REJECTED, "idp_error",
			     "the identity provider returned an error");
		login_failed(app, req, resp, 403, &err, "IdPRejectedClaim",
			     "The identity provider did not sign you in "
			     "(you may have cancelled, or are not allowed "
			     "to use this application).");
	} else if (oidc_redeem(app, lp, code, flow, &id, &err) == -1 ||
		   oidc_check_identity(lp, id, flow, &err) == -1) {
		int comm = err.code == CORE_EIDP_COMM;

		gw_metrics_token_failure(lp->name, &err);
		login_failed(app, req, resp, comm ? 502 : 403, &err,
			     comm ? "IDPCommunicationError" :
			     "InvalidIdentityToken",
			     comm ? "fedgate could not reach the identity "
				    "provider. Try again in a minute." :
			     "The identity provider's answer was not "
			     "accepted. Start again from the sign-in page.");
	} else {
		user = fed_identity_claim(id, "email");
		signed_in(app, req, resp, lp->name, GW_LOGIN_OIDC,
			  user != NULL ? user : id->subject,
			  fed_identity_to_json(id));
	}
	fed_identity_free(id);
	json_decref(flow);
}

/* The user declined to send credentials to the CLI: forget the hand-off
 * (the CLI times out on its own), back to the ordinary role list. */
static void
cancel_cli(struct gw_app *app, struct gw_resp *resp)
{
	gw_login_redirect(resp, "/roles");
	gw_web_clear_cookie(app, resp, GW_COOKIE_CLI);
}

/* ---- router ---- */

/*
 * The per-source-IP limit of the STS API also covers the sign-in steps
 * that make fedgate work (AuthnRequest signing, assertion validation,
 * token endpoint calls). 1: throttled, resp is a page saying so.
 */
static int
throttled(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	if (gw_ratelimit_request(app, req, "WebLogin", resp) == 0)
		return 0;
	gw_login_error(app, resp, NULL, 429, "Throttling",
		       "Too many sign-in attempts",
		       "Too many requests came from your address. Wait a "
		       "minute and try again.");
	return 1;
}

static int
is(const struct gw_req *req, const char *method, const char *path)
{
	return strcmp(req->method, method) == 0 && strcmp(req->path, path) == 0;
}

int
gw_login_route(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	if (app->login == NULL)
		return 0;
	if (strncmp(req->path, "/static/", 8) == 0 &&
	    strcmp(req->method, "GET") == 0)
		return gw_html_static(req->path, resp);
	if (is(req, "GET", "/login"))
		login_page(app, req, resp);
	else if (is(req, "POST", "/login/cli/redeem"))
		gw_web_cli_redeem(app, req, resp);
	else if (is(req, "GET", "/login/cli/cancel"))
		cancel_cli(app, resp);
	else if (strncmp(req->path, "/login/", 7) == 0 &&
		 strcmp(req->method, "GET") == 0) {
		if (!throttled(app, req, resp))
			start_login(app, req, resp);
	} else if (is(req, "POST", "/saml/acs")) {
		if (!throttled(app, req, resp))
			saml_acs(app, req, resp);
	} else if (is(req, "GET", "/oidc/callback")) {
		if (!throttled(app, req, resp))
			oidc_callback(app, req, resp);
	}
	else if (is(req, "GET", "/roles"))
		gw_web_roles(app, req, resp);
	else if (is(req, "POST", "/credentials"))
		gw_web_credentials(app, req, resp);
	else if (is(req, "POST", "/logout"))
		gw_web_logout(app, req, resp);
	else if (is(req, "GET", "/credentials") || is(req, "GET", "/logout"))
		/* A reload or a bookmark: issuing and signing out are POSTs. */
		gw_login_redirect(resp, "/roles");
	else
		return 0;
	return 1;
}
