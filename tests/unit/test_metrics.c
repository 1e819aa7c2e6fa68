/* tests/unit/test_metrics.c - counters and the Prometheus exposition
 *
 * Format per the Prometheus text exposition format 0.0.4: "# HELP" and
 * "# TYPE" before a family's samples, label values with \ " and newline
 * escaped, histogram buckets cumulative with le="+Inf" equal to _count.
 * Label sets must stay bounded whatever the callers pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/b64.h"
#include "core/mem.h"
#include "federation/oidc_int.h"
#include "federation/saml.h"
#include "federation/saml_int.h"
#include "gateway/app.h"
#include "gateway/metrics.h"
#include "gateway/run.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1767225600			/* 2026-01-01T00:00:00Z */
#define MS 1000000ULL			/* nanoseconds */

static char *
render(struct gw_app *app)
{
	struct core_buf b;

	core_buf_init(&b, 0);
	gw_metrics_render(&b, app, NOW);
	return core_buf_steal(&b);
}

/* The whole line, not a prefix of a longer one. */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p != NULL;
	     p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void
expect_line(const char *text, const char *line)
{
	if (!has_line(text, line))
		fail_msg("missing line %s in:\n%s", line, text);
}

static size_t
count_prefix(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, prefix, len) == 0)
			n++;
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	return n;
}

static void
test_bucket(void **state)
{
	static const struct {
		uint64_t ns;
		size_t want;
	} cases[] = {
	    {0, 0},
	    {1 * MS, 0},		/* le is inclusive */
	    {1 * MS + 1, 1},
	    {2500 * 1000, 1},
	    {3 * MS, 2},
	    {10 * MS, 3},
	    {999 * MS, 9},
	    {1000 * MS, 9},
	    {1000 * MS + 1, 10},
	    {5000 * MS, 11},
	    {5000 * MS + 1, GW_METRICS_N_BUCKETS},
	    {UINT64_MAX, GW_METRICS_N_BUCKETS},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++)
		if (gw_metrics_bucket(cases[i].ns) != cases[i].want)
			fail_msg("%llu ns: bucket %zu, want %zu",
				 (unsigned long long)cases[i].ns,
				 gw_metrics_bucket(cases[i].ns), cases[i].want);
}

static void
test_label_escaping(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"plain", "plain"},
	    {"", ""},
	    {"a\"b", "a\\\"b"},
	    {"a\\b", "a\\\\b"},
	    {"a\nb", "a\\nb"},
	    {"\\\"\n", "\\\\\\\"\\n"},
	    {"tab\tand utf-8 \xc3\xa9", "tab\tand utf-8 \xc3\xa9"},
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct core_buf b;

		core_buf_init(&b, 0);
		gw_metrics_put_label(&b, cases[i].in);
		if (strcmp(b.data != NULL ? b.data : "", cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i,
				 b.data != NULL ? b.data : "", cases[i].want);
		core_buf_reset(&b);
	}
}

/* Every line: a HELP/TYPE comment or name{labels} value, and every
 * sample's family declared by a TYPE line before it. */
static void
check_exposition(const char *text)
{
	char typed[64][96];
	size_t n_typed = 0;
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		char line[512], name[96], val[64];
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p), k, base;
		int found = 0;

		assert_non_null(nl); /* the last line ends with \n too */
		assert_true(len < sizeof(line));
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%95s", typed[n_typed]), 1);
			n_typed++;
			continue;
		}
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		k = strspn(line, "abcdefghijklmnopqrstuvwxyz_:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		assert_true(k > 0 && k < sizeof(name));
		memcpy(name, line, k);
		name[k] = '\0';
		if (line[k] == '{') {
			const char *end = strstr(line + k, "} ");

			if (end == NULL)
				fail_msg("bad labels: %s", line);
			k = (size_t)(end - line) + 1;
		}
		if (line[k] != ' ' || sscanf(line + k + 1, "%63s", val) != 1 ||
		    strspn(val, "0123456789.") != strlen(val))
			fail_msg("bad sample: %s", line);
		for (size_t i = 0; i < n_typed && !found; i++) {
			base = strlen(typed[i]);
			found = strncmp(name, typed[i], base) == 0 &&
				(name[base] == '\0' ||
				 strcmp(name + base, "_bucket") == 0 ||
				 strcmp(name + base, "_sum") == 0 ||
				 strcmp(name + base, "_count") == 0);
		}
		if (!found)
			fail_msg("sample without TYPE: %s", line);
	}
}

static void
test_render_counters(void **state)
{
	struct core_err replay = {.code = CORE_EINVALID_TOKEN, .reason = "replay"};
	struct core_err expired = {.code = CORE_EEXPIRED_TOKEN,
				   .reason = "expired"};
	struct core_err none = {.code = CORE_EINVALID_TOKEN};
	char *text;

	(void)state;
	gw_metrics_reset();
	gw_metrics_http_request(200, 0);			/* 0 s */
	gw_metrics_http_request(200, gw_metrics_now() - 10000 * MS); /* 10 s */
	gw_metrics_http_request(403, gw_metrics_now());
	gw_metrics_http_request(42, 0);				/* not HTTP */
	gw_metrics_sts_request("AssumeRoleWithWebIdentity", CORE_OK);
	gw_metrics_sts_request("AssumeRoleWithWebIdentity", CORE_OK);
	gw_metrics_sts_request("AssumeRoleWithWebIdentity", CORE_EEXPIRED_TOKEN);
	gw_metrics_sts_request("Evil\"Action\n", CORE_EINVALID_ACTION);
	gw_metrics_sts_request(NULL, CORE_EMISSING_ACTION);
	gw_metrics_credentials_issued("AssumeRoleWithWebIdentity", "google");
	gw_metrics_credentials_issued("AssumeRole", NULL);
	gw_metrics_token_failure("google", &expired);
	gw_metrics_token_failure("corp", &replay);
	gw_metrics_token_failure(NULL, &none);
	gw_metrics_jwks_fetch("google", 1);
	gw_metrics_jwks_fetch("google", 0);
	gw_metrics_jwks_fetch("google", 1);
	gw_metrics_store_error();
	text = render(NULL);
	check_exposition(text);
	expect_line(text, "# TYPE fedgate_build_info gauge");
	expect_line(text, "fedgate_build_info{version=\"" GW_VERSION "\"} 1");
	expect_line(text, "# TYPE fedgate_http_requests_total counter");
	expect_line(text, "fedgate_http_requests_total{code=\"200\"} 2");
	expect_line(text, "fedgate_http_requests_total{code=\"403\"} 1");
	expect_line(text, "fedgate_http_requests_total{code=\"other\"} 1");
	expect_line(text, "fedgate_sts_requests_total{action=\"AssumeRoleWithWebIdentity\",result=\"ok\",error_code=\"\"} 2");
	expect_line(text, "fedgate_sts_requests_total{action=\"AssumeRoleWithWebIdentity\",result=\"error\",error_code=\"ExpiredTokenException\"} 1");
	expect_line(text, "fedgate_sts_requests_total{action=\"other\",result=\"error\",error_code=\"InvalidAction\"} 1");
	expect_line(text, "fedgate_sts_requests_total{action=\"other\",result=\"error\",error_code=\"MissingAction\"} 1");
	assert_null(strstr(text, "Evil"));
	expect_line(text, "fedgate_credentials_issued_total{action=\"AssumeRoleWithWebIdentity\",provider=\"google\"} 1");
	expect_line(text, "fedgate_credentials_issued_total{action=\"AssumeRole\",provider=\"\"} 1");
	expect_line(text, "fedgate_token_validation_failures_total{provider=\"google\",reason=\"expired\"} 1");
	expect_line(text, "fedgate_token_validation_failures_total{provider=\"corp\",reason=\"replay\"} 1");
	expect_line(text, "fedgate_token_validation_failures_total{provider=\"\",reason=\"unknown\"} 1");
	expect_line(text, "fedgate_jwks_fetch_total{provider=\"google\",result=\"ok\"} 2");
	expect_line(text, "fedgate_jwks_fetch_total{provider=\"google\",result=\"error\"} 1");
	expect_line(text, "fedgate_replay_rejections_total 1");
	expect_line(text, "fedgate_store_errors_total 1");
	expect_line(text, "# TYPE fedgate_idp_keys_age_seconds gauge");
	expect_line(text, "# TYPE fedgate_idp_certificate_expiry_timestamp_seconds gauge");
	free(text);
}

static void
test_histogram(void **state)
{
	static const char *const want[] = {
	    "fedgate_http_request_duration_seconds_bucket{le=\"0.001\"} 2",
	    "fedgate_http_request_duration_seconds_bucket{le=\"0.0025\"} 2",
	    "fedgate_http_request_duration_seconds_bucket{le=\"5\"} 2",
	    "fedgate_http_request_duration_seconds_bucket{le=\"+Inf\"} 3",
	    "fedgate_http_request_duration_seconds_count 3",
	    "# TYPE fedgate_http_request_duration_seconds histogram",
	};
	uint64_t now;
	char *text, *sum;
	double s;

	(void)state;
	gw_metrics_reset();
	now = gw_metrics_now();
	gw_metrics_http_request(200, 0);
	gw_metrics_http_request(200, 0);
	gw_metrics_http_request(200, now - 7000 * MS);
	text = render(NULL);
	check_exposition(text);
	for (size_t i = 0; i < NELEM(want); i++)
		expect_line(text, want[i]);
	/* Cumulative: one line per bound, in order, never decreasing. */
	assert_int_equal(count_prefix(text,
	    "fedgate_http_request_duration_seconds_bucket{"),
	    GW_METRICS_N_BUCKETS + 1);
	sum = strstr(text, "\nfedgate_http_request_duration_seconds_sum ");
	assert_non_null(sum);
	s = strtod(sum + strlen("\nfedgate_http_request_duration_seconds_sum "),
		   NULL);
	assert_true(s >= 7.0 && s < 8.0);
	free(text);
}

static void
test_label_bounds(void **state)
{
	char name[32], longname[GW_METRICS_MAX_LABEL + 10], *text, line[160];

	(void)state;
	gw_metrics_reset();
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < GW_METRICS_MAX_SERIES + 36; i++) {
			snprintf(name, sizeof(name), "prov%d", i);
			gw_metrics_credentials_issued("AssumeRoleWithSAML", name);
		}
	}
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	gw_metrics_jwks_fetch(longname, 1);
	gw_metrics_credentials_issued("NoSuchAction", "prov0");
	text = render(NULL);
	check_exposition(text);
	/* The first MAX_SERIES combinations keep their labels ... */
	assert_int_equal(count_prefix(text,
	    "fedgate_credentials_issued_total{"), GW_METRICS_MAX_SERIES + 1);
	expect_line(text, "fedgate_credentials_issued_total{action=\"AssumeRoleWithSAML\",provider=\"prov0\"} 2");
	snprintf(line, sizeof(line), "fedgate_credentials_issued_total{action=\"AssumeRoleWithSAML\",provider=\"prov%d\"} 2",
		 GW_METRICS_MAX_SERIES - 1);
	expect_line(text, line);
	/* ... and everything beyond goes to "other", nothing is lost. */
	snprintf(line, sizeof(line), "fedgate_credentials_issued_total{action=\"other\",provider=\"other\"} %d",
		 2 * 36 + 1);
	expect_line(text, line);
	snprintf(line, sizeof(line), "provider=\"prov%d\"", GW_METRICS_MAX_SERIES);
	assert_null(strstr(text, line));
	/* A label value too long to store is never truncated into a name. */
	expect_line(text, "fedgate_jwks_fetch_total{provider=\"other\",result=\"other\"} 1");
	assert_null(strstr(text, "xxxxxxxx"));
	free(text);
}

static void
test_reload_gauge(void **state)
{
	char *text;

	(void)state;
	gw_metrics_reset();
	text = render(NULL);
	expect_line(text, "fedgate_config_last_reload_successful 1");
	expect_line(text, "fedgate_config_reload_failures_total 0");
	free(text);
	gw_metrics_config_reload(0);
	text = render(NULL);
	expect_line(text, "fedgate_config_last_reload_successful 0");
	expect_line(text, "fedgate_config_reload_failures_total 1");
	free(text);
	gw_metrics_config_reload(1);
	text = render(NULL);
	expect_line(text, "fedgate_config_last_reload_successful 1");
	expect_line(text, "fedgate_config_reload_failures_total 1");
	free(text);
}

/* The federation hook: a fetch from a port nobody listens on fails, and
 * the key age appears once a provider holds keys. */
static void
test_jwks_observer_and_key_age(void **state)
{
	struct fed_oidc_config cfg = {0};
	struct core_err err = {0};
	struct fed_keyset *ks = core_xcalloc(1, sizeof(*ks));
	struct gw_app app;
	struct fed_oidc_set *set;
	char *text;

	(void)state;
	gw_metrics_reset();
	gw_metrics_init();
	cfg.name = core_xstrdup("dead\"idp");
	cfg.issuer = core_xstrdup("http://127.0.0.1:1/oidc");
	cfg.audiences = core_xcalloc(1, sizeof(char *));
	cfg.audiences[0] = core_xstrdup("aud");
	cfg.n_audiences = 1;
	cfg.http_timeout_seconds = 2;
	set = fed_oidc_set_new(&cfg, 1);
	assert_int_equal(fed_oidc_set_prefetch(set, &err), 0);
	memset(&app, 0, sizeof(app));
	app.oidc = set;
	text = render(&app);
	expect_line(text, "fedgate_jwks_fetch_total{provider=\"dead\\\"idp\",result=\"error\"} 1");
	assert_null(strstr(text, "fedgate_idp_keys_age_seconds{"));
	free(text);
	ks->refs = 1;
	ks->fetched_at = NOW - 42;
	fed_oidc_set_keys(set, 0, ks);
	text = render(&app);
	expect_line(text, "fedgate_idp_keys_age_seconds{provider=\"dead\\\"idp\"} 42");
	check_exposition(text);
	free(text);
	fed_oidc_set_fetch_observer(NULL);
	fed_oidc_set_free(set);
}

/* The token's iss picks the provider label; no provider for others. */
static void
test_token_provider(void **state)
{
	struct fed_oidc_config cfg = {0};
	struct fed_oidc_set *set;
	char *tok, *h, *p;
	const char *hdr = "{\"alg\":\"RS256\",\"kid\":\"k\"}";
	const char *known = "{\"iss\":\"https://idp.example\",\"sub\":\"x\"}";
	const char *unknown = "{\"iss\":\"https://evil.example\",\"sub\":\"x\"}";

	(void)state;
	cfg.name = core_xstrdup("example");
	cfg.issuer = core_xstrdup("https://idp.example");
	cfg.jwks_file = core_xstrdup("/nonexistent");
	set = fed_oidc_set_new(&cfg, 1);
	h = core_b64url_encode((const uint8_t *)hdr, strlen(hdr));
	p = core_b64url_encode((const uint8_t *)known, strlen(known));
	tok = core_xasprintf("%s.%s.c2ln", h, p);
	assert_string_equal(fed_oidc_token_provider(set, tok, strlen(tok)),
			    "example");
	free(tok);
	free(p);
	p = core_b64url_encode((const uint8_t *)unknown, strlen(unknown));
	tok = core_xasprintf("%s.%s.c2ln", h, p);
	assert_null(fed_oidc_token_provider(set, tok, strlen(tok)));
	assert_null(fed_oidc_token_provider(set, "garbage", 7));
	free(tok);
	free(p);
	free(h);
	fed_oidc_set_free(set);
}

/* A self-signed certificate valid until not_after, as base64 DER. */
static char *
make_cert_b64(EVP_PKEY *key, int64_t not_after)
{
	X509 *x = X509_new();
	unsigned char *der = NULL;
	char *out;
	int n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
				   MBSTRING_ASC, (const unsigned char *)"idp",
				   -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(NOW - 86400));
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	out = core_b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	X509_free(x);
	return out;
}

static void
test_saml_cert_expiry(void **state)
{
	static const int64_t later = 2208988800;	/* 2040-01-01 */
	static const int64_t sooner = 2064355200;	/* 2035-06-01 */
	EVP_PKEY *key = EVP_RSA_gen(2048);
	char eid[] = "urn:fedgate:sp:test", acs[] = "https://sp.example/acs";
	struct fed_saml_sp_config sp = {.entity_id = eid, .acs_url = acs};
	struct core_err err = {0};
	const char *names[1] = {"corp"};
	const char *md[1];
	char *c1, *c2, *doc, *text, line[160];
	struct fed_saml *s;
	struct gw_app app;

	(void)state;
	assert_non_null(key);
	c1 = make_cert_b64(key, later);
	c2 = make_cert_b64(key, sooner);
	doc = core_xasprintf(
	    "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:"
	    "metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" "
	    "entityID=\"https://idp.example/saml\"><md:IDPSSODescriptor "
	    "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:"
	    "protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo>"
	    "<ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>"
	    "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor>"
	    "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
	    "</md:KeyDescriptor><md:SingleSignOnService Binding=\"urn:oasis:"
	    "names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://"
	    "idp.example/sso\"/></md:IDPSSODescriptor></md:EntityDescriptor>",
	    c1, c2);
	md[0] = doc;
	s = fed_saml_new_mem(&sp, names, md, 1, NULL, NULL, &err);
	if (s == NULL)
		fail_msg("fed_saml_new_mem: %s", err.msg);
	assert_int_equal(fed_saml_idp_cert_expiry(s, 0), sooner);
	assert_int_equal(fed_saml_idp_cert_expiry(s, 1), 0);
	memset(&app, 0, sizeof(app));
	app.saml = s;
	text = render(&app);
	snprintf(line, sizeof(line), "fedgate_idp_certificate_expiry_timestamp_seconds{provider=\"corp\"} %lld",
		 (long long)sooner);
	expect_line(text, line);
	check_exposition(text);
	free(text);
	fed_saml_free(s);
	free(doc);
	free(c1);
	free(c2);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket),
	    cmocka_unit_test(test_label_escaping),
	    cmocka_unit_test(test_render_counters),
	    cmocka_unit_test(test_histogram),
	    cmocka_unit_test(test_label_bounds),
	    cmocka_unit_test(test_reload_gauge),
	    cmocka_unit_test(test_jwks_observer_and_key_age),
	    cmocka_unit_test(test_token_provider),
	    cmocka_unit_test(test_saml_cert_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
