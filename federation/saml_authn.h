/* federation/saml_authn.h - SP-initiated SAML (login page, [4/5])
 *
 * A signed AuthnRequest over the HTTP-Redirect binding (lasso), and the JSON
 * form of a validated assertion so the gateway can keep it in a sealed
 * web-session cookie. Responses still come back through fed_saml_validate,
 * with the request ID passed as the only acceptable InResponseTo.
 */
#ifndef FED_SAML_AUTHN_H
#define FED_SAML_AUTHN_H

#include <stddef.h>

#include "core/err.h"

struct fed_saml;
struct fed_saml_assertion;

#define FED_SAML_MAX_RELAY_STATE 80	/* SAML bindings §3.4.3: 80 bytes */

/** Index of the IdP named name (config name), or -1. */
int fed_saml_idp_index(const struct fed_saml *s, const char *name);

/**
 * Can IdP i be sent an AuthnRequest: its metadata lists a
 * SingleSignOnService with the HTTP-Redirect binding, and the SP has a
 * signing key and certificate (saml_sp key_file + cert_file)? 1 or 0.
 */
int fed_saml_idp_can_sso(const struct fed_saml *s, size_t i);

/**
 * Build a signed AuthnRequest for IdP i (HTTP-Redirect binding, RSA-SHA256
 * query signature with the SP key; Destination = the IdP's SSO URL;
 * AssertionConsumerServiceURL = the SP's acs_url; ProtocolBinding
 * HTTP-POST; a fresh random ID; NameIDPolicy AllowCreate) with relay_state
 * (<= FED_SAML_MAX_RELAY_STATE bytes, may be NULL). *url gets the complete
 * redirect URL and *request_id the request's ID (both malloc'd).
 * -1 with err CORE_ECONFIG (IdP cannot SSO, no SP key) or CORE_EINTERNAL.
 * Thread-safe.
 */
int fed_saml_authn_request(struct fed_saml *s, size_t i, const char *relay_state,
			   char **url, char **request_id, struct core_err *err);

/**
 * Serialise a validated assertion (every field of struct
 * fed_saml_assertion, attributes included) as compact JSON, and back.
 * from_json checks types and bounds (FED_SAML_MAX_ATTRS, FED_SAML_MAX_VALUES):
 * NULL with err CORE_EINTERNAL on anything unexpected.
 */
char *fed_saml_assertion_to_json(const struct fed_saml_assertion *a);
struct fed_saml_assertion *fed_saml_assertion_from_json(const char *json,
							size_t len,
							struct core_err *err);

#endif /* FED_SAML_AUTHN_H */
