/* tests/unit/test_conf.c - config loader: values, defaults, every error with its line */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/conf.h"

static char tmpdir[64];
static char jwks_path[128];
static char wwdir[128];
static char secret_path[128];	/* 0600, a valid secret */
static char open_secret[128];	/* 0644 */
static char short_secret[128];	/* 0600, too short */
static char meta_path[128];	/* SAML IdP metadata */
static char big_meta[128];	/* 1 MiB + 1 (sparse) */
static char sp_cert[128];	/* 0644 */
static char sp_key[128];	/* 0600 */
static char open_key[128];	/* 0644 */

#define ALICE_SECRET "alice-Secret/0123456789+abcdefXYZ"
#define BOB_SECRET "bob-secret-0123456789-abcdefgh"
#define INLINE_SECRET "inline-secret-0123456789"

/* Replace @JWKS@, @DIR@, @WWDIR@, the secret and SAML file names in a
 * template. */
static char *
subst(const char *t)
{
	size_t cap = strlen(t) * 4 + 512, o = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	while (*t != '\0') {
		const char *rep = NULL;
		size_t skip = 0;

		if (strncmp(t, "@JWKS@", 6) == 0) {
			rep = jwks_path;
			skip = 6;
		} else if (strncmp(t, "@DIR@", 5) == 0) {
			rep = tmpdir;
			skip = 5;
		} else if (strncmp(t, "@WWDIR@", 7) == 0) {
			rep = wwdir;
			skip = 7;
		} else if (strncmp(t, "@SECRET@", 8) == 0) {
			rep = secret_path;
			skip = 8;
		} else if (strncmp(t, "@OPENSECRET@", 12) == 0) {
			rep = open_secret;
			skip = 12;
		} else if (strncmp(t, "@SHORTSECRET@", 13) == 0) {
			rep = short_secret;
			skip = 13;
		} else if (strncmp(t, "@META@", 6) == 0) {
			rep = meta_path;
			skip = 6;
		} else if (strncmp(t, "@BIGMETA@", 9) == 0) {
			rep = big_meta;
			skip = 9;
		} else if (strncmp(t, "@SPCERT@", 8) == 0) {
			rep = sp_cert;
			skip = 8;
		} else if (strncmp(t, "@SPKEY@", 7) == 0) {
			rep = sp_key;
			skip = 7;
		} else if (strncmp(t, "@OPENKEY@", 9) == 0) {
			rep = open_key;
			skip = 9;
		}
		if (rep != NULL) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
			t += skip;
		} else
			out[o++] = *t++;
	}
	out[o] = '\0';
	return out;
}

/* Load text named "t.yaml"; *errs gets everything written to errout. */
static struct gw_conf *
load(const char *tmpl, char **errs, int *nerr)
{
	struct gw_conf *c;
	char *text = subst(tmpl);
	size_t sz;
	FILE *f = open_memstream(errs, &sz);

	assert_non_null(f);
	*nerr = -1;
	c = gw_conf_load_string(text, strlen(text), "t.yaml", f, nerr);
	fclose(f);
	free(text);
	return c;
}

/* Write text to path with exactly this mode (umask notwithstanding). */
static int
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, mode);
}

static int
setup(void **state)
{
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_conf.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", tmpdir);
	f = fopen(jwks_path, "w");
	if (f == NULL)
		return -1;
	fputs("{\"keys\":[]}\n", f);
	fclose(f);
	snprintf(wwdir, sizeof(wwdir), "%s/ww", tmpdir);
	if (mkdir(wwdir, 0700) != 0 || chmod(wwdir, 0777) != 0)
		return -1;
	snprintf(secret_path, sizeof(secret_path), "%s/alice.secret", tmpdir);
	snprintf(open_secret, sizeof(open_secret), "%s/open.secret", tmpdir);
	snprintf(short_secret, sizeof(short_secret), "%s/short.secret",
		 tmpdir);
	if (write_file(secret_path, ALICE_SECRET "\n", 0600) != 0 ||
	    write_file(open_secret, ALICE_SECRET "\n", 0644) != 0 ||
	    write_file(short_secret, "short\n", 0600) != 0)
		return -1;
	snprintf(meta_path, sizeof(meta_path), "%s/idp.xml", tmpdir);
	snprintf(big_meta, sizeof(big_meta), "%s/big.xml", tmpdir);
	snprintf(sp_cert, sizeof(sp_cert), "%s/sp.crt", tmpdir);
	snprintf(sp_key, sizeof(sp_key), "%s/sp.key", tmpdir);
	snprintf(open_key, sizeof(open_key), "%s/open.key", tmpdir);
	if (write_file(meta_path, "<EntityDescriptor/>\n", 0644) != 0 ||
	    write_file(big_meta, "<", 0644) != 0 ||
	    truncate(big_meta, 1024 * 1024 + 1) != 0 ||
	    write_file(sp_cert, "cert\n", 0644) != 0 ||
	    write_file(sp_key, "key\n", 0600) != 0 ||
	    write_file(open_key, "key\n", 0644) != 0)
		return -1;
	setenv("FEDGATE_TEST_BOB_SECRET", BOB_SECRET, 1);
	setenv("FEDGATE_TEST_SHORT_SECRET", "tiny", 1);
	setenv("FEDGATE_TEST_EMPTY_SECRET", "", 1);
	unsetenv("FEDGATE_TEST_UNSET_SECRET");
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	unlink(jwks_path);
	unlink(secret_path);
	unlink(open_secret);
	unlink(short_secret);
	unlink(meta_path);
	unlink(big_meta);
	unlink(sp_cert);
	unlink(sp_key);
	unlink(open_key);
	rmdir(wwdir);
	snprintf(p, sizeof(p), "%s/conf.yaml", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	return 0;
}

#define PROVIDER_DEV                                                    \
	"providers:\n"                                                  \
	"  - name: dev\n"                                               \
	"    type: oidc\n"                                              \
	"    issuer: http://127.0.0.1:9000/oidc\n"                      \
	"    audiences: [app]\n"                                        \
	"    jwks_file: @JWKS@\n"

#define TRUST_MAP                                                       \
	"    trust_policy:\n"                                           \
	"      Version: \"2012-10-17\"\n"                               \
	"      Statement:\n"                                            \
	"        - Effect: Allow\n"                                     \
	"          Principal: {Federated: \"127.0.0.1:9000/oidc\"}\n"   \
	"          Action: sts:AssumeRoleWithWebIdentity\n"             \
	"          Condition:\n"                                        \
	"            StringEquals: {\"127.0.0.1:9000/oidc:aud\": app}\n"

#define TRUST_JSON                                                      \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"       \
	"\"Allow\",\"Principal\":{\"Federated\":\"127.0.0.1:9000/oidc\"}" \
	",\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":"  \
	"{\"StringEquals\":{\"127.0.0.1:9000/oidc:aud\":\"app\"}}}]}"

static const char full_yaml[] =
    "# full config\n"
    "listen:\n"
    "  - 127.0.0.1:8080\n"
    "  - \"[::1]:8443\"\n"
    "public_url: https://sts.example.com\n"
    "account_id: \"111122223333\"\n"
    "state_dir: @DIR@\n"
    "store: memory\n"
    "clock_skew_seconds: 30\n"
    "audit_log: /var/log/fedgate/audit.log\n"
    "threads: 4\n"
    "max_body_bytes: 2048\n"
    "providers:\n"
    "  - name: google\n"
    "    preset: google\n"
    "    audiences: [\"1234.apps.googleusercontent.com\"]\n"
    "  - name: dev\n"
    "    type: oidc\n"
    "    issuer: http://127.0.0.1:9000/oidc\n"
    "    issuer_aliases: [\"127.0.0.1:9000/oidc\"]\n"
    "    audiences: [app, other]\n"
    "    jwks_file: @JWKS@\n"
    "    algorithms: [RS256, ES256]\n"
    "    jwks_refresh_seconds: 600\n"
    "    jwks_min_refetch_seconds: 10\n"
    "    http_timeout_seconds: 3\n"
    "roles:\n"
    "  - name: mobile-upload\n"
    "    max_session_duration: 7200\n"
    TRUST_MAP
    "    policies:\n"
    "      upload:\n"
    "        Version: \"2012-10-17\"\n"
    "        Statement:\n"
    "          - {Effect: Allow, Action: \"s3:PutObject\", "
    "Resource: \"arn:aws:s3:::b/*\"}\n"
    "  - name: ops\n"
    "    path: /team/ops/\n"
    "    account_id: \"444455556666\"\n"
    "    trust_policy: '" TRUST_JSON "'\n";

static void
test_full(void **state)
{
	const struct gw_role *r;
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load(full_yaml, &errs, &nerr);
	if (c == NULL)
		fail_msg("full config refused: %s", errs);
	assert_int_equal(nerr, 0);
	assert_string_equal(errs, "");
	assert_int_equal(c->n_listen, 2);
	assert_string_equal(c->listen[0].host, "127.0.0.1");
	assert_int_equal(c->listen[0].port, 8080);
	assert_string_equal(c->listen[1].host, "::1");
	assert_int_equal(c->listen[1].port, 8443);
	assert_string_equal(c->public_url, "https://sts.example.com");
	assert_string_equal(c->account_id, "111122223333");
	assert_string_equal(c->state_dir, tmpdir);
	assert_string_equal(c->store, "memory");
	assert_int_equal(c->clock_skew_seconds, 30);
	assert_string_equal(c->audit_log, "/var/log/fedgate/audit.log");
	assert_int_equal(c->threads, 4);
	assert_int_equal(c->max_body_bytes, 2048);
	assert_string_equal(c->path, "t.yaml");

	assert_int_equal(c->n_providers, 2);
	assert_string_equal(c->providers[0].name, "google");
	assert_string_equal(c->providers[0].issuer,
			    "https://accounts.google.com");
	assert_int_equal(c->providers[0].n_audiences, 1);
	assert_int_equal(c->provider_lines[0], 14);
	assert_string_equal(c->providers[1].issuer,
			    "http://127.0.0.1:9000/oidc");
	assert_int_equal(c->providers[1].n_issuer_aliases, 1);
	assert_int_equal(c->providers[1].n_audiences, 2);
	assert_string_equal(c->providers[1].audiences[1], "other");
	assert_string_equal(c->providers[1].jwks_file, jwks_path);
	assert_null(c->providers[1].jwks_uri);
	assert_int_equal(c->providers[1].n_algorithms, 2);
	assert_string_equal(c->providers[1].algorithms[1], "ES256");
	assert_int_equal(c->providers[1].jwks_refresh_seconds, 600);
	assert_int_equal(c->providers[1].jwks_min_refetch_seconds, 10);
	assert_int_equal(c->providers[1].http_timeout_seconds, 3);

	assert_int_equal(c->n_roles, 2);
	r = &c->roles[0];
	assert_string_equal(r->name, "mobile-upload");
	assert_string_equal(r->account_id, "111122223333");
	assert_string_equal(r->arn,
			    "arn:aws:iam::111122223333:role/mobile-upload");
	assert_non_null(r->role_id);
	assert_memory_equal(r->role_id, "AROA", 4);
	assert_int_equal(r->max_session_duration, 7200);
	assert_non_null(r->trust);
	assert_int_equal(r->line, 28);
	assert_int_equal(r->n_policies, 1);
	assert_string_equal(r->policies[0].name, "upload");
	assert_non_null(r->policies[0].policy);
	assert_non_null(strstr(r->policies[0].json, "s3:PutObject"));
	r = &c->roles[1];
	assert_string_equal(r->arn,
			    "arn:aws:iam::444455556666:role/team/ops/ops");
	assert_int_equal(r->max_session_duration, 3600);
	assert_string_not_equal(c->roles[0].role_id, r->role_id);
	/* Both spellings of one policy give one canonical text. */
	assert_string_equal(c->roles[0].trust_json, r->trust_json);
	assert_string_equal(r->trust_json, TRUST_JSON);

	assert_ptr_equal(gw_conf_find_role(c,
		"arn:aws:iam::444455556666:role/team/ops/ops"), r);
	assert_null(gw_conf_find_role(c, "arn:aws:iam::444455556666:role/ops"));
	assert_null(gw_conf_find_role(c,
		"arn:aws:iam::111122223333:role/MOBILE-UPLOAD"));
	gw_conf_free(c);
	free(errs);
}

static void
test_defaults(void **state)
{
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load("{}\n", &errs, &nerr);
	if (c == NULL)
		fail_msg("empty mapping refused: %s", errs);
	assert_int_equal(nerr, 0);
	assert_int_equal(c->n_listen, 1);
	assert_string_equal(c->listen[0].host, "127.0.0.1");
	assert_int_equal(c->listen[0].port, 8080);
	assert_string_equal(c->public_url, "http://127.0.0.1:8080");
	assert_string_equal(c->account_id, "000000000000");
	assert_string_equal(c->state_dir, "/var/lib/fedgate");
	assert_string_equal(c->store, "memory");
	assert_int_equal(c->clock_skew_seconds, 60);
	assert_string_equal(c->audit_log, "stdout");
	assert_in_range(c->threads, 2, 64);
	assert_int_equal(c->max_body_bytes, 65536);
	assert_int_equal(c->n_providers, 0);
	assert_int_equal(c->n_roles, 0);
	gw_conf_free(c);
	free(errs);

	/* Provider and role defaults. */
	c = load("listen: \"[::1]:0\"\n" PROVIDER_DEV
		 "roles:\n  - name: r\n" TRUST_MAP, &errs, &nerr);
	if (c == NULL)
		fail_msg("refused: %s", errs);
	assert_string_equal(c->public_url, "http://[::1]:0");
	assert_int_equal(c->providers[0].n_algorithms, 6);
	assert_string_equal(c->providers[0].algorithms[0], "RS256");
	assert_int_equal(c->providers[0].jwks_refresh_seconds, 3600);
	assert_int_equal(c->providers[0].jwks_min_refetch_seconds, 30);
	assert_int_equal(c->providers[0].http_timeout_seconds, 5);
	assert_int_equal(c->roles[0].max_session_duration, 3600);
	assert_string_equal(c->roles[0].arn,
			    "arn:aws:iam::000000000000:role/r");
	assert_int_equal(c->roles[0].n_policies, 0);
	gw_conf_free(c);
	free(errs);
}

static void
test_json_config(void **state)
{
	static const char json[] =
	    "{\n"
	    "  \"listen\": [\"0.0.0.0:9090\"],\n"
	    "  \"account_id\": \"123456789012\",\n"
	    "  \"clock_skew_seconds\": 0,\n"
	    "  \"providers\": [{\"name\": \"dev\", \"type\": \"oidc\",\n"
	    "    \"issuer\": \"https://idp.example.com\",\n"
	    "    \"audiences\": [\"a\"], \"jwks_uri\": "
	    "\"https://idp.example.com/jwks\"}],\n"
	    "  \"roles\": [{\"name\": \"r\", \"trust_policy\": "
	    TRUST_JSON "}]\n"
	    "}\n";
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load(json, &errs, &nerr);
	if (c == NULL)
		fail_msg("JSON config refused: %s", errs);
	assert_string_equal(c->listen[0].host, "0.0.0.0");
	assert_int_equal(c->listen[0].port, 9090);
	assert_int_equal(c->clock_skew_seconds, 0);
	assert_string_equal(c->providers[0].jwks_uri,
			    "https://idp.example.com/jwks");
	assert_string_equal(c->roles[0].arn,
			    "arn:aws:iam::123456789012:role/r");
	/* Nested JSON object and JSON-in-a-string compile to one text. */
	assert_string_equal(c->roles[0].trust_json, TRUST_JSON);
	gw_conf_free(c);
	free(errs);
}

static void
test_preset_static_jwks(void **state)
{
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load("providers:\n"
		 "  - name: g\n"
		 "    preset: google\n"
		 "    audiences: [x]\n"
		 "    jwks_file: @JWKS@\n", &errs, &nerr);
	if (c == NULL)
		fail_msg("refused: %s", errs);
	assert_string_equal(c->providers[0].issuer,
			    "https://accounts.google.com");
	assert_null(c->providers[0].jwks_uri);
	assert_int_equal(c->providers[0].n_issuer_aliases, 1);
	assert_string_equal(c->providers[0].issuer_aliases[0],
			    "accounts.google.com");
	gw_conf_free(c);
	free(errs);
}

static void
test_load_file(void **state)
{
	struct gw_conf *c;
	char path[160], *errs = NULL, *text;
	size_t sz;
	int nerr;
	FILE *f;

	snprintf(path, sizeof(path), "%s/conf.yaml", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("threads: 3\nbogus: 1\n", f);
	fclose(f);
	f = open_memstream(&errs, &sz);
	c = gw_conf_load(path, f, &nerr);
	fclose(f);
	assert_null(c);
	assert_int_equal(nerr, 1);
	text = NULL;
	assert_int_not_equal(asprintf(&text, "%s:2: bogus: unknown key\n",
				      path), -1);
	assert_string_equal(errs, text);
	free(text);
	free(errs);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("threads: 3\n", f);
	fclose(f);
	f = open_memstream(&errs, &sz);
	c = gw_conf_load(path, f, &nerr);
	fclose(f);
	assert_non_null(c);
	assert_int_equal(c->threads, 3);
	assert_string_equal(c->path, path);
	gw_conf_free(c);
	free(errs);

	f = open_memstream(&errs, &sz);
	c = gw_conf_load("/nonexistent/fedgate.yaml", f, &nerr);
	fclose(f);
	assert_null(c);
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(errs, "/nonexistent/fedgate.yaml: "));
	free(errs);
}

/* Replace the first occurrence of from in *text with to (template name). */
static void
replace_once(char **text, const char *from, const char *to)
{
	char *p = strstr(*text, from), *t;

	assert_non_null(p);
	assert_int_not_equal(asprintf(&t, "%.*s%s%s", (int)(p - *text), *text,
				      to, p + strlen(from)), -1);
	free(*text);
	*text = t;
}

/* conf/fedgate.example.yaml loads once its files and variables exist. */
static void
test_example(void **state)
{
	const char *data = getenv("FEDGATE_TEST_DATA");
	char path[512], *text, *errs = NULL;
	struct gw_conf *c;
	long sz;
	int nerr;
	FILE *f;

	if (data == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/../../conf/fedgate.example.yaml",
		 data);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz > 0);
	rewind(f);
	text = calloc(1, (size_t)sz + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	replace_once(&text, "/etc/fedgate/k8s-prod-jwks.json", "@JWKS@");
	replace_once(&text, "/etc/fedgate/alice.secret", "@SECRET@");
	replace_once(&text, "/etc/fedgate/google-saml-metadata.xml", "@META@");
	replace_once(&text, "/etc/fedgate/saml-sp.crt", "@SPCERT@");
	replace_once(&text, "/etc/fedgate/saml-sp.key", "@SPKEY@");
	setenv("FEDGATE_CI_BOT_SECRET", BOB_SECRET, 1);
	c = load(text, &errs, &nerr);
	unsetenv("FEDGATE_CI_BOT_SECRET");
	if (c == NULL)
		fail_msg("example refused:\n%s", errs);
	assert_int_equal(c->n_providers, 3);
	assert_int_equal(c->n_saml_idps, 3);
	assert_string_equal(c->saml_idps[2].metadata_file, meta_path);
	assert_int_equal(gw_conf_find_saml_idp(c,
		"arn:aws:iam::111122223333:saml-provider/okta"), 1);
	assert_string_equal(c->saml_sp.entity_id, "urn:fedgate:sp");
	assert_string_equal(c->saml_sp.acs_url,
			    "https://sts.example.com/saml/acs");
	assert_int_equal(c->saml_sp.n_recipients, 1);
	assert_string_equal(c->saml_sp.key_file, sp_key);
	assert_int_equal(c->saml_sp.allow_sha1, 0);
	assert_int_equal(c->n_roles, 3);
	assert_string_equal(c->roles[1].arn,
			    "arn:aws:iam::444455556666:role/ci/deploy");
	assert_int_equal(c->roles[1].n_managed_policy_arns, 1);
	assert_int_equal(c->roles[0].n_tags, 1);
	assert_non_null(c->roles[2].trust);
	assert_int_equal(c->n_managed_policies, 2);
	assert_non_null(gw_conf_find_managed_policy(c,
		"arn:aws:iam::444455556666:policy/deploy-artifacts"));
	assert_int_equal(c->n_accounts, 2);
	assert_int_equal(c->n_users, 2);
	assert_ptr_equal(gw_conf_find_user_by_key(c, "AKIAEXAMPLECIBOT0001",
						  NULL), &c->users[1]);
	assert_string_equal(c->users[0].keys[0].secret, ALICE_SECRET);
	assert_non_null(gw_conf_find_user(c,
		"arn:aws:iam::111122223333:user/engineers/alice"));
	gw_conf_free(c);
	free(errs);
	free(text);
}

/* ---- users, access keys, managed policies, accounts, tags ---- */

static const char users_yaml[] =
    "account_id: \"111122223333\"\n"
    "accounts:\n"
    "  \"111122223333\": prod\n"
    "  \"444455556666\": \"Staging (EU) \xc3\xa9t\xc3\xa9\"\n"
    "managed_policies:\n"
    "  s3-read:\n"
    "    Version: \"2012-10-17\"\n"
    "    Statement:\n"
    "      - {Effect: Allow, Action: \"s3:GetObject\", Resource: \"*\"}\n"
    "  ops-policy:\n"
    "    account_id: \"444455556666\"\n"
    "    document: '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
    "\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}'\n"
    "users:\n"
    "  - name: alice\n"
    "    path: /engineers/\n"
    "    access_keys:\n"
    "      - id: AKIAEXAMPLEALICE0001\n"
    "        secret_file: @SECRET@\n"
    "      - id: AKIAEXAMPLEALICE0002\n"
    "        secret: \"" INLINE_SECRET "\"\n"
    "    policies:\n"
    "      own:\n"
    "        Statement: [{Effect: Allow, Action: \"s3:PutObject\", "
    "Resource: \"arn:aws:s3:::u/${aws:username}/*\"}]\n"
    "    managed_policies: [\"arn:aws:iam::111122223333:policy/s3-read\"]\n"
    "    tags: {team: blue, \"cost center\": \"4711\", empty: \"\", "
    "\"r\xc3\xb4le\": \"d\xc3\xa9v\"}\n"
    "  - name: bob\n"
    "    account_id: \"444455556666\"\n"
    "    access_keys:\n"
    "      - {id: AKIAEXAMPLEBOB000001, secret_env: FEDGATE_TEST_BOB_SECRET}\n"
    "    managed_policies: [arn:aws:iam::444455556666:policy/ops-policy]\n"
    "  - name: carol\n"
    "roles:\n"
    "  - name: r\n"
    "    managed_policies: [arn:aws:iam::111122223333:policy/s3-read]\n"
    "    tags: {project: x, Owner: alice}\n"
    TRUST_MAP;

static int
is_b32(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '2' && s[i] <= '7')))
			return 0;
	return s[n] == '\0';
}

static void
check_users(const struct gw_conf *c)
{
	const struct gw_user *u;

	assert_int_equal(c->n_users, 3);
	u = &c->users[0];
	assert_string_equal(u->name, "alice");
	assert_string_equal(u->account_id, "111122223333");
	assert_string_equal(u->path, "/engineers/");
	assert_string_equal(u->arn,
			    "arn:aws:iam::111122223333:user/engineers/alice");
	/* SHA-256 of the ARN, RFC 4648 base32, first 17 (python3). */
	assert_string_equal(u->user_id, "AIDAEJMZP7BBD2P4CMKBV");
	assert_int_equal(u->line, 14);
	assert_int_equal(u->n_keys, 2);
	assert_string_equal(u->keys[0].id, "AKIAEXAMPLEALICE0001");
	/* One trailing newline of the file is not part of the secret. */
	assert_string_equal(u->keys[0].secret, ALICE_SECRET);
	assert_int_equal(u->keys[0].line, 17);
	assert_string_equal(u->keys[1].secret, INLINE_SECRET);
	assert_int_equal(u->n_policies, 1);
	assert_string_equal(u->policies[0].name, "own");
	assert_null(u->policies[0].arn);
	assert_non_null(u->policies[0].policy);
	assert_int_equal(u->n_managed_policy_arns, 1);
	assert_string_equal(u->managed_policy_arns[0],
			    "arn:aws:iam::111122223333:policy/s3-read");
	assert_int_equal(u->n_tags, 4);
	assert_string_equal(u->tags[1].key, "cost center");
	assert_string_equal(u->tags[1].value, "4711");
	assert_string_equal(u->tags[2].value, "");
	assert_string_equal(u->tags[3].key, "r\xc3\xb4le");

	u = &c->users[1];
	assert_string_equal(u->arn, "arn:aws:iam::444455556666:user/bob");
	assert_string_equal(u->path, "/");
	assert_string_equal(u->keys[0].secret, BOB_SECRET);
	assert_int_equal(u->keys[0].line, 29);
	assert_int_equal(u->n_tags, 0);

	u = &c->users[2];
	assert_string_equal(u->arn, "arn:aws:iam::111122223333:user/carol");
	assert_int_equal(u->n_keys, 0);
	assert_memory_equal(u->user_id, "AIDA", 4);
	assert_true(is_b32(u->user_id + 4, 17));
	assert_string_not_equal(u->user_id, c->users[0].user_id);
}

static void
check_managed(const struct gw_conf *c)
{
	const struct gw_named_policy *p;

	assert_int_equal(c->n_managed_policies, 2);
	p = &c->managed_policies[0];
	assert_string_equal(p->name, "s3-read");
	assert_string_equal(p->arn, "arn:aws:iam::111122223333:policy/s3-read");
	assert_non_null(p->policy);
	assert_non_null(strstr(p->json, "s3:GetObject"));
	p = &c->managed_policies[1];
	assert_string_equal(p->arn,
			    "arn:aws:iam::444455556666:policy/ops-policy");
	assert_string_equal(p->json, "{\"Version\":\"2012-10-17\",\"Statement\":"
			    "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
			    "\"Resource\":\"*\"}]}");
	assert_int_equal(c->n_accounts, 2);
	assert_string_equal(c->account_ids[1], "444455556666");
	assert_string_equal(c->account_names[1],
			    "Staging (EU) \xc3\xa9t\xc3\xa9");
	assert_int_equal(c->roles[0].n_managed_policy_arns, 1);
	assert_int_equal(c->roles[0].n_tags, 2);
	assert_string_equal(c->roles[0].tags[1].key, "Owner");
	assert_string_equal(c->roles[0].tags[1].value, "alice");
}

static void
check_finds(const struct gw_conf *c)
{
	const struct gw_access_key *k = NULL;

	assert_ptr_equal(gw_conf_find_user_by_key(c, "AKIAEXAMPLEALICE0002",
						  &k), &c->users[0]);
	assert_ptr_equal(k, &c->users[0].keys[1]);
	assert_ptr_equal(gw_conf_find_user_by_key(c, "AKIAEXAMPLEBOB000001",
						  NULL), &c->users[1]);
	k = NULL;
	assert_null(gw_conf_find_user_by_key(c, "AKIAEXAMPLEALICE000", &k));
	assert_null(k);
	assert_null(gw_conf_find_user_by_key(c, "akiaexamplealice0001", &k));
	assert_null(gw_conf_find_user_by_key(NULL, "AKIAEXAMPLEALICE0001",
					     &k));
	assert_ptr_equal(gw_conf_find_user(c,
		"arn:aws:iam::111122223333:user/engineers/alice"),
		&c->users[0]);
	assert_ptr_equal(gw_conf_find_user(c,
		"arn:aws:iam::444455556666:user/bob"), &c->users[1]);
	assert_null(gw_conf_find_user(c, "arn:aws:iam::111122223333:user/alice"));
	assert_null(gw_conf_find_user(c, "arn:aws:iam::111122223333:user/Carol"));
	assert_null(gw_conf_find_user(c, NULL));
	assert_ptr_equal(gw_conf_find_managed_policy(c,
		"arn:aws:iam::444455556666:policy/ops-policy"),
		&c->managed_policies[1]);
	assert_null(gw_conf_find_managed_policy(c,
		"arn:aws:iam::111122223333:policy/ops-policy"));
	assert_null(gw_conf_find_managed_policy(c, "s3-read"));
	/* Inline policies are not managed policies. */
	assert_null(gw_conf_find_managed_policy(c, "own"));
	assert_null(gw_conf_find_role(c, "arn:aws:iam::111122223333:user/carol"));
}

static void
test_users(void **state)
{
	struct gw_conf *c, *c2;
	char *errs = NULL;
	int nerr;

	c = load(users_yaml, &errs, &nerr);
	if (c == NULL)
		fail_msg("users config refused: %s", errs);
	assert_int_equal(nerr, 0);
	check_users(c);
	check_managed(c);
	check_finds(c);
	free(errs);
	/* User ids are a function of the ARN: the same on every load. */
	c2 = load(users_yaml, &errs, &nerr);
	assert_non_null(c2);
	assert_string_equal(c2->users[0].user_id, c->users[0].user_id);
	assert_string_equal(c2->users[2].user_id, c->users[2].user_id);
	gw_conf_free(c2);
	gw_conf_free(c);
	free(errs);

	c = load("users:\n  - name: bob\n", &errs, &nerr);
	if (c == NULL)
		fail_msg("refused: %s", errs);
	assert_string_equal(c->users[0].arn, "arn:aws:iam::000000000000:user/bob");
	assert_string_equal(c->users[0].user_id, "AIDAI6Z6T4R2HWX2HBNKJ");
	gw_conf_free(c);
	free(errs);
}

/* n tags named k0..k{n-1} on one user. */
static char *
many_tags(size_t n)
{
	char *t = malloc(64 + n * 16);
	size_t o, i;

	assert_non_null(t);
	o = (size_t)sprintf(t, "users:\n  - name: u\n    tags:\n");
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(t + o, "      k%zu: v\n", i);
	return t;
}

static void
test_tag_count(void **state)
{
	struct gw_conf *c;
	char *t, *errs = NULL;
	int nerr;

	t = many_tags(50);
	c = load(t, &errs, &nerr);
	if (c == NULL)
		fail_msg("50 tags refused: %s", errs);
	assert_int_equal(c->users[0].n_tags, 50);
	gw_conf_free(c);
	free(errs);
	free(t);
	t = many_tags(51);
	c = load(t, &errs, &nerr);
	assert_null(c);
	assert_int_equal(nerr, 1);
	assert_string_equal(errs, "t.yaml:4: users[0].tags: more than 50 "
			    "tags\n");
	free(errs);
	free(t);
}

/* Tag lengths count characters, not bytes: 128/256 pass, one more fails. */
static void
test_tag_lengths(void **state)
{
	static const struct {
		const char *name;
		const char *unit;	/* one character, maybe multi-byte */
		size_t nkey, nval;
		const char *want;	/* NULL: accepted */
	} cases[] = {
		{ "ascii max", "k", 128, 256, NULL },
		{ "two-byte max", "\xc3\xa9", 128, 256, NULL },
		{ "four-byte max", "\xf0\x9d\x90\x80", 128, 256, NULL },
		{ "key 129", "k", 129, 1, ": tag keys must be 1 to 128 " },
		{ "two-byte key 129", "\xc3\xa9", 129, 1,
		  ": tag keys must be 1 to 128 " },
		{ "value 257", "v", 1, 257, ": tag values must be 0 to 256 " },
		{ "two-byte value 257", "\xc3\xa9", 1, 257,
		  ": tag values must be 0 to 256 " },
	};
	size_t i, j, o;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t ul = strlen(cases[i].unit);
		char *t = malloc(1024 + (cases[i].nkey + cases[i].nval) * ul);
		struct gw_conf *c;
		char *errs = NULL;
		int nerr;

		assert_non_null(t);
		o = (size_t)sprintf(t, "roles:\n  - name: r\n" TRUST_MAP
				    "    tags:\n      \"");
		for (j = 0; j < cases[i].nkey; j++, o += ul)
			memcpy(t + o, cases[i].unit, ul);
		o += (size_t)sprintf(t + o, "\": \"");
		for (j = 0; j < cases[i].nval; j++, o += ul)
			memcpy(t + o, cases[i].unit, ul);
		strcpy(t + o, "\"\n");
		c = load(t, &errs, &nerr);
		if (cases[i].want == NULL && c == NULL)
			fail_msg("%s: refused: %s", cases[i].name, errs);
		if (cases[i].want != NULL &&
		    (c != NULL || nerr != 1 ||
		     strncmp(errs, "t.yaml:12: roles[0].tags.", 25) != 0 ||
		     strstr(errs, cases[i].want) == NULL))
			fail_msg("%s: got %d: %s", cases[i].name, nerr, errs);
		if (c != NULL)
			assert_int_equal(strlen(c->roles[0].tags[0].value),
					 cases[i].nval * ul);
		gw_conf_free(c);
		free(errs);
		free(t);
	}
}

/* IAM names are unique per account: the same name in two accounts is two
 * principals (or policies), with two ARNs and two ids. */
static void
test_per_account_names(void **state)
{
	static const char text[] =
	    "managed_policies:\n"
	    "  p: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}\n"
	    "  P2:\n"
	    "    account_id: \"444455556666\"\n"
	    "    document: {Statement: [{Effect: Deny, Action: '*', "
	    "Resource: '*'}]}\n"
	    "  p2:\n"
	    "    document: {Statement: [{Effect: Deny, Action: '*', "
	    "Resource: '*'}]}\n"
	    "users:\n"
	    "  - {name: alice, managed_policies: "
	    "[\"arn:aws:iam::000000000000:policy/p\"]}\n"
	    "  - {name: alice, account_id: \"444455556666\", managed_policies: "
	    "[\"arn:aws:iam::444455556666:policy/P2\"]}\n";
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load(text, &errs, &nerr);
	if (c == NULL)
		fail_msg("refused: %s", errs);
	assert_string_equal(c->managed_policies[1].arn,
			    "arn:aws:iam::444455556666:policy/P2");
	assert_string_equal(c->managed_policies[2].arn,
			    "arn:aws:iam::000000000000:policy/p2");
	assert_string_not_equal(c->users[0].arn, c->users[1].arn);
	assert_string_not_equal(c->users[0].user_id, c->users[1].user_id);
	assert_ptr_equal(gw_conf_find_user(c,
		"arn:aws:iam::444455556666:user/alice"), &c->users[1]);
	gw_conf_free(c);
	free(errs);
}

/*
 * Inline secrets depend on the config file's own mode: refused from a
 * 0644 file, accepted from a 0600 one.
 */
static void
test_inline_secret_file(void **state)
{
	static const char text[] =
	    "users:\n"
	    "  - name: u\n"
	    "    access_keys:\n"
	    "      - id: AKIAEXAMPLEINLINE001\n"
	    "        secret: \"" INLINE_SECRET "\"\n";
	struct gw_conf *c;
	char path[160], *errs = NULL, *want = NULL;
	size_t sz;
	int nerr;
	FILE *f;

	snprintf(path, sizeof(path), "%s/conf.yaml", tmpdir);
	assert_int_equal(write_file(path, text, 0644), 0);
	f = open_memstream(&errs, &sz);
	c = gw_conf_load(path, f, &nerr);
	fclose(f);
	assert_null(c);
	assert_int_equal(nerr, 1);
	assert_int_not_equal(asprintf(&want, "%s:5: users[0].access_keys[0]."
				      "secret: inline secrets require the "
				      "config file to be mode 0600 or "
				      "stricter (or use secret_file or "
				      "secret_env)\n", path), -1);
	assert_string_equal(errs, want);
	assert_null(strstr(errs, INLINE_SECRET));
	free(want);
	free(errs);

	assert_int_equal(chmod(path, 0640), 0);
	f = open_memstream(&errs, &sz);
	c = gw_conf_load(path, f, &nerr);
	fclose(f);
	assert_null(c);
	free(errs);

	assert_int_equal(chmod(path, 0600), 0);
	f = open_memstream(&errs, &sz);
	c = gw_conf_load(path, f, &nerr);
	fclose(f);
	if (c == NULL)
		fail_msg("0600 file refused: %s", errs);
	assert_string_equal(c->users[0].keys[0].secret, INLINE_SECRET);
	gw_conf_free(c);
	free(errs);
}

/* Whatever is wrong around a secret, its value stays out of messages. */
static void
test_secret_not_echoed(void **state)
{
	static const char text[] =
	    "users:\n"
	    "  - name: u\n"
	    "    access_keys:\n"
	    "      - id: AKIAEXAMPLEINLINE001\n"
	    "        secret: \"" INLINE_SECRET "\"\n"
	    "        secret_file: @SECRET@\n"
	    "      - id: \"" BOB_SECRET "\"\n"
	    "        secret_env: FEDGATE_TEST_BOB_SECRET\n"
	    "      - id: AKIAEXAMPLEINLINE002\n"
	    "        secret: \"" INLINE_SECRET "\\t\"\n"
	    "      - id: AKIAEXAMPLEINLINE003\n"
	    "        secret_env: FEDGATE_TEST_SHORT_SECRET\n"
	    "      - id: AKIAEXAMPLEINLINE004\n"
	    "        secret_file: @OPENSECRET@\n";
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load(text, &errs, &nerr);
	assert_null(c);
	assert_int_equal(nerr, 5);
	assert_null(strstr(errs, INLINE_SECRET));
	assert_null(strstr(errs, ALICE_SECRET));
	assert_null(strstr(errs, BOB_SECRET));
	assert_null(strstr(errs, "tiny"));
	free(errs);
}

/* ---- SAML providers and the SP block ---- */

static const char saml_yaml[] =
    "account_id: \"111122223333\"\n"
    "public_url: https://sts.example.com\n"
    "accounts:\n"
    "  \"222233334444\": other\n"
    "providers:\n"
    "  - name: entra\n"
    "    type: saml\n"
    "    preset: entra\n"
    "    metadata_file: @META@\n"
    "    refresh_seconds: 600\n"
    "  - name: dev\n"
    "    type: oidc\n"
    "    issuer: http://127.0.0.1:9000/oidc\n"
    "    audiences: [app]\n"
    "    jwks_file: @JWKS@\n"
    "  - type: saml\n"
    "    name: okta.corp\n"
    "    metadata_url: \"https://login.microsoftonline.com/t/"
    "federationmetadata/2007-06/federationmetadata.xml?appid=a-b\"\n"
    "  - {name: local, type: saml, metadata_url: "
    "\"http://127.0.0.1:8081/md\"}\n"
    "roles:\n"
    "  - name: r\n"
    "    account_id: \"444455556666\"\n"
    TRUST_MAP
    "users:\n"
    "  - name: u\n"
    "    account_id: \"555566667777\"\n";

static void
check_saml_idps(const struct gw_conf *c)
{
	const struct fed_saml_idp_config *p;

	/* providers stays OIDC-only; SAML entries keep their file order. */
	assert_int_equal(c->n_providers, 1);
	assert_string_equal(c->providers[0].name, "dev");
	assert_int_equal(c->provider_lines[0], 11);
	assert_int_equal(c->n_saml_idps, 3);
	p = &c->saml_idps[0];
	assert_string_equal(p->name, "entra");
	assert_string_equal(p->preset, "entra");
	assert_string_equal(p->metadata_file, meta_path);
	assert_null(p->metadata_url);
	assert_int_equal(p->refresh_seconds, 600);
	assert_int_equal(c->saml_idp_lines[0], 6);
	p = &c->saml_idps[1];
	assert_string_equal(p->name, "okta.corp");
	assert_null(p->preset);
	assert_null(p->metadata_file);
	assert_string_equal(p->metadata_url, "https://login.microsoftonline."
			    "com/t/federationmetadata/2007-06/"
			    "federationmetadata.xml?appid=a-b");
	assert_int_equal(p->refresh_seconds, 3600);
	assert_int_equal(c->saml_idp_lines[1], 16);
	assert_string_equal(c->saml_idps[2].metadata_url,
			    "http://127.0.0.1:8081/md");
	assert_int_equal(c->saml_idp_lines[2], 19);
}

static const struct {
	const char *arn;
	int want;
} saml_arns[] = {
	{ "arn:aws:iam::111122223333:saml-provider/entra", 0 },
	{ "arn:aws:iam::111122223333:saml-provider/okta.corp", 1 },
	{ "arn:aws:iam::222233334444:saml-provider/local", 2 },	/* accounts */
	{ "arn:aws:iam::444455556666:saml-provider/entra", 0 },	/* a role's */
	{ "arn:aws:iam::555566667777:saml-provider/entra", 0 },	/* a user's */
	{ "arn:aws:iam::999999999999:saml-provider/entra", -1 },
	{ "arn:aws:iam::000000000000:saml-provider/entra", -1 },
	{ "arn:aws:iam::111122223333:saml-provider/entra/", -1 },
	{ "arn:aws:iam::111122223333:saml-provider/entrax", -1 },
	{ "arn:aws:iam::111122223333:saml-provider/entra ", -1 },
	{ "arn:aws:iam::111122223333:saml-provider/Entra", -1 },
	{ "arn:aws:iam::111122223333:saml-provider/", -1 },
	{ "arn:aws:iam::111122223333:saml-provider/dev", -1 },	/* OIDC */
	{ "arn:aws:iam::111122223333:oidc-provider/entra", -1 },
	{ "arn:aws:iam::111122223333:saml-provider:entra", -1 },
	{ "arn:aws-cn:iam::111122223333:saml-provider/entra", -1 },
	{ "arn:aws:iam:us-east-1:111122223333:saml-provider/entra", -1 },
	{ "arn:aws:iam::11112222333:saml-provider/entra", -1 },
	{ "arn:aws:iam::1111222233334:saml-provider/entra", -1 },
	{ "arn:aws:iam::11112222333a:saml-provider/entra", -1 },
	{ "xarn:aws:iam::111122223333:saml-provider/entra", -1 },
	{ "entra", -1 },
	{ "", -1 },
};

static void
test_saml_provider(void **state)
{
	struct gw_conf *c;
	char *errs = NULL;
	size_t i;
	int nerr;

	c = load(saml_yaml, &errs, &nerr);
	if (c == NULL)
		fail_msg("SAML config refused: %s", errs);
	assert_int_equal(nerr, 0);
	check_saml_idps(c);
	for (i = 0; i < sizeof(saml_arns) / sizeof(saml_arns[0]); i++)
		if (gw_conf_find_saml_idp(c, saml_arns[i].arn) !=
		    saml_arns[i].want)
			fail_msg("'%s': got %d, want %d", saml_arns[i].arn,
				 gw_conf_find_saml_idp(c, saml_arns[i].arn),
				 saml_arns[i].want);
	assert_int_equal(gw_conf_find_saml_idp(c, NULL), -1);
	assert_int_equal(gw_conf_find_saml_idp(NULL,
		"arn:aws:iam::111122223333:saml-provider/entra"), -1);
	/* The block is absent: defaults from public_url. */
	assert_string_equal(c->saml_sp.entity_id, "urn:fedgate:sp");
	assert_string_equal(c->saml_sp.acs_url,
			    "https://sts.example.com/saml/acs");
	assert_int_equal(c->saml_sp.n_recipients, 0);
	assert_null(c->saml_sp.cert_file);
	assert_null(c->saml_sp.key_file);
	assert_int_equal(c->saml_sp.allow_sha1, 0);
	gw_conf_free(c);
	free(errs);
}

static void
test_saml_sp_defaults(void **state)
{
	static const struct {
		const char *yaml, *acs;
	} cases[] = {
		{ "{}\n", "http://127.0.0.1:8080/saml/acs" },
		{ "listen: \"[::1]:0\"\n", "http://[::1]:0/saml/acs" },
		{ "public_url: https://sts.example.com/\n",
		  "https://sts.example.com/saml/acs" },
		{ "public_url: https://h.example/fedgate//\n",
		  "https://h.example/fedgate/saml/acs" },
		{ "public_url: https://h.example/fedgate\nsaml_sp: {}\n",
		  "https://h.example/fedgate/saml/acs" },
		{ "public_url: https://h.example\nsaml_sp:\n"
		  "  acs_url: https://login.example/acs\n",
		  "https://login.example/acs" },
	};
	struct gw_conf *c;
	char *errs = NULL;
	size_t i;
	int nerr;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = load(cases[i].yaml, &errs, &nerr);
		if (c == NULL)
			fail_msg("case %zu refused: %s", i, errs);
		assert_string_equal(c->saml_sp.entity_id, "urn:fedgate:sp");
		assert_string_equal(c->saml_sp.acs_url, cases[i].acs);
		assert_int_equal(c->n_saml_idps, 0);
		assert_int_equal(gw_conf_find_saml_idp(c,
			"arn:aws:iam::000000000000:saml-provider/a"), -1);
		gw_conf_free(c);
		free(errs);
	}
}

/* Login blocks: values, defaults, the secret read from its file. */
static void
test_login(void **state)
{
	static const char text[] =
	    "public_url: https://sts.example.com\n"
	    "login: {title: \"Example Corp\", idle_timeout_seconds: 600}\n"
	    "saml_sp: {cert_file: @SPCERT@, key_file: @SPKEY@}\n"
	    "providers:\n"
	    "  - name: dev\n"
	    "    type: oidc\n"
	    "    issuer: http://127.0.0.1:9000/oidc\n"
	    "    audiences: [app, web]\n"
	    "    jwks_file: @JWKS@\n"
	    "    login:\n"
	    "      client_id: web\n"
	    "      client_secret_file: @SECRET@\n"
	    "      hosted_domain: example.com\n"
	    "      display_name: Google Workspace\n"
	    "  - name: corp\n"
	    "    type: saml\n"
	    "    metadata_file: @META@\n"
	    "    login: {initials: OK}\n"
	    "  - name: plain\n"
	    "    type: oidc\n"
	    "    issuer: http://127.0.0.1:9001/oidc\n"
	    "    audiences: [x]\n"
	    "    jwks_file: @JWKS@\n";
	const struct gw_login_provider *l;
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load(text, &errs, &nerr);
	if (c == NULL)
		fail_msg("refused: %s", errs);
	assert_int_equal(c->n_logins, 2);	/* "plain" has no login block */
	assert_null(gw_conf_find_login(c, "plain"));
	l = gw_conf_find_login(c, "dev");
	assert_non_null(l);
	assert_int_equal(l->kind, GW_LOGIN_OIDC);
	assert_string_equal(l->client_id, "web");
	assert_string_equal(l->issuer, "http://127.0.0.1:9000/oidc");
	assert_string_equal(l->client_secret, ALICE_SECRET);
	assert_string_equal(l->hosted_domain, "example.com");
	assert_string_equal(l->display_name, "Google Workspace");
	assert_string_equal(l->initials, "GW");
	assert_int_equal(l->n_scopes, 3);
	assert_string_equal(l->scopes[0], "openid");
	assert_int_equal(l->http_timeout_seconds, 5);
	l = gw_conf_find_login(c, "corp");
	assert_non_null(l);
	assert_int_equal(l->kind, GW_LOGIN_SAML);
	assert_string_equal(l->display_name, "corp");
	assert_string_equal(l->initials, "OK");
	assert_null(l->client_id);
	assert_string_equal(c->web.title, "Example Corp");
	assert_int_equal(c->web.session_lifetime, 28800);
	assert_int_equal(c->web.idle_timeout, 600);
	gw_conf_free(c);
	free(errs);
}

static void
test_saml_sp_block(void **state)
{
	static const char text[] =
	    "saml_sp:\n"
	    "  entity_id: \"https://sts.example.com/saml/metadata\"\n"
	    "  acs_url: https://sts.example.com/saml/acs\n"
	    "  recipients:\n"
	    "    - https://signin.aws.amazon.com/saml\n"
	    "    - https://eu-west-1.signin.aws.amazon.com/saml\n"
	    "  cert_file: @SPCERT@\n"
	    "  key_file: @SPKEY@\n"
	    "  allow_sha1: true\n";
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load(text, &errs, &nerr);
	if (c == NULL)
		fail_msg("saml_sp refused: %s", errs);
	assert_string_equal(c->saml_sp.entity_id,
			    "https://sts.example.com/saml/metadata");
	assert_string_equal(c->saml_sp.acs_url,
			    "https://sts.example.com/saml/acs");
	assert_int_equal(c->saml_sp.n_recipients, 2);
	assert_string_equal(c->saml_sp.recipients[1],
			    "https://eu-west-1.signin.aws.amazon.com/saml");
	assert_string_equal(c->saml_sp.cert_file, sp_cert);
	assert_string_equal(c->saml_sp.key_file, sp_key);
	assert_int_equal(c->saml_sp.allow_sha1, 1);
	gw_conf_free(c);
	free(errs);

	c = load("saml_sp:\n  allow_sha1: false\n  recipients: []\n"
		 "  entity_id: urn:amazon:webservices\n", &errs, &nerr);
	if (c == NULL)
		fail_msg("saml_sp refused: %s", errs);
	assert_int_equal(c->saml_sp.allow_sha1, 0);
	assert_int_equal(c->saml_sp.n_recipients, 0);
	assert_string_equal(c->saml_sp.entity_id, "urn:amazon:webservices");
	gw_conf_free(c);
	free(errs);
}

/* ---- errors: exact "t.yaml:LINE: message" lines ---- */

#define ALICE_KEY                                                       \
	"users:\n"                                                      \
	"  - name: alice\n"                                             \
	"    access_keys:\n"                                            \
	"      - id: AKIAEXAMPLEALICE0001\n"

#define SAML_A                                                          \
	"providers:\n"                                                  \
	"  - name: a\n"                                                 \
	"    type: saml\n"

#define MP_P                                                            \
	"managed_policies:\n"                                           \
	"  p: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}\n"

struct err_case {
	const char *name;
	const char *yaml;
	int nerr;
	const char *want;	/* a line (or line prefix) that must appear */
};

static const struct err_case err_cases[] = {
	/* login page ([4/5]) */
	{ "login client not an audience",
	  "providers:\n  - name: dev\n    type: oidc\n"
	  "    issuer: http://127.0.0.1:9000/oidc\n    audiences: [app]\n"
	  "    jwks_file: @JWKS@\n    login: {client_id: web}\n", 1,
	  "t.yaml:7: providers[0].login.client_id: web is not one of the "
	  "provider's audiences" },
	{ "login scopes without openid",
	  "providers:\n  - name: dev\n    type: oidc\n"
	  "    issuer: http://127.0.0.1:9000/oidc\n    audiences: [app]\n"
	  "    jwks_file: @JWKS@\n"
	  "    login: {client_id: app, scopes: [email]}\n", 1,
	  "t.yaml:7: providers[0].login.scopes: must include openid\n" },
	{ "login client id required",
	  "providers:\n  - name: dev\n    type: oidc\n"
	  "    issuer: http://127.0.0.1:9000/oidc\n    audiences: [app]\n"
	  "    jwks_file: @JWKS@\n    login: {display_name: Dev}\n", 1,
	  "t.yaml:7: providers[0].login: missing required key 'client_id'" },
	{ "login secret world-readable",
	  "providers:\n  - name: dev\n    type: oidc\n"
	  "    issuer: http://127.0.0.1:9000/oidc\n    audiences: [app]\n"
	  "    jwks_file: @JWKS@\n"
	  "    login: {client_id: app, client_secret_file: @OPENSECRET@}\n", 1,
	  "t.yaml:7: providers[0].login.client_secret_file: @OPENSECRET@: "
	  "accessible by group or other (mode 0644)" },
	{ "login secret file and env",
	  "providers:\n  - name: dev\n    type: oidc\n"
	  "    issuer: http://127.0.0.1:9000/oidc\n    audiences: [app]\n"
	  "    jwks_file: @JWKS@\n"
	  "    login: {client_id: app, client_secret_file: @SECRET@,\n"
	  "            client_secret_env: FEDGATE_TEST_BOB_SECRET}\n", 1,
	  "t.yaml:8: providers[0].login: client_secret_file and "
	  "client_secret_env are mutually exclusive\n" },
	{ "login initials too long",
	  "providers:\n  - name: dev\n    type: oidc\n"
	  "    issuer: http://127.0.0.1:9000/oidc\n    audiences: [app]\n"
	  "    jwks_file: @JWKS@\n"
	  "    login: {client_id: app, initials: ABCD}\n", 1,
	  "t.yaml:7: providers[0].login.initials: must be 1 to 3 characters" },
	{ "login oidc key in a saml login",
	  "saml_sp: {cert_file: @SPCERT@, key_file: @SPKEY@}\n"
	  "providers:\n  - name: corp\n    type: saml\n"
	  "    metadata_file: @META@\n    login: {client_id: app}\n", 1,
	  "t.yaml:6: providers[0].login.client_id: unknown key\n" },
	{ "saml login without sp key",
	  "providers:\n  - name: corp\n    type: saml\n"
	  "    metadata_file: @META@\n    login: {display_name: Corp}\n", 1,
	  "t.yaml:5: providers: corp: a SAML login needs saml_sp.key_file "
	  "and saml_sp.cert_file" },
	{ "login over plain http elsewhere",
	  "public_url: http://sts.example.com\n"
	  "providers:\n  - name: dev\n    type: oidc\n"
	  "    issuer: http://127.0.0.1:9000/oidc\n    audiences: [app]\n"
	  "    jwks_file: @JWKS@\n    login: {client_id: app}\n", 1,
	  "t.yaml:1: public_url: the login page needs https" },
	{ "login idle longer than lifetime",
	  "login: {session_lifetime_seconds: 600, idle_timeout_seconds: 900}\n",
	  1, "t.yaml:1: login.idle_timeout_seconds: longer than "
	  "session_lifetime_seconds\n" },
	{ "login lifetime range",
	  "login: {session_lifetime_seconds: 100}\n", 1,
	  "t.yaml:1: login.session_lifetime_seconds: must be between 300 and "
	  "86400\n" },
	{ "login unknown key", "login: {theme: dark}\n", 1,
	  "t.yaml:1: login.theme: unknown key\n" },
	{ "unknown key", "threads: 2\nfoo: 1\n", 1,
	  "t.yaml:2: foo: unknown key\n" },
	{ "duplicate key", "store: memory\n\nstore: memory\n", 1,
	  "t.yaml:3: store: duplicate key (first at line 1)\n" },
	{ "account unquoted", "account_id: 111122223333\n", 1,
	  "t.yaml:1: account_id: must be a quoted 12-digit string, e.g. "
	  "\"111122223333\"\n" },
	{ "account short", "threads: 2\naccount_id: \"12345\"\n", 1,
	  "t.yaml:2: account_id: must be a quoted 12-digit string" },
	{ "skew range", "clock_skew_seconds: 601\n", 1,
	  "t.yaml:1: clock_skew_seconds: must be between 0 and 600\n" },
	{ "skew type", "clock_skew_seconds: soon\n", 1,
	  "t.yaml:1: clock_skew_seconds: expected an integer\n" },
	{ "int quoted", "threads: \"4\"\n", 1,
	  "t.yaml:1: threads: expected an integer\n" },
	{ "int octal-looking", "threads: 010\n", 1,
	  "t.yaml:1: threads: expected an integer\n" },
	{ "threads range", "threads: 0\n", 1,
	  "t.yaml:1: threads: must be between 1 and 64\n" },
	{ "body range", "max_body_bytes: 100\n", 1,
	  "t.yaml:1: max_body_bytes: must be between 1024 and 1048576\n" },
	{ "listen no port", "listen: localhost\n", 1,
	  "t.yaml:1: listen: expected \"host:port\"\n" },
	{ "listen port range", "listen: 127.0.0.1:65536\n", 1,
	  "t.yaml:1: listen: port must be a number from 0 to 65535\n" },
	{ "listen v6 unbracketed", "listen: ::1:8080\n", 1,
	  "t.yaml:1: listen: IPv6 addresses must be bracketed" },
	{ "listen list item", "listen:\n  - 127.0.0.1:1\n  - nope\n", 1,
	  "t.yaml:3: listen[1]: expected \"host:port\"\n" },
	{ "listen map", "listen: {a: b}\n", 1,
	  "t.yaml:1: listen: expected a string, got a mapping\n" },
	{ "public_url scheme", "public_url: ftp://x\n", 1,
	  "t.yaml:1: public_url: must be an http:// or https:// URL" },
	{ "store redis", "store: redis://localhost\n", 1,
	  "t.yaml:1: store: a port is required: redis://HOST:PORT[/DB]" },
	{ "audit relative", "audit_log: audit.log\n", 1,
	  "t.yaml:1: audit_log: must be 'stdout', 'off' or an absolute "
	  "path\n" },
	{ "state_dir world-writable", "state_dir: @WWDIR@\n", 1,
	  "t.yaml:1: state_dir: @WWDIR@: is world-writable\n" },
	{ "alg none", PROVIDER_DEV "    algorithms: [RS256, none]\n", 1,
	  "t.yaml:7: providers[0].algorithms[1]: 'none' is never accepted" },
	{ "alg HS256", PROVIDER_DEV "    algorithms:\n      - HS256\n", 1,
	  "t.yaml:8: providers[0].algorithms[0]: HMAC algorithms are "
	  "refused" },
	{ "issuer http remote",
	  "providers:\n  - name: a\n    type: oidc\n"
	  "    issuer: http://idp.example.com\n    audiences: [x]\n", 1,
	  "t.yaml:4: providers[0].issuer: must use https://" },
	{ "audiences missing",
	  "providers:\n  - name: a\n    type: oidc\n"
	  "    issuer: https://idp.example.com\n", 1,
	  "t.yaml:2: providers[0]: missing required key 'audiences'\n" },
	{ "audiences empty",
	  "providers:\n  - name: a\n    type: oidc\n"
	  "    issuer: https://idp.example.com\n    audiences: []\n", 1,
	  "t.yaml:5: providers[0].audiences: must have 1 to 100 entries\n" },
	{ "issuer missing",
	  "providers:\n  - name: a\n    type: oidc\n    audiences: [x]\n", 1,
	  "t.yaml:2: providers[0]: missing required key 'issuer'" },
	{ "type saml with oidc keys",
	  "providers:\n  - name: a\n    type: saml\n"
	  "    issuer: https://idp.example.com\n    audiences: [x]\n"
	  "    metadata_file: @META@\n", 2,
	  "t.yaml:4: providers[0].issuer: unknown key\n"
	  "t.yaml:5: providers[0].audiences: unknown key\n" },
	{ "type unknown",
	  "providers:\n  - name: a\n    type: SAML\n"
	  "    issuer: https://idp.example.com\n    audiences: [x]\n", 1,
	  "t.yaml:3: providers[0].type: must be 'oidc' or 'saml'\n" },
	{ "type missing",
	  "providers:\n  - name: a\n"
	  "    issuer: https://idp.example.com\n    audiences: [x]\n", 1,
	  "t.yaml:2: providers[0]: missing required key 'type'" },
	{ "preset unknown",
	  "providers:\n  - name: a\n    preset: gogle\n    audiences: [x]\n",
	  2, "t.yaml:3: providers[0].preset: must be one of google" },
	{ "provider name chars",
	  "providers:\n  - name: a b\n    type: oidc\n"
	  "    issuer: https://i.example\n    audiences: [x]\n", 1,
	  "t.yaml:2: providers[0].name: must be 1 to 64 characters" },
	{ "jwks_file missing",
	  "providers:\n  - name: a\n    type: oidc\n"
	  "    issuer: https://i.example\n    audiences: [x]\n"
	  "    jwks_file: /nonexistent/jwks.json\n", 1,
	  "t.yaml:6: providers[0].jwks_file: /nonexistent/jwks.json: No such "
	  "file or directory\n" },
	{ "jwks both",
	  "providers:\n  - name: a\n    type: oidc\n"
	  "    issuer: https://i.example\n    audiences: [x]\n"
	  "    jwks_uri: https://i.example/k\n    jwks_file: @JWKS@\n", 1,
	  "t.yaml:7: providers[0].jwks_file: jwks_uri and jwks_file are "
	  "mutually exclusive\n" },
	{ "provider unknown key", PROVIDER_DEV "    client_secret: x\n", 1,
	  "t.yaml:7: providers[0].client_secret: unknown key\n" },
	{ "provider duplicate name", PROVIDER_DEV
	  "  - name: dev\n    type: oidc\n    issuer: https://other.example\n"
	  "    audiences: [x]\n", 1,
	  "t.yaml:7: providers[1].name: provider 'dev' already defined at "
	  "line 2\n" },
	{ "provider shared issuer", PROVIDER_DEV
	  "  - name: dev2\n    type: oidc\n"
	  "    issuer: http://127.0.0.1:9000/oidc\n    audiences: [x]\n", 1,
	  "t.yaml:9: providers[1]: issuer 'http://127.0.0.1:9000/oidc' is "
	  "already used by provider 'dev'\n" },
	{ "role duration range", "roles:\n  - name: r\n"
	  "    max_session_duration: 100\n" TRUST_MAP, 1,
	  "t.yaml:3: roles[0].max_session_duration: must be between 900 and "
	  "43200\n" },
	{ "role duration type", "roles:\n  - name: r\n" TRUST_MAP
	  "    max_session_duration: [1]\n", 1,
	  "t.yaml:11: roles[0].max_session_duration: expected an integer\n" },
	{ "role name chars", "roles:\n  - name: \"r/1\"\n" TRUST_MAP, 1,
	  "t.yaml:2: roles[0].name: must be 1 to 64 characters" },
	{ "role trust missing", "roles:\n  - name: r\n    path: /\n", 1,
	  "t.yaml:2: roles[0]: missing required key 'trust_policy'\n" },
	{ "role trust malformed", "roles:\n  - name: r\n"
	  "    trust_policy:\n      Statement:\n        - Effect: Maybe\n"
	  "          Principal: '*'\n          Action: 'sts:*'\n", 1,
	  "t.yaml:3: roles[0].trust_policy: MalformedPolicyDocument: " },
	{ "role trust bad json", "roles:\n  - name: r\n"
	  "    trust_policy: '{\"Statement\": ['\n", 1,
	  "t.yaml:3: roles[0].trust_policy: MalformedPolicyDocument: " },
	{ "role trust list", "roles:\n  - name: r\n    trust_policy: [1]\n",
	  1, "t.yaml:3: roles[0].trust_policy: expected a mapping or a JSON "
	  "string, got a list\n" },
	{ "role trust duplicate member", "roles:\n  - name: r\n" TRUST_MAP
	  "      Version: \"2012-10-17\"\n", 1,
	  "t.yaml:11: roles[0].trust_policy: duplicate key 'Version'\n" },
	{ "role identity policy with principal", "roles:\n  - name: r\n"
	  TRUST_MAP "    policies:\n      p1:\n        Statement:\n"
	  "          - {Effect: Allow, Principal: '*', Action: '*', "
	  "Resource: '*'}\n", 1,
	  "t.yaml:12: roles[0].policies.p1: MalformedPolicyDocument: " },
	{ "role path", "roles:\n  - name: r\n    path: team\n" TRUST_MAP, 1,
	  "t.yaml:3: roles[0].path: must be '/' or look like" },
	{ "role duplicate", "roles:\n  - name: r\n" TRUST_MAP
	  "  - name: R\n" TRUST_MAP, 1,
	  "t.yaml:11: roles[1].name: role 'R' already defined in account "
	  "000000000000 at line 2\n" },
	{ "roles not a list", "roles: {name: r}\n", 1,
	  "t.yaml:1: roles: expected a list, got a mapping\n" },
	{ "yaml alias",
	  "providers:\n  - &p\n    name: a\n  - *p\n", 2,
	  "t.yaml:4: YAML aliases (*p) are not supported\n" },
	{ "yaml anchor", "threads: &t 4\n", 1,
	  "t.yaml:1: YAML anchors (&t) are not supported\n" },
	{ "yaml tag", "state_dir: !!binary aGVsbG8=\n", 1,
	  "t.yaml:1: YAML tag 'tag:yaml.org,2002:binary' is not supported\n" },
	{ "yaml syntax", "threads: 2\nroles: [\n", 1,
	  "t.yaml:3: YAML syntax error: " },
	{ "two documents", "threads: 2\n---\nthreads: 3\n", 1,
	  "t.yaml:2: only one YAML document is allowed\n" },
	{ "top not mapping", "- a\n- b\n", 1,
	  "t.yaml:1: top level must be a mapping, got a list\n" },
	{ "empty", "", 1, "t.yaml: configuration is empty\n" },
	{ "nul in string", "state_dir: \"/tmp/a\\0b\"\n", 1,
	  "t.yaml:1: state_dir: contains a NUL character\n" },
	{ "null value", "public_url:\nthreads: 2\n", 1,
	  "t.yaml:1: public_url: expected a string, got null\n" },
	{ "complex key", "? [a]\n: 1\n", 1,
	  "t.yaml:1: mapping keys must be strings\n" },
	{ "listen too many",
	  "listen: [a:1, a:2, a:3, a:4, a:5, a:6, a:7, a:8, a:9]\n", 1,
	  "t.yaml:1: listen: must have 1 to 8 entries\n" },
	{ "listen empty host", "listen: \":80\"\n", 1,
	  "t.yaml:1: listen: missing host" },
	{ "issuer with query",
	  "providers:\n  - name: a\n    type: oidc\n"
	  "    issuer: https://i.example/?a=b\n    audiences: [x]\n", 1,
	  "t.yaml:4: providers[0].issuer: must be an https:// URL without "
	  "query or fragment\n" },
	{ "jwks_uri http remote", PROVIDER_DEV
	  "  - name: b\n    type: oidc\n    issuer: https://b.example\n"
	  "    audiences: [x]\n    jwks_uri: http://b.example/keys\n", 1,
	  "t.yaml:11: providers[1].jwks_uri: must use https://" },
	{ "alias clashes with issuer", PROVIDER_DEV
	  "  - name: b\n    type: oidc\n    issuer: https://b.example\n"
	  "    issuer_aliases: [\"http://127.0.0.1:9000/oidc\"]\n"
	  "    audiences: [x]\n", 1,
	  "t.yaml:9: providers[1]: issuer 'http://127.0.0.1:9000/oidc' is "
	  "already used by provider 'dev'\n" },
	{ "cognito user pool without issuer",
	  "providers:\n  - name: c\n    preset: cognito-user-pool\n"
	  "    audiences: [x]\n", 1,
	  "t.yaml:3: providers[0].preset: " },
	{ "provider not a mapping", "providers: [x]\n", 1,
	  "t.yaml:1: providers[0]: expected a mapping, got a scalar\n" },
	{ "audiences scalar",
	  "providers:\n  - name: a\n    type: oidc\n"
	  "    issuer: https://i.example\n    audiences: x\n", 1,
	  "t.yaml:5: providers[0].audiences: expected a list, got a "
	  "scalar\n" },
	{ "audience not a string",
	  "providers:\n  - name: a\n    type: oidc\n"
	  "    issuer: https://i.example\n    audiences:\n      - [a]\n", 1,
	  "t.yaml:6: providers[0].audiences[0]: expected a string, got a "
	  "list\n" },
	{ "role unknown key", "roles:\n  - name: r\n    arn: x\n" TRUST_MAP,
	  1, "t.yaml:3: roles[0].arn: unknown key\n" },
	{ "role account unquoted", "roles:\n  - name: r\n"
	  "    account_id: 444455556666\n" TRUST_MAP, 1,
	  "t.yaml:3: roles[0].account_id: must be a quoted 12-digit string" },
	{ "policies not a mapping", "roles:\n  - name: r\n" TRUST_MAP
	  "    policies: [a]\n", 1,
	  "t.yaml:11: roles[0].policies: expected a mapping of name to "
	  "policy, got a list\n" },
	{ "policy name", "roles:\n  - name: r\n" TRUST_MAP
	  "    policies:\n      \"a b\": '{}'\n", 1,
	  "t.yaml:12: roles[0].policies.a b: policy names must be 1 to 128 "
	  "characters" },
	/* users and access keys */
	{ "secret file 0644", ALICE_KEY "        secret_file: @OPENSECRET@\n", 1,
	  "t.yaml:5: users[0].access_keys[0].secret_file: @OPENSECRET@: "
	  "accessible by group or other (mode 0644); run 'chmod 600 "
	  "@OPENSECRET@'\n" },
	{ "secret file missing", ALICE_KEY
	  "        secret_file: /nonexistent/s\n", 1,
	  "t.yaml:5: users[0].access_keys[0].secret_file: /nonexistent/s: No "
	  "such file or directory\n" },
	{ "secret file short", ALICE_KEY "        secret_file: @SHORTSECRET@\n",
	  1, "t.yaml:5: users[0].access_keys[0].secret_file: @SHORTSECRET@: "
	  "the secret must be 16 to 128 printable ASCII characters (one "
	  "trailing newline is ignored)\n" },
	{ "secret file directory", ALICE_KEY "        secret_file: @DIR@\n", 1,
	  "t.yaml:5: users[0].access_keys[0].secret_file: @DIR@: not a "
	  "regular file\n" },
	{ "secret_env unset", ALICE_KEY
	  "        secret_env: FEDGATE_TEST_UNSET_SECRET\n", 1,
	  "t.yaml:5: users[0].access_keys[0].secret_env: environment variable "
	  "FEDGATE_TEST_UNSET_SECRET is not set or empty\n" },
	{ "secret_env empty", ALICE_KEY
	  "        secret_env: FEDGATE_TEST_EMPTY_SECRET\n", 1,
	  "t.yaml:5: users[0].access_keys[0].secret_env: environment variable "
	  "FEDGATE_TEST_EMPTY_SECRET is not set or empty\n" },
	{ "secret_env short", ALICE_KEY
	  "        secret_env: FEDGATE_TEST_SHORT_SECRET\n", 1,
	  "t.yaml:5: users[0].access_keys[0].secret_env: "
	  "FEDGATE_TEST_SHORT_SECRET: the secret must be 16 to 128 printable "
	  "ASCII characters\n" },
	{ "secret_env bad name", ALICE_KEY "        secret_env: 1BAD\n", 1,
	  "t.yaml:5: users[0].access_keys[0].secret_env: must be an "
	  "environment variable name" },
	{ "inline secret short", ALICE_KEY "        secret: shortsecret\n", 1,
	  "t.yaml:5: users[0].access_keys[0].secret: the secret must be 16 to "
	  "128 printable ASCII characters\n" },
	{ "two secret sources", ALICE_KEY
	  "        secret_env: FEDGATE_TEST_BOB_SECRET\n"
	  "        secret_file: @SECRET@\n", 1,
	  "t.yaml:6: users[0].access_keys[0]: secret_file, secret_env and "
	  "secret are mutually exclusive\n" },
	{ "three secret sources", ALICE_KEY
	  "        secret: \"" INLINE_SECRET "\"\n"
	  "        secret_file: @SECRET@\n"
	  "        secret_env: FEDGATE_TEST_BOB_SECRET\n", 1,
	  "t.yaml:7: users[0].access_keys[0]: secret_file, secret_env and "
	  "secret are mutually exclusive\n" },
	{ "missing secret", ALICE_KEY, 1,
	  "t.yaml:4: users[0].access_keys[0]: missing secret: set one of "
	  "secret_file, secret_env or secret\n" },
	{ "key id lowercase", "users:\n  - name: a\n    access_keys:\n"
	  "      - id: AKIAexample00000001\n        secret_file: @SECRET@\n", 1,
	  "t.yaml:4: users[0].access_keys[0].id: must match "
	  "AKIA[A-Z0-9]{12,124}\n" },
	{ "key id short", "users:\n  - name: a\n    access_keys:\n"
	  "      - {id: AKIA12345678901, secret_file: @SECRET@}\n", 1,
	  "t.yaml:4: users[0].access_keys[0].id: must match "
	  "AKIA[A-Z0-9]{12,124}\n" },
	{ "key id ASIA", "users:\n  - name: a\n    access_keys:\n"
	  "      - {id: ASIAEXAMPLE000000001, secret_file: @SECRET@}\n", 1,
	  "t.yaml:4: users[0].access_keys[0].id: must match "
	  "AKIA[A-Z0-9]{12,124}\n" },
	{ "key id missing", "users:\n  - name: a\n    access_keys:\n"
	  "      - secret_file: @SECRET@\n", 1,
	  "t.yaml:4: users[0].access_keys[0]: missing required key 'id'\n" },
	{ "key unknown field", ALICE_KEY "        secret_file: @SECRET@\n"
	  "        secret_access_key: x\n", 1,
	  "t.yaml:6: users[0].access_keys[0].secret_access_key: unknown key\n" },
	{ "duplicate key id across users", ALICE_KEY
	  "        secret_file: @SECRET@\n"
	  "  - name: bob\n    access_keys:\n"
	  "      - {id: AKIAEXAMPLEALICE0001, secret_env: "
	  "FEDGATE_TEST_BOB_SECRET}\n", 1,
	  "t.yaml:8: users[1].access_keys[0].id: access key id "
	  "AKIAEXAMPLEALICE0001 is already used at line 4\n" },
	{ "access_keys not a list", "users:\n  - name: a\n"
	  "    access_keys: {id: x}\n", 1,
	  "t.yaml:3: users[0].access_keys: expected a list, got a mapping\n" },
	{ "user duplicate", "users:\n  - name: alice\n  - name: Alice\n", 1,
	  "t.yaml:3: users[1].name: user 'Alice' already defined in account "
	  "000000000000 at line 2\n" },
	{ "user path", "users:\n  - name: a\n    path: engineers\n", 1,
	  "t.yaml:3: users[0].path: must be '/' or look like" },
	{ "user name chars", "users:\n  - name: \"a/b\"\n", 1,
	  "t.yaml:2: users[0].name: must be 1 to 64 characters" },
	{ "user unknown key", "users:\n  - name: a\n    password: x\n", 1,
	  "t.yaml:3: users[0].password: unknown key\n" },
	{ "user name missing", "users:\n  - path: /\n", 1,
	  "t.yaml:2: users[0]: missing required key 'name'\n" },
	{ "user account unquoted", "users:\n  - name: a\n"
	  "    account_id: 444455556666\n", 1,
	  "t.yaml:3: users[0].account_id: must be a quoted 12-digit string" },
	{ "users not a list", "users: {a: b}\n", 1,
	  "t.yaml:1: users: expected a list, got a mapping\n" },
	{ "user not a mapping", "users: [a]\n", 1,
	  "t.yaml:1: users[0]: expected a mapping, got a scalar\n" },
	{ "user policy malformed", "users:\n  - name: a\n    policies:\n"
	  "      p: {Statement: [{Effect: Allow, Principal: '*', Action: '*', "
	  "Resource: '*'}]}\n", 1,
	  "t.yaml:4: users[0].policies.p: MalformedPolicyDocument: " },

	/* managed policies */
	{ "user managed undefined", "users:\n  - name: a\n"
	  "    managed_policies: [\"arn:aws:iam::000000000000:policy/nope\"]\n",
	  1, "t.yaml:3: users[0].managed_policies[0]: managed policy "
	  "'arn:aws:iam::000000000000:policy/nope' is not defined in "
	  "managed_policies\n" },
	{ "role managed undefined", "roles:\n  - name: r\n" TRUST_MAP
	  "    managed_policies:\n"
	  "      - arn:aws:iam::000000000000:policy/nope\n", 1,
	  "t.yaml:12: roles[0].managed_policies[0]: managed policy "
	  "'arn:aws:iam::000000000000:policy/nope' is not defined in "
	  "managed_policies\n" },
	{ "managed arn malformed", "users:\n  - name: a\n"
	  "    managed_policies: [s3-read]\n", 1,
	  "t.yaml:3: users[0].managed_policies[0]: must be a managed policy "
	  "ARN, arn:aws:iam::ACCOUNT:policy/NAME\n" },
	{ "managed of another account", MP_P "users:\n  - name: a\n"
	  "    account_id: \"444455556666\"\n"
	  "    managed_policies: [\"arn:aws:iam::000000000000:policy/p\"]\n", 1,
	  "t.yaml:6: users[0].managed_policies[0]: "
	  "'arn:aws:iam::000000000000:policy/p' belongs to another account; "
	  "only managed policies of account 444455556666 can be attached\n" },
	{ "managed attached twice", MP_P "roles:\n  - name: r\n" TRUST_MAP
	  "    managed_policies: [\"arn:aws:iam::000000000000:policy/p\", "
	  "\"arn:aws:iam::000000000000:policy/p\"]\n", 1,
	  "t.yaml:13: roles[0].managed_policies[1]: policy attached twice\n" },
	{ "managed duplicate name", MP_P
	  "  P: {Statement: [{Effect: Deny, Action: '*', Resource: '*'}]}\n", 1,
	  "t.yaml:3: managed_policies.P: managed policy 'P' already defined in "
	  "account 000000000000 at line 2\n" },
	{ "managed bad name", "managed_policies:\n  \"a b\": '{}'\n", 1,
	  "t.yaml:2: managed_policies.a b: policy names must be 1 to 128 "
	  "characters" },
	{ "managed long form without document", "managed_policies:\n  p:\n"
	  "    account_id: \"444455556666\"\n", 1,
	  "t.yaml:3: managed_policies.p: missing required key 'document'\n" },
	{ "managed long form unknown key", "managed_policies:\n  p:\n"
	  "    document: {Statement: [{Effect: Allow, Action: '*', "
	  "Resource: '*'}]}\n    Version: \"2012-10-17\"\n", 1,
	  "t.yaml:4: managed_policies.p.Version: unknown key\n" },
	{ "managed long form bad account", "managed_policies:\n  p:\n"
	  "    account_id: \"4444\"\n"
	  "    document: {Statement: [{Effect: Allow, Action: '*', "
	  "Resource: '*'}]}\n", 1,
	  "t.yaml:3: managed_policies.p.account_id: must be a quoted 12-digit "
	  "string" },
	{ "managed malformed", "managed_policies:\n  p:\n"
	  "    Statement: [{Effect: Maybe, Action: '*', Resource: '*'}]\n", 1,
	  "t.yaml:2: managed_policies.p: MalformedPolicyDocument: " },
	{ "managed long form malformed", "managed_policies:\n  p:\n"
	  "    document: '{\"Statement\": ['\n", 1,
	  "t.yaml:3: managed_policies.p.document: MalformedPolicyDocument: " },
	{ "managed not a mapping", "managed_policies: [a]\n", 1,
	  "t.yaml:1: managed_policies: expected a mapping of name to policy, "
	  "got a list\n" },

	/* tags */
	{ "tag key chars", "users:\n  - name: u\n    tags: {\"a#b\": x}\n", 1,
	  "t.yaml:3: users[0].tags.a#b: tag keys must be 1 to 128 letters, "
	  "digits, spaces or _.:/=+-@\n" },
	{ "tag key empty", "users:\n  - name: u\n    tags: {\"\": x}\n", 1,
	  "t.yaml:3: users[0].tags.: tag keys must be 1 to 128 letters" },
	{ "tag key aws prefix", "users:\n  - name: u\n    tags: {\"AWS:x\": y}\n",
	  1, "t.yaml:3: users[0].tags.AWS:x: tag keys must not start with "
	  "'aws:' (reserved)\n" },
	{ "tag value chars", "users:\n  - name: u\n    tags: {a: \"x;y\"}\n", 1,
	  "t.yaml:3: users[0].tags.a: tag values must be 0 to 256 letters, "
	  "digits, spaces or _.:/=+-@\n" },
	{ "tag value C1 control", "users:\n  - name: u\n    tags:\n"
	  "      a: \"\\x85\"\n", 1,
	  "t.yaml:4: users[0].tags.a: tag values must be 0 to 256" },
	{ "tag value null", "users:\n  - name: u\n    tags: {a: }\n", 1,
	  "t.yaml:3: users[0].tags.a: expected a string, got null\n" },
	{ "tag keys differ in case", "users:\n  - name: u\n    tags:\n"
	  "      Team: a\n      team: b\n", 1,
	  "t.yaml:5: users[0].tags.team: duplicate tag key (keys are "
	  "case-insensitive; first at line 4)\n" },
	{ "tags not a mapping", "users:\n  - name: u\n    tags: [a]\n", 1,
	  "t.yaml:3: users[0].tags: expected a mapping of key to value, got a "
	  "list\n" },
	{ "role tag reserved", "roles:\n  - name: r\n" TRUST_MAP
	  "    tags: {\"aws:x\": y}\n", 1,
	  "t.yaml:11: roles[0].tags.aws:x: tag keys must not start with "
	  "'aws:' (reserved)\n" },

	/* SAML providers and the SP block */
	{ "saml both metadata sources", SAML_A "    metadata_file: @META@\n"
	  "    metadata_url: https://idp.example.com/md\n", 1,
	  "t.yaml:5: providers[0].metadata_url: metadata_file and "
	  "metadata_url are mutually exclusive\n" },
	{ "saml both metadata sources, file last", SAML_A
	  "    metadata_url: https://idp.example.com/md\n"
	  "    metadata_file: @META@\n", 1,
	  "t.yaml:5: providers[0].metadata_file: metadata_file and "
	  "metadata_url are mutually exclusive\n" },
	{ "saml no metadata", SAML_A "    preset: okta\n", 1,
	  "t.yaml:2: providers[0]: missing metadata: set one of metadata_file "
	  "or metadata_url\n" },
	{ "saml metadata_url http remote", SAML_A
	  "    metadata_url: http://idp.example.com/md\n", 1,
	  "t.yaml:4: providers[0].metadata_url: must use https:// (http:// is "
	  "allowed only for 127.0.0.1, localhost and [::1])\n" },
	{ "saml metadata_url fragment", SAML_A
	  "    metadata_url: https://idp.example.com/md?a=b#c\n", 1,
	  "t.yaml:4: providers[0].metadata_url: must be an https:// URL "
	  "without fragment\n" },
	{ "saml metadata_url ftp", SAML_A
	  "    metadata_url: ftp://idp.example.com/md\n", 1,
	  "t.yaml:4: providers[0].metadata_url: must be an https:// URL" },
	{ "saml metadata_file missing", SAML_A
	  "    metadata_file: /nonexistent/idp.xml\n", 1,
	  "t.yaml:4: providers[0].metadata_file: /nonexistent/idp.xml: No "
	  "such file or directory\n" },
	{ "saml metadata_file directory", SAML_A "    metadata_file: @DIR@\n",
	  1, "t.yaml:4: providers[0].metadata_file: @DIR@: not a regular "
	  "file\n" },
	{ "saml metadata_file too big", SAML_A
	  "    metadata_file: @BIGMETA@\n", 1,
	  "t.yaml:4: providers[0].metadata_file: @BIGMETA@: larger than "
	  "1048576 bytes\n" },
	{ "saml unknown key", SAML_A "    metadata_file: @META@\n"
	  "    audiences: [x]\n", 1,
	  "t.yaml:5: providers[0].audiences: unknown key\n" },
	{ "saml bad preset", SAML_A "    metadata_file: @META@\n"
	  "    preset: azure\n", 1,
	  "t.yaml:5: providers[0].preset: must be one of entra, okta, "
	  "google\n" },
	{ "saml preset on an oidc provider",
	  "providers:\n  - name: a\n    preset: entra\n    audiences: [x]\n",
	  2, "t.yaml:3: providers[0].preset: must be one of google, "
	  "cognito-identity, cognito-user-pool, apple, facebook (entra and "
	  "okta are SAML presets: add 'type: saml')\n" },
	{ "saml refresh range", SAML_A "    metadata_file: @META@\n"
	  "    refresh_seconds: 59\n", 1,
	  "t.yaml:5: providers[0].refresh_seconds: must be between 60 and "
	  "86400\n" },
	{ "saml name chars", "providers:\n  - name: a/b\n    type: saml\n"
	  "    metadata_file: @META@\n", 1,
	  "t.yaml:2: providers[0].name: must be 1 to 64 characters" },
	{ "saml name missing", "providers:\n  - type: saml\n"
	  "    metadata_file: @META@\n", 1,
	  "t.yaml:2: providers[0]: missing required key 'name'\n" },
	{ "saml name taken by oidc", PROVIDER_DEV
	  "  - name: dev\n    type: saml\n    metadata_file: @META@\n", 1,
	  "t.yaml:7: providers[1].name: provider 'dev' already defined at "
	  "line 2\n" },
	{ "oidc name taken by saml", SAML_A "    metadata_file: @META@\n"
	  "  - name: a\n    type: oidc\n    issuer: https://i.example\n"
	  "    audiences: [x]\n", 1,
	  "t.yaml:5: providers[1].name: provider 'a' already defined at line "
	  "2\n" },
	{ "saml name twice", SAML_A "    metadata_file: @META@\n"
	  "  - name: b\n    type: saml\n"
	  "    metadata_url: https://idp.example.com/md\n"
	  "  - name: a\n    type: saml\n"
	  "    metadata_url: https://idp.example.com/md2\n", 1,
	  "t.yaml:8: providers[2].name: provider 'a' already defined at line "
	  "2\n" },
	{ "sp key_file 0644", "saml_sp:\n  cert_file: @SPCERT@\n"
	  "  key_file: @OPENKEY@\n", 1,
	  "t.yaml:3: saml_sp.key_file: @OPENKEY@: accessible by group or "
	  "other (mode 0644); run 'chmod 600 @OPENKEY@'\n" },
	{ "sp cert without key", "saml_sp:\n  cert_file: @SPCERT@\n", 1,
	  "t.yaml:2: saml_sp.cert_file: cert_file and key_file must be set "
	  "together (key_file is missing)\n" },
	{ "sp key without cert", "saml_sp:\n  key_file: @SPKEY@\n", 1,
	  "t.yaml:2: saml_sp.key_file: cert_file and key_file must be set "
	  "together (cert_file is missing)\n" },
	{ "sp cert missing", "saml_sp:\n  cert_file: /nonexistent/sp.crt\n"
	  "  key_file: @SPKEY@\n", 1,
	  "t.yaml:2: saml_sp.cert_file: /nonexistent/sp.crt: No such file or "
	  "directory\n" },
	{ "sp key missing", "saml_sp:\n  cert_file: @SPCERT@\n"
	  "  key_file: /nonexistent/sp.key\n", 1,
	  "t.yaml:3: saml_sp.key_file: /nonexistent/sp.key: No such file or "
	  "directory\n" },
	{ "sp key directory", "saml_sp:\n  cert_file: @SPCERT@\n"
	  "  key_file: @DIR@\n", 1,
	  "t.yaml:3: saml_sp.key_file: @DIR@: not a regular file\n" },
	{ "sp allow_sha1 yes", "saml_sp:\n  allow_sha1: yes\n", 1,
	  "t.yaml:2: saml_sp.allow_sha1: expected true or false\n" },
	{ "sp allow_sha1 quoted", "saml_sp:\n  allow_sha1: \"true\"\n", 1,
	  "t.yaml:2: saml_sp.allow_sha1: expected true or false\n" },
	{ "sp entity_id empty", "saml_sp:\n  entity_id: \"\"\n", 1,
	  "t.yaml:2: saml_sp.entity_id: must be 1 to 1024 characters, without "
	  "control characters\n" },
	{ "sp entity_id control", "saml_sp:\n  entity_id: \"urn:a\\nb\"\n", 1,
	  "t.yaml:2: saml_sp.entity_id: must be 1 to 1024 characters" },
	{ "sp entity_id null", "saml_sp:\n  entity_id:\n", 1,
	  "t.yaml:2: saml_sp.entity_id: expected a string, got null\n" },
	{ "sp acs_url scheme", "saml_sp:\n  acs_url: ftp://sts.example\n", 1,
	  "t.yaml:2: saml_sp.acs_url: must be an http:// or https:// URL" },
	{ "sp recipients scalar",
	  "saml_sp:\n  recipients: https://signin.aws.amazon.com/saml\n", 1,
	  "t.yaml:2: saml_sp.recipients: expected a list, got a scalar\n" },
	{ "sp recipient not a URL", "saml_sp:\n  recipients:\n"
	  "    - https://signin.aws.amazon.com/saml\n    - signin\n", 1,
	  "t.yaml:4: saml_sp.recipients[1]: must be an http:// or https:// "
	  "URL" },
	{ "sp unknown key", "saml_sp:\n  audience: urn:x\n", 1,
	  "t.yaml:2: saml_sp.audience: unknown key\n" },
	{ "sp not a mapping", "saml_sp: [a]\n", 1,
	  "t.yaml:1: saml_sp: expected a mapping, got a list\n" },

	/* accounts */
	{ "account id unquoted", "accounts:\n  111122223333: prod\n", 1,
	  "t.yaml:2: accounts.111122223333: account ids must be quoted "
	  "12-digit strings, e.g. \"111122223333\"\n" },
	{ "account id short", "accounts:\n  \"12345\": prod\n", 1,
	  "t.yaml:2: accounts.12345: account ids must be quoted 12-digit "
	  "strings" },
	{ "account id letters", "accounts:\n  \"11112222333a\": prod\n", 1,
	  "t.yaml:2: accounts.11112222333a: account ids must be quoted" },
	{ "account listed twice", "accounts:\n  \"111122223333\": a\n"
	  "  \"111122223333\": b\n", 1,
	  "t.yaml:3: accounts.111122223333: account listed twice\n" },
	{ "account name empty", "accounts:\n  \"111122223333\": \"\"\n", 1,
	  "t.yaml:2: accounts.111122223333: account names must be 1 to 64 "
	  "printable characters\n" },
	{ "account name control", "accounts:\n  \"111122223333\": \"a\\tb\"\n",
	  1, "t.yaml:2: accounts.111122223333: account names must be 1 to 64 "
	  "printable characters\n" },
	{ "account name long", "accounts:\n  \"111122223333\": "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  1, "t.yaml:2: accounts.111122223333: account names must be 1 to 64 "
	  "printable characters\n" },
	{ "accounts not a mapping", "accounts: [a]\n", 1,
	  "t.yaml:1: accounts: expected a mapping of account id to name, got a "
	  "list\n" },
	{ "many errors",
	  "listen: nope\n"
	  "threads: 99\n"
	  "bogus: 1\n"
	  PROVIDER_DEV
	  "    algorithms: [none]\n"
	  "roles:\n  - name: r\n    max_session_duration: 1\n", 6,
	  "t.yaml:1: listen: expected \"host:port\"\n"
	  "t.yaml:2: threads: must be between 1 and 64\n"
	  "t.yaml:3: bogus: unknown key\n"
	  "t.yaml:10: providers[0].algorithms[0]: 'none' is never accepted: "
	  "tokens must be signed\n"
	  "t.yaml:12: roles[0]: missing required key 'trust_policy'\n"
	  "t.yaml:13: roles[0].max_session_duration: must be between 900 "
	  "and 43200\n" },
};

static void
test_errors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *ec = &err_cases[i];
		struct gw_conf *c;
		char *errs = NULL, *want = subst(ec->want);
		int nerr;

		c = load(ec->yaml, &errs, &nerr);
		if (c != NULL) {
			gw_conf_free(c);
			fail_msg("case '%s': config accepted", ec->name);
		}
		if (nerr != ec->nerr || strstr(errs, want) == NULL ||
		    (errs != strstr(errs, want) && ec->nerr == 1))
			fail_msg("case '%s': nerr %d (want %d)\ngot:\n%s"
				 "want:\n%s\n", ec->name, nerr, ec->nerr, errs,
				 want);
		free(want);
		free(errs);
	}
}

/* Every error is counted; the output stops after 1000 lines. */
static void
test_error_cap(void **state)
{
	size_t n = 0, i;
	struct gw_conf *c;
	char *text, *errs = NULL, *last;
	int nerr;

	text = malloc(1200 * 16);
	assert_non_null(text);
	for (i = 0; i < 1200; i++)
		n += (size_t)sprintf(text + n, "k%zu: 1\n", i);
	c = load(text, &errs, &nerr);
	assert_null(c);
	assert_int_equal(nerr, 1200);
	assert_non_null(strstr(errs, "t.yaml:1: k0: unknown key\n"));
	assert_non_null(strstr(errs, "t.yaml:1000: k999: unknown key\n"));
	assert_null(strstr(errs, "k1000"));
	last = strstr(errs, "t.yaml: 200 more errors not shown\n");
	assert_non_null(last);
	assert_string_equal(last, "t.yaml: 200 more errors not shown\n");
	free(text);
	free(errs);
}

/* "!!str" makes a plain scalar a string, e.g. an account id. */
static void
test_str_tag(void **state)
{
	struct gw_conf *c;
	char *errs = NULL;
	int nerr;

	c = load("account_id: !!str 011122223333\nthreads: !!int 3\n", &errs,
		 &nerr);
	if (c == NULL)
		fail_msg("refused: %s", errs);
	assert_string_equal(c->account_id, "011122223333");
	assert_int_equal(c->threads, 3);
	gw_conf_free(c);
	free(errs);
}

static void
test_nesting_bound(void **state)
{
	struct gw_conf *c;
	char *text, *errs = NULL;
	size_t i, n = 0;
	int nerr;

	text = malloc(400);
	assert_non_null(text);
	n += (size_t)sprintf(text, "threads: ");
	for (i = 0; i < 100; i++)
		text[n++] = '[';
	for (i = 0; i < 100; i++)
		text[n++] = ']';
	text[n++] = '\n';
	text[n] = '\0';
	c = load(text, &errs, &nerr);
	assert_null(c);
	assert_int_equal(nerr, 1);
	assert_string_equal(errs, "t.yaml:1: nesting deeper than 64 levels\n");
	free(text);
	free(errs);
}

static void
test_size_bound(void **state)
{
	size_t len = 4 * 1024 * 1024 + 1;
	struct gw_conf *c;
	char *text = malloc(len + 1), *errs = NULL;
	size_t sz;
	int nerr;
	FILE *f;

	assert_non_null(text);
	memset(text, '#', len);
	text[len] = '\0';
	f = open_memstream(&errs, &sz);
	c = gw_conf_load_string(text, len, "big.yaml", f, &nerr);
	fclose(f);
	assert_null(c);
	assert_int_equal(nerr, 1);
	assert_string_equal(errs, "big.yaml: larger than 4194304 bytes\n");
	free(text);
	free(errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_json_config),
		cmocka_unit_test(test_preset_static_jwks),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_str_tag),
		cmocka_unit_test(test_nesting_bound),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_tag_count),
		cmocka_unit_test(test_tag_lengths),
		cmocka_unit_test(test_per_account_names),
		cmocka_unit_test(test_inline_secret_file),
		cmocka_unit_test(test_secret_not_echoed),
		cmocka_unit_test(test_saml_provider),
		cmocka_unit_test(test_saml_sp_defaults),
		cmocka_unit_test(test_saml_sp_block),
		cmocka_unit_test(test_login),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
