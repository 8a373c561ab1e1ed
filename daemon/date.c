/*
 * date.c: feed dates (RFC 822/1123, RFC 3339, W3CDTF and sloppy variants)
 * to UTC seconds, with our own civil-to-days arithmetic.
 * Pure: no I/O, no locale, no TZ environment, no libc time conversion.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "date.h"
#include "util.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int y, unsigned m)
{
	static const unsigned dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

struct tm_utc {
	int year;
	unsigned mon, day, hour, min, sec;
	int off_sec;		/* east of UTC */
};

static int
tm_to_utc(const struct tm_utc *t, int64_t *ret)
{
	if (t->year < 1 || t->year > 9999 || t->mon < 1 || t->mon > 12 ||
	    t->day < 1 || t->day > days_in_month(t->year, t->mon))
		return -EINVAL;
	if (t->min > 59 || t->sec > 60 || t->hour > 24 ||
	    (t->hour == 24 && (t->min || t->sec)))
		return -EINVAL;
	*ret = days_from_civil(t->year, t->mon, t->day) * 86400 +
	    (int64_t)t->hour * 3600 + (int64_t)t->min * 60 + t->sec - t->off_sec;
	return 0;
}

/* Read exactly n digits; returns false if they are not there. */
static bool
digits(const char **pp, unsigned n, unsigned *ret)
{
	const char *p = *pp;
	unsigned v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*pp = p + n;
	*ret = v;
	return true;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* "+0300", "+03:00", "+03", "-0530"; p points at the sign. */
static bool
numeric_zone(const char **pp, int *ret_off)
{
	const char *p = *pp;
	int sign = *p == '-' ? -1 : 1;
	unsigned h, m = 0;

	if (*p != '+' && *p != '-')
		return false;
	p++;
	if (!digits(&p, 2, &h))
		return false;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &m))
			return false;
	} else if (is_digit(*p)) {
		if (!digits(&p, 2, &m))
			return false;
	}
	if (h > 23 || m > 59)
		return false;
	*ret_off = sign * (int)(h * 3600 + m * 60);
	*pp = p;
	return true;
}

/*
 * RFC 3339 / ISO 8601 / W3CDTF: YYYY, YYYY-MM, YYYY-MM-DD, then T (or t, or
 * a space) hh:mm[:ss[.frac]] and Z, z or an offset.  Also the basic form
 * YYYYMMDDThhmmss.  Partial dates mean the first day; no zone means UTC.
 */
static int
parse_iso(const char *p, int64_t *ret)
{
	struct tm_utc t = { .mon = 1, .day = 1 };
	unsigned y;
	bool basic = false;

	if (!digits(&p, 4, &y))
		return -EINVAL;
	t.year = (int)y;
	if (*p == '-') {
		p++;
		if (!digits(&p, 2, &t.mon))
			return -EINVAL;
		if (*p == '-') {
			p++;
			if (!digits(&p, 2, &t.day))
				return -EINVAL;
		}
	} else if (is_digit(*p)) {
		if (!digits(&p, 2, &t.mon) || !digits(&p, 2, &t.day))
			return -EINVAL;
		basic = true;
	}
	if ((*p == 'T' || *p == 't' || *p == ' ') && is_digit(p[1])) {
		p++;
		if (!digits(&p, 2, &t.hour))
			return -EINVAL;
		if (*p == ':')
			p++;
		else if (!basic)
			return -EINVAL;
		if (!digits(&p, 2, &t.min))
			return -EINVAL;
		if (*p == ':' || (basic && is_digit(*p))) {
			if (*p == ':')
				p++;
			if (!digits(&p, 2, &t.sec))
				return -EINVAL;
			if (*p == '.' || *p == ',') {
				p++;
				if (!is_digit(*p))
					return -EINVAL;
				while (is_digit(*p))
					p++;	/* fractions are dropped */
			}
		}
		while (*p == ' ')
			p++;
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			if (!numeric_zone(&p, &t.off_sec))
				return -EINVAL;
		} else if (strncasecmp(p, "UTC", 3) == 0 ||
		    strncasecmp(p, "GMT", 3) == 0)
			p += 3;
	}
	while (is_space(*p))
		p++;
	if (*p)
		return -EINVAL;
	return tm_to_utc(&t, ret);
}

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};

static const char *const day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday"
};

/*
 * A word that starts a month name, at least 3 letters: "Mar", "March",
 * "Sept".  Returns 1-12 or 0.
 */
static unsigned
month_of(const char *w, size_t n)
{
	unsigned i;

	if (n < 3)
		return 0;
	for (i = 0; i < 12; i++)
		if (n <= strlen(month_names[i]) &&
		    strncasecmp(w, month_names[i], n) == 0)
			return i + 1;
	return 0;
}

static bool
is_day_name(const char *w, size_t n)
{
	unsigned i;

	if (n < 2)
		return false;
	for (i = 0; i < 7; i++)
		if (n <= strlen(day_names[i]) &&
		    strncasecmp(w, day_names[i], n) == 0)
			return true;
	return false;
}

/*
 * Named zones.  CST is US Central (-6), as RFC 822 has it, not China
 * Standard Time; IST is India (+5:30).  MSK is +3 (since 2014, and the
 * value Russian feeds mean today), MSD +4.
 */
static const struct {
	const char *name;
	int off_min;
} zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "EST", -5 * 60 }, { "EDT", -4 * 60 },
	{ "CST", -6 * 60 }, { "CDT", -5 * 60 },
	{ "MST", -7 * 60 }, { "MDT", -6 * 60 },
	{ "PST", -8 * 60 }, { "PDT", -7 * 60 },
	{ "MSK", 3 * 60 }, { "MSD", 4 * 60 },
	{ "WET", 0 }, { "WEST", 60 }, { "BST", 60 },
	{ "CET", 60 }, { "CEST", 2 * 60 }, { "MET", 60 }, { "MEST", 2 * 60 },
	{ "EET", 2 * 60 }, { "EEST", 3 * 60 },
	{ "IST", 5 * 60 + 30 }, { "JST", 9 * 60 }, { "KST", 9 * 60 },
	{ "HKT", 8 * 60 }, { "SGT", 8 * 60 }, { "AWST", 8 * 60 },
	{ "ACST", 9 * 60 + 30 }, { "ACDT", 10 * 60 + 30 },
	{ "AEST", 10 * 60 }, { "AEDT", 11 * 60 },
	{ "NZST", 12 * 60 }, { "NZDT", 13 * 60 },
};

static bool
named_zone(const char *w, size_t n, int *ret_off)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(zones); i++)
		if (strlen(zones[i].name) == n &&
		    strncasecmp(w, zones[i].name, n) == 0) {
			*ret_off = zones[i].off_min * 60;
			return true;
		}
	/*
	 * Military letters: RFC 822 got their signs backwards, so RFC 1123
	 * says to read them as -0000 (no information): UTC.
	 */
	if (n == 1 && is_alpha(*w) && *w != 'J' && *w != 'j') {
		*ret_off = 0;
		return true;
	}
	return false;
}

/* hh:mm[:ss]; p at the first digit. */
static bool
clock_time(const char **pp, struct tm_utc *t)
{
	const char *p = *pp;

	if (!digits(&p, 2, &t->hour) && !digits(&p, 1, &t->hour))
		return false;
	if (*p != ':')
		return false;
	p++;
	if (!digits(&p, 2, &t->min))
		return false;
	t->sec = 0;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &t->sec))
			return false;
		if (*p == '.') {	/* "10:00:00.000" seen in the wild */
			p++;
			while (is_digit(*p))
				p++;
		}
	}
	*pp = p;
	return true;
}

/*
 * RFC 822/1123/2822 and the usual sloppiness: the day name optional and
 * possibly long ("Tues", "Tuesday"), commas optional, extra spaces, any
 * case, 2- or 4-digit years, month before the day ("Nov 5 2024"), the year
 * after the time (asctime), seconds optional, a trailing "(MSK)" comment,
 * "+0300" or "+03:00" or a zone name, or no zone (UTC).
 */
static int
parse_rfc822(const char *p, int64_t *ret)
{
	struct tm_utc t = { 0 };
	bool have_day = false, have_mon = false, have_year = false;
	bool have_time = false, have_zone = false, zone_gmt = false;
	unsigned n_words = 0;

	for (;;) {
		const char *w;
		size_t n;

		while (is_space(*p) || *p == ',')
			p++;
		if (!*p)
			break;
		w = p;
		if (*p == '(') {	/* comment, e.g. "+0300 (MSK)" */
			const char *e = strchr(p, ')');

			if (!e || !have_time)
				return -EINVAL;
			p = e + 1;
			continue;
		}
		if (*p == '+' || (*p == '-' && have_time)) {
			/* "GMT+0300": the number tells the zone */
			if ((have_zone && !zone_gmt) ||
			    !numeric_zone(&p, &t.off_sec))
				return -EINVAL;
			have_zone = true;
			zone_gmt = false;
			continue;
		}
		if (is_alpha(*p)) {
			unsigned m;

			while (is_alpha(*p) || *p == '.')
				p++;
			n = (size_t)(p - w);
			if (w[n - 1] == '.')	/* "Sept." */
				n--;
			if (n_words++ == 0 && !have_day && !have_mon &&
			    is_day_name(w, n))
				continue;
			m = month_of(w, n);
			if (m && !have_mon && !have_time) {
				t.mon = m;
				have_mon = true;
				continue;
			}
			if (have_time && !have_zone &&
			    named_zone(w, n, &t.off_sec)) {
				have_zone = true;
				zone_gmt = n <= 3 && t.off_sec == 0;
				continue;
			}
			return -EINVAL;
		}
		if (!is_digit(*p))
			return -EINVAL;
		while (is_digit(*p))
			p++;
		n = (size_t)(p - w);
		if (*p == ':') {
			p = w;
			if (have_time || !clock_time(&p, &t))
				return -EINVAL;
			have_time = true;
			continue;
		}
		if (*p == '-' && !have_mon) {
			/* "05-Nov-2024" */
			unsigned d, m;
			const char *q;

			if (n > 2 || !digits(&w, n, &d))
				return -EINVAL;
			q = ++p;
			while (is_alpha(*p))
				p++;
			m = month_of(q, (size_t)(p - q));
			if (!m || *p != '-')
				return -EINVAL;
			p++;
			t.day = d;
			t.mon = m;
			have_day = have_mon = true;
			continue;
		}
		if (!have_day && n <= 2 && !(have_mon && have_year)) {
			unsigned d = 0;

			(void)digits(&w, n, &d);
			t.day = d;
			have_day = true;
			continue;
		}
		if (!have_year && n >= 2 && n <= 4) {
			unsigned y = 0;

			(void)digits(&w, n, &y);
			if (n == 2)
				y += y < 50 ? 2000 : 1900;
			else if (n == 3)
				y += 1900;
			t.year = (int)y;
			have_year = true;
			continue;
		}
		return -EINVAL;
	}
	if (!have_day || !have_mon || !have_year)
		return -EINVAL;
	return tm_to_utc(&t, ret);
}

int
date_parse(const char *s, int64_t *ret)
{
	const char *p = s;
	int64_t t;
	int r;

	if (!s)
		return -EINVAL;
	while (is_space(*p))
		p++;
	if (!*p)
		return -EINVAL;
	if (is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) &&
	    is_digit(p[3]))
		r = parse_iso(p, &t);
	else
		r = parse_rfc822(p, &t);
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}
