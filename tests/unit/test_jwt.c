/* tests/unit/test_jwt.c - OIDC ID token verification, JWKS parse and cache
 *
 * Keys are generated here with OpenSSL and tokens are signed here, so no
 * fixture can drift from the code. JWKS fetching runs against a tiny HTTP
 * server on 127.0.0.1:0 in a thread of this process.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/mem.h"
#include "federation/oidc_int.h"

#define NOW 1700000000LL
#define SKEW 60
#define ISS "https://idp.example"

static EVP_PKEY *k_rsa1, *k_rsa2, *k_small, *k_ec1, *k_attacker;
static char *jwks_main;		/* rsa1, ec1, small */
static char jwks_path[64];
static struct fed_oidc_set *tset;

/* ---- key and token helpers ---------------------------------------- */

static char *
b64u(const void *p, size_t n)
{
	return core_b64url_encode(p, n);
}

static char *
bn_b64u(EVP_PKEY *k, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = pad > 0 ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
	BN_free(bn);
	assert_true(n > 0);
	return b64u(buf, (size_t)n);
}

/* The public JWK of k as JSON text members (no braces). */
static char *
jwk_members(EVP_PKEY *k, const char *kid)
{
	char *a, *b, *s;

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
		a = bn_b64u(k, OSSL_PKEY_PARAM_RSA_N, 0);
		b = bn_b64u(k, OSSL_PKEY_PARAM_RSA_E, 0);
		s = core_xasprintf("\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\","
				   "\"e\":\"%s\"", kid, a, b);
	} else {
		a = bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = bn_b64u(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		s = core_xasprintf("\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":"
				   "\"%s\",\"x\":\"%s\",\"y\":\"%s\"", kid, a, b);
	}
	free(a);
	free(b);
	return s;
}

static char *
jwk(EVP_PKEY *k, const char *kid, const char *extra)
{
	char *m = jwk_members(k, kid), *s;

	s = core_xasprintf("{%s%s%s}", m, extra != NULL ? "," : "",
			   extra != NULL ? extra : "");
	free(m);
	return s;
}

static const EVP_MD *
md_for(const char *alg)
{
	if (strstr(alg, "384") != NULL)
		return EVP_sha384();
	if (strstr(alg, "512") != NULL)
		return EVP_sha512();
	return EVP_sha256();
}

/* Raw signature bytes over input; ES algs return JWS r||s. */
static uint8_t *
sign_bytes(const char *alg, EVP_PKEY *k, const char *in, size_t *len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *sig;
	size_t n = 0;

	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md_for(alg), NULL, k),
			 1);
	if (alg[0] == 'P') {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
	}
	assert_int_equal(EVP_DigestSign(ctx, NULL, &n, (const uint8_t *)in,
					strlen(in)), 1);
	sig = core_xmalloc(n);
	assert_int_equal(EVP_DigestSign(ctx, sig, &n, (const uint8_t *)in,
					strlen(in)), 1);
	EVP_MD_CTX_free(ctx);
	if (alg[0] == 'E') {
		const uint8_t *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		uint8_t *raw = core_xmalloc(64);

		assert_non_null(es);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
		ECDSA_SIG_free(es);
		free(sig);
		sig = raw;
		n = 64;
	}
	*len = n;
	return sig;
}

/* header.payload with the given raw signature. */
static char *
assemble(const char *hdr, const char *payload, const uint8_t *sig,
	 size_t siglen)
{
	char *h = b64u(hdr, strlen(hdr)), *p = b64u(payload, strlen(payload));
	char *s = b64u(sig, siglen), *t;

	t = core_xasprintf("%s.%s.%s", h, p, s);
	free(h);
	free(p);
	free(s);
	return t;
}

static char *
signing_input(const char *hdr, const char *payload)
{
	char *h = b64u(hdr, strlen(hdr)), *p = b64u(payload, strlen(payload));
	char *t = core_xasprintf("%s.%s", h, p);

	free(h);
	free(p);
	return t;
}

/* Sign with k; alg "HS256" uses the JWKS text as the HMAC secret. */
static char *
mk_token(const char *hdr, const char *payload, const char *alg, EVP_PKEY *k)
{
	char *in = signing_input(hdr, payload), *t;
	uint8_t *sig, mac[64];
	unsigned int maclen = 0;
	size_t n;

	if (strcmp(alg, "HS256") == 0) {
		HMAC(EVP_sha256(), jwks_main, (int)strlen(jwks_main),
		     (const uint8_t *)in, strlen(in), mac, &maclen);
		t = assemble(hdr, payload, mac, maclen);
	} else if (strcmp(alg, "none") == 0) {
		t = core_xasprintf("%s.", in);
	} else {
		sig = sign_bytes(alg, k, in, &n);
		t = assemble(hdr, payload, sig, n);
		free(sig);
	}
	free(in);
	return t;
}

static char **
strv(size_t n, ...)
{
	char **v = core_xcalloc(n + 1, sizeof(*v));
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		v[i] = core_xstrdup(va_arg(ap, const char *));
	va_end(ap);
	return v;
}

static void
write_file(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(s, fp);
	fclose(fp);
}

/* ---- fixtures ------------------------------------------------------- */

static void
mk_cfg(struct fed_oidc_config *c, const char *name, const char *preset,
       const char *issuer, const char *aud)
{
	struct core_err err = {0};

	memset(c, 0, sizeof(*c));
	c->name = core_xstrdup(name);
	c->preset = preset != NULL ? core_xstrdup(preset) : NULL;
	c->issuer = issuer != NULL ? core_xstrdup(issuer) : NULL;
	c->audiences = strv(2, aud, "app2");
	c->n_audiences = 2;
	c->jwks_file = core_xstrdup(jwks_path);
	if (fed_oidc_apply_preset(c, &err) != 0)
		fail_msg("preset %s: %s", name, err.msg);
}

static int
setup(void **state)
{
	struct fed_oidc_config cfgs[5];
	struct core_err err = {0};
	char *a, *b, *c;
	int fd;

	(void)state;
	k_rsa1 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_attacker = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	k_ec1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k_rsa1);
	assert_non_null(k_small);
	assert_non_null(k_ec1);
	a = jwk(k_rsa1, "rsa1", "\"use\":\"sig\"");
	b = jwk(k_ec1, "ec1", NULL);
	c = jwk(k_small, "small", NULL);
	jwks_main = core_xasprintf("{\"keys\":[%s,%s,%s]}", a, b, c);
	free(a);
	free(b);
	free(c);
	strcpy(jwks_path, "/tmp/test_jwt_jwksXXXXXX");
	fd = mkstemp(jwks_path);
	assert_true(fd >= 0);
	close(fd);
	write_file(jwks_path, jwks_main);

	mk_cfg(&cfgs[0], "idp", NULL, ISS, "app1");
	mk_cfg(&cfgs[1], "google", "google", NULL, "goog-client");
	mk_cfg(&cfgs[2], "esonly", NULL, "https://es.example", "app1");
	for (size_t i = 0; i < cfgs[2].n_algorithms; i++)
		free(cfgs[2].algorithms[i]);
	free(cfgs[2].algorithms);
	cfgs[2].algorithms = strv(1, "ES256");
	cfgs[2].n_algorithms = 1;
	mk_cfg(&cfgs[3], "cogid", "cognito-identity", NULL, "us-east-1:pool");
	mk_cfg(&cfgs[4], "pool", "cognito-user-pool",
	       "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
	       "client1");
	tset = fed_oidc_set_new(cfgs, 5);
	assert_null(cfgs[0].issuer); /* ownership moved */
	if (fed_oidc_set_prefetch(tset, &err) != 0)
		fail_msg("prefetch: %s", err.msg);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fed_oidc_set_free(tset);
	EVP_PKEY_free(k_rsa1);
	EVP_PKEY_free(k_rsa2);
	EVP_PKEY_free(k_attacker);
	EVP_PKEY_free(k_small);
	EVP_PKEY_free(k_ec1);
	free(jwks_main);
	unlink(jwks_path);
	return 0;
}

/* ---- table of token rules ------------------------------------------ */

#define P_OK "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":\"user1\"," \
	"\"exp\":1700003600,\"iat\":1699999990}"
#define H_RS "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"typ\":\"JWT\"}"

struct tcase {
	const char *name;
	const char *hdr;
	const char *payload;
	const char *alg;	/* signing alg */
	EVP_PKEY **key;
	int64_t now;
	enum core_code want;
	const char *reason;
};

static const struct tcase cases[] = {
	{"RS256 valid", H_RS, P_OK, "RS256", &k_rsa1, NOW, CORE_OK, NULL},
	{"RS384 valid", "{\"alg\":\"RS384\",\"kid\":\"rsa1\"}", P_OK, "RS384",
	 &k_rsa1, NOW, CORE_OK, NULL},
	{"RS512 valid", "{\"alg\":\"RS512\",\"kid\":\"rsa1\"}", P_OK, "RS512",
	 &k_rsa1, NOW, CORE_OK, NULL},
	{"PS256 valid", "{\"alg\":\"PS256\",\"kid\":\"rsa1\"}", P_OK, "PS256",
	 &k_rsa1, NOW, CORE_OK, NULL},
	{"ES256 valid", "{\"alg\":\"ES256\",\"kid\":\"ec1\"}", P_OK, "ES256",
	 &k_ec1, NOW, CORE_OK, NULL},
	{"no kid, one fitting EC key", "{\"alg\":\"ES256\"}", P_OK, "ES256",
	 &k_ec1, NOW, CORE_OK, NULL},
	{"PS384 not in default list", "{\"alg\":\"PS384\",\"kid\":\"rsa1\"}",
	 P_OK, "PS384", &k_rsa1, NOW, CORE_EINVALID_TOKEN, "alg_not_allowed"},
	{"alg none", "{\"alg\":\"none\"}", P_OK, "none", NULL, NOW,
	 CORE_EINVALID_TOKEN, "alg_not_allowed"},
	{"alg missing", "{\"kid\":\"rsa1\"}", P_OK, "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "alg_not_allowed"},
	{"HS256 with public key as secret", "{\"alg\":\"HS256\",\"kid\":"
	 "\"rsa1\"}", P_OK, "HS256", NULL, NOW, CORE_EINVALID_TOKEN,
	 "alg_not_allowed"},
	{"RS256 not on provider list", H_RS, "{\"iss\":\"https://es.example\","
	 "\"aud\":\"app1\",\"sub\":\"u\",\"exp\":1700003600}", "RS256",
	 &k_rsa1, NOW, CORE_EINVALID_TOKEN, "alg_not_allowed"},
	{"ES256 on ES-only provider", "{\"alg\":\"ES256\",\"kid\":\"ec1\"}",
	 "{\"iss\":\"https://es.example\",\"aud\":\"app1\",\"sub\":\"u\","
	 "\"exp\":1700003600}", "ES256", &k_ec1, NOW, CORE_OK, NULL},
	{"RS256 with EC kid", "{\"alg\":\"RS256\",\"kid\":\"ec1\"}", P_OK,
	 "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN, "alg_not_allowed"},
	{"signed by another key", H_RS, P_OK, "RS256", &k_attacker, NOW,
	 CORE_EINVALID_TOKEN, "signature_invalid"},
	{"PS256 signature as RS256", H_RS, P_OK, "PS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "signature_invalid"},
	{"unknown kid", "{\"alg\":\"RS256\",\"kid\":\"nope\"}", P_OK, "RS256",
	 &k_rsa1, NOW, CORE_EINVALID_TOKEN, "kid_unknown"},
	{"RSA-1024 key ignored", "{\"alg\":\"RS256\",\"kid\":\"small\"}", P_OK,
	 "RS256", &k_small, NOW, CORE_EINVALID_TOKEN, "kid_unknown"},
	{"embedded jwk/jku/x5u not used",
	 "{\"alg\":\"RS256\",\"kid\":\"evil\",\"jku\":\"http://127.0.0.1:1/k\","
	 "\"x5u\":\"http://127.0.0.1:1/x\",\"jwk\":{\"kty\":\"RSA\"}}", P_OK,
	 "RS256", &k_attacker, NOW, CORE_EINVALID_TOKEN, "kid_unknown"},
	{"jku/x5u ignored on a good token",
	 "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"jku\":\"http://127.0.0.1:1/\","
	 "\"x5u\":\"http://127.0.0.1:1/\"}", P_OK, "RS256", &k_rsa1, NOW,
	 CORE_OK, NULL},
	{"crit", "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"crit\":[\"exp\"],"
	 "\"exp\":1}", P_OK, "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN,
	 "crit_unsupported"},
	{"crit empty", "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"crit\":[]}",
	 P_OK, "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN, "crit_unsupported"},
	{"duplicate header member", "{\"alg\":\"RS256\",\"alg\":\"RS256\","
	 "\"kid\":\"rsa1\"}", P_OK, "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN,
	 "duplicate_member"},
	{"duplicate payload member", H_RS, "{\"iss\":\"" ISS "\",\"aud\":"
	 "\"app1\",\"sub\":\"u\",\"sub\":\"admin\",\"exp\":1700003600}",
	 "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN, "duplicate_member"},
	{"kid not a string", "{\"alg\":\"RS256\",\"kid\":1}", P_OK, "RS256",
	 &k_rsa1, NOW, CORE_EINVALID_TOKEN, "malformed"},
	{"payload not an object", H_RS, "[1]", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "malformed"},
	{"missing exp", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":"
	 "\"u\"}", "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN, "exp_missing"},
	{"exp string", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":"
	 "\"u\",\"exp\":\"1700003600\"}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "malformed"},
	{"exp real", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":"
	 "\"u\",\"exp\":1700003600.5}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "malformed"},
	{"expired beyond skew", H_RS, P_OK, "RS256", &k_rsa1,
	 1700003600 + SKEW + 1, CORE_EEXPIRED_TOKEN, "expired"},
	{"expired within skew (boundary)", H_RS, P_OK, "RS256", &k_rsa1,
	 1700003600 + SKEW, CORE_OK, NULL},
	{"nbf beyond skew", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\","
	 "\"sub\":\"u\",\"exp\":1700003600,\"nbf\":1700000061}", "RS256",
	 &k_rsa1, NOW, CORE_EINVALID_TOKEN, "not_yet_valid"},
	{"nbf within skew (boundary)", H_RS, "{\"iss\":\"" ISS "\",\"aud\":"
	 "\"app1\",\"sub\":\"u\",\"exp\":1700003600,\"nbf\":1700000060}",
	 "RS256", &k_rsa1, NOW, CORE_OK, NULL},
	{"nbf string", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":"
	 "\"u\",\"exp\":1700003600,\"nbf\":\"x\"}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "malformed"},
	{"iat beyond skew", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\","
	 "\"sub\":\"u\",\"exp\":1700003600,\"iat\":1700000061}", "RS256",
	 &k_rsa1, NOW, CORE_EINVALID_TOKEN, "iat_future"},
	{"iat within skew", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\","
	 "\"sub\":\"u\",\"exp\":1700003600,\"iat\":1700000060}", "RS256",
	 &k_rsa1, NOW, CORE_OK, NULL},
	{"wrong iss", H_RS, "{\"iss\":\"https://evil.example\",\"aud\":\"app1\","
	 "\"sub\":\"u\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "issuer_unknown"},
	{"iss with trailing slash", H_RS, "{\"iss\":\"" ISS "/\",\"aud\":"
	 "\"app1\",\"sub\":\"u\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "issuer_unknown"},
	{"missing iss", H_RS, "{\"aud\":\"app1\",\"sub\":\"u\",\"exp\":"
	 "1700003600}", "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN,
	 "issuer_unknown"},
	{"google https iss", H_RS, "{\"iss\":\"https://accounts.google.com\","
	 "\"aud\":\"goog-client\",\"sub\":\"g1\",\"exp\":1700003600}", "RS256",
	 &k_rsa1, NOW, CORE_OK, NULL},
	{"google bare iss alias", H_RS, "{\"iss\":\"accounts.google.com\","
	 "\"aud\":\"goog-client\",\"sub\":\"g1\",\"exp\":1700003600}", "RS256",
	 &k_rsa1, NOW, CORE_OK, NULL},
	{"google rejects ES256 (preset list)", "{\"alg\":\"ES256\",\"kid\":"
	 "\"ec1\"}", "{\"iss\":\"accounts.google.com\",\"aud\":\"goog-client\","
	 "\"sub\":\"g1\",\"exp\":1700003600}", "ES256", &k_ec1, NOW,
	 CORE_EINVALID_TOKEN, "alg_not_allowed"},
	{"aud array with ours", H_RS, "{\"iss\":\"" ISS "\",\"aud\":[\"x\","
	 "\"app2\"],\"sub\":\"u\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW,
	 CORE_OK, NULL},
	{"aud array without ours", H_RS, "{\"iss\":\"" ISS "\",\"aud\":[\"x\","
	 "\"y\"],\"sub\":\"u\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "audience_mismatch"},
	{"aud wrong string", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"other\","
	 "\"sub\":\"u\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "audience_mismatch"},
	{"aud missing", H_RS, "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"exp\":"
	 "1700003600}", "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN,
	 "audience_mismatch"},
	{"azp ours", H_RS, "{\"iss\":\"" ISS "\",\"aud\":[\"app1\",\"x\"],"
	 "\"azp\":\"app2\",\"sub\":\"u\",\"exp\":1700003600}", "RS256",
	 &k_rsa1, NOW, CORE_OK, NULL},
	{"azp not ours", H_RS, "{\"iss\":\"" ISS "\",\"aud\":[\"app1\",\"x\"],"
	 "\"azp\":\"x\",\"sub\":\"u\",\"exp\":1700003600}", "RS256", &k_rsa1,
	 NOW, CORE_EINVALID_TOKEN, "azp_mismatch"},
	{"sub with control char", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\","
	 "\"sub\":\"a\\u0001b\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "sub_invalid"},
	{"sub with DEL", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":"
	 "\"a\\u007fb\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "sub_invalid"},
	{"sub with NUL", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":"
	 "\"a\\u0000b\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "malformed"},
	{"sub empty", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":"
	 "\"\",\"exp\":1700003600}", "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN,
	 "sub_invalid"},
	{"sub missing", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"exp\":"
	 "1700003600}", "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN,
	 "sub_invalid"},
	{"sub number", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":5,"
	 "\"exp\":1700003600}", "RS256", &k_rsa1, NOW, CORE_EINVALID_TOKEN,
	 "sub_invalid"},
	{"multi-valued tag", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\","
	 "\"sub\":\"u\",\"exp\":1700003600,\"https://aws.amazon.com/tags\":"
	 "{\"principal_tags\":{\"K\":[\"a\",\"b\"]}}}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "tags_invalid"},
	{"transitive key without tag", H_RS, "{\"iss\":\"" ISS "\",\"aud\":"
	 "\"app1\",\"sub\":\"u\",\"exp\":1700003600,"
	 "\"https://aws.amazon.com/tags\":{\"principal_tags\":{\"K\":[\"a\"]},"
	 "\"transitive_tag_keys\":[\"Z\"]}}", "RS256", &k_rsa1, NOW,
	 CORE_EINVALID_TOKEN, "tags_invalid"},
	{"bad source identity", H_RS, "{\"iss\":\"" ISS "\",\"aud\":\"app1\","
	 "\"sub\":\"u\",\"exp\":1700003600,"
	 "\"https://aws.amazon.com/source_identity\":\"a b\"}", "RS256",
	 &k_rsa1, NOW, CORE_EINVALID_TOKEN, "source_identity_invalid"},
	{"cognito pool token_use id", H_RS, "{\"iss\":\"https://cognito-idp."
	 "us-east-1.amazonaws.com/us-east-1_abc\",\"aud\":\"client1\",\"sub\":"
	 "\"u\",\"exp\":1700003600,\"token_use\":\"id\"}", "RS256", &k_rsa1,
	 NOW, CORE_OK, NULL},
	{"cognito pool access token", H_RS, "{\"iss\":\"https://cognito-idp."
	 "us-east-1.amazonaws.com/us-east-1_abc\",\"aud\":\"client1\",\"sub\":"
	 "\"u\",\"exp\":1700003600,\"token_use\":\"access\"}", "RS256",
	 &k_rsa1, NOW, CORE_EINVALID_TOKEN, "token_use"},
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct core_err err = {0};
		struct fed_identity *id = NULL;
		char *tok = mk_token(c->hdr, c->payload, c->alg,
				     c->key != NULL ? *c->key : NULL);
		int rc;

		rc = fed_oidc_verify(tset, tok, strlen(tok), c->now, SKEW, &id,
				     &err);
		if (c->want == CORE_OK && rc != 0)
			fail_msg("%s: rejected: %s (%s)", c->name, err.msg,
				 err.reason);
		if (c->want != CORE_OK && (rc != -1 || err.code != c->want ||
		    err.reason == NULL || strcmp(err.reason, c->reason) != 0))
			fail_msg("%s: rc %d code %s reason %s, want %s %s",
				 c->name, rc, core_code_sts(err.code),
				 err.reason != NULL ? err.reason : "-",
				 core_code_sts(c->want), c->reason);
		if (rc == -1 && strstr(err.msg, tok) != NULL)
			fail_msg("%s: message echoes the token", c->name);
		if (rc == 0 && (id == NULL || id->subject == NULL))
			fail_msg("%s: no identity", c->name);
		fed_identity_free(id);
		free(tok);
	}
}

/* ---- structural token defects --------------------------------------- */

static void
expect_invalid(const char *tok, size_t len, const char *reason)
{
	struct core_err err = {0};
	struct fed_identity *id = NULL;

	assert_int_equal(fed_oidc_verify(tset, tok, len, NOW, SKEW, &id, &err),
			 -1);
	assert_null(id);
	assert_int_equal(err.code, CORE_EINVALID_TOKEN);
	assert_non_null(err.reason);
	if (strcmp(err.reason, reason) != 0)
		fail_msg("reason %s, want %s (%s)", err.reason, reason,
			 err.msg);
}

static void
test_tampered_payload(void **state)
{
	char *tok = mk_token(H_RS, P_OK, "RS256", k_rsa1);
	static const char evil[] = "{\"iss\":\"" ISS "\",\"aud\":\"app1\","
	    "\"sub\":\"admin\",\"exp\":1700003600}";
	char *other = b64u(evil, strlen(evil));
	char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
	char *t2 = core_xasprintf("%.*s.%s%s", (int)(d1 - tok), tok, other, d2);

	(void)state;
	expect_invalid(t2, strlen(t2), "signature_invalid");
	/* change one signature symbol to another valid base64url symbol (a
	 * plain bit flip can leave the alphabet: then it is "malformed") */
	tok[strlen(tok) - 3] = tok[strlen(tok) - 3] == 'A' ? 'B' : 'A';
	expect_invalid(tok, strlen(tok), "signature_invalid");
	free(t2);
	free(other);
	free(tok);
}

static void
test_structure(void **state)
{
	char *tok = mk_token(H_RS, P_OK, "RS256", k_rsa1);
	char *big = core_xmalloc(FED_JWT_MAX_LEN + 2), *s;
	struct core_err err = {0};
	struct fed_identity *id = NULL;

	(void)state;
	expect_invalid("a.b.c.d.e", 9, "malformed");	/* JWE */
	expect_invalid("a.b", 3, "malformed");
	expect_invalid("", 0, "malformed");
	expect_invalid("....", 4, "malformed");
	/* base64 padding and standard alphabet are refused */
	s = core_xasprintf("%s=", tok);
	expect_invalid(s, strlen(s), "malformed");
	free(s);
	memset(big, 'A', FED_JWT_MAX_LEN + 1);
	big[10] = '.';
	big[20] = '.';
	big[FED_JWT_MAX_LEN + 1] = '\0';
	expect_invalid(big, FED_JWT_MAX_LEN + 1, "malformed");
	/* one trailing newline (botocore reads the token file) is fine */
	s = core_xasprintf("%s\n", tok);
	assert_int_equal(fed_oidc_verify(tset, s, strlen(s), NOW, SKEW, &id,
					 &err), 0);
	fed_identity_free(id);
	free(s);
	s = core_xasprintf("%s\n\n", tok);
	expect_invalid(s, strlen(s), "malformed");
	free(s);
	/* JWE-shaped header with 5 parts */
	s = core_xasprintf("%s.x.y", tok);
	expect_invalid(s, strlen(s), "malformed");
	free(s);
	free(big);
	free(tok);
}

/* ES256 r||s edge cases: r = 0, s >= n, DER instead of raw. */
static void
test_es256_sig_forms(void **state)
{
	static const uint8_t n256[32] = {
	    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
	    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
	    0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};
	const char *hdr = "{\"alg\":\"ES256\",\"kid\":\"ec1\"}";
	char *in = signing_input(hdr, P_OK), *t;
	uint8_t *raw, bad[64], *der = NULL;
	size_t n;
	ECDSA_SIG *es = ECDSA_SIG_new();
	int dl;

	(void)state;
	raw = sign_bytes("ES256", k_ec1, in, &n);
	assert_int_equal(n, 64);
	memcpy(bad, raw, 64);
	memset(bad, 0, 32); /* r = 0 */
	t = assemble(hdr, P_OK, bad, 64);
	expect_invalid(t, strlen(t), "signature_invalid");
	free(t);
	memcpy(bad, raw, 64);
	memcpy(bad + 32, n256, 32); /* s = n */
	t = assemble(hdr, P_OK, bad, 64);
	expect_invalid(t, strlen(t), "signature_invalid");
	free(t);
	/* s + n would verify as s mod n in a lax verifier */
	memcpy(bad, raw, 64);
	memset(bad + 32, 0xff, 32);
	t = assemble(hdr, P_OK, bad, 64);
	expect_invalid(t, strlen(t), "signature_invalid");
	free(t);
	ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL),
		       BN_bin2bn(raw + 32, 32, NULL));
	dl = i2d_ECDSA_SIG(es, &der);
	assert_true(dl > 0);
	t = assemble(hdr, P_OK, der, (size_t)dl);
	expect_invalid(t, strlen(t), "signature_invalid");
	free(t);
	t = assemble(hdr, P_OK, raw, 63); /* short */
	expect_invalid(t, strlen(t), "signature_invalid");
	free(t);
	t = assemble(hdr, P_OK, raw, 64); /* and the real one still works */
	{
		struct core_err err = {0};
		struct fed_identity *id = NULL;

		assert_int_equal(fed_oidc_verify(tset, t, strlen(t), NOW, SKEW,
						 &id, &err), 0);
		fed_identity_free(id);
	}
	free(t);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	free(raw);
	free(in);
}

static void
test_expired_message(void **state)
{
	char *tok = mk_token(H_RS, P_OK, "RS256", k_rsa1);
	struct core_err err = {0};
	struct fed_identity *id = NULL;

	(void)state;
	assert_int_equal(fed_oidc_verify(tset, tok, strlen(tok), 1700010000,
					 SKEW, &id, &err), -1);
	assert_int_equal(err.code, CORE_EEXPIRED_TOKEN);
	assert_string_equal(err.msg, "Token expired: current date/time "
			    "1700010000 must be before the expiration "
			    "date/time 1700003600");
	assert_string_equal(core_code_sts(err.code), "ExpiredTokenException");
	/* skew 0: one second late is expired */
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_oidc_verify(tset, tok, strlen(tok), 1700003601, 0,
					 &id, &err), -1);
	assert_int_equal(err.code, CORE_EEXPIRED_TOKEN);
	free(tok);
}

/* ---- identity and condition keys ------------------------------------- */

static const struct fed_claim_kv *
find_kv(const struct fed_identity *id, const char *key)
{
	for (size_t i = 0; i < id->n_claims; i++)
		if (strcmp(id->claims[i].key, key) == 0)
			return &id->claims[i];
	return NULL;
}

static void
expect_kv(const struct fed_identity *id, const char *key, size_t n,
	  const char *v0)
{
	const struct fed_claim_kv *kv = find_kv(id, key);

	if (kv == NULL)
		fail_msg("no condition key %s", key);
	assert_int_equal(kv->n_values, n);
	if (v0 != NULL)
		assert_string_equal(kv->values[0], v0);
}

static struct fed_identity *
verify_ok(const char *payload)
{
	char *tok = mk_token(H_RS, payload, "RS256", k_rsa1);
	struct core_err err = {0};
	struct fed_identity *id = NULL;

	if (fed_oidc_verify(tset, tok, strlen(tok), NOW, SKEW, &id, &err) != 0)
		fail_msg("rejected: %s (%s)", err.msg, err.reason);
	free(tok);
	return id;
}

static void
test_claims_generic(void **state)
{
	struct fed_identity *id = verify_ok("{\"iss\":\"" ISS "\",\"aud\":"
	    "[\"x\",\"app2\"],\"sub\":\"user1\",\"exp\":1700003600,\"iat\":"
	    "1699999990,\"email\":\"a@b.c\",\"email_verified\":true,"
	    "\"groups\":[\"g1\",\"g2\",3],\"n\":1.5,\"obj\":{\"b\":1,\"a\":2},"
	    "\"nul\":null,\"jti\":\"j1\","
	    "\"https://aws.amazon.com/source_identity\":\"admin@corp\"}");

	(void)state;
	assert_string_equal(id->provider_name, "idp");
	assert_string_equal(id->issuer, ISS);
	assert_string_equal(id->provider_id, "idp.example");
	assert_string_equal(id->subject, "user1");
	assert_string_equal(id->audience, "app2");
	assert_string_equal(id->source_identity, "admin@corp");
	assert_int_equal(id->exp, 1700003600);
	assert_int_equal(id->iat, 1699999990);
	assert_int_equal(strlen(id->jti_hash), 16);
	expect_kv(id, "idp.example:sub", 1, "user1");
	expect_kv(id, "idp.example:aud", 1, "app2");
	expect_kv(id, "idp.example:email", 1, "a@b.c");
	expect_kv(id, "idp.example:email_verified", 1, "true");
	expect_kv(id, "idp.example:exp", 1, "1700003600");
	expect_kv(id, "idp.example:groups", 3, "g1");
	assert_string_equal(find_kv(id, "idp.example:groups")->values[2], "3");
	assert_true(find_kv(id, "idp.example:groups")->multi);
	expect_kv(id, "idp.example:n", 1, "1.5");
	expect_kv(id, "idp.example:obj", 1, "{\"a\":2,\"b\":1}");
	assert_null(find_kv(id, "idp.example:nul"));
	assert_false(find_kv(id, "idp.example:sub")->multi);
	assert_int_equal(id->n_tags, 0);
	fed_identity_free(id);
}

static void
test_claims_google(void **state)
{
	struct fed_identity *id = verify_ok("{\"iss\":\"accounts.google.com\","
	    "\"aud\":\"goog-client\",\"azp\":\"app2\",\"sub\":\"1234\","
	    "\"exp\":1700003600}");

	(void)state;
	assert_string_equal(id->issuer, "accounts.google.com");
	assert_string_equal(id->provider_id, "accounts.google.com");
	expect_kv(id, "accounts.google.com:aud", 1, "app2");
	expect_kv(id, "accounts.google.com:oaud", 1, "goog-client");
	expect_kv(id, "accounts.google.com:azp", 1, "app2");
	expect_kv(id, "accounts.google.com:sub", 1, "1234");
	fed_identity_free(id);
	id = verify_ok("{\"iss\":\"https://accounts.google.com\",\"aud\":"
		       "\"goog-client\",\"sub\":\"1234\",\"exp\":1700003600}");
	assert_string_equal(id->issuer, "https://accounts.google.com");
	expect_kv(id, "accounts.google.com:aud", 1, "goog-client");
	expect_kv(id, "accounts.google.com:oaud", 1, "goog-client");
	fed_identity_free(id);
}

static void
test_claims_cognito(void **state)
{
	struct fed_identity *id = verify_ok("{\"iss\":\"https://cognito-"
	    "identity.amazonaws.com\",\"aud\":\"us-east-1:pool\",\"sub\":"
	    "\"us-east-1:abcd\",\"exp\":1700003600,\"amr\":[\"authenticated\","
	    "\"accounts.google.com\"]}");
	const struct fed_claim_kv *kv;

	(void)state;
	kv = find_kv(id, "cognito-identity.amazonaws.com:amr");
	assert_non_null(kv);
	assert_true(kv->multi);
	assert_int_equal(kv->n_values, 2);
	assert_string_equal(kv->values[1], "accounts.google.com");
	expect_kv(id, "cognito-identity.amazonaws.com:aud", 1,
		  "us-east-1:pool");
	fed_identity_free(id);
	/* a single-string amr is still a set for ForAnyValue */
	id = verify_ok("{\"iss\":\"https://cognito-identity.amazonaws.com\","
		       "\"aud\":\"us-east-1:pool\",\"sub\":\"s1\",\"exp\":"
		       "1700003600,\"amr\":\"unauthenticated\"}");
	kv = find_kv(id, "cognito-identity.amazonaws.com:amr");
	assert_non_null(kv);
	assert_true(kv->multi);
	fed_identity_free(id);
}

static const struct fed_tag *
find_tag(const struct fed_identity *id, const char *k)
{
	for (size_t i = 0; i < id->n_tags; i++)
		if (strcmp(id->tags[i].key, k) == 0)
			return &id->tags[i];
	return NULL;
}

static void
test_tags(void **state)
{
	struct fed_identity *id = verify_ok("{\"iss\":\"" ISS "\",\"aud\":"
	    "\"app1\",\"sub\":\"u\",\"exp\":1700003600,"
	    "\"https://aws.amazon.com/tags\":{\"principal_tags\":{\"Project\":"
	    "[\"Automation\"],\"CostCenter\":[\"987654\"]},"
	    "\"transitive_tag_keys\":[\"Project\"]}}");

	(void)state;
	assert_int_equal(id->n_tags, 2);
	assert_string_equal(find_tag(id, "Project")->value, "Automation");
	assert_true(find_tag(id, "Project")->transitive);
	assert_false(find_tag(id, "CostCenter")->transitive);
	assert_null(find_kv(id, "idp.example:https://aws.amazon.com/tags"));
	fed_identity_free(id);
	/* Ceph's array-of-objects shape */
	id = verify_ok("{\"iss\":\"" ISS "\",\"aud\":\"app1\",\"sub\":\"u\","
		       "\"exp\":1700003600,\"https://aws.amazon.com/tags\":"
		       "[{\"principal_tags\":{\"Department\":[\"Eng\"]}},"
		       "{\"principal_tags\":{\"Team\":[\"x\"]},"
		       "\"transitive_tag_keys\":[\"Department\"]}]}");
	assert_int_equal(id->n_tags, 2);
	assert_string_equal(find_tag(id, "Department")->value, "Eng");
	assert_true(find_tag(id, "Department")->transitive);
	assert_string_equal(find_tag(id, "Team")->value, "x");
	fed_identity_free(id);
}

/* ---- JWKS parsing ---------------------------------------------------- */

static void
test_jwks_parse(void **state)
{
	struct core_err err = {0};
	struct fed_keyset *ks = NULL;
	char *r = jwk(k_rsa1, "r", NULL), *enc = jwk(k_rsa2, "enc",
	    "\"use\":\"enc\""), *sm = jwk(k_small, "sm", NULL), *doc;
	static const char *bad[] = {
		"", "[]", "{}", "{\"keys\":{}}", "{\"keys\":[]}",
		"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}",
		("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"AA\","
		 "\"y\":\"AA\"}]}"),
		"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"!!\",\"e\":\"AQAB\"}]}",
		"{\"keys\":[],\"keys\":[]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (fed_jwks_parse(bad[i], strlen(bad[i]), &ks, &err) != -1)
			fail_msg("accepted bad JWKS %zu", i);
	}
	/* only the usable key survives: enc and small are skipped */
	doc = core_xasprintf("{\"keys\":[%s,%s,%s,17,{\"kty\":\"RSA\"}]}", enc,
			     sm, r);
	assert_int_equal(fed_jwks_parse(doc, strlen(doc), &ks, &err), 0);
	assert_int_equal(ks->n, 1);
	assert_string_equal(ks->keys[0].kid, "r");
	fed_keyset_unref(ks);
	free(doc);
	/* alg in the JWK must fit the key type */
	free(r);
	r = jwk(k_rsa1, "r", "\"alg\":\"ES256\"");
	doc = core_xasprintf("{\"keys\":[%s]}", r);
	assert_int_equal(fed_jwks_parse(doc, strlen(doc), &ks, &err), -1);
	free(doc);
	free(r);
	free(enc);
	free(sm);
}

/* EC point not on the curve must not import. */
static void
test_jwks_ec_off_curve(void **state)
{
	char *m = jwk(k_ec1, "e", NULL), *doc, *y;
	struct core_err err = {0};
	struct fed_keyset *ks = NULL;

	(void)state;
	y = strstr(m, "\"y\":\"");
	assert_non_null(y);
	y[6] = y[6] == 'A' ? 'B' : 'A';
	doc = core_xasprintf("{\"keys\":[%s]}", m);
	assert_int_equal(fed_jwks_parse(doc, strlen(doc), &ks, &err), -1);
	assert_string_equal(err.reason, "no_keys");
	free(doc);
	free(m);
}

/* ---- presets ---------------------------------------------------------- */

static void
test_presets(void **state)
{
	struct fed_oidc_config c;
	struct core_err err = {0};
	char *pid;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.name = core_xstrdup("g");
	c.preset = core_xstrdup("google");
	assert_int_equal(fed_oidc_apply_preset(&c, &err), 0);
	assert_string_equal(c.issuer, "https://accounts.google.com");
	assert_int_equal(c.n_issuer_aliases, 1);
	assert_string_equal(c.issuer_aliases[0], "accounts.google.com");
	assert_string_equal(c.jwks_uri,
			    "https://www.googleapis.com/oauth2/v3/certs");
	assert_int_equal(c.n_algorithms, 1);
	assert_int_equal(c.jwks_refresh_seconds, 3600);
	assert_int_equal(c.jwks_min_refetch_seconds, 30);
	fed_oidc_config_clear(&c);

	c.name = core_xstrdup("p");
	c.preset = core_xstrdup("cognito-user-pool");
	c.issuer = core_xstrdup("https://cognito-idp.eu-west-1.amazonaws.com/"
				"eu-west-1_AbC");
	assert_int_equal(fed_oidc_apply_preset(&c, &err), 0);
	assert_string_equal(c.jwks_uri, "https://cognito-idp.eu-west-1."
			    "amazonaws.com/eu-west-1_AbC/.well-known/jwks.json");
	assert_string_equal(c.require_token_use, "id");
	fed_oidc_config_clear(&c);

	c.preset = core_xstrdup("cognito-user-pool");
	assert_int_equal(fed_oidc_apply_preset(&c, &err), -1);
	assert_int_equal(err.code, CORE_ECONFIG);
	fed_oidc_config_clear(&c);

	memset(&err, 0, sizeof(err));
	c.preset = core_xstrdup("myspace");
	assert_int_equal(fed_oidc_apply_preset(&c, &err), -1);
	fed_oidc_config_clear(&c);

	memset(&err, 0, sizeof(err));
	c.issuer = core_xstrdup(ISS);
	c.algorithms = strv(2, "RS256", "HS256");
	c.n_algorithms = 2;
	assert_int_equal(fed_oidc_apply_preset(&c, &err), -1);
	fed_oidc_config_clear(&c);

	memset(&err, 0, sizeof(err));
	c.preset = core_xstrdup("facebook");
	assert_int_equal(fed_oidc_apply_preset(&c, &err), 0);
	assert_string_equal(c.issuer_aliases[0], "https://limited.facebook.com");
	fed_oidc_config_clear(&c);
	c.preset = core_xstrdup("apple");
	assert_int_equal(fed_oidc_apply_preset(&c, &err), 0);
	assert_string_equal(c.jwks_uri, "https://appleid.apple.com/auth/keys");
	fed_oidc_config_clear(&c);
	c.issuer = core_xstrdup(ISS);
	assert_int_equal(fed_oidc_apply_preset(&c, &err), 0);
	assert_int_equal(c.n_algorithms, 6);
	fed_oidc_config_clear(&c);

	pid = fed_oidc_provider_id("http://127.0.0.1:9000/oidc");
	assert_string_equal(pid, "127.0.0.1:9000/oidc");
	free(pid);
	pid = fed_oidc_provider_id("https://auth.example/");
	assert_string_equal(pid, "auth.example/");
	free(pid);
}

static void
test_jwks_file_errors(void **state)
{
	struct fed_oidc_config c;
	struct fed_oidc_set *set;
	struct core_err err = {0};

	(void)state;
	assert_int_equal(fed_oidc_set_count(tset), 5);
	assert_string_equal(fed_oidc_provider_name(tset, 1), "google");
	assert_int_equal(fed_oidc_provider_ready(tset, 0), 1);
	memset(&c, 0, sizeof(c));
	c.name = core_xstrdup("f");
	c.issuer = core_xstrdup(ISS);
	c.jwks_file = core_xstrdup("/nonexistent/jwks.json");
	set = fed_oidc_set_new(&c, 1);
	assert_int_equal(fed_oidc_set_prefetch(set, &err), -1);
	assert_int_equal(err.code, CORE_ECONFIG);
	assert_int_equal(fed_oidc_provider_ready(set, 0), 0);
	fed_oidc_set_free(set);
}

/* ---- loopback IdP ----------------------------------------------------- */

struct idp {
	int lfd;
	int port;
	pthread_t th;
	pthread_mutex_t mu;
	char *discovery;
	char *jwks;
	const char *cache_control;
	int hits_disc, hits_jwks;
};

static void
idp_serve_one(struct idp *s, int fd)
{
	char req[2048], *body = NULL, *resp;
	const char *status = "404 Not Found", *cc;
	ssize_t n;
	size_t got = 0;

	while (got < sizeof(req) - 1) {
		n = read(fd, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[got] = '\0';
	pthread_mutex_lock(&s->mu);
	if (strncmp(req, "GET /.well-known/openid-configuration ", 38) == 0) {
		s->hits_disc++;
		body = core_xstrdup(s->discovery);
	} else if (strncmp(req, "GET /jwks ", 10) == 0) {
		s->hits_jwks++;
		body = core_xstrdup(s->jwks);
	}
	cc = s->cache_control;
	pthread_mutex_unlock(&s->mu);
	if (body != NULL)
		status = "200 OK";
	resp = core_xasprintf("HTTP/1.1 %s\r\nContent-Type: application/json"
			      "\r\nConnection: close\r\n%s%s%sContent-Length: "
			      "%zu\r\n\r\n%s", status,
			      cc != NULL ? "Cache-Control: " : "",
			      cc != NULL ? cc : "", cc != NULL ? "\r\n" : "",
			      body != NULL ? strlen(body) : 0,
			      body != NULL ? body : "");
	for (size_t off = 0, len = strlen(resp); off < len;) {
		n = write(fd, resp + off, len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(resp);
	free(body);
}

static void *
idp_main(void *arg)
{
	struct idp *s = arg;
	int fd;

	while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
		idp_serve_one(s, fd);
		close(fd);
	}
	return NULL;
}

static void
idp_start(struct idp *s, const char *jwks)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 64), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &sl), 0);
	s->port = ntohs(sa.sin_port);
	s->discovery = core_xasprintf("{\"issuer\":\"http://127.0.0.1:%d\","
				      "\"jwks_uri\":\"http://127.0.0.1:%d/jwks\"}",
				      s->port, s->port);
	s->jwks = core_xstrdup(jwks);
	assert_int_equal(pthread_create(&s->th, NULL, idp_main, s), 0);
}

static void
idp_set_jwks(struct idp *s, const char *jwks)
{
	pthread_mutex_lock(&s->mu);
	free(s->jwks);
	s->jwks = core_xstrdup(jwks);
	pthread_mutex_unlock(&s->mu);
}

static void
idp_stop(struct idp *s)
{
	if (s->lfd < 0)
		return;
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->lfd);
	s->lfd = -1;
}

static void
idp_free(struct idp *s)
{
	idp_stop(s);
	free(s->discovery);
	free(s->jwks);
	pthread_mutex_destroy(&s->mu);
}

static struct fed_oidc_set *
remote_set(int port, int with_jwks_uri)
{
	struct fed_oidc_config c;
	struct core_err err = {0};

	memset(&c, 0, sizeof(c));
	c.name = core_xstrdup("remote");
	c.issuer = core_xasprintf("http://127.0.0.1:%d", port);
	c.audiences = strv(1, "app1");
	c.n_audiences = 1;
	if (with_jwks_uri)
		c.jwks_uri = core_xasprintf("http://127.0.0.1:%d/jwks", port);
	c.http_timeout_seconds = 2;
	assert_int_equal(fed_oidc_apply_preset(&c, &err), 0);
	return fed_oidc_set_new(&c, 1);
}

static char *
remote_token(int port, const char *kid, EVP_PKEY *k, int64_t exp)
{
	char *hdr = core_xasprintf("{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	char *pl = core_xasprintf("{\"iss\":\"http://127.0.0.1:%d\",\"aud\":"
				  "\"app1\",\"sub\":\"u\",\"exp\":%lld}", port,
				  (long long)exp);
	char *t = mk_token(hdr, pl, "RS256", k);

	free(hdr);
	free(pl);
	return t;
}

static int
remote_verify(struct fed_oidc_set *set, const char *tok, int64_t now,
	      struct core_err *err)
{
	struct fed_identity *id = NULL;
	int rc;

	memset(err, 0, sizeof(*err));
	rc = fed_oidc_verify(set, tok, strlen(tok), now, SKEW, &id, err);
	fed_identity_free(id);
	return rc;
}

static void
test_discovery(void **state)
{
	struct idp s;
	struct fed_oidc_set *set;
	struct core_err err = {0};
	int64_t now = time(NULL);
	char *tok;

	(void)state;
	idp_start(&s, jwks_main);
	set = remote_set(s.port, 0);
	assert_int_equal(fed_oidc_set_prefetch(set, &err), 0);
	assert_int_equal(fed_oidc_provider_ready(set, 0), 1);
	assert_int_equal(s.hits_disc, 1);
	assert_int_equal(s.hits_jwks, 1);
	tok = remote_token(s.port, "rsa1", k_rsa1, now + 3600);
	if (remote_verify(set, tok, now, &err) != 0)
		fail_msg("%s", err.msg);
	/* fresh keys: no more fetches */
	assert_int_equal(remote_verify(set, tok, now + 100, &err), 0);
	assert_int_equal(s.hits_jwks, 1);
	/* stale after jwks_refresh_seconds: one refresh */
	assert_int_equal(remote_verify(set, tok, now + 3600, &err), 0);
	assert_int_equal(s.hits_jwks, 2);
	assert_int_equal(s.hits_disc, 2);
	free(tok);
	fed_oidc_set_free(set);

	/* discovery whose issuer differs from ours is refused */
	pthread_mutex_lock(&s.mu);
	free(s.discovery);
	s.discovery = core_xstrdup("{\"issuer\":\"https://evil.example\","
				   "\"jwks_uri\":\"http://127.0.0.1:1/jwks\"}");
	pthread_mutex_unlock(&s.mu);
	set = remote_set(s.port, 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(fed_oidc_set_prefetch(set, &err), 0); /* not fatal */
	assert_int_equal(fed_oidc_provider_ready(set, 0), 0);
	tok = remote_token(s.port, "rsa1", k_rsa1, now + 3600);
	assert_int_equal(remote_verify(set, tok, now, &err), -1);
	assert_int_equal(err.code, CORE_EIDP_COMM);
	free(tok);
	fed_oidc_set_free(set);
	idp_free(&s);
}

static void
test_refetch_rate_limit(void **state)
{
	struct idp s;
	struct fed_oidc_set *set;
	struct core_err err = {0};
	int64_t now = time(NULL);
	char *tok, *a, *b, *doc;

	(void)state;
	idp_start(&s, jwks_main);
	set = remote_set(s.port, 1);
	assert_int_equal(fed_oidc_set_prefetch(set, &err), 0);
	assert_int_equal(s.hits_jwks, 1);
	tok = remote_token(s.port, "rsa2", k_rsa2, now + 7200);
	/* unknown kid: one refetch */
	assert_int_equal(remote_verify(set, tok, now, &err), -1);
	assert_string_equal(err.reason, "kid_unknown");
	assert_int_equal(s.hits_jwks, 2);
	/* again at once: rate-limited, no fetch */
	assert_int_equal(remote_verify(set, tok, now + 1, &err), -1);
	assert_int_equal(s.hits_jwks, 2);
	/* the IdP rotates in rsa2 */
	a = jwk(k_rsa1, "rsa1", NULL);
	b = jwk(k_rsa2, "rsa2", NULL);
	doc = core_xasprintf("{\"keys\":[%s,%s]}", a, b);
	idp_set_jwks(&s, doc);
	assert_int_equal(remote_verify(set, tok, now + 29, &err), -1);
	assert_int_equal(s.hits_jwks, 2);
	assert_int_equal(remote_verify(set, tok, now + 30, &err), 0);
	assert_int_equal(s.hits_jwks, 3);
	assert_int_equal(remote_verify(set, tok, now + 31, &err), 0);
	assert_int_equal(s.hits_jwks, 3);
	free(a);
	free(b);
	free(doc);
	free(tok);
	fed_oidc_set_free(set);
	idp_free(&s);
}

static void
test_last_good_keys(void **state)
{
	struct idp s;
	struct fed_oidc_set *set;
	struct core_err err = {0};
	int64_t now = time(NULL);
	char *tok;

	(void)state;
	idp_start(&s, jwks_main);
	set = remote_set(s.port, 1);
	tok = remote_token(s.port, "rsa1", k_rsa1, now + 100000);
	/* no prefetch: the first token loads the keys on demand */
	assert_int_equal(remote_verify(set, tok, now, &err), 0);
	assert_int_equal(s.hits_jwks, 1);
	idp_stop(&s);
	/* stale and the IdP is gone: keep using the last good keys */
	if (remote_verify(set, tok, now + 5000, &err) != 0)
		fail_msg("%s (%s)", err.msg, err.reason);
	assert_int_equal(fed_oidc_provider_ready(set, 0), 1);
	assert_int_equal(remote_verify(set, tok, now + 5001, &err), 0);
	free(tok);
	fed_oidc_set_free(set);
	idp_free(&s);
}

static void
test_never_reachable(void **state)
{
	struct idp s;
	struct fed_oidc_set *set;
	struct core_err err = {0};
	int64_t now = time(NULL);
	char *tok;

	(void)state;
	idp_start(&s, jwks_main);
	idp_stop(&s); /* port now refuses connections */
	set = remote_set(s.port, 0);
	assert_int_equal(fed_oidc_set_prefetch(set, &err), 0);
	assert_int_equal(fed_oidc_provider_ready(set, 0), 0);
	tok = remote_token(s.port, "rsa1", k_rsa1, now + 3600);
	assert_int_equal(remote_verify(set, tok, now, &err), -1);
	assert_int_equal(err.code, CORE_EIDP_COMM);
	assert_string_equal(core_code_sts(err.code), "IDPCommunicationError");
	assert_non_null(strstr(err.msg, "Couldn't retrieve verification key"));
	/* and again (rate-limited: no new attempt, same answer) */
	assert_int_equal(remote_verify(set, tok, now + 1, &err), -1);
	assert_int_equal(err.code, CORE_EIDP_COMM);
	free(tok);
	fed_oidc_set_free(set);
	idp_free(&s);
}

static void
test_cache_control_and_size(void **state)
{
	struct idp s;
	struct fed_oidc_set *set;
	struct core_err err = {0};
	int64_t now = time(NULL);
	char *tok, *huge;

	(void)state;
	idp_start(&s, jwks_main);
	s.cache_control = "public, max-age=100, must-revalidate";
	set = remote_set(s.port, 1);
	tok = remote_token(s.port, "rsa1", k_rsa1, now + 100000);
	assert_int_equal(remote_verify(set, tok, now, &err), 0);
	assert_int_equal(remote_verify(set, tok, now + 99, &err), 0);
	assert_int_equal(s.hits_jwks, 1);
	assert_int_equal(remote_verify(set, tok, now + 100, &err), 0);
	assert_int_equal(s.hits_jwks, 2);
	fed_oidc_set_free(set);

	/* a JWKS over FED_JWKS_MAX_BYTES is not accepted */
	huge = core_xmalloc(FED_JWKS_MAX_BYTES + 64);
	memset(huge, ' ', FED_JWKS_MAX_BYTES + 63);
	memcpy(huge, "{\"keys\":[]}", 11);
	huge[FED_JWKS_MAX_BYTES + 63] = '\0';
	idp_set_jwks(&s, huge);
	set = remote_set(s.port, 1);
	assert_int_equal(remote_verify(set, tok, now, &err), -1);
	assert_int_equal(err.code, CORE_EIDP_COMM);
	free(huge);
	free(tok);
	fed_oidc_set_free(set);
	idp_free(&s);
}

struct race {
	struct fed_oidc_set *set;
	const char *tok;
	int64_t now;
	int rc;
};

static void *
race_main(void *arg)
{
	struct race *r = arg;
	struct core_err err;

	r->rc = remote_verify(r->set, r->tok, r->now, &err);
	return NULL;
}

/* Many threads, no keys yet: one fetch, everyone verifies. */
static void
test_single_flight(void **state)
{
	struct idp s;
	struct race r[8];
	pthread_t th[8];
	struct fed_oidc_set *set;
	int64_t now = time(NULL);
	char *tok;

	(void)state;
	idp_start(&s, jwks_main);
	set = remote_set(s.port, 1);
	tok = remote_token(s.port, "rsa1", k_rsa1, now + 3600);
	for (int i = 0; i < 8; i++) {
		r[i] = (struct race){set, tok, now, -2};
		assert_int_equal(pthread_create(&th[i], NULL, race_main, &r[i]),
				 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].rc, 0);
	}
	assert_int_equal(s.hits_jwks, 1);
	free(tok);
	fed_oidc_set_free(set);
	idp_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_tampered_payload),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_es256_sig_forms),
		cmocka_unit_test(test_expired_message),
		cmocka_unit_test(test_claims_generic),
		cmocka_unit_test(test_claims_google),
		cmocka_unit_test(test_claims_cognito),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_jwks_parse),
		cmocka_unit_test(test_jwks_ec_off_curve),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_jwks_file_errors),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_refetch_rate_limit),
		cmocka_unit_test(test_last_good_keys),
		cmocka_unit_test(test_never_reachable),
		cmocka_unit_test(test_cache_control_and_size),
		cmocka_unit_test(test_single_flight),
	};
	int rc;

	core_log_init(CORE_LOG_ERROR);
	/* The loopback IdP must not be reached through a proxy. */
	setenv("no_proxy", "127.0.0.1", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
