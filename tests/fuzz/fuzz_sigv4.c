/* tests/fuzz/fuzz_sigv4.c - SigV4 parse, time check, canonicalization, verify
 *
 * The input is one HTTP request in a plain layout:
 *
 *   METHOD\n PATH\n QUERY\n (Name: value\n)* \n BODY
 *
 * Without the blank line there is no body (body NULL, as when a proxy does
 * not forward it). Signatures are checked with the fixed secret of
 * AKIDEXAMPLE, so seeds signed with it (tests/fuzz/corpus/fuzz_sigv4/, made
 * by tests/data/sigv4/gen_vectors.py --corpus) reach the accepting path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "federation/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define FUZZ_NOW 1440938160	/* 2015-08-30T12:36:00Z, the seeds' time */
#define FUZZ_MAX_HEADERS 128

struct fuzz_req {
	char *lines[3];
	struct fed_sigv4_header h[FUZZ_MAX_HEADERS];
	size_t nh;
	const uint8_t *body;
	size_t body_len;
};

/* Split buf (NUL-terminated copy of the input) in place. */
static void
fuzz_split(char *buf, size_t size, struct fuzz_req *r)
{
	char *p = buf, *end = buf + size;

	for (int i = 0; i < 3; i++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		r->lines[i] = p;
		if (nl == NULL) {
			p = end;
			continue;
		}
		*nl = '\0';
		p = nl + 1;
	}
	while (p < end && r->nh < FUZZ_MAX_HEADERS) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *colon;

		if (nl == p) {
			r->body = (const uint8_t *)(p + 1);
			r->body_len = (size_t)(end - p - 1);
			return;
		}
		if (nl != NULL)
			*nl = '\0';
		colon = strchr(p, ':');
		if (colon != NULL) {
			*colon = '\0';
			r->h[r->nh].name = p;
			r->h[r->nh++].value = colon[1] == ' ' ? colon + 2 :
			    colon + 1;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void
fuzz_check_auth(const struct fed_sigv4_auth *a)
{
	size_t n = strlen(a->signature);
	int host = 0;

	if (n != 64 || strspn(a->signature, "0123456789abcdef") != 64 ||
	    a->access_key_id[0] == '\0' || strlen(a->amz_date) != 16 ||
	    strlen(a->scope_date) != 8 || a->region[0] == '\0' ||
	    a->service[0] == '\0' || a->n_signed_headers == 0 ||
	    a->n_signed_headers > FED_SIGV4_MAX_SIGNED_HEADERS)
		abort();
	if (a->presigned ? a->expires < 1 ||
	    a->expires > FED_SIGV4_MAX_PRESIGN_EXPIRES : a->expires != 0)
		abort();
	for (size_t i = 0; i < a->n_signed_headers; i++) {
		if (i > 0 && strcmp(a->signed_headers[i - 1],
				    a->signed_headers[i]) >= 0)
			abort();
		host |= strcmp(a->signed_headers[i], "host") == 0;
	}
	if (!host || (a->security_token != NULL &&
	    strlen(a->security_token) > FED_SIGV4_MAX_TOKEN))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_req r;
	struct fed_sigv4_msg m;
	struct fed_sigv4_auth a;
	struct core_err err = {0};
	char *buf, *cr;
	int vrc;

	if (size > 256 * 1024)
		return 0;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&r, 0, sizeof(r));
	fuzz_split(buf, size, &r);
	m = (struct fed_sigv4_msg){r.lines[0], r.lines[1], r.lines[2], r.h,
	    r.nh, r.body, r.body_len};
	if (fed_sigv4_parse(&m, &a, &err) != 0) {
		if (err.reason == NULL || err.msg[0] == '\0' ||
		    (err.code != CORE_EMISSING_AUTH &&
		     err.code != CORE_EINCOMPLETE_SIG))
			abort();
		free(buf);
		return 0;
	}
	fuzz_check_auth(&a);
	fed_sigv4_check_time(&a, FUZZ_NOW, &err);
	if (err.code != CORE_OK && err.code != CORE_EREQUEST_EXPIRED &&
	    err.code != CORE_ESIGNATURE)
		abort();
	core_err_clear(&err);
	cr = fed_sigv4_canonical_request(&m, &a, &err);
	core_err_clear(&err);
	vrc = fed_sigv4_verify(&m, &a, FUZZ_SECRET, &err);
	/* verify fails exactly when canonicalization does, or on mismatch. */
	if ((cr == NULL && vrc == 0) || (vrc != 0 && err.code != CORE_ESIGNATURE &&
	    err.code != CORE_EINCOMPLETE_SIG) || (vrc == 0 && err.code != CORE_OK))
		abort();
	free(cr);
	fed_sigv4_auth_clear(&a);
	free(buf);
	return 0;
}
