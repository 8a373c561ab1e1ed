/*
 * store-internal.h: what the files of the store module share (store.c and
 * the store-*.c files that add tables of their own).  Included by those
 * files only: nothing outside the store module sees SQLite.
 */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

struct store_cached_stmt {
	const char *sql;		/* identity: the static SQL string */
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt **stmt;		/* store.c's statements, prepared at open */
	struct store_cached_stmt *cached;	/* store_stmt()'s, on first use */
	size_t n_cached;
	bool listing;			/* inside store_hits_list() */
	char errmsg[ERRMSG_MAX];	/* the last failure, "" if none */
};

/*
 * The statement for sql (a string with static storage: its address is the
 * key), prepared on first use and kept until store_close().  NULL on
 * failure, with the message in errmsg.  Reset it with store_stmt_done().
 */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* Keep SQLite's message for rc; return it as -errno. */
int store_fail(struct store *s, int rc);
int store_failf(struct store *s, int r, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

void store_stmt_done(sqlite3_stmt *st);			/* reset + unbind */
int store_stmt_exec(struct store *s, sqlite3_stmt *st);	/* no rows */
int store_stmt_int64(struct store *s, sqlite3_stmt *st, bool *ret_found,
    int64_t *ret);
int store_bind_text(sqlite3_stmt *st, int i, const char *v);
int store_bind_time(sqlite3_stmt *st, int i, int64_t t);	/* 0 = NULL */
char *store_column_strdup(sqlite3_stmt *st, int i);

/*
 * Every row of st (bound already) as a new array of *ret_n elements of
 * size bytes, each filled by read_row(st, element); resets st.  On
 * failure the rows read are freed as by store_rows_free() and *ret and
 * *ret_n are left alone.
 */
int store_rows_read(struct store *s, sqlite3_stmt *st, size_t size,
    void (*read_row)(sqlite3_stmt *st, void *row), void (*free_row)(void *row),
    void **ret, size_t *ret_n);
/* free_row() on each of the n elements of v (NULL allowed), then v. */
void store_rows_free(void *v, size_t n, size_t size,
    void (*free_row)(void *row));

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

#endif
