/*
 * ini.h: a small INI reader that keeps line numbers and has no line-length
 * limit.  `[section]` and `[kind "name"]` headers, `key = value`, repeated
 * keys allowed, `;` or `#` at line start and ` ;` inline start comments.
 * Reads memory only; the caller owns files and messages.
 */
#ifndef INI_H_REEWATCH
#define INI_H_REEWATCH

#include "util.h"

/*
 * Called for every section header (key == NULL) and every key/value pair.
 * section is the whole header text between the brackets, already trimmed.
 * Return 0 to go on, <0 to stop (the value is returned by ini_parse).
 */
typedef int (*ini_handler)(void *userdata, const char *section,
    const char *key, const char *value, unsigned line);

/*
 * Parse data of len bytes.  Syntax errors go to d as "file:line: ...";
 * returns the number of syntax errors (0 ok) or a handler's <0.
 */
int ini_parse(const char *data, size_t len, const char *file,
    ini_handler h, void *userdata, struct diag *d);

/*
 * Split `kind "name"` into its parts.  Returns 0 and the parts (malloc'd,
 * ret_name NULL when the header has no name), or -EINVAL when the quoting
 * is broken.
 */
int ini_section_split(const char *section, char **ret_kind, char **ret_name);

#endif
