/*
 * url.h: URLs through curl's URL API: resolve a reference against a base,
 * tell the scheme, and strip what never identifies a story.  Pure string
 * work; never opens a connection.
 */
#ifndef URL_H
#define URL_H

#include <stdbool.h>

/*
 * Resolve ref against base (either may be relative; base may be NULL).
 * Returns a malloc'd absolute URL, or NULL when the result is not a
 * valid URL (the caller keeps ref as it was, or drops it).
 */
char *url_resolve(const char *base, const char *ref);

/* The scheme in lower case ("https"), malloc'd, or NULL. */
char *url_scheme(const char *url);

bool url_is_http(const char *url);	/* http or https */
bool url_is_file(const char *url);

#endif
