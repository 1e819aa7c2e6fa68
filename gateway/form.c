/* gateway/form.c - strict urlencoded decoding */
#include "gateway/form.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/mem.h"
#include "core/secret.h"

/* Decode s[0..n) into a new string; -1 on a bad escape or a NUL byte. */
static int
url_decode(const char *s, size_t n, char **out, size_t *outlen)
{
	char *d = core_xmalloc(n + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = core_hexval((unsigned char)s[i + 1]);
			lo = core_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			goto bad;
		d[o++] = (char)c;
	}
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return 0;
bad:
	OPENSSL_cleanse(d, n + 1);
	free(d);
	return -1;
}

static int
add_pair(struct gw_form *f, const char *pair, size_t n, struct core_err *err)
{
	const char *eq = memchr(pair, '=', n);
	size_t nlen = eq ? (size_t)(eq - pair) : n;
	char *name = NULL, *value = NULL;
	size_t name_len, value_len = 0;

	if (nlen == 0 || nlen > GW_FORM_MAX_NAME * 3) {
		core_err_set(err, CORE_EVALIDATION, "malformed",
			     "Malformed request: empty or oversized parameter name");
		return -1;
	}
	if (url_decode(pair, nlen, &name, &name_len) == -1 ||
	    name_len > GW_FORM_MAX_NAME ||
	    (eq && url_decode(eq + 1, n - nlen - 1, &value, &value_len) == -1)) {
		free(name);
		core_err_set(err, CORE_EVALIDATION, "malformed",
			     "Malformed request: invalid percent-encoding");
		return -1;
	}
	if (gw_form_get(f, name) != NULL || f->n == GW_FORM_MAX_PARAMS) {
		core_err_set(err, CORE_EVALIDATION, "malformed",
			     f->n == GW_FORM_MAX_PARAMS
				 ? "Malformed request: too many parameters"
				 : "Malformed request: a parameter was given more than once");
		free(name);
		core_secret_free(value, value_len + 1);
		return -1;
	}
	f->params[f->n].name = name;
	f->params[f->n].value = value ? value : core_xstrdup("");
	f->params[f->n].value_len = value_len;
	f->n++;
	return 0;
}

int
gw_form_parse(struct gw_form *f, const char *s, size_t len,
	      struct core_err *err)
{
	size_t start = 0;

	while (start < len) {
		const char *amp = memchr(s + start, '&', len - start);
		size_t end = amp ? (size_t)(amp - s) : len;

		if (end > start && add_pair(f, s + start, end - start, err) == -1)
			return -1;
		start = end + 1;
	}
	return 0;
}

const char *
gw_form_get_len(const struct gw_form *f, const char *name, size_t *len)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->params[i].name, name) == 0) {
			if (len != NULL)
				*len = f->params[i].value_len;
			return f->params[i].value;
		}
	}
	return NULL;
}

const char *
gw_form_get(const struct gw_form *f, const char *name)
{
	return gw_form_get_len(f, name, NULL);
}

void
gw_form_init(struct gw_form *f)
{
	f->n = 0;
}

void
gw_form_clear(struct gw_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->params[i].name);
		core_secret_free(f->params[i].value, f->params[i].value_len + 1);
	}
	f->n = 0;
}
