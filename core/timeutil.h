/* core/timeutil.h - wall clock and ISO 8601 */
#ifndef CORE_TIMEUTIL_H
#define CORE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/** Seconds since the epoch (CLOCK_REALTIME). */
int64_t core_now(void);

/** Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t core_now_ms(void);

/** Format as "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes). */
void core_time_iso8601(int64_t t, char *out, size_t outlen);

/**
 * Parse W3C/ISO 8601 ("2026-11-28", "2026-11-28T17:26:37Z",
 * "...T17:26:37.123Z", "...+01:00") or a decimal epoch value.
 * 0 on success, -1 on anything else.
 */
int core_time_parse(const char *s, int64_t *out);

#endif /* CORE_TIMEUTIL_H */
