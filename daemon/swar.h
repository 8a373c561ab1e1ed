/*
 * swar.h: byte tests on eight bytes at once (SIMD within a register), for
 * the loops that scan whole feeds: encoding detection, the character
 * filter, blank folding and JSON output.  Words are loaded little-endian,
 * so byte k of the text is lane k (bits 8k to 8k+7) on every machine.
 * Where the compiler targets SSE2 (every x86-64) sixteen bytes go at once
 * with its intrinsics; other machines keep the eight-byte words.
 */
#ifndef REEWATCH_SWAR_H
#define REEWATCH_SWAR_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SWAR_ONES	UINT64_C(0x0101010101010101)
#define SWAR_HIGH	UINT64_C(0x8080808080808080)
#define SWAR_LOW7	UINT64_C(0x7f7f7f7f7f7f7f7f)

/* The eight bytes at p (which must have eight). */
static inline uint64_t
swar_load(const void *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return le64toh(w);
}

/* Is any byte of w below b (b at most 0x80)? */
static inline bool
swar_any_below(uint64_t w, unsigned b)
{
	return ((w - SWAR_ONES * b) & ~w & SWAR_HIGH) != 0;
}

/* Is any byte of w b? */
static inline bool
swar_any_eq(uint64_t w, unsigned char b)
{
	return swar_any_below(w ^ (SWAR_ONES * b), 1);
}

/* The high bit of each lane of w whose byte is b, exactly. */
static inline uint64_t
swar_eq(uint64_t w, unsigned char b)
{
	uint64_t t = w ^ (SWAR_ONES * b);

	return ~(((t & SWAR_LOW7) + SWAR_LOW7) | t | SWAR_LOW7);
}

/*
 * If w holds only ASCII and whole two-byte UTF-8 sequences (Latin-1,
 * Greek, Cyrillic ... with the spaces and punctuation between words),
 * how many of its bytes can be taken: 8, or 7 when the last one leads a
 * sequence the next word ends.  0 when a byte needs a closer look (a
 * longer sequence, C0/C1, a stray continuation).  *ret_leads gets the
 * high bit of each lane that leads a sequence, among the bytes taken.
 */
static inline size_t
swar_utf8(uint64_t w, uint64_t *ret_leads)
{
	const uint64_t last = UINT64_C(0x80) << 56;
	uint64_t cont = w & ~(w << 1) & SWAR_HIGH;		/* 10xxxxxx */
	uint64_t lead = w & (w << 1) & ~(w << 2) & SWAR_HIGH;	/* 110xxxxx */
	uint64_t wide = w & (w << 1) & (w << 2) & SWAR_HIGH;	/* 111xxxxx */
	/* C0 and C1 lead overlong forms: none of bits 1-4 set */
	uint64_t some = (((w >> 1) & UINT64_C(0x0f0f0f0f0f0f0f0f)) +
	    SWAR_LOW7) & SWAR_HIGH;
	size_t n = 8;

	if (wide != 0 || (lead & ~some) != 0 || (cont & 0x80) != 0)
		return 0;
	if ((lead & last) != 0) {
		lead &= ~last;
		n = 7;
	}
	if (cont != lead << 8)
		return 0;
	*ret_leads = lead;
	return n;
}

#ifdef __SSE2__
/*
 * swar_utf8() on the sixteen bytes at p with SSE2 (every x86-64): 16, 15
 * or 0 bytes taken; *ret_leads gets bit k for each byte k taken that
 * leads a two-byte sequence.  Signed compares: 0x80-0xbf is -128..-65,
 * 0xc2-0xdf is -62..-33.  swar_utf8_16v() takes the bytes loaded.
 */
static inline size_t
swar_utf8_16v(__m128i v, unsigned *ret_leads)
{
	unsigned high = (unsigned)_mm_movemask_epi8(v);
	unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v,
	    _mm_set1_epi8((char)0xc0)));
	unsigned lead = (unsigned)_mm_movemask_epi8(_mm_and_si128(
	    _mm_cmpgt_epi8(v, _mm_set1_epi8((char)0xc1)),
	    _mm_cmplt_epi8(v, _mm_set1_epi8((char)0xe0))));
	size_t n = 16;

	if ((high & ~(cont | lead)) != 0)	/* longer, C0/C1 leads */
		return 0;
	if ((lead & 0x8000u) != 0) {
		lead &= 0x7fffu;
		n = 15;
	}
	if (cont != lead << 1)
		return 0;
	*ret_leads = lead;
	return n;
}

static inline size_t
swar_utf8_16(const void *p, unsigned *ret_leads)
{
	return swar_utf8_16v(_mm_loadu_si128((const __m128i *)p), ret_leads);
}

/* How many bits of a sixteen-lane mask are set (without a libgcc call
 * where the target has no POPCNT instruction). */
static inline unsigned
swar_count16(unsigned m)
{
	m = m - ((m >> 1) & 0x5555u);
	m = (m & 0x3333u) + ((m >> 2) & 0x3333u);
	m = (m + (m >> 4)) & 0x0f0fu;
	return (m + (m >> 8)) & 0x1fu;
}

/* The bit of each of the sixteen lanes of v whose byte is b. */
static inline unsigned
swar_eq16(__m128i v, unsigned char b)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
	    _mm_set1_epi8((char)b)));
}

/* The bit of each lane of v whose byte is below b (unsigned, b > 0). */
static inline unsigned
swar_below16(__m128i v, unsigned char b)
{
	const __m128i m = _mm_set1_epi8((char)(b - 1));

	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v,
	    m), v));
}
#endif

#endif
