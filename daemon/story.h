/*
 * story.h: one story, one alert.  Keys that make the same story from
 * several feeds compare equal (a link without tracking parameters and
 * trivial differences; a normalised title), and grouping by them.
 * Pure string work: no I/O.
 */
#ifndef STORY_H
#define STORY_H

#include <stddef.h>
#include <stdint.h>

/* Titles this close in time (seconds) with the same key are one story. */
#define STORY_TITLE_WINDOW_SEC	((int64_t)48 * 3600)

/* The link's story key (malloc'd), or NULL when it is not an http(s) URL. */
char *story_link_key(const char *link);
/* The title's story key (malloc'd), or NULL when too short to tell. */
char *story_title_key(const char *title);

struct story_item {
	const char *link;
	const char *title;
	int64_t when;
};

/*
 * Group items into stories: ret_group[i] is the index of the first item
 * of i's story (so ret_group[i] == i starts a story).  Same link key, or
 * same title key within STORY_TITLE_WINDOW_SEC.
 */
void story_group(const struct story_item *v, size_t n, size_t *ret_group);

/*
 * The words a hit matched (from its stored spans over the match form of
 * the title and of summary + "\n" + content), for emphasis.  A
 * NULL-terminated strv (strv_free), or NULL when none.
 */
char **story_matched_words(const char *title, const char *summary,
    const char *content, const char *spans_json);
/* A JSON array of strings (as the store writes them) -> strv, or NULL. */
char **story_json_strv(const char *json);

struct buf;
/* Escape &<>"' for HTML and Pango-like notification markup. */
void story_escape_markup(struct buf *b, const char *s, size_t n);
/* Append text escaped, each occurrence of words wrapped in open/close. */
void story_emphasise(struct buf *b, const char *text, char *const *words,
    const char *open, const char *close,
    void (*escape)(struct buf *, const char *, size_t));

#endif
