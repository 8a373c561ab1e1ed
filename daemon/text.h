/*
 * text.h: HTML to plain text and Unicode normalisation.  Owns libxml2's
 * HTML parser and utf8proc.  Pure: no I/O.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "reewatch.h"
#include "util.h"

/*
 * HTML fragment -> plain text: tags dropped (script/style with their
 * content), block elements become line breaks, entities decoded (twice
 * escaped ones too: "&amp;nbsp;"), runs of blanks folded.  Returns a
 * malloc'd UTF-8 string, or NULL on allocation failure.
 */
char *text_from_html(const char *html, size_t len);

/*
 * Plain text -> the display form every stage stores: valid UTF-8 (invalid
 * bytes become U+FFFD), NFC, entities decoded, soft hyphens, zero-width
 * and control characters dropped (not tab/newline), odd spaces to ' ',
 * CR/LF runs and blank runs folded, trimmed.  malloc'd or NULL.
 */
char *text_clean(const char *s, size_t len);

/*
 * The match form of display text: text_clean() in NFKC (not NFC), plus
 * ё->е, typographic quotes and dashes folded to ASCII.  Same length rules;
 * malloc'd.  Case stays: case-sensitive patterns (REE, Nd2O3) run on it,
 * the others with PCRE2 caseless over UCP.
 */
char *text_normalise(const char *s, size_t len);

/*
 * text_normalise() for a caller that normalises many texts: 0 when the
 * match form of s is s itself (most display text), out untouched; 1
 * with the match form in out (its content replaced); -ENOMEM.
 */
int text_normalise_buf(const char *s, size_t len, struct buf *out);

/*
 * Full Unicode case folding (CaseFolding.txt, C+F) of UTF-8 s, for the
 * literal prefilter: the literals and the text go through this one
 * function.  Invalid bytes are copied.  malloc'd, never NULL.  With
 * ret_map, *ret_map (malloc'd) gives for each byte of the result (and
 * its end) the offset in s of the character it came from.
 */
char *text_fold(const char *s, size_t len, uint32_t **ret_map);

/*
 * text_fold() into out (its content replaced), for a caller that folds
 * many texts.  With ret_map, *ret_map is NULL when each character folds
 * to one character as long as it is (ASCII, Cyrillic, most Latin and
 * Greek; not ß, İ, ΐ): then each character of the fold is at its offset
 * in s.  Otherwise it is text_fold()'s map (malloc'd).
 */
void text_fold_buf(const char *s, size_t len, struct buf *out,
    uint32_t **ret_map);

/*
 * text_normalise_buf() and text_fold_buf() of its result, for
 * match_entry(): *ret_text (*ret_len bytes) is s itself or norm's data,
 * fold and *ret_map as text_fold_buf() gives them.  Display text that is
 * its own match form and folds character for character takes one pass.
 * 0 or -ENOMEM.
 */
int text_match_fold(const char *s, size_t len, struct buf *norm,
    struct buf *fold, const char **ret_text, size_t *ret_len,
    uint32_t **ret_map);

/*
 * Words in s: runs of letters, marks and digits (an apostrophe between
 * letters joins), and each Han or kana character on its own (those
 * scripts write no spaces).  NEAR/n counts
 * these between two matches.
 */
size_t text_words(const char *s, size_t len);

/*
 * Make every text field of e plain display text (HTML ones through
 * text_from_html), in place; authors/categories cleaned too.  Returns 0 or
 * -ENOMEM.
 */
int text_entry(struct entry *e);
/* The same for a vector of names (authors, categories): cleaned, one line
 * each, empty ones dropped (*v NULL when none is left).  0 or -ENOMEM. */
int text_strv(char ***v);

#endif
