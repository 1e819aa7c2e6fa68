/* federation/saml_check.c - checks lasso does not do (or does wrongly) on
 * the assertion selected by saml_xml.c, read from the XML itself:
 * Issuer, Destination, InResponseTo, Conditions (every AudienceRestriction,
 * strict times), bearer SubjectConfirmation, and the values handed on.
 */
#include "federation/saml_int.h"

#include <stdlib.h>
#include <string.h>

#define BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define MSG_TIME "Invalid SAML response: unreadable time value"

static int
time_attr(xmlNodePtr n, const char *name, int64_t *out, int *present,
	  struct core_err *err)
{
	char *v = fed_saml_attr_get(n, name);
	int rc = 0;

	*present = v != NULL;
	if (v != NULL && fed_saml_time_parse(v, out) < 0) {
		core_err_set(err, CORE_EINVALID_TOKEN, "time_invalid", MSG_TIME);
		rc = -1;
	}
	free(v);
	return rc;
}

/* NotBefore <= now + skew and now - skew < NotOnOrAfter (SAML core
 * §2.5.1.2, with the usual clock-skew allowance both ways). */
static int
window_check(xmlNodePtr n, const struct fed_saml_check_in *in,
	     int64_t *noa, int *has_noa, struct core_err *err)
{
	int64_t nb;
	int has_nb;

	if (time_attr(n, "NotBefore", &nb, &has_nb, err) < 0 ||
	    time_attr(n, "NotOnOrAfter", noa, has_noa, err) < 0)
		return -1;
	if (has_nb && nb > in->now + in->skew) {
		core_err_set(err, CORE_EINVALID_TOKEN, "not_yet_valid",
		    "Invalid SAML response: assertion is not yet valid");
		return -1;
	}
	if (*has_noa && *noa <= in->now - in->skew) {
		core_err_set(err, CORE_EEXPIRED_TOKEN, "expired",
		    "SAML assertion has expired");
		return -1;
	}
	return 0;
}

static int
audience_ok(xmlNodePtr ar, const char *sp)
{
	int ok = 0;

	for (xmlNodePtr c = ar->children; c != NULL && !ok; c = c->next) {
		char *v;

		if (c->type != XML_ELEMENT_NODE || c->ns == NULL ||
		    strcmp((const char *)c->name, "Audience") != 0 ||
		    strcmp((const char *)c->ns->href, FED_SAML_NS_SAML) != 0)
			continue;
		v = fed_saml_text(c);
		ok = strcmp(v, sp) == 0;
		free(v);
	}
	return ok;
}

/* SAML core §2.5.1.4: each AudienceRestriction is evaluated on its own
 * and all must hold, so ours must be in every one. lasso keeps a single
 * Audience per restriction; the XML is read here instead. */
static int
conditions_check(const struct fed_saml *s, xmlNodePtr a,
		 const struct fed_saml_check_in *in, int64_t *noa,
		 int *has_noa, struct core_err *err)
{
	xmlNodePtr c = fed_saml_child(a, FED_SAML_NS_SAML, "Conditions");
	size_t n = 0;
	int bad = 0;

	*has_noa = 0;
	if (c != NULL && window_check(c, in, noa, has_noa, err) < 0)
		return -1;
	for (xmlNodePtr r = c != NULL ? c->children : NULL; r != NULL;
	     r = r->next) {
		if (r->type != XML_ELEMENT_NODE || r->ns == NULL ||
		    strcmp((const char *)r->name, "AudienceRestriction") != 0 ||
		    strcmp((const char *)r->ns->href, FED_SAML_NS_SAML) != 0)
			continue;
		n++;
		if (!audience_ok(r, s->entity_id))
			bad = 1;
	}
	if (n == 0 || bad) {
		core_err_set(err, CORE_EINVALID_TOKEN, "audience_mismatch",
		    "Invalid SAML response: audience does not match");
		return -1;
	}
	return 0;
}

static int
url_accepted(const struct fed_saml *s, const char *url)
{
	if (url == NULL)
		return 0;
	if (strcmp(url, s->acs_url) == 0)
		return 1;
	for (size_t i = 0; i < s->n_recipients; i++)
		if (strcmp(url, s->recipients[i]) == 0)
			return 1;
	return 0;
}

/* An InResponseTo must name a request we issued and still wait for;
 * none at all is an unsolicited (IdP-initiated) response. */
static int
irt_check(const char *irt, const char *resp_irt,
	  const struct fed_saml_check_in *in, struct core_err *err)
{
	int ok = 0;

	if (irt == NULL)
		return 0;
	if (resp_irt != NULL && strcmp(irt, resp_irt) != 0)
		goto fail;
	for (size_t i = 0; i < in->n_outstanding; i++)
		if (in->outstanding[i] != NULL &&
		    strcmp(in->outstanding[i], irt) == 0)
			ok = 1;
	if (ok)
		return 0;
fail:
	core_err_set(err, CORE_EINVALID_TOKEN, "in_response_to",
	    "Invalid SAML response: InResponseTo does not match a request");
	return -1;
}

struct bearer {
	char *recipient;
	int64_t noa;
};

static int
scd_check(const struct fed_saml *s, xmlNodePtr scd, const char *resp_irt,
	  const struct fed_saml_check_in *in, struct bearer *b,
	  struct core_err *err)
{
	char *irt;
	int has_noa, rc;

	b->recipient = fed_saml_attr_get(scd, "Recipient");
	if (!url_accepted(s, b->recipient)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "recipient_mismatch",
		    "Invalid SAML response: Recipient does not match");
		return -1;
	}
	if (window_check(scd, in, &b->noa, &has_noa, err) < 0)
		return -1;
	/* SAML profiles §4.1.4.2: bearer data MUST carry NotOnOrAfter. */
	if (!has_noa) {
		core_err_set(err, CORE_EINVALID_TOKEN, "no_bearer",
		    "Invalid SAML response: no valid bearer confirmation");
		return -1;
	}
	irt = fed_saml_attr_get(scd, "InResponseTo");
	rc = irt_check(irt, resp_irt, in, err);
	free(irt);
	return rc;
}

/* The first bearer confirmation that passes wins; if none does, report
 * the first one's failure. */
static int
bearer_check(const struct fed_saml *s, xmlNodePtr subj, const char *resp_irt,
	     const struct fed_saml_check_in *in, struct bearer *out,
	     struct core_err *err)
{
	struct core_err first = {0};
	int seen = 0;

	for (xmlNodePtr c = subj != NULL ? subj->children : NULL; c != NULL; c = c->next) {
		struct core_err e = {0};
		struct bearer b = {0};
		char *m;
		int is_bearer;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name,
		    "SubjectConfirmation") != 0)
			continue;
		m = fed_saml_attr_get(c, "Method");
		is_bearer = m != NULL && strcmp(m, BEARER) == 0;
		free(m);
		if (!is_bearer)
			continue;
		if (scd_check(s, fed_saml_child(c, FED_SAML_NS_SAML,
		    "SubjectConfirmationData"), resp_irt, in, &b, &e) == 0) {
			*out = b;
			return 0;
		}
		free(b.recipient);
		if (!seen++)
			first = e;
	}
	if (seen && err != NULL && err->code == CORE_OK)
		*err = first;
	else if (!seen)
		core_err_set(err, CORE_EINVALID_TOKEN, "no_bearer",
		    "Invalid SAML response: no valid bearer confirmation");
	return -1;
}

static int
attrs_read(xmlNodePtr a, struct fed_saml_assertion *out, struct core_err *err)
{
	for (xmlNodePtr st = a->children; st != NULL; st = st->next) {
		if (!(st->type == XML_ELEMENT_NODE && st->ns != NULL &&
		    strcmp((const char *)st->name, "AttributeStatement") == 0 &&
		    strcmp((const char *)st->ns->href, FED_SAML_NS_SAML) == 0))
			continue;
		for (xmlNodePtr at = st->children; at != NULL; at = at->next) {
			struct fed_saml_attr *fa;

			if (at->type != XML_ELEMENT_NODE || strcmp(
			    (const char *)at->name, "Attribute") != 0)
				continue;
			if (out->n_attrs == FED_SAML_MAX_ATTRS)
				goto toomany;
			out->attrs = core_xrealloc(out->attrs,
			    (out->n_attrs + 1) * sizeof(*out->attrs));
			fa = &out->attrs[out->n_attrs++];
			memset(fa, 0, sizeof(*fa));
			fa->name = fed_saml_attr_get(at, "Name");
			if (fa->name == NULL)
				fa->name = core_xstrdup("");
			for (xmlNodePtr v = at->children; v != NULL;
			     v = v->next) {
				if (v->type != XML_ELEMENT_NODE || strcmp(
				    (const char *)v->name, "AttributeValue") != 0)
					continue;
				if (fa->n_values == FED_SAML_MAX_VALUES)
					goto toomany;
				fa->values = core_xrealloc(fa->values,
				    (fa->n_values + 1) * sizeof(*fa->values));
				fa->values[fa->n_values++] = fed_saml_text(v);
			}
		}
	}
	return 0;
toomany:
	core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
	    "Invalid SAML response: too many attributes");
	return -1;
}

static int
subject_read(xmlNodePtr a, struct fed_saml_assertion *out,
	     struct core_err *err)
{
	xmlNodePtr subj = fed_saml_child(a, FED_SAML_NS_SAML, "Subject");
	xmlNodePtr nid = fed_saml_child(subj, FED_SAML_NS_SAML, "NameID");
	xmlNodePtr st = fed_saml_child(a, FED_SAML_NS_SAML, "AuthnStatement");
	int has;

	if (nid == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
		    "Invalid SAML response: no NameID");
		return -1;
	}
	out->name_id = fed_saml_text(nid);
	out->name_id_format = fed_saml_attr_get(nid, "Format");
	if (st != NULL && time_attr(st, "SessionNotOnOrAfter",
	    &out->session_not_on_or_after, &has, err) < 0)
		return -1;
	return 0;
}

/* SAML profiles §4.1.4.2: the assertion's Issuer is the IdP that issued
 * the Response (whose keys verify it). */
int
fed_saml_assertion_issuer(const struct fed_saml_doc *d,
			  const struct fed_saml_idp *idp, struct core_err *err)
{
	xmlNodePtr iss = fed_saml_child(d->assertion, FED_SAML_NS_SAML,
	    "Issuer");
	char *v = iss != NULL ? fed_saml_text(iss) : NULL;
	int ok = v != NULL && strcmp(v, idp->entity_id) == 0;

	free(v);
	if (ok)
		return 0;
	core_err_set(err, CORE_EINVALID_TOKEN, "issuer_mismatch",
	    "Invalid SAML response: Issuer does not match");
	return -1;
}

static int
envelope_check(const struct fed_saml *s, const struct fed_saml_doc *d,
	       const struct fed_saml_check_in *in, char **resp_irt,
	       struct core_err *err)
{
	char *v;
	int ok;

	if (fed_saml_assertion_issuer(d, in->idp, err) < 0)
		return -1;
	/* SAML bindings §3.5.5.2: Destination, when present, is ours. */
	v = fed_saml_attr_get(d->response, "Destination");
	ok = v == NULL || url_accepted(s, v);
	free(v);
	if (!ok) {
		core_err_set(err, CORE_EINVALID_TOKEN, "destination_mismatch",
		    "Invalid SAML response: Destination does not match");
		return -1;
	}
	*resp_irt = fed_saml_attr_get(d->response, "InResponseTo");
	return irt_check(*resp_irt, NULL, in, err);
}

int
fed_saml_check(const struct fed_saml *s, const struct fed_saml_doc *d,
	       const struct fed_saml_check_in *in,
	       struct fed_saml_assertion **out, struct core_err *err,
	       struct fed_saml_trace *trace)
{
	struct fed_saml_assertion *a = core_xcalloc(1, sizeof(*a));
	struct bearer b = {0};
	char *resp_irt = NULL;
	int64_t noa = 0;
	int has_noa, rc = -1;

	if (envelope_check(s, d, in, &resp_irt, err) < 0)
		goto out;
	fed_saml_trace_step(trace, "issuer_destination_in_response_to", NULL);
	if (conditions_check(s, d->assertion, in, &noa, &has_noa, err) < 0)
		goto out;
	fed_saml_trace_step(trace, "conditions_audience", NULL);
	if (bearer_check(s, fed_saml_child(d->assertion, FED_SAML_NS_SAML,
	    "Subject"), resp_irt, in, &b, err) < 0)
		goto out;
	fed_saml_trace_step(trace, "bearer_confirmation", NULL);
	if (subject_read(d->assertion, a, err) < 0 || attrs_read(d->assertion,
	    a, err) < 0)
		goto out;
	a->idp_name = core_xstrdup(in->idp->name);
	a->issuer = core_xstrdup(in->idp->entity_id);
	a->assertion_id = fed_saml_attr_get(d->assertion, "ID");
	a->recipient = b.recipient;
	b.recipient = NULL;
	a->not_on_or_after = has_noa && noa < b.noa ? noa : b.noa;
	a->in_response_to = resp_irt;
	resp_irt = NULL;
	if (a->assertion_id == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
		    "Invalid SAML response: assertion has no ID");
		goto out;
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	free(b.recipient);
	free(resp_irt);
	fed_saml_assertion_free(a);
	return rc;
}
