/* gateway/logincmd.c - `fedgate login`: browser sign-in for the CLI
 *
 * The protocol is described in gateway/logincmd.h. What this side must
 * get right: the verifier never leaves this process (so a code seen by
 * anything else - browser history, a proxy log, another local user
 * racing the callback - is worthless), the loopback listener accepts
 * exactly one well-formed callback carrying our state, stdout carries
 * nothing but the result, and every value the server sends is checked
 * before it reaches a shell (`eval $(fedgate login --format env)`).
 *
 * This file holds the options, the one login (cache, browser, callback,
 * redeem, print) and the output formats; the listener, the cache and the
 * redeem call are modules of their own (see gateway/logincmd_int.h).
 */
#include "gateway/logincmd.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/b64.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"
#include "gateway/logincmd_int.h"

#define LOGIN_STATE_BYTES 16
#define LOGIN_VERIFIER_BYTES 32
#define LOGIN_MAX_URL 2048	  /* --url */
#define LOGIN_MAX_ROLE 2048	  /* AWS's RoleArn limit */

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
	return https || core_host_is_loopback(auth, hlen) ? 0 : -1;
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

/* ---- output ---- */

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

static void
creds_render(const struct login_creds *c, enum login_format format,
	     const char *role, struct login_out *o)
{
	if (format == LOGIN_FMT_ENV)
		creds_env(c, o);
	else if (format == LOGIN_FMT_INI)
		creds_ini(c, role, o);
	else {
		creds_json(c, o);
		out_put(o, "\n");
	}
}

/* Exit status: 0, or 1 if stdout could not take it. */
static int
creds_print(const struct login_creds *c, const struct login_opts *opt)
{
	struct login_out o;
	int rc = 0;

	creds_render(c, opt->format, opt->role, &o);
	if (fwrite(o.p, 1, o.len, stdout) != o.len || fflush(stdout) != 0) {
		fprintf(stderr, LOGIN_PREFIX "writing the result: %s\n",
			strerror(errno));
		rc = 1;
	}
	out_wipe(&o);
	return rc;
}

/* The cache entry is the credential_process output, which the cache
 * reads back with gw_login_creds_parse. */
static void
cache_store(int dfd, const char *name, const struct login_creds *c)
{
	struct login_out o;

	creds_render(c, LOGIN_FMT_PROCESS, NULL, &o);
	gw_login_cache_write(dfd, name, o.p, o.len);
	out_wipe(&o);
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
	struct login_server *s;
	char *state = random_b64url(LOGIN_STATE_BYTES);
	char *verifier = random_b64url(LOGIN_VERIFIER_BYTES);
	char *challenge = pkce_challenge(verifier);
	char *url = NULL, *code = NULL;
	unsigned port;
	int rc = -1;

	s = gw_login_loopback_new(state, &port);
	if (s == NULL)
		goto out;
	url = login_url(o, port, state, challenge);
	browser_open(o, url);
	if (gw_login_loopback_wait(s, o->timeout * 1000, &code) == -1) {
		fprintf(stderr, LOGIN_PREFIX "no sign-in within %ld seconds "
			"(--timeout)\n", o->timeout);
		goto out;
	}
	rc = gw_login_redeem(o->url, code, verifier, c);
out:
	gw_login_loopback_free(s);
	free(url);
	free(challenge);
	gw_login_str_wipe_free(&code);
	gw_login_str_wipe_free(&verifier);
	gw_login_str_wipe_free(&state);
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
	dfd = gw_login_cache_open();
	if (dfd != -1)
		gw_login_cache_name(o.url, o.role, o.duration, name);
	if (dfd != -1 && !o.no_cache &&
	    gw_login_cache_read(dfd, name, &c) == 0) {
		rc = creds_print(&c, &o);
		goto out;
	}
	if (login_flow(&o, &c) == -1)
		goto out;
	if (dfd != -1)
		cache_store(dfd, name, &c);
	rc = creds_print(&c, &o);
out:
	if (dfd != -1)
		close(dfd);
	gw_login_creds_clear(&c);
	free(o.url);
	curl_global_cleanup();
	return rc;
}
