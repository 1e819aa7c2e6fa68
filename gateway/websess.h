/* gateway/websess.h - the login page's browser state, in sealed cookies
 *
 * fedgate keeps no per-browser state on the server: what a browser needs is
 * sealed (AES-256-GCM, the key ring of [1/5]) into cookies, each with its
 * own purpose string so that one kind never opens as another:
 *  - the web session: who signed in (the validated identity), when, the
 *    CSRF token; bounded lifetime and idle timeout;
 *  - the flow: one sign-in in progress (OIDC state, nonce, PKCE verifier,
 *    or the SAML request ID and RelayState);
 *  - the CLI hand-off: a pending `fedgate login` (loopback port, its state
 *    and challenge).
 * The plaintext is deflated JSON; cookies stay under 4 KB or are refused.
 * Single use (flows) and ended sessions (logout) are recorded in the store,
 * so they hold across instances sharing a Redis.
 */
#ifndef GW_WEBSESS_H
#define GW_WEBSESS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "gateway/http.h"

struct gw_app;

#define GW_WEB_COOKIE_MAX 4000		/* bytes of one sealed cookie value */
#define GW_WEB_FLOW_SECONDS 600		/* a sign-in must finish in 10 min */
#define GW_WEB_CLI_SECONDS 900

enum gw_web_cookie { GW_COOKIE_SESSION, GW_COOKIE_FLOW, GW_COOKIE_CLI };

/* A signed-in browser. */
struct gw_websess {
	char sid[24];			/* random id: logout records it; audit */
	char csrf[48];			/* random; every POST form carries it */
	char provider[72];		/* login provider name */
	int kind;			/* enum gw_login_kind */
	int64_t login_at;
	int64_t seen_at;
	char *user;			/* label: email, name or subject */
	char *identity;			/* JSON of the validated identity */
};

/** Is the login page served over https (Secure, __Host- cookies)? */
int gw_web_secure(const struct gw_app *app);

/**
 * Seal obj for cookie kind; NULL when it would exceed GW_WEB_COOKIE_MAX.
 * Open a cookie of that kind from req: a JSON object (caller decrefs) or
 * NULL when absent, tampered, or sealed for another purpose.
 */
char *gw_web_seal(const struct gw_app *app, enum gw_web_cookie kind,
		  json_t *obj);
json_t *gw_web_open(const struct gw_app *app, enum gw_web_cookie kind,
		    const struct gw_req *req);

/**
 * The value of cookie name (exact, case-sensitive) in req's Cookie
 * header(s), the first one found, copied into buf (size bytes, NUL
 * included) and returned; NULL when absent, when a header exceeds 16 KiB
 * (skipped), or when the value does not fit buf. Untrusted input.
 */
const char *gw_cookie_find(const struct gw_req *req, const char *name,
			   char *buf, size_t size);

/** Set-Cookie for kind (HttpOnly, Path=/, Secure + __Host- over https). */
void gw_web_set_cookie(const struct gw_app *app, struct gw_resp *resp,
		       enum gw_web_cookie kind, const char *value,
		       int max_age);
void gw_web_clear_cookie(const struct gw_app *app, struct gw_resp *resp,
			 enum gw_web_cookie kind);

/**
 * A new session for a validated identity (identity JSON and user label
 * are copied): fresh sid and CSRF token.
 */
void gw_websess_init(struct gw_websess *ws, const char *provider, int kind,
		     const char *user, const char *identity, int64_t now);

/**
 * The browser's session: 1 valid (seen_at updated to now), 0 none (err
 * reason: "no_session", "tampered", "expired", "idle", "ended"), -1 store
 * unreachable while checking "ended" (err CORE_EUNAVAILABLE).
 */
int gw_websess_read(struct gw_app *app, const struct gw_req *req,
		    struct gw_websess *ws, int64_t now, struct core_err *err);

/**
 * Set the session cookie (Max-Age: what is left of the lifetime). -1 with
 * err when the identity is too large for a cookie.
 */
int gw_websess_write(struct gw_app *app, struct gw_resp *resp,
		     const struct gw_websess *ws, int64_t now,
		     struct core_err *err);

/** Record ws as ended (logout) until its lifetime is over. 0 or -1 with err. */
int gw_websess_end(struct gw_app *app, const struct gw_websess *ws,
		   struct core_err *err);

/** Does the form's csrf field match the session's (constant time)? */
int gw_websess_csrf_ok(const struct gw_websess *ws, const char *token);

void gw_websess_clear(struct gw_websess *ws);

/**
 * Mark a one-time value (flow state, CLI code) as used until expires_at.
 * 1 first use, 0 already used, -1 store unreachable (err).
 */
int gw_web_use_once(struct gw_app *app, const char *what, const char *value,
		    int64_t expires_at, struct core_err *err);

/** base64url of n random bytes into out (size >= 4n/3 + 2). */
void gw_web_random(char *out, size_t size, size_t n);

#endif /* GW_WEBSESS_H */
