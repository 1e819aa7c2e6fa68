/* federation/saml_xml.c - the SAML document as XML: decoding, parsing
 * without DTDs, structure (signature wrapping), decryption, values.
 *
 * lasso verifies the signatures cryptographically. What this file makes
 * sure of is that the element lasso verified is the one the rest of
 * fedgate reads: one Response, exactly one assertion, unique IDs, and
 * every ds:Signature an enveloped signature of its parent, referencing
 * that parent by ID, with only the algorithms we allow. With those rules
 * no XSW variant (wrapping the signed element somewhere lasso or we do not
 * look) has a place to hide the signed copy.
 */
#include "federation/saml_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/crypto.h>

#include "core/b64.h"
#include "core/log.h"

#define MSG_MALFORMED "Invalid SAML response: malformed document"
#define MSG_XSW "Invalid SAML response: signed element is not the one used"
#define MSG_ALG "Invalid SAML response: signature algorithm not allowed"

uint8_t *
fed_saml_b64_decode(const char *in, size_t len, size_t *outlen)
{
	char *clean = core_xmalloc(len + 1);
	uint8_t *out;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		clean[n++] = c;
	}
	out = core_b64_decode(clean, n, outlen);
	free(clean);
	return out;
}

int
fed_saml_has_doctype(const uint8_t *buf, size_t len)
{
	static const char pat[] = "<!doctype";

	for (size_t i = 0; i + sizeof(pat) - 1 <= len; i++)
		if (strncasecmp((const char *)buf + i, pat, sizeof(pat) - 1) == 0)
			return 1;
	return 0;
}

/* No DTD, so no entity can be defined; refuse anything that still looks
 * like one (belt and braces under the parser options). */
static int
xml_plain(xmlNodePtr n, int depth)
{
	if (depth > FED_SAML_MAX_DEPTH)
		return -1;
	for (; n != NULL; n = n->next) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (xml_plain(n->children, depth + 1) < 0)
				return -1;
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return -1;
		}
	}
	return 0;
}

xmlDocPtr
fed_saml_xml_parse(const uint8_t *buf, size_t len, struct core_err *err)
{
	xmlDocPtr doc;

	if (len > INT32_MAX) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed", MSG_MALFORMED);
		return NULL;
	}
	/* Deliberately without XML_PARSE_DTDLOAD, XML_PARSE_NOENT,
	 * XML_PARSE_DTDATTR and XML_PARSE_HUGE; NONET in case anything
	 * would still resolve a URI (the entity loader refuses too). */
	doc = xmlReadMemory((const char *)buf, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed", MSG_MALFORMED);
		return NULL;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		xmlFreeDoc(doc);
		core_err_set(err, CORE_EINVALID_TOKEN, "dtd",
		    "Invalid SAML response: DTDs are not allowed");
		return NULL;
	}
	if (xml_plain(doc->children, 0) < 0) {
		xmlFreeDoc(doc);
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed", MSG_MALFORMED);
		return NULL;
	}
	return doc;
}

static int
is_el(xmlNodePtr n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->name, name) == 0 &&
	    strcmp((const char *)n->ns->href, ns) == 0;
}

xmlNodePtr
fed_saml_child(xmlNodePtr n, const char *ns, const char *name)
{
	for (xmlNodePtr c = n != NULL ? n->children : NULL; c != NULL;
	     c = c->next)
		if (is_el(c, ns, name))
			return c;
	return NULL;
}

char *
fed_saml_attr_get(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s;

	if (v == NULL)
		return NULL;
	s = core_xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* Every text and CDATA node below n, in document order. Comments are not
 * text: "a<!---->b" reads "ab", as exclusive C14N (which the signature
 * covers) sees it, never "a". */
char *
fed_saml_text(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = core_xstrdup(v != NULL ? (const char *)v : "");

	xmlFree(v);
	return s;
}

/* ------------------------------------------------------------- time */

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
fed_saml_time_parse(const char *s, int64_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31};
	int y, mo, d, h, mi, sec;
	size_t i = 19;

	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 ||
	    digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &sec) < 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	if (s[i] == '.') {
		size_t f = ++i;

		while (s[i] >= '0' && s[i] <= '9' && i - f < 9)
			i++;
		if (i == f)
			return -1;
	}
	/* SAML core §1.3.3: UTC "with no time zone component" - only Z. */
	if (s[i] != 'Z' || s[i + 1] != '\0')
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

/* ------------------------------------------------------------- structure */

struct walk {
	xmlNodePtr root;
	xmlNodePtr direct[2];	/* first two assertions directly under root */
	size_t n_direct;
	int nested;		/* assertion or Response anywhere else */
	xmlNodePtr sigs[8];
	size_t n_sigs;
	int too_many_sigs;
	const xmlChar **ids;
	size_t n_ids, cap_ids;
};

static int
is_assertion(xmlNodePtr n)
{
	return is_el(n, FED_SAML_NS_SAML, "Assertion") ||
	    is_el(n, FED_SAML_NS_SAML, "EncryptedAssertion");
}

static void
walk_ids(struct walk *w, xmlNodePtr n)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
		const char *nm = (const char *)a->name;

		if (strcmp(nm, "ID") != 0 && strcmp(nm, "Id") != 0 &&
		    strcmp(nm, "id") != 0 && strcmp(nm, "AssertionID") != 0 &&
		    strcmp(nm, "ResponseID") != 0)
			continue;
		if (a->children == NULL || a->children->content == NULL)
			continue;
		if (w->n_ids == w->cap_ids) {
			w->cap_ids = w->cap_ids ? w->cap_ids * 2 : 16;
			w->ids = core_xrealloc(w->ids, w->cap_ids *
			    sizeof(*w->ids));
		}
		w->ids[w->n_ids++] = a->children->content;
	}
}

static void
walk_node(struct walk *w, xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		walk_ids(w, n);
		if (is_assertion(n)) {
			if (n->parent == w->root) {
				if (w->n_direct < 2)
					w->direct[w->n_direct] = n;
				w->n_direct++;
			} else if (!(is_el(n, FED_SAML_NS_SAML, "Assertion") &&
			    is_el(n->parent, FED_SAML_NS_SAML,
			    "EncryptedAssertion") &&
			    n->parent->parent == w->root))
				w->nested = 1;
		}
		if (is_el(n, FED_SAML_NS_SAMLP, "Response") && n != w->root)
			w->nested = 1;
		if (is_el(n, FED_SAML_NS_DS, "Signature")) {
			if (w->n_sigs < 8)
				w->sigs[w->n_sigs++] = n;
			else
				w->too_many_sigs = 1;
		}
		walk_node(w, n->children);
	}
}

static int
cmp_ids(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
ids_unique(struct walk *w)
{
	if (w->n_ids < 2)
		return 1;
	qsort(w->ids, w->n_ids, sizeof(*w->ids), cmp_ids);
	for (size_t i = 1; i < w->n_ids; i++)
		if (strcmp((const char *)w->ids[i - 1],
		    (const char *)w->ids[i]) == 0)
			return 0;
	return 1;
}

/* The one assertion element used: the direct Assertion, or the Assertion
 * decrypted into the direct EncryptedAssertion. */
static xmlNodePtr
used_assertion(xmlNodePtr direct)
{
	if (is_el(direct, FED_SAML_NS_SAML, "Assertion"))
		return direct;
	return fed_saml_child(direct, FED_SAML_NS_SAML, "Assertion");
}

static const char *const alg_sig_strong[] = {
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
	NULL
};
static const char *const alg_dig_strong[] = {
	"http://www.w3.org/2001/04/xmlenc#sha256",
	"http://www.w3.org/2001/04/xmldsig-more#sha384",
	"http://www.w3.org/2001/04/xmlenc#sha512",
	NULL
};
#define ALG_RSA_SHA1 "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
#define ALG_SHA1 "http://www.w3.org/2000/09/xmldsig#sha1"
#define ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_EXC_C14N_C "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
#define ALG_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

static int
alg_in(xmlNodePtr n, const char *const *list, const char *extra)
{
	char *alg = fed_saml_attr_get(n, "Algorithm");
	int ok = 0;

	if (alg == NULL)
		return 0;
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(alg, list[i]) == 0)
			ok = 1;
	if (extra != NULL && strcmp(alg, extra) == 0)
		ok = 1;
	free(alg);
	return ok;
}

static int
alg_check(const struct fed_saml *s, xmlNodePtr n, const char *const *strong,
	  const char *sha1, struct core_err *err)
{
	if (n != NULL && alg_in(n, strong, NULL))
		return 0;
	if (n != NULL && alg_in(n, NULL, sha1)) {
		if (s->allow_sha1)
			return 0;
		core_err_set(err, CORE_EINVALID_TOKEN, "sha1",
		    "Invalid SAML response: SHA-1 signatures are not allowed");
		return -1;
	}
	core_err_set(err, CORE_EINVALID_TOKEN, "signature_algorithm", MSG_ALG);
	return -1;
}

/* XML-DSig core §4.3.3: only enveloped-signature and exclusive C14N
 * (SAML core §5.4.4); XPath and XSLT transforms are refused. */
static int
transforms_check(xmlNodePtr ref, struct core_err *err)
{
	static const char *const ok[] = {ALG_ENVELOPED, ALG_EXC_C14N,
	    ALG_EXC_C14N_C, NULL};
	xmlNodePtr tr = fed_saml_child(ref, FED_SAML_NS_DS, "Transforms");
	size_t n = 0;

	for (xmlNodePtr t = tr != NULL ? tr->children : NULL; t != NULL;
	     t = t->next) {
		if (t->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(t, FED_SAML_NS_DS, "Transform") || !alg_in(t, ok,
		    NULL) || ++n > 2) {
			core_err_set(err, CORE_EINVALID_TOKEN,
			    "signature_transform", MSG_ALG);
			return -1;
		}
	}
	return 0;
}

static int
reference_check(xmlNodePtr si, xmlNodePtr parent, struct core_err *err)
{
	xmlNodePtr ref = NULL;
	size_t n = 0;
	char *uri, *id;
	int ok;

	for (xmlNodePtr c = si->children; c != NULL; c = c->next)
		if (is_el(c, FED_SAML_NS_DS, "Reference")) {
			ref = c;
			n++;
		}
	if (n != 1) {
		core_err_set(err, CORE_EINVALID_TOKEN, "xsw", MSG_XSW);
		return -1;
	}
	uri = fed_saml_attr_get(ref, "URI");
	id = fed_saml_attr_get(parent, "ID");
	ok = uri != NULL && id != NULL && uri[0] == '#' &&
	    strcmp(uri + 1, id) == 0;
	free(uri);
	free(id);
	if (!ok) {
		core_err_set(err, CORE_EINVALID_TOKEN, "xsw", MSG_XSW);
		return -1;
	}
	return 0;
}

static int
signature_check(const struct fed_saml *s, xmlNodePtr sig,
		struct core_err *err)
{
	static const char *const c14n[] = {ALG_EXC_C14N, ALG_EXC_C14N_C, NULL};
	xmlNodePtr si = fed_saml_child(sig, FED_SAML_NS_DS, "SignedInfo");
	xmlNodePtr cm, ref;

	if (si == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed", MSG_MALFORMED);
		return -1;
	}
	if (reference_check(si, sig->parent, err) < 0)
		return -1;
	cm = fed_saml_child(si, FED_SAML_NS_DS, "CanonicalizationMethod");
	if (cm == NULL || !alg_in(cm, c14n, NULL)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "signature_transform",
		    MSG_ALG);
		return -1;
	}
	if (alg_check(s, fed_saml_child(si, FED_SAML_NS_DS, "SignatureMethod"),
	    alg_sig_strong, ALG_RSA_SHA1, err) < 0)
		return -1;
	ref = fed_saml_child(si, FED_SAML_NS_DS, "Reference");
	if (transforms_check(ref, err) < 0)
		return -1;
	return alg_check(s, fed_saml_child(ref, FED_SAML_NS_DS, "DigestMethod"),
	    alg_dig_strong, ALG_SHA1, err);
}

/* Signatures may sit only directly under the Response or the assertion
 * used, one each (SAML core §5.4.1, XML-DSig enveloped). */
static int
signatures_check(const struct fed_saml *s, struct walk *w, xmlNodePtr used,
		 struct fed_saml_doc *d, struct core_err *err)
{
	if (w->too_many_sigs) {
		core_err_set(err, CORE_EINVALID_TOKEN, "xsw", MSG_XSW);
		return -1;
	}
	d->response_signed = d->assertion_signed = 0;
	for (size_t i = 0; i < w->n_sigs; i++) {
		xmlNodePtr p = w->sigs[i]->parent;
		int *flag = p == w->root ? &d->response_signed :
		    (used != NULL && p == used) ? &d->assertion_signed : NULL;

		if (flag == NULL || *flag) {
			core_err_set(err, CORE_EINVALID_TOKEN, "xsw", MSG_XSW);
			return -1;
		}
		*flag = 1;
		if (signature_check(s, w->sigs[i], err) < 0)
			return -1;
	}
	return 0;
}

static int
structure_pass(const struct fed_saml *s, struct fed_saml_doc *d,
	       struct core_err *err)
{
	struct walk w = {.root = d->response};
	int rc = -1;

	walk_node(&w, d->response);
	if (w.nested || !ids_unique(&w)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "xsw", MSG_XSW);
		goto out;
	}
	if (w.n_direct != 1) {
		core_err_set(err, CORE_EINVALID_TOKEN, "assertion_count",
		    "Invalid SAML response: exactly one assertion is required");
		goto out;
	}
	d->encrypted = is_el(w.direct[0], FED_SAML_NS_SAML,
	    "EncryptedAssertion");
	d->assertion = used_assertion(w.direct[0]);
	if (signatures_check(s, &w, d->assertion, d, err) < 0)
		goto out;
	rc = 0;
out:
	free(w.ids);
	return rc;
}

/* ------------------------------------------------------------- decryption */

static xmlNodePtr
find_encrypted_key(xmlNodePtr ea, xmlNodePtr ed)
{
	xmlNodePtr ki = fed_saml_child(ed, FED_SAML_NS_DS, "KeyInfo");
	xmlNodePtr ek = fed_saml_child(ki, FED_SAML_NS_XENC, "EncryptedKey");

	/* SAML core §2.3.4: EncryptedKey inside KeyInfo or as a sibling. */
	return ek != NULL ? ek : fed_saml_child(ea, FED_SAML_NS_XENC,
	    "EncryptedKey");
}

/* Key transport: RSA-OAEP only (PKCS#1 v1.5 invites Bleichenbacher). */
static xmlSecKeyPtr
decrypt_session_key(const struct fed_saml *s, xmlNodePtr ek)
{
	xmlSecEncCtxPtr ctx = xmlSecEncCtxCreate(NULL);
	xmlSecBufferPtr buf;
	xmlSecKeyPtr key = NULL;

	if (ctx == NULL)
		return NULL;
	ctx->encKey = xmlSecKeyDuplicate((xmlSecKeyPtr)s->dec_key);
	ctx->mode = xmlEncCtxModeEncryptedKey;
	if (ctx->encKey == NULL || xmlSecPtrListAdd(
	    &ctx->transformCtx.enabledTransforms,
	    (void *)xmlSecTransformRsaOaepId) < 0)
		goto out;
	buf = xmlSecEncCtxDecryptToBuffer(ctx, ek);
	if (buf != NULL)
		key = xmlSecKeyReadBuffer(xmlSecKeyDataAesId, buf);
out:
	xmlSecEncCtxDestroy(ctx);
	return key;
}

static int
decrypt_data(xmlSecKeyPtr key, xmlNodePtr ed)
{
	xmlSecEncCtxPtr ctx = xmlSecEncCtxCreate(NULL);
	xmlSecTransformId allowed[] = {
		xmlSecTransformAes128CbcId, xmlSecTransformAes192CbcId,
		xmlSecTransformAes256CbcId, xmlSecTransformAes128GcmId,
		xmlSecTransformAes192GcmId, xmlSecTransformAes256GcmId,
	};
	int rc = -1;

	if (ctx == NULL) {
		xmlSecKeyDestroy(key);
		return -1;
	}
	ctx->encKey = key;
	ctx->mode = xmlEncCtxModeEncryptedData;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (xmlSecPtrListAdd(&ctx->transformCtx.enabledTransforms,
		    (void *)allowed[i]) < 0)
			goto out;
	if (xmlSecEncCtxDecrypt(ctx, ed) < 0 || !ctx->resultReplaced)
		goto out;
	rc = 0;
out:
	xmlSecEncCtxDestroy(ctx);
	return rc;
}

/* Decrypt in place: EncryptedAssertion/EncryptedData becomes
 * EncryptedAssertion/Assertion. Every failure looks the same to the
 * caller (one reason, one message): distinguishable decryption errors are
 * what CBC padding-oracle attacks on XML Encryption feed on. */
static int
decrypt_assertion(const struct fed_saml *s, xmlNodePtr ea,
		  struct core_err *err)
{
	xmlNodePtr ed = fed_saml_child(ea, FED_SAML_NS_XENC, "EncryptedData");
	xmlNodePtr ek = find_encrypted_key(ea, ed);
	xmlSecKeyPtr key;
	size_t n = 0;

	if (s->dec_key == NULL || ed == NULL || ek == NULL)
		goto fail;
	key = decrypt_session_key(s, ek);
	if (key == NULL || decrypt_data(key, ed) < 0)
		goto fail;
	for (xmlNodePtr c = ea->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !is_el(c, FED_SAML_NS_XENC,
		    "EncryptedKey") && n++ == 0 && !is_el(c,
		    FED_SAML_NS_SAML, "Assertion"))
			goto fail;
	if (n != 1 || xml_plain(ea->children, 0) < 0)
		goto fail;
	return 0;
fail:
	core_err_set(err, CORE_EINVALID_TOKEN, "decrypt_failed",
	    "Invalid SAML response: cannot decrypt the assertion");
	return -1;
}

int
fed_saml_structure(const struct fed_saml *s, struct fed_saml_doc *d,
		   struct core_err *err)
{
	xmlNodePtr ea;

	if (structure_pass(s, d, err) < 0)
		return -1;
	if (d->encrypted) {
		ea = d->assertion != NULL ? d->assertion->parent : NULL;
		for (xmlNodePtr c = d->response->children; ea == NULL &&
		     c != NULL; c = c->next)
			if (is_el(c, FED_SAML_NS_SAML, "EncryptedAssertion"))
				ea = c;
		if (d->assertion != NULL || decrypt_assertion(s, ea, err) < 0) {
			core_err_set(err, CORE_EINVALID_TOKEN, "decrypt_failed",
			    "Invalid SAML response: cannot decrypt the "
			    "assertion");
			return -1;
		}
		/* Again over the decrypted tree: wrapping inside the
		 * plaintext, IDs, signature placement and algorithms. */
		if (structure_pass(s, d, err) < 0)
			return -1;
	}
	if (d->assertion == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "assertion_count",
		    "Invalid SAML response: exactly one assertion is required");
		return -1;
	}
	if (!d->response_signed && !d->assertion_signed) {
		core_err_set(err, CORE_EINVALID_TOKEN, "signature_missing",
		    "Invalid SAML response: not signed");
		return -1;
	}
	return 0;
}
