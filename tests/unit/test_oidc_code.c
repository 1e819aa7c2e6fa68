/* tests/unit/test_oidc_code.c - OIDC code flow: PKCE, authorization URL,
 * code exchange and discovery against a loopback HTTP server, identity JSON
 *
 * The token endpoint is a tiny HTTP server on 127.0.0.1:0 in a thread of
 * this process: each exchange is a real libcurl round trip, and the test
 * checks the request the server received byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/log.h"
#include "core/mem.h"
#include "federation/oidc.h"
#include "federation/oidc_code.h"
#include "federation/oidc_int.h"

/* RFC 7636 Appendix B (verifier re-derived from its 32 octets). */
#define RFC_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/* ---- PKCE --------------------------------------------------------- */

static void
test_pkce_rfc_vector(void **state)
{
	char ch[FED_PKCE_LEN + 1];

	(void)state;
	fed_pkce_challenge(RFC_VERIFIER, ch);
	assert_string_equal(ch, RFC_CHALLENGE);
	fed_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", ch);
	assert_string_not_equal(ch, RFC_CHALLENGE);
}

static void
test_pkce_verifier(void **state)
{
	char a[FED_PKCE_LEN + 1], b[FED_PKCE_LEN + 1], ch[FED_PKCE_LEN + 1];
	const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_";

	(void)state;
	memset(a, 'x', sizeof(a));
	fed_pkce_verifier(a);
	fed_pkce_verifier(b);
	assert_int_equal(strlen(a), FED_PKCE_LEN);
	assert_int_equal(strspn(a, alphabet), FED_PKCE_LEN);
	assert_string_not_equal(a, b);
	fed_pkce_challenge(a, ch);
	assert_int_equal(strlen(ch), FED_PKCE_LEN);
	assert_string_not_equal(ch, a);
}

/* ---- authorization URL -------------------------------------------- */

static void
test_authorize_url(void **state)
{
	struct fed_oidc_authz_request r = {
		.authorization_endpoint = "https://idp.example/authorize",
		.client_id = "my app&x=1",
		.redirect_uri = "https://app.example/cb?a=1&b=2",
		.scope = "openid email",
		.state = "st/+=?#",
		.nonce = "n~._-",
		.code_challenge = RFC_CHALLENGE,
		.hosted_domain = "\xc3\xa9xample.com",
	};
	char *u;

	(void)state;
	u = fed_oidc_authorize_url(&r);
	assert_non_null(u);
	assert_string_equal(u, "https://idp.example/authorize?"
	    "response_type=code&client_id=my%20app%26x%3D1"
	    "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fa%3D1%26b%3D2"
	    "&scope=openid%20email&state=st%2F%2B%3D%3F%23&nonce=n~._-"
	    "&code_challenge=" RFC_CHALLENGE "&code_challenge_method=S256"
	    "&hd=%C3%A9xample.com");
	free(u);

	/* RFC 6749 §3.1: the endpoint's own query is kept, then '&'. */
	r.authorization_endpoint = "http://127.0.0.1:9000/auth?tenant=a%20b";
	r.hosted_domain = NULL;
	r.client_id = "c";
	u = fed_oidc_authorize_url(&r);
	assert_non_null(u);
	assert_string_equal(u, "http://127.0.0.1:9000/auth?tenant=a%20b"
	    "&response_type=code&client_id=c"
	    "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fa%3D1%26b%3D2"
	    "&scope=openid%20email&state=st%2F%2B%3D%3F%23&nonce=n~._-"
	    "&code_challenge=" RFC_CHALLENGE "&code_challenge_method=S256");
	free(u);

	r.authorization_endpoint = "https://idp.example/auth?";
	u = fed_oidc_authorize_url(&r);
	assert_non_null(u);
	assert_true(strncmp(u, "https://idp.example/auth?response_type=code&",
			    44) == 0);
	free(u);
}

static void
test_authorize_url_refused(void **state)
{
	struct fed_oidc_authz_request ok = {
		.authorization_endpoint = "https://idp.example/authorize",
		.client_id = "c", .redirect_uri = "https://app/cb",
		.scope = "email openid", .state = "s", .nonce = "n",
		.code_challenge = RFC_CHALLENGE,
	}, r;
	char *u;

	(void)state;
	u = fed_oidc_authorize_url(&ok);
	assert_non_null(u);
	free(u);
	r = ok;
	r.scope = "openidx email";
	assert_null(fed_oidc_authorize_url(&r));
	r = ok;
	r.authorization_endpoint = "http://idp.example/authorize";
	assert_null(fed_oidc_authorize_url(&r));
	r = ok;
	r.authorization_endpoint = "https://idp.example/authorize#frag";
	assert_null(fed_oidc_authorize_url(&r));
	r = ok;
	r.state = NULL;
	assert_null(fed_oidc_authorize_url(&r));
	r = ok;
	r.nonce = "";
	assert_null(fed_oidc_authorize_url(&r));
}

/* ---- identity JSON ------------------------------------------------ */

static void
kv_set(struct fed_claim_kv *kv, const char *key, int multi, size_t n,
       const char *const *vals)
{
	kv->key = core_xstrdup(key);
	kv->multi = multi;
	kv->n_values = n;
	kv->values = core_xcalloc(n > 0 ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		kv->values[i] = core_xstrdup(vals[i]);
}

static struct fed_identity *
sample_identity(int with_source_identity)
{
	static const char *const amr[] = {"pwd", "mfa", "\xe2\x9c\x93"};
	static const char *const email[] = {"a\"b\\c@example.com"};
	static const char *const group[] = {"admins"};
	struct fed_identity *id = core_xcalloc(1, sizeof(*id));

	id->provider_name = core_xstrdup("corp");
	id->issuer = core_xstrdup("http://127.0.0.1:9000/oidc");
	id->provider_id = core_xstrdup("127.0.0.1:9000/oidc");
	id->subject = core_xstrdup("user-1\t");
	id->audience = core_xstrdup("fedgate");
	if (with_source_identity)
		id->source_identity = core_xstrdup("alice@corp");
	id->exp = INT64_MAX;
	id->iat = -5;
	memcpy(id->jti_hash, "0123456789abcdef", 17);
	id->n_claims = 4;
	id->claims = core_xcalloc(4, sizeof(*id->claims));
	kv_set(&id->claims[0], "127.0.0.1:9000/oidc:email", 0, 1, email);
	kv_set(&id->claims[1], "127.0.0.1:9000/oidc:amr", 1, 3, amr);
	kv_set(&id->claims[2], "127.0.0.1:9000/oidc:groups", 1, 1, group);
	kv_set(&id->claims[3], "127.0.0.1:9000/oidc:empty", 1, 0, NULL);
	id->n_tags = 2;
	id->tags = core_xcalloc(2, sizeof(*id->tags));
	id->tags[0].key = core_xstrdup("Project");
	id->tags[0].value = core_xstrdup("blue");
	id->tags[0].transitive = 1;
	id->tags[1].key = core_xstrdup("CostCenter");
	id->tags[1].value = core_xstrdup("");
	return id;
}

static void
assert_str_or_null_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_identity_equal(const struct fed_identity *a,
		      const struct fed_identity *b)
{
	assert_str_or_null_equal(a->provider_name, b->provider_name);
	assert_string_equal(a->issuer, b->issuer);
	assert_string_equal(a->provider_id, b->provider_id);
	assert_string_equal(a->subject, b->subject);
	assert_str_or_null_equal(a->audience, b->audience);
	assert_str_or_null_equal(a->source_identity, b->source_identity);
	assert_true(a->exp == b->exp);
	assert_true(a->iat == b->iat);
	assert_string_equal(a->jti_hash, b->jti_hash);
	assert_int_equal(a->n_claims, b->n_claims);
	for (size_t i = 0; i < a->n_claims; i++) {
		assert_string_equal(a->claims[i].key, b->claims[i].key);
		assert_int_equal(a->claims[i].multi, b->claims[i].multi);
		assert_int_equal(a->claims[i].n_values, b->claims[i].n_values);
		for (size_t j = 0; j < a->claims[i].n_values; j++)
			assert_string_equal(a->claims[i].values[j],
					    b->claims[i].values[j]);
	}
	assert_int_equal(a->n_tags, b->n_tags);
	for (size_t i = 0; i < a->n_tags; i++) {
		assert_string_equal(a->tags[i].key, b->tags[i].key);
		assert_string_equal(a->tags[i].value, b->tags[i].value);
		assert_int_equal(a->tags[i].transitive, b->tags[i].transitive);
	}
}

static void
test_identity_roundtrip(void **state)
{
	struct core_err err = {0};

	(void)state;
	for (int si = 0; si < 2; si++) {
		struct fed_identity *a = sample_identity(si), *b;
		char *j = fed_identity_to_json(a), *j2;

		assert_non_null(j);
		b = fed_identity_from_json(j, strlen(j), &err);
		assert_non_null(b);
		assert_int_equal(err.code, CORE_OK);
		assert_identity_equal(a, b);
		assert_int_equal(b->claims[1].multi, 1);
		assert_int_equal(b->claims[0].multi, 0);
		assert_int_equal(b->tags[0].transitive, 1);
		assert_int_equal(b->tags[1].transitive, 0);
		assert_true(b->exp == INT64_MAX && b->iat == -5);
		if (!si)
			assert_null(b->source_identity);
		j2 = fed_identity_to_json(b);
		assert_string_equal(j, j2);
		free(j);
		free(j2);
		fed_identity_free(a);
		fed_identity_free(b);
	}
}

static void
test_identity_to_json_refuses(void **state)
{
	struct fed_identity *a = sample_identity(1);

	(void)state;
	free(a->subject);
	a->subject = NULL;
	assert_null(fed_identity_to_json(a));
	a->subject = core_xstrdup("bad \xff utf-8");
	assert_null(fed_identity_to_json(a));
	fed_identity_free(a);
}

static void
expect_refused(const char *json, size_t len, const char *what)
{
	struct core_err err = {0};
	struct fed_identity *id = fed_identity_from_json(json, len, &err);

	if (id != NULL)
		fail_msg("accepted: %s", what);
	assert_int_equal(err.code, CORE_EINTERNAL);
}

/* The sample with one member's text replaced (first occurrence). */
static char *
mutate(const char *json, const char *from, const char *to)
{
	const char *p = strstr(json, from);

	assert_non_null(p);
	return core_xasprintf("%.*s%s%s", (int)(p - json), json, to,
			      p + strlen(from));
}

static char *
repeat_list(const char *head, const char *item, size_t n, const char *tail)
{
	struct core_buf b;

	core_buf_init(&b, 0);
	(void)core_buf_puts(&b, head);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			(void)core_buf_puts(&b, ",");
		(void)core_buf_append(&b, item, strcspn(item, "@"));
		(void)core_buf_printf(&b, "%zu", i);
		if (strchr(item, '@') != NULL)
			(void)core_buf_puts(&b, strchr(item, '@') + 1);
	}
	(void)core_buf_puts(&b, tail);
	return core_buf_steal(&b);
}

static void
test_identity_from_json_malformed(void **state)
{
	static const struct {
		const char *from, *to;
	} muts[] = {
		{"\"v\":1", "\"v\":2"},
		{"\"v\":1", "\"v\":\"1\""},
		{"\"v\":1,", ""},
		{"\"v\":1", "\"v\":1,\"extra\":0"},
		{"\"v\":1", "\"v\":1,\"v\":1"},
		{"\"subject\":\"user-1\\t\"", "\"subject\":null"},
		{"\"subject\":\"user-1\\t\"", "\"subject\":7"},
		{"\"issuer\":\"http://127.0.0.1:9000/oidc\"", "\"issuer\":[]"},
		{"\"audience\":\"fedgate\"", "\"audience\":true"},
		{"\"exp\":9223372036854775807", "\"exp\":1.5"},
		{"\"exp\":9223372036854775807", "\"exp\":\"1\""},
		{"\"iat\":-5", "\"iat\":null"},
		{"\"jti_hash\":\"0123456789abcdef\"",
		 "\"jti_hash\":\"0123456789abcdef0\""},
		{"\"jti_hash\":\"0123456789abcdef\"", "\"jti_hash\":\"a b\""},
		{"\"jti_hash\":\"0123456789abcdef\"", "\"jti_hash\":null"},
		{"\"m\":false", "\"m\":0"},
		{"\"m\":false", "\"m\":false,\"x\":1"},
		{"\"v\":[\"pwd\"", "\"v\":[null"},
		{"\"v\":[\"pwd\"", "\"v\":[1"},
		{"\"v\":[\"pwd\",", "\"v\":\"pwd\",\"w\":["},
		{"\"k\":\"127.0.0.1:9000/oidc:amr\"", "\"k\":null"},
		{"\"t\":true", "\"t\":\"true\""},
		{"\"v\":\"blue\"", "\"v\":[\"blue\"]"},
		{"\"claims\":[", "\"claims\":{\"a\":"},
		{"\"tags\":[", "\"tags\":[1,"},
		{"{\"k\":\"Project\"", "{\"K\":\"Project\""},
		{"\"t\":true", "\"t\":true,\"x\":1"},
		{"\"source_identity\":\"alice@corp\"",
		 "\"source_identity\":\"a\\u0000b\""},
	};
	struct fed_identity *a = sample_identity(1);
	char *good = fed_identity_to_json(a), *bad, *big;
	size_t len = strlen(good);
	struct core_err err = {0};
	struct fed_identity *ok;

	(void)state;
	fed_identity_free(a);
	ok = fed_identity_from_json(good, len, &err);
	assert_non_null(ok);
	fed_identity_free(ok);

	/* Every truncation of a good document. */
	for (size_t n = 0; n < len; n++)
		expect_refused(good, n, "truncated");
	expect_refused(NULL, 0, "NULL");
	expect_refused("[]", 2, "array");
	expect_refused("\"x\"", 3, "string");
	expect_refused("{}", 2, "empty object");

	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		bad = mutate(good, muts[i].from, muts[i].to);
		expect_refused(bad, strlen(bad), muts[i].to);
		free(bad);
	}

	/* Counts beyond the bounds: 1001 claims, 101 values, 51 tags. */
	big = repeat_list("\"claims\":[", "{\"k\":\"p:c@\",\"v\":[],\"m\":false}",
			  1001, "],\"tags\"");
	bad = mutate(good, "\"claims\":[", "\"claims\":[],\"x\":[");
	expect_refused(bad, strlen(bad), "unknown member after claims");
	free(bad);
	{
		const char *c0 = strstr(good, "\"claims\":[");
		const char *t0 = strstr(good, ",\"tags\":[");
		char *doc;

		assert_non_null(c0);
		assert_non_null(t0);
		doc = core_xasprintf("%.*s%s%s", (int)(c0 - good), good, big,
				     t0 + strlen(",\"tags\""));
		expect_refused(doc, strlen(doc), "1001 claims");
		free(doc);
		free(big);
		/* The same list at exactly the bound is accepted. */
		big = repeat_list("\"claims\":[",
		    "{\"k\":\"p:c@\",\"v\":[],\"m\":false}", 1000, "],\"tags\"");
		doc = core_xasprintf("%.*s%s%s", (int)(c0 - good), good, big,
				     t0 + strlen(",\"tags\""));
		ok = fed_identity_from_json(doc, strlen(doc), &err);
		assert_non_null(ok);
		assert_int_equal(ok->n_claims, 1000);
		fed_identity_free(ok);
		free(doc);
		free(big);
	}
	big = repeat_list("\"v\":[", "\"@\"", 101, "],\"m\":false");
	bad = mutate(good, "\"v\":[],\"m\":true", big + 0);
	expect_refused(bad, strlen(bad), "101 values");
	free(bad);
	free(big);
	big = repeat_list("\"tags\":[", "{\"k\":\"t@\",\"v\":\"\",\"t\":false}",
			  51, "]}");
	{
		const char *t0 = strstr(good, "\"tags\":[");
		char *doc = core_xasprintf("%.*s%s", (int)(t0 - good), good,
					   big);

		expect_refused(doc, strlen(doc), "51 tags");
		free(doc);
	}
	free(big);

	/* A string over 64 KiB, and a document over the total bound. */
	big = core_xmalloc(64 * 1024 + 2);
	memset(big, 'a', 64 * 1024 + 1);
	big[64 * 1024 + 1] = '\0';
	{
		char *to = core_xasprintf("\"subject\":\"%s\"", big);

		bad = mutate(good, "\"subject\":\"user-1\\t\"", to);
		expect_refused(bad, strlen(bad), "64 KiB string");
		free(bad);
		free(to);
	}
	free(big);
	big = core_xcalloc(1, 300 * 1024 + 1);
	memset(big, ' ', 300 * 1024);
	memcpy(big, good, len);
	expect_refused(big, 300 * 1024, "over total bound");
	free(big);
	free(good);
}

static void
test_identity_claim(void **state)
{
	static const char *const v1[] = {"x@example.com"};
	static const char *const v2[] = {"wrong"};
	struct fed_identity *id = sample_identity(0);

	(void)state;
	assert_string_equal(fed_identity_claim(id, "email"),
			    "a\"b\\c@example.com");
	assert_string_equal(fed_identity_claim(id, "amr"), "pwd");
	assert_null(fed_identity_claim(id, "empty"));
	assert_null(fed_identity_claim(id, "emai"));
	assert_null(fed_identity_claim(id, "nonce"));
	assert_null(fed_identity_claim(id, "oidc:email"));
	/* A key from another provider, or a prefix collision, is not it. */
	id->claims = core_xrealloc(id->claims, 7 * sizeof(*id->claims));
	kv_set(&id->claims[4], "127.0.0.1:9000/oidcx:hd", 0, 1, v2);
	kv_set(&id->claims[5], "127.0.0.1:9000/oidc/hd", 0, 1, v2);
	kv_set(&id->claims[6], "127.0.0.1:9000/oidc:hd", 0, 1, v1);
	id->n_claims = 7;
	assert_string_equal(fed_identity_claim(id, "hd"), "x@example.com");
	fed_identity_free(id);
}

/* ---- loopback token endpoint and discovery server ----------------- */

struct srv {
	int lfd;
	int port;
	pthread_t th;
	pthread_mutex_t mu;
	/* canned answer for POST /token */
	int status;
	char *body;
	int no_length;		/* close-delimited body */
	char *discovery;	/* GET /.well-known/openid-configuration */
	/* what the server received */
	char *last_req;
	int hits_token;
};

static struct srv srv;

static size_t
content_length(const char *req)
{
	const char *p = strcasestr(req, "\r\ncontent-length:");

	return p != NULL ? strtoul(p + 17, NULL, 10) : 0;
}

static char *
srv_read(int fd)
{
	size_t cap = 65536, got = 0, need = 0;
	char *req = core_xmalloc(cap + 1), *eoh;
	ssize_t n;

	req[0] = '\0';
	while (got < cap) {
		n = read(fd, req + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		req[got] = '\0';
		eoh = strstr(req, "\r\n\r\n");
		if (eoh != NULL && need == 0)
			need = (size_t)(eoh + 4 - req) + content_length(req);
		if (need != 0 && got >= need)
			break;
	}
	return req;
}

static void
srv_write(int fd, const char *p, size_t len)
{
	ssize_t n;

	/* The client may hang up on an oversized body: no SIGPIPE. */
	for (size_t off = 0; off < len;) {
		n = send(fd, p + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

static void
srv_serve_one(struct srv *s, int fd)
{
	char *req = srv_read(fd), *hdr, *body = NULL;
	const char *status = "404 Not Found", *loc = "";
	int no_length = 0;

	pthread_mutex_lock(&s->mu);
	/* Any method: a followed redirect would turn the POST into a GET. */
	if (strncmp(req, "POST /token ", 12) == 0 ||
	    strncmp(req, "GET /token ", 11) == 0) {
		free(s->last_req);
		s->last_req = core_xstrdup(req);
		s->hits_token++;
		status = s->status == 200 ? "200 OK" : s->status == 400 ?
		    "400 Bad Request" : s->status == 401 ? "401 Unauthorized" :
		    s->status == 404 ? "404 Not Found" :
		    "500 Internal Server Error";
		body = core_xstrdup(s->body != NULL ? s->body : "");
		no_length = s->no_length;
	} else if (strncmp(req, "POST /redirect ", 15) == 0) {
		status = "302 Found";
		loc = "Location: /token\r\n";
	} else if (strncmp(req, "GET /.well-known/openid-configuration ",
			   38) == 0 && s->discovery != NULL) {
		status = "200 OK";
		body = core_xstrdup(s->discovery);
	}
	pthread_mutex_unlock(&s->mu);
	if (body == NULL)
		body = core_xstrdup("");
	if (no_length)
		hdr = core_xasprintf("HTTP/1.1 %s\r\nContent-Type: "
				     "application/json\r\nConnection: close"
				     "\r\n\r\n", status);
	else
		hdr = core_xasprintf("HTTP/1.1 %s\r\nContent-Type: "
				     "application/json\r\n%sConnection: close"
				     "\r\nContent-Length: %zu\r\n\r\n", status,
				     loc, strlen(body));
	srv_write(fd, hdr, strlen(hdr));
	srv_write(fd, body, strlen(body));
	free(hdr);
	free(body);
	free(req);
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	int fd;

	while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
		srv_serve_one(s, fd);
		close(fd);
	}
	return NULL;
}

static int
srv_start(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	(void)state;
	pthread_mutex_init(&srv.mu, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (srv.lfd < 0 ||
	    bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(srv.lfd, 16) != 0 ||
	    getsockname(srv.lfd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	srv.port = ntohs(sa.sin_port);
	return pthread_create(&srv.th, NULL, srv_main, &srv) == 0 ? 0 : -1;
}

static int
srv_stop(void **state)
{
	(void)state;
	shutdown(srv.lfd, SHUT_RDWR);
	pthread_join(srv.th, NULL);
	close(srv.lfd);
	free(srv.body);
	free(srv.discovery);
	free(srv.last_req);
	pthread_mutex_destroy(&srv.mu);
	return 0;
}

static void
srv_answer(int status, const char *body, int no_length)
{
	pthread_mutex_lock(&srv.mu);
	srv.status = status;
	free(srv.body);
	srv.body = core_xstrdup(body);
	srv.no_length = no_length;
	free(srv.last_req);
	srv.last_req = NULL;
	srv.hits_token = 0;
	pthread_mutex_unlock(&srv.mu);
}

/* The discovery document: tmpl with every "PORT" replaced by the port. */
static void
srv_discovery(const char *tmpl)
{
	struct core_buf b;
	const char *p;

	core_buf_init(&b, 0);
	for (p = tmpl; p != NULL && strstr(p, "PORT") != NULL;) {
		(void)core_buf_append(&b, p, (size_t)(strstr(p, "PORT") - p));
		(void)core_buf_printf(&b, "%d", srv.port);
		p = strstr(p, "PORT") + 4;
	}
	if (p != NULL)
		(void)core_buf_puts(&b, p);
	pthread_mutex_lock(&srv.mu);
	free(srv.discovery);
	srv.discovery = tmpl == NULL ? NULL : core_buf_steal(&b);
	pthread_mutex_unlock(&srv.mu);
	core_buf_reset(&b);
}

/* Header value of the last request, malloc'd, or NULL. */
static char *
last_header(const char *name)
{
	char *pat = core_xasprintf("\r\n%s: ", name), *p, *v = NULL;

	pthread_mutex_lock(&srv.mu);
	p = srv.last_req != NULL ? strcasestr(srv.last_req, pat) : NULL;
	if (p != NULL) {
		p += strlen(pat);
		v = core_xstrndup(p, strcspn(p, "\r\n"));
	}
	pthread_mutex_unlock(&srv.mu);
	free(pat);
	return v;
}

static char *
last_body(void)
{
	char *p, *v = NULL;

	pthread_mutex_lock(&srv.mu);
	p = srv.last_req != NULL ? strstr(srv.last_req, "\r\n\r\n") : NULL;
	if (p != NULL)
		v = core_xstrdup(p + 4);
	pthread_mutex_unlock(&srv.mu);
	return v;
}

#define CODE "c0de/+ ="
#define SECRET "s3cr&t x/+"

static struct fed_oidc_code_exchange
exchange(const char *path, const char *secret)
{
	static char url[128];
	struct fed_oidc_code_exchange x = {
		.token_endpoint = url,
		.client_id = "my client:1",
		.client_secret = secret,
		.code = CODE,
		.redirect_uri = "https://app.example/cb?a=1",
		.code_verifier = RFC_VERIFIER,
		.timeout_seconds = 5,
	};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", srv.port, path);
	return x;
}

/* Nothing secret may leak into an error message. */
static void
assert_msg_clean(const struct core_err *err)
{
	assert_null(strstr(err->msg, "c0de"));
	assert_null(strstr(err->msg, "s3cr"));
	assert_null(strstr(err->msg, RFC_VERIFIER));
	assert_null(strstr(err->msg, "eyJ"));
}

static void
test_exchange_ok_basic(void **state)
{
	struct fed_oidc_code_exchange x = exchange("/token", SECRET);
	struct core_err err = {0};
	char *tok = NULL, *h, *body;

	(void)state;
	srv_answer(200, "{\"access_token\":\"AT\",\"token_type\":\"Bearer\","
		   "\"id_token\":\"eyJhbGciOiJSUzI1NiJ9.e30.c2ln\"}", 0);
	assert_int_equal(fed_oidc_exchange_code(&x, &tok, &err), 0);
	assert_string_equal(tok, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
	free(tok);
	pthread_mutex_lock(&srv.mu);
	assert_non_null(srv.last_req);
	assert_true(strncmp(srv.last_req, "POST /token HTTP/1.1\r\n", 22) == 0);
	pthread_mutex_unlock(&srv.mu);
	body = last_body();
	assert_string_equal(body, "grant_type=authorization_code"
	    "&code=c0de%2F%2B+%3D"
	    "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fa%3D1"
	    "&code_verifier=" RFC_VERIFIER);
	free(body);
	/* RFC 6749 §2.3.1: base64("my+client%3A1:s3cr%26t+x%2F%2B"). */
	h = last_header("Authorization");
	assert_non_null(h);
	assert_string_equal(h, "Basic bXkrY2xpZW50JTNBMTpzM2NyJTI2dCt4JTJGJTJC");
	free(h);
	h = last_header("Accept");
	assert_string_equal(h, "application/json");
	free(h);
	h = last_header("Content-Type");
	assert_string_equal(h, "application/x-www-form-urlencoded");
	free(h);
}

static void
test_exchange_ok_public(void **state)
{
	struct fed_oidc_code_exchange x = exchange("/token", NULL);
	struct core_err err = {0};
	char *tok = NULL, *h, *body;

	(void)state;
	srv_answer(200, "{\"id_token\":\"a.b.c\"}", 0);
	assert_int_equal(fed_oidc_exchange_code(&x, &tok, &err), 0);
	assert_string_equal(tok, "a.b.c");
	free(tok);
	h = last_header("Authorization");
	assert_null(h);
	body = last_body();
	assert_string_equal(body, "grant_type=authorization_code"
	    "&code=c0de%2F%2B+%3D"
	    "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fa%3D1"
	    "&code_verifier=" RFC_VERIFIER "&client_id=my+client%3A1");
	free(body);
}

static void
expect_exchange_fails(const char *path, int status, const char *body,
		      int no_length, enum core_code want, const char *what)
{
	struct fed_oidc_code_exchange x = exchange(path, SECRET);
	struct core_err err = {0};
	char *tok = NULL;

	srv_answer(status, body, no_length);
	if (fed_oidc_exchange_code(&x, &tok, &err) != -1)
		fail_msg("exchange accepted: %s", what);
	assert_null(tok);
	if (err.code != want)
		fail_msg("%s: code %d, want %d (%s)", what, err.code, want,
			 err.msg);
	assert_msg_clean(&err);
}

static char *
padded_body(size_t total)
{
	static const char head[] = "{\"id_token\":\"a.b.c\",\"pad\":\"";
	char *b = core_xmalloc(total + 1);

	memcpy(b, head, sizeof(head) - 1);
	memset(b + sizeof(head) - 1, 'x', total - (sizeof(head) - 1) - 2);
	memcpy(b + total - 2, "\"}", 3);
	return b;
}

static void
test_exchange_errors(void **state)
{
	struct fed_oidc_code_exchange x;
	struct core_err err = {0};
	char *tok = NULL, *big, msg_err[400];

	(void)state;
	/* §5.2 errors: the code is reported, the description is not. */
	x = exchange("/token", SECRET);
	srv_answer(400, "{\"error\":\"invalid_grant\",\"error_description\":"
		   "\"code c0de was already redeemed\"}", 0);
	assert_int_equal(fed_oidc_exchange_code(&x, &tok, &err), -1);
	assert_int_equal(err.code, CORE_EIDP_REJECTED);
	assert_non_null(strstr(err.msg, "invalid_grant"));
	assert_null(strstr(err.msg, "redeemed"));
	assert_msg_clean(&err);
	expect_exchange_fails("/token", 401, "{\"error\":\"invalid_client\"}",
			      0, CORE_EIDP_REJECTED, "401 invalid_client");

	/* An error code full of junk is cut at 200 printable characters. */
	memset(msg_err, 'E', sizeof(msg_err));
	memcpy(msg_err, "{\"error\":\"\\u0001\\n\\\"\\\\<b>", 25);
	memcpy(msg_err + sizeof(msg_err) - 3, "\"}", 3);
	x = exchange("/token", SECRET);
	srv_answer(400, msg_err, 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_oidc_exchange_code(&x, &tok, &err), -1);
	assert_int_equal(err.code, CORE_EIDP_REJECTED);
	assert_non_null(strstr(err.msg, ": ???\?<b>EEE"));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(strlen(strstr(err.msg, ": ???\?<b>") + 2), 200);

	expect_exchange_fails("/token", 500, "{\"error\":\"server_error\"}", 0,
			      CORE_EIDP_COMM, "500");
	expect_exchange_fails("/token", 404, "<html>nope</html>", 0,
			      CORE_EIDP_COMM, "404 not JSON");
	expect_exchange_fails("/token", 400, "{\"error\":5}", 0,
			      CORE_EIDP_COMM, "400 error not a string");
	expect_exchange_fails("/token", 200, "<html>ok</html>", 0,
			      CORE_EIDP_COMM, "200 not JSON");
	expect_exchange_fails("/token", 200, "", 0, CORE_EIDP_COMM,
			      "200 empty");
	expect_exchange_fails("/token", 200, "{\"access_token\":\"eyJx\"}", 0,
			      CORE_EIDP_COMM, "no id_token");
	expect_exchange_fails("/token", 200, "{\"id_token\":5}", 0,
			      CORE_EIDP_COMM, "id_token not a string");
	expect_exchange_fails("/token", 200, "{\"id_token\":\"\"}", 0,
			      CORE_EIDP_COMM, "id_token empty");
	expect_exchange_fails("/token", 200, "[\"id_token\"]", 0,
			      CORE_EIDP_COMM, "array");
	expect_exchange_fails("/token", 200,
			      "{\"id_token\":\"a.b.c\",\"id_token\":\"d.e.f\"}",
			      0, CORE_EIDP_COMM, "duplicate id_token");

	/* Bounded body: exactly the limit passes, one byte more fails,
	 * with or without a Content-Length. */
	big = padded_body(FED_OIDC_MAX_TOKEN_RESPONSE);
	x = exchange("/token", SECRET);
	srv_answer(200, big, 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_oidc_exchange_code(&x, &tok, &err), 0);
	assert_string_equal(tok, "a.b.c");
	free(tok);
	tok = NULL;
	free(big);
	big = padded_body(FED_OIDC_MAX_TOKEN_RESPONSE + 1);
	expect_exchange_fails("/token", 200, big, 0, CORE_EIDP_COMM,
			      "oversized with length");
	expect_exchange_fails("/token", 200, big, 1, CORE_EIDP_COMM,
			      "oversized close-delimited");
	free(big);

	/* Redirects are not followed: /redirect points at a good /token. */
	expect_exchange_fails("/redirect", 200, "{\"id_token\":\"a.b.c\"}", 0,
			      CORE_EIDP_COMM, "redirect");
	pthread_mutex_lock(&srv.mu);
	assert_int_equal(srv.hits_token, 0);
	pthread_mutex_unlock(&srv.mu);
}

static void
test_exchange_refused_endpoints(void **state)
{
	static const char *const bad[] = {
		"http://idp.example/token",
		"http://127.0.0.1.idp.example/token",
		"http://127.0.0.1@idp.example/token",
		"https://user@idp.example/token",
		"http://[::1]@idp.example/token",
		"http://localhost:@idp.example/token",
		"ftp://127.0.0.1/token",
		"https://idp.example/token#x",
		"http://127.0.0.1:80a/token",
		"",
	};
	struct fed_oidc_code_exchange x = exchange("/token", SECRET);
	struct core_err err;
	char *tok = NULL;

	(void)state;
	srv_answer(200, "{\"id_token\":\"a.b.c\"}", 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		x.token_endpoint = bad[i];
		if (fed_oidc_exchange_code(&x, &tok, &err) != -1)
			fail_msg("accepted endpoint %s", bad[i]);
		assert_int_equal(err.code, CORE_EIDP_COMM);
		/* Refused as configured, not after trying to reach it. */
		assert_string_equal(err.reason, "idp_config");
	}
	x = exchange("/token", SECRET);
	x.code = NULL;
	assert_int_equal(fed_oidc_exchange_code(&x, &tok, &err), -1);
	pthread_mutex_lock(&srv.mu);
	assert_int_equal(srv.hits_token, 0);
	pthread_mutex_unlock(&srv.mu);
	assert_null(tok);
}

static void
test_exchange_unreachable(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct core_err err = {0};
	struct fed_oidc_code_exchange x = exchange("/token", SECRET);
	char url[64], *tok = NULL;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	/* A port that was just free: nothing listens there. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/token",
		 ntohs(sa.sin_port));
	x.token_endpoint = url;
	assert_int_equal(fed_oidc_exchange_code(&x, &tok, &err), -1);
	assert_int_equal(err.code, CORE_EIDP_COMM);
	assert_msg_clean(&err);
	assert_null(tok);
}

/* ---- discovery ---------------------------------------------------- */

static int
discover(struct fed_oidc_endpoints *e, struct core_err *err)
{
	char iss[64];

	snprintf(iss, sizeof(iss), "http://127.0.0.1:%d", srv.port);
	memset(e, 0, sizeof(*e));
	memset(err, 0, sizeof(*err));
	return fed_oidc_discover_endpoints(iss, 5, e, err);
}

static void
test_discovery_ok(void **state)
{
	static const char *const good[] = {
		"{\"issuer\":\"http://127.0.0.1:PORT\",\"authorization_endpoint\":"
		"\"http://127.0.0.1:PORT/authorize\",\"token_endpoint\":"
		"\"https://idp.example/token\"}",
		"{\"issuer\":\"http://127.0.0.1:PORT\",\"authorization_endpoint\":"
		"\"http://localhost:PORT/a?x=1\",\"token_endpoint\":"
		"\"http://[::1]:8443/token\"}",
	};
	struct fed_oidc_endpoints e;
	struct core_err err;
	char want[128];

	(void)state;
	srv_discovery(good[0]);
	assert_int_equal(discover(&e, &err), 0);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/authorize", srv.port);
	assert_string_equal(e.authorization_endpoint, want);
	assert_string_equal(e.token_endpoint, "https://idp.example/token");
	fed_oidc_endpoints_clear(&e);
	assert_null(e.authorization_endpoint);
	assert_null(e.token_endpoint);
	fed_oidc_endpoints_clear(&e);

	srv_discovery(good[1]);
	assert_int_equal(discover(&e, &err), 0);
	assert_string_equal(e.token_endpoint, "http://[::1]:8443/token");
	fed_oidc_endpoints_clear(&e);
}

static void
test_discovery_refused(void **state)
{
	static const struct {
		const char *doc, *reason;
	} bad[] = {
		{"{\"issuer\":\"http://127.0.0.1:PORT/\",\"authorization_endpoint\":"
		 "\"https://a/x\",\"token_endpoint\":\"https://a/tPORT\"}",
		 "issuer_mismatch"},
		{"{\"issuer\":\"http://localhost:PORT\",\"authorization_endpoint\":"
		 "\"https://a/x\",\"token_endpoint\":\"https://a/tPORT\"}",
		 "issuer_mismatch"},
		{"{\"authorization_endpoint\":\"https://a/PORT\","
		 "\"token_endpoint\":\"https://a/tPORT\"}", "issuer_mismatch"},
		{"{\"issuer\":\"http://127.0.0.1:PORT\",\"authorization_endpoint\":"
		 "\"https://a/x\",\"token_endpoint\":\"http://idp.example:PORT/t\"}",
		 "discovery_invalid"},
		{"{\"issuer\":\"http://127.0.0.1:PORT\",\"authorization_endpoint\":"
		 "\"http://127.0.0.1.evil.example:PORT/a\",\"token_endpoint\":"
		 "\"https://a/t\"}", "discovery_invalid"},
		{"{\"issuer\":\"http://127.0.0.1:PORT\",\"authorization_endpoint\":"
		 "\"http://127.0.0.1:PORT@evil.example/a\",\"token_endpoint\":"
		 "\"https://a/t\"}", "discovery_invalid"},
		{"{\"issuer\":\"http://127.0.0.1:PORT\",\"authorization_endpoint\":"
		 "\"javascript:alert(PORT)\",\"token_endpoint\":\"https://a/t\"}",
		 "discovery_invalid"},
		{"{\"issuer\":\"http://127.0.0.1:PORT\",\"authorization_endpoint\":"
		 "\"https://a/PORT\"}", "discovery_invalid"},
		{"{\"issuer\":\"http://127.0.0.1:PORT\",\"issuer\":\"xPORT\"}",
		 "discovery_invalid"},
		{"<html>PORT PORT</html>", "discovery_invalid"},
		{NULL, "idp_unreachable"},	/* 404 */
	};
	struct fed_oidc_endpoints e;
	struct core_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		srv_discovery(bad[i].doc);
		if (discover(&e, &err) != -1)
			fail_msg("discovery accepted case %zu", i);
		assert_int_equal(err.code, CORE_EIDP_COMM);
		if (err.reason == NULL || strcmp(err.reason, bad[i].reason) != 0)
			fail_msg("case %zu: reason %s, want %s", i,
				 err.reason != NULL ? err.reason : "(null)",
				 bad[i].reason);
		assert_null(e.authorization_endpoint);
		assert_null(e.token_endpoint);
	}
	/* A non-loopback http issuer is refused before anything is fetched. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_oidc_discover_endpoints("http://idp.example", 1,
						     &e, &err), -1);
	assert_int_equal(err.code, CORE_EIDP_COMM);
	srv_discovery(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkce_rfc_vector),
		cmocka_unit_test(test_pkce_verifier),
		cmocka_unit_test(test_authorize_url),
		cmocka_unit_test(test_authorize_url_refused),
		cmocka_unit_test(test_identity_roundtrip),
		cmocka_unit_test(test_identity_to_json_refuses),
		cmocka_unit_test(test_identity_from_json_malformed),
		cmocka_unit_test(test_identity_claim),
		cmocka_unit_test(test_exchange_ok_basic),
		cmocka_unit_test(test_exchange_ok_public),
		cmocka_unit_test(test_exchange_errors),
		cmocka_unit_test(test_exchange_refused_endpoints),
		cmocka_unit_test(test_exchange_unreachable),
		cmocka_unit_test(test_discovery_ok),
		cmocka_unit_test(test_discovery_refused),
	};
	int rc;

	core_log_init(CORE_LOG_ERROR);
	/* The loopback server must not be reached through a proxy. */
	setenv("no_proxy", "127.0.0.1,localhost,::1", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, srv_start, srv_stop);
	curl_global_cleanup();
	return rc;
}
