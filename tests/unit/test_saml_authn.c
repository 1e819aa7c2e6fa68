/* tests/unit/test_saml_authn.c - SP-initiated SAML: AuthnRequest, JSON form
 *
 * The AuthnRequest is checked the way an IdP would: the query signature
 * (SAML bindings §3.4.4.1) is verified with OpenSSL against the SP
 * certificate of tests/data/saml/sp.crt, and the SAMLRequest is
 * base64-decoded, raw-inflated (zlib) and read with libxml2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lasso/lasso.h>
#include <lasso/id-ff/server.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "core/b64.h"
#include "core/mem.h"
#include "federation/saml_authn.h"
#include "federation/saml_int.h"

#define NOW 1893456000LL	/* 2030-01-01T00:00:00Z, as in test_saml.c */
#define SKEW 60
#define SP_ID "urn:fedgate:sp"
#define ACS "https://fedgate.example.test/saml/acs"
#define IDP_SSO "https://idp.example.test/saml/sso"
#define ENTRA_SSO "https://sts.windows.net/" \
	"9188040d-6c67-4c5b-b112-36a304b66dad/sso"
#define SIGALG "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define BIND_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define FMT_UNSPEC "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

static struct fed_saml *v_sp;		/* SP key + cert; 3 IdPs */
static struct fed_saml *v_nokey;	/* SP cert only */
static EVP_PKEY *sp_pub;

/* ---- helpers -------------------------------------------------------- */

static char *
data_path(const char *name)
{
	const char *d = getenv("FEDGATE_TEST_DATA");

	return core_xasprintf("%s/saml/%s", d != NULL ? d : "tests/data",
	    name);
}

static struct fed_saml *
make_sp(int with_key)
{
	static const char *names[] = {"test-idp", "entra", "post-only"};
	static const char *files[] = {"idp-metadata.xml", "entra-metadata.xml",
	    "idp-post-only-metadata.xml"};
	struct fed_saml_sp_config sp = {0};
	struct fed_saml_idp_config idps[3];
	struct core_err err = {0};
	struct fed_saml *s;

	sp.entity_id = core_xstrdup(SP_ID);
	sp.acs_url = core_xstrdup(ACS);
	sp.cert_file = data_path("sp.crt");
	sp.key_file = with_key ? data_path("sp.key") : NULL;
	memset(idps, 0, sizeof(idps));
	for (size_t i = 0; i < 3; i++) {
		idps[i].name = core_xstrdup(names[i]);
		idps[i].metadata_file = data_path(files[i]);
	}
	s = fed_saml_new(&sp, idps, 3, &err);
	if (s == NULL)
		fail_msg("fed_saml_new: %s", err.msg);
	return s;
}

static EVP_PKEY *
load_sp_pub(void)
{
	char *path = data_path("sp.crt");
	FILE *fp = fopen(path, "r");
	X509 *x;
	EVP_PKEY *k;

	if (fp == NULL)
		fail_msg("cannot open %s", path);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	free(path);
	assert_non_null(x);
	k = X509_get_pubkey(x);
	X509_free(x);
	assert_non_null(k);
	return k;
}

static int
setup(void **state)
{
	(void)state;
	v_sp = make_sp(1);
	v_nokey = make_sp(0);
	sp_pub = load_sp_pub();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fed_saml_free(v_sp);
	fed_saml_free(v_nokey);
	EVP_PKEY_free(sp_pub);
	return 0;
}

/* application/x-www-form-urlencoded value -> bytes (NUL-terminated). */
static char *
url_decode(const char *s, size_t n)
{
	char *out = core_xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    core_hexval((unsigned char)s[i + 1]) >= 0 &&
		    core_hexval((unsigned char)s[i + 2]) >= 0) {
			out[o++] = (char)(core_hexval((unsigned char)s[i + 1])
			    * 16 + core_hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (s[i] == '%') {
			fail_msg("bad percent escape in query");
		} else {
			out[o++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* The parts of a redirect URL, each value as sent (still escaped). */
struct redirect {
	char *base;		/* up to '?' */
	char *raw[4];		/* SAMLRequest, RelayState, SigAlg, Signature */
	int n_params;
};

static const char *const param_names[4] = {"SAMLRequest", "RelayState",
    "SigAlg", "Signature"};

static void
redirect_parse(const char *url, struct redirect *r)
{
	const char *q = strchr(url, '?'), *p;

	memset(r, 0, sizeof(*r));
	assert_non_null(q);
	r->base = core_xstrndup(url, (size_t)(q - url));
	for (p = q + 1; *p != '\0';) {
		const char *amp = strchr(p, '&'), *eq;
		size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		int k;

		eq = memchr(p, '=', len);
		assert_non_null(eq);
		for (k = 0; k < 4; k++)
			if (strlen(param_names[k]) == (size_t)(eq - p) &&
			    strncmp(p, param_names[k], (size_t)(eq - p)) == 0)
				break;
		if (k == 4)
			fail_msg("unexpected query parameter %.*s",
			    (int)(eq - p), p);
		if (r->raw[k] != NULL)
			fail_msg("duplicate query parameter %s",
			    param_names[k]);
		r->raw[k] = core_xstrndup(eq + 1, len - (size_t)(eq + 1 - p));
		r->n_params++;
		p += len + (amp != NULL ? 1 : 0);
	}
}

static void
redirect_free(struct redirect *r)
{
	free(r->base);
	for (int k = 0; k < 4; k++)
		free(r->raw[k]);
}

/*
 * SAML bindings §3.4.4.1: the signature covers
 * "SAMLRequest=v&RelayState=v&SigAlg=v" with the values exactly as they
 * appear in the URL (RelayState only if present).
 */
static char *
signed_octets(const struct redirect *r)
{
	if (r->raw[1] != NULL)
		return core_xasprintf("SAMLRequest=%s&RelayState=%s&SigAlg=%s",
		    r->raw[0], r->raw[1], r->raw[2]);
	return core_xasprintf("SAMLRequest=%s&SigAlg=%s", r->raw[0],
	    r->raw[2]);
}

static int
rsa_sha256_verify(const char *msg, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	assert_non_null(ctx);
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, sp_pub) == 1
	    && EVP_DigestVerify(ctx, sig, siglen, (const uint8_t *)msg,
	    strlen(msg)) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Check the query signature for real, and that a changed byte fails. */
static void
check_signature(const struct redirect *r)
{
	char *sigalg, *sig_b64, *msg;
	uint8_t *sig;
	size_t siglen;

	assert_non_null(r->raw[2]);
	assert_non_null(r->raw[3]);
	sigalg = url_decode(r->raw[2], strlen(r->raw[2]));
	assert_string_equal(sigalg, SIGALG);
	sig_b64 = url_decode(r->raw[3], strlen(r->raw[3]));
	sig = core_b64_decode(sig_b64, strlen(sig_b64), &siglen);
	assert_non_null(sig);
	assert_int_equal(siglen, 256);	/* RSA-2048 */
	msg = signed_octets(r);
	if (!rsa_sha256_verify(msg, sig, siglen))
		fail_msg("query signature does not verify with sp.crt");
	/* the verifier itself must be able to say no */
	msg[strlen("SAMLRequest=") + 3] ^= 1;
	assert_false(rsa_sha256_verify(msg, sig, siglen));
	free(msg);
	free(sig);
	free(sig_b64);
	free(sigalg);
}

/* SAMLRequest: urldecode -> base64 -> raw DEFLATE (bindings §3.4.4.1). */
static xmlDocPtr
request_doc(const struct redirect *r)
{
	char *b64 = url_decode(r->raw[0], strlen(r->raw[0]));
	size_t dlen;
	uint8_t *deflated = core_b64_decode(b64, strlen(b64), &dlen);
	uint8_t xml[65536];
	z_stream z;
	xmlDocPtr doc;

	assert_non_null(deflated);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, -MAX_WBITS), Z_OK);
	z.next_in = deflated;
	z.avail_in = (uInt)dlen;
	z.next_out = xml;
	z.avail_out = sizeof(xml);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	doc = xmlReadMemory((const char *)xml, (int)z.total_out, NULL, NULL,
	    XML_PARSE_NONET);
	inflateEnd(&z);
	free(deflated);
	free(b64);
	assert_non_null(doc);
	return doc;
}

static xmlNodePtr
child(xmlNodePtr n, const char *ns, const char *name)
{
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns != NULL &&
		    strcmp((const char *)c->ns->href, ns) == 0 &&
		    strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static void
assert_prop(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	if (want == NULL) {
		if (v != NULL)
			fail_msg("%s=\"%s\" present", name, (char *)v);
		return;
	}
	if (v == NULL)
		fail_msg("%s missing", name);
	if (strcmp((const char *)v, want) != 0)
		fail_msg("%s=\"%s\", want \"%s\"", name, (char *)v, want);
	xmlFree(v);
}

/* A boolean attribute that must be absent (default false) or false. */
static void
assert_false_prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	if (v != NULL && strcmp((const char *)v, "false") != 0 &&
	    strcmp((const char *)v, "0") != 0)
		fail_msg("%s=\"%s\"", name, (char *)v);
	xmlFree(v);
}

static void
check_request_xml(const struct redirect *r, const char *id, const char *dest)
{
	xmlDocPtr doc = request_doc(r);
	xmlNodePtr root = xmlDocGetRootElement(doc), n;
	xmlChar *txt;

	assert_non_null(root);
	assert_string_equal((const char *)root->name, "AuthnRequest");
	assert_string_equal((const char *)root->ns->href, NS_SAMLP);
	assert_prop(root, "ID", id);
	assert_prop(root, "Version", "2.0");
	assert_prop(root, "Destination", dest);
	assert_prop(root, "AssertionConsumerServiceURL", ACS);
	assert_prop(root, "ProtocolBinding", BIND_POST);
	assert_false_prop(root, "ForceAuthn");
	assert_false_prop(root, "IsPassive");
	n = child(root, NS_SAML, "Issuer");
	assert_non_null(n);
	txt = xmlNodeGetContent(n);
	assert_string_equal((const char *)txt, SP_ID);
	xmlFree(txt);
	n = child(root, NS_SAMLP, "NameIDPolicy");
	assert_non_null(n);
	assert_prop(n, "AllowCreate", "true");
	assert_prop(n, "Format", FMT_UNSPEC);
	/* HTTP-Redirect: the signature is in the query, never in the XML */
	assert_null(child(root, "http://www.w3.org/2000/09/xmldsig#",
	    "Signature"));
	xmlFreeDoc(doc);
}

/* ---- AuthnRequest ---------------------------------------------------- */

static void
test_idp_index(void **state)
{
	(void)state;
	assert_int_equal(fed_saml_idp_index(v_sp, "test-idp"), 0);
	assert_int_equal(fed_saml_idp_index(v_sp, "entra"), 1);
	assert_int_equal(fed_saml_idp_index(v_sp, "post-only"), 2);
	assert_int_equal(fed_saml_idp_index(v_sp, "Entra"), -1);
	assert_int_equal(fed_saml_idp_index(v_sp, "entr"), -1);
	assert_int_equal(fed_saml_idp_index(v_sp, ""), -1);
	assert_int_equal(fed_saml_idp_index(v_sp, NULL), -1);
}

static void
test_can_sso(void **state)
{
	(void)state;
	assert_int_equal(fed_saml_idp_can_sso(v_sp, 0), 1);
	assert_int_equal(fed_saml_idp_can_sso(v_sp, 1), 1);
	/* only an HTTP-POST SingleSignOnService: not for us */
	assert_int_equal(fed_saml_idp_can_sso(v_sp, 2), 0);
	assert_int_equal(fed_saml_idp_can_sso(v_sp, 3), 0);
	/* no SP key: nothing to sign with */
	assert_int_equal(fed_saml_idp_can_sso(v_nokey, 0), 0);
}

static void
test_authn_request(void **state)
{
	/* needs escaping: '/', '?', '&', '=', ' ', '+', '%' */
	const char *relay = "rs/Ab9?x=1&y=2 z+%w";
	struct core_err err = {0};
	struct redirect r;
	char *url = NULL, *id = NULL, *relay_got;

	(void)state;
	assert_int_equal(fed_saml_authn_request(v_sp, 0, relay, &url, &id,
	    &err), 0);
	assert_int_equal(err.code, CORE_OK);
	assert_non_null(url);
	assert_non_null(id);
	/* "_" + 40 hex digits: 160 random bits */
	assert_int_equal(strlen(id), 41);
	assert_int_equal(id[0], '_');
	assert_int_equal(strspn(id + 1, "0123456789abcdef"), 40);
	redirect_parse(url, &r);
	assert_string_equal(r.base, IDP_SSO);
	assert_int_equal(r.n_params, 4);
	assert_non_null(r.raw[1]);
	relay_got = url_decode(r.raw[1], strlen(r.raw[1]));
	assert_string_equal(relay_got, relay);
	free(relay_got);
	check_signature(&r);
	check_request_xml(&r, id, IDP_SSO);
	redirect_free(&r);
	free(url);
	free(id);
}

static void
test_authn_request_other_idp_no_relay(void **state)
{
	struct core_err err = {0};
	struct redirect r;
	char *url = NULL, *id = NULL;

	(void)state;
	assert_int_equal(fed_saml_authn_request(v_sp, 1, NULL, &url, &id,
	    &err), 0);
	redirect_parse(url, &r);
	assert_string_equal(r.base, ENTRA_SSO);
	assert_int_equal(r.n_params, 3);
	assert_null(r.raw[1]);
	check_signature(&r);
	check_request_xml(&r, id, ENTRA_SSO);
	redirect_free(&r);
	free(url);
	free(id);
}

static void
test_authn_request_fresh_ids(void **state)
{
	struct core_err err = {0};
	char *u1 = NULL, *u2 = NULL, *i1 = NULL, *i2 = NULL;

	(void)state;
	assert_int_equal(fed_saml_authn_request(v_sp, 0, "a", &u1, &i1,
	    &err), 0);
	assert_int_equal(fed_saml_authn_request(v_sp, 0, "a", &u2, &i2,
	    &err), 0);
	assert_string_not_equal(i1, i2);
	assert_string_not_equal(u1, u2);
	free(u1);
	free(u2);
	free(i1);
	free(i2);
}

static void
test_authn_request_refused(void **state)
{
	char relay[FED_SAML_MAX_RELAY_STATE + 2];
	char *url = (char *)"untouched", *id = (char *)"untouched";
	struct core_err err = {0};

	(void)state;
	/* IdP without an HTTP-Redirect SSO endpoint */
	assert_int_equal(fed_saml_authn_request(v_sp, 2, NULL, &url, &id,
	    &err), -1);
	assert_int_equal(err.code, CORE_ECONFIG);
	assert_non_null(strstr(err.msg, "post-only"));
	assert_non_null(strstr(err.msg, "SingleSignOnService"));
	/* no SP key */
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_saml_authn_request(v_nokey, 0, NULL, &url, &id,
	    &err), -1);
	assert_int_equal(err.code, CORE_ECONFIG);
	/* no such IdP */
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_saml_authn_request(v_sp, 9, NULL, &url, &id,
	    &err), -1);
	assert_int_not_equal(err.code, CORE_OK);
	/* RelayState: 80 bytes is the limit (bindings §3.4.3) */
	memset(relay, 'r', sizeof(relay) - 1);
	relay[sizeof(relay) - 1] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_saml_authn_request(v_sp, 0, relay, &url, &id,
	    &err), -1);
	assert_int_equal(err.code, CORE_EINTERNAL);
	/* out-params untouched on failure */
	assert_string_equal(url, "untouched");
	assert_string_equal(id, "untouched");
	relay[FED_SAML_MAX_RELAY_STATE] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_saml_authn_request(v_sp, 0, relay, &url, &id,
	    &err), 0);
	free(url);
	free(id);
}

/* The query is RSA-SHA256 whatever lasso's own signature method says
 * (its default is RSA-SHA1). */
static void
test_authn_request_ignores_lasso_sha1(void **state)
{
	LassoSignatureMethod saved = v_sp->server->signature_method;
	struct core_err err = {0};
	struct redirect r;
	char *url = NULL, *id = NULL;
	int rc;

	(void)state;
	v_sp->server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA1;
	rc = fed_saml_authn_request(v_sp, 0, "s", &url, &id, &err);
	v_sp->server->signature_method = saved;
	assert_int_equal(rc, 0);
	redirect_parse(url, &r);
	check_signature(&r);
	redirect_free(&r);
	free(url);
	free(id);
}

#define N_THREADS 4
#define N_PER_THREAD 10

static void *
authn_thread(void *arg)
{
	char **ids = arg;

	for (int k = 0; k < N_PER_THREAD; k++) {
		struct core_err err = {0};
		struct redirect r;
		char *url = NULL, *msg = NULL, *sig_b64, *relay;
		uint8_t *sig;
		size_t siglen;
		int ok;

		relay = core_xasprintf("t%p-%d", (void *)ids, k);
		if (fed_saml_authn_request(v_sp, 0, relay, &url, &ids[k],
		    &err) != 0) {
			free(relay);
			return (void *)1;
		}
		redirect_parse(url, &r);
		sig_b64 = url_decode(r.raw[3], strlen(r.raw[3]));
		sig = core_b64_decode(sig_b64, strlen(sig_b64), &siglen);
		msg = signed_octets(&r);
		ok = sig != NULL && rsa_sha256_verify(msg, sig, siglen);
		free(msg);
		free(sig);
		free(sig_b64);
		redirect_free(&r);
		free(url);
		free(relay);
		if (!ok)
			return (void *)1;
	}
	return NULL;
}

static void
test_authn_request_threads(void **state)
{
	pthread_t th[N_THREADS];
	char *ids[N_THREADS][N_PER_THREAD];

	(void)state;
	memset(ids, 0, sizeof(ids));
	for (int t = 0; t < N_THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, authn_thread,
		    ids[t]), 0);
	for (int t = 0; t < N_THREADS; t++) {
		void *rv;

		assert_int_equal(pthread_join(th[t], &rv), 0);
		assert_null(rv);
	}
	for (int a = 0; a < N_THREADS * N_PER_THREAD; a++)
		for (int b = a + 1; b < N_THREADS * N_PER_THREAD; b++)
			assert_string_not_equal(ids[a / N_PER_THREAD]
			    [a % N_PER_THREAD], ids[b / N_PER_THREAD]
			    [b % N_PER_THREAD]);
	for (int a = 0; a < N_THREADS * N_PER_THREAD; a++)
		free(ids[a / N_PER_THREAD][a % N_PER_THREAD]);
}

/* ---- JSON form -------------------------------------------------------- */

static void
assert_same_assertion(const struct fed_saml_assertion *a,
		      const struct fed_saml_assertion *b)
{
#define SAME_STR(f) do {						\
	if ((a->f == NULL) != (b->f == NULL))				\
		fail_msg(#f ": NULL on one side only");			\
	if (a->f != NULL)						\
		assert_string_equal(a->f, b->f);			\
} while (0)
	SAME_STR(idp_name);
	SAME_STR(issuer);
	SAME_STR(assertion_id);
	SAME_STR(name_id);
	SAME_STR(name_id_format);
	SAME_STR(recipient);
	SAME_STR(in_response_to);
#undef SAME_STR
	assert_true(a->not_on_or_after == b->not_on_or_after);
	assert_true(a->session_not_on_or_after == b->session_not_on_or_after);
	assert_int_equal(a->n_attrs, b->n_attrs);
	for (size_t i = 0; i < a->n_attrs; i++) {
		assert_string_equal(a->attrs[i].name, b->attrs[i].name);
		assert_int_equal(a->attrs[i].n_values, b->attrs[i].n_values);
		for (size_t j = 0; j < a->attrs[i].n_values; j++)
			assert_string_equal(a->attrs[i].values[j],
			    b->attrs[i].values[j]);
	}
}

static struct fed_saml_assertion *
round_trip(const struct fed_saml_assertion *a)
{
	struct core_err err = {0};
	char *json = fed_saml_assertion_to_json(a);
	struct fed_saml_assertion *b;

	assert_non_null(json);
	b = fed_saml_assertion_from_json(json, strlen(json), &err);
	if (b == NULL)
		fail_msg("from_json refused its own output: %s", err.msg);
	assert_int_equal(err.code, CORE_OK);
	assert_same_assertion(a, b);
	free(json);
	return b;
}

/* A real validated assertion (tests/data/saml/ok_in_response_to.xml). */
static void
test_json_round_trip_validated(void **state)
{
	const char *outstanding[] = {"_req1"};
	struct fed_saml_replay *r = fed_saml_replay_new();
	struct fed_saml_assertion *a = NULL, *b;
	struct core_err err = {0};
	char *path = data_path("ok_in_response_to.xml"), *xml, *b64;
	FILE *fp = fopen(path, "rb");
	long n;

	(void)state;
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	xml = core_xmalloc((size_t)n);
	assert_int_equal(fread(xml, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	b64 = core_b64_encode((const uint8_t *)xml, (size_t)n);
	if (fed_saml_validate(v_sp, r, b64, strlen(b64), NOW, SKEW,
	    outstanding, 1, &a, &err, NULL) != 0)
		fail_msg("fixture did not validate: %s", err.msg);
	assert_non_null(a->in_response_to);
	assert_true(a->session_not_on_or_after > 0);
	assert_true(a->n_attrs >= 4);
	b = round_trip(a);
	/* the copy answers the same lookups */
	assert_int_equal(fed_saml_attr(b, "groups")->n_values, 3);
	fed_saml_assertion_free(b);
	fed_saml_assertion_free(a);
	fed_saml_replay_free(r);
	free(b64);
	free(xml);
	free(path);
}

static void
test_json_round_trip_edges(void **state)
{
	char *v1[] = {(char *)"", (char *)"caf\xc3\xa9 \"q\" \\ </x> \n\t",
	    (char *)"\xe2\x9c\x93"};
	struct fed_saml_attr attrs[] = {
		{(char *)"multi", v1, 3},
		{(char *)"empty", NULL, 0},
		{(char *)"multi", v1, 1},	/* repeated names are kept */
	};
	struct fed_saml_assertion a = {
		.idp_name = (char *)"test-idp",
		.issuer = (char *)"https://idp.example.test/saml",
		.assertion_id = (char *)"_a1",
		.name_id = (char *)"alice",
		.name_id_format = NULL,
		.recipient = NULL,
		.not_on_or_after = INT64_MAX,
		.session_not_on_or_after = 0,
		.in_response_to = NULL,
		.attrs = attrs,
		.n_attrs = 3,
	};
	struct fed_saml_assertion *b;
	char *json;

	(void)state;
	b = round_trip(&a);
	fed_saml_assertion_free(b);
	/* no attributes at all */
	a.n_attrs = 0;
	a.attrs = NULL;
	a.in_response_to = (char *)"_req";
	b = round_trip(&a);
	fed_saml_assertion_free(b);
	/* what cannot be represented is refused, not mangled */
	a.name_id = NULL;
	assert_null(fed_saml_assertion_to_json(&a));
	a.name_id = (char *)"bad \xff utf-8";
	assert_null(fed_saml_assertion_to_json(&a));
	assert_null(fed_saml_assertion_to_json(NULL));
	a.name_id = (char *)"alice";
	json = fed_saml_assertion_to_json(&a);
	assert_non_null(json);
	/* compact: no whitespace between tokens */
	assert_null(strstr(json, "\": "));
	assert_null(strstr(json, ", "));
	free(json);
}

#define GOOD_ATTRS "[{\"name\":\"g\",\"values\":[\"a\",\"b\"]}]"
#define GOOD_HEAD "\"idp_name\":\"i\",\"issuer\":\"x\"," \
	"\"assertion_id\":\"_a\"," \
	"\"name_id\":\"n\",\"name_id_format\":null,\"recipient\":\"r\"," \
	"\"not_on_or_after\":100,\"session_not_on_or_after\":0"
#define GOOD_JSON "{" GOOD_HEAD ",\"in_response_to\":null,\"attrs\":" \
	GOOD_ATTRS "}"

static char *
json_with_attrs(size_t n_attrs, size_t n_values, size_t value_len)
{
	struct core_buf b;
	char *val = core_xmalloc(value_len + 1);

	memset(val, 'v', value_len);
	val[value_len] = '\0';
	core_buf_init(&b, 0);
	core_buf_puts(&b, "{" GOOD_HEAD ",\"in_response_to\":null,\"attrs\":[");
	for (size_t i = 0; i < n_attrs; i++) {
		core_buf_printf(&b, "%s{\"name\":\"a%zu\",\"values\":[",
		    i ? "," : "", i);
		for (size_t j = 0; j < n_values; j++)
			core_buf_printf(&b, "%s\"%s\"", j ? "," : "", val);
		core_buf_puts(&b, "]}");
	}
	core_buf_puts(&b, "]}");
	free(val);
	return core_buf_steal(&b);
}

static void
expect_refused(const char *name, const char *json, size_t len)
{
	struct core_err err = {0};
	struct fed_saml_assertion *a;

	a = fed_saml_assertion_from_json(json, len, &err);
	if (a != NULL) {
		fed_saml_assertion_free(a);
		fail_msg("%s: accepted", name);
	}
	if (err.code != CORE_EINTERNAL)
		fail_msg("%s: code %d", name, (int)err.code);
}

static void
test_json_malformed(void **state)
{
	static const struct {
		const char *name, *json;
	} cases[] = {
	    {"not json", "idp_name"},
	    {"top-level array", "[" GOOD_JSON "]"},
	    {"trailing garbage", GOOD_JSON "x"},
	    {"two documents", GOOD_JSON GOOD_JSON},
	    {"duplicate key", "{" GOOD_HEAD ",\"issuer\":\"y\","
		"\"in_response_to\":null,\"attrs\":[]}"},
	    {"missing key", "{" GOOD_HEAD ",\"attrs\":[]}"},
	    {"unknown key instead", "{" GOOD_HEAD ",\"in_response_tx\":null,"
		"\"attrs\":[]}"},
	    {"extra key", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[],\"admin\":true}"},
	    {"null required", "{\"idp_name\":null,\"issuer\":\"x\","
		"\"assertion_id\":\"_a\",\"name_id\":\"n\",\"name_id_format\":"
		"null,\"recipient\":\"r\",\"not_on_or_after\":1,"
		"\"session_not_on_or_after\":0,\"in_response_to\":null,"
		"\"attrs\":[]}"},
	    {"number as string", "{\"idp_name\":1,\"issuer\":\"x\","
		"\"assertion_id\":\"_a\",\"name_id\":\"n\",\"name_id_format\":"
		"null,\"recipient\":\"r\",\"not_on_or_after\":1,"
		"\"session_not_on_or_after\":0,\"in_response_to\":null,"
		"\"attrs\":[]}"},
	    {"time as string", "{\"idp_name\":\"i\",\"issuer\":\"x\","
		"\"assertion_id\":\"_a\",\"name_id\":\"n\",\"name_id_format\":"
		"null,\"recipient\":\"r\",\"not_on_or_after\":\"1\","
		"\"session_not_on_or_after\":0,\"in_response_to\":null,"
		"\"attrs\":[]}"},
	    {"time as real", "{\"idp_name\":\"i\",\"issuer\":\"x\","
		"\"assertion_id\":\"_a\",\"name_id\":\"n\",\"name_id_format\":"
		"null,\"recipient\":\"r\",\"not_on_or_after\":1.5,"
		"\"session_not_on_or_after\":0,\"in_response_to\":null,"
		"\"attrs\":[]}"},
	    {"negative time", "{\"idp_name\":\"i\",\"issuer\":\"x\","
		"\"assertion_id\":\"_a\",\"name_id\":\"n\",\"name_id_format\":"
		"null,\"recipient\":\"r\",\"not_on_or_after\":1,"
		"\"session_not_on_or_after\":-1,\"in_response_to\":null,"
		"\"attrs\":[]}"},
	    {"time overflow", "{\"idp_name\":\"i\",\"issuer\":\"x\","
		"\"assertion_id\":\"_a\",\"name_id\":\"n\",\"name_id_format\":"
		"null,\"recipient\":\"r\",\"not_on_or_after\":"
		"99999999999999999999,\"session_not_on_or_after\":0,"
		"\"in_response_to\":null,\"attrs\":[]}"},
	    {"NUL in string", "{\"idp_name\":\"i\\u0000x\",\"issuer\":\"x\","
		"\"assertion_id\":\"_a\",\"name_id\":\"n\",\"name_id_format\":"
		"null,\"recipient\":\"r\",\"not_on_or_after\":1,"
		"\"session_not_on_or_after\":0,\"in_response_to\":null,"
		"\"attrs\":[]}"},
	    {"attrs object", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":{}}"},
	    {"attrs null", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":null}"},
	    {"attr not object", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[\"g\"]}"},
	    {"attr extra key", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[{\"name\":\"g\",\"values\":[],\"x\":1}]}"},
	    {"attr no values", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[{\"name\":\"g\",\"value\":[]}]}"},
	    {"attr null name", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[{\"name\":null,\"values\":[]}]}"},
	    {"value not string", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[{\"name\":\"g\",\"values\":[\"a\",2]}]}"},
	    {"value null", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[{\"name\":\"g\",\"values\":[\"a\",null]}]}"},
	    {"second attr bad", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[{\"name\":\"g\",\"values\":[\"a\"]},{\"name\":\"h\","
		"\"values\":[\"b\",{}]}]}"},
	    {"truncated", "{" GOOD_HEAD ",\"in_response_to\":null,"
		"\"attrs\":[{\"name\":\"g\",\"values\":[\"a\""},
	};
	struct fed_saml_assertion *ok;
	struct core_err err = {0};
	char *big;

	(void)state;
	/* the baseline the cases deviate from is accepted */
	ok = fed_saml_assertion_from_json(GOOD_JSON, strlen(GOOD_JSON), &err);
	assert_non_null(ok);
	assert_string_equal(ok->attrs[0].values[1], "b");
	assert_true(ok->not_on_or_after == 100);
	assert_null(ok->name_id_format);
	fed_saml_assertion_free(ok);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(cases[i].name, cases[i].json,
		    strlen(cases[i].json));
	expect_refused("NULL", NULL, 0);
	expect_refused("empty", "", 0);
	/* len is honoured: a prefix of a good document is not one */
	expect_refused("short len", GOOD_JSON, strlen(GOOD_JSON) - 1);

	/* bounds: at the limit accepted, one past refused */
	big = json_with_attrs(FED_SAML_MAX_ATTRS, 1, 1);
	ok = fed_saml_assertion_from_json(big, strlen(big), &err);
	assert_non_null(ok);
	assert_int_equal(ok->n_attrs, FED_SAML_MAX_ATTRS);
	fed_saml_assertion_free(ok);
	free(big);
	big = json_with_attrs(FED_SAML_MAX_ATTRS + 1, 1, 1);
	expect_refused("too many attrs", big, strlen(big));
	free(big);
	big = json_with_attrs(1, FED_SAML_MAX_VALUES, 1);
	ok = fed_saml_assertion_from_json(big, strlen(big), &err);
	assert_non_null(ok);
	fed_saml_assertion_free(ok);
	free(big);
	big = json_with_attrs(2, FED_SAML_MAX_VALUES + 1, 1);
	expect_refused("too many values", big, strlen(big));
	free(big);
	big = json_with_attrs(1, 1, 64 * 1024);
	ok = fed_saml_assertion_from_json(big, strlen(big), &err);
	assert_non_null(ok);
	fed_saml_assertion_free(ok);
	free(big);
	big = json_with_attrs(1, 2, 64 * 1024 + 1);
	expect_refused("string too long", big, strlen(big));
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idp_index),
		cmocka_unit_test(test_can_sso),
		cmocka_unit_test(test_authn_request),
		cmocka_unit_test(test_authn_request_other_idp_no_relay),
		cmocka_unit_test(test_authn_request_fresh_ids),
		cmocka_unit_test(test_authn_request_refused),
		cmocka_unit_test(test_authn_request_ignores_lasso_sha1),
		cmocka_unit_test(test_authn_request_threads),
		cmocka_unit_test(test_json_round_trip_validated),
		cmocka_unit_test(test_json_round_trip_edges),
		cmocka_unit_test(test_json_malformed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
