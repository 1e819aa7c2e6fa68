/* federation/sigv4.c - AWS Signature Version 4 verification
 *
 * The canonicalization follows what the signers in the wild produce, checked
 * against botocore (botocore/auth.py SigV4Auth, S3SigV4Auth, *QueryAuth) and
 * aws-c-auth (botocore.crt.auth) by tests/data/sigv4/gen_vectors.py:
 *
 * - canonical URI: for service "s3" each path segment is decoded and
 *   encoded once, without dot-segment removal; for every other service the
 *   raw path has its dot segments and empty segments removed and is then
 *   encoded again as a whole ("double encoding": '%' becomes "%25");
 * - canonical query: every name and value decoded then strictly encoded,
 *   pairs sorted by name then value; X-Amz-Signature left out (presigned);
 * - canonical headers: the signed names, each with all of its values
 *   trimmed, inner whitespace runs collapsed, joined with ',' in order;
 * - payload: x-amz-content-sha256 when sent (and then the body, when we
 *   have it, must match it), else SHA-256 of the body; presigned S3 URLs
 *   use "UNSIGNED-PAYLOAD".
 *
 * Every length taken from the request is checked before anything is
 * allocated for it. Messages mirror AWS's and never carry the secret or the
 * client's signature.
 */
#include "federation/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/mem.h"
#include "core/secret.h"

#define SV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SV4_TERMINATOR "aws4_request"
#define SV4_UNSIGNED "UNSIGNED-PAYLOAD"
#define SV4_MAX_AKID 128
#define SV4_MAX_LABEL 63	/* region, service */
#define SV4_MAX_HNAME 128	/* one signed header name */
#define SV4_MAX_METHOD 32
#define SV4_MAX_SECRET 128
#define SV4_MAX_CANONICAL (1024 * 1024)

#define SV4_MSG_MISMATCH "The request signature we calculated does not " \
	"match the signature you provided. Check your AWS Secret Access " \
	"Key and signing method. Consult the service documentation for " \
	"details."

/* ---- small helpers ------------------------------------------------- */

static int
sv4_is_unreserved(unsigned char c)
{
	/* RFC 3986 §2.3 */
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static int
sv4_is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Python's str.split() whitespace in the ASCII range (botocore Trimall). */
static int
sv4_is_ws(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int
sv4_is_tchar(unsigned char c)
{
	/* RFC 9110 §5.6.2 token characters, lowercase letters only */
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
sv4_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Percent-decode n bytes into out (room for n bytes); -1 on a bad escape. */
static int
sv4_pct_decode(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		int hi = core_hexval((unsigned char)s[i + 1]);
		int lo = core_hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	*outlen = o;
	return 0;
}

/* URI-encode per RFC 3986 unreserved rules, uppercase hex; keep '/' if asked. */
static int
sv4_encode(struct core_buf *b, const char *s, size_t n, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if (sv4_is_unreserved(c) || (keep_slash && c == '/')) {
			if (core_buf_append(b, &s[i], 1) != 0)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = digits[c >> 4];
		esc[2] = digits[c & 15];
		if (core_buf_append(b, esc, 3) != 0)
			return -1;
	}
	return 0;
}

/* Decode then strictly re-encode one query name or value. */
static int
sv4_reencode(struct core_buf *b, const char *s, size_t n)
{
	char *tmp = core_xmalloc(n + 1);
	size_t dn;
	int rc = -1;

	if (sv4_pct_decode(s, n, tmp, &dn) == 0)
		rc = sv4_encode(b, tmp, dn, 0);
	free(tmp);
	return rc;
}

/*
 * All headers named lname (case-insensitive); returns the first and sets
 * *count. Names compared without allocating.
 */
static const struct fed_sigv4_header *
sv4_header(const struct fed_sigv4_msg *m, const char *lname, size_t *count)
{
	const struct fed_sigv4_header *first = NULL;
	size_t c = 0;

	for (size_t i = 0; i < m->n_headers; i++) {
		if (m->headers[i].name == NULL || m->headers[i].value == NULL ||
		    strcasecmp(m->headers[i].name, lname) != 0)
			continue;
		if (first == NULL)
			first = &m->headers[i];
		c++;
	}
	if (count != NULL)
		*count = c;
	return first;
}

/* Trimmed extent of s (botocore: ' '.join(value.split()) ends). */
static void
sv4_trim(const char *s, const char **start, size_t *len)
{
	size_t n = strlen(s);

	while (n > 0 && sv4_is_ws((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && sv4_is_ws((unsigned char)s[n - 1]))
		n--;
	*start = s;
	*len = n;
}

/* ---- time ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
sv4_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static int
sv4_days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

static int
sv4_digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYYMMDD" -> days since the epoch; -1 if not a real date. */
static int
sv4_parse_ymd(const char *s, int64_t *days)
{
	int y, mo, d;

	if (sv4_digits(s, 4, &y) != 0 || sv4_digits(s + 4, 2, &mo) != 0 ||
	    sv4_digits(s + 6, 2, &d) != 0 || y < 1970 || mo < 1 || mo > 12 ||
	    d < 1 || d > sv4_days_in_month(y, mo))
		return -1;
	*days = sv4_days_from_civil(y, (unsigned)mo, (unsigned)d);
	return 0;
}

/* ISO 8601 basic "YYYYMMDDTHHMMSSZ" (exactly 16 chars) -> epoch seconds. */
static int
sv4_parse_amz_date(const char *s, int64_t *out)
{
	int64_t days;
	int h, mi, sec;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' ||
	    sv4_parse_ymd(s, &days) != 0 || sv4_digits(s + 9, 2, &h) != 0 ||
	    sv4_digits(s + 11, 2, &mi) != 0 || sv4_digits(s + 13, 2, &sec) != 0 ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	*out = days * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

static void
sv4_fmt_amz_date(int64_t t, char out[17])
{
	int64_t days = t / 86400, rem = t % 86400;
	int64_t z, era, y;
	unsigned doe, yoe, doy, mp, d, m;
	char tmp[64];

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* civil_from_days (H. Hinnant) */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	snprintf(tmp, sizeof(tmp), "%04d%02u%02uT%02d%02d%02dZ", (int)y, m, d,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	memcpy(out, tmp, 17);
}

/*
 * RFC 1123 date ("Sun, 30 Aug 2015 12:36:00 GMT"; botocore's formatdate()
 * writes "-0000") -> amz_date form. The day name is optional (RFC 5322).
 */
static int
sv4_parse_http_date(const char *s, char out[17])
{
	static const char *mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char mon[4], zone[6], tail, tmp[64];
	int d, y, h, mi, sec, mo = 0, n = 0;
	const char *comma = strchr(s, ',');

	if (strlen(s) > 64)
		return -1;
	if (comma != NULL)
		s = comma + 1;
	if (sscanf(s, " %2d %3s %4d %2d:%2d:%2d %5s%n %c", &d, mon, &y, &h, &mi,
		   &sec, zone, &n, &tail) != 7)
		return -1;
	for (int i = 0; i < 12; i++)
		if (strcmp(mon, mons[i]) == 0)
			mo = i + 1;
	if (mo == 0 || (strcmp(zone, "GMT") != 0 && strcmp(zone, "UTC") != 0 &&
	    strcmp(zone, "+0000") != 0 && strcmp(zone, "-0000") != 0) ||
	    y < 1970 || y > 9999 || d < 1 || d > sv4_days_in_month(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return -1;
	snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02dZ", y, mo, d, h,
		 mi, sec);
	memcpy(out, tmp, 17);
	return 0;
}

/* ---- parsing ----------------------------------------------------------- */

static int
sv4_label_ok(const char *s, size_t n)
{
	if (n == 0 || n > SV4_MAX_LABEL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

/* "AKID/YYYYMMDD/region/service/aws4_request" (already decoded). */
static int
sv4_parse_credential(const char *s, size_t n, struct fed_sigv4_auth *a,
		     struct core_err *err)
{
	const char *part[5];
	size_t plen[5], np = 0, start = 0;
	int64_t days;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (np == 5)
			goto bad_count;
		part[np] = s + start;
		plen[np++] = i - start;
		start = i + 1;
	}
	if (np != 5)
		goto bad_count;
	if (plen[0] == 0 || plen[0] > SV4_MAX_AKID)
		goto bad_akid;
	for (size_t i = 0; i < plen[0]; i++)
		if (!isalnum((unsigned char)part[0][i]))
			goto bad_akid;
	if (plen[1] != 8 || sv4_parse_ymd(part[1], &days) != 0) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "credential_date",
			     "Credential should be scoped to a valid date "
			     "(YYYYMMDD).");
		return -1;
	}
	if (!sv4_label_ok(part[2], plen[2])) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "credential_region",
			     "Credential should be scoped to a valid region.");
		return -1;
	}
	if (!sv4_label_ok(part[3], plen[3])) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "credential_service",
			     "Credential should be scoped to a valid service.");
		return -1;
	}
	if (plen[4] != strlen(SV4_TERMINATOR) ||
	    memcmp(part[4], SV4_TERMINATOR, plen[4]) != 0) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "credential_terminator",
			     "Credential should be scoped with a valid "
			     "terminator: 'aws4_request'.");
		return -1;
	}
	memcpy(a->access_key_id, part[0], plen[0]);
	a->access_key_id[plen[0]] = '\0';
	memcpy(a->scope_date, part[1], 8);
	a->scope_date[8] = '\0';
	memcpy(a->region, part[2], plen[2]);
	a->region[plen[2]] = '\0';
	memcpy(a->service, part[3], plen[3]);
	a->service[plen[3]] = '\0';
	return 0;
bad_count:
	core_err_set(err, CORE_EINCOMPLETE_SIG, "credential_malformed",
		     "Credential must have exactly 5 slash-delimited elements, "
		     "e.g. keyid/date/region/service/term.");
	return -1;
bad_akid:
	core_err_set(err, CORE_EINCOMPLETE_SIG, "credential_akid",
		     "The access key ID in the Credential is not valid.");
	return -1;
}

/* "a;b;c": lowercase tokens, strictly ascending (so no repeats), host in. */
static int
sv4_parse_signed_headers(const char *s, size_t n, struct fed_sigv4_auth *a,
			 struct core_err *err)
{
	size_t start = 0;
	int host = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t len;

		if (i < n && s[i] != ';')
			continue;
		len = i - start;
		if (len == 0 || len > SV4_MAX_HNAME)
			goto bad;
		for (size_t j = start; j < i; j++)
			if (!sv4_is_tchar((unsigned char)s[j]))
				goto bad;
		if (a->n_signed_headers == FED_SIGV4_MAX_SIGNED_HEADERS) {
			core_err_set(err, CORE_EINCOMPLETE_SIG,
				     "signed_headers_too_many",
				     "SignedHeaders lists more than %d headers.",
				     FED_SIGV4_MAX_SIGNED_HEADERS);
			return -1;
		}
		char *name = core_xstrndup(s + start, len);
		if (a->n_signed_headers > 0 &&
		    strcmp(a->signed_headers[a->n_signed_headers - 1], name) >= 0) {
			free(name);
			core_err_set(err, CORE_EINCOMPLETE_SIG,
				     "signed_headers_unsorted",
				     "SignedHeaders must be sorted, lowercase "
				     "and without duplicates.");
			return -1;
		}
		if (strcmp(name, "host") == 0)
			host = 1;
		a->signed_headers[a->n_signed_headers++] = name;
		start = i + 1;
	}
	if (!host) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "host_not_signed",
			     "'Host' must be a signed header.");
		return -1;
	}
	return 0;
bad:
	core_err_set(err, CORE_EINCOMPLETE_SIG, "signed_headers_malformed",
		     "SignedHeaders must be a ';'-separated list of lowercase "
		     "header names.");
	return -1;
}

static int
sv4_parse_signature(const char *s, size_t n, struct fed_sigv4_auth *a,
		    struct core_err *err)
{
	if (n != 64 || !sv4_is_lower_hex(s, n)) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "signature_malformed",
			     "Signature must be 64 lowercase hexadecimal "
			     "characters.");
		return -1;
	}
	memcpy(a->signature, s, 64);
	a->signature[64] = '\0';
	return 0;
}

static int
sv4_set_amz_date(const char *s, size_t n, struct fed_sigv4_auth *a,
		 struct core_err *err)
{
	if (n != 16) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "date_malformed",
			     "X-Amz-Date must be in the ISO8601 Long Format "
			     "\"yyyyMMdd'T'HHmmss'Z'\"");
		return -1;
	}
	memcpy(a->amz_date, s, 16);
	a->amz_date[16] = '\0';
	if (sv4_parse_amz_date(a->amz_date, &a->request_time) != 0) {
		a->amz_date[0] = '\0';
		core_err_set(err, CORE_EINCOMPLETE_SIG, "date_malformed",
			     "X-Amz-Date must be in the ISO8601 Long Format "
			     "\"yyyyMMdd'T'HHmmss'Z'\"");
		return -1;
	}
	return 0;
}

/* ---- header form ------------------------------------------------------- */

enum { SV4_CRED, SV4_SIGHDR, SV4_SIG, SV4_NPARTS };

/* Split "Credential=..., SignedHeaders=..., Signature=..." (any order). */
static int
sv4_split_authz(const char *p, const char *end, const char *val[SV4_NPARTS],
		size_t vlen[SV4_NPARTS], struct core_err *err)
{
	static const char *keys[SV4_NPARTS] = {"Credential", "SignedHeaders",
	    "Signature"};

	while (p < end) {
		const char *comma, *eq, *cend;
		int k;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		comma = memchr(p, ',', (size_t)(end - p));
		cend = comma != NULL ? comma : end;
		while (cend > p && (cend[-1] == ' ' || cend[-1] == '\t'))
			cend--;
		eq = memchr(p, '=', (size_t)(cend - p));
		if (eq == NULL)
			goto bad;
		for (k = 0; k < SV4_NPARTS; k++)
			if ((size_t)(eq - p) == strlen(keys[k]) &&
			    memcmp(p, keys[k], strlen(keys[k])) == 0)
				break;
		if (k == SV4_NPARTS)
			goto bad;
		if (val[k] != NULL) {
			core_err_set(err, CORE_EINCOMPLETE_SIG, "auth_duplicate",
				     "Authorization header has a duplicate "
				     "'%s' parameter.", keys[k]);
			return -1;
		}
		val[k] = eq + 1;
		vlen[k] = (size_t)(cend - eq - 1);
		if (comma == NULL)
			break;
		p = comma + 1;
		if (p == end)
			goto bad;	/* trailing comma */
	}
	return 0;
bad:
	core_err_set(err, CORE_EINCOMPLETE_SIG, "auth_malformed",
		     "Authorization header is malformed: expected "
		     "Credential=..., SignedHeaders=..., Signature=...");
	return -1;
}

/* Date for the header form: X-Amz-Date, else an RFC 1123 Date header. */
static int
sv4_header_date(const struct fed_sigv4_msg *m, struct fed_sigv4_auth *a,
		struct core_err *err)
{
	const struct fed_sigv4_header *h;
	const char *v;
	char conv[17];
	size_t count, n;

	h = sv4_header(m, "x-amz-date", &count);
	if (count == 0) {
		h = sv4_header(m, "date", &count);
		if (count == 1 && sv4_parse_http_date(h->value, conv) != 0) {
			core_err_set(err, CORE_EINCOMPLETE_SIG, "date_malformed",
				     "Date header must be an RFC 1123 date in "
				     "GMT.");
			return -1;
		}
		if (count == 1)
			return sv4_set_amz_date(conv, 16, a, err);
	}
	if (count != 1) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "date_missing",
			     "Authorization header requires existence of "
			     "exactly one 'X-Amz-Date' or 'Date' header.");
		return -1;
	}
	sv4_trim(h->value, &v, &n);
	return sv4_set_amz_date(v, n, a, err);
}

static int
sv4_parse_header_form(const struct fed_sigv4_msg *m, const char *authz,
		      struct fed_sigv4_auth *a, struct core_err *err)
{
	const char *val[SV4_NPARTS] = {NULL, NULL, NULL};
	size_t vlen[SV4_NPARTS] = {0, 0, 0}, n, count, ndate = 0;
	const struct fed_sigv4_header *tok;
	const char *end;
	size_t alen = strlen(SV4_ALGORITHM);

	n = strnlen(authz, FED_SIGV4_MAX_AUTH_HEADER + 1);
	if (n > FED_SIGV4_MAX_AUTH_HEADER) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "auth_too_long",
			     "Authorization header is too long.");
		return -1;
	}
	end = authz + n;
	if (n < alen || memcmp(authz, SV4_ALGORITHM, alen) != 0 ||
	    (n > alen && authz[alen] != ' ')) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "auth_algorithm",
			     "Unsupported authorization type; only '"
			     SV4_ALGORITHM "' is accepted.");
		return -1;
	}
	if (sv4_split_authz(authz + alen, end, val, vlen, err) != 0)
		return -1;
	sv4_header(m, "x-amz-date", &count);
	ndate += count;
	sv4_header(m, "date", &count);
	ndate += count;
	if (val[SV4_CRED] == NULL || val[SV4_SIG] == NULL ||
	    val[SV4_SIGHDR] == NULL || ndate == 0) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "auth_incomplete",
			     "%s%s%s%s",
			     val[SV4_CRED] == NULL ? "Authorization header "
			     "requires 'Credential' parameter. " : "",
			     val[SV4_SIG] == NULL ? "Authorization header "
			     "requires 'Signature' parameter. " : "",
			     val[SV4_SIGHDR] == NULL ? "Authorization header "
			     "requires 'SignedHeaders' parameter. " : "",
			     "Authorization header requires existence of "
			     "either a 'X-Amz-Date' or a 'Date' header.");
		return -1;
	}
	if (sv4_parse_credential(val[SV4_CRED], vlen[SV4_CRED], a, err) != 0 ||
	    sv4_parse_signed_headers(val[SV4_SIGHDR], vlen[SV4_SIGHDR], a,
	    err) != 0 ||
	    sv4_parse_signature(val[SV4_SIG], vlen[SV4_SIG], a, err) != 0 ||
	    sv4_header_date(m, a, err) != 0)
		return -1;
	tok = sv4_header(m, "x-amz-security-token", &count);
	if (count > 1 || (tok != NULL &&
	    strnlen(tok->value, FED_SIGV4_MAX_TOKEN + 1) > FED_SIGV4_MAX_TOKEN)) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "token_malformed",
			     "X-Amz-Security-Token must be given once and "
			     "at most %d characters.", FED_SIGV4_MAX_TOKEN);
		return -1;
	}
	if (tok != NULL)
		a->security_token = tok->value;
	return 0;
}

/* ---- presigned (query) form -------------------------------------------- */

/*
 * Find the parameter whose decoded name is name in the raw query; returns
 * how many there are and the raw extent of the first value.
 */
static size_t
sv4_query_find(const char *q, const char *name, const char **val,
	       size_t *vlen)
{
	size_t count = 0, want = strlen(name);

	*val = NULL;
	*vlen = 0;
	while (q != NULL && *q != '\0') {
		const char *amp = strchr(q, '&');
		const char *pend = amp != NULL ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(pend - q));
		const char *nend = eq != NULL ? eq : pend;
		char dec[96];
		size_t dn;

		if ((size_t)(nend - q) <= sizeof(dec) &&
		    sv4_pct_decode(q, (size_t)(nend - q), dec, &dn) == 0 &&
		    dn == want && memcmp(dec, name, want) == 0) {
			if (count++ == 0) {
				*val = eq != NULL ? eq + 1 : pend;
				*vlen = (size_t)(pend - *val);
			}
		}
		q = amp != NULL ? amp + 1 : pend;
	}
	return count;
}

/*
 * The decoded value of a required-once parameter into out (outsize bytes,
 * NUL-terminated). Returns 1 if found, 0 if absent, -1 (err set) if
 * repeated, badly encoded or too long.
 */
static int
sv4_query_value(const char *q, const char *name, char *out, size_t outsize,
		struct core_err *err)
{
	const char *v;
	size_t vlen, dn;
	size_t count = sv4_query_find(q, name, &v, &vlen);

	if (count == 0)
		return 0;
	if (count > 1) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "query_duplicate",
			     "Query parameter %s appears more than once.", name);
		return -1;
	}
	if (vlen >= outsize || sv4_pct_decode(v, vlen, out, &dn) != 0) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "query_malformed",
			     "Query parameter %s is malformed or too long.",
			     name);
		return -1;
	}
	out[dn] = '\0';
	return 1;
}

static int
sv4_parse_expires(const char *s, struct fed_sigv4_auth *a,
		  struct core_err *err)
{
	int64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 7)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			goto bad;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > FED_SIGV4_MAX_PRESIGN_EXPIRES) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "expires_range",
			     "X-Amz-Expires must be between 1 and %d seconds.",
			     FED_SIGV4_MAX_PRESIGN_EXPIRES);
		return -1;
	}
	a->expires = v;
	return 0;
bad:
	core_err_set(err, CORE_EINCOMPLETE_SIG, "expires_malformed",
		     "X-Amz-Expires must be a number of seconds.");
	return -1;
}

/* Decoded X-Amz-Security-Token; its length is checked before copying. */
static int
sv4_query_token(const char *q, struct fed_sigv4_auth *a, struct core_err *err)
{
	const char *v;
	size_t vlen;
	size_t count = sv4_query_find(q, "X-Amz-Security-Token", &v, &vlen);
	char *buf;
	int rc;

	if (count == 0)
		return 0;
	if (vlen > 3 * FED_SIGV4_MAX_TOKEN) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "token_malformed",
			     "X-Amz-Security-Token is too long.");
		return -1;
	}
	buf = core_xmalloc(vlen + 1);
	rc = sv4_query_value(q, "X-Amz-Security-Token", buf, vlen + 1, err);
	if (rc == 1 && strlen(buf) > FED_SIGV4_MAX_TOKEN) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "token_malformed",
			     "X-Amz-Security-Token is too long.");
		rc = -1;
	}
	if (rc != 1) {
		free(buf);
		return -1;
	}
	a->security_token_buf = buf;
	a->security_token = buf;
	return 0;
}

static int
sv4_parse_query_form(const char *q, struct fed_sigv4_auth *a,
		     struct core_err *err)
{
	/* Longest valid values plus one, so a longer one is refused. */
	char alg[sizeof(SV4_ALGORITHM) + 1], cred[SV4_MAX_AKID + 96];
	char date[18], exp[9], sig[66];
	char sh[FED_SIGV4_MAX_SIGNED_HEADERS * (SV4_MAX_HNAME + 1) + 1];
	int r[6];

	r[0] = sv4_query_value(q, "X-Amz-Algorithm", alg, sizeof(alg), err);
	r[1] = sv4_query_value(q, "X-Amz-Credential", cred, sizeof(cred), err);
	r[2] = sv4_query_value(q, "X-Amz-Date", date, sizeof(date), err);
	r[3] = sv4_query_value(q, "X-Amz-Expires", exp, sizeof(exp), err);
	r[4] = sv4_query_value(q, "X-Amz-SignedHeaders", sh, sizeof(sh), err);
	r[5] = sv4_query_value(q, "X-Amz-Signature", sig, sizeof(sig), err);
	for (int i = 0; i < 6; i++)
		if (r[i] < 0)
			return -1;
	for (int i = 0; i < 6; i++) {
		if (r[i] == 0) {
			core_err_set(err, CORE_EINCOMPLETE_SIG,
				     "query_incomplete",
				     "Query-string authentication version 4 "
				     "requires the X-Amz-Algorithm, "
				     "X-Amz-Credential, X-Amz-Signature, "
				     "X-Amz-Date, X-Amz-SignedHeaders, and "
				     "X-Amz-Expires parameters.");
			return -1;
		}
	}
	if (strcmp(alg, SV4_ALGORITHM) != 0) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "auth_algorithm",
			     "X-Amz-Algorithm only supports \"" SV4_ALGORITHM
			     "\".");
		return -1;
	}
	a->presigned = 1;
	if (sv4_parse_credential(cred, strlen(cred), a, err) != 0 ||
	    sv4_set_amz_date(date, strlen(date), a, err) != 0 ||
	    sv4_parse_expires(exp, a, err) != 0 ||
	    sv4_parse_signed_headers(sh, strlen(sh), a, err) != 0 ||
	    sv4_parse_signature(sig, strlen(sig), a, err) != 0 ||
	    sv4_query_token(q, a, err) != 0)
		return -1;
	return 0;
}

int
fed_sigv4_parse(const struct fed_sigv4_msg *m, struct fed_sigv4_auth *a,
		struct core_err *err)
{
	const struct fed_sigv4_header *authz;
	const char *q = m->raw_query, *v;
	size_t count, vlen;
	int rc;

	memset(a, 0, sizeof(*a));
	if (q != NULL && strnlen(q, FED_SIGV4_MAX_QUERY + 1) >
	    FED_SIGV4_MAX_QUERY) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "query_too_long",
			     "The query string is longer than %d bytes.",
			     FED_SIGV4_MAX_QUERY);
		return -1;
	}
	authz = sv4_header(m, "authorization", &count);
	/* A proxy may forward an empty header for a presigned request. */
	if (count == 1 && authz->value[strspn(authz->value, " \t")] == '\0') {
		authz = NULL;
		count = 0;
	}
	if (count > 1) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "auth_duplicate",
			     "The request has more than one Authorization "
			     "header.");
		return -1;
	}
	if (authz != NULL && sv4_query_find(q, "X-Amz-Algorithm", &v,
	    &vlen) > 0) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "auth_ambiguous",
			     "Only one auth mechanism allowed; only the "
			     "X-Amz-Algorithm query parameter or the "
			     "Authorization header should be specified.");
		return -1;
	}
	if (authz != NULL)
		rc = sv4_parse_header_form(m, authz->value, a, err);
	else if (sv4_query_find(q, "X-Amz-Algorithm", &v, &vlen) > 0)
		rc = sv4_parse_query_form(q, a, err);
	else {
		core_err_set(err, CORE_EMISSING_AUTH, "auth_missing",
			     "Request is missing Authentication Token");
		return -1;
	}
	if (rc != 0)
		fed_sigv4_auth_clear(a);
	return rc;
}

void
fed_sigv4_auth_clear(struct fed_sigv4_auth *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_signed_headers; i++)
		free(a->signed_headers[i]);
	free(a->security_token_buf);
	OPENSSL_cleanse(a, sizeof(*a));
}

/* ---- time window --------------------------------------------------------- */

int
fed_sigv4_check_time(const struct fed_sigv4_auth *a, int64_t now,
		     struct core_err *err)
{
	char nowf[17], edge[17];

	if (strncmp(a->scope_date, a->amz_date, 8) != 0) {
		/* AWS answers this with SignatureDoesNotMatch. */
		core_err_set(err, CORE_ESIGNATURE, "scope_date_mismatch",
			     "Date in Credential scope does not match YYYYMMDD "
			     "from ISO-8601 version of date from HTTP: '%s' != "
			     "'%.8s', from '%s'.", a->scope_date, a->amz_date,
			     a->amz_date);
		return -1;
	}
	sv4_fmt_amz_date(now, nowf);
	if (a->presigned) {
		if (now < a->request_time - FED_SIGV4_MAX_SKEW) {
			core_err_set(err, CORE_EREQUEST_EXPIRED,
				     "request_not_yet_valid",
				     "Request is not yet valid");
			return -1;
		}
		if (now > a->request_time + a->expires) {
			core_err_set(err, CORE_EREQUEST_EXPIRED,
				     "request_expired", "Request has expired");
			return -1;
		}
		return 0;
	}
	if (now - a->request_time > FED_SIGV4_MAX_SKEW) {
		sv4_fmt_amz_date(now - FED_SIGV4_MAX_SKEW, edge);
		core_err_set(err, CORE_EREQUEST_EXPIRED, "request_expired",
			     "Signature expired: %s is now earlier than %s "
			     "(%s - 15 min.)", a->amz_date, edge, nowf);
		return -1;
	}
	if (a->request_time - now > FED_SIGV4_MAX_SKEW) {
		sv4_fmt_amz_date(now + FED_SIGV4_MAX_SKEW, edge);
		core_err_set(err, CORE_EREQUEST_EXPIRED, "request_not_yet_valid",
			     "Signature not yet current: %s is still later "
			     "than %s (%s + 15 min.)", a->amz_date, edge, nowf);
		return -1;
	}
	return 0;
}

/* ---- canonical request --------------------------------------------------- */

static void
sv4_too_large(struct core_err *err)
{
	core_err_set(err, CORE_EINCOMPLETE_SIG, "too_large",
		     "The request is too large to verify.");
}

static void
sv4_bad_escape(struct core_err *err)
{
	core_err_set(err, CORE_EINCOMPLETE_SIG, "uri_malformed",
		     "The request URI has a malformed percent-encoding.");
}

/* S3: every segment decoded and encoded once; no normalization. */
static int
sv4_canon_path_s3(struct core_buf *b, const char *p, size_t n,
		  struct core_err *err)
{
	char *tmp = core_xmalloc(n + 1);
	size_t start = 0, dn;
	int rc = 0;

	for (size_t i = 0; i <= n && rc == 0; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (sv4_pct_decode(p + start, i - start, tmp, &dn) != 0) {
			sv4_bad_escape(err);
			rc = -1;
		} else if (sv4_encode(b, tmp, dn, 0) != 0 ||
		    (i < n && core_buf_append(b, "/", 1) != 0)) {
			sv4_too_large(err);
			rc = -1;
		}
		start = i + 1;
	}
	free(tmp);
	return rc;
}

/*
 * Other services: botocore's remove_dot_segments() on the raw path (which
 * also drops empty segments), then quote(path, safe='/~') - the raw path's
 * own escapes are encoded a second time.
 */
static int
sv4_canon_path_other(struct core_buf *b, const char *p, size_t n,
		     struct core_err *err)
{
	size_t nseg = 1, top = 0, start = 0;
	const char **seg;
	size_t *slen;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		nseg += p[i] == '/';
	seg = core_xcalloc(nseg, sizeof(*seg));
	slen = core_xcalloc(nseg, sizeof(*slen));
	for (size_t i = 0; i <= n; i++) {
		size_t len = i - start;

		if (i < n && p[i] != '/')
			continue;
		if (len == 2 && memcmp(p + start, "..", 2) == 0) {
			if (top > 0)
				top--;
		} else if (len > 0 && !(len == 1 && p[start] == '.')) {
			seg[top] = p + start;
			slen[top++] = len;
		}
		start = i + 1;
	}
	if (n > 0 && p[0] == '/')
		rc |= core_buf_append(b, "/", 1);
	for (size_t i = 0; i < top; i++) {
		if (i > 0)
			rc |= core_buf_append(b, "/", 1);
		rc |= sv4_encode(b, seg[i], slen[i], 0);
	}
	if (n > 0 && p[n - 1] == '/' && top > 0)
		rc |= core_buf_append(b, "/", 1);
	free(seg);
	free(slen);
	if (rc != 0)
		sv4_too_large(err);
	return rc != 0 ? -1 : 0;
}

static int
sv4_canon_path(struct core_buf *b, const struct fed_sigv4_msg *m,
	       const struct fed_sigv4_auth *a, struct core_err *err)
{
	const char *p = m->raw_path;
	size_t n;

	if (p == NULL || *p == '\0')
		p = "/";
	n = strnlen(p, FED_SIGV4_MAX_PATH + 1);
	if (n > FED_SIGV4_MAX_PATH) {
		sv4_too_large(err);
		return -1;
	}
	if (strcmp(a->service, "s3") == 0)
		return sv4_canon_path_s3(b, p, n, err);
	return sv4_canon_path_other(b, p, n, err);
}

struct sv4_pair {
	char *k;
	char *v;
};

static int
sv4_pair_cmp(const void *x, const void *y)
{
	const struct sv4_pair *a = x, *b = y;
	int c = strcmp(a->k, b->k);

	return c != 0 ? c : strcmp(a->v, b->v);
}

/* One "name[=value]" into an encoded pair; 1 if skipped, -1 on bad escape. */
static int
sv4_query_pair(const char *s, size_t n, int presigned, struct sv4_pair *out)
{
	const char *eq = memchr(s, '=', n);
	size_t nlen = eq != NULL ? (size_t)(eq - s) : n;
	struct core_buf kb, vb;

	core_buf_init(&kb, 0);
	core_buf_init(&vb, 0);
	if (sv4_reencode(&kb, s, nlen) != 0 || (eq != NULL &&
	    sv4_reencode(&vb, eq + 1, n - nlen - 1) != 0)) {
		core_buf_reset(&kb);
		core_buf_reset(&vb);
		return -1;
	}
	/* The signature cannot sign itself (presigned form). */
	if (presigned && kb.data != NULL &&
	    strcmp(kb.data, "X-Amz-Signature") == 0) {
		core_buf_reset(&kb);
		core_buf_reset(&vb);
		return 1;
	}
	out->k = kb.data != NULL ? core_buf_steal(&kb) : core_xstrdup("");
	out->v = vb.data != NULL ? core_buf_steal(&vb) : core_xstrdup("");
	return 0;
}

static int
sv4_canon_query(struct core_buf *b, const char *q, int presigned,
		struct core_err *err)
{
	size_t n = q != NULL ? strnlen(q, FED_SIGV4_MAX_QUERY + 1) : 0;
	size_t cap = 1, np = 0, start = 0;
	struct sv4_pair *pairs;
	int rc = 0;

	if (n > FED_SIGV4_MAX_QUERY) {
		sv4_too_large(err);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		cap += q[i] == '&';
	pairs = core_xcalloc(cap, sizeof(*pairs));
	for (size_t i = 0; i <= n && rc == 0; i++) {
		if (i < n && q[i] != '&')
			continue;
		/* Empty pieces ("a=1&&b=2", a trailing '&') carry nothing. */
		if (i > start) {
			int r = sv4_query_pair(q + start, i - start, presigned,
					       &pairs[np]);
			if (r < 0) {
				sv4_bad_escape(err);
				rc = -1;
			} else if (r == 0)
				np++;
		}
		start = i + 1;
	}
	if (rc == 0)
		qsort(pairs, np, sizeof(*pairs), sv4_pair_cmp);
	for (size_t i = 0; i < np; i++) {
		if (rc == 0 && core_buf_printf(b, "%s%s=%s", i > 0 ? "&" : "",
		    pairs[i].k, pairs[i].v) != 0) {
			sv4_too_large(err);
			rc = -1;
		}
		free(pairs[i].k);
		free(pairs[i].v);
	}
	free(pairs);
	return rc;
}

/* Trimall: strip the ends, collapse inner whitespace runs to one space. */
static int
sv4_put_trimall(struct core_buf *b, const char *v)
{
	const char *s;
	size_t n;
	int in_ws = 0, rc = 0;

	sv4_trim(v, &s, &n);
	for (size_t i = 0; i < n; i++) {
		if (sv4_is_ws((unsigned char)s[i])) {
			in_ws = 1;
			continue;
		}
		if (in_ws)
			rc |= core_buf_append(b, " ", 1);
		in_ws = 0;
		rc |= core_buf_append(b, &s[i], 1);
	}
	return rc;
}

static int
sv4_canon_headers(struct core_buf *b, const struct fed_sigv4_msg *m,
		  const struct fed_sigv4_auth *a, struct core_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < a->n_signed_headers; i++) {
		const char *name = a->signed_headers[i];
		size_t nval = 0;

		rc |= core_buf_printf(b, "%s:", name);
		for (size_t j = 0; j < m->n_headers; j++) {
			const struct fed_sigv4_header *h = &m->headers[j];

			if (h->name == NULL || h->value == NULL ||
			    strcasecmp(h->name, name) != 0)
				continue;
			if (nval++ > 0)
				rc |= core_buf_append(b, ",", 1);
			rc |= sv4_put_trimall(b, h->value);
		}
		rc |= core_buf_append(b, "\n", 1);
		if (nval == 0) {
			/* A signed header must be in the request we verify. */
			core_err_set(err, CORE_ESIGNATURE,
				     "signed_header_missing", SV4_MSG_MISMATCH);
			return -1;
		}
	}
	if (rc != 0)
		sv4_too_large(err);
	return rc != 0 ? -1 : 0;
}

/*
 * x-amz-content-sha256 as sent (botocore canonical_request() takes it
 * verbatim); a hex value must match the body when we have it, or the
 * signature would not cover the bytes received.
 */
static int
sv4_payload_header(const struct fed_sigv4_msg *m,
		   const struct fed_sigv4_auth *a, const char *value,
		   char out[65], struct core_err *err)
{
	char body[65];
	const char *v;
	size_t n;

	sv4_trim(value, &v, &n);
	if (n >= 10 && memcmp(v, "STREAMING-", 10) == 0) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "streaming",
			     "Streaming (chunked) payload signing is not "
			     "supported.");
		return -1;
	}
	if (n == strlen(SV4_UNSIGNED) && memcmp(v, SV4_UNSIGNED, n) == 0) {
		/* Only S3 defines unsigned payloads; elsewhere (STS) the
		 * body holds the parameters and must be signed. */
		if (strcmp(a->service, "s3") != 0 && m->body != NULL) {
			core_err_set(err, CORE_EINCOMPLETE_SIG,
				     "unsigned_payload", "UNSIGNED-PAYLOAD is "
				     "only accepted for service s3.");
			return -1;
		}
		memcpy(out, SV4_UNSIGNED, n + 1);
		return 0;
	}
	if (n != 64 || !sv4_is_lower_hex(v, n)) {
		core_err_set(err, CORE_EINCOMPLETE_SIG,
			     "content_sha256_malformed",
			     "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
			     "STREAMING-..., or a valid sha256 value.");
		return -1;
	}
	memcpy(out, v, 64);
	out[64] = '\0';
	if (m->body != NULL) {
		core_sha256_hex(m->body, m->body_len, body);
		if (memcmp(body, out, 64) != 0) {
			core_err_set(err, CORE_ESIGNATURE,
				     "content_sha256_mismatch",
				     "The provided 'x-amz-content-sha256' header "
				     "does not match what was computed.");
			return -1;
		}
	}
	return 0;
}

/* The payload hash line of the canonical request. */
static int
sv4_payload(const struct fed_sigv4_msg *m, const struct fed_sigv4_auth *a,
	    char out[65], struct core_err *err)
{
	const struct fed_sigv4_header *h;
	size_t count;

	h = sv4_header(m, "x-amz-content-sha256", &count);
	if (count > 1) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "content_sha256_dup",
			     "x-amz-content-sha256 is given more than once.");
		return -1;
	}
	if (h != NULL)
		return sv4_payload_header(m, a, h->value, out, err);
	/* Presigned S3 URLs never cover the payload (S3SigV4QueryAuth). */
	if (a->presigned && strcmp(a->service, "s3") == 0) {
		memcpy(out, SV4_UNSIGNED, sizeof(SV4_UNSIGNED));
		return 0;
	}
	if (m->body != NULL) {
		core_sha256_hex(m->body, m->body_len, out);
		return 0;
	}
	if (a->presigned) {
		memcpy(out, SV4_UNSIGNED, sizeof(SV4_UNSIGNED));
		return 0;
	}
	core_err_set(err, CORE_EINCOMPLETE_SIG, "payload_unavailable",
		     "The request body is needed to verify this signature; "
		     "send x-amz-content-sha256.");
	return -1;
}

static int
sv4_method_ok(const char *s)
{
	size_t n = s != NULL ? strnlen(s, SV4_MAX_METHOD + 1) : 0;

	if (n == 0 || n > SV4_MAX_METHOD)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) &&
		    !sv4_is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

char *
fed_sigv4_canonical_request(const struct fed_sigv4_msg *m,
			    const struct fed_sigv4_auth *a,
			    struct core_err *err)
{
	struct core_buf b;
	char payload[65];
	int rc = 0;

	if (!sv4_method_ok(m->method)) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "method_malformed",
			     "The request method is not valid.");
		return NULL;
	}
	core_buf_init(&b, SV4_MAX_CANONICAL);
	/* RFC-less but fixed by AWS: method, URI, query, headers, names,
	 * payload, one per line; the header block ends with its own '\n'. */
	rc |= core_buf_printf(&b, "%s\n", m->method);
	if (rc != 0 || sv4_canon_path(&b, m, a, err) != 0 ||
	    core_buf_append(&b, "\n", 1) != 0 ||
	    sv4_canon_query(&b, m->raw_query, a->presigned, err) != 0 ||
	    core_buf_append(&b, "\n", 1) != 0 ||
	    sv4_canon_headers(&b, m, a, err) != 0 ||
	    sv4_payload(m, a, payload, err) != 0)
		goto fail;
	rc |= core_buf_append(&b, "\n", 1);
	for (size_t i = 0; i < a->n_signed_headers; i++)
		rc |= core_buf_printf(&b, "%s%s", i > 0 ? ";" : "",
				      a->signed_headers[i]);
	rc |= core_buf_printf(&b, "\n%s", payload);
	if (rc != 0)
		goto fail;
	return core_buf_steal(&b);
fail:
	sv4_too_large(err);	/* no-op when a cause is already recorded */
	core_buf_reset(&b);
	return NULL;
}

static int
sv4_hmac(const void *key, size_t klen, const char *msg, size_t mlen,
	 uint8_t out[32])
{
	unsigned int olen = 0;

	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
		 mlen, out, &olen) == NULL || olen != 32)
		return -1;
	return 0;
}

/* kSigning = HMAC chain "AWS4"+secret -> date -> region -> service -> term. */
static int
sv4_signing_key(const char *secret, const struct fed_sigv4_auth *a,
		uint8_t key[32])
{
	char k0[4 + SV4_MAX_SECRET + 1];
	size_t slen = strnlen(secret, SV4_MAX_SECRET + 1);
	int rc;

	if (slen > SV4_MAX_SECRET)
		return -1;
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret, slen);
	rc = sv4_hmac(k0, 4 + slen, a->scope_date, strlen(a->scope_date), key);
	rc |= sv4_hmac(key, 32, a->region, strlen(a->region), key);
	rc |= sv4_hmac(key, 32, a->service, strlen(a->service), key);
	rc |= sv4_hmac(key, 32, SV4_TERMINATOR, strlen(SV4_TERMINATOR), key);
	OPENSSL_cleanse(k0, sizeof(k0));
	return rc;
}

/* Hex signature of the canonical request cr into out[65]. */
static int
sv4_compute(const char *cr, const struct fed_sigv4_auth *a,
	    const char *secret, char out[65], struct core_err *err)
{
	char crhash[65], sts[256];
	uint8_t key[32], mac[32];
	int n, rc;

	core_sha256_hex(cr, strlen(cr), crhash);
	n = snprintf(sts, sizeof(sts), SV4_ALGORITHM "\n%s\n%s/%s/%s/"
		     SV4_TERMINATOR "\n%s", a->amz_date, a->scope_date,
		     a->region, a->service, crhash);
	if (n < 0 || (size_t)n >= sizeof(sts) ||
	    sv4_signing_key(secret, a, key) != 0) {
		core_err_set(err, CORE_EINTERNAL, "sigv4_internal",
			     "Internal failure computing the signature.");
		return -1;
	}
	rc = sv4_hmac(key, sizeof(key), sts, (size_t)n, mac);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != 0) {
		core_err_set(err, CORE_EINTERNAL, "sigv4_internal",
			     "Internal failure computing the signature.");
		return -1;
	}
	sv4_hex(mac, sizeof(mac), out);
	return 0;
}

int
fed_sigv4_verify(const struct fed_sigv4_msg *m,
		 const struct fed_sigv4_auth *a, const char *secret,
		 struct core_err *err)
{
	char want[65];
	char *cr;
	int rc;

	cr = fed_sigv4_canonical_request(m, a, err);
	if (cr == NULL)
		return -1;
	rc = sv4_compute(cr, a, secret, want, err);
	free(cr);
	if (rc != 0)
		return -1;
	/* Both are 64 lowercase hex digits (parse checked a->signature). */
	if (strlen(a->signature) != 64 ||
	    CRYPTO_memcmp(want, a->signature, 64) != 0) {
		core_err_set(err, CORE_ESIGNATURE, "signature_mismatch",
			     SV4_MSG_MISMATCH);
		return -1;
	}
	return 0;
}

static int
sv4_strcmp_p(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Lowercased, sorted "a;b;c" from the caller's list; NULL if unusable. */
static char *
sv4_join_signed(const char *const *names, size_t n)
{
	struct core_buf b;
	char **tmp;

	if (n == 0 || n > FED_SIGV4_MAX_SIGNED_HEADERS)
		return NULL;
	tmp = core_xcalloc(n, sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		tmp[i] = core_xstrdup(names[i]);
		for (char *p = tmp[i]; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	qsort(tmp, n, sizeof(*tmp), sv4_strcmp_p);
	core_buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		core_buf_printf(&b, "%s%s", i > 0 ? ";" : "", tmp[i]);
		free(tmp[i]);
	}
	free(tmp);
	return core_buf_steal(&b);
}

char *
fed_sigv4_sign(const struct fed_sigv4_msg *m, const char *access_key_id,
	       const char *secret, const char *region, const char *service,
	       const char *amz_date, const char *const *signed_headers,
	       size_t n_signed)
{
	struct fed_sigv4_auth a;
	struct core_err err = {0};
	char *cred, *names, *cr = NULL, *out = NULL;
	char sig[65];

	memset(&a, 0, sizeof(a));
	names = sv4_join_signed(signed_headers, n_signed);
	cred = core_xasprintf("%s/%.8s/%s/%s/" SV4_TERMINATOR, access_key_id,
			      amz_date, region, service);
	if (names == NULL ||
	    sv4_parse_credential(cred, strlen(cred), &a, &err) != 0 ||
	    sv4_parse_signed_headers(names, strlen(names), &a, &err) != 0 ||
	    sv4_set_amz_date(amz_date, strlen(amz_date), &a, &err) != 0)
		goto out;
	cr = fed_sigv4_canonical_request(m, &a, &err);
	if (cr == NULL || sv4_compute(cr, &a, secret, sig, &err) != 0)
		goto out;
	out = core_xasprintf(SV4_ALGORITHM " Credential=%s, SignedHeaders=%s, "
			     "Signature=%s", cred, names, sig);
out:
	free(cr);
	free(cred);
	free(names);
	fed_sigv4_auth_clear(&a);
	return out;
}
