/* gateway/saml_claims.c - AWS's reading of SAML assertions */
#include "gateway/saml_claims.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "core/b64.h"
#include "core/mem.h"
#include "federation/saml.h"
#include "gateway/sts_params.h"
#include "trust/policy.h"

#define NAMEID_PREFIX "urn:oasis:names:tc:SAML:2.0:nameid-format:"
#define TAG_PREFIX GW_SAML_ATTR_PREFIX "PrincipalTag:"

static const char *
single(const struct fed_saml_assertion *a, const char *suffix, int *multi)
{
	char name[160];
	const struct fed_saml_attr *at;

	snprintf(name, sizeof(name), GW_SAML_ATTR_PREFIX "%s", suffix);
	at = fed_saml_attr(a, name);
	*multi = at != NULL && at->n_values > 1;
	return at != NULL && at->n_values == 1 ? at->values[0] : NULL;
}

static int
read_duration(const char *v, int *out, struct core_err *err)
{
	char *end;
	long n;

	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || !isdigit((unsigned char)v[0]) ||
	    n < 900 || n > 43200) {
		core_err_set(err, CORE_EINVALID_TOKEN, "session_duration",
			     "SessionDuration in AuthnResponse must be an "
			     "integer between 900 and 43200");
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
read_tags(const struct fed_saml_assertion *a, struct gw_saml_claims *c,
	  struct core_err *err)
{
	size_t plen = strlen(TAG_PREFIX);

	for (size_t i = 0; i < a->n_attrs; i++) {
		const struct fed_saml_attr *at = &a->attrs[i];

		if (strncmp(at->name, TAG_PREFIX, plen) != 0)
			continue;
		if (c->n_tags == GW_SAML_MAX_TAGS || at->n_values != 1 ||
		    !gw_sts_valid_tag(at->name + plen, at->values[0])) {
			core_err_set(err, CORE_EINVALID_TOKEN, "tags_invalid",
				     "The SAML assertion carries an invalid or "
				     "multi-valued session tag, or more than 50");
			return -1;
		}
		for (size_t j = 0; j < c->n_tags; j++) {
			if (strcasecmp(c->tags[j].key, at->name + plen) == 0) {
				core_err_set(err, CORE_EINVALID_TOKEN,
					     "tags_invalid",
					     "Duplicate session tag keys in the "
					     "SAML assertion");
				return -1;
			}
		}
		c->tags[c->n_tags].key = at->name + plen;
		c->tags[c->n_tags++].value = at->values[0];
	}
	return 0;
}

static int
read_transitive(const struct fed_saml_assertion *a, struct gw_saml_claims *c,
		struct core_err *err)
{
	const struct fed_saml_attr *at =
	    fed_saml_attr(a, GW_SAML_ATTR_PREFIX "TransitiveTagKeys");

	for (size_t i = 0; at != NULL && i < at->n_values; i++) {
		int found = 0;

		for (size_t j = 0; j < c->n_tags; j++) {
			if (strcasecmp(c->tags[j].key, at->values[i]) == 0) {
				c->tags[j].transitive = 1;
				found = 1;
			}
		}
		if (!found) {
			core_err_set(err, CORE_EINVALID_TOKEN, "tags_invalid",
				     "TransitiveTagKeys names a tag the SAML "
				     "assertion does not carry");
			return -1;
		}
	}
	return 0;
}

int
gw_saml_claims_read(const struct fed_saml_assertion *a,
		    struct gw_saml_claims *c, struct core_err *err)
{
	int multi = 0, m2 = 0, m3 = 0;

	memset(c, 0, sizeof(*c));
	c->session_name = single(a, "RoleSessionName", &multi);
	if (c->session_name == NULL || multi ||
	    !gw_sts_valid_session_name(c->session_name)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "session_name",
			     "RoleSessionName in AuthnResponse must match "
			     "[a-zA-Z_0-9+=,.@-]{2,64}");
		return -1;
	}
	if (read_duration(single(a, "SessionDuration", &m2), &c->session_duration,
			  err) == -1)
		return -1;
	c->source_identity = single(a, "SourceIdentity", &m3);
	if (m2 || m3 || (c->source_identity != NULL &&
			 (!gw_sts_valid_session_name(c->source_identity) ||
			  strncasecmp(c->source_identity, "aws:", 4) == 0))) {
		core_err_set(err, CORE_EINVALID_TOKEN, "attribute_invalid",
			     "SessionDuration and SourceIdentity must be single "
			     "values; SourceIdentity must match [\\w+=,.@-]{2,64}");
		return -1;
	}
	if (read_tags(a, c, err) == -1)
		return -1;
	return read_transitive(a, c, err);
}

/* "a,b" equals the pair (x, y) in either order; whitespace tolerated. */
static int
pair_matches(const char *v, const char *x, const char *y)
{
	const char *comma = strchr(v, ',');
	char left[2100], right[2100];
	size_t ln;

	if (comma == NULL || strchr(comma + 1, ',') != NULL)
		return 0;
	ln = (size_t)(comma - v);
	if (ln >= sizeof(left) || strlen(comma + 1) >= sizeof(right))
		return 0;
	while (ln > 0 && isspace((unsigned char)v[ln - 1]))
		ln--;
	while (isspace((unsigned char)*v) && ln > 0)
		v++, ln--;
	memcpy(left, v, ln);
	left[ln] = '\0';
	v = comma + 1;
	while (isspace((unsigned char)*v))
		v++;
	snprintf(right, sizeof(right), "%s", v);
	for (size_t n = strlen(right); n > 0 && isspace((unsigned char)right[n - 1]);)
		right[--n] = '\0';
	return (strcmp(left, x) == 0 && strcmp(right, y) == 0) ||
	       (strcmp(left, y) == 0 && strcmp(right, x) == 0);
}

int
gw_saml_role_pair(const struct fed_saml_assertion *a, const char *role_arn,
		  const char *principal_arn)
{
	const struct fed_saml_attr *at =
	    fed_saml_attr(a, GW_SAML_ATTR_PREFIX "Role");

	for (size_t i = 0; at != NULL && i < at->n_values; i++)
		if (pair_matches(at->values[i], role_arn, principal_arn))
			return 1;
	return 0;
}

char *
gw_saml_name_qualifier(const char *issuer, const char *account,
		       const char *provider_name)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	char *in = core_xasprintf("%s%s/%s", issuer, account, provider_name);
	char *out;

	/* SHA-1 here is AWS's identifier formula, not a security check. */
	SHA1((const unsigned char *)in, strlen(in), md);
	out = core_b64_encode(md, sizeof(md));
	free(in);
	return out;
}

const char *
gw_saml_subject_type(const char *format)
{
	size_t n = strlen(NAMEID_PREFIX);

	if (format == NULL)
		return "unspecified";
	return strncmp(format, NAMEID_PREFIX, n) == 0 ? format + n : format;
}

/* Attribute names AWS maps to short SAML: keys (IAM condition keys page). */
static const struct {
	const char *attr, *key;
} mapped[] = {
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "edupersonaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "edupersonnickname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "edupersonorgdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "edupersonorgunitdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.5", "edupersonprimaryaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "edupersonprincipalname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "edupersonentitlement"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.8", "edupersonprimaryorgunitdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.9", "edupersonscopedaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "edupersontargetedid"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "edupersonassurance"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "eduorghomepageuri"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.3", "eduorgidentityauthnpolicyuri"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "eduorglegalname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "eduorgsuperioruri"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "eduorgwhitepagesuri"},
    {"urn:oid:2.5.4.3", "cn"},
    {"urn:oid:2.5.4.4", "surname"},
    {"urn:oid:2.5.4.42", "givenName"},
    {"urn:oid:2.5.4.45", "x500UniqueIdentifier"},
    {"urn:oid:0.9.2342.19200300.100.1.1", "uid"},
    {"urn:oid:0.9.2342.19200300.100.1.3", "mail"},
    {"urn:oid:0.9.2342.19200300.100.1.45", "organizationStatus"},
    {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "name"},
    {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "givenName"},
    {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "surname"},
    {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "mail"},
    {"http://schemas.xmlsoap.org/claims/CommonName", "commonName"},
    {"http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid", "primaryGroupSID"},
};

static void
add_attr_keys(struct trust_ctx *ctx, const struct fed_saml_attr *at)
{
	char *k = core_xasprintf("SAML:%s", at->name);

	if (at->n_values == 0)
		trust_ctx_add_empty_set(ctx, k);
	for (size_t i = 0; i < at->n_values; i++)
		trust_ctx_add(ctx, k, at->values[i]);
	free(k);
	for (size_t m = 0; m < sizeof(mapped) / sizeof(mapped[0]); m++) {
		if (strcmp(at->name, mapped[m].attr) != 0)
			continue;
		k = core_xasprintf("SAML:%s", mapped[m].key);
		for (size_t i = 0; i < at->n_values; i++)
			trust_ctx_add(ctx, k, at->values[i]);
		free(k);
	}
}

void
gw_saml_context_keys(struct trust_ctx *ctx, const struct fed_saml_assertion *a,
		     const char *account, const char *provider_name)
{
	char *nq = gw_saml_name_qualifier(a->issuer, account, provider_name);
	char *doc = core_xasprintf("%s/%s", account, provider_name);

	trust_ctx_add(ctx, "SAML:aud", a->recipient ? a->recipient : "");
	trust_ctx_add(ctx, "SAML:iss", a->issuer);
	trust_ctx_add(ctx, "SAML:sub", a->name_id ? a->name_id : "");
	trust_ctx_add(ctx, "SAML:sub_type", gw_saml_subject_type(a->name_id_format));
	trust_ctx_add(ctx, "SAML:namequalifier", nq);
	trust_ctx_add(ctx, "SAML:doc", doc);
	for (size_t i = 0; i < a->n_attrs; i++)
		add_attr_keys(ctx, &a->attrs[i]);
	free(nq);
	free(doc);
}
