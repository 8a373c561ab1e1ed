/*
 * prefilter.h: many literals found in one pass over a text (Aho-Corasick
 * over bytes), so that the matcher runs only the terms whose required
 * literals occur.  Pure: no I/O, no logging, no library; memory only.
 */
#ifndef PREFILTER_H
#define PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prefilter;

struct prefilter *prefilter_new(void);
void prefilter_free(struct prefilter *p);

/*
 * Add one literal (bytes, not empty); returns its id.  The same bytes
 * added again give the same id; ids count up from 0.
 */
uint32_t prefilter_add(struct prefilter *p, const char *lit, size_t len);

/* Link the automaton once all literals are in; no add after this. */
void prefilter_build(struct prefilter *p);

size_t prefilter_n_literals(const struct prefilter *p);
size_t prefilter_memory(const struct prefilter *p);	/* bytes, roughly */

/*
 * Call found(ud, id, start) for every occurrence of every literal in
 * text, overlapping ones included, in the order their ends come.
 */
void prefilter_scan(const struct prefilter *p, const char *text, size_t len,
    void (*found)(void *ud, uint32_t id, size_t start), void *ud);

#endif
