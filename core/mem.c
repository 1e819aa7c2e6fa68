/* core/mem.c - aborting allocators and capped buffers */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

static void __attribute__((noreturn))
oom(size_t n)
{
	fprintf(stderr, "fedgate: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
core_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
core_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
core_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
core_xstrdup(const char *s)
{
	return core_xstrndup(s, strlen(s));
}

char *
core_xstrndup(const char *s, size_t n)
{
	char *p = core_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
core_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return p;
}

int
core_strlcpy(char *dst, const char *src, size_t dstsize)
{
	size_t n = strlen(src);

	if (dstsize == 0)
		return -1;
	if (n >= dstsize) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

void
core_buf_init(struct core_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int
buf_reserve(struct core_buf *b, size_t n)
{
	size_t need, cap;

	if (n > SIZE_MAX / 2 - b->len)
		return -1;
	need = b->len + n + 1;
	if (b->max != 0 && need > b->max + 1)
		return -1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = core_xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int
core_buf_append(struct core_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
core_buf_puts(struct core_buf *b, const char *s)
{
	return core_buf_append(b, s, strlen(s));
}

int
core_buf_printf(struct core_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *big = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return core_buf_append(b, small, (size_t)n);
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	rc = core_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

int
core_buf_put_xml(struct core_buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default:
			/* XML 1.0 forbids most C0 controls even escaped. */
			if (((unsigned char)*s < 0x20 && *s != '\t' &&
			     *s != '\n' && *s != '\r') || *s == 0x7f) {
				rep = "?";
				break;
			}
			continue;
		}
		if (core_buf_append(b, run, (size_t)(s - run)) == -1 ||
		    core_buf_puts(b, rep) == -1)
			return -1;
		run = s + 1;
	}
	return core_buf_append(b, run, (size_t)(s - run));
}

int
core_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, max U+10FFFF), or 0 if the bytes there are not one.
 */
size_t
core_utf8_seq_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80 || (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

int
core_host_is_loopback(const char *h, size_t n)
{
	return (n == 9 && memcmp(h, "127.0.0.1", 9) == 0) ||
	       (n == 5 && memcmp(h, "[::1]", 5) == 0) ||
	       (n == 9 && strncasecmp(h, "localhost", 9) == 0);
}

int
core_buf_put_pct(struct core_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s;
	     p != NULL && *p != '\0'; p++) {
		int r;

		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~')
			r = core_buf_append(b, p, 1);
		else
			r = core_buf_printf(b, "%%%02X", *p);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* JSON string body; invalid UTF-8 becomes U+FFFD so every line parses. */
int
core_buf_put_json(struct core_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *run = s;

	while (*p != '\0') {
		char esc[8];
		size_t n = core_utf8_seq_len(p);

		if (n > 1 || (n == 1 && *p >= 0x20 && *p != '"' && *p != '\\')) {
			p += n;
			continue;
		}
		if (n == 0)
			snprintf(esc, sizeof(esc), "\\ufffd");
		else if (*p == '"' || *p == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *p);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		if (core_buf_append(b, run, (size_t)((const char *)p - run)) == -1 ||
		    core_buf_puts(b, esc) == -1)
			return -1;
		p++;
		run = (const char *)p;
	}
	return core_buf_append(b, run, (size_t)((const char *)p - run));
}

char *
core_buf_steal(struct core_buf *b)
{
	char *p = b->data ? b->data : core_xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
core_buf_reset(struct core_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
core_buf_wipe(struct core_buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	core_buf_reset(b);
}
