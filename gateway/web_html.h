/* gateway/web_html.h - the login pages' HTML (server-rendered, no JS needed)
 *
 * Pure renderers: data in, HTML out, every value escaped. One stylesheet and
 * one small script, both served by fedgate itself (/static/...), so the
 * Content-Security-Policy can forbid everything else. The script only adds
 * conveniences (copy buttons, countdown, role filter); every page works
 * without it.
 *
 * Test contract (tests/integration/test_login_browser.py relies on these
 * ids and attributes; change both together):
 *   login:       a.provider[data-provider=NAME] (href /login/NAME)
 *   roles:       input#role-filter; section.account[data-account=ID] > h2;
 *                li.role[data-role-arn=ARN] containing form.choose
 *                (POST /credentials: csrf, role_arn, select[name=duration],
 *                button[type=submit])
 *   credentials: pre#cred-env, pre#cred-ini, pre#cred-process (the JSON),
 *                time#expiration[datetime=ISO], span#countdown,
 *                form#refresh (POST /credentials), buttons.copy[data-copy=ID]
 *   cli confirm: form#cli-send (POST /credentials with cli=1)
 *   every page:  form#logout (POST /logout) when signed in;
 *                error pages: h1#error-title, p#error-message, code#error-code
 */
#ifndef GW_WEB_HTML_H
#define GW_WEB_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "core/mem.h"

struct gw_resp;

/* What every page needs. Borrowed strings; any may be NULL. */
struct gw_page {
	const char *title;	/* product title (config login.title), default "fedgate" */
	const char *user;	/* signed-in user's label, NULL when signed out */
	const char *provider;	/* display name of the provider they used */
	const char *csrf;	/* CSRF token for the page's POST forms */
};

struct gw_login_button {
	const char *name;	/* provider name (URL path) */
	const char *display_name;
	const char *initials;	/* 1..3 characters shown as the logo */
	const char *kind;	/* "SAML" or "OpenID Connect" (small print) */
};

/** GET /login: one button per provider; notice (may be NULL) above them. */
void gw_html_login(struct core_buf *b, const struct gw_page *pg,
		   const struct gw_login_button *btns, size_t n,
		   const char *notice);

struct gw_role_choice {
	const char *role_arn;
	const char *role_name;		/* name with path, e.g. "path/Admin" */
	const char *account_id;
	const char *account_name;	/* from config accounts:, or NULL */
	int max_duration;		/* seconds: duration menu stops here */
};

/**
 * GET /roles: roles grouped by account (in the given order; the caller
 * sorts by account name then role name), a filter box, per role a form
 * with a duration menu (15 min, 1 h, 2 h, 4 h, 8 h, 12 h up to
 * max_duration; default 1 h or the max if smaller). cli (1) when a CLI
 * hand-off is pending: the buttons say "Send to fedgate CLI".
 * n == 0 renders the "no role admits you" explanation.
 */
void gw_html_roles(struct core_buf *b, const struct gw_page *pg,
		   const struct gw_role_choice *roles, size_t n, int cli);

struct gw_cred_view {
	const char *role_arn;
	const char *account_id;
	const char *account_name;	/* or NULL */
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
	int64_t expiration;		/* epoch seconds */
	int duration;			/* seconds issued (refresh reissues it) */
	int64_t now;
};

/**
 * The credentials page: export lines, ~/.aws/credentials block,
 * credential_process JSON, expiry time + countdown, refresh form
 * (POST /credentials, same role and duration), back to roles.
 */
void gw_html_credentials(struct core_buf *b, const struct gw_page *pg,
			 const struct gw_cred_view *v);

/**
 * CLI hand-off confirmation: "Send credentials for ROLE to the fedgate CLI
 * on this computer (127.0.0.1:PORT)?" with form#cli-send.
 */
void gw_html_cli_confirm(struct core_buf *b, const struct gw_page *pg,
			 const struct gw_role_choice *role, int duration,
			 int port);

/** After POST /logout. */
void gw_html_signed_out(struct core_buf *b, const struct gw_page *pg);

/**
 * An error page: what went wrong in words a newcomer understands (title,
 * message), the AWS-style code in small print, and a link back to /login.
 */
void gw_html_error(struct core_buf *b, const struct gw_page *pg,
		   const char *title, const char *message, const char *code);

/**
 * Set the headers every page gets: Content-Security-Policy (default-src
 * 'none'; style-src 'self'; script-src 'self'; img-src 'self';
 * form-action 'self' [extra_form_action]; frame-ancestors 'none';
 * base-uri 'none'), X-Frame-Options DENY, Referrer-Policy no-referrer,
 * X-Content-Type-Options nosniff, Cache-Control no-store, and
 * content type text/html; charset=utf-8. extra_form_action may be NULL
 * (the CLI confirm page adds "http://127.0.0.1:*").
 */
void gw_html_headers(struct gw_resp *resp, const char *extra_form_action);

/**
 * GET /static/fedgate.css and /static/fedgate.js. 1 if path named one
 * (resp filled, long-lived Cache-Control), 0 otherwise.
 */
int gw_html_static(const char *path, struct gw_resp *resp);

#endif /* GW_WEB_HTML_H */
