/* federation/saml.h - SAML 2.0 Response validation (lasso on libxml2/xmlsec)
 *
 * One validation path for the STS API (AssumeRoleWithSAML) and the login
 * page's ACS ([4/5]). lasso handles the SAML profile and signatures; every
 * check lasso does not do reliably is done here on the XML itself
 * (../shared/reference/libraries.md §2, §3, §6).
 */
#ifndef FED_SAML_H
#define FED_SAML_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FED_SAML_MAX_B64 100000		/* SAMLAssertion limit of the model */
#define FED_SAML_MAX_ATTRS 256
#define FED_SAML_MAX_VALUES 64		/* per attribute */

/* Service-provider settings (saml_sp: block of the config). */
struct fed_saml_sp_config {
	char *entity_id;	/* must appear as the assertion's Audience */
	char *acs_url;		/* accepted as Recipient / Destination */
	char **recipients;	/* extra accepted Recipient/Destination URLs */
	size_t n_recipients;
	char *cert_file;	/* SP certificate (PEM), may be NULL */
	char *key_file;		/* SP key (PEM; decrypts EncryptedAssertion), may be NULL */
	int allow_sha1;		/* default 0: RSA-SHA1 / SHA-1 digests refused */
};

/* One SAML IdP (providers[] entry with type: saml). */
struct fed_saml_idp_config {
	char *name;		/* provider name: arn:aws:iam::ACCT:saml-provider/NAME */
	char *metadata_file;	/* IdP metadata XML (EntityDescriptor) */
	char *metadata_url;	/* or fetched with libcurl (https; http only on loopback) */
	char *preset;		/* NULL | "entra" | "okta" | "google" (notes/defaults only) */
	int refresh_seconds;	/* metadata_url refresh; default 3600 */
};

struct fed_saml;	/* SP + IdPs: built once, read-only, thread-safe */
struct fed_saml_replay;	/* single-use assertion IDs (memory store) */

/**
 * Build the validator: read SP cert/key, every IdP's metadata (signing
 * certificates: all of them, for rollover), one shared LassoServer.
 * Takes ownership of the configs' contents. NULL with err CORE_ECONFIG.
 */
struct fed_saml *fed_saml_new(struct fed_saml_sp_config *sp,
			      struct fed_saml_idp_config *idps, size_t n_idps,
			      struct core_err *err);
void fed_saml_free(struct fed_saml *s);

struct fed_saml_replay *fed_saml_replay_new(void);
void fed_saml_replay_free(struct fed_saml_replay *r);

struct fed_saml_attr {
	char *name;		/* Attribute Name, exactly */
	char **values;		/* canonical text values (comments cannot truncate) */
	size_t n_values;
};

/* A validated assertion. Owned by the caller: fed_saml_assertion_free. */
struct fed_saml_assertion {
	char *idp_name;		/* provider name from config */
	char *issuer;		/* Issuer (== IdP entity id) */
	char *assertion_id;	/* ID, for replay and audit */
	char *name_id;		/* Subject NameID value */
	char *name_id_format;	/* full Format URI or NULL */
	char *recipient;	/* SubjectConfirmationData Recipient (AWS: Audience, SAML:aud) */
	int64_t not_on_or_after;     /* min of Conditions / SubjectConfirmationData */
	int64_t session_not_on_or_after; /* AuthnStatement SessionNotOnOrAfter, 0 if none */
	char *in_response_to;	/* or NULL */
	struct fed_saml_attr *attrs;
	size_t n_attrs;
};

/** Step-by-step trace of a validation (fedgate explain groundwork). */
struct fed_saml_trace;

/** New empty trace; free with fed_saml_trace_free (NULL is a no-op). */
struct fed_saml_trace *fed_saml_trace_new(void);
void fed_saml_trace_free(struct fed_saml_trace *t);

/**
 * The steps so far, one per line: "step: ok" or "step: FAIL reason".
 * Never contains assertion contents. Borrowed; valid until the next step
 * or fed_saml_trace_free.
 */
const char *fed_saml_trace_text(const struct fed_saml_trace *t);

/**
 * Validate a base64 SAMLResponse (HTTP-POST binding; whitespace allowed in
 * the base64). Checks, in order, everything in issue [3/5] item 2: size
 * bounds before decoding, no DOCTYPE/entities, no network or file access,
 * exactly one (possibly encrypted) assertion, signature over the assertion
 * actually used (Response- or Assertion-level, by reference, never a key from
 * KeyInfo, only enveloped + exclusive-C14N transforms, RSA-SHA256 or stronger
 * unless allow_sha1), Status Success, Issuer = IdP entity id, Audience
 * contains the SP entity id (all Audience elements read from the XML),
 * bearer SubjectConfirmation with accepted Recipient and future
 * NotOnOrAfter, Conditions NotBefore/NotOnOrAfter with skew, Destination
 * (if present) accepted, InResponseTo (if present) must be one of
 * outstanding (NULL/0: refuse any InResponseTo), replay (assertion ID
 * recorded until NotOnOrAfter).
 * err: CORE_EINVALID_TOKEN (reason e.g. "signature_invalid", "dtd",
 * "xsw", "audience_mismatch", "recipient_mismatch", "replay", "sha1",
 * "issuer_unknown", "assertion_count", "malformed"), CORE_EEXPIRED_TOKEN,
 * CORE_EIDP_REJECTED (Status not Success). trace may be NULL.
 * Thread-safe.
 */
int fed_saml_validate(struct fed_saml *s, struct fed_saml_replay *replay,
		      const char *b64, size_t len, int64_t now, int skew,
		      const char *const *outstanding, size_t n_outstanding,
		      struct fed_saml_assertion **out, struct core_err *err,
		      struct fed_saml_trace *trace);

void fed_saml_assertion_free(struct fed_saml_assertion *a);

/** Attribute values by exact name; NULL if absent. */
const struct fed_saml_attr *fed_saml_attr(const struct fed_saml_assertion *a,
					  const char *name);

/** SP metadata XML (entity id, ACS, certificates); malloc'd. */
char *fed_saml_sp_metadata(const struct fed_saml *s);

/** Names of the IdPs and whether each has usable signing certificates. */
size_t fed_saml_idp_count(const struct fed_saml *s);
const char *fed_saml_idp_name(const struct fed_saml *s, size_t i);
const char *fed_saml_idp_entity_id(const struct fed_saml *s, size_t i);

/**
 * Earliest notAfter (epoch seconds) among IdP i's signing certificates in
 * its metadata; 0 if none could be read as X.509.
 */
int64_t fed_saml_idp_cert_expiry(const struct fed_saml *s, size_t i);

#endif /* FED_SAML_H */
