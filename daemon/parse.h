/*
 * parse.h: feed documents in, entries out.  Owns libxml2's XML reader:
 * RSS 0.90-0.92/2.0, RSS 1.0 (RDF), Atom 0.3/1.0, and OPML feed lists.
 * Decodes the document's encoding (BOM, HTTP charset, XML declaration).
 * No network, no DTDs, no entity expansion; no I/O, no logging above debug.
 * Text fields come out as the feed gave them (plain or HTML, typed);
 * text_entry() makes them plain.
 */
#ifndef PARSE_H
#define PARSE_H

#include "reewatch.h"
#include "util.h"

enum parse_format {
	PARSE_FORMAT_UNKNOWN,
	PARSE_FORMAT_RSS090,	/* 0.90 (RDF namespace, 0.90 ns) */
	PARSE_FORMAT_RSS09X,	/* 0.91, 0.92 */
	PARSE_FORMAT_RSS10,	/* RDF */
	PARSE_FORMAT_RSS20,
	PARSE_FORMAT_ATOM03,
	PARSE_FORMAT_ATOM10,
	PARSE_FORMAT_MAX
};

const char *parse_format_name(enum parse_format f);

/* A parsed feed document.  Owns everything it points to. */
struct feed_doc {
	enum parse_format format;
	char *title;		/* plain text as given, may be NULL */
	char *link;		/* absolute, may be NULL */
	char *encoding;		/* the encoding the bytes were read as */
	unsigned ttl_min;	/* RSS <ttl>, 0 when absent */
	uint32_t skip_hours;	/* bit h set: skip hour h (UTC) */
	uint8_t skip_days;	/* bit d set: skip day d (0 = Sunday) */
	struct entry *entries;
	size_t n_entries;
	size_t n_dropped;	/* exact duplicates dropped inside the feed */
	char *warning;		/* non-fatal trouble (recovered errors), or NULL */
};

void feed_doc_free(struct feed_doc *d);

/*
 * Initialise libxml2.  parse_feed() does it too, but libxml2 2.9 wants it
 * done once in the main thread before other threads parse: call this
 * before starting them.
 */
void parse_init(void);

/*
 * Parse one feed document of len bytes.  content_type is the HTTP header
 * value (or NULL), base_url the URL the document came from (for relative
 * links).  Returns 0, or -EBADMSG (not a feed, or unreadable XML; the
 * reason in errbuf), -EFBIG (over a cap), -ENOMEM.
 */
int parse_feed(const char *data, size_t len, const char *content_type,
    const char *base_url, char errbuf[ERRMSG_MAX], struct feed_doc **ret);
/*
 * The same with text_entry() applied to each entry as it is read (what
 * `reewatch parse` prints): the raw text of a big feed is never all in
 * memory, and each field is cleaned while it is in the cache.  With each,
 * every entry kept goes to each(e, ctx) in order, as soon as nothing
 * later in the document can change it (at once in RSS; at the end in
 * Atom, whose feed authors may follow the entries), and *ret's entries
 * keep only their keys.  The daemon uses parse_feed(), to clean only the
 * entries it has not seen.
 */
typedef void parse_each_fn(const struct entry *e, void *ctx);
int parse_feed_clean(const char *data, size_t len, const char *content_type,
    const char *base_url, parse_each_fn *each, void *ctx,
    char errbuf[ERRMSG_MAX], struct feed_doc **ret);

/*
 * Read an OPML file's outlines with an xmlUrl as feeds (name from text or
 * title).  Problems go to d as file:line; returns their number, or <0.
 */
int parse_opml(const char *data, size_t len, const char *file,
    struct feed **feeds, size_t *n, struct diag *d);

#endif
