/* gateway/login_int.h - shared by login.c and web_creds.c */
#ifndef GW_LOGIN_INT_H
#define GW_LOGIN_INT_H

#include "core/err.h"
#include "gateway/http.h"
#include "gateway/web_html.h"

struct gw_app;
struct gw_websess;

/* Page basics for the signed-in (ws may be NULL) browser. */
void gw_login_page(const struct gw_app *app, const struct gw_websess *ws,
		   struct gw_page *pg);

/**
 * An HTML error page: status, title and message in plain words, code
 * (AWS-style) in small print. Never echoes request values.
 */
void gw_login_error(struct gw_app *app, struct gw_resp *resp,
		    const struct gw_websess *ws, int status, const char *code,
		    const char *title, const char *message);

/** 303 See Other to a path of this site (or an absolute URL). */
void gw_login_redirect(struct gw_resp *resp, const char *where);

/** One audit line for a login-page event (WebLogin, WebLogout, ...). */
void gw_login_audit(struct gw_app *app, const struct gw_req *req,
		    const char *event, const struct gw_websess *ws,
		    const char *role_arn, const struct core_err *err);

/* web_creds.c */
void gw_web_roles(struct gw_app *app, struct gw_req *req, struct gw_resp *resp);
void gw_web_credentials(struct gw_app *app, struct gw_req *req,
			struct gw_resp *resp);
void gw_web_logout(struct gw_app *app, struct gw_req *req, struct gw_resp *resp);
void gw_web_cli_redeem(struct gw_app *app, struct gw_req *req,
		       struct gw_resp *resp);

#endif /* GW_LOGIN_INT_H */
