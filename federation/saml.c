/* federation/saml.c - SAML 2.0 Response validation: setup and the pipeline
 *
 * Order of a validation (each step refuses on failure):
 *   size bound -> base64 (whitespace tolerated) -> no DOCTYPE -> libxml2
 *   parse without DTD -> Status -> Response Issuer = a configured IdP ->
 *   structure and algorithms, decryption (saml_xml.c) -> lasso on the
 *   same bytes: signature verification with the IdP's metadata keys
 *   only -> the assertion lasso used is the one we selected -> Issuer,
 *   Destination, InResponseTo, Conditions, Audience, bearer confirmation,
 *   values (saml_check.c) -> replay.
 *
 * One LassoServer per validator, built once (it costs ~100 ms) and only
 * read afterwards; every request gets its own LassoLogin. Measured safe
 * to share that way with 8 threads (libraries.md §3), and lasso loads
 * each provider's keys while the server is built, not lazily. No lock.
 */
#include "federation/saml_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <lasso/lasso.h>
#include <lasso/id-ff/login.h>
#include <lasso/id-ff/profile.h>
#include <lasso/id-ff/server.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/io.h>
#include <xmlsec/keys.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/secret.h"
#include "federation/oidc_int.h"

#define MSG_MALFORMED "Invalid SAML response: malformed document"
#define STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"

static pthread_once_t saml_once = PTHREAD_ONCE_INIT;
/* Set while this thread builds a validator: lasso warnings then concern
 * configuration (metadata, keys) and are worth logging. During requests
 * they may quote the document, so they are dropped. */
static _Thread_local int saml_building;

/* ------------------------------------------------------------- trace */

struct fed_saml_trace *
fed_saml_trace_new(void)
{
	struct fed_saml_trace *t = core_xcalloc(1, sizeof(*t));

	core_buf_init(&t->buf, 16384);
	return t;
}

void
fed_saml_trace_free(struct fed_saml_trace *t)
{
	if (t == NULL)
		return;
	core_buf_reset(&t->buf);
	free(t);
}

const char *
fed_saml_trace_text(const struct fed_saml_trace *t)
{
	return t != NULL && t->buf.data != NULL ? t->buf.data : "";
}

void
fed_saml_trace_step(struct fed_saml_trace *t, const char *step,
		    const struct core_err *err)
{
	if (t == NULL)
		return;
	if (err == NULL || err->code == CORE_OK)
		(void)core_buf_printf(&t->buf, "%s: ok\n", step);
	else
		(void)core_buf_printf(&t->buf, "%s: FAIL %s\n", step,
		    err->reason != NULL ? err->reason : "error");
}

/* ------------------------------------------------------------- init */

static void
saml_glog(const gchar *domain, GLogLevelFlags level, const gchar *msg,
	  gpointer data)
{
	(void)domain;
	(void)data;
	if (!saml_building || (level & (G_LOG_LEVEL_ERROR |
	    G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) == 0)
		return;
	log_warnx("lasso: %s", msg);
}

/* libxml2 resolves external entities and DTDs through this; nothing is
 * ever fetched, from the network or from files. */
static xmlParserInputPtr
saml_deny_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void
saml_xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
saml_xml_quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void
saml_init_once(void)
{
	char f_verify[] = "verify-signature", f_nomem[] = "no-memory-debug";

	/* LASSO_FLAG=no-verify-signature would switch verification off for
	 * the whole process (lasso.c reads it in lasso_init). */
	unsetenv("LASSO_FLAG");
	if (lasso_init() != 0)
		fatalx("%s: lasso_init failed", __func__);
	lasso_set_flag(f_verify);
	lasso_set_flag(f_nomem);
	g_log_set_handler("Lasso", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
	    G_LOG_FLAG_RECURSION, saml_glog, NULL);
	xmlSetExternalEntityLoader(saml_deny_loader);
	/* xmlsec may only dereference same-document URIs (lasso enables no
	 * others); without IO callbacks it cannot open anything at all. */
	xmlSecIOCleanupCallbacks();
}

void
fed_saml_global_init(void)
{
	pthread_once(&saml_once, saml_init_once);
}

/* libxml2 2.9 keeps error handlers per thread: silence them in whichever
 * thread validates, or parse errors (quoting the input) reach stderr. */
static void
saml_thread_quiet(void)
{
	xmlSetGenericErrorFunc(NULL, saml_xml_quiet);
	xmlSetStructuredErrorFunc(NULL, saml_xml_quiet_structured);
}

/* ------------------------------------------------------------- setup */

static char *
read_file(const char *path, size_t max, struct core_err *err)
{
	FILE *fp = fopen(path, "rb");
	struct core_buf b;
	char chunk[4096];
	size_t n;

	if (fp == NULL) {
		log_warn("%s: %s", __func__, path);
		core_err_set(err, CORE_ECONFIG, "config", "cannot read %s",
		    path);
		return NULL;
	}
	core_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (core_buf_append(&b, chunk, n) < 0)
			break;
	if (ferror(fp) || !feof(fp)) {
		fclose(fp);
		core_buf_wipe(&b);
		core_err_set(err, CORE_ECONFIG, "config",
		    "cannot read %s (or larger than %zu bytes)", path, max);
		return NULL;
	}
	fclose(fp);
	if (b.data == NULL)
		core_buf_append(&b, "", 0);
	return core_buf_steal(&b);
}

static char *
cert_der_b64(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	char *out = NULL;
	int n;

	if (x != NULL && (n = i2d_X509(x, &der)) > 0)
		out = core_b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	return out;
}

static void
md_key(struct core_buf *b, const char *use, const char *cert)
{
	core_buf_printf(b, "<md:KeyDescriptor use=\"%s\"><ds:KeyInfo><ds:"
	    "X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data>"
	    "</ds:KeyInfo></md:KeyDescriptor>", use, cert);
}

static char *
sp_metadata_build(const struct fed_saml *s)
{
	struct core_buf b;

	core_buf_init(&b, 0);
	core_buf_puts(&b, "<?xml version=\"1.0\"?>\n<md:EntityDescriptor "
	    "xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"");
	core_buf_put_xml(&b, s->entity_id);
	/* With a key (saml_sp requires cert and key together) every
	 * AuthnRequest is signed (saml_authn.c): IdPs may insist on it. */
	core_buf_printf(&b, "\"><md:SPSSODescriptor AuthnRequestsSigned=\"%s\""
	    " WantAssertionsSigned=\"true\" protocolSupportEnumeration=\""
	    FED_SAML_NS_SAMLP "\">", s->cert_b64 != NULL ? "true" : "false");
	if (s->cert_b64 != NULL) {
		md_key(&b, "signing", s->cert_b64);
		md_key(&b, "encryption", s->cert_b64);
	}
	core_buf_puts(&b, "<md:AssertionConsumerService Binding=\"urn:oasis:"
	    "names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"");
	core_buf_put_xml(&b, s->acs_url);
	core_buf_puts(&b, "\" index=\"0\" isDefault=\"true\"/>"
	    "</md:SPSSODescriptor></md:EntityDescriptor>\n");
	return core_buf_steal(&b);
}

/* notAfter of a base64 DER certificate (metadata X509Certificate), 0 if
 * it does not parse: only reported (metrics), never trusted for anything. */
static int64_t
cert_not_after(xmlNodePtr x509)
{
	char *text = fed_saml_text(x509);
	size_t len = 0;
	uint8_t *der = text != NULL ? fed_saml_b64_decode(text, strlen(text),
	    &len) : NULL;
	const unsigned char *q = der;
	X509 *x = der != NULL ? d2i_X509(NULL, &q, (long)len) : NULL;
	struct tm tm;
	int64_t t = 0;

	if (x != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		t = (int64_t)timegm(&tm);
	X509_free(x);
	free(der);
	free(text);
	return t;
}

/* Entity id and signing certificates, read with our own parser (no DTD). */
static int
idp_metadata_read(struct fed_saml_idp *idp, const char *md,
		  struct core_err *err)
{
	xmlDocPtr doc = fed_saml_xml_parse((const uint8_t *)md, strlen(md),
	    err);
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr sso;

	if (root == NULL || strcmp((const char *)root->name,
	    "EntityDescriptor") != 0 || (idp->entity_id =
	    fed_saml_attr_get(root, "entityID")) == NULL) {
		xmlFreeDoc(doc);
		core_err_clear(err);
		core_err_set(err, CORE_ECONFIG, "config", "saml provider %s: "
		    "metadata is not an EntityDescriptor", idp->name);
		return -1;
	}
	sso = fed_saml_child(root, "urn:oasis:names:tc:SAML:2.0:metadata",
	    "IDPSSODescriptor");
	for (xmlNodePtr k = sso != NULL ? sso->children : NULL; k != NULL;
	     k = k->next) {
		char *use;
		xmlNodePtr x509;
		int64_t na;

		if (k->type != XML_ELEMENT_NODE || strcmp((const char *)k->name,
		    "KeyDescriptor") != 0)
			continue;
		use = fed_saml_attr_get(k, "use");
		x509 = fed_saml_child(fed_saml_child(fed_saml_child(k,
		    FED_SAML_NS_DS, "KeyInfo"), FED_SAML_NS_DS, "X509Data"),
		    FED_SAML_NS_DS, "X509Certificate");
		if ((use == NULL || strcmp(use, "signing") == 0) &&
		    x509 != NULL) {
			idp->n_certs++;
			na = cert_not_after(x509);
			if (na > 0 && (idp->cert_not_after == 0 ||
			    na < idp->cert_not_after))
				idp->cert_not_after = na;
		}
		free(use);
	}
	xmlFreeDoc(doc);
	if (idp->n_certs == 0) {
		core_err_set(err, CORE_ECONFIG, "config", "saml provider %s: "
		    "no signing certificate in metadata", idp->name);
		return -1;
	}
	return 0;
}

static int
sp_setup(struct fed_saml *s, const struct fed_saml_sp_config *sp,
	 const char *cert_pem, const char *key_pem, struct core_err *err)
{
	if (sp->entity_id == NULL || sp->acs_url == NULL) {
		core_err_set(err, CORE_ECONFIG, "config",
		    "saml_sp: entity_id and acs_url are required");
		return -1;
	}
	s->entity_id = core_xstrdup(sp->entity_id);
	s->acs_url = core_xstrdup(sp->acs_url);
	s->recipients = core_xcalloc(sp->n_recipients + 1,
	    sizeof(*s->recipients));
	for (size_t i = 0; i < sp->n_recipients; i++)
		s->recipients[i] = core_xstrdup(sp->recipients[i]);
	s->n_recipients = sp->n_recipients;
	s->allow_sha1 = sp->allow_sha1;
	if (cert_pem != NULL) {
		s->cert_pem = core_xstrdup(cert_pem);
		if ((s->cert_b64 = cert_der_b64(cert_pem)) == NULL) {
			core_err_set(err, CORE_ECONFIG, "config",
			    "saml_sp: cert_file is not a PEM certificate");
			return -1;
		}
	}
	if (key_pem != NULL && (s->dec_key = xmlSecCryptoAppKeyLoadMemory(
	    (const xmlSecByte *)key_pem, (xmlSecSize)strlen(key_pem),
	    xmlSecKeyDataFormatPem, NULL, NULL, NULL)) == NULL) {
		core_err_set(err, CORE_ECONFIG, "config",
		    "saml_sp: key_file is not a PEM private key");
		return -1;
	}
	s->metadata = sp_metadata_build(s);
	return 0;
}

static int
lasso_setup(struct fed_saml *s, const char *cert_pem, const char *key_pem,
	    const char *const *idp_md, struct core_err *err)
{
	s->server = lasso_server_new_from_buffers(s->metadata, key_pem, NULL,
	    cert_pem);
	if (s->server == NULL) {
		core_err_set(err, CORE_ECONFIG, "config",
		    "saml_sp: lasso rejected the SP metadata, key or cert");
		return -1;
	}
	/* lasso signs with RSA-SHA1 unless told otherwise (AuthnRequests). */
	s->server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
	for (size_t i = 0; i < s->n_idps; i++) {
		int rc = lasso_server_add_provider_from_buffer(s->server,
		    LASSO_PROVIDER_ROLE_IDP, idp_md[i], NULL, NULL);

		if (rc != 0) {
			core_err_set(err, CORE_ECONFIG, "config",
			    "saml provider %s: lasso rejected the metadata "
			    "(%s)", s->idps[i].name, lasso_strerror(rc));
			return -1;
		}
	}
	return 0;
}

struct fed_saml *
fed_saml_new_mem(const struct fed_saml_sp_config *sp,
		 const char *const *idp_names, const char *const *idp_md,
		 size_t n_idps, const char *cert_pem, const char *key_pem,
		 struct core_err *err)
{
	struct fed_saml *s = core_xcalloc(1, sizeof(*s));

	fed_saml_global_init();
	saml_building = 1;
	if (sp_setup(s, sp, cert_pem, key_pem, err) < 0)
		goto fail;
	s->idps = core_xcalloc(n_idps + 1, sizeof(*s->idps));
	s->n_idps = n_idps;
	for (size_t i = 0; i < n_idps; i++) {
		s->idps[i].name = core_xstrdup(idp_names[i] != NULL ?
		    idp_names[i] : "");
		if (idp_metadata_read(&s->idps[i], idp_md[i], err) < 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->idps[j].entity_id,
			    s->idps[i].entity_id) == 0) {
				core_err_set(err, CORE_ECONFIG, "config",
				    "saml providers %s and %s share an entity "
				    "id", s->idps[j].name, s->idps[i].name);
				goto fail;
			}
	}
	if (lasso_setup(s, cert_pem, key_pem, idp_md, err) < 0)
		goto fail;
	saml_building = 0;
	return s;
fail:
	saml_building = 0;
	fed_saml_free(s);
	return NULL;
}

/* metadata_url: https, or http on loopback only (tests, sidecars). */
static char *
idp_metadata_fetch(const struct fed_saml_idp_config *c, struct core_err *err)
{
	struct core_buf b;
	const char *u = c->metadata_url;

	if (strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "http://127.0.0.1", 16) != 0 &&
	    strncmp(u, "http://localhost", 16) != 0 &&
	    strncmp(u, "http://[::1]", 12) != 0) {
		core_err_set(err, CORE_ECONFIG, "config", "saml provider %s: "
		    "metadata_url must be https", c->name);
		return NULL;
	}
	if (fed_fetch_url(u, 10, FED_SAML_MAX_METADATA, &b, NULL, err) < 0) {
		core_err_clear(err);
		core_err_set(err, CORE_ECONFIG, "config", "saml provider %s: "
		    "cannot fetch metadata_url", c->name);
		return NULL;
	}
	if (b.data == NULL)
		core_buf_append(&b, "", 0);
	return core_buf_steal(&b);
}

static void
sp_config_release(struct fed_saml_sp_config *sp)
{
	free(sp->entity_id);
	free(sp->acs_url);
	for (size_t i = 0; i < sp->n_recipients; i++)
		free(sp->recipients[i]);
	free(sp->recipients);
	free(sp->cert_file);
	free(sp->key_file);
	memset(sp, 0, sizeof(*sp));
}

static void
idp_config_release(struct fed_saml_idp_config *c)
{
	free(c->name);
	free(c->metadata_file);
	free(c->metadata_url);
	free(c->preset);
	memset(c, 0, sizeof(*c));
}

static int
load_idp_metadata(struct fed_saml_idp_config *idps, size_t n, char **names,
		  char **md, struct core_err *err)
{
	for (size_t i = 0; i < n; i++) {
		names[i] = idps[i].name;
		if (idps[i].metadata_file != NULL)
			md[i] = read_file(idps[i].metadata_file,
			    FED_SAML_MAX_METADATA, err);
		else if (idps[i].metadata_url != NULL)
			md[i] = idp_metadata_fetch(&idps[i], err);
		else
			core_err_set(err, CORE_ECONFIG, "config",
			    "saml provider %s: metadata_file or metadata_url "
			    "is required", idps[i].name != NULL ?
			    idps[i].name : "?");
		if (md[i] == NULL)
			return -1;
	}
	return 0;
}

struct fed_saml *
fed_saml_new(struct fed_saml_sp_config *sp, struct fed_saml_idp_config *idps,
	     size_t n_idps, struct core_err *err)
{
	char **names = core_xcalloc(n_idps + 1, sizeof(*names));
	char **md = core_xcalloc(n_idps + 1, sizeof(*md));
	char *cert = NULL, *key = NULL;
	struct fed_saml *s = NULL;

	fed_saml_global_init();
	if (sp->cert_file != NULL && (cert = read_file(sp->cert_file,
	    FED_SAML_MAX_KEYFILE, err)) == NULL)
		goto out;
	if (sp->key_file != NULL && (key = read_file(sp->key_file,
	    FED_SAML_MAX_KEYFILE, err)) == NULL)
		goto out;
	if (load_idp_metadata(idps, n_idps, names, md, err) < 0)
		goto out;
	s = fed_saml_new_mem(sp, (const char *const *)names,
	    (const char *const *)md, n_idps, cert, key, err);
out:
	if (key != NULL)
		core_secret_free(key, strlen(key) + 1);
	free(cert);
	for (size_t i = 0; i < n_idps; i++) {
		free(md[i]);
		idp_config_release(&idps[i]);
	}
	free(md);
	free(names);
	sp_config_release(sp);
	return s;
}

void
fed_saml_free(struct fed_saml *s)
{
	if (s == NULL)
		return;
	if (s->server != NULL)
		lasso_server_destroy(s->server);
	if (s->dec_key != NULL)
		xmlSecKeyDestroy((xmlSecKeyPtr)s->dec_key);
	for (size_t i = 0; i < s->n_idps; i++) {
		free(s->idps[i].name);
		free(s->idps[i].entity_id);
	}
	free(s->idps);
	for (size_t i = 0; i < s->n_recipients; i++)
		free(s->recipients[i]);
	free(s->recipients);
	free(s->entity_id);
	free(s->acs_url);
	free(s->cert_pem);
	free(s->cert_b64);
	free(s->metadata);
	free(s);
}

char *
fed_saml_sp_metadata(const struct fed_saml *s)
{
	return core_xstrdup(s->metadata);
}

size_t
fed_saml_idp_count(const struct fed_saml *s)
{
	return s->n_idps;
}

const char *
fed_saml_idp_name(const struct fed_saml *s, size_t i)
{
	return i < s->n_idps ? s->idps[i].name : NULL;
}

const char *
fed_saml_idp_entity_id(const struct fed_saml *s, size_t i)
{
	return i < s->n_idps ? s->idps[i].entity_id : NULL;
}

int64_t
fed_saml_idp_cert_expiry(const struct fed_saml *s, size_t i)
{
	return i < s->n_idps ? s->idps[i].cert_not_after : 0;
}

void
fed_saml_assertion_free(struct fed_saml_assertion *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_attrs; i++) {
		for (size_t j = 0; j < a->attrs[i].n_values; j++)
			free(a->attrs[i].values[j]);
		free(a->attrs[i].values);
		free(a->attrs[i].name);
	}
	free(a->attrs);
	free(a->idp_name);
	free(a->issuer);
	free(a->assertion_id);
	free(a->name_id);
	free(a->name_id_format);
	free(a->recipient);
	free(a->in_response_to);
	free(a);
}

const struct fed_saml_attr *
fed_saml_attr(const struct fed_saml_assertion *a, const char *name)
{
	for (size_t i = 0; a != NULL && i < a->n_attrs; i++)
		if (strcmp(a->attrs[i].name, name) == 0)
			return &a->attrs[i];
	return NULL;
}

/* ------------------------------------------------------------- validate */

/* SAML core §3.2.2.2: only the top-level Success is a success. */
static int
status_check(xmlNodePtr resp, struct core_err *err)
{
	xmlNodePtr st = fed_saml_child(resp, FED_SAML_NS_SAMLP, "Status");
	xmlNodePtr sc = fed_saml_child(st, FED_SAML_NS_SAMLP, "StatusCode");
	char *v = sc != NULL ? fed_saml_attr_get(sc, "Value") : NULL;
	int ok = v != NULL && strcmp(v, STATUS_SUCCESS) == 0;

	free(v);
	if (ok)
		return 0;
	if (sc == NULL)
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed", MSG_MALFORMED);
	else
		core_err_set(err, CORE_EIDP_REJECTED, "idp_rejected",
		    "The identity provider did not authenticate the user");
	return -1;
}

static const struct fed_saml_idp *
issuer_lookup(const struct fed_saml *s, xmlNodePtr resp, struct core_err *err)
{
	xmlNodePtr iss = fed_saml_child(resp, FED_SAML_NS_SAML, "Issuer");
	char *v = iss != NULL ? fed_saml_text(iss) : NULL;
	const struct fed_saml_idp *idp = NULL;

	for (size_t i = 0; v != NULL && i < s->n_idps; i++)
		if (strcmp(v, s->idps[i].entity_id) == 0)
			idp = &s->idps[i];
	free(v);
	if (idp == NULL)
		core_err_set(err, CORE_EINVALID_TOKEN, "issuer_unknown",
		    "Invalid SAML response: unknown issuer");
	return idp;
}

static const char *
lasso_reason(int rc)
{
	int a = rc < 0 ? -rc : rc;

	if (a == LASSO_DS_ERROR_SIGNATURE_NOT_FOUND)
		return "signature_missing";
	if (a == LASSO_DS_ERROR_DECRYPTION_FAILED ||
	    a == LASSO_DS_ERROR_DECRYPTION_FAILED_MISSING_PRIVATE_KEY)
		return "decrypt_failed";
	if (a >= 100 && a < 200)
		return "signature_invalid";
	if (rc == LASSO_PROFILE_ERROR_MISSING_ASSERTION)
		return "assertion_count";
	if (a == 437)
		return "issuer_mismatch";
	if (a == 201 || a == 433 || a == 439 || a == 448 || a == 449)
		return "issuer_unknown";
	return "malformed";
}

/* lasso gets exactly the bytes we parsed (re-encoded: its base64 decoder
 * need not agree with ours on odd input), verifies the signatures with
 * the IdP metadata keys (KeyInfo is never used: lasso presets the key)
 * and must end up with the very assertion structure checks selected. */
static int
lasso_verify(const struct fed_saml *s, const uint8_t *xml, size_t len,
	     const struct fed_saml_doc *d, const struct fed_saml_idp *idp,
	     struct core_err *err)
{
	char *b64 = core_b64_encode(xml, len);
	LassoLogin *login = lasso_login_new(s->server);
	LassoNode *a = NULL;
	char *id = NULL;
	int rc, ok;

	if (login == NULL)
		fatalx("%s: lasso_login_new failed", __func__);
	/* MAYBE: a Response signature must verify if present; an unsigned
	 * Response needs every assertion signed. Never IGNORE. */
	lasso_profile_set_signature_verify_hint(LASSO_PROFILE(login),
	    LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
	rc = lasso_login_process_authn_response_msg(login, b64);
	free(b64);
	/* signature_status is about the Response signature only (101 "not
	 * found" when only the assertion is signed): where there is one, it
	 * must have verified. */
	if (rc == 0 && d->response_signed)
		rc = lasso_profile_get_signature_status(LASSO_PROFILE(login));
	if (rc == 0)
		a = lasso_login_get_assertion(login);
	id = fed_saml_attr_get(d->assertion, "ID");
	ok = rc == 0 && a != NULL && LASSO_IS_SAML2_ASSERTION(a) &&
	    id != NULL && LASSO_SAML2_ASSERTION(a)->ID != NULL &&
	    strcmp(LASSO_SAML2_ASSERTION(a)->ID, id) == 0 &&
	    LASSO_PROFILE(login)->remote_providerID != NULL &&
	    strcmp(LASSO_PROFILE(login)->remote_providerID,
	    idp->entity_id) == 0;
	free(id);
	if (a != NULL)
		g_object_unref(a);
	lasso_login_destroy(login);
	if (ok)
		return 0;
	if (rc != 0)
		core_err_set(err, CORE_EINVALID_TOKEN, lasso_reason(rc),
		    "Invalid SAML response: signature verification failed");
	else
		core_err_set(err, CORE_EINVALID_TOKEN, "xsw",
		    "Invalid SAML response: signed element is not the one "
		    "used");
	return -1;
}

static int
parse_step(const char *b64, size_t len, uint8_t **xml, size_t *xlen,
	   struct fed_saml_doc *d, struct core_err *err)
{
	if (b64 == NULL || len > FED_SAML_MAX_B64) {
		core_err_set(err, CORE_EVALIDATION, "too_large",
		    "SAMLAssertion must be at most %d characters",
		    FED_SAML_MAX_B64);
		return -1;
	}
	if ((*xml = fed_saml_b64_decode(b64, len, xlen)) == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
		    "Invalid SAML response: not base64");
		return -1;
	}
	if (fed_saml_has_doctype(*xml, *xlen)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "dtd",
		    "Invalid SAML response: DTDs are not allowed");
		return -1;
	}
	if ((d->doc = fed_saml_xml_parse(*xml, *xlen, err)) == NULL)
		return -1;
	d->response = xmlDocGetRootElement(d->doc);
	if (d->response == NULL || d->response->ns == NULL || strcmp(
	    (const char *)d->response->name, "Response") != 0 || strcmp(
	    (const char *)d->response->ns->href, FED_SAML_NS_SAMLP) != 0) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
		    MSG_MALFORMED);
		return -1;
	}
	return 0;
}

#define STEP(name, expr) do {						\
	int rc_ = (expr);						\
	fed_saml_trace_step(trace, (name), rc_ < 0 ? err : NULL);	\
	if (rc_ < 0)							\
		goto out;						\
} while (0)

int
fed_saml_validate(struct fed_saml *s, struct fed_saml_replay *replay,
		  const char *b64, size_t len, int64_t now, int skew,
		  const char *const *outstanding, size_t n_outstanding,
		  struct fed_saml_assertion **out, struct core_err *err,
		  struct fed_saml_trace *trace)
{
	struct fed_saml_check_in in = {.now = now, .skew = skew < 0 ? 0 : skew,
	    .outstanding = outstanding, .n_outstanding = n_outstanding};
	struct fed_saml_doc d = {0};
	struct fed_saml_assertion *a = NULL;
	struct core_err lerr = {0};
	uint8_t *xml = NULL;
	size_t xlen = 0;
	int rc = -1;

	if (err == NULL)
		err = &lerr;
	saml_thread_quiet();
	STEP("decode_parse", parse_step(b64, len, &xml, &xlen, &d, err));
	STEP("status", status_check(d.response, err));
	STEP("issuer", (in.idp = issuer_lookup(s, d.response, err)) != NULL ?
	    0 : -1);
	STEP("structure", fed_saml_structure(s, &d, err));
	STEP("assertion_issuer", fed_saml_assertion_issuer(&d, in.idp, err));
	STEP("signature", lasso_verify(s, xml, xlen, &d, in.idp, err));
	if (fed_saml_check(s, &d, &in, &a, err, trace) < 0) {
		fed_saml_trace_step(trace, "assertion", err);
		goto out;
	}
	STEP("replay", replay == NULL ? 0 : fed_saml_replay_add(replay,
	    a->issuer, a->assertion_id, a->not_on_or_after + in.skew, now,
	    err));
	*out = a;
	a = NULL;
	rc = 0;
out:
	if (rc < 0)
		log_debug("%s: refused: %s", __func__, err->reason != NULL ?
		    err->reason : "?");
	fed_saml_assertion_free(a);
	xmlFreeDoc(d.doc);
	free(xml);
	return rc;
}
