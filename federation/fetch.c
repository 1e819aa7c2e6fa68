/* federation/fetch.c - OIDC discovery and JWKS download with libcurl
 *
 * Thread safety: curl_global_init() is not thread-safe and must be called
 * once by the program before any thread runs (gateway/main.c does so at
 * startup; tests call it in main()). Each fetch then uses its own easy
 * handle with CURLOPT_NOSIGNAL, which libcurl documents as safe to use
 * from several threads at once.
 *
 * Only URLs from the configuration (or the configured issuer's discovery
 * document) are ever fetched; nothing a token names.
 */
#include "federation/oidc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/log.h"

#define IDP_COMM_MSG "Couldn't retrieve verification key from your identity " \
	"provider,  please reference AssumeRoleWithWebIdentity documentation " \
	"for requirements"

struct fetch_ctx {
	struct core_buf *out;
	int64_t max_age;
	int toobig;
};

static size_t
fetch_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch_ctx *fc = arg;
	size_t n = size * nmemb;

	/* The cap is enforced here, before the body is kept. */
	if (core_buf_append(fc->out, p, n) == -1) {
		fc->toobig = 1;
		return 0;
	}
	return n;
}

/* Cache-Control: max-age=N (RFC 9111 §5.2.2.1); other directives ignored. */
static size_t
fetch_header(char *p, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "cache-control:";
	struct fetch_ctx *fc = arg;
	size_t n = size * nmemb;
	char line[512], *m, *end;
	long long v;

	if (n <= sizeof(name) - 1 || n >= sizeof(line) ||
	    strncasecmp(p, name, sizeof(name) - 1) != 0)
		return n;
	memcpy(line, p, n);
	line[n] = '\0';
	m = strcasestr(line, "max-age=");
	if (m == NULL)
		return n;
	errno = 0;
	v = strtoll(m + 8, &end, 10);
	if (errno == 0 && end != m + 8 && v >= 0)
		fc->max_age = v > INT32_MAX ? INT32_MAX : v;
	return n;
}

static void
fetch_setopts(CURL *c, const char *url, int timeout, size_t max,
	      struct fetch_ctx *fc)
{
	/* Redirects may not leave https, nor go to any non-HTTP scheme. */
	const char *redir = strncmp(url, "https:", 6) == 0 ? "https" :
	    "http,https";

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, redir);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)timeout);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "fedgate");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, fc);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, fc);
}

int
fed_fetch_url(const char *url, int timeout, size_t max, struct core_buf *out,
	      int64_t *max_age, struct core_err *err)
{
	struct fetch_ctx fc = {.out = out};
	CURLcode rc;
	long status = 0;
	CURL *c;

	core_buf_init(out, max);
	c = curl_easy_init();
	if (c == NULL) {
		core_err_set(err, CORE_EIDP_COMM, NULL, IDP_COMM_MSG);
		return -1;
	}
	fetch_setopts(c, url, timeout > 0 ? timeout : 5, max, &fc);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK || status != 200) {
		log_warnx("%s: %s: %s", __func__, url, fc.toobig ?
		    "response too large" : rc != CURLE_OK ?
		    curl_easy_strerror(rc) : "HTTP status not 200");
		if (rc == CURLE_OK)
			log_warnx("%s: %s: HTTP %ld", __func__, url, status);
		core_buf_reset(out);
		core_err_set(err, CORE_EIDP_COMM, "idp_unreachable",
			     IDP_COMM_MSG);
		return -1;
	}
	if (max_age != NULL)
		*max_age = fc.max_age;
	return 0;
}

int
fed_fetch_post_form(const char *url, const char *form, const char *user,
		    const char *password, int timeout, size_t max,
		    struct core_buf *out, long *status, struct core_err *err)
{
	struct fetch_ctx fc = {.out = out};
	struct curl_slist *hdrs;
	CURLcode rc;
	long st = 0;
	CURL *c;

	core_buf_init(out, max);
	c = curl_easy_init();
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	/* No "Expect: 100-continue" round trip for a small form. */
	if (hdrs != NULL && curl_slist_append(hdrs, "Expect:") == NULL) {
		curl_slist_free_all(hdrs);
		hdrs = NULL;
	}
	if (c == NULL || hdrs == NULL) {
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(c);
		core_err_set(err, CORE_EIDP_COMM, "idp_unreachable",
			     "Couldn't reach your identity provider");
		return -1;
	}
	fetch_setopts(c, url, timeout > 0 ? timeout : 5, max, &fc);
	/* A back-channel POST carries a code and credentials: never re-sent
	 * anywhere a Location header names. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)strlen(form));
	if (user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 password != NULL ? password : "");
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		log_warnx("%s: %s: %s", __func__, url, fc.toobig ?
		    "response too large" : curl_easy_strerror(rc));
		core_buf_reset(out);
		core_err_set(err, CORE_EIDP_COMM, "idp_unreachable",
			     "Couldn't reach your identity provider");
		return -1;
	}
	*status = st;
	return 0;
}

/* OpenID Connect Discovery 1.0 §4: issuer must match what we configured. */
static char *
fetch_discovery(const char *issuer, int timeout, struct core_err *err)
{
	struct core_buf b;
	json_t *doc;
	const char *iss, *uri;
	char *url, *ret = NULL;
	size_t ilen = strlen(issuer);

	/* §4.1: the path is appended after removing a trailing '/'. */
	if (ilen > 0 && issuer[ilen - 1] == '/')
		ilen--;
	url = core_xasprintf("%.*s/.well-known/openid-configuration",
			     (int)ilen, issuer);
	if (fed_fetch_url(url, timeout, FED_DISCOVERY_MAX_BYTES, &b, NULL,
			  err) == -1) {
		free(url);
		return NULL;
	}
	doc = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
	iss = json_string_value(json_object_get(doc, "issuer"));
	uri = json_string_value(json_object_get(doc, "jwks_uri"));
	if (iss == NULL || strcmp(iss, issuer) != 0 || uri == NULL ||
	    (strncmp(uri, "https://", 8) != 0 &&
	     strncmp(uri, "http://", 7) != 0)) {
		log_warnx("%s: %s: bad discovery document (issuer mismatch "
			  "or no http(s) jwks_uri)", __func__, url);
		core_err_set(err, CORE_EIDP_COMM, "idp_unreachable",
			     IDP_COMM_MSG);
	} else {
		ret = core_xstrdup(uri);
	}
	json_decref(doc);
	core_buf_reset(&b);
	free(url);
	return ret;
}

int
fed_fetch_keys(const char *issuer, const char *jwks_uri, int timeout,
	       int64_t now, struct fed_keyset **out, struct core_err *err)
{
	struct core_err perr = {0};
	struct core_buf b;
	char *uri = NULL;
	int64_t max_age = 0;
	int rc = -1;

	if (jwks_uri == NULL) {
		uri = fetch_discovery(issuer, timeout, err);
		if (uri == NULL)
			return -1;
		jwks_uri = uri;
	}
	if (fed_fetch_url(jwks_uri, timeout, FED_JWKS_MAX_BYTES, &b, &max_age,
			  err) == -1)
		goto out;
	if (fed_jwks_parse(b.data, b.len, out, &perr) == -1) {
		log_warnx("%s: %s: %s", __func__, jwks_uri, perr.msg);
		core_err_set(err, CORE_EIDP_COMM, "no_keys", IDP_COMM_MSG);
		goto out;
	}
	(*out)->fetched_at = now;
	(*out)->max_age = max_age;
	rc = 0;
out:
	core_buf_reset(&b);
	free(uri);
	return rc;
}

int
fed_load_jwks_file(const char *path, int64_t now, struct fed_keyset **out,
		   struct core_err *err)
{
	struct core_err perr = {0};
	char *buf = core_xmalloc(FED_JWKS_MAX_BYTES + 1);
	FILE *fp = fopen(path, "re");
	size_t n = 0;
	int rc = -1;

	if (fp == NULL) {
		core_err_set(err, CORE_ECONFIG, "no_keys",
			     "jwks_file %s: %s", path, strerror(errno));
		goto out;
	}
	n = fread(buf, 1, FED_JWKS_MAX_BYTES + 1, fp);
	if (ferror(fp) || n > FED_JWKS_MAX_BYTES) {
		core_err_set(err, CORE_ECONFIG, "no_keys", "jwks_file %s: "
			     "unreadable or larger than %d bytes", path,
			     FED_JWKS_MAX_BYTES);
		goto out;
	}
	if (fed_jwks_parse(buf, n, out, &perr) == -1) {
		core_err_set(err, CORE_ECONFIG, "no_keys", "jwks_file %s: %s",
			     path, perr.msg);
		goto out;
	}
	(*out)->fetched_at = now;
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	free(buf);
	return rc;
}
