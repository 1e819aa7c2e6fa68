/* federation/saml_int.h - internals of the SAML validator, shared by
 * saml.c, saml_xml.c, saml_check.c and replay.c (and the unit tests). */
#ifndef FED_SAML_INT_H
#define FED_SAML_INT_H

#include "federation/saml.h"

#include <libxml/tree.h>

#include "core/mem.h"

#define FED_SAML_MAX_METADATA (1024 * 1024)	/* one IdP metadata document */
#define FED_SAML_MAX_KEYFILE (64 * 1024)
#define FED_SAML_MAX_VALUE 4096		/* one text value (NameID, attribute) */
#define FED_SAML_MAX_DEPTH 64		/* element nesting in a response */
#define FED_SAML_REPLAY_MAX 1000000	/* assertion IDs held at once */

#define FED_SAML_NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define FED_SAML_NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define FED_SAML_NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define FED_SAML_NS_XENC "http://www.w3.org/2001/04/xmlenc#"

struct _LassoServer;

struct fed_saml_idp {
	char *name;
	char *entity_id;
	size_t n_certs;		/* signing certificates found in metadata */
	int64_t cert_not_after;	/* earliest notAfter of them; 0: unknown */
};

struct fed_saml {
	char *entity_id;
	char *acs_url;
	char **recipients;
	size_t n_recipients;
	int allow_sha1;
	char *cert_pem;		/* NULL if none configured */
	char *cert_b64;		/* DER base64, for metadata */
	void *dec_key;		/* xmlSecKeyPtr: SP private key, or NULL */
	struct fed_saml_idp *idps;
	size_t n_idps;
	struct _LassoServer *server;
	char *metadata;		/* SP metadata XML */
};

/* What saml_xml.c found in the document. */
struct fed_saml_doc {
	xmlDocPtr doc;
	xmlNodePtr response;	/* root samlp:Response */
	xmlNodePtr assertion;	/* the single Assertion (decrypted if it was) */
	int encrypted;
	int response_signed;
	int assertion_signed;
};

struct fed_saml_trace {
	struct core_buf buf;
};

/** Append one step ("name: ok" or "name: FAIL reason") to the trace. */
void fed_saml_trace_step(struct fed_saml_trace *t, const char *step,
			 const struct core_err *err);

/* saml.c */
/** Process-wide init (lasso, xmlsec, entity loader, glib log handler). */
void fed_saml_global_init(void);

/**
 * Build from buffers instead of files (fuzz target, tests). idp_md[i] is
 * the metadata of an IdP named idp_names[i]. key_pem is wiped by the
 * caller. NULL with err CORE_ECONFIG.
 */
struct fed_saml *fed_saml_new_mem(const struct fed_saml_sp_config *sp,
				  const char *const *idp_names,
				  const char *const *idp_md, size_t n_idps,
				  const char *cert_pem, const char *key_pem,
				  struct core_err *err);

/* saml_xml.c */
/**
 * Base64 (RFC 4648 §4) with whitespace (IdPs wrap lines) and nothing else.
 * Malloc'd, NUL-terminated; NULL if invalid.
 */
uint8_t *fed_saml_b64_decode(const char *in, size_t len, size_t *outlen);

/** 1 if "<!DOCTYPE" occurs anywhere, any case. */
int fed_saml_has_doctype(const uint8_t *buf, size_t len);

/**
 * Parse with libxml2: no DTD loading, no entity substitution, no network;
 * any internal or external subset is refused. NULL: err "dtd"/"malformed".
 */
xmlDocPtr fed_saml_xml_parse(const uint8_t *buf, size_t len,
			     struct core_err *err);

/**
 * Structural checks (wrapping, IDs, signature placement, references,
 * algorithms) and decryption of an EncryptedAssertion with the SP key.
 * Fills d (d->doc already set). -1 with err.
 */
int fed_saml_structure(const struct fed_saml *s, struct fed_saml_doc *d,
		       struct core_err *err);

/** Text content of n: all text children, comments ignored; malloc'd. */
char *fed_saml_text(xmlNodePtr n);

/** First child element of n named name in namespace ns, or NULL. */
xmlNodePtr fed_saml_child(xmlNodePtr n, const char *ns, const char *name);

/** Attribute value (malloc'd, NULL if absent). */
char *fed_saml_attr_get(xmlNodePtr n, const char *name);

/**
 * SAML core §1.3.3 time: "YYYY-MM-DDTHH:MM:SS[.frac]Z", UTC, nothing
 * else. 0 with *out seconds since the epoch, -1 if unparseable.
 */
int fed_saml_time_parse(const char *s, int64_t *out);

/* saml_check.c */
struct fed_saml_check_in {
	int64_t now;
	int skew;
	const char *const *outstanding;
	size_t n_outstanding;
	const struct fed_saml_idp *idp;
};

/** Assertion Issuer = the IdP's entity id. -1: err "issuer_mismatch". */
int fed_saml_assertion_issuer(const struct fed_saml_doc *d,
			      const struct fed_saml_idp *idp,
			      struct core_err *err);

/**
 * Semantic checks on the selected assertion and extraction of its
 * contents. *out is a new assertion on success. -1 with err.
 */
int fed_saml_check(const struct fed_saml *s, const struct fed_saml_doc *d,
		   const struct fed_saml_check_in *in,
		   struct fed_saml_assertion **out, struct core_err *err,
		   struct fed_saml_trace *trace);

/* replay.c */
/** A store holding at most max IDs (fed_saml_replay_new uses the default). */
struct fed_saml_replay *fed_saml_replay_new_cap(size_t max);

/**
 * Record key (issuer + assertion ID) until expires. 0: first use. -1: err
 * CORE_EINVALID_TOKEN "replay" if already recorded and unexpired, or
 * CORE_EUNAVAILABLE "replay_store_full" when the store is full of
 * unexpired IDs (fail closed: nothing is evicted early).
 */
int fed_saml_replay_add(struct fed_saml_replay *r, const char *issuer,
			const char *id, int64_t expires, int64_t now,
			struct core_err *err);

/** Number of IDs currently held (tests). */
size_t fed_saml_replay_count(struct fed_saml_replay *r);

#endif /* FED_SAML_INT_H */
