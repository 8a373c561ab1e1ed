/*
 * match.h: watchlists compiled to PCRE2 and matched against entries.
 * Owns PCRE2.  Pure: watchlist text in, compiled rules out; entries in,
 * hits out.  No I/O (callers read the files), no logging above debug.
 *
 * A watchlist has [watchlist] name/title, [term NAME] sections with
 * `match =` phrases and `regex =` raw PCRE2, and [alert "NAME"] sections
 * with `query =` (AND, OR, NOT, NEAR/n, parentheses, quoted term names),
 * `in = title|body|any`, `score =` and `notify =`.  With no alert, any
 * term alerts (alert name "any term").
 *
 * Matching keeps working memory in each watchlist: one thread at a time
 * per watchset (reewatchd, test, backtest and search each own theirs).
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

/*
 * An ad-hoc query (reewatch search) as a one-off watchlist named
 * "search" with one alert "search": each quoted string and each run of
 * bare words without an operator between them is a phrase (match =, with * truncation),
 * combined with AND, OR, NOT, NEAR/n and parentheses.  With ret_phrases,
 * the distinct phrases (strv, caller frees).  -EINVAL with problems in d.
 */
int watchlist_compile_query(const char *query, struct watchlist **ret,
    char ***ret_phrases, struct diag *d);
const char *watchlist_name(const struct watchlist *w);
size_t watchlist_n_terms(const struct watchlist *w);
size_t watchlist_n_alerts(const struct watchlist *w);
/* Its terms the literal prefilter cannot rule out (a regex without a
 * literal it must start with): they run on every entry. */
size_t watchlist_n_unfiltered(const struct watchlist *w);

/* A set of watchlists; takes ownership of each added one.  Names must be
 * unique: a second one with the same name is -EEXIST. */
struct watchset *watchset_new(void);
void watchset_free(struct watchset *s);
int watchset_add(struct watchset *s, struct watchlist *w);
size_t watchset_size(const struct watchset *s);
/* Each literal the set's prefilter looks for (folded), list by list in
 * the order they were added: what bench/prefilter-bench scans for. */
void watchset_literals(const struct watchset *s,
    void (*each)(void *ctx, const char *lit), void *ctx);

/*
 * Match one entry (text fields already plain; see text_entry()).  On
 * return *ret_hits is a malloc'd array of *ret_n_hits hits (NULL and 0
 * when none) that the caller frees with hits_free().  Returns 0; -ETIME
 * when some pattern hit PCRE2's limits (the other terms still ran and the
 * hits found are returned all the same); -ENOMEM.
 */
int match_entry(const struct watchset *s, const struct entry *e,
    struct hit **ret_hits, size_t *ret_n_hits);

/*
 * The match form of one field of e (title; or summary and content joined
 * by a line break), the text hit spans point into.  malloc'd, NULL on
 * allocation failure.
 */
char *match_text(const struct entry *e, enum hit_field field);

/*
 * One span in context for people: up to chars characters each side of
 * it in text (its field's match_text()), the match in [brackets], line
 * breaks as blanks, "…" where text goes on.  malloc'd.
 */
char *match_span_context(const char *text, const struct hit_span *sp,
    size_t chars);

/*
 * For the benchmark and for checking the prefilter: with naive set,
 * every term's regex runs on every entry (no literal prefilter).  The
 * hits must be the same either way.
 */
void watchset_set_naive(struct watchset *s, bool naive);

#endif
