/* gateway/login_saml.c - the login page's SAML sign-in
 *
 * GET /login/<provider> sends a signed AuthnRequest (HTTP-Redirect) with a
 * RelayState bound to this browser by the flow cookie; POST /saml/acs
 * validates the response with the STS API's validator, the flow's request
 * ID being the only InResponseTo accepted (IdP-initiated responses carry
 * none and are accepted too).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "federation/saml.h"
#include "federation/saml_authn.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/login_int.h"
#include "gateway/metrics.h"
#include "gateway/saml_claims.h"
#include "gateway/websess.h"

void
gw_login_start_saml(struct gw_app *app, struct gw_resp *resp,
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
	gw_login_set_flow(app, resp, json_pack("{s:s, s:i, s:s, s:s}", "p", lp->name,
				      "k", GW_LOGIN_SAML, "rid", rid, "rs",
				      relay));
	gw_login_redirect(resp, url);
	resp->status = 302;
	free(url);
	free(rid);
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
	if (relay != NULL && !gw_login_flow_eq(flow, "rs", relay)) {
		core_err_set(err, CORE_EACCESS, "relay_state_mismatch",
			     "RelayState does not belong to this browser");
		return -1;
	}
	return 0;
}

void
gw_login_saml_acs(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	size_t len = 0;
	const char *b64 = gw_form_get_len(&req->form, "SAMLResponse", &len);
	json_t *flow = gw_login_open_flow(app, req, GW_LOGIN_SAML);
	const char *rid = json_string_value(json_object_get(flow, "rid"));
	struct fed_saml_assertion *a = NULL;
	struct gw_saml_claims cl;
	struct core_err err = {0};

	if (b64 == NULL || app->saml == NULL) {
		core_err_set(&err, CORE_EMISSING_PARAM, "missing", "no SAMLResponse");
		gw_login_failed(app, req, resp, 400, &err, "InvalidRequest",
			     "No SAML response was received. Start again "
			     "from the sign-in page.");
	} else if (saml_check_relay(req, flow, &err) == -1) {
		gw_login_failed(app, req, resp, 403, &err, "InvalidRelayState",
			     "This sign-in was started in another browser "
			     "or has already been used. Start again from "
			     "the sign-in page.");
	} else if (fed_saml_validate(app->saml, app->saml_replay, b64, len,
		   core_now(), app->conf->clock_skew_seconds,
		   rid != NULL ? &rid : NULL, rid != NULL, &a, &err, NULL) == -1) {
		gw_metrics_token_failure(json_string_value(json_object_get(
		    flow, "p")), &err);
		gw_login_failed(app, req, resp,
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
		   (flow != NULL && !gw_login_flow_eq(flow, "p", a->idp_name))) {
		core_err_set(&err, CORE_EACCESS, "provider_not_enabled",
			     "provider has no login block");
		gw_login_failed(app, req, resp, 403, &err, "AccessDenied",
			     "This identity provider is not enabled for the "
			     "sign-in page.");
	} else if (gw_saml_claims_read(a, &cl, &err) == -1) {
		gw_login_failed(app, req, resp, 403, &err, "InvalidIdentityToken",
			     err.msg);
	} else {
		gw_login_signed_in(app, req, resp, a->idp_name, GW_LOGIN_SAML,
			  a->name_id != NULL ? a->name_id : cl.session_name,
			  fed_saml_assertion_to_json(a));
	}
	fed_saml_assertion_free(a);
	json_decref(flow);
}
