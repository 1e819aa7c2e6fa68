/* core/log.c - minimal leveled logging to stderr (OpenBSD log.c shape)
 *
 * Callers must never pass tokens, assertions, secrets or cookies here.
 */
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum core_log_level log_level = CORE_LOG_INFO;

void
core_log_init(enum core_log_level level)
{
	log_level = level;
}

static void __attribute__((format(printf, 3, 0)))
vlog(enum core_log_level level, const char *tag, const char *fmt, va_list ap,
     int with_errno)
{
	char msg[1024], ts[32];
	int saved = errno;
	struct tm tm;
	time_t now;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (with_errno)
		fprintf(stderr, "%s fedgate[%s]: %s: %s\n", ts, tag, msg,
			strerror(saved));
	else
		fprintf(stderr, "%s fedgate[%s]: %s\n", ts, tag, msg);
}

#define LOG_FN(name, level, tag, with_errno)        \
	void name(const char *fmt, ...)             \
	{                                           \
		va_list ap;                         \
		va_start(ap, fmt);                  \
		vlog(level, tag, fmt, ap, with_errno); \
		va_end(ap);                         \
	}

LOG_FN(log_warn, CORE_LOG_WARN, "warn", 1)
LOG_FN(log_warnx, CORE_LOG_WARN, "warn", 0)
LOG_FN(log_info, CORE_LOG_INFO, "info", 0)
LOG_FN(log_debug, CORE_LOG_DEBUG, "debug", 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(CORE_LOG_ERROR, "fatal", fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(CORE_LOG_ERROR, "fatal", fmt, ap, 0);
	va_end(ap);
	exit(1);
}
