/* test_web_html.c - login page renderers, headers and static files */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/mem.h"
#include "gateway/http.h"
#include "gateway/web_html.h"

/* Every markup-significant character, a fake tag, a newline, bad UTF-8. */
#define HOSTILE "\"'><script>alert(1)</script>&amp;\n\xff`"
#define ARN "arn:aws:iam::111122223333:role/path/Admin"
#define EXP 1795886797	/* 2026-11-28T17:26:37Z */

static const struct gw_page page_ok = {"Example Corp", "alice@example.com",
				       "Okta", "csrf-token-1"};

/* Render every page with the same string s in every field. */
static void
render_all(struct core_buf *out, const char *s)
{
	struct gw_page pg = {s, s, s, s};
	struct gw_login_button btn = {s, s, s, s};
	struct gw_role_choice roles[2] = {
	    {s, s, s, s, 43200},
	    {s, s, "999988887777", s, 3600},
	};
	struct gw_cred_view v = {s, s, s, s, s, s, EXP, 3600, EXP - 100};

	gw_html_login(out, &pg, &btn, 1, s);
	gw_html_roles(out, &pg, roles, 2, 0);
	gw_html_roles(out, &pg, roles, 2, 1);
	gw_html_roles(out, &pg, roles, 0, 0);
	gw_html_credentials(out, &pg, &v);
	gw_html_cli_confirm(out, &pg, &roles[0], 3600, 53682);
	gw_html_signed_out(out, &pg);
	gw_html_error(out, &pg, s, s, s);
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

static size_t
count_str(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/*
 * A hostile value in every field adds no markup at all: the structural
 * characters (and newlines, which would split export lines) occur exactly
 * as often as with a harmless value.
 */
static void
test_escaping_everywhere(void **state)
{
	struct core_buf benign, hostile;
	const char structural[] = "<>\"'\n";

	(void)state;
	core_buf_init(&benign, 0);
	core_buf_init(&hostile, 0);
	render_all(&benign, "x");
	render_all(&hostile, HOSTILE);
	for (const char *c = structural; *c != '\0'; c++)
		if (count_char(benign.data, *c) != count_char(hostile.data, *c))
			fail_msg("raw %#x: %zu with a benign value, %zu hostile",
				 *c, count_char(benign.data, *c),
				 count_char(hostile.data, *c));
	/* The only script element is the page's own, once per page. */
	assert_int_equal(count_str(hostile.data, "<script"),
			 count_str(hostile.data,
				   "<script src=\"/static/fedgate.js\" defer>"));
	assert_null(strstr(hostile.data, "alert(1)</script>"));
	assert_null(strstr(hostile.data, "\xff"));
	/* Escaped, not dropped: the text is still there for the reader. */
	assert_non_null(strstr(hostile.data,
			       "&quot;&#39;&gt;&lt;script&gt;alert(1)"));
	assert_non_null(strstr(hostile.data, "&amp;amp;"));
	core_buf_reset(&benign);
	core_buf_reset(&hostile);
}

static void
assert_has(const char *html, const char *needle)
{
	if (strstr(html, needle) == NULL)
		fail_msg("missing: %s", needle);
}

static void
test_login_contract(void **state)
{
	struct gw_login_button btns[] = {
	    {"okta", "Okta", "OK", "SAML"},
	    {"google", "Google Workspace", "G", "OpenID Connect"},
	};
	struct gw_page out_pg = {NULL, NULL, NULL, NULL};
	struct core_buf b;

	(void)state;
	core_buf_init(&b, 0);
	gw_html_login(&b, &out_pg, btns, 2, "You have been signed out.");
	assert_has(b.data, "<html lang=\"en\">");
	assert_has(b.data, "<title>Sign in \xc2\xb7 fedgate</title>");
	assert_has(b.data, "class=\"provider\" data-provider=\"okta\" "
			   "href=\"/login/okta\"");
	assert_has(b.data, "data-provider=\"google\" href=\"/login/google\"");
	assert_has(b.data, "Google Workspace");
	assert_has(b.data, "OpenID Connect");
	assert_has(b.data, "You have been signed out.");
	assert_null(strstr(b.data, "id=\"logout\""));
	assert_null(strstr(b.data, " style="));
	core_buf_reset(&b);

	/* A provider name is a URL path segment in the link. */
	btns[0].name = "a b/c";
	gw_html_login(&b, &page_ok, btns, 1, NULL);
	assert_has(b.data, "href=\"/login/a%20b%2Fc\"");
	assert_has(b.data, "<form id=\"logout\" method=\"post\" "
			   "action=\"/logout\"><input type=\"hidden\" "
			   "name=\"csrf\" value=\"csrf-token-1\">");
	assert_has(b.data, "alice@example.com");
	assert_has(b.data, "Okta");
	assert_has(b.data, "Example Corp");
	core_buf_reset(&b);
}

static const struct gw_role_choice sample_roles[] = {
    {ARN, "path/Admin", "111122223333", "prod", 43200},
    {"arn:aws:iam::111122223333:role/ReadOnly", "ReadOnly", "111122223333",
     "prod", 3600},
    {"arn:aws:iam::444455556666:role/Dev", "Dev", "444455556666", NULL, 1800},
};

/* The options of the n-th select on the page, as "value:label;..." */
static void
menu_of(const char *html, int n, char *out, size_t len)
{
	const char *p = html, *end;

	out[0] = '\0';
	for (int i = 0; i <= n; i++) {
		p = strstr(p, "<select name=\"duration\"");
		assert_non_null(p);
		p++;
	}
	end = strstr(p, "</select>");
	assert_non_null(end);
	while ((p = strstr(p, "<option value=\"")) != NULL && p < end) {
		char val[16], label[48];
		int sel;

		p += strlen("<option value=\"");
		assert_int_equal(sscanf(p, "%15[0-9]", val), 1);
		sel = strncmp(p + strlen(val), "\" selected>", 11) == 0;
		p = strchr(p, '>') + 1;
		assert_int_equal(sscanf(p, "%47[^<]", label), 1);
		snprintf(out + strlen(out), len - strlen(out), "%s%s:%s;",
			 sel ? "*" : "", val, label);
	}
}

static void
test_roles_contract(void **state)
{
	struct core_buf b;

	(void)state;
	core_buf_init(&b, 0);
	gw_html_roles(&b, &page_ok, sample_roles, 3, 0);
	assert_has(b.data, "<input id=\"role-filter\" type=\"search\"");
	assert_has(b.data, "<label for=\"role-filter\">");
	assert_has(b.data, "<section class=\"account\" data-account="
			   "\"111122223333\"><h2>prod ");
	assert_has(b.data, "<section class=\"account\" data-account="
			   "\"444455556666\"><h2>");
	/* Two roles of one account share one section. */
	assert_int_equal(count_str(b.data, "<section class=\"account\""), 2);
	assert_int_equal(count_str(b.data, "</section>"), 2);
	assert_has(b.data, "<li class=\"role\" data-role-arn=\"" ARN "\">");
	assert_int_equal(count_str(b.data, "<form class=\"choose\" "
					   "method=\"post\" action=\"/credentials\">"), 3);
	assert_int_equal(count_str(b.data, "name=\"csrf\" value=\"csrf-token-1\""),
			 4); /* three roles and the logout form */
	assert_has(b.data, "name=\"role_arn\" value=\"" ARN "\"");
	assert_int_equal(count_str(b.data, ">Get credentials</button>"), 3);
	assert_has(b.data, "<span class=\"role-name\" id=\"role-2\">Dev</span>");
	assert_has(b.data, "<button type=\"submit\" class=\"btn\" "
			   "aria-describedby=\"role-2\">");
	assert_has(b.data, "path/Admin");
	assert_null(strstr(b.data, "Send to fedgate CLI"));
	core_buf_reset(&b);

	gw_html_roles(&b, &page_ok, sample_roles, 3, 1);
	assert_int_equal(count_str(b.data, ">Send to fedgate CLI</button>"), 3);
	core_buf_reset(&b);
}

static void
test_duration_menu(void **state)
{
	static const struct {
		int max;
		const char *want;
	} cases[] = {
	    {3600, "900:15 minutes;*3600:1 hour;"},
	    {43200, "900:15 minutes;*3600:1 hour;7200:2 hours;14400:4 hours;"
		    "28800:8 hours;43200:12 hours;"},
	    {14400, "900:15 minutes;*3600:1 hour;7200:2 hours;14400:4 hours;"},
	    {1800, "900:15 minutes;*1800:30 minutes;"},
	    {5400, "900:15 minutes;*3600:1 hour;5400:1 hour 30 minutes;"},
	    {900, "*900:15 minutes;"},
	    {0, "900:15 minutes;*3600:1 hour;"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_role_choice r = sample_roles[0];
		struct core_buf b;
		char got[512];

		r.max_duration = cases[i].max;
		core_buf_init(&b, 0);
		gw_html_roles(&b, &page_ok, &r, 1, 0);
		menu_of(b.data, 0, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("max %d: got %s", cases[i].max, got);
		core_buf_reset(&b);
	}
}

static void
test_roles_none(void **state)
{
	struct core_buf b;

	(void)state;
	core_buf_init(&b, 0);
	gw_html_roles(&b, &page_ok, NULL, 0, 0);
	assert_has(b.data, "<h1>No roles available</h1>");
	assert_has(b.data, "signed in as <strong>alice@example.com</strong>");
	assert_has(b.data, "administrator");
	assert_null(strstr(b.data, "role-filter"));
	assert_null(strstr(b.data, "class=\"choose\""));
	assert_has(b.data, "id=\"logout\"");
	core_buf_reset(&b);
}

static const struct gw_cred_view sample_cred = {
    ARN, "111122223333", "Prod Main!", "ASIAEXAMPLEKEY123456",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "FQoGZXIvYXdzEJr+token=",
    EXP, 7200, EXP - 3548};

static void
test_credentials_contract(void **state)
{
	struct core_buf b;

	(void)state;
	core_buf_init(&b, 0);
	gw_html_credentials(&b, &page_ok, &sample_cred);
	assert_has(b.data, "<pre id=\"cred-env\" tabindex=\"0\">"
			   "export AWS_ACCESS_KEY_ID=ASIAEXAMPLEKEY123456\n"
			   "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/"
			   "bPxRfiCYEXAMPLEKEY\n"
			   "export AWS_SESSION_TOKEN=FQoGZXIvYXdzEJr+token=\n"
			   "</pre>");
	assert_has(b.data, "<pre id=\"cred-ini\" tabindex=\"0\">"
			   "[Prod-Main-Admin]\n"
			   "aws_access_key_id = ASIAEXAMPLEKEY123456\n");
	assert_has(b.data, "<pre id=\"cred-process\"");
	assert_has(b.data, "<time id=\"expiration\" datetime=\"2026-11-28T17:26:37Z\">"
			   "2026-11-28 17:26:37 UTC</time>");
	assert_has(b.data, "<span id=\"countdown\" class=\"countdown\">"
			   "expires in 59 min 8 s</span>");
	assert_has(b.data, "<form id=\"refresh\" method=\"post\" "
			   "action=\"/credentials\">");
	assert_has(b.data, "name=\"role_arn\" value=\"" ARN "\"");
	assert_has(b.data, "name=\"duration\" value=\"7200\"");
	assert_has(b.data, "Get fresh credentials");
	assert_has(b.data, "<a class=\"btn ghost\" href=\"/roles\">Choose "
			   "another role</a>");
	assert_int_equal(count_str(b.data, "<button type=\"button\" class=\"copy"),
			 3);
	assert_has(b.data, "data-copy=\"cred-env\"");
	assert_has(b.data, "data-copy=\"cred-ini\"");
	assert_has(b.data, "data-copy=\"cred-process\"");
	assert_has(b.data, "<strong>Admin</strong> in account <strong>Prod Main!"
			   "</strong>");
	core_buf_reset(&b);
}

/* The secret needs quoting in a shell; ' must survive as '\''. */
static void
test_credentials_shell_quoting(void **state)
{
	struct gw_cred_view v = sample_cred;
	struct core_buf b;

	(void)state;
	v.secret_access_key = "it's $HOME";
	v.account_name = NULL;
	v.now = EXP + 5;
	core_buf_init(&b, 0);
	gw_html_credentials(&b, &page_ok, &v);
	assert_has(b.data, "export AWS_SECRET_ACCESS_KEY=&#39;it&#39;\\&#39;&#39;s "
			   "$HOME&#39;\n");
	assert_has(b.data, "[111122223333-Admin]\n");
	assert_has(b.data, "expired \xe2\x80\x94 refresh");
	core_buf_reset(&b);
}

/* Undo the five entities html_put produces. */
static char *
html_unescape(const char *s, size_t n)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
		    {"&quot;", '"'}, {"&#39;", '\''}};
	char *out = calloc(1, n + 1), *o = out;

	assert_non_null(out);
	for (size_t i = 0; i < n;) {
		size_t k;

		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (strncmp(s + i, ents[k].ent, strlen(ents[k].ent)) == 0)
				break;
		if (k < sizeof(ents) / sizeof(ents[0])) {
			*o++ = ents[k].c;
			i += strlen(ents[k].ent);
		} else
			*o++ = s[i++];
	}
	return out;
}

static void
test_credential_process_json(void **state)
{
	struct gw_cred_view v = sample_cred;
	const char *tag = "<pre id=\"cred-process\" tabindex=\"0\">";
	const char *start, *end;
	struct core_buf b;
	json_error_t jerr;
	json_t *j;
	char *text;

	(void)state;
	v.access_key_id = "ASIA\"</pre><script>";
	v.secret_access_key = "back\\slash 'quote' & <tag>\n\ttab \xc3\xa9";
	v.session_token = "{\"json\": true}";
	core_buf_init(&b, 0);
	gw_html_credentials(&b, &page_ok, &v);
	start = strstr(b.data, tag);
	assert_non_null(start);
	start += strlen(tag);
	end = strstr(start, "</pre>");
	assert_non_null(end);
	text = html_unescape(start, (size_t)(end - start));
	j = json_loads(text, 0, &jerr);
	if (j == NULL)
		fail_msg("not JSON (%s): %s", jerr.text, text);
	assert_int_equal(json_integer_value(json_object_get(j, "Version")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "AccessKeyId")),
			    v.access_key_id);
	assert_string_equal(json_string_value(json_object_get(j,
				"SecretAccessKey")), v.secret_access_key);
	assert_string_equal(json_string_value(json_object_get(j, "SessionToken")),
			    v.session_token);
	assert_string_equal(json_string_value(json_object_get(j, "Expiration")),
			    "2026-11-28T17:26:37Z");
	assert_int_equal(json_object_size(j), 5);
	json_decref(j);
	free(text);
	core_buf_reset(&b);
}

static void
test_cli_confirm(void **state)
{
	struct core_buf b;

	(void)state;
	core_buf_init(&b, 0);
	gw_html_cli_confirm(&b, &page_ok, &sample_roles[0], 7200, 53682);
	assert_has(b.data, "<form id=\"cli-send\" method=\"post\" "
			   "action=\"/credentials\">");
	assert_has(b.data, "name=\"cli\" value=\"1\"");
	assert_has(b.data, "name=\"duration\" value=\"7200\"");
	assert_has(b.data, "name=\"role_arn\" value=\"" ARN "\"");
	assert_has(b.data, "127.0.0.1:53682");
	assert_has(b.data, "valid for 2 hours");
	core_buf_reset(&b);
}

static void
test_error_and_signed_out(void **state)
{
	struct core_buf b;

	(void)state;
	core_buf_init(&b, 0);
	gw_html_error(&b, &page_ok, "Sign-in failed",
		      "Your company's sign-in service did not confirm who you are.",
		      "IDPRejectedClaim");
	assert_has(b.data, "<h1 id=\"error-title\">Sign-in failed</h1>");
	assert_has(b.data, "<p id=\"error-message\">Your company&#39;s sign-in");
	assert_has(b.data, "<code id=\"error-code\">IDPRejectedClaim</code>");
	assert_has(b.data, "<a class=\"btn\" href=\"/login\">Back to sign in</a>");
	core_buf_reset(&b);

	gw_html_error(&b, NULL, NULL, NULL, NULL);
	assert_has(b.data, "<h1 id=\"error-title\">Something went wrong</h1>");
	assert_has(b.data, "id=\"error-message\">Please try again");
	assert_null(strstr(b.data, "id=\"logout\""));
	core_buf_reset(&b);

	gw_html_signed_out(&b, &(struct gw_page){NULL, NULL, NULL, NULL});
	assert_has(b.data, "signed out");
	assert_has(b.data, "href=\"/login\"");
	assert_null(strstr(b.data, "id=\"logout\""));
	core_buf_reset(&b);
}

static const char *
resp_header(const struct gw_resp *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static void
test_headers(void **state)
{
	struct gw_resp r;

	(void)state;
	memset(&r, 0, sizeof(r));
	gw_html_headers(&r, NULL);
	assert_string_equal(r.content_type, "text/html; charset=utf-8");
	assert_string_equal(resp_header(&r, "Content-Security-Policy"),
			    "default-src 'none'; style-src 'self'; "
			    "script-src 'self'; img-src 'self'; "
			    "form-action 'self'; frame-ancestors 'none'; "
			    "base-uri 'none'");
	assert_string_equal(resp_header(&r, "X-Frame-Options"), "DENY");
	assert_string_equal(resp_header(&r, "Referrer-Policy"), "no-referrer");
	assert_string_equal(resp_header(&r, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(resp_header(&r, "Cache-Control"), "no-store");
	gw_resp_clear_headers(&r);

	gw_html_headers(&r, "http://127.0.0.1:*");
	assert_string_equal(resp_header(&r, "Content-Security-Policy"),
			    "default-src 'none'; style-src 'self'; "
			    "script-src 'self'; img-src 'self'; "
			    "form-action 'self' http://127.0.0.1:*; "
			    "frame-ancestors 'none'; base-uri 'none'");
	gw_resp_clear_headers(&r);
}

static void
test_static(void **state)
{
	static const struct {
		const char *path, *ctype, *marker;
		size_t max;
	} files[] = {
	    {"/static/fedgate.css", "text/css; charset=utf-8", ":focus-visible",
	     8192},
	    {"/static/fedgate.js", "text/javascript; charset=utf-8",
	     "role-filter", 4096},
	};
	static const char *const unknown[] = {
	    "/static/", "/static/fedgate.CSS", "/static/fedgate.css/",
	    "/static/../fedgate.css", "/fedgate.css", "/static/fedgate.jsx", "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct gw_resp r;

		memset(&r, 0, sizeof(r));
		core_buf_init(&r.body, 0);
		assert_int_equal(gw_html_static(files[i].path, &r), 1);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.content_type, files[i].ctype);
		assert_string_equal(resp_header(&r, "Cache-Control"),
				    "public, max-age=3600");
		assert_non_null(strstr(r.body.data, files[i].marker));
		assert_true(r.body.len > 500 && r.body.len < files[i].max);
		gw_resp_clear_headers(&r);
		core_buf_reset(&r.body);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		struct gw_resp r;

		memset(&r, 0, sizeof(r));
		core_buf_init(&r.body, 0);
		if (gw_html_static(unknown[i], &r) != 0)
			fail_msg("served %s", unknown[i]);
		assert_int_equal(r.n_headers, 0);
		assert_int_equal(r.body.len, 0);
	}
	assert_int_equal(gw_html_static(NULL, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escaping_everywhere),
	    cmocka_unit_test(test_login_contract),
	    cmocka_unit_test(test_roles_contract),
	    cmocka_unit_test(test_duration_menu),
	    cmocka_unit_test(test_roles_none),
	    cmocka_unit_test(test_credentials_contract),
	    cmocka_unit_test(test_credentials_shell_quoting),
	    cmocka_unit_test(test_credential_process_json),
	    cmocka_unit_test(test_cli_confirm),
	    cmocka_unit_test(test_error_and_signed_out),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_static),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
