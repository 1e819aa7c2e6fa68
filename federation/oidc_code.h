/* federation/oidc_code.h - OIDC authorization code flow with PKCE (login page)
 *
 * The browser half of OIDC ([4/5]): where to send the user (authorization
 * URL with state, nonce and an S256 code challenge), and the back-channel
 * token endpoint call (libcurl) that turns the returned code into an ID
 * token. The ID token is then validated by fed_oidc_verify like any other;
 * nothing here trusts it. Also the JSON form of a validated identity, so
 * the gateway can keep it in a sealed web-session cookie.
 */
#ifndef FED_OIDC_CODE_H
#define FED_OIDC_CODE_H

#include <stddef.h>

#include "core/err.h"

struct fed_identity;

#define FED_PKCE_LEN 43			/* base64url of 32 random bytes / of SHA-256 */
#define FED_OIDC_MAX_DISCOVERY (256 * 1024)
#define FED_OIDC_MAX_TOKEN_RESPONSE (256 * 1024)

struct fed_oidc_endpoints {
	char *authorization_endpoint;	/* https (http only on loopback) */
	char *token_endpoint;
};

/**
 * Read issuer's discovery document (issuer + "/.well-known/openid-configuration",
 * body bounded by FED_OIDC_MAX_DISCOVERY, "issuer" must equal issuer exactly)
 * and fill *out (malloc'd strings). Endpoints must be https, or http on a
 * loopback host. -1 with err CORE_EIDP_COMM (unreachable, bad JSON, issuer
 * mismatch; message says which) on failure.
 */
int fed_oidc_discover_endpoints(const char *issuer, int timeout_seconds,
				struct fed_oidc_endpoints *out,
				struct core_err *err);
void fed_oidc_endpoints_clear(struct fed_oidc_endpoints *e);

/** A fresh PKCE code verifier: 43 base64url chars + NUL (RFC 7636 §4.1). */
void fed_pkce_verifier(char out[FED_PKCE_LEN + 1]);

/** S256 challenge of verifier: base64url(SHA-256(verifier)), 43 chars + NUL. */
void fed_pkce_challenge(const char *verifier, char out[FED_PKCE_LEN + 1]);

/* What goes into an authorization request. Borrowed strings. */
struct fed_oidc_authz_request {
	const char *authorization_endpoint;
	const char *client_id;
	const char *redirect_uri;
	const char *scope;		/* space-separated, must contain "openid" */
	const char *state;
	const char *nonce;
	const char *code_challenge;	/* S256 */
	const char *hosted_domain;	/* Google "hd", or NULL */
};

/**
 * The authorization URL: endpoint + response_type=code, client_id,
 * redirect_uri, scope, state, nonce, code_challenge,
 * code_challenge_method=S256 (+ hd), each percent-encoded (RFC 3986
 * unreserved kept). Appends with '&' if the endpoint already has a query.
 * malloc'd.
 */
char *fed_oidc_authorize_url(const struct fed_oidc_authz_request *r);

/* The back-channel code exchange (RFC 6749 §4.1.3 + RFC 7636 §4.5). */
struct fed_oidc_code_exchange {
	const char *token_endpoint;
	const char *client_id;
	const char *client_secret;	/* NULL: public client (client_id in body) */
	const char *code;
	const char *redirect_uri;
	const char *code_verifier;
	int timeout_seconds;
};

/**
 * POST grant_type=authorization_code to the token endpoint (client_secret_basic
 * when a secret is configured), response bounded by FED_OIDC_MAX_TOKEN_RESPONSE,
 * and return the id_token (malloc'd; the access token is ignored and never
 * kept). err: CORE_EIDP_REJECTED with the endpoint's "error" code (never its
 * description verbatim beyond 200 printable chars) on a 4xx answer,
 * CORE_EIDP_COMM when unreachable / 5xx / not JSON / no id_token.
 * Neither code, verifier, secret nor tokens appear in err or logs.
 */
int fed_oidc_exchange_code(const struct fed_oidc_code_exchange *x,
			   char **id_token, struct core_err *err);

/**
 * Value of a top-level claim of a validated identity by its claim name
 * ("email", "nonce", "hd"; not the "<provider>:" prefixed key). First value
 * of a multi-valued claim; NULL when absent. Borrowed from id.
 */
const char *fed_identity_claim(const struct fed_identity *id, const char *claim);

/**
 * Serialise a validated identity (every field of struct fed_identity,
 * claims and tags included) as compact JSON, and back. from_json checks
 * types and bounds (it reads what the gateway sealed itself, but a parser
 * is a parser): NULL with err CORE_EINTERNAL on anything unexpected.
 */
char *fed_identity_to_json(const struct fed_identity *id);
struct fed_identity *fed_identity_from_json(const char *json, size_t len,
					    struct core_err *err);

#endif /* FED_OIDC_CODE_H */
