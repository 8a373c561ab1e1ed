#!/bin/sh
# prefilter-bench.sh: prefilter_scan() alone, with the literals of the
# shipped watchlists as the matcher folds them (match-bench --literals),
# over two texts:
#  real   the feed fixtures, the shared corpus's real feeds and the domain
#         article when they are there: markup dropped, case folded;
#  dense  the literals themselves in random order (every word a hit).
# Prints MB/s (median of RUNS rounds), prefilter_memory() and a checksum
# of every report.  BASELINE: another build folder (an older commit,
# configured the same way) measured in the same rounds, taking turns; the
# checksums must agree.  Writes only under a temporary folder.
#
# usage: bench/prefilter-bench.sh  (env: RUNS=5 REPS=5 BASELINE=DIR
#        KEEP_WORK=1)
# needs: python3, pkg-config
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
RUNS=${RUNS:-5}
REPS=${REPS:-5}
BASELINE=${BASELINE:-}
die() { echo "prefilter-bench: $*" >&2; exit 1; }
for t in python3 pkg-config; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done
bin="$top_builddir/bench/prefilter-bench"
[ -x "$bin" ] || die "build it first (make bench/prefilter-bench)"
[ -x "$top_builddir/bench/match-bench" ] || die "build bench/match-bench first"

work=$(mktemp -d /tmp/reewatch-pfbench.XXXXXX) || exit 1
cleanup() { [ -z "${KEEP_WORK:-}" ] && rm -rf "$work"; }
trap cleanup EXIT INT TERM

# The baseline's library with this bench program.
if [ -n "$BASELINE" ]; then
	[ -f "$BASELINE/daemon/libreewatch.a" ] || die "no $BASELINE/daemon/libreewatch.a"
	bsrc=$(sed -n 's/^abs_top_srcdir = //p' "$BASELINE/Makefile")
	${CC:-cc} -O2 -iquote "$bsrc/daemon" -I"$BASELINE" \
		-o "$work/prefilter-bench.base" "$top_srcdir/bench/prefilter-bench.c" \
		"$BASELINE/daemon/libreewatch.a" \
		$(pkg-config --libs libcurl libxml-2.0 libpcre2-8 sqlite3 libutf8proc) \
		-ldl || die "cannot build the baseline's prefilter-bench"
fi

# The set's literals, as the matcher folds them.
"$top_builddir/bench/match-bench" --literals "$top_srcdir/watchlists" >"$work/lits" ||
	die "match-bench --literals failed"
[ -s "$work/lits" ] || die "no literals in $top_srcdir/watchlists"

python3 - "$work" "$top_srcdir" <<'PY'
import glob, os, random, re, sys
work, src = sys.argv[1], sys.argv[2]
shared = os.path.join(src, "..", "shared")
files = sorted(glob.glob(os.path.join(src, "tests/data/feeds/*.xml")))
files += sorted(glob.glob(os.path.join(shared, "corpus/real/*/*.xml")))
files += sorted(glob.glob(os.path.join(shared, "domain/*.txt")))
text = ""
for f in files:
    text += open(f, encoding="utf-8", errors="replace").read()
text = re.sub(r"<[^>]*>", " ", text).casefold()
with open(os.path.join(work, "real.txt"), "w") as fh:
    while fh.tell() < 1000000:
        fh.write(text)
lits = open(os.path.join(work, "lits")).read().split("\n")[:-1]
rnd = random.Random(42)
out, n = [], 0
while n < 1000000:
    w = rnd.choice(lits)
    out.append(w)
    n += len(w.encode()) + 1
open(os.path.join(work, "dense.txt"), "w").write(" ".join(out))
PY

for r in $(seq "$RUNS"); do
	for m in real dense; do
		if [ -n "$BASELINE" ] && [ $((r % 2)) -eq 0 ]; then
			"$work/prefilter-bench.base" "$work/lits" "$REPS" "$work/$m.txt" >>"$work/out.$m.base"
		fi
		"$bin" "$work/lits" "$REPS" "$work/$m.txt" >>"$work/out.$m"
		if [ -n "$BASELINE" ] && [ $((r % 2)) -eq 1 ]; then
			"$work/prefilter-bench.base" "$work/lits" "$REPS" "$work/$m.txt" >>"$work/out.$m.base"
		fi
	done
done

# field FILE N: the median of the Nth number-like field ("MB/s" is $11)
med() { awk -v n="$2" '{ print $n }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "$(wc -l <"$work/lits") literals ($(sort -u "$work/lits" | wc -l) distinct) of $top_srcdir/watchlists; median of $RUNS rounds, each the median of $REPS scans"
echo
echo '| text  | build    | MB/s    | prefilter_memory() | hits     | checksum         |'
echo '|-------|----------|---------|--------------------|----------|------------------|'
for m in real dense; do
	for b in "" .base; do
		[ -n "$b" ] && [ -z "$BASELINE" ] && continue
		f="$work/out.$m$b"
		who=this; [ -n "$b" ] && who=baseline
		printf '| %-5s | %-8s | %7s | %18s | %8s | %16s |\n' "$m" \
			"$who" "$(med "$f" 11)" "$(awk '{ print $3 }' "$f" | sort -u | xargs)" \
			"$(awk '{ print $16 }' "$f" | sort -u | xargs)" "$(awk '{ print $19 }' "$f" | sort -u | xargs)"
	done
	if [ -n "$BASELINE" ]; then
		echo "| $m: this / baseline $(awk -v a="$(med "$work/out.$m" 11)" -v b="$(med "$work/out.$m.base" 11)" 'BEGIN { printf "%.2f", a / b }') (MB/s); checksums $(cat "$work/out.$m" "$work/out.$m.base" | awk '{ print $19 }' | sort -u | wc -l | awk '{ print ($1 == 1) ? "agree" : "DIFFER" }') |"
	fi
done
[ -z "${KEEP_WORK:-}" ] || echo "work folder kept: $work" >&2
