/*
 * match.h: watchlists compiled to PCRE2 and matched against entries.
 * Owns PCRE2.  Pure: watchlist text in, compiled rules out; entries in,
 * hits out.  No I/O (callers read the files), no logging above debug.
 *
 * A watchlist has [watchlist] name/title, [term NAME] sections with
 * `match =` phrases and `regex =` raw PCRE2, and [alert "NAME"] sections
 * with `query =` (AND, OR, NOT, parentheses, quoted term names),
 * `in = title|body|any`, `score =` and `notify =`.  With no alert, any
 * term alerts (alert name "any term").
 */
#ifndef MATCH_H
#define MATCH_H

#include "reewatch.h"
#include "util.h"

#define MATCH_SNIPPET_CONTEXT	80	/* characters each side of a match */
#define MATCH_ANY_TERM		"any term"

struct watchlist;
struct watchset;

/*
 * Compile one watchlist from INI text.  file names it in messages, which
 * go to d as "file:line: ..." (bad regexes with the PCRE2 message and the
 * offset).  Returns 0, or -EINVAL with problems in d.
 */
int watchlist_compile(const char *data, size_t len, const char *file,
    struct watchlist **ret, struct diag *d);
void watchlist_free(struct watchlist *w);
const char *watchlist_name(const struct watchlist *w);
size_t watchlist_n_terms(const struct watchlist *w);
size_t watchlist_n_alerts(const struct watchlist *w);

/* A set of watchlists; takes ownership of each added one.  Names must be
 * unique: a second one with the same name is -EEXIST. */
struct watchset *watchset_new(void);
void watchset_free(struct watchset *s);
int watchset_add(struct watchset *s, struct watchlist *w);
size_t watchset_size(const struct watchset *s);

/*
 * Match one entry (text fields already plain; see text_entry()).  On
 * return *ret_hits is a malloc'd array of *ret_n_hits hits (NULL and 0
 * when none) that the caller frees with hits_free().  Returns 0; -ETIME
 * when some pattern hit PCRE2's limits (the other terms still ran and the
 * hits found are returned all the same); -ENOMEM.
 */
int match_entry(const struct watchset *s, const struct entry *e,
    struct hit **ret_hits, size_t *ret_n_hits);

#endif
