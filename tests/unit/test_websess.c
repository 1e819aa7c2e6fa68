/* tests/unit/test_websess.c - sealed login-page cookies: purposes, tamper,
 * size bound, cookie parsing, lifetime/idle/ended, CSRF, single use */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/seal.h"
#include "core/secret.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "federation/replay.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/websess.h"

static char state_dir[] = "/tmp/test-websess-XXXXXX";
static struct gw_app app;

static const char conf_fmt[] =
	"public_url: http://127.0.0.1:8080\n"
	"state_dir: %s\n"
	"login: {session_lifetime_seconds: 3600, idle_timeout_seconds: 600}\n";

/* A request carrying cookie_header (NULL: none). */
static void
make_req(struct gw_req *req, const char *cookie_header)
{
	memset(req, 0, sizeof(*req));
	req->method = "GET";
	req->path = "/roles";
	snprintf(req->source_ip, sizeof(req->source_ip), "127.0.0.1");
	if (cookie_header != NULL) {
		req->headers[0].name = "Cookie";
		req->headers[0].value = cookie_header;
		req->n_headers = 1;
	}
}

/* The value of the first Set-Cookie of resp ("NAME=VALUE; ..."). */
static char *
set_cookie_pair(const struct gw_resp *resp)
{
	for (size_t i = 0; i < resp->n_headers; i++)
		if (strcmp(resp->headers[i].name, "Set-Cookie") == 0)
			return strndup(resp->headers[i].value,
				       strcspn(resp->headers[i].value, ";"));
	return NULL;
}

static void
resp_init(struct gw_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	core_buf_init(&resp->body, 1 << 20);
}

static void
resp_free(struct gw_resp *resp)
{
	gw_resp_clear_headers(resp);
	core_buf_wipe(&resp->body);
}

/* Log in at `at`, return "fedgate-session=..." for a Cookie header. */
static char *
login_cookie(int64_t at, struct gw_websess *out)
{
	struct gw_websess ws;
	struct gw_resp resp;
	struct core_err err = {0};
	char *pair;

	gw_websess_init(&ws, "corp", GW_LOGIN_OIDC, "alice@example.test",
			"{\"sub\":\"alice\"}", at);
	resp_init(&resp);
	assert_int_equal(gw_websess_write(&app, &resp, &ws, at, &err), 0);
	pair = set_cookie_pair(&resp);
	assert_non_null(pair);
	assert_non_null(strstr(resp.headers[0].value, "HttpOnly"));
	assert_non_null(strstr(resp.headers[0].value, "SameSite=Lax"));
	/* Plain http on loopback (dev): no Secure, no __Host- prefix. */
	assert_null(strstr(resp.headers[0].value, "Secure"));
	assert_int_equal(strncmp(pair, "fedgate-session=", 16), 0);
	if (out != NULL)
		*out = ws;
	else
		gw_websess_clear(&ws);
	resp_free(&resp);
	return pair;
}

static int
read_at(const char *cookie, int64_t now, struct gw_websess *ws,
	struct core_err *err)
{
	struct gw_req req;

	make_req(&req, cookie);
	memset(err, 0, sizeof(*err));
	return gw_websess_read(&app, &req, ws, now, err);
}

static void
test_roundtrip(void **state)
{
	struct gw_websess in, out;
	struct core_err err;
	char *c = login_cookie(1000000, &in);
	char header[8192];

	assert_int_equal(read_at(c, 1000010, &out, &err), 1);
	assert_string_equal(out.sid, in.sid);
	assert_string_equal(out.csrf, in.csrf);
	assert_string_equal(out.user, "alice@example.test");
	assert_string_equal(out.identity, "{\"sub\":\"alice\"}");
	assert_int_equal(out.login_at, 1000000);
	assert_int_equal(out.seen_at, 1000010);
	gw_websess_clear(&out);
	/* Among other cookies, with spaces, in any position. */
	snprintf(header, sizeof(header), "a=1; %s;b=2", c);
	assert_int_equal(read_at(header, 1000010, &out, &err), 1);
	gw_websess_clear(&out);
	gw_websess_clear(&in);
	free(c);
	(void)state;
}

static void
test_tampered(void **state)
{
	struct gw_websess ws;
	struct core_err err;
	char *c = login_cookie(1000000, NULL);
	size_t n = strlen(c);

	/* Flip one character in the middle of the sealed value. */
	c[n / 2] = c[n / 2] == 'A' ? 'B' : 'A';
	assert_int_equal(read_at(c, 1000010, &ws, &err), 0);
	assert_string_equal(err.reason, "tampered");
	assert_int_equal(read_at("fedgate-session=", 1000010, &ws, &err), 0);
	assert_string_equal(err.reason, "no_session");
	assert_int_equal(read_at(NULL, 1000010, &ws, &err), 0);
	assert_string_equal(err.reason, "no_session");
	/* Another name is not our cookie. */
	assert_int_equal(read_at(c + 1, 1000010, &ws, &err), 0);
	free(c);
	(void)state;
}

/* A flow cookie's value never opens as a session (purpose binding). */
static void
test_purpose(void **state)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:s}",
			      "sid", "x", "csrf", "y", "p", "corp", "k", 0,
			      "iat", (json_int_t)1000000, "seen",
			      (json_int_t)1000000, "u", "mallory", "id", "{}");
	char *flow = gw_web_seal(&app, GW_COOKIE_FLOW, o);
	char *sess = gw_web_seal(&app, GW_COOKIE_SESSION, o);
	char cookie[8192];
	struct gw_websess ws;
	struct core_err err;

	assert_non_null(flow);
	snprintf(cookie, sizeof(cookie), "fedgate-session=%s", flow);
	assert_int_equal(read_at(cookie, 1000010, &ws, &err), 0);
	assert_string_equal(err.reason, "tampered");
	snprintf(cookie, sizeof(cookie), "fedgate-session=%s", sess);
	assert_int_equal(read_at(cookie, 1000010, &ws, &err), 1);
	gw_websess_clear(&ws);
	json_decref(o);
	free(flow);
	free(sess);
	(void)state;
}

static void
test_lifetime_and_idle(void **state)
{
	struct gw_websess ws;
	struct core_err err;
	char *c = login_cookie(1000000, NULL);

	/* idle_timeout 600: seen_at is the login time in this cookie. */
	assert_int_equal(read_at(c, 1000599, &ws, &err), 1);
	gw_websess_clear(&ws);
	assert_int_equal(read_at(c, 1000600, &ws, &err), 0);
	assert_string_equal(err.reason, "idle");
	/* Issued in the future (beyond skew): refused as expired. */
	assert_int_equal(read_at(c, 1000000 - 3600, &ws, &err), 0);
	assert_string_equal(err.reason, "expired");
	free(c);
	/* lifetime 3600 counts from login even when recently seen. */
	{
		struct gw_websess in;
		struct gw_resp resp;
		char *c2;

		c2 = login_cookie(2000000, &in);
		free(c2);
		resp_init(&resp);
		assert_int_equal(gw_websess_write(&app, &resp, &in, 2003500,
						  &err), 0);
		c2 = set_cookie_pair(&resp);
		assert_int_equal(read_at(c2, 2003599, &ws, &err), 1);
		gw_websess_clear(&ws);
		assert_int_equal(read_at(c2, 2003600, &ws, &err), 0);
		assert_string_equal(err.reason, "expired");
		free(c2);
		resp_free(&resp);
		gw_websess_clear(&in);
	}
	(void)state;
}

static void
test_ended(void **state)
{
	struct gw_websess in, ws;
	struct core_err err = {0};
	int64_t now = core_now();
	char *c = login_cookie(now, &in);

	assert_int_equal(read_at(c, now + 1, &ws, &err), 1);
	gw_websess_clear(&ws);
	assert_int_equal(gw_websess_end(&app, &in, &err), 0);
	assert_int_equal(read_at(c, now + 2, &ws, &err), 0);
	assert_string_equal(err.reason, "ended");
	gw_websess_clear(&in);
	free(c);
	(void)state;
}

static void
test_csrf(void **state)
{
	struct gw_websess ws;
	char wrong[48];

	gw_websess_init(&ws, "corp", GW_LOGIN_SAML, "u", "{}", 1);
	assert_true(strlen(ws.csrf) >= 40);
	assert_true(gw_websess_csrf_ok(&ws, ws.csrf));
	snprintf(wrong, sizeof(wrong), "%s", ws.csrf);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	assert_false(gw_websess_csrf_ok(&ws, wrong));
	assert_false(gw_websess_csrf_ok(&ws, ""));
	assert_false(gw_websess_csrf_ok(&ws, NULL));
	wrong[10] = '\0';
	assert_false(gw_websess_csrf_ok(&ws, wrong));
	gw_websess_clear(&ws);
	(void)state;
}

/* More than a cookie holds is refused, not truncated. */
static void
test_too_large(void **state)
{
	struct gw_websess ws;
	struct gw_resp resp;
	struct core_err err = {0};
	char *big = malloc(20000 + 1);
	uint8_t rnd[10000];

	/* Random hex does not deflate below 4 KB. */
	core_random(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(big + 2 * i, 3, "%02x", rnd[i]);
	gw_websess_init(&ws, "corp", GW_LOGIN_OIDC, "u", big, 1000000);
	resp_init(&resp);
	assert_int_equal(gw_websess_write(&app, &resp, &ws, 1000000, &err), -1);
	assert_string_equal(err.reason, "identity_too_large");
	assert_int_equal(resp.n_headers, 0);
	gw_websess_clear(&ws);
	resp_free(&resp);
	free(big);
	(void)state;
}

static void
test_use_once(void **state)
{
	struct core_err err = {0};
	int64_t exp = core_now() + 60;

	assert_int_equal(gw_web_use_once(&app, "web_state", "abc", exp, &err), 1);
	assert_int_equal(gw_web_use_once(&app, "web_state", "abc", exp, &err), 0);
	assert_int_equal(gw_web_use_once(&app, "web_state", "abd", exp, &err), 1);
	assert_int_equal(gw_web_use_once(&app, "web_other", "abc", exp, &err), 1);
	(void)state;
}

static int
setup(void **state)
{
	char text[512];
	int nerr = 0;

	(void)state;
	if (mkdtemp(state_dir) == NULL)
		return -1;
	snprintf(text, sizeof(text), conf_fmt, state_dir);
	memset(&app, 0, sizeof(app));
	app.conf = gw_conf_load_string(text, strlen(text), "web.yaml", stderr,
				       &nerr);
	if (app.conf == NULL)
		return -1;
	app.keyring = core_keyring_load_or_create(state_dir, &(struct core_err){0});
	app.saml_replay = fed_saml_replay_new_store(core_store_open_memory(100));
	return app.keyring == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	fed_saml_replay_free(app.saml_replay);
	core_keyring_free(app.keyring);
	gw_conf_free(app.conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_purpose),
	    cmocka_unit_test(test_lifetime_and_idle),
	    cmocka_unit_test(test_ended),
	    cmocka_unit_test(test_csrf),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_use_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
