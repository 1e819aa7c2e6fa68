/* gateway/web_html.c - the login pages' HTML, stylesheet and script
 *
 * Every page is built through html(), a tiny formatter whose %s escapes
 * for HTML text and attribute contexts alike; raw markup needs the
 * explicit %r, which only ever receives string literals from this file.
 * No inline script or style attribute appears anywhere: the CSP in
 * gw_html_headers() forbids them, and the pages must look right anyway.
 */
#include "gateway/web_html.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"
#include "gateway/http.h"

#define PROFILE_MAX 64		/* ~/.aws/credentials profile name */

/* Session lengths offered on the roles page (seconds). */
static const int durations[] = {900, 3600, 7200, 14400, 28800, 43200};
#define DEFAULT_DURATION 3600

/*
 * HTML-escape s (NULL is ""). One helper for text and double-quoted
 * attribute values: & < > " ' all become entities. Control characters
 * and invalid UTF-8 become U+FFFD, so a hostile value can neither break
 * a one-line field (an export line, an INI key) nor the page's encoding;
 * keep_nl lets our own multi-line blocks (the JSON) keep their newlines.
 */
static void
html_put(struct core_buf *b, const char *s, int keep_nl)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *run = s;

	if (s == NULL)
		return;
	while (*p != '\0') {
		const char *rep;
		size_t n = core_utf8_seq_len(p);

		if (n > 1 || (n == 1 && (*p >= 0x20 || (keep_nl && *p == '\n')) &&
			      *p != 0x7f && strchr("&<>\"'", *p) == NULL)) {
			p += n;
			continue;
		}
		switch (n == 0 ? 0 : *p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: rep = "\xef\xbf\xbd"; break;
		}
		core_buf_append(b, run, (size_t)((const char *)p - run));
		core_buf_puts(b, rep);
		p++;
		run = (const char *)p;
	}
	core_buf_append(b, run, (size_t)((const char *)p - run));
}

/*
 * The page formatter. %s: escaped string (NULL is ""), %m: the same but
 * newlines kept, %r: raw markup (literals of this file only), %u: URL
 * path segment, %d: int, %%: a percent sign.
 */
static void
html(struct core_buf *b, const char *fmt, ...)
{
	va_list ap;
	const char *run = fmt;

	va_start(ap, fmt);
	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%' || fmt[1] == '\0')
			continue;
		core_buf_append(b, run, (size_t)(fmt - run));
		switch (*++fmt) {
		case 's': html_put(b, va_arg(ap, const char *), 0); break;
		case 'm': html_put(b, va_arg(ap, const char *), 1); break;
		case 'r': core_buf_puts(b, va_arg(ap, const char *)); break;
		case 'u': core_buf_put_pct(b, va_arg(ap, const char *)); break;
		case 'd': core_buf_printf(b, "%d", va_arg(ap, int)); break;
		default: core_buf_puts(b, "%"); break;
		}
		run = fmt + 1;
	}
	core_buf_append(b, run, (size_t)(fmt - run));
	va_end(ap);
}

static const char *
or_default(const char *s, const char *def)
{
	return s != NULL && *s != '\0' ? s : def;
}

/* "15 minutes", "1 hour", "1 hour 30 minutes", "45 seconds". */
static void
human_duration(char *out, size_t len, int secs)
{
	int h = secs / 3600, m = secs % 3600 / 60, s = secs % 60;

	if (secs <= 0 || s != 0 || (h == 0 && m == 0))
		snprintf(out, len, "%d seconds", secs);
	else if (h == 0)
		snprintf(out, len, "%d minute%s", m, m == 1 ? "" : "s");
	else if (m == 0)
		snprintf(out, len, "%d hour%s", h, h == 1 ? "" : "s");
	else
		snprintf(out, len, "%d hour%s %d minute%s", h, h == 1 ? "" : "s",
			 m, m == 1 ? "" : "s");
}

/* Same wording as the script's countdown, so the page reads alike
 * with and without JavaScript. */
static void
human_remaining(char *out, size_t len, int64_t left)
{
	if (left <= 0)
		snprintf(out, len, "expired \xe2\x80\x94 refresh");
	else if (left >= 3600)
		snprintf(out, len, "expires in %lld h %lld min",
			 (long long)(left / 3600), (long long)(left % 3600 / 60));
	else if (left >= 60)
		snprintf(out, len, "expires in %lld min %lld s",
			 (long long)(left / 60), (long long)(left % 60));
	else
		snprintf(out, len, "expires in %lld s", (long long)left);
}

/* "Admin" from "arn:aws:iam::111122223333:role/path/Admin". */
static const char *
role_short_name(const char *arn)
{
	const char *r, *slash;

	if (arn == NULL)
		return "";
	r = strstr(arn, ":role/");
	if (r == NULL)
		return arn;
	slash = strrchr(r, '/');
	return slash[1] != '\0' ? slash + 1 : r + 6;
}

/* Deterministic colour for an initials logo (class c0..c5). */
static int
logo_colour(const char *name)
{
	unsigned h = 5381;

	for (const unsigned char *p = (const unsigned char *)name;
	     p != NULL && *p != '\0'; p++)
		h = h * 33 + *p;
	return (int)(h % 6);
}

/* ---- page frame ---- */

static void
page_begin(struct core_buf *b, const struct gw_page *pg, const char *heading)
{
	const char *title = or_default(pg != NULL ? pg->title : NULL, "fedgate");

	html(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"referrer\" content=\"no-referrer\">\n"
		"<title>%s \xc2\xb7 %s</title>\n"
		"<link rel=\"stylesheet\" href=\"/static/fedgate.css\">\n"
		"<script src=\"/static/fedgate.js\" defer></script>\n"
		"</head>\n<body>\n"
		"<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
		"<header class=\"top\"><div class=\"bar\">\n"
		"<a class=\"brand\" href=\"%r\"><span class=\"mark\" aria-hidden=\"true\">"
		"</span>%s</a>\n", heading, title,
	     pg != NULL && pg->user != NULL ? "/roles" : "/login", title);
	if (pg != NULL && pg->user != NULL) {
		html(b, "<div class=\"session\"><span class=\"who\">Signed in as "
			"<strong>%s</strong>", pg->user);
		if (pg->provider != NULL)
			html(b, " <span class=\"via\">via %s</span>", pg->provider);
		html(b, "</span>\n<form id=\"logout\" method=\"post\" action=\"/logout\">"
			"<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
			"<button type=\"submit\" class=\"btn ghost small\">Sign out</button>"
			"</form></div>\n", pg->csrf);
	}
	html(b, "</div></header>\n<main id=\"main\">\n");
}

static void
page_end(struct core_buf *b)
{
	html(b, "</main>\n<footer class=\"foot\">Temporary credentials for "
		"AWS-compatible tools \xc2\xb7 fedgate</footer>\n</body>\n</html>\n");
}

static void
hidden_field(struct core_buf *b, const char *name, const char *value)
{
	html(b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", name, value);
}

/* ---- login ---- */

void
gw_html_login(struct core_buf *b, const struct gw_page *pg,
	      const struct gw_login_button *btns, size_t n, const char *notice)
{
	page_begin(b, pg, "Sign in");
	html(b, "<div class=\"card narrow\">\n<h1>Sign in</h1>\n"
		"<p class=\"lead\">Sign in with your company account to get "
		"temporary AWS credentials.</p>\n");
	if (notice != NULL)
		html(b, "<p class=\"notice\" role=\"status\">%s</p>\n", notice);
	if (n == 0)
		html(b, "<p class=\"empty\">No sign-in method is set up yet. "
			"Please ask your administrator.</p>\n");
	else
		html(b, "<ul class=\"providers\">\n");
	for (size_t i = 0; i < n; i++) {
		const struct gw_login_button *bt = &btns[i];
		const char *label = or_default(bt->display_name, bt->name);

		html(b, "<li><a class=\"provider\" data-provider=\"%s\" "
			"href=\"/login/%u\"><span class=\"logo c%d\" "
			"aria-hidden=\"true\">%s</span><span class=\"pname\">"
			"Continue with <strong>%s</strong>",
		     bt->name, bt->name, logo_colour(bt->name),
		     or_default(bt->initials, "?"), label);
		if (bt->kind != NULL)
			html(b, "<span class=\"kind\">%s</span>", bt->kind);
		html(b, "</span></a></li>\n");
	}
	if (n > 0)
		html(b, "</ul>\n<p class=\"hint\">You will be taken to your "
			"company's sign-in page, then brought back here to "
			"choose a role.</p>\n");
	html(b, "</div>\n");
	page_end(b);
}

/* ---- roles ---- */

static int
default_duration(int max)
{
	return max < DEFAULT_DURATION ? max : DEFAULT_DURATION;
}

/* The menu stops at the role's maximum; an off-list maximum is offered
 * as the last choice so "the max if smaller" is always selectable. */
static void
duration_menu(struct core_buf *b, int max, size_t idx)
{
	char label[48];
	int def, shown = 0;

	if (max <= 0)
		max = DEFAULT_DURATION;
	def = default_duration(max);
	html(b, "<label class=\"dur\"><span>Valid for</span> "
		"<select name=\"duration\" id=\"dur-%d\">", (int)idx);
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		if (durations[i] > max)
			break;
		human_duration(label, sizeof(label), durations[i]);
		html(b, "<option value=\"%d\"%r>%s</option>", durations[i],
		     durations[i] == def ? " selected" : "", label);
		shown = durations[i];
	}
	if (shown != max) {
		human_duration(label, sizeof(label), max);
		html(b, "<option value=\"%d\"%r>%s</option>", max,
		     max == def ? " selected" : "", label);
	}
	html(b, "</select></label>");
}

static void
role_item(struct core_buf *b, const struct gw_page *pg,
	  const struct gw_role_choice *r, size_t idx, int cli)
{
	html(b, "<li class=\"role\" data-role-arn=\"%s\">"
		"<div class=\"role-info\"><span class=\"role-name\" id=\"role-%d\">"
		"%s</span><code class=\"arn\">%s</code></div>\n"
		"<form class=\"choose\" method=\"post\" action=\"/credentials\">",
	     r->role_arn, (int)idx,
	     or_default(r->role_name, role_short_name(r->role_arn)), r->role_arn);
	hidden_field(b, "csrf", pg != NULL ? pg->csrf : NULL);
	hidden_field(b, "role_arn", r->role_arn);
	duration_menu(b, r->max_duration, idx);
	/* Many buttons share one label: name the role for screen readers. */
	html(b, "<button type=\"submit\" class=\"btn\" aria-describedby=\"role-%d\">"
		"%s</button></form></li>\n", (int)idx,
	     cli ? "Send to fedgate CLI" : "Get credentials");
}

static void
roles_none(struct core_buf *b, const struct gw_page *pg)
{
	html(b, "<div class=\"card narrow\">\n<h1>No roles available</h1>\n"
		"<p>You are signed in%r%s%r, but no role is open to "
		"you yet: each role's trust policy decides who may use "
		"it.</p>\n<p>Ask your administrator to give you access to a "
		"role, then sign out and sign in again.</p>\n</div>\n",
	     pg != NULL && pg->user != NULL ? " as <strong>" : "",
	     pg != NULL ? pg->user : NULL,
	     pg != NULL && pg->user != NULL ? "</strong>" : "");
}

void
gw_html_roles(struct core_buf *b, const struct gw_page *pg,
	      const struct gw_role_choice *roles, size_t n, int cli)
{
	page_begin(b, pg, "Choose a role");
	if (n == 0) {
		roles_none(b, pg);
		page_end(b);
		return;
	}
	html(b, "<h1>Choose a role</h1>\n<p class=\"lead\">Pick the account "
		"and role you need and how long the credentials should "
		"last.</p>\n");
	if (cli)
		html(b, "<p class=\"notice\" role=\"status\">The fedgate CLI "
			"on this computer is waiting: the role you choose will "
			"be sent to it.</p>\n");
	html(b, "<div class=\"filter\" hidden><label for=\"role-filter\">Filter"
		"</label><input id=\"role-filter\" type=\"search\" "
		"placeholder=\"Account or role name\" autocomplete=\"off\" "
		"spellcheck=\"false\"></div>\n");
	for (size_t i = 0; i < n; i++) {
		const struct gw_role_choice *r = &roles[i];
		int first = i == 0 ||
		    strcmp(or_default(roles[i - 1].account_id, ""),
			   or_default(r->account_id, "")) != 0;

		if (first) {
			if (i > 0)
				html(b, "</ul></section>\n");
			html(b, "<section class=\"account\" data-account=\"%s\">"
				"<h2>%s <span class=\"acct-id\">%s</span></h2>\n"
				"<ul class=\"roles\">\n", r->account_id,
			     or_default(r->account_name, "Account"),
			     r->account_id);
		}
		role_item(b, pg, r, i, cli);
	}
	html(b, "</ul></section>\n<p id=\"no-match\" class=\"empty\" hidden>"
		"No role matches your filter.</p>\n");
	page_end(b);
}

/* ---- credentials ---- */

/* [A-Za-z0-9_-]: spaces and punctuation collapse into one '-'. */
static void
profile_part(char *out, size_t len, size_t *at, const char *s)
{
	for (const char *p = s; p != NULL && *p != '\0' && *at + 1 < len; p++) {
		int ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';

		if (ok)
			out[(*at)++] = *p;
		else if (*at > 0 && out[*at - 1] != '-')
			out[(*at)++] = '-';
	}
	while (*at > 0 && out[*at - 1] == '-')
		(*at)--;
	out[*at] = '\0';
}

static void
profile_name(char *out, size_t len, const struct gw_cred_view *v)
{
	size_t at = 0;

	out[0] = '\0';
	profile_part(out, len, &at, or_default(v->account_name, v->account_id));
	if (at > 0 && at + 1 < len)
		out[at++] = '-';
	profile_part(out, len, &at, role_short_name(v->role_arn));
	if (at == 0)
		core_strlcpy(out, "fedgate", len);
}

/* Characters a POSIX shell leaves alone unquoted. */
static int
shell_safe(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || strchr("+/=._-:", *s) != NULL))
			return 0;
	return 1;
}

/* export NAME=VALUE, single-quoting VALUE when it needs it. The quoted
 * form goes through the escaper whole: no raw quote reaches the page. */
static void
export_line(struct core_buf *b, const char *name, const char *value)
{
	struct core_buf q;

	if (shell_safe(value)) {
		html(b, "export %s=%s\n", name, value);
		return;
	}
	core_buf_init(&q, 0);
	core_buf_puts(&q, "'");
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\'')
			core_buf_puts(&q, "'\\''");
		else
			core_buf_append(&q, p, 1);
	}
	core_buf_puts(&q, "'");
	html(b, "export %s=%s\n", name, q.data);
	core_buf_wipe(&q); /* may hold the secret key */
}

/* hint is a template of this file, with at most one %s: arg. */
static void
cred_block_head(struct core_buf *b, const char *id, const char *heading,
		const char *hint, const char *arg)
{
	html(b, "<section class=\"cred\" aria-labelledby=\"%s-h\">"
		"<div class=\"cred-head\"><h2 id=\"%s-h\">%s</h2>"
		"<button type=\"button\" class=\"copy btn small\" data-copy=\"%s\" "
		"hidden>Copy</button></div>\n<p class=\"hint\">", id, id, heading,
	     id);
	html(b, hint, arg);
	html(b, "</p>\n<pre id=\"%s\" tabindex=\"0\">", id);
}

static void
cred_env(struct core_buf *b, const struct gw_cred_view *v)
{
	cred_block_head(b, "cred-env", "Shell (bash, zsh)",
			"Paste into a terminal; commands run there use this "
			"role until the credentials expire.", NULL);
	export_line(b, "AWS_ACCESS_KEY_ID", v->access_key_id);
	export_line(b, "AWS_SECRET_ACCESS_KEY", v->secret_access_key);
	export_line(b, "AWS_SESSION_TOKEN", v->session_token);
	html(b, "</pre></section>\n");
}

static void
cred_ini(struct core_buf *b, const struct gw_cred_view *v)
{
	char profile[PROFILE_MAX + 1];

	profile_name(profile, sizeof(profile), v);
	cred_block_head(b, "cred-ini", "AWS credentials file",
			"Add to <code>~/.aws/credentials</code>, then run "
			"commands with <code>--profile %s</code>.", profile);
	html(b, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
		"aws_session_token = %s\n</pre></section>\n", profile,
	     v->access_key_id, v->secret_access_key, v->session_token);
}

/* JSON-escaped first (the value), then HTML-escaped (the page). */
static void
cred_process(struct core_buf *b, const struct gw_cred_view *v,
	     const char *iso)
{
	struct core_buf j;

	core_buf_init(&j, 0);
	core_buf_puts(&j, "{\n  \"Version\": 1,\n  \"AccessKeyId\": \"");
	core_buf_put_json(&j, or_default(v->access_key_id, ""));
	core_buf_puts(&j, "\",\n  \"SecretAccessKey\": \"");
	core_buf_put_json(&j, or_default(v->secret_access_key, ""));
	core_buf_puts(&j, "\",\n  \"SessionToken\": \"");
	core_buf_put_json(&j, or_default(v->session_token, ""));
	core_buf_printf(&j, "\",\n  \"Expiration\": \"%s\"\n}", iso);
	cred_block_head(b, "cred-process", "credential_process JSON",
			"What a <code>credential_process</code> command must "
			"print, for tools that fetch credentials themselves.", NULL);
	html(b, "%m</pre></section>\n", j.data);
	core_buf_wipe(&j); /* holds the secret key */
}

static void
cred_summary(struct core_buf *b, const struct gw_page *pg,
	     const struct gw_cred_view *v, const char *iso)
{
	char when[32], left[64];

	/* "2026-11-28 17:26:37 UTC" reads better than the ISO form. */
	snprintf(when, sizeof(when), "%.10s %.8s UTC", iso, iso + 11);
	human_remaining(left, sizeof(left), v->expiration - v->now);
	html(b, "<h1>Your temporary credentials</h1>\n<div class=\"card summary\">"
		"<p class=\"for\">Role <strong>%s</strong> in account "
		"<strong>%s</strong> <span class=\"acct-id\">%s</span></p>\n"
		"<p class=\"arn-line\"><code class=\"arn\">%s</code></p>\n"
		"<p class=\"expiry\">Valid until <time id=\"expiration\" "
		"datetime=\"%s\">%s</time> \xc2\xb7 <span id=\"countdown\" "
		"class=\"countdown%r\">%s</span></p>\n"
		"<div class=\"actions\"><form id=\"refresh\" method=\"post\" "
		"action=\"/credentials\">", role_short_name(v->role_arn),
	     or_default(v->account_name, v->account_id),
	     v->account_name != NULL ? v->account_id : NULL, v->role_arn,
	     iso, when, v->expiration > v->now ? "" : " expired", left);
	hidden_field(b, "csrf", pg != NULL ? pg->csrf : NULL);
	hidden_field(b, "role_arn", v->role_arn);
	html(b, "<input type=\"hidden\" name=\"duration\" value=\"%d\">"
		"<button type=\"submit\" class=\"btn\">Get fresh credentials"
		"</button></form>\n<a class=\"btn ghost\" href=\"/roles\">"
		"Choose another role</a></div>\n</div>\n", v->duration);
}

void
gw_html_credentials(struct core_buf *b, const struct gw_page *pg,
		    const struct gw_cred_view *v)
{
	char iso[32];

	core_time_iso8601(v->expiration, iso, sizeof(iso));
	page_begin(b, pg, "Your credentials");
	cred_summary(b, pg, v, iso);
	html(b, "<p class=\"warn\"><strong>Keep these secret.</strong> Anyone "
		"who has them can act as this role until they expire: do not "
		"paste them into chats, tickets or code.</p>\n");
	cred_env(b, v);
	cred_ini(b, v);
	cred_process(b, v, iso);
	page_end(b);
}

/* ---- CLI hand-off, signed out, errors ---- */

void
gw_html_cli_confirm(struct core_buf *b, const struct gw_page *pg,
		    const struct gw_role_choice *role, int duration, int port)
{
	char len[48];

	human_duration(len, sizeof(len), duration);
	page_begin(b, pg, "Send to fedgate CLI");
	html(b, "<div class=\"card narrow\">\n<h1>Send credentials to the "
		"fedgate CLI?</h1>\n<p>Send credentials for <strong>%s</strong> "
		"in account <strong>%s</strong> <span class=\"acct-id\">%s</span>, "
		"valid for %s, to the fedgate CLI on this computer "
		"(<code>127.0.0.1:%d</code>)?</p>\n<p class=\"hint\">Only "
		"continue if you just ran <code>fedgate login</code> "
		"yourself.</p>\n<form id=\"cli-send\" method=\"post\" "
		"action=\"/credentials\">",
	     or_default(role->role_name, role_short_name(role->role_arn)),
	     or_default(role->account_name, role->account_id),
	     role->account_name != NULL ? role->account_id : NULL, len, port);
	hidden_field(b, "csrf", pg != NULL ? pg->csrf : NULL);
	hidden_field(b, "role_arn", role->role_arn);
	html(b, "<input type=\"hidden\" name=\"duration\" value=\"%d\">"
		"<input type=\"hidden\" name=\"cli\" value=\"1\">"
		"<div class=\"actions\"><button type=\"submit\" class=\"btn\">"
		"Send to fedgate CLI</button><a class=\"btn ghost\" "
		"href=\"/login/cli/cancel\">Cancel</a></div></form>\n</div>\n", duration);
	page_end(b);
}

void
gw_html_signed_out(struct core_buf *b, const struct gw_page *pg)
{
	page_begin(b, pg, "Signed out");
	html(b, "<div class=\"card narrow\">\n<h1>You are signed out</h1>\n"
		"<p>Your fedgate session has ended. Credentials you already "
		"copied keep working until they expire.</p>\n"
		"<p><a class=\"btn\" href=\"/login\">Sign in again</a></p>\n"
		"</div>\n");
	page_end(b);
}

void
gw_html_error(struct core_buf *b, const struct gw_page *pg,
	      const char *title, const char *message, const char *code)
{
	title = or_default(title, "Something went wrong");
	page_begin(b, pg, title);
	html(b, "<div class=\"card narrow error\">\n<h1 id=\"error-title\">%s</h1>\n"
		"<p id=\"error-message\">%s</p>\n"
		"<p><a class=\"btn\" href=\"/login\">Back to sign in</a></p>\n"
		"<p class=\"code\">Error code: <code id=\"error-code\">%s</code>"
		"</p>\n</div>\n", title,
	     or_default(message, "Please try again. If it keeps happening, "
			"contact your administrator."),
	     or_default(code, "InternalError"));
	page_end(b);
}

/* ---- headers and static files ---- */

void
gw_html_headers(struct gw_resp *resp, const char *extra_form_action)
{
	char csp[512];

	snprintf(csp, sizeof(csp),
		 "default-src 'none'; style-src 'self'; script-src 'self'; "
		 "img-src 'self'; form-action 'self'%s%s; "
		 "frame-ancestors 'none'; base-uri 'none'",
		 extra_form_action != NULL ? " " : "",
		 extra_form_action != NULL ? extra_form_action : "");
	resp->content_type = "text/html; charset=utf-8";
	gw_resp_header(resp, "Content-Security-Policy", csp);
	gw_resp_header(resp, "X-Frame-Options", "DENY");
	gw_resp_header(resp, "Referrer-Policy", "no-referrer");
	gw_resp_header(resp, "X-Content-Type-Options", "nosniff");
	gw_resp_header(resp, "Cache-Control", "no-store");
}

/* BEGIN static files (generated from fedgate.css / fedgate.js) */
static const char fedgate_css[] =
	":root{--bg:#f3f5f9;--card:#fff;--fg:#18212f;--muted:#4f5b6d;--line:#d8dee8;--accent:#1d4fbf;--accent-h:#173f9a;--soft:#eaf0fc;--warn:#fff6dd;--warn-line:#e7c25b;--code:#101826;--code-fg:#e8eef6;--focus:#e88a00}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;display:flex;flex-direction:column;min-height:100vh}\n"
	"code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,\"Liberation Mono\",monospace;font-size:.875em}\n"
	"a{color:var(--accent)}\n"
	":focus-visible{outline:3px solid var(--focus);outline-offset:2px}\n"
	"[hidden]{display:none!important}\n"
	".skip{position:absolute;left:-999px;top:.5rem;background:var(--card);padding:.5rem 1rem;border-radius:6px;z-index:2}\n"
	".skip:focus{left:.5rem}\n"
	".top{background:var(--card);border-bottom:1px solid var(--line)}\n"
	".bar{max-width:56rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}\n"
	".brand{display:flex;align-items:center;gap:.6rem;font-weight:700;font-size:1.1rem;color:var(--fg);text-decoration:none}\n"
	".mark{width:1.6rem;height:1.6rem;border-radius:7px;background:linear-gradient(135deg,#2f6fe4,#1d4fbf 60%,#12307a);position:relative}\n"
	".mark::after{content:\"\";position:absolute;inset:.45rem;border:2px solid #fff;border-radius:50%;border-right-color:transparent}\n"
	".session{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;font-size:.9rem;color:var(--muted)}\n"
	".session form{margin:0}\n"
	"main{flex:1;width:100%;max-width:56rem;margin:0 auto;padding:2rem 1rem 3rem}\n"
	".foot{text-align:center;color:var(--muted);font-size:.8rem;padding:1rem}\n"
	"h1{font-size:1.75rem;line-height:1.2;margin:0 0 .5rem}\n"
	"h2{font-size:1.1rem;margin:0}\n"
	".lead{color:var(--muted);margin:0 0 1.5rem}\n"
	".hint{color:var(--muted);font-size:.9rem;margin:.25rem 0 .75rem}\n"
	".card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(16,24,40,.06)}\n"
	".card>:last-child{margin-bottom:0}\n"
	".narrow{max-width:32rem;margin:2rem auto 0}\n"
	".notice{background:var(--soft);border-left:4px solid var(--accent);padding:.75rem 1rem;border-radius:6px;margin:0 0 1.25rem}\n"
	".warn{background:var(--warn);border:1px solid var(--warn-line);padding:.75rem 1rem;border-radius:8px;margin:1.5rem 0}\n"
	".empty{color:var(--muted);font-style:italic}\n"
	".btn{display:inline-flex;align-items:center;justify-content:center;gap:.4rem;font:inherit;font-weight:600;line-height:1.2;padding:.6rem 1.1rem;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;white-space:nowrap}\n"
	".btn:hover{background:var(--accent-h);border-color:var(--accent-h)}\n"
	".btn.ghost{background:transparent;color:var(--accent)}\n"
	".btn.ghost:hover{background:var(--soft)}\n"
	".btn.small{padding:.35rem .75rem;font-size:.875rem}\n"
	".actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin-top:1rem}\n"
	".actions form{margin:0}\n"
	".providers{list-style:none;padding:0;margin:0 0 1rem;display:grid;gap:.75rem}\n"
	".provider{display:flex;align-items:center;gap:1rem;padding:.9rem 1rem;border:1px solid var(--line);border-radius:10px;color:var(--fg);text-decoration:none;background:var(--card);transition:border-color .15s,box-shadow .15s}\n"
	".provider::after{content:\"\\203A\";font-size:1.5rem;color:var(--muted);line-height:1}\n"
	".provider:hover{border-color:var(--accent);box-shadow:0 2px 8px rgba(29,79,191,.15)}\n"
	".pname{flex:1}\n"
	".kind{display:table;margin-top:.3rem;font-size:.75rem;color:var(--muted);border:1px solid var(--line);border-radius:99px;padding:0 .55rem}\n"
	".logo{flex:none;width:2.6rem;height:2.6rem;border-radius:50%;display:flex;align-items:center;justify-content:center;color:#fff;font-weight:700;font-size:.95rem;letter-spacing:.02em}\n"
	".c0{background:#1d4fbf}.c1{background:#0f7a5c}.c2{background:#8a3ab9}.c3{background:#b4471c}.c4{background:#0e6f8f}.c5{background:#a3214f}\n"
	".filter{display:flex;align-items:center;gap:.75rem;margin:0 0 1.25rem}\n"
	".filter label{font-weight:600}\n"
	"input[type=search],select{font:inherit;padding:.5rem .7rem;border:1px solid #a9b3c2;border-radius:8px;background:var(--card);color:var(--fg)}\n"
	"input[type=search]{flex:1;max-width:24rem}\n"
	".account{margin:0 0 1.5rem}\n"
	".account h2{margin:0 0 .5rem;display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}\n"
	".acct-id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.8rem;font-weight:400;color:var(--muted)}\n"
	".roles{list-style:none;margin:0;padding:0;background:var(--card);border:1px solid var(--line);border-radius:12px;overflow:hidden}\n"
	".role{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem 1.5rem;padding:1rem 1.25rem}\n"
	".role+.role{border-top:1px solid var(--line)}\n"
	".role-info{flex:1 1 16rem;min-width:0;display:flex;flex-direction:column}\n"
	".role-name{font-weight:600;font-size:1.05rem}\n"
	".arn{color:var(--muted);font-size:.8rem;overflow-wrap:anywhere}\n"
	".choose{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem;margin:0}\n"
	".dur{display:flex;align-items:center;gap:.5rem;font-size:.9rem;color:var(--muted)}\n"
	".summary p{margin:0 0 .4rem}\n"
	".expiry{font-size:1.05rem}\n"
	".countdown{color:var(--muted)}\n"
	".countdown.expired{color:#b42318;font-weight:600}\n"
	".cred{margin:0 0 1.75rem}\n"
	".cred-head{display:flex;align-items:center;justify-content:space-between;gap:1rem}\n"
	".cred pre{margin:0;background:var(--code);color:var(--code-fg);padding:1rem 1.1rem;border-radius:10px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;line-height:1.55}\n"
	".code{color:var(--muted);font-size:.8rem;margin-top:1.5rem}\n"
	".error h1{color:#9b1c14}\n"
	"@media (max-width:40rem){h1{font-size:1.45rem}.card{padding:1.1rem}main{padding-top:1.25rem}.choose,.choose .btn{width:100%}.card>:last-child{margin-bottom:0}\n"
	".narrow{margin-top:.5rem}}\n"
	"@media (prefers-color-scheme:dark){:root{--bg:#0f141c;--card:#18202b;--fg:#e6ebf2;--muted:#a5b0c0;--line:#2c3747;--accent:#6d9cff;--accent-h:#8fb3ff;--soft:#1d2a42;--warn:#2e2614;--warn-line:#7a6221;--code:#0a0e14}.btn{color:#0b1220}.btn.ghost{color:var(--accent)}.error h1{color:#ff8b80}.countdown.expired{color:#ff8b80}.cred pre{border:1px solid var(--line)}}\n";

static const char fedgate_js[] =
	"/* fedgate: conveniences only; every page works without this file. */\n"
	"(function () {\n"
	"	\"use strict\";\n"
	"	function $(s) { return document.querySelectorAll(s); }\n"
	"\n"
	"	function flash(btn, text) {\n"
	"		var old = btn.dataset.label || btn.textContent;\n"
	"		btn.dataset.label = old;\n"
	"		btn.textContent = text;\n"
	"		setTimeout(function () { btn.textContent = old; }, 2000);\n"
	"	}\n"
	"	function fallback(pre, btn) {\n"
	"		var sel = window.getSelection();\n"
	"		sel.selectAllChildren(pre);\n"
	"		try {\n"
	"			flash(btn, document.execCommand(\"copy\") ? \"Copied\" :\n"
	"			    \"Press Ctrl+C\");\n"
	"		} catch (e) {\n"
	"			flash(btn, \"Press Ctrl+C\");\n"
	"		}\n"
	"	}\n"
	"	$(\"button.copy\").forEach(function (btn) {\n"
	"		var pre = document.getElementById(btn.dataset.copy);\n"
	"		if (!pre)\n"
	"			return;\n"
	"		btn.hidden = false;\n"
	"		btn.setAttribute(\"aria-label\", \"Copy \" +\n"
	"		    pre.closest(\"section\").querySelector(\"h2\").textContent);\n"
	"		btn.addEventListener(\"click\", function () {\n"
	"			var text = pre.textContent;\n"
	"			if (navigator.clipboard && window.isSecureContext)\n"
	"				navigator.clipboard.writeText(text).then(\n"
	"				    function () { flash(btn, \"Copied \\u2713\"); },\n"
	"				    function () { fallback(pre, btn); });\n"
	"			else\n"
	"				fallback(pre, btn);\n"
	"		});\n"
	"	});\n"
	"\n"
	"	var exp = document.getElementById(\"expiration\");\n"
	"	var cd = document.getElementById(\"countdown\");\n"
	"	if (exp && cd) {\n"
	"		var end = Date.parse(exp.getAttribute(\"datetime\"));\n"
	"		var tick = function () {\n"
	"			var s = Math.floor((end - Date.now()) / 1000), t;\n"
	"			if (!(s > 0)) {\n"
	"				cd.textContent = \"expired \\u2014 refresh\";\n"
	"				cd.classList.add(\"expired\");\n"
	"				return;\n"
	"			}\n"
	"			if (s >= 3600)\n"
	"				t = Math.floor(s / 3600) + \" h \" +\n"
	"				    Math.floor(s % 3600 / 60) + \" min\";\n"
	"			else if (s >= 60)\n"
	"				t = Math.floor(s / 60) + \" min \" + s % 60 + \" s\";\n"
	"			else\n"
	"				t = s + \" s\";\n"
	"			cd.textContent = \"expires in \" + t;\n"
	"			setTimeout(tick, 1000 - Date.now() % 1000);\n"
	"		};\n"
	"		tick();\n"
	"	}\n"
	"\n"
	"	var f = document.getElementById(\"role-filter\");\n"
	"	if (f) {\n"
	"		f.parentNode.hidden = false;\n"
	"		f.addEventListener(\"input\", function () {\n"
	"			var q = f.value.trim().toLowerCase(), any = false;\n"
	"			$(\"section.account\").forEach(function (sec) {\n"
	"				var acct = sec.querySelector(\"h2\").textContent;\n"
	"				var shown = 0;\n"
	"				sec.querySelectorAll(\"li.role\").forEach(function (li) {\n"
	"					var hay = (acct + \" \" + li.querySelector(\n"
	"					    \".role-info\").textContent).toLowerCase();\n"
	"					li.hidden = q !== \"\" && hay.indexOf(q) < 0;\n"
	"					if (!li.hidden)\n"
	"						shown++;\n"
	"				});\n"
	"				sec.hidden = shown === 0;\n"
	"				any = any || shown > 0;\n"
	"			});\n"
	"			document.getElementById(\"no-match\").hidden = any;\n"
	"		});\n"
	"	}\n"
	"})();\n";
/* END static files */

int
gw_html_static(const char *path, struct gw_resp *resp)
{
	const char *body, *ctype;

	if (path == NULL)
		return 0;
	if (strcmp(path, "/static/fedgate.css") == 0) {
		body = fedgate_css;
		ctype = "text/css; charset=utf-8";
	} else if (strcmp(path, "/static/fedgate.js") == 0) {
		body = fedgate_js;
		ctype = "text/javascript; charset=utf-8";
	} else
		return 0;
	resp->status = 200;
	resp->content_type = ctype;
	core_buf_reset(&resp->body);
	core_buf_puts(&resp->body, body);
	gw_resp_header(resp, "Cache-Control", "public, max-age=3600");
	gw_resp_header(resp, "X-Content-Type-Options", "nosniff");
	return 1;
}
