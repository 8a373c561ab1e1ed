#!/bin/sh
# clang-tidy.sh: clang-tidy over daemon/*.c with the repository's
# .clang-tidy (the check list and the reasons for what is off); any
# finding fails.  Needs a configured build folder for config.h.
#   usage: tests/static/clang-tidy.sh [BUILD]
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-.}" && pwd)
flags="-std=gnu11 -I$build -iquote $src/daemon $(pkg-config --cflags libxml-2.0 libpcre2-8 libutf8proc libcurl sqlite3 2>/dev/null)"
[ -n "$(pkg-config --cflags libnotify 2>/dev/null)" ] &&
	flags="$flags $(pkg-config --cflags libnotify)"
status=0
for f in "$src"/daemon/*.c; do
	# shellcheck disable=SC2086
	clang-tidy --quiet --config-file="$src/.clang-tidy" "$f" -- $flags \
	    -DSYSCONFDIR='"/etc"' -DPKGDATADIR='"/usr/share/reewatch"' \
	    -DLOCALSTATEDIR='"/var"' 2>/dev/null || status=1
done
exit $status
