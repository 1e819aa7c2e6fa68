/* core/mem.h - allocation that aborts on exhaustion, and bounded buffers */
#ifndef CORE_MEM_H
#define CORE_MEM_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Running out of memory aborts (as in h2o and redis): no half-built objects.
 * Denial of service is handled by bounding sizes from untrusted input
 * *before* allocating.
 */
void *core_xmalloc(size_t n);
void *core_xcalloc(size_t nmemb, size_t size);
void *core_xrealloc(void *p, size_t n);
char *core_xstrdup(const char *s);
char *core_xstrndup(const char *s, size_t n);
char *core_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Copy with truncation check: returns -1 (dst set to "") if src does not fit. */
int core_strlcpy(char *dst, const char *src, size_t dstsize);

/* A growable buffer with a hard cap. data is always NUL-terminated. */
struct core_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: unbounded (trusted producers only) */
};

/** Init storage the caller owns; max 0 means no cap. */
void core_buf_init(struct core_buf *b, size_t max);
/** Append; -1 (buffer unchanged) when the cap would be exceeded. */
int core_buf_append(struct core_buf *b, const void *p, size_t n);
int core_buf_puts(struct core_buf *b, const char *s);
int core_buf_printf(struct core_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Append s with XML escaping (& < > " '). */
int core_buf_put_xml(struct core_buf *b, const char *s);
/** Value of one hex digit (either case), or -1. */
int core_hexval(unsigned char c);

/** Length of the valid UTF-8 sequence at p, 0 if invalid (p NUL-terminated). */
size_t core_utf8_seq_len(const unsigned char *p);
/** Append s as the inside of a JSON string (no quotes added); invalid
 * UTF-8 bytes become U+FFFD. */
int core_buf_put_json(struct core_buf *b, const char *s);
/**
 * Is the n-byte URL host h a loopback name (127.0.0.1, [::1], localhost,
 * case-insensitive)? Where plain http is allowed: only on this machine.
 */
int core_host_is_loopback(const char *h, size_t n);
/** Append s percent-encoded: RFC 3986 unreserved characters pass, every
 * other byte becomes %XX (URL query values and path segments). */
int core_buf_put_pct(struct core_buf *b, const char *s);
/** Take ownership of data (caller frees); b is reset to empty. */
char *core_buf_steal(struct core_buf *b);
void core_buf_reset(struct core_buf *b);
/** Wipe (for secrets) and release. */
void core_buf_wipe(struct core_buf *b);

#endif /* CORE_MEM_H */
