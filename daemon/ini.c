/*
 * ini.c: the INI reader behind reewatch.conf, feed lists and watchlists.
 * Keeps line numbers for every key, has no line-length limit and never
 * cuts a value silently (Debian's libinih truncates lines over 200 bytes).
 * Reads memory only.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ini.h"

/* Cut an inline comment: ';' or '#' preceded by a blank starts one. */
static void
cut_inline_comment(char *s)
{
	char *p;

	for (p = s + 1; *p; p++)
		if ((*p == ';' || *p == '#') && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

int
ini_parse(const char *data, size_t len, const char *file, ini_handler h,
    void *userdata, struct diag *d)
{
	_cleanup_free_ char *section = NULL;
	const char *p = data, *end = data + len;
	unsigned line = 0;
	int errors = 0, r;

	/* A UTF-8 byte order mark is not part of the first line. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		_cleanup_free_ char *s = NULL;
		char *eq;

		line++;
		if (memchr(p, '\0', n)) {
			diag_add(d, file, line, "NUL byte in line");
			errors++;
			p += n + 1;
			continue;
		}
		s = strstrip(xstrndup(p, n));
		p += n + 1;
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			char *close = strrchr(s, ']');

			if (!close || close[1] != '\0') {
				cut_inline_comment(s);
				strstrip(s);
				close = strrchr(s, ']');
			}
			if (!close || close[1] != '\0' || close == s + 1) {
				diag_add(d, file, line,
				    "bad section header (expected [name])");
				errors++;
				continue;
			}
			*close = '\0';
			free(section);
			section = strstrip(xstrdup(s + 1));
			r = h(userdata, section, NULL, NULL, line);
			if (r < 0)
				return r;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			diag_add(d, file, line, "expected 'key = value'");
			errors++;
			continue;
		}
		*eq = '\0';
		strstrip(s);
		cut_inline_comment(eq);
		strstrip(eq + 1);
		if (*s == '\0') {
			diag_add(d, file, line, "missing key before '='");
			errors++;
			continue;
		}
		if (!section) {
			diag_add(d, file, line,
			    "'%s' outside of any [section]", s);
			errors++;
			continue;
		}
		r = h(userdata, section, s, eq + 1, line);
		if (r < 0)
			return r;
	}
	return errors;
}

int
ini_section_split(const char *section, char **ret_kind, char **ret_name)
{
	const char *sp = section + strcspn(section, " \t");
	_cleanup_free_ char *kind = xstrndup(section, (size_t)(sp - section));
	_cleanup_free_ char *name = NULL;

	while (*sp == ' ' || *sp == '\t')
		sp++;
	if (*sp == '"') {
		const char *q = strchr(sp + 1, '"');

		if (!q || q[1] != '\0' || q == sp + 1)
			return -EINVAL;
		name = xstrndup(sp + 1, (size_t)(q - sp - 1));
	} else if (*sp) {
		if (strchr(sp, '"'))
			return -EINVAL;
		name = xstrdup(sp);
	}
	*ret_kind = TAKE_PTR(kind);
	*ret_name = TAKE_PTR(name);
	return 0;
}
