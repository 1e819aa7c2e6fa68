/* federation/saml_authn.c - SP-initiated SAML: AuthnRequest and the JSON
 * form of a validated assertion
 *
 * The AuthnRequest is built and DEFLATE-encoded by lasso on the
 * validator's shared LassoServer, one LassoLogin per call, and its query
 * is signed here with the SP key (query_sign says why not by lasso).
 */
#include "federation/saml_authn.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>
#include <lasso/lasso.h>
#include <lasso/id-ff/login.h>
#include <lasso/id-ff/profile.h>
#include <lasso/id-ff/provider.h>
#include <lasso/id-ff/server.h>
#include <lasso/xml/saml-2.0/saml2_strings.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/crypto.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/mem.h"
#include "federation/saml_int.h"

#define AUTHN_ID_BYTES 20		/* 160 bits: SAML core §1.3.4 */
#define AUTHN_JSON_MAX (4 * 1024 * 1024) /* a whole serialised assertion */
#define AUTHN_JSON_MAX_STR (64 * 1024)	/* one string in it */
#define SIGALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

/*
 * lasso_login_init_authn_request stamps IssueInstant through gmtime()
 * (xml/tools.c lasso_time_to_iso_8601_gmt, a static buffer) and rewrites
 * the server's and the IdP provider's role fields, all shared. Building
 * requests one at a time keeps two logins from meeting there; the costly
 * part, signing, runs outside the lock.
 */
static pthread_mutex_t authn_init_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------- IdPs */

int
fed_saml_idp_index(const struct fed_saml *s, const char *name)
{
	if (s == NULL || name == NULL)
		return -1;
	for (size_t i = 0; i < s->n_idps && i < INT32_MAX; i++)
		if (strcmp(s->idps[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The IdP's HTTP-Redirect SingleSignOnService Location as lasso loaded it
 * from the metadata (g_free), or NULL. Read-only on the shared server. */
static char *
idp_sso_url(const struct fed_saml *s, size_t i)
{
	LassoProvider *p;

	if (s->server == NULL || i >= s->n_idps)
		return NULL;
	p = lasso_server_get_provider(s->server, s->idps[i].entity_id);
	if (!LASSO_IS_PROVIDER(p))
		return NULL;
	return lasso_provider_get_metadata_one_for_role(p,
	    LASSO_PROVIDER_ROLE_IDP, "SingleSignOnService HTTP-Redirect");
}

/* The SP's RSA private key (borrowed from the xmlsec key saml.c loaded
 * from key_file), or NULL. Only read, so shared by all threads. */
static EVP_PKEY *
sp_sign_key(const struct fed_saml *s)
{
	xmlSecKeyDataPtr v;

	if (s->dec_key == NULL)
		return NULL;
	v = xmlSecKeyGetValue((xmlSecKeyPtr)s->dec_key);
	return v != NULL ? xmlSecOpenSSLKeyDataRsaGetEvp(v) : NULL;
}

static int
sp_can_sign(const struct fed_saml *s)
{
	return s->server != NULL && s->cert_pem != NULL &&
	    sp_sign_key(s) != NULL;
}

int
fed_saml_idp_can_sso(const struct fed_saml *s, size_t i)
{
	char *url;
	int ok;

	if (s == NULL || i >= s->n_idps || !sp_can_sign(s))
		return 0;
	url = idp_sso_url(s, i);
	ok = url != NULL && *url != '\0';
	g_free(url);
	return ok;
}

/* ------------------------------------------------------------- AuthnRequest */

/* lasso's IDs come from g_random_int (not a CSPRNG, and only 16 bits of
 * each draw are used); the ID is what InResponseTo must echo, so it is
 * ours. xs:ID is an NCName: the leading '_' keeps it from starting with
 * a digit. */
static char *
request_id_new(void)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[AUTHN_ID_BYTES];
	char *id = core_xmalloc(2 * sizeof(rnd) + 2);

	if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1) {
		free(id);
		return NULL;
	}
	id[0] = '_';
	for (size_t k = 0; k < sizeof(rnd); k++) {
		id[1 + 2 * k] = hex[rnd[k] >> 4];
		id[2 + 2 * k] = hex[rnd[k] & 0xf];
	}
	id[2 * sizeof(rnd) + 1] = '\0';
	return id;
}

static void
gstr_set(char **slot, const char *v)
{
	g_free(*slot);
	*slot = v != NULL ? g_strdup(v) : NULL;
}

static int
authn_precheck(const struct fed_saml *s, size_t i, const char *relay_state,
	       struct core_err *err)
{
	if (s == NULL || i >= s->n_idps) {
		core_err_set(err, CORE_EINTERNAL, "config",
		    "Unknown SAML identity provider");
		return -1;
	}
	if (!sp_can_sign(s)) {
		core_err_set(err, CORE_ECONFIG, "config", "saml_sp: an RSA "
		    "key_file and a cert_file are required to send "
		    "AuthnRequests");
		return -1;
	}
	if (!fed_saml_idp_can_sso(s, i)) {
		core_err_set(err, CORE_ECONFIG, "config", "saml provider %s: "
		    "metadata lists no HTTP-Redirect SingleSignOnService",
		    s->idps[i].name);
		return -1;
	}
	/* SAML bindings §3.4.3: RelayState MUST NOT exceed 80 bytes. */
	if (relay_state != NULL && strlen(relay_state) >
	    FED_SAML_MAX_RELAY_STATE) {
		core_err_set(err, CORE_EINTERNAL, "relay_state",
		    "RelayState longer than %d bytes",
		    FED_SAML_MAX_RELAY_STATE);
		return -1;
	}
	return 0;
}

/* SAML core §3.4.1. NameIDPolicy Format unspecified: the IdP sends the
 * format configured for us there (lasso would ask for transient, which
 * changes the subject on every login). */
static void
authn_request_fill(const struct fed_saml *s, LassoSamlp2AuthnRequest *req,
		   const char *id)
{
	gstr_set(&req->parent.ID, id);
	gstr_set(&req->ProtocolBinding, LASSO_SAML2_METADATA_BINDING_POST);
	gstr_set(&req->AssertionConsumerServiceURL, s->acs_url);
	req->ForceAuthn = FALSE;
	req->IsPassive = FALSE;
	if (req->NameIDPolicy == NULL)
		req->NameIDPolicy = LASSO_SAMLP2_NAME_ID_POLICY(
		    lasso_samlp2_name_id_policy_new());
	gstr_set(&req->NameIDPolicy->Format,
	    LASSO_SAML2_NAME_IDENTIFIER_FORMAT_UNSPECIFIED);
	req->NameIDPolicy->AllowCreate = TRUE;
}

/*
 * The request as lasso encodes it for HTTP-Redirect, unsigned: the query
 * (SAMLRequest=...[&RelayState=...], DEFLATE + base64 + URL-escaped,
 * bindings §3.4.4.1) and the prefix it was appended to, which must be the
 * SSO URL from the metadata followed by '?' or '&'.
 */
static int
authn_lasso_build(struct fed_saml *s, size_t i, const char *relay_state,
		  const char *id, const char *sso, char **prefix, char **query)
{
	LassoLogin *login = lasso_login_new(s->server);
	LassoProfile *prof;
	size_t n = strlen(sso);
	const char *u;
	int lrc, rc = -1;

	if (login == NULL)
		fatalx("%s: lasso_login_new failed", __func__);
	prof = LASSO_PROFILE(login);
	lasso_profile_set_signature_hint(prof,
	    LASSO_PROFILE_SIGNATURE_HINT_FORBID);
	pthread_mutex_lock(&authn_init_lock);
	lrc = lasso_login_init_authn_request(login, s->idps[i].entity_id,
	    LASSO_HTTP_METHOD_REDIRECT);
	pthread_mutex_unlock(&authn_init_lock);
	if (lrc != 0 || !LASSO_IS_SAMLP2_AUTHN_REQUEST(prof->request)) {
		log_warnx("%s: %s: init: %s", __func__, s->idps[i].name,
		    lasso_strerror(lrc));
		goto out;
	}
	authn_request_fill(s, LASSO_SAMLP2_AUTHN_REQUEST(prof->request), id);
	if (relay_state != NULL && *relay_state != '\0')
		gstr_set(&prof->msg_relayState, relay_state);
	lrc = lasso_login_build_authn_request_msg(login);
	u = prof->msg_url;
	if (lrc != 0 || u == NULL || strncmp(u, sso, n) != 0 ||
	    (u[n] != '?' && u[n] != '&') ||
	    strncmp(u + n + 1, "SAMLRequest=", 12) != 0 ||
	    strstr(u + n + 1, "Signature=") != NULL) {
		log_warnx("%s: %s: build: %s", __func__, s->idps[i].name,
		    lrc != 0 ? lasso_strerror(lrc) : "unexpected URL");
		goto out;
	}
	*prefix = core_xstrndup(u, n + 1);
	*query = core_xstrdup(u + n + 1);
	rc = 0;
out:
	lasso_login_destroy(login);
	return rc;
}

static char *
uri_escape(const char *v)
{
	char *g = g_uri_escape_string(v, NULL, FALSE);
	char *out = core_xstrdup(g != NULL ? g : "");

	g_free(g);
	return out;
}

/*
 * SAML bindings §3.4.4.1: RSA-SHA256 over "SAMLRequest=v[&RelayState=v]
 * &SigAlg=v" exactly as the values appear in the URL. Signed here rather
 * than by lasso: lasso re-reads the PEM key for every message, leaks an
 * OpenSSL BIO doing it (xmlsec KeyCertLoad on the certificate text taken
 * for a file name), and would follow its own SHA-1 default if anyone
 * reset the server's signature method.
 */
static char *
query_sign(EVP_PKEY *key, const char *prefix, const char *query)
{
	char *alg = uri_escape(SIGALG_RSA_SHA256);
	char *tbs = core_xasprintf("%s&SigAlg=%s", query, alg);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *b64 = NULL, *esc = NULL, *url = NULL;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    key) != 1 || EVP_DigestSign(ctx, NULL, &siglen,
	    (const unsigned char *)tbs, strlen(tbs)) != 1)
		goto out;
	sig = core_xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)tbs,
	    strlen(tbs)) != 1)
		goto out;
	b64 = core_b64_encode(sig, siglen);
	esc = uri_escape(b64);
	url = core_xasprintf("%s%s&Signature=%s", prefix, tbs, esc);
out:
	if (url == NULL)
		log_warnx("%s: RSA-SHA256 signing failed", __func__);
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(b64);
	free(esc);
	free(tbs);
	free(alg);
	return url;
}

int
fed_saml_authn_request(struct fed_saml *s, size_t i, const char *relay_state,
		       char **url, char **request_id, struct core_err *err)
{
	char *id = NULL, *sso = NULL, *prefix = NULL, *query = NULL;
	char *u = NULL;
	int rc = -1;

	if (authn_precheck(s, i, relay_state, err) < 0)
		return -1;
	if ((id = request_id_new()) == NULL)
		goto out;
	sso = idp_sso_url(s, i);
	if (sso == NULL || authn_lasso_build(s, i, relay_state, id, sso,
	    &prefix, &query) < 0)
		goto out;
	if ((u = query_sign(sp_sign_key(s), prefix, query)) == NULL)
		goto out;
	*url = u;
	*request_id = id;
	id = NULL;
	rc = 0;
out:
	if (rc < 0)
		core_err_set(err, CORE_EINTERNAL, "authn_request",
		    "Cannot build the SAML authentication request");
	g_free(sso);
	free(prefix);
	free(query);
	free(id);
	return rc;
}

/* ------------------------------------------------------------- JSON */

/* Strings that may be absent; every other string must be present. */
static json_t *
jstr(const char *v, int nullable)
{
	if (v == NULL)
		return nullable ? json_null() : NULL;
	return json_string(v);	/* NULL if not UTF-8 */
}

static int
jset(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

static json_t *
attrs_to_json(const struct fed_saml_assertion *a)
{
	json_t *arr = json_array();

	if (a->n_attrs > 0 && a->attrs == NULL)
		goto fail;
	for (size_t i = 0; arr != NULL && i < a->n_attrs; i++) {
		const struct fed_saml_attr *at = &a->attrs[i];
		json_t *o = json_object(), *vals = json_array();

		if (o == NULL || vals == NULL) {
			json_decref(o);
			json_decref(vals);
			goto fail;
		}
		/* the _new setters take their reference even on failure */
		if (json_object_set_new(o, "values", vals) != 0 ||
		    json_array_append_new(arr, o) != 0 ||
		    jset(o, "name", jstr(at->name, 0)) < 0 ||
		    at->n_values > FED_SAML_MAX_VALUES ||
		    (at->n_values > 0 && at->values == NULL))
			goto fail;
		for (size_t j = 0; j < at->n_values; j++)
			if (json_array_append_new(vals,
			    jstr(at->values[j], 0)) != 0)
				goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

char *
fed_saml_assertion_to_json(const struct fed_saml_assertion *a)
{
	json_t *o;
	char *out = NULL;

	if (a == NULL || a->n_attrs > FED_SAML_MAX_ATTRS)
		return NULL;
	o = json_object();
	if (o == NULL ||
	    jset(o, "idp_name", jstr(a->idp_name, 0)) < 0 ||
	    jset(o, "issuer", jstr(a->issuer, 0)) < 0 ||
	    jset(o, "assertion_id", jstr(a->assertion_id, 0)) < 0 ||
	    jset(o, "name_id", jstr(a->name_id, 0)) < 0 ||
	    jset(o, "name_id_format", jstr(a->name_id_format, 1)) < 0 ||
	    jset(o, "recipient", jstr(a->recipient, 1)) < 0 ||
	    jset(o, "not_on_or_after", json_integer(a->not_on_or_after)) < 0 ||
	    jset(o, "session_not_on_or_after",
	    json_integer(a->session_not_on_or_after)) < 0 ||
	    jset(o, "in_response_to", jstr(a->in_response_to, 1)) < 0 ||
	    jset(o, "attrs", attrs_to_json(a)) < 0)
		goto out;
	out = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	return out;
}

/*
 * A string member, copied with malloc (fed_saml_assertion_free frees it).
 * json_t strings may hold NUL (\u0000): refused, since every consumer
 * reads them as C strings.
 */
static int
jget_str(json_t *v, int nullable, char **out)
{
	size_t n;

	if (v != NULL && json_is_null(v) && nullable) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	n = json_string_length(v);
	if (n > AUTHN_JSON_MAX_STR || strlen(json_string_value(v)) != n)
		return -1;
	*out = core_xstrndup(json_string_value(v), n);
	return 0;
}

static int
jget_time(json_t *v, int64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int
attr_from_json(json_t *o, struct fed_saml_attr *at)
{
	json_t *vals = json_object_get(o, "values");
	size_t n;

	if (!json_is_object(o) || json_object_size(o) != 2 ||
	    jget_str(json_object_get(o, "name"), 0, &at->name) < 0 ||
	    !json_is_array(vals) ||
	    (n = json_array_size(vals)) > FED_SAML_MAX_VALUES)
		return -1;
	at->values = core_xcalloc(n + 1, sizeof(*at->values));
	for (size_t j = 0; j < n; j++) {
		if (jget_str(json_array_get(vals, j), 0, &at->values[j]) < 0)
			return -1;
		at->n_values = j + 1;
	}
	return 0;
}

static int
attrs_from_json(json_t *arr, struct fed_saml_assertion *a)
{
	size_t n;

	if (!json_is_array(arr) || (n = json_array_size(arr)) >
	    FED_SAML_MAX_ATTRS)
		return -1;
	/* n_attrs counts entries as they are started, so the free on a
	 * failure releases the partial one too. */
	a->attrs = core_xcalloc(n + 1, sizeof(*a->attrs));
	for (size_t i = 0; i < n; i++) {
		a->n_attrs = i + 1;
		if (attr_from_json(json_array_get(arr, i), &a->attrs[i]) < 0)
			return -1;
	}
	return 0;
}

#define ASSERTION_JSON_KEYS 10

static int
assertion_from_obj(json_t *o, struct fed_saml_assertion *a)
{
	if (!json_is_object(o) || json_object_size(o) != ASSERTION_JSON_KEYS)
		return -1;
	if (jget_str(json_object_get(o, "idp_name"), 0, &a->idp_name) < 0 ||
	    jget_str(json_object_get(o, "issuer"), 0, &a->issuer) < 0 ||
	    jget_str(json_object_get(o, "assertion_id"), 0,
	    &a->assertion_id) < 0 ||
	    jget_str(json_object_get(o, "name_id"), 0, &a->name_id) < 0 ||
	    jget_str(json_object_get(o, "name_id_format"), 1,
	    &a->name_id_format) < 0 ||
	    jget_str(json_object_get(o, "recipient"), 1, &a->recipient) < 0 ||
	    jget_time(json_object_get(o, "not_on_or_after"),
	    &a->not_on_or_after) < 0 ||
	    jget_time(json_object_get(o, "session_not_on_or_after"),
	    &a->session_not_on_or_after) < 0 ||
	    jget_str(json_object_get(o, "in_response_to"), 1,
	    &a->in_response_to) < 0 ||
	    attrs_from_json(json_object_get(o, "attrs"), a) < 0)
		return -1;
	return 0;
}

struct fed_saml_assertion *
fed_saml_assertion_from_json(const char *json, size_t len,
			     struct core_err *err)
{
	struct fed_saml_assertion *a = NULL;
	json_t *o = NULL;

	if (json == NULL || len == 0 || len > AUTHN_JSON_MAX)
		goto fail;
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	a = core_xcalloc(1, sizeof(*a));
	/* Exactly the ten known keys (size check above), each of its type. */
	if (assertion_from_obj(o, a) < 0)
		goto fail;
	json_decref(o);
	return a;
fail:
	json_decref(o);
	fed_saml_assertion_free(a);
	core_err_set(err, CORE_EINTERNAL, "session",
	    "Stored SAML session is not valid");
	return NULL;
}
