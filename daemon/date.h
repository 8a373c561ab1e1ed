/*
 * date.h: feed dates to UTC seconds.  RFC 822/1123 (with named zones such
 * as GMT, MSK, EST, and the military letters), RFC 3339 / ISO 8601 (also
 * dc:date and W3CDTF partial forms), and the common sloppy variants.
 * Pure functions; no I/O, no locale.
 */
#ifndef DATE_H
#define DATE_H

#include <stdint.h>

/* 0 and *ret set, or -EINVAL when s is not a date we understand. */
int date_parse(const char *s, int64_t *ret);

#endif
