/* gateway/logincmd.c - `fedgate login`: browser sign-in for the CLI
 *
 * The protocol is described in gateway/logincmd.h. What this side must
 * get right: the verifier never leaves this process (so a code seen by
 * anything else - browser history, a proxy log, another local user
 * racing the callback - is worthless), the loopback listener accepts
 * exactly one well-formed callback carrying our state, stdout carries
 * nothing but the result, and every value the server sends is checked
 * before it reaches a shell (`eval $(fedgate login --format env)`).
 */
#include "gateway/logincmd.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/b64.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"
#include "gateway/form.h"
#include "gateway/logincmd_int.h"

#define LOGIN_STATE_BYTES 16
#define LOGIN_VERIFIER_BYTES 32
#define LOGIN_MAX_URL 2048	  /* --url */
#define LOGIN_MAX_ROLE 2048	  /* AWS's RoleArn limit */
#define LOGIN_MAX_REQUEST 8192	  /* one callback request, headers included */
#define LOGIN_MAX_CODE 8192	  /* decoded code parameter */
#define LOGIN_MAX_RESPONSE 65536  /* redeem response, and a cache file */
#define LOGIN_MAX_FIELD 16384	  /* any one credential string */
#define LOGIN_MAX_CONNS 8	  /* browsers open spare connections */
#define LOGIN_CONN_TIMEOUT_MS 10000
#define LOGIN_REDEEM_TIMEOUT 30
#define LOGIN_CACHE_MIN_LEFT 900  /* reuse while more than 15 min remain */
#define LOGIN_PREFIX "fedgate login: "

enum login_format { LOGIN_FMT_PROCESS, LOGIN_FMT_ENV, LOGIN_FMT_INI };

struct login_opts {
	char *url;	  /* owned; trailing '/' removed */
	const char *role; /* NULL: the login page asks */
	long duration;	  /* 0: the role's default */
	enum login_format format;
	int no_browser;
	int no_cache;
	long timeout;
};

/* One connection to the loopback listener, until its request is read. */
struct login_conn {
	int fd;
	int64_t deadline; /* monotonic ms */
	size_t len;
	char buf[LOGIN_MAX_REQUEST + 1];
};

struct login_server {
	int lfd;
	const char *state;
	struct login_conn conns[LOGIN_MAX_CONNS];
};

/* Output built in one allocation sized up front: no realloc leaves
 * copies of the secret behind. */
struct login_out {
	char *p;
	size_t len, cap;
};

static void
login_usage(FILE *fp)
{
	fprintf(fp,
		"usage: fedgate login --url URL [--role ARN] [--duration S]\n"
		"                     [--format credential_process|env|ini]\n"
		"                     [--no-browser] [--no-cache] [--timeout S]\n");
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* jansson holds the response's secret strings; wipe them on free. A
 * process-wide setting, which is right for a one-shot command. */
static void
wipe_free(void *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static void
str_wipe_free(char **s)
{
	if (*s != NULL)
		core_secret_free(*s, strlen(*s));
	*s = NULL;
}

/* ---- options ---- */

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
is_loopback_host(const char *h, size_t n)
{
	return (n == 9 && memcmp(h, "127.0.0.1", 9) == 0) ||
	       (n == 5 && memcmp(h, "[::1]", 5) == 0) ||
	       (n == 9 && strncasecmp(h, "localhost", 9) == 0);
}

/*
 * https with any host, or http on a loopback host: the code and the
 * verifier travel in the redeem POST and must not cross a network in
 * clear. No userinfo (a "http://127.0.0.1@evil/" trick), query or
 * fragment: the URL is a base that paths are appended to.
 */
static int
url_check(const char *url)
{
	const char *auth, *end, *p;
	size_t hlen;
	int https;

	if (strlen(url) > LOGIN_MAX_URL)
		return -1;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '?' || *p == '#' || *p == '\\')
			return -1;
	https = strncasecmp(url, "https://", 8) == 0;
	if (!https && strncasecmp(url, "http://", 7) != 0)
		return -1;
	auth = url + (https ? 8 : 7);
	end = auth + strcspn(auth, "/");
	if (end == auth || memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return -1;
	if (*auth == '[') {
		p = memchr(auth, ']', (size_t)(end - auth));
		if (p == NULL)
			return -1;
		hlen = (size_t)(p + 1 - auth);
	} else
		hlen = strcspn(auth, ":/");
	if (hlen == 0)
		return -1;
	p = auth + hlen;
	if (p != end && (*p != ':' || p + 1 == end || end - p > 6 ||
			 strspn(p + 1, "0123456789") < (size_t)(end - p - 1)))
		return -1;
	return https || is_loopback_host(auth, hlen) ? 0 : -1;
}

/* arn:aws:iam::<12 digits>:role/[path/]name, IAM's character set. */
static int
role_check(const char *arn)
{
	static const char pre[] = "arn:aws:iam::";
	const char *p = arn + sizeof(pre) - 1, *name;
	size_t n = strlen(arn);

	if (n > LOGIN_MAX_ROLE || strncmp(arn, pre, sizeof(pre) - 1) != 0 ||
	    n < sizeof(pre) - 1 + 12 || strspn(p, "0123456789") != 12 ||
	    strncmp(p + 12, ":role/", 6) != 0)
		return -1;
	name = p + 18;
	if (*name == '\0' || arn[n - 1] == '/' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789+=,.@_-/") != strlen(name))
		return -1;
	return 0;
}

static int
opt_error(const char *what, const char *val)
{
	fprintf(stderr, LOGIN_PREFIX "%s: %s\n", what, val);
	return 2;
}

static int
parse_format(const char *s, enum login_format *f)
{
	if (strcmp(s, "credential_process") == 0)
		*f = LOGIN_FMT_PROCESS;
	else if (strcmp(s, "env") == 0)
		*f = LOGIN_FMT_ENV;
	else if (strcmp(s, "ini") == 0)
		*f = LOGIN_FMT_INI;
	else
		return -1;
	return 0;
}

/* 0, or the exit status (2) after a message. */
static int
parse_opts(int argc, char **argv, struct login_opts *o)
{
	static const struct option longopts[] = {
		{"url", required_argument, NULL, 'u'},
		{"role", required_argument, NULL, 'r'},
		{"duration", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"no-browser", no_argument, NULL, 'B'},
		{"no-cache", no_argument, NULL, 'C'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *url = NULL;
	size_t n;
	int ch;

	memset(o, 0, sizeof(*o));
	o->timeout = 300;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'r': o->role = optarg; break;
		case 'B': o->no_browser = 1; break;
		case 'C': o->no_cache = 1; break;
		case 'd':
			if (parse_long(optarg, 900, 43200, &o->duration) == -1)
				return opt_error("--duration must be 900..43200",
						 optarg);
			break;
		case 't':
			if (parse_long(optarg, 10, 3600, &o->timeout) == -1)
				return opt_error("--timeout must be 10..3600",
						 optarg);
			break;
		case 'f':
			if (parse_format(optarg, &o->format) == -1)
				return opt_error("--format must be credential_"
						 "process, env or ini", optarg);
			break;
		case 'h':
			login_usage(stdout);
			return -1;
		default:
			login_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || url == NULL) {
		login_usage(stderr);
		return 2;
	}
	if (url_check(url) == -1)
		return opt_error("--url must be https://HOST[:PORT][/PATH] "
				 "(or http:// on 127.0.0.1, [::1] or localhost)",
				 url);
	if (o->role != NULL && role_check(o->role) == -1)
		return opt_error("--role must be arn:aws:iam::ACCOUNT:role/NAME",
				 o->role);
	o->url = core_xstrdup(url);
	n = strlen(o->url);
	while (n > 0 && o->url[n - 1] == '/')
		o->url[--n] = '\0';
	return 0;
}

/* ---- credentials ---- */

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

static void
creds_clear(struct login_creds *c)
{
	str_wipe_free(&c->akid);
	str_wipe_free(&c->secret);
	str_wipe_free(&c->token);
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

static void
out_init(struct login_out *o, const struct login_creds *c)
{
	o->cap = strlen(c->akid) + strlen(c->secret) + strlen(c->token) + 512;
	o->p = core_xmalloc(o->cap);
	o->len = 0;
	o->p[0] = '\0';
}

static void
out_put(struct login_out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n >= o->cap)
		abort(); /* out_init sized it: an internal invariant */
	memcpy(o->p + o->len, s, n + 1);
	o->len += n;
}

static void
out_wipe(struct login_out *o)
{
	core_secret_free(o->p, o->cap);
	o->p = NULL;
}

/* What ~/.aws/config credential_process expects, byte for byte. The
 * fields passed field_ok(), so they need no JSON escaping. */
static void
creds_json(const struct login_creds *c, struct login_out *o)
{
	char exp[32];

	core_time_iso8601(c->expires, exp, sizeof(exp));
	out_init(o, c);
	out_put(o, "{\"Version\":1,\"AccessKeyId\":\"");
	out_put(o, c->akid);
	out_put(o, "\",\"SecretAccessKey\":\"");
	out_put(o, c->secret);
	out_put(o, "\",\"SessionToken\":\"");
	out_put(o, c->token);
	out_put(o, "\",\"Expiration\":\"");
	out_put(o, exp);
	out_put(o, "\"}");
}

static void
creds_env(const struct login_creds *c, struct login_out *o)
{
	char exp[32];

	core_time_iso8601(c->expires, exp, sizeof(exp));
	out_init(o, c);
	out_put(o, "export AWS_ACCESS_KEY_ID=");
	out_put(o, c->akid);
	out_put(o, "\nexport AWS_SECRET_ACCESS_KEY=");
	out_put(o, c->secret);
	out_put(o, "\nexport AWS_SESSION_TOKEN=");
	out_put(o, c->token);
	out_put(o, "\nexport AWS_CREDENTIAL_EXPIRATION=");
	out_put(o, exp);
	out_put(o, "\n# expires ");
	out_put(o, exp);
	out_put(o, "\n");
}

/* A block to paste into ~/.aws/credentials, named after the role. */
static void
creds_ini(const struct login_creds *c, const char *role, struct login_out *o)
{
	const char *profile = role != NULL ? strrchr(role, '/') + 1 : "fedgate";
	char exp[32];

	core_time_iso8601(c->expires, exp, sizeof(exp));
	out_init(o, c);
	if (strlen(profile) > 256)
		profile = "fedgate";
	out_put(o, "[");
	out_put(o, profile);
	out_put(o, "]\naws_access_key_id = ");
	out_put(o, c->akid);
	out_put(o, "\naws_secret_access_key = ");
	out_put(o, c->secret);
	out_put(o, "\naws_session_token = ");
	out_put(o, c->token);
	out_put(o, "\n# expires ");
	out_put(o, exp);
	out_put(o, "\n");
}

/* Exit status: 0, or 1 if stdout could not take it. */
static int
creds_print(const struct login_creds *c, const struct login_opts *opt)
{
	struct login_out o;
	int rc = 0;

	if (opt->format == LOGIN_FMT_ENV)
		creds_env(c, &o);
	else if (opt->format == LOGIN_FMT_INI)
		creds_ini(c, opt->role, &o);
	else {
		creds_json(c, &o);
		out_put(&o, "\n");
	}
	if (fwrite(o.p, 1, o.len, stdout) != o.len || fflush(stdout) != 0) {
		fprintf(stderr, LOGIN_PREFIX "writing the result: %s\n",
			strerror(errno));
		rc = 1;
	}
	out_wipe(&o);
	return rc;
}

/* ---- cache ---- */

static void
cache_warn(const char *what, const char *detail)
{
	fprintf(stderr, LOGIN_PREFIX "not using the cache: %s%s%s\n", what,
		detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/* Someone else's, or readable by others: neither trusted nor used. */
static int
private_to_us(const struct stat *st)
{
	return st->st_uid == geteuid() && (st->st_mode & 077) == 0;
}

/* $XDG_CACHE_HOME/fedgate or ~/.cache/fedgate as a directory fd, or -1. */
static int
cache_dir_open(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct stat st;
	char *base;
	int bfd, dfd = -1;

	/* XDG Base Directory spec: a relative path is invalid, ignore it. */
	if (xdg != NULL && xdg[0] == '/')
		base = core_xstrdup(xdg);
	else if (home != NULL && home[0] == '/')
		base = core_xasprintf("%s/.cache", home);
	else {
		cache_warn("neither $XDG_CACHE_HOME nor $HOME is set", NULL);
		return -1;
	}
	if (mkdir(base, 0700) == -1 && errno != EEXIST)
		cache_warn(base, strerror(errno));
	else if ((bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		cache_warn(base, strerror(errno));
	else {
		if (mkdirat(bfd, "fedgate", 0700) == -1 && errno != EEXIST)
			cache_warn(base, strerror(errno));
		else if ((dfd = openat(bfd, "fedgate", O_RDONLY | O_DIRECTORY |
				       O_NOFOLLOW | O_CLOEXEC)) == -1)
			cache_warn("fedgate cache directory", strerror(errno));
		else if (fstat(dfd, &st) == -1 || !private_to_us(&st)) {
			cache_warn("fedgate cache directory is not private to "
				   "this user (want mode 0700)", base);
			close(dfd);
			dfd = -1;
		}
		close(bfd);
	}
	free(base);
	return dfd;
}

/* First 32 hex of SHA-256(url "\n" role "\n" duration). */
static void
cache_name(const struct login_opts *o, char name[33])
{
	char *key = core_xasprintf("%s\n%s\n%ld", o->url,
				   o->role != NULL ? o->role : "", o->duration);
	char hex[65];

	core_sha256_hex(key, strlen(key), hex);
	free(key);
	memcpy(name, hex, 32);
	name[32] = '\0';
}

static int
read_all(int fd, char *buf, size_t max, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < max) {
		n = read(fd, buf + *len, max - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

/* 0 with *c filled when a usable entry exists; any defect is a miss. */
static int
cache_read(int dfd, const char *name, struct login_creds *c)
{
	char *buf = core_xmalloc(LOGIN_MAX_RESPONSE + 1);
	struct stat st;
	size_t len;
	int fd, rc = -1;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		goto out;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > LOGIN_MAX_RESPONSE) {
		cache_warn("cache entry is not a small regular file", name);
		goto out;
	}
	if (!private_to_us(&st)) {
		cache_warn("cache entry is not private to this user", name);
		goto out;
	}
	if (read_all(fd, buf, LOGIN_MAX_RESPONSE, &len) == -1 ||
	    gw_login_creds_parse(buf, len, c) == -1)
		goto out;
	if (c->expires - core_now() <= LOGIN_CACHE_MIN_LEFT) {
		creds_clear(c);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	core_secret_free(buf, LOGIN_MAX_RESPONSE + 1);
	return rc;
}

/* Atomic replace: a reader sees the old entry or the new, never half. */
static void
cache_write(int dfd, const char *name, const struct login_creds *c)
{
	char tmp[64];
	struct login_out o;
	size_t off = 0;
	ssize_t n;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", name, (long)getpid());
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd == -1) {
		cache_warn("cannot write the cache", strerror(errno));
		return;
	}
	creds_json(c, &o);
	out_put(&o, "\n");
	while (off < o.len) {
		n = write(fd, o.p + off, o.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	out_wipe(&o);
	if (off != o.len || fsync(fd) == -1) {
		cache_warn("cannot write the cache", strerror(errno));
		close(fd);
		unlinkat(dfd, tmp, 0);
		return;
	}
	if (close(fd) == -1 || renameat(dfd, tmp, dfd, name) == -1) {
		cache_warn("cannot write the cache", strerror(errno));
		unlinkat(dfd, tmp, 0);
	}
}

/* ---- loopback listener ---- */

static int
listener_open(unsigned *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t slen = sizeof(sin);
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1) {
		fprintf(stderr, LOGIN_PREFIX "loopback listener: %s\n",
			strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
conn_close(struct login_conn *c)
{
	if (c->fd != -1) {
		close(c->fd);
		OPENSSL_cleanse(c->buf, c->len);
	}
	c->fd = -1;
	c->len = 0;
}

static void
conn_reply(struct login_conn *c, int status)
{
	const char *reason = status == 200 ? "OK" :
	    status == 404 ? "Not Found" : "Bad Request";
	/* Styled inline: this page comes from the CLI, not from fedgate, so
	 * fedgate's stylesheet is another origin; the CSP allows only this. */
	const char *body = status == 200 ?
	    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>Signed in - fedgate</title><style>"
	    "body{font:16px/1.5 system-ui,sans-serif;background:#f3f4f8;"
	    "color:#111827;display:flex;justify-content:center;margin:0}"
	    "div{background:#fff;border:1px solid #d9dce3;border-radius:12px;"
	    "margin-top:12vh;padding:28px 32px;max-width:30em}"
	    "h1{font-size:1.5em;margin:0 0 .4em}p{margin:0;color:#4b5563}"
	    "</style></head><body><div><h1>&#10003; Signed in</h1><p>"
	    "The credentials went to the fedgate command in your terminal. "
	    "You can close this tab.</p></div></body></html>\n" :
	    status == 404 ? "<!doctype html><p>Not found.</p>\n" :
	    "<!doctype html><p>Bad request.</p>\n";
	char resp[2048];
	int n;

	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: text/html; charset=utf-8\r\n"
		     "Content-Length: %zu\r\n"
		     "Cache-Control: no-store\r\n"
		     "Referrer-Policy: no-referrer\r\n"
		     "Content-Security-Policy: default-src 'none'; "
		     "style-src 'unsafe-inline'; frame-ancestors 'none'\r\n"
		     "X-Content-Type-Options: nosniff\r\n"
		     "Connection: close\r\n\r\n%s",
		     status, reason, strlen(body), body);
	/* A few hundred bytes into a fresh socket's buffer: no partial
	 * sends to retry, and a peer gone away is none of our business. */
	if (n > 0 && (size_t)n < sizeof(resp))
		(void)send(c->fd, resp, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(c->fd, SHUT_WR);
}

/*
 * The request line of c->buf: 200 with *code set (malloc'd) for
 * GET /callback?code=..&state=.. carrying our state, else 400/404.
 */
int
gw_login_callback_check(const char *req, const char *state, char **code)
{
	const char *target, *tend, *q, *st, *cv;
	struct core_err err = {0};
	struct gw_form f;
	size_t clen = 0;
	int status = 400;

	if (strncmp(req, "GET ", 4) != 0)
		return 400;
	target = req + 4;
	tend = target + strcspn(target, " \r\n");
	q = memchr(target, '?', (size_t)(tend - target));
	if ((size_t)((q != NULL ? q : tend) - target) != 9 ||
	    memcmp(target, "/callback", 9) != 0)
		return 404;
	if (q == NULL)
		return 400;
	gw_form_init(&f);
	if (gw_form_parse(&f, q + 1, (size_t)(tend - q - 1), &err) == -1)
		goto out;
	st = gw_form_get(&f, "state");
	cv = gw_form_get_len(&f, "code", &clen);
	if (st == NULL || cv == NULL || clen == 0 || clen > LOGIN_MAX_CODE)
		goto out;
	if (!core_secret_eq(st, strlen(st), state, strlen(state))) {
		fprintf(stderr, LOGIN_PREFIX "ignored a callback with the "
			"wrong state\n");
		goto out;
	}
	*code = core_xstrndup(cv, clen);
	status = 200;
out:
	gw_form_clear(&f);
	return status;
}

static void
conn_accept(struct login_server *s, int64_t now)
{
	struct login_conn *slot = NULL;
	size_t i;
	int fd;

	fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	/* Full: drop the connection nearest its deadline (an idle
	 * speculative one, most likely) rather than the new one. */
	for (i = 0; i < LOGIN_MAX_CONNS; i++) {
		struct login_conn *c = &s->conns[i];

		if (c->fd == -1) {
			slot = c;
			break;
		}
		if (slot == NULL || c->deadline < slot->deadline)
			slot = c;
	}
	conn_close(slot);
	slot->fd = fd;
	slot->deadline = now + LOGIN_CONN_TIMEOUT_MS;
}

/* Read what is there. 1: request complete, 0: more to come, -1: done. */
static int
conn_read(struct login_conn *c, char **code, const char *state)
{
	ssize_t n;
	int status;

	n = recv(c->fd, c->buf + c->len, LOGIN_MAX_REQUEST - c->len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (memmem(c->buf, c->len, "\r\n\r\n", 4) == NULL &&
	    memmem(c->buf, c->len, "\n\n", 2) == NULL) {
		if (c->len < LOGIN_MAX_REQUEST)
			return 0;
		status = 400;
	} else
		status = gw_login_callback_check(c->buf, state, code);
	conn_reply(c, status);
	return status == 200 ? 1 : -1;
}

/* Wait until the callback arrives or the deadline passes. 0 or -1. */
static int
serve_callback(struct login_server *s, int64_t deadline, char **code)
{
	struct pollfd pfd[LOGIN_MAX_CONNS + 1];
	size_t idx[LOGIN_MAX_CONNS + 1], i, n;
	int64_t now, wait;
	int r;

	for (;;) {
		now = mono_ms();
		if ((wait = deadline - now) <= 0)
			return -1;
		pfd[0] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
		for (i = 0, n = 1; i < LOGIN_MAX_CONNS; i++) {
			struct login_conn *c = &s->conns[i];

			if (c->fd != -1 && c->deadline <= now)
				conn_close(c);
			if (c->fd == -1)
				continue;
			if (c->deadline - now < wait)
				wait = c->deadline - now;
			idx[n] = i;
			pfd[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
		}
		r = poll(pfd, n, (int)wait);
		if (r == -1 && errno != EINTR) {
			fprintf(stderr, LOGIN_PREFIX "poll: %s\n",
				strerror(errno));
			return -1;
		}
		if (r <= 0)
			continue;
		for (i = 1; i < n; i++) {
			struct login_conn *c = &s->conns[idx[i]];

			if (pfd[i].revents == 0)
				continue;
			r = conn_read(c, code, s->state);
			if (r != 0)
				conn_close(c);
			if (r == 1)
				return 0;
		}
		if (pfd[0].revents & POLLIN)
			conn_accept(s, now);
	}
}

/* ---- browser ---- */

/*
 * Start cmd with the URL as its one argument, like Python's webbrowser
 * with $BROWSER: no shell. The browser is a grandchild, so it is never
 * ours to reap; exec's errno comes back through a close-on-exec pipe.
 * 0 if exec succeeded, else an errno value.
 */
static int
browser_spawn(const char *cmd, const char *url)
{
	int pfd[2], e = 0, status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		return errno;
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		char *argv[3];
		int null;

		close(pfd[0]);
		if (fork() != 0)
			_exit(0);
		argv[0] = core_xstrdup(cmd);
		argv[1] = core_xstrdup(url);
		argv[2] = NULL;
		/* stdout carries only the result; the browser's chatter
		 * goes to stderr. */
		null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null != -1)
			dup2(null, STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pfd[1]);
	if (pid == -1) {
		e = errno;
		close(pfd[0]);
		return e;
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (read(pfd[0], &e, sizeof(e)) != (ssize_t)sizeof(e))
		e = 0;
	close(pfd[0]);
	return e;
}

static void
browser_open(const struct login_opts *o, const char *url)
{
	const char *browser = getenv("BROWSER");
	int e;

	fprintf(stderr, LOGIN_PREFIX "open this URL to sign in:\n  %s\n", url);
	if (o->no_browser)
		return;
	if (browser != NULL && browser[0] != '\0') {
		if ((e = browser_spawn(browser, url)) != 0)
			fprintf(stderr, LOGIN_PREFIX "cannot run $BROWSER "
				"(%s): %s\n", browser, strerror(e));
	} else if ((e = browser_spawn("xdg-open", url)) != 0 && e != ENOENT)
		fprintf(stderr, LOGIN_PREFIX "cannot run xdg-open: %s\n",
			strerror(e));
}

/* ---- redeem ---- */

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

static int
redeem(const struct login_opts *o, const char *code, const char *verifier,
       struct login_creds *c)
{
	struct redeem_body rb = {.toobig = 0};
	struct curl_slist *hdrs = NULL;
	char *url = core_xasprintf("%s/login/cli/redeem", o->url);
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
			creds_clear(c);
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
	str_wipe_free(&form);
	core_buf_wipe(&rb.b);
	free(url);
	return rc;
}

/* ---- the flow ---- */

static char *
random_b64url(size_t n)
{
	unsigned char raw[LOGIN_VERIFIER_BYTES];
	char *s;

	core_random(raw, n);
	s = core_b64url_encode(raw, n);
	OPENSSL_cleanse(raw, sizeof(raw));
	return s;
}

/* RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(verifier))). */
static char *
pkce_challenge(const char *verifier)
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(),
		       NULL) != 1 || mdlen != sizeof(md))
		abort();
	return core_b64url_encode(md, sizeof(md));
}

static char *
login_url(const struct login_opts *o, unsigned port, const char *state,
	  const char *challenge)
{
	struct core_buf b;
	char *role;

	core_buf_init(&b, 0);
	core_buf_printf(&b, "%s/login?cli_port=%u&cli_state=%s&cli_challenge=%s",
			o->url, port, state, challenge);
	if (o->role != NULL) {
		role = curl_easy_escape(NULL, o->role, 0);
		if (role == NULL)
			abort();
		core_buf_printf(&b, "&role=%s", role);
		curl_free(role);
	}
	if (o->duration != 0)
		core_buf_printf(&b, "&duration=%ld", o->duration);
	return core_buf_steal(&b);
}

static int
login_flow(const struct login_opts *o, struct login_creds *c)
{
	struct login_server *s = core_xcalloc(1, sizeof(*s));
	char *state = random_b64url(LOGIN_STATE_BYTES);
	char *verifier = random_b64url(LOGIN_VERIFIER_BYTES);
	char *challenge = pkce_challenge(verifier);
	char *url = NULL, *code = NULL;
	unsigned port;
	size_t i;
	int rc = -1;

	for (i = 0; i < LOGIN_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	s->state = state;
	if ((s->lfd = listener_open(&port)) == -1)
		goto out;
	url = login_url(o, port, state, challenge);
	browser_open(o, url);
	if (serve_callback(s, mono_ms() + o->timeout * 1000, &code) == -1) {
		fprintf(stderr, LOGIN_PREFIX "no sign-in within %ld seconds "
			"(--timeout)\n", o->timeout);
		goto out;
	}
	rc = redeem(o, code, verifier, c);
out:
	for (i = 0; i < LOGIN_MAX_CONNS; i++)
		conn_close(&s->conns[i]);
	if (s->lfd != -1)
		close(s->lfd);
	free(s);
	free(url);
	free(challenge);
	str_wipe_free(&code);
	str_wipe_free(&verifier);
	str_wipe_free(&state);
	return rc;
}

int
gw_login_cmd(int argc, char **argv)
{
	struct login_opts o;
	struct login_creds c = {0};
	char name[33];
	int dfd, rc;

	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc == -1 ? 0 : rc;
	json_set_alloc_funcs(malloc, wipe_free);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = 1;
	dfd = cache_dir_open();
	if (dfd != -1)
		cache_name(&o, name);
	if (dfd != -1 && !o.no_cache && cache_read(dfd, name, &c) == 0) {
		rc = creds_print(&c, &o);
		goto out;
	}
	if (login_flow(&o, &c) == -1)
		goto out;
	if (dfd != -1)
		cache_write(dfd, name, &c);
	rc = creds_print(&c, &o);
out:
	if (dfd != -1)
		close(dfd);
	creds_clear(&c);
	free(o.url);
	curl_global_cleanup();
	return rc;
}
