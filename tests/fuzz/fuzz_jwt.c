/* tests/fuzz/fuzz_jwt.c - token verification and JWKS parsing
 *
 * Input starting with '{' is parsed as a JWKS document; anything else is
 * verified as an ID token against providers holding the static keys of
 * tests/data/jwt/jwks.json (embedded below: a fuzz target reads no files
 * and fetches nothing; jwks_file "/dev/null" is never read because keys are
 * installed directly, and it keeps unknown kids from triggering fetches).
 * Seeds: tests/fuzz/corpus/fuzz_jwt/, made by tests/data/jwt/gen.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "federation/oidc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1700000000
#define FUZZ_SKEW 60

/* tests/data/jwt/jwks.json */
static const char FUZZ_JWKS[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa1\",\"use\":\"sig\",\"n"
    "\":\"5wt14kS8bOJqMy8vea0_RdUF7Gxv5N4X30QcQXPhmgpIRVCWNxjJHEIF4L0"
    "2BT9FL7x05fgE0VmGwRzNvYCvvUUkGX2iEk6g4LwSibbVPHszcwWNCBW-DGZfBAL"
    "R-1BtjkF2W0_aS0Qp-M_2mYxRAdA9brN6swf9d_a7LOlszd8oByC54kx00k7c7ee"
    "ZoVn9gccUgS3jrokS6mQ0Ukhy9TyRZxHmhpoYMWk4Mbav9y5xBpzFnOZNzG9dG38"
    "6fk1xl3sgR97iZQXeVAy2Rw9EbATLesD-Q_TvzcPgYXaB1kgcSxKePgJ8Xv6HKiE"
    "RBRChyWdWYXVoKdRIOVURay_cXQ\",\"e\":\"AQAB\"},{\"kty\":\"EC\",\""
    "kid\":\"ec1\",\"crv\":\"P-256\",\"x\":\"be7j2KOSVZ_yyXr1LLx39-T5"
    "HcOv7fW4sOzIc3U_aaQ\",\"y\":\"E_1OgdkEH3-0mE_F3tMakejel8N7AnrsU1"
    "WUBv8KU5E\"}]}";

static struct fed_oidc_set *fuzz_set;

/* Each provider accepts its own audience and "app2" (Google azp seed). */
static char **
two(const char *s)
{
	char **v = core_xcalloc(2, sizeof(*v));

	v[0] = core_xstrdup(s);
	v[1] = core_xstrdup("app2");
	return v;
}

static void
fuzz_cfg(struct fed_oidc_config *c, const char *name, const char *preset,
	 const char *issuer, const char *aud)
{
	struct core_err err = {0};

	memset(c, 0, sizeof(*c));
	c->name = core_xstrdup(name);
	c->preset = preset != NULL ? core_xstrdup(preset) : NULL;
	c->issuer = issuer != NULL ? core_xstrdup(issuer) : NULL;
	c->audiences = two(aud);
	c->n_audiences = 2;
	c->jwks_file = core_xstrdup("/dev/null");
	if (fed_oidc_apply_preset(c, &err) != 0)
		abort();
}

static void
fuzz_init(void)
{
	struct fed_oidc_config cfgs[3];
	struct core_err err = {0};
	struct fed_keyset *ks;

	core_log_init(CORE_LOG_ERROR);
	fuzz_cfg(&cfgs[0], "idp", NULL, "https://idp.example", "app1");
	fuzz_cfg(&cfgs[1], "google", "google", NULL, "goog-client");
	fuzz_cfg(&cfgs[2], "pool", "cognito-user-pool",
		 "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
		 "app1");
	fuzz_set = fed_oidc_set_new(cfgs, 3);
	if (fed_jwks_parse(FUZZ_JWKS, strlen(FUZZ_JWKS), &ks, &err) != 0)
		abort();
	ks->fetched_at = FUZZ_NOW;
	for (size_t i = 0; i < fed_oidc_set_count(fuzz_set); i++)
		fed_oidc_set_keys(fuzz_set, i, fed_keyset_ref(ks));
	fed_keyset_unref(ks);
}

static void
fuzz_token(const uint8_t *data, size_t size)
{
	struct core_err err = {0};
	struct fed_identity *id = NULL;

	if (fed_oidc_verify(fuzz_set, (const char *)data, size, FUZZ_NOW,
			    FUZZ_SKEW, &id, &err) == 0) {
		/* Invariants of an accepted token. */
		if (id == NULL || id->subject == NULL || id->issuer == NULL ||
		    id->provider_id == NULL || id->audience == NULL ||
		    id->exp < FUZZ_NOW - FUZZ_SKEW || strlen(id->jti_hash) != 16)
			abort();
		for (size_t i = 0; i < id->n_claims; i++)
			if (id->claims[i].key == NULL ||
			    (!id->claims[i].multi && id->claims[i].n_values != 1))
				abort();
		fed_identity_free(id);
		return;
	}
	/* Every refusal has a wire code, a reason and a message. */
	if (id != NULL || err.reason == NULL || err.msg[0] == '\0' ||
	    (err.code != CORE_EINVALID_TOKEN && err.code != CORE_EEXPIRED_TOKEN))
		abort();
}

static void
fuzz_jwks(const uint8_t *data, size_t size)
{
	struct core_err err = {0};
	struct fed_keyset *ks = NULL;

	if (fed_jwks_parse((const char *)data, size, &ks, &err) != 0) {
		if (ks != NULL || err.reason == NULL)
			abort();
		return;
	}
	if (ks->n == 0 || ks->n > FED_JWKS_MAX_KEYS)
		abort();
	for (size_t i = 0; i < ks->n; i++)
		if (ks->keys[i].pkey == NULL)
			abort();
	fed_keyset_unref(ks);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_set == NULL)
		fuzz_init();
	if (size > 0 && data[0] == '{')
		fuzz_jwks(data, size);
	else
		fuzz_token(data, size);
	return 0;
}
