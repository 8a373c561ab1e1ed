/*
 * reewatch.h: the data types every stage shares (feeds, entries, hits) and
 * the error conventions.  Plain data only: no library headers, no I/O.
 * Ownership: each struct owns the strings it points to unless marked const.
 */
#ifndef REEWATCH_H
#define REEWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for one human-readable error message handed back by a stage. */
#define ERRMSG_MAX 256

/* Limits on what one feed may give us; over a cap is -EFBIG for that feed. */
#define FEED_MAX_ENTRIES	10000
#define FIELD_MAX_BYTES		((size_t)1024 * 1024)

/* A feed as declared in a feed list (immutable once loaded). */
struct feed {
	char *name;		/* unique across all feed lists */
	char *url;
	char *lang;		/* may be NULL */
	char **tags;		/* NULL-terminated, may be NULL */
	unsigned interval_sec;	/* 0: the global default */
	char **headers;		/* extra "Name: value" request lines, or NULL */
	char *username;		/* HTTP credentials, or NULL (never logged) */
	char *password_file;	/* absolute; read at each poll */
	char *src_file;		/* where it was declared, for messages */
	unsigned src_line;
};

/* How a text field arrived; text_entry() turns every field into plain text. */
enum entry_text_type {
	ENTRY_TEXT_PLAIN,
	ENTRY_TEXT_HTML,
	ENTRY_TEXT_MAX
};

/* One text field of an entry. */
struct entry_text {
	char *s;			/* UTF-8, NULL when absent */
	enum entry_text_type type;
};

/* One item/entry of a feed, as parse gives it and text cleans it. */
struct entry {
	char *id;		/* guid/id as the feed gave it, NULL if none */
	char *key;		/* identity within the feed (id, link or hash) */
	char *link;		/* absolute URL, NULL if none */
	struct entry_text title;
	struct entry_text summary;
	struct entry_text content;
	char **authors;		/* NULL-terminated, may be NULL */
	char **categories;	/* NULL-terminated, may be NULL */
	int64_t published;	/* UTC seconds; 0 when the feed gave none */
	int64_t updated;	/* UTC seconds; 0 when the feed gave none */
};

void entry_done(struct entry *e);

/* A matched span in an entry's normalised text. */
enum hit_field {
	HIT_FIELD_TITLE,
	HIT_FIELD_BODY,		/* summary and content, joined by a newline */
	HIT_FIELD_MAX
};

struct hit_span {
	enum hit_field field;
	size_t start;		/* byte offsets into the field's text */
	size_t end;
	unsigned term;		/* index into the hit's terms */
};

/* One alert that fired on one entry. */
struct hit {
	char *watchlist;	/* the watchlist's name */
	char *alert;		/* the alert's name ("any term" when none) */
	char **terms;		/* NULL-terminated names of the terms that matched */
	struct hit_span *spans;
	size_t n_spans;
	int score;
	bool notify;
	char *snippet;		/* keyword in context, plain text */
};

void hit_done(struct hit *h);
void hits_free(struct hit *hits, size_t n);

#endif
