/* gateway/form.h - application/x-www-form-urlencoded and query strings */
#ifndef GW_FORM_H
#define GW_FORM_H

#include <stddef.h>

#include "core/err.h"

#define GW_FORM_MAX_PARAMS 128
#define GW_FORM_MAX_NAME 128

struct gw_param {
	char *name;
	char *value;
	size_t value_len;
};

struct gw_form {
	struct gw_param params[GW_FORM_MAX_PARAMS];
	size_t n;
};

/**
 * Decode "a=b&c=d" (WHATWG urlencoded: '+' is space, %XX escapes) and add
 * the pairs to f. Refused (CORE_EVALIDATION / CORE_EINVALID_PARAM):
 * bad escapes, NUL bytes, names over GW_FORM_MAX_NAME, more than
 * GW_FORM_MAX_PARAMS pairs, and a name given twice (also across the query
 * string and the body), so no parameter can be smuggled past validation.
 * Empty pairs ("&&") are skipped. 0 or -1.
 */
int gw_form_parse(struct gw_form *f, const char *s, size_t len,
		  struct core_err *err);

/** Value of name (case-sensitive, as AWS), or NULL. Borrowed from f. */
const char *gw_form_get(const struct gw_form *f, const char *name);
/** Same with the decoded length (values may legitimately be long). */
const char *gw_form_get_len(const struct gw_form *f, const char *name,
			    size_t *len);

void gw_form_init(struct gw_form *f);
/** Release; wipes values, which may hold tokens. */
void gw_form_clear(struct gw_form *f);

#endif /* GW_FORM_H */
