/* gateway/login.h - the SSO login page ([4/5]): routes
 *
 * Sign-in (login.c): GET /login, GET /login/<provider>, POST /saml/acs,
 * GET /oidc/callback. After it (web_creds.c): GET /roles, POST
 * /credentials, POST /logout, POST /login/cli/redeem. Pages are rendered
 * by web_html.c; browser state lives in sealed cookies (websess.c); the
 * decisions are the STS API's (web_issue.c).
 */
#ifndef GW_LOGIN_H
#define GW_LOGIN_H

#include "gateway/http.h"

struct gw_app;
struct gw_conf;
struct gw_login;	/* per-app: discovered OIDC endpoints (cached) */

/** NULL when the config has no login providers. */
struct gw_login *gw_login_new(const struct gw_conf *conf);
void gw_login_free(struct gw_login *l);

/** Handle req if it is a login-page path: 1 handled, 0 not ours. */
int gw_login_route(struct gw_app *app, struct gw_req *req,
		   struct gw_resp *resp);

#endif /* GW_LOGIN_H */
