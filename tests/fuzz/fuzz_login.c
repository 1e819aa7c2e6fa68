/* tests/fuzz/fuzz_login.c - the parsers of the SSO login page ([4/5])
 *
 * The first input byte picks the parser, the rest is its input; a letter
 * names it (so seeds are readable), any other byte maps onto the same
 * eight by value:
 *   'i' fed_identity_from_json (sealed by us, but a parser), round trip
 *   's' fed_saml_assertion_from_json, round trip
 *   't' fed_oidc_parse_token_response: byte 1 picks the HTTP status
 *   'd' fed_oidc_parse_discovery for issuer FUZZ_ISSUER
 *   'c' gw_cookie_find: line 1 the cookie name, every further line a
 *       header value (Cookie, cookie or another header, by position)
 *   'w' gw_web_open + gw_websess_read: byte 1 picks what the rest is:
 *       'v' the raw cookie value, 'z' bytes sealed as they are (so the
 *       inflater sees them), anything else JSON deflated and sealed as
 *       the gateway would (so the JSON and session readers see it)
 *   'q' gw_login_callback_check: one loopback request, state FUZZ_STATE
 *   'r' gw_login_creds_parse + gw_login_print_server_error (redeem)
 * Each mode checks the parser's contract (out-params written only on
 * success, bounds of what is returned) and aborts when it is broken.
 * The key ring is made once in a temporary directory, which is removed
 * again at once: nothing is read from the source tree.
 * Seeds: tests/fuzz/corpus/fuzz_login/, named after the mode.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/store.h"
#include "federation/oidc.h"
#include "federation/oidc_code.h"
#include "federation/oidc_int.h"
#include "federation/replay.h"
#include "federation/saml.h"
#include "federation/saml_authn.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/logincmd_int.h"
#include "gateway/websess.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256 * 1024)
#define FUZZ_NOW 1893456000		/* 2030-01-01T00:00:00Z */
#define FUZZ_ISSUER "https://idp.example.test"
#define FUZZ_STATE "fuzz-state-0123456789"
#define FUZZ_LOOPBACK_MAX 8192		/* login_loopback.c LOGIN_MAX_REQUEST */
#define FUZZ_CODE_MAX 8192		/* login_loopback.c LOGIN_MAX_CODE */
#define FUZZ_POISON ((char *)(uintptr_t)1)

static struct gw_app fuzz_app;
static struct gw_conf fuzz_conf;

/* ---- setup -------------------------------------------------------- */

static void
rm_tree(const char *dir)
{
	struct dirent *de;
	char path[512];
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

static void
fuzz_init(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256];
	struct core_err err = {0};

	core_log_init(CORE_LOG_ERROR);
	snprintf(dir, sizeof(dir), "%s/fuzz_login.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	fuzz_app.keyring = core_keyring_load_or_create(dir, &err);
	rm_tree(dir);
	if (fuzz_app.keyring == NULL)
		abort();
	/* gw_web_open reads public_url (cookie name), gw_websess_read the
	 * web lifetimes and the skew; nothing else of the config. */
	fuzz_conf.public_url = (char *)"http://127.0.0.1:8080";
	fuzz_conf.clock_skew_seconds = 60;
	fuzz_conf.web.session_lifetime = 28800;
	fuzz_conf.web.idle_timeout = 3600;
	fuzz_app.conf = &fuzz_conf;
	fuzz_app.saml_replay =
	    fed_saml_replay_new_store(core_store_open_memory(100));
}

/* ---- federation: sealed JSON -------------------------------------- */

static void
fuzz_identity(const char *in, size_t len)
{
	struct core_err err = {0};
	struct fed_identity *id, *again;
	char *json, *json2;

	id = fed_identity_from_json(in, len, &err);
	if (id == NULL) {
		if (err.code == CORE_OK)
			abort();
		return;
	}
	(void)fed_identity_claim(id, "email");
	/* What was accepted must serialise, and read back the same. */
	json = fed_identity_to_json(id);
	if (json == NULL)
		abort();
	again = fed_identity_from_json(json, strlen(json), &err);
	json2 = again != NULL ? fed_identity_to_json(again) : NULL;
	if (json2 == NULL || strcmp(json, json2) != 0)
		abort();
	free(json2);
	free(json);
	fed_identity_free(again);
	fed_identity_free(id);
}

static void
fuzz_saml_json(const char *in, size_t len)
{
	struct core_err err = {0};
	struct fed_saml_assertion *a, *again;
	char *json, *json2;

	a = fed_saml_assertion_from_json(in, len, &err);
	if (a == NULL) {
		if (err.code == CORE_OK)
			abort();
		return;
	}
	json = fed_saml_assertion_to_json(a);
	if (json == NULL)
		abort();
	again = fed_saml_assertion_from_json(json, strlen(json), &err);
	json2 = again != NULL ? fed_saml_assertion_to_json(again) : NULL;
	if (json2 == NULL || strcmp(json, json2) != 0)
		abort();
	free(json2);
	free(json);
	fed_saml_assertion_free(again);
	fed_saml_assertion_free(a);
}

/* ---- federation: what the IdP sends ------------------------------- */

static void
fuzz_token_response(const char *in, size_t len)
{
	static const long statuses[] = {200, 400, 401, 403, 500, 302, 0, 499};
	struct core_err err = {0};
	char *id_token = FUZZ_POISON;
	long status;

	if (len == 0)
		return;
	status = statuses[(unsigned char)in[0] % 8];
	if (fed_oidc_parse_token_response(in + 1, len - 1, status, &id_token,
					  &err) == 0) {
		if (status != 200 || id_token == NULL ||
		    id_token == FUZZ_POISON || id_token[0] == '\0')
			abort();
		free(id_token);
	} else if (id_token != FUZZ_POISON || err.code == CORE_OK) {
		abort();
	}
}

static int
is_web_url(const char *u)
{
	return u != NULL && (strncmp(u, "https://", 8) == 0 ||
			     strncmp(u, "http://", 7) == 0);
}

/* Discovery §4.3: "issuer" is exactly ours, not ours plus \u0000 + more. */
static int
issuer_exact(const char *in, size_t len)
{
	json_t *doc = json_loadb(in, len, 0, NULL);
	json_t *iss = json_object_get(doc, "issuer");
	int ok = json_is_string(iss) &&
	    json_string_length(iss) == strlen(FUZZ_ISSUER) &&
	    strcmp(json_string_value(iss), FUZZ_ISSUER) == 0;

	json_decref(doc);
	return ok;
}

static void
fuzz_discovery(const char *in, size_t len)
{
	struct fed_oidc_endpoints ep = {FUZZ_POISON, FUZZ_POISON};
	struct core_err err = {0};

	if (fed_oidc_parse_discovery(FUZZ_ISSUER, in, len, &ep, &err) == 0) {
		if (!is_web_url(ep.authorization_endpoint) ||
		    !is_web_url(ep.token_endpoint) || !issuer_exact(in, len))
			abort();
		fed_oidc_endpoints_clear(&ep);
	} else if (ep.authorization_endpoint != FUZZ_POISON ||
		   ep.token_endpoint != FUZZ_POISON || err.code == CORE_OK) {
		abort();
	}
}

/* ---- gateway: cookies --------------------------------------------- */

/* in split at '\n' into lines[] (NUL-terminated in place); the count. */
static size_t
split_lines(char *in, char **lines, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *nl = strchr(in, '\n');

		lines[n++] = in;
		if (nl == NULL)
			break;
		*nl = '\0';
		in = nl + 1;
	}
	return n;
}

static void
cookie_check(const struct gw_req *req, const char *name, size_t size)
{
	char *buf = core_xmalloc(size);
	const char *v = gw_cookie_find(req, name, buf, size);
	int seen = 0;

	if (v == NULL) {
		free(buf);
		return;
	}
	/* In buf, fits, and is a ';'-free piece of one of the headers. */
	if (v != buf || strlen(v) >= size || strchr(v, ';') != NULL)
		abort();
	for (size_t i = 0; i < req->n_headers && !seen; i++)
		seen = strstr(req->headers[i].value, v) != NULL;
	if (!seen)
		abort();
	free(buf);
}

static void
fuzz_cookie(const char *in, size_t len)
{
	static const char *const hnames[] = {"Cookie", "cookie", "X-Cookie"};
	struct gw_req *req = core_xcalloc(1, sizeof(*req));
	char *copy = core_xstrndup(in, len);
	char *lines[GW_MAX_HEADERS + 1];
	size_t n = split_lines(copy, lines, GW_MAX_HEADERS + 1);

	for (size_t i = 1; i < n; i++) {
		req->headers[i - 1].name = hnames[(i - 1) % 3];
		req->headers[i - 1].value = lines[i];
	}
	req->n_headers = n - 1;
	cookie_check(req, lines[0], GW_WEB_COOKIE_MAX + 1);
	cookie_check(req, lines[0], 8);
	cookie_check(req, "fedgate-session", GW_WEB_COOKIE_MAX + 1);
	free(copy);
	free(req);
}

/* The value as sealed by the gateway: deflate unless raw, then seal. */
static char *
web_seal(const char *in, size_t len, int deflate)
{
	uLongf zlen = compressBound(len);
	uint8_t *z;
	char *sealed;

	if (!deflate)
		return core_seal(fuzz_app.keyring, "fedgate-web-session-v1",
				 (const uint8_t *)in, len);
	z = core_xmalloc(zlen);
	if (compress2(z, &zlen, (const Bytef *)in, len, 9) != Z_OK)
		abort();
	sealed = core_seal(fuzz_app.keyring, "fedgate-web-session-v1", z,
			   zlen);
	free(z);
	return sealed;
}

static void
fuzz_web_open(const char *in, size_t len)
{
	struct gw_req *req = core_xcalloc(1, sizeof(*req));
	struct gw_websess ws;
	struct core_err err = {0};
	char *value, *header;
	json_t *o;
	int r;

	if (len == 0 || len > 64 * 1024) {
		free(req);
		return;
	}
	if (in[0] == 'v')
		value = core_xstrndup(in + 1, len - 1);
	else
		value = web_seal(in + 1, len - 1, in[0] != 'z');
	header = core_xasprintf("fedgate-session=%s", value);
	req->headers[0].name = "Cookie";
	req->headers[0].value = header;
	req->n_headers = 1;
	o = gw_web_open(&fuzz_app, GW_COOKIE_SESSION, req);
	if (o != NULL && !json_is_object(o))
		abort();
	json_decref(o);
	r = gw_websess_read(&fuzz_app, req, &ws, FUZZ_NOW, &err);
	if (r == 1) {
		if (ws.user == NULL || ws.identity == NULL)
			abort();
		gw_websess_clear(&ws);
	} else if (r == 0 && err.code == CORE_OK) {
		abort();
	}
	free(header);
	free(value);
	free(req);
}

/* ---- gateway: fedgate login --------------------------------------- */

static void
fuzz_loopback(const char *in, size_t len)
{
	char *req, *code = FUZZ_POISON;
	int status;

	/* login_loopback.c reads at most LOGIN_MAX_REQUEST bytes, NUL-terminated. */
	if (len > FUZZ_LOOPBACK_MAX)
		len = FUZZ_LOOPBACK_MAX;
	req = core_xstrndup(in, len);
	status = gw_login_callback_check(req, FUZZ_STATE, &code);
	if (status == 200) {
		if (code == NULL || code == FUZZ_POISON || code[0] == '\0' ||
		    strlen(code) > FUZZ_CODE_MAX)
			abort();
		free(code);
	} else if ((status != 400 && status != 404) || code != FUZZ_POISON) {
		abort();
	}
	free(req);
}

/* The credentials go unquoted into shell and ini output. */
static int
shell_safe(const char *s)
{
	return s != NULL && s[0] != '\0' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789+/=_-.:") == strlen(s);
}

static void
fuzz_redeem(const char *in, size_t len)
{
	struct login_creds c = {FUZZ_POISON, FUZZ_POISON, FUZZ_POISON, 0};

	if (gw_login_creds_parse(in, len, &c) == 0) {
		if (!shell_safe(c.akid) || !shell_safe(c.secret) ||
		    !shell_safe(c.token))
			abort();
		free(c.akid);
		free(c.secret);
		free(c.token);
	} else if (c.akid != FUZZ_POISON || c.secret != FUZZ_POISON ||
		   c.token != FUZZ_POISON) {
		abort();
	}
	(void)gw_login_print_server_error(in, len);
}

/* ---- dispatch ----------------------------------------------------- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char modes[] = "isdtcwqr";
	const char *in = (const char *)data + 1;
	const char *m;
	size_t len;

	if (size == 0 || size > FUZZ_MAX_INPUT)
		return 0;
	if (fuzz_app.keyring == NULL)
		fuzz_init();
	len = size - 1;
	m = data[0] != '\0' ? strchr(modes, data[0]) : NULL;
	switch (m != NULL ? *m : modes[data[0] % 8]) {
	case 'i':
		fuzz_identity(in, len);
		break;
	case 's':
		fuzz_saml_json(in, len);
		break;
	case 't':
		fuzz_token_response(in, len);
		break;
	case 'd':
		fuzz_discovery(in, len);
		break;
	case 'c':
		fuzz_cookie(in, len);
		break;
	case 'w':
		fuzz_web_open(in, len);
		break;
	case 'q':
		fuzz_loopback(in, len);
		break;
	default:
		fuzz_redeem(in, len);
		break;
	}
	return 0;
}
