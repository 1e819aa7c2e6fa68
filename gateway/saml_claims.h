/* gateway/saml_claims.h - what AWS reads from a SAML assertion
 *
 * The https://aws.amazon.com/SAML/Attributes/... attributes (sts-wire.md §2),
 * and the SAML condition keys of trust policies (sts-wire.md §3).
 */
#ifndef GW_SAML_CLAIMS_H
#define GW_SAML_CLAIMS_H

#include <stddef.h>

#include "core/err.h"

struct fed_saml_assertion;
struct trust_ctx;

#define GW_SAML_ATTR_PREFIX "https://aws.amazon.com/SAML/Attributes/"
#define GW_SAML_MAX_TAGS 50

struct gw_saml_claims {
	const char *session_name;	/* RoleSessionName attribute */
	int session_duration;		/* SessionDuration attribute, 0 if absent */
	const char *source_identity;
	struct {
		const char *key;
		const char *value;
		int transitive;
	} tags[GW_SAML_MAX_TAGS];
	size_t n_tags;
};

/**
 * Read the AWS attributes. RoleSessionName is required and must match
 * [\w+=,.@-]{2,64}; SessionDuration an integer 900..43200; tags single-valued
 * with IAM tag rules; TransitiveTagKeys must name tags. CORE_EINVALID_TOKEN
 * with AWS's messages otherwise. Strings borrowed from a.
 */
int gw_saml_claims_read(const struct fed_saml_assertion *a,
			struct gw_saml_claims *c, struct core_err *err);

/**
 * Does the Role attribute contain the pair (role_arn, principal_arn), in
 * either order ("role,provider" or "provider,role")?
 */
int gw_saml_role_pair(const struct fed_saml_assertion *a, const char *role_arn,
		      const char *principal_arn);

/** AWS's NameQualifier: BASE64(SHA1(issuer + account + "/" + provider)). */
char *gw_saml_name_qualifier(const char *issuer, const char *account,
			     const char *provider_name);

/** SubjectType: Format with urn:oasis:names:tc:SAML:2.0:nameid-format: dropped. */
const char *gw_saml_subject_type(const char *format);

/**
 * Add the SAML condition keys: SAML:aud (Recipient), SAML:iss, SAML:sub,
 * SAML:sub_type, SAML:namequalifier, SAML:doc, the eduPerson/AD keys AWS
 * maps, and every attribute as SAML:<attribute name> (multi-valued).
 */
void gw_saml_context_keys(struct trust_ctx *ctx,
			  const struct fed_saml_assertion *a,
			  const char *account, const char *provider_name);

#endif /* GW_SAML_CLAIMS_H */
