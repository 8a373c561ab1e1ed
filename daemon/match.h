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
 * Threads: a set is built and changed by one thread.  match_entry()
 * uses a work the set keeps for itself, so one thread at a time calls it
 * per set.  After watchset_prepare(), any number of threads may call
 * match_entry_with() on the same set at once, each with its own struct
 * match_work, until the set changes (watchset_add(),
 * watchset_set_naive(), watchset_free()).
 */
#ifndef MATCH_H
#define MATCH_H

#include "reewatch.h"
#include "util.h"

#define MATCH_SNIPPET_CONTEXT	80	/* characters each side of a match */
#define MATCH_ANY_TERM		"any term"

struct watchlist;
struct watchset;
/* The working memory of match_entry(): one per thread that matches
 * against a set shared with other threads. */
struct match_work;

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
 * Build now what the set otherwise builds on its first match after an
 * add (prefilter, twins).  After it, and until the next watchset_add()
 * or watchset_set_naive(), match_entry_with() only reads the set: any
 * number of threads may call it at once, each with its own work.
 * 0 or -ENOMEM.
 */
int watchset_prepare(struct watchset *s);

/* Working memory for matching against s (after watchset_prepare());
 * NULL when out of memory.  Valid until s changes or is freed.  A few
 * arrays per list, the entry's text buffers, PCRE2 match data and a JIT
 * stack; the caller frees it with match_work_free() (NULL is fine). */
struct match_work *match_work_new(const struct watchset *s);
void match_work_free(struct match_work *w);

/* match_entry() with the caller's working memory: same result.  Reads s
 * only; -ESTALE when s was changed after the work was made or was not
 * prepared since its last add. */
int match_entry_with(const struct watchset *s, struct match_work *w,
    const struct entry *e, struct hit **ret_hits, size_t *ret_n_hits);

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
