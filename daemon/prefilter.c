/*
 * prefilter.c: Aho-Corasick over bytes.  The shallow nodes, where a scan
 * spends nearly all its time, get DFA rows (the next state for each byte
 * class, the failure links folded in); deeper ones keep sorted runs of
 * (byte, node) and their failure links.  Pure: no I/O, no logging; memory
 * only.
 *
 * Byte classes: bytes that no edge out of a row node uses move every row
 * to the root, so they share one class; every other byte is a class of its
 * own.  A row has a move per class (~100 for the shipped watchlists, not
 * 256), and a move is 16 bits: a row, or "the child of row r on this
 * byte" for a node without a row, which the scan then looks up.  The
 * moves are stored a column a class, the rows in breadth-first order: the
 * next move is dense[col[byte] + row], one add from the last (no multiply
 * on that path), and the shallow rows a scan mostly visits share the
 * cache lines of each column.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "prefilter.h"
#include "util.h"

#define NONE	UINT32_MAX
#define X_OUT	0x8000u		/* a DFA move: the state has literals */
#define X_NODE	0x4000u		/* a DFA move to a child of row X_MASK */
#define X_MASK	0x3fffu
#define S_NODE	0x80000000u	/* a scan state: a node without a row */
#define DFA_DEPTH	4	/* nodes this shallow get rows ... */
#define DFA_ROWS_MAX	8192	/* ... this many at most (4 MiB) */

_Static_assert(DFA_ROWS_MAX <= X_MASK + 1, "a row fits a move");

struct pnode {
	uint32_t fail;
	uint32_t dict;		/* nearest node down the fail chain with a lit */
	uint32_t edges;		/* first edge (built) or first child (trie) */
	uint32_t n_edges;
	uint32_t lit;		/* the literal ending here, or NONE */
	uint32_t depth;		/* its length */
	uint32_t dense;		/* built: its DFA row in dense[], or NONE */
};

/* A node's place in the trie while building (the build frees them). */
struct ptrie {
	uint32_t sibling;
	uint8_t byte;		/* the byte that leads here */
};

struct prefilter {
	struct pnode *nodes;
	struct ptrie *trie;		/* until built */
	size_t n_nodes, alloc_nodes;
	uint8_t *edge_byte;		/* built */
	uint32_t *edge_to;
	uint16_t *dense;		/* built: moves (X_*), a column a class */
	uint32_t *row_node;		/* built: the node of each row */
	size_t n_dense, n_classes;
	uint32_t col[256];		/* built: where each byte's column starts */
	uint32_t root[256];
	size_t n_literals;
	bool built;
};

static uint32_t
node_new(struct prefilter *p, uint8_t byte)
{
	struct pnode *n;

	if (p->n_nodes == p->alloc_nodes) {
		p->alloc_nodes = p->alloc_nodes ? 2 * p->alloc_nodes : 256;
		p->nodes = xrealloc(p->nodes,
		    p->alloc_nodes * sizeof(*p->nodes));
		p->trie = xrealloc(p->trie, p->alloc_nodes * sizeof(*p->trie));
	}
	n = &p->nodes[p->n_nodes];
	memset(n, 0, sizeof(*n));
	n->edges = NONE;
	n->lit = NONE;
	p->trie[p->n_nodes].sibling = NONE;
	p->trie[p->n_nodes].byte = byte;
	return (uint32_t)p->n_nodes++;
}

struct prefilter *
prefilter_new(void)
{
	struct prefilter *p = xcalloc(1, sizeof(*p));

	(void)node_new(p, 0);
	return p;
}

void
prefilter_free(struct prefilter *p)
{
	if (!p)
		return;
	free(p->nodes);
	free(p->trie);
	free(p->edge_byte);
	free(p->edge_to);
	free(p->dense);
	free(p->row_node);
	free(p);
}

/* The child of node u for byte c while building, or NONE. */
static uint32_t
child_find(const struct prefilter *p, uint32_t u, uint8_t c)
{
	uint32_t v;

	for (v = p->nodes[u].edges; v != NONE; v = p->trie[v].sibling)
		if (p->trie[v].byte == c)
			return v;
	return NONE;
}

uint32_t
prefilter_add(struct prefilter *p, const char *lit, size_t len)
{
	uint32_t u = 0, v;
	size_t i;

	if (p->built || len == 0)
		return NONE;
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)lit[i];

		v = child_find(p, u, c);
		if (v == NONE) {
			v = node_new(p, c);
			p->nodes[v].depth = p->nodes[u].depth + 1;
			p->trie[v].sibling = p->nodes[u].edges;
			p->nodes[u].edges = v;
			p->nodes[u].n_edges++;
		}
		u = v;
	}
	if (p->nodes[u].lit == NONE)
		p->nodes[u].lit = (uint32_t)p->n_literals++;
	return p->nodes[u].lit;
}

/* The goto of the built automaton, NONE when u has no edge for c. */
static inline uint32_t
step(const struct prefilter *p, uint32_t u, uint8_t c)
{
	const struct pnode *n = &p->nodes[u];
	uint32_t lo = n->edges, hi = n->edges + n->n_edges;

	if (u == 0)
		return p->root[c];
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->edge_byte[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n->edges + n->n_edges && p->edge_byte[lo] == c ?
	    p->edge_to[lo] : NONE;
}

/*
 * The DFA's move to node v, the child of the node of row r: v's row, or
 * the way to find v; and whether v has literals to report.
 */
static uint16_t
move_code(const struct prefilter *p, uint32_t v, uint32_t r)
{
	const struct pnode *n = &p->nodes[v];
	uint32_t x = n->dense != NONE ? n->dense : X_NODE | r;

	if (n->lit != NONE || n->dict != NONE)
		x |= X_OUT;
	return (uint16_t)x;
}

static int
edge_cmp(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;

	return *a < *b ? -1 : *a > *b;
}

/*
 * The byte classes of the rows: a class of its own for each byte on an
 * edge out of a row node (the rows are the first n_dense of queue[], in
 * breadth-first order), one for all the others (every row moves them to
 * the root).
 */
static void
classes_make(struct prefilter *p, const uint32_t *queue)
{
	bool used[256];
	uint32_t other = NONE, i, k, cls;
	int c;

	memset(used, 0, sizeof(used));
	for (i = 0; i < p->n_dense; i++) {
		const struct pnode *n = &p->nodes[queue[i]];

		for (k = 0; k < n->n_edges; k++)
			used[p->edge_byte[n->edges + k]] = true;
	}
	p->n_classes = 0;
	for (c = 0; c < 256; c++) {
		if (used[c])
			cls = (uint32_t)p->n_classes++;
		else {
			if (other == NONE)
				other = (uint32_t)p->n_classes++;
			cls = other;
		}
		p->col[c] = cls * (uint32_t)p->n_dense;
	}
}

void
prefilter_build(struct prefilter *p)
{
	uint32_t *queue;
	uint64_t *tmp;
	size_t head = 0, tail = 0, n_edges = 0, i, c, nc;

	if (p->built)
		return;
	/* children as sorted runs of edges */
	p->edge_byte = xcalloc(p->n_nodes + 1, 1);
	p->edge_to = xcalloc(p->n_nodes + 1, sizeof(uint32_t));
	tmp = xcalloc(257, sizeof(*tmp));
	for (i = 0; i < p->n_nodes; i++) {
		struct pnode *n = &p->nodes[i];
		uint32_t v, k;
		size_t m = 0;

		for (v = n->edges; v != NONE; v = p->trie[v].sibling)
			tmp[m++] = (uint64_t)p->trie[v].byte << 32 | v;
		qsort(tmp, m, sizeof(*tmp), edge_cmp);
		n->edges = (uint32_t)n_edges;
		for (k = 0; k < m; k++) {
			p->edge_byte[n_edges] = (uint8_t)(tmp[k] >> 32);
			p->edge_to[n_edges++] = (uint32_t)tmp[k];
		}
	}
	free(tmp);
	free(p->trie);
	p->trie = NULL;
	p->nodes = xrealloc(p->nodes, p->n_nodes * sizeof(*p->nodes));
	p->alloc_nodes = p->n_nodes;
	for (c = 0; c < 256; c++)
		p->root[c] = NONE;
	for (i = 0; i < p->nodes[0].n_edges; i++)
		p->root[p->edge_byte[p->nodes[0].edges + i]] =
		    p->edge_to[p->nodes[0].edges + i];
	p->built = true;

	/* breadth first: fail and dict links */
	queue = xcalloc(p->n_nodes, sizeof(*queue));
	p->nodes[0].fail = 0;
	p->nodes[0].dict = NONE;
	queue[tail++] = 0;
	while (head < tail) {
		uint32_t u = queue[head++];
		struct pnode *n = &p->nodes[u];

		for (i = 0; i < n->n_edges; i++) {
			uint32_t v = p->edge_to[n->edges + i], f, g;
			uint8_t b = p->edge_byte[n->edges + i];

			if (u == 0)
				f = 0;
			else {
				f = n->fail;
				while ((g = step(p, f, b)) == NONE && f != 0)
					f = p->nodes[f].fail;
				f = g == NONE ? 0 : g;
			}
			p->nodes[v].fail = f;
			p->nodes[v].dict = p->nodes[f].lit != NONE ? f :
			    p->nodes[f].dict;
			queue[tail++] = v;
		}
	}
	p->nodes[0].dict = NONE;

	/*
	 * DFA rows in breadth-first order, so that a node's failure node
	 * (shallower) has its row already: a missing edge is the failure
	 * node's move.
	 */
	for (i = 0; i < p->n_nodes; i++)
		p->nodes[i].dense = NONE;
	for (i = 0; i < tail && p->n_dense < DFA_ROWS_MAX; i++)
		if (p->nodes[queue[i]].depth <= DFA_DEPTH)
			p->nodes[queue[i]].dense = (uint32_t)p->n_dense++;
	classes_make(p, queue);
	nc = p->n_classes;
	p->dense = xcalloc(p->n_dense * nc + 1, sizeof(*p->dense));
	p->row_node = xcalloc(p->n_dense + 1, sizeof(*p->row_node));
	for (i = 0; i < tail; i++) {
		const struct pnode *n = &p->nodes[queue[i]];
		uint16_t *row;
		uint32_t k, f;

		if (n->dense == NONE)
			continue;
		p->row_node[n->dense] = queue[i];
		row = p->dense + n->dense;	/* its moves: row[col[c]] */
		f = p->nodes[n->fail].dense;
		if (queue[i] != 0)
			for (k = 0; k < nc; k++)
				row[k * p->n_dense] = p->dense[k * p->n_dense +
				    f];
		for (k = 0; k < n->n_edges; k++)
			row[p->col[p->edge_byte[n->edges + k]]] = move_code(p,
			    p->edge_to[n->edges + k], n->dense);
	}
	free(queue);
}

size_t
prefilter_n_literals(const struct prefilter *p)
{
	return p->n_literals;
}

size_t
prefilter_memory(const struct prefilter *p)
{
	return p->n_nodes * (sizeof(struct pnode) + 5) +
	    p->n_dense * (p->n_classes * sizeof(*p->dense) +
	    sizeof(*p->row_node)) + sizeof(*p);
}

/* Report the literals ending at node u, text position i. */
static inline void
report(const struct prefilter *p, uint32_t u, size_t i,
    void (*found)(void *ud, uint32_t id, size_t start), void *ud)
{
	uint32_t d = p->nodes[u].lit != NONE ? u : p->nodes[u].dict;

	for (; d != NONE; d = p->nodes[d].dict)
		found(ud, p->nodes[d].lit, i + 1 - p->nodes[d].depth);
}

void
prefilter_scan(const struct prefilter *p, const char *text, size_t len,
    void (*found)(void *ud, uint32_t id, size_t start), void *ud)
{
	const uint8_t *t = (const uint8_t *)text;
	const uint16_t *dense = p->dense;
	const uint32_t *col = p->col;
	size_t i;
	uint32_t s = 0;		/* a row (0: the root), or S_NODE | a node */

	if (!p->built)
		return;
	for (i = 0; i < len; i++) {
		uint32_t x, u, v;

		if (!(s & S_NODE)) {
			/* the hot path: two loads per byte */
			x = dense[col[t[i]] + s];
			if (!(x & (X_NODE | X_OUT))) {
				s = x;
				continue;
			}
		} else {
			/* below the rows: edges, or fail towards a row */
			u = s & ~S_NODE;
			for (;;) {
				const struct pnode *n = &p->nodes[u];

				v = step(p, u, t[i]);
				if (v != NONE) {
					s = S_NODE | v;
					if (p->nodes[v].lit != NONE ||
					    p->nodes[v].dict != NONE)
						report(p, v, i, found, ud);
					break;
				}
				u = n->fail;
				if (p->nodes[u].dense != NONE)
					break;
			}
			if (v != NONE)
				continue;
			x = dense[col[t[i]] + p->nodes[u].dense];
		}
		if (x & X_NODE) {
			v = step(p, p->row_node[x & X_MASK], t[i]);
			s = S_NODE | v;
		} else {
			s = x & X_MASK;
			v = p->row_node[s];
		}
		if (x & X_OUT)
			report(p, v, i, found, ud);
	}
}
