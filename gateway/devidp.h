/* gateway/devidp.h - the built-in development OIDC issuer (`fedgate dev`)
 *
 * Serves discovery, a JWKS and a token-minting endpoint under /dev/idp on
 * the gateway itself, so a newcomer can exchange a token with no IdP, and
 * the OIDC authorization-code flow with PKCE (a sign-in form where any
 * name works) so the login page works end to end. Exists only in dev
 * mode, which listens on loopback only.
 */
#ifndef GW_DEVIDP_H
#define GW_DEVIDP_H

#include "gateway/http.h"

struct gw_devidp;

#define GW_DEVIDP_PATH "/dev/idp"
#define GW_DEVIDP_AUDIENCE "fedgate-dev"

/** New issuer with a fresh RSA-2048 key; issuer = public_url + "/dev/idp". */
struct gw_devidp *gw_devidp_new(const char *public_url);
void gw_devidp_free(struct gw_devidp *d);

/**
 * Serve /dev/idp/...: GET .well-known/openid-configuration, /jwks, /token
 * (mint); GET/POST /authorize (sign-in form; the only client is
 * fedgate-dev and the only redirect_uri public_url + "/oidc/callback",
 * PKCE S256 required; codes live 60 s, single use, at most 1000
 * outstanding); POST /oauth/token (grant_type=authorization_code; OAuth
 * JSON errors, invalid_grant for a bad, reused or expired code or a
 * verifier that does not match).
 */
void gw_devidp_handle(struct gw_devidp *d, const struct gw_req *req,
		      struct gw_resp *resp);

/**
 * Mint an RS256 ID token: iss, sub, aud, iat, nbf, exp = now + ttl, jti,
 * plus the members of claims_json (a JSON object, may be NULL).
 * Returns malloc'd compact JWS or NULL (bad claims JSON).
 */
char *gw_devidp_mint(struct gw_devidp *d, const char *sub, const char *aud,
		     int ttl, const char *claims_json);

#endif /* GW_DEVIDP_H */
