#!/bin/sh
# run.sh: run each libFuzzer target (built by `make fuzz`) for SECONDS,
# seeded from the project's own fixtures plus tests/fuzz/corpus, and print
# one TAP line per target.  Crashing inputs land in
# $top_builddir/tests/fuzz/artifacts/; the new corpus is thrown away.
#   usage: run.sh [SECONDS] [TARGET...]    (default 60 s; all targets)
# Environment: top_srcdir, top_builddir (default: this checkout / cwd).
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-parse text watchlist conf}
here=$(cd "$(dirname "$0")" && pwd)
src=${top_srcdir:-$(cd "$here/../.." && pwd)}
bld=${top_builddir:-$(pwd)}
art="$bld/tests/fuzz/artifacts"
work=$(mktemp -d /tmp/reewatch-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$art"

# seeds TARGET DIR: copy the target's seed files into DIR.
seeds() {
	mkdir -p "$2"
	case $1 in
	parse)	set -- "$2" "$src"/tests/data/feeds/*.xml \
		    "$src"/tests/data/cycle/* "$src"/examples/feeds/* \
		    "$src"/tests/fuzz/corpus/parse/* ;;
	text)	set -- "$2" "$src"/tests/fuzz/corpus/text/* \
		    "$src"/tests/data/cycle/antibot.html \
		    "$src"/tests/data/feeds/html-*.xml \
		    "$src"/tests/data/feeds/double-escaped.xml ;;
	watchlist) set -- "$2" "$src"/tests/data/watch/* \
		    "$src"/watchlists/*.watch "$src"/tests/fuzz/corpus/watchlist/* ;;
	conf)	set -- "$2" "$src"/reewatch.conf "$src"/examples/*.conf \
		    "$src"/feeds/*.feeds "$src"/examples/feeds.d/* \
		    "$src"/tests/fuzz/corpus/conf/* ;;
	esac
	dir=$1; shift
	for f in "$@"; do
		[ -f "$f" ] && cp "$f" "$dir/"
	done
	[ -d "$src/tests/fuzz/regressions/$t" ] &&
		cp "$src/tests/fuzz/regressions/$t"/* "$dir/" 2>/dev/null
	return 0
}

n=0 failed=0
echo "1..$(echo $targets | wc -w)"
for t in $targets; do
	n=$((n + 1))
	bin="$bld/tests/fuzz/fuzz-$t"
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz-$t: not built (run make fuzz)"
		failed=$((failed + 1))
		continue
	fi
	seeds "$t" "$work/seed-$t"
	mkdir -p "$work/corpus-$t"
	dict=""
	[ -f "$src/tests/fuzz/$t.dict" ] && dict="-dict=$src/tests/fuzz/$t.dict"
	# -timeout: one input over 10 s is a hang; -rss_limit_mb: 2 GB.
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 $dict \
	    -artifact_prefix="$art/$t-" "$work/corpus-$t" "$work/seed-$t" \
	    >"$work/log-$t" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log-$t")
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - fuzz-$t: ${runs:-?} runs in $secs s, no crash"
	else
		echo "not ok $n - fuzz-$t: exit $rc; artifacts in $art"
		grep -E 'ERROR|SUMMARY|Test unit written' "$work/log-$t" |
			head -20 | sed 's/^/# /'
		cp "$work/log-$t" "$art/$t.log"
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ]
