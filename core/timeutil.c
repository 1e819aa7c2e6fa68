/* core/timeutil.c - clock and ISO 8601 parsing/formatting */
#include "core/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
core_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
core_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
core_time_iso8601(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		if (outlen > 0)
			out[0] = '\0';
	}
}

static int
parse_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
parse_epoch(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
parse_zone(const char *p, int *offset)
{
	int hh, mm;

	*offset = 0;
	if (*p == 'Z' && p[1] == '\0')
		return 0;
	if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':')
		return -1;
	{
		const char *q = p + 1;

		if (parse_digits(&q, 2, &hh) == -1)
			return -1;
		q++;
		if (parse_digits(&q, 2, &mm) == -1 || hh > 23 || mm > 59)
			return -1;
	}
	*offset = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
	return 0;
}

int
core_time_parse(const char *s, int64_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	const char *p = s;

	if (strlen(s) > 64)
		return -1;
	if (strchr(s, '-') == NULL || s[0] == '-')
		return parse_epoch(s, out);
	if (parse_digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    parse_digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    parse_digits(&p, 2, &d) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (*p == 'T') {
		p++;
		if (parse_digits(&p, 2, &h) == -1 || *p++ != ':' ||
		    parse_digits(&p, 2, &mi) == -1)
			return -1;
		if (*p == ':') {
			p++;
			if (parse_digits(&p, 2, &sec) == -1)
				return -1;
			if (*p == '.') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (h > 23 || mi > 59 || sec > 60 || parse_zone(p, &off) == -1)
			return -1;
	} else if (*p != '\0')
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       off;
	return 0;
}
