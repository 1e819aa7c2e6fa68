/* gateway/login_loopback.c - `fedgate login`: the one-shot callback listener
 *
 * After sign-in the browser is redirected to http://127.0.0.1:P/callback
 * with the code and our state. Any local process can connect to that
 * port, so this is the part of the CLI that faces untrusted input over a
 * socket: it accepts exactly one well-formed callback carrying our state,
 * answers everything else 400/404, and bounds every connection in size,
 * number and time. Separate from the command (logincmd.c) so that the
 * socket handling and the request parser stand alone for review and for
 * the fuzz target (tests/fuzz/fuzz_login.c).
 */
#include "gateway/logincmd_int.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/secret.h"
#include "gateway/form.h"

#define LOGIN_MAX_REQUEST 8192	  /* one callback request, headers included */
#define LOGIN_MAX_CODE 8192	  /* decoded code parameter */
#define LOGIN_MAX_CONNS 8	  /* browsers open spare connections */
#define LOGIN_CONN_TIMEOUT_MS 10000

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

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
int
gw_login_loopback_wait(struct login_server *s, int64_t timeout_ms,
		       char **code)
{
	struct pollfd pfd[LOGIN_MAX_CONNS + 1];
	size_t idx[LOGIN_MAX_CONNS + 1], i, n;
	int64_t deadline = mono_ms() + timeout_ms, now, wait;
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

struct login_server *
gw_login_loopback_new(const char *state, unsigned *port)
{
	struct login_server *s = core_xcalloc(1, sizeof(*s));
	size_t i;

	for (i = 0; i < LOGIN_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	s->state = state;
	if ((s->lfd = listener_open(port)) == -1) {
		gw_login_loopback_free(s);
		return NULL;
	}
	return s;
}

void
gw_login_loopback_free(struct login_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < LOGIN_MAX_CONNS; i++)
		conn_close(&s->conns[i]);
	if (s->lfd != -1)
		close(s->lfd);
	free(s);
}
