/* gateway/login_redeem.c - `fedgate login`: redeem the code for credentials
 *
 * One POST of the code and the verifier to URL/login/cli/redeem, and the
 * parsers of what comes back: credentials or an error. The verifier and
 * code go only to the URL the user named, never through a redirect or,
 * for a loopback URL, a proxy. Every credential string is checked against
 * a small character set before it can reach a shell
 * (`eval $(fedgate login --format env)`), and is wiped when freed.
 * Separate from the command (logincmd.c) because this is the CLI's only
 * HTTP client and the parsers are fuzzed on their own
 * (tests/fuzz/fuzz_login.c).
 */
#include "gateway/logincmd_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"

#define LOGIN_MAX_FIELD 16384	  /* any one credential string */
#define LOGIN_REDEEM_TIMEOUT 30

void
gw_login_str_wipe_free(char **s)
{
	if (*s != NULL)
		core_secret_free(*s, strlen(*s));
	*s = NULL;
}

/* The credential strings go unquoted into shell and ini output, so only
 * the characters AWS credentials and fedgate's sealed tokens use. */
static int
field_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= LOGIN_MAX_FIELD &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789+/=_-.:") == n;
}

void
gw_login_creds_clear(struct login_creds *c)
{
	gw_login_str_wipe_free(&c->akid);
	gw_login_str_wipe_free(&c->secret);
	gw_login_str_wipe_free(&c->token);
	c->expires = 0;
}

static const char *
json_field(json_t *doc, const char *name)
{
	json_t *v = json_object_get(doc, name);

	return json_is_string(v) && field_ok(json_string_value(v)) ?
	    json_string_value(v) : NULL;
}

/* The redeem response (also the cache file's content). 0 or -1. */
int
gw_login_creds_parse(const char *buf, size_t len, struct login_creds *c)
{
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *ver = json_object_get(doc, "Version");
	const char *akid = json_field(doc, "AccessKeyId");
	const char *secret = json_field(doc, "SecretAccessKey");
	const char *token = json_field(doc, "SessionToken");
	json_t *exp = json_object_get(doc, "Expiration");
	int64_t t;
	int rc = -1;

	if (!json_is_object(doc) || !json_is_integer(ver) ||
	    json_integer_value(ver) != 1 || akid == NULL || secret == NULL ||
	    token == NULL || !json_is_string(exp) ||
	    core_time_parse(json_string_value(exp), &t) == -1)
		goto out;
	c->akid = core_xstrdup(akid);
	c->secret = core_xstrdup(secret);
	c->token = core_xstrdup(token);
	c->expires = t;
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* Untrusted text for the terminal: no control characters, bounded. */
static void
print_sanitized(FILE *fp, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 512; i++)
		fputc((unsigned char)s[i] >= ' ' && (unsigned char)s[i] < 0x7f ?
		      s[i] : '?', fp);
}

/* {"Error":{"Code":..,"Message":..}}; 0 if it was one and was printed. */
int
gw_login_print_server_error(const char *buf, size_t len)
{
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *e = json_object_get(doc, "Error");
	json_t *code = json_object_get(e, "Code");
	json_t *msg = json_object_get(e, "Message");
	int rc = -1;

	if (json_is_string(code) && json_is_string(msg)) {
		fputs(LOGIN_PREFIX, stderr);
		print_sanitized(stderr, json_string_value(code));
		fputs(": ", stderr);
		print_sanitized(stderr, json_string_value(msg));
		fputc('\n', stderr);
		rc = 0;
	}
	json_decref(doc);
	return rc;
}

struct redeem_body {
	struct core_buf b;
	int toobig;
};

static size_t
redeem_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct redeem_body *rb = arg;
	size_t n = size * nmemb;

	if (core_buf_append(&rb->b, p, n) == -1) {
		rb->toobig = 1;
		return 0;
	}
	return n;
}

static char *
redeem_form(CURL *h, const char *code, const char *verifier)
{
	char *ec = curl_easy_escape(h, code, 0);
	char *ev = curl_easy_escape(h, verifier, 0);
	char *form = NULL;

	if (ec != NULL && ev != NULL)
		form = core_xasprintf("code=%s&code_verifier=%s", ec, ev);
	if (ec != NULL) {
		OPENSSL_cleanse(ec, strlen(ec));
		curl_free(ec);
	}
	if (ev != NULL) {
		OPENSSL_cleanse(ev, strlen(ev));
		curl_free(ev);
	}
	return form;
}

static void
redeem_setopts(CURL *h, const char *url, const char *form, struct curl_slist *hdrs,
	       struct redeem_body *rb)
{
	int https = strncasecmp(url, "https:", 6) == 0;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, https ? "https" : "http");
	/* A redirect would resend the code and verifier somewhere else. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* A loopback URL must stay on this host: no proxy gets the form. */
	if (!https)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)LOGIN_REDEEM_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)LOGIN_MAX_RESPONSE);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "fedgate-login");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, redeem_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, rb);
}

int
gw_login_redeem(const char *base_url, const char *code, const char *verifier,
		struct login_creds *c)
{
	struct redeem_body rb = {.toobig = 0};
	struct curl_slist *hdrs = NULL;
	char *url = core_xasprintf("%s/login/cli/redeem", base_url);
	char *form = NULL;
	CURL *h = curl_easy_init();
	CURLcode cc;
	long status = 0;
	int rc = -1;

	core_buf_init(&rb.b, LOGIN_MAX_RESPONSE);
	if (h == NULL || (form = redeem_form(h, code, verifier)) == NULL) {
		fprintf(stderr, LOGIN_PREFIX "redeem: out of resources\n");
		goto out;
	}
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	redeem_setopts(h, url, form, hdrs, &rb);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		fprintf(stderr, LOGIN_PREFIX "redeem %s: %s\n", url,
			rb.toobig ? "response too large" :
			curl_easy_strerror(cc));
	else if (status == 200 && rb.b.data != NULL &&
		 gw_login_creds_parse(rb.b.data, rb.b.len, c) == 0) {
		if (c->expires <= core_now()) {
			fprintf(stderr, LOGIN_PREFIX "the server sent "
				"credentials that have already expired\n");
			gw_login_creds_clear(c);
		} else
			rc = 0;
	} else if (status == 200)
		fprintf(stderr, LOGIN_PREFIX "redeem %s: malformed "
			"credentials in the response\n", url);
	else if (rb.b.data == NULL ||
		 gw_login_print_server_error(rb.b.data, rb.b.len) == -1)
		fprintf(stderr, LOGIN_PREFIX "redeem %s: HTTP %ld\n", url,
			status);
out:
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	gw_login_str_wipe_free(&form);
	core_buf_wipe(&rb.b);
	free(url);
	return rc;
}
