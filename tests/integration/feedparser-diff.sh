#!/bin/sh
# feedparser-diff.sh: the differential test against python3-feedparser
# (tests/diff/feedparser-diff.py) over the shared corpus: no crash or hang
# of `reewatch parse` anywhere, and the agreement targets on feedparser's
# well-formed set (titles and links >= 97 %, dates >= 90 %).  Skipped
# when the corpus ($REEWATCH_CORPUS, else ../shared/corpus beside the
# checkout) is not there; a missing feedparser fails.
. "${top_srcdir:-.}/tests/integration/lib.sh"

corpus=${REEWATCH_CORPUS:-$top_srcdir/../shared/corpus}
if [ ! -d "$corpus/peer" ]; then
	cleanup
	echo "1..1"
	echo "ok 1 # SKIP corpus not present ($corpus)"
	exit 0
fi

py=""
for p in /usr/bin/python3 "${PYTHON3:-}" python3; do
	[ -n "$p" ] && "$p" -c 'import feedparser' 2>/dev/null && { py=$p; break; }
done
[ -n "$py" ] || bail "python3-feedparser not found (apt-get install python3-feedparser)"

REEWATCH_CORPUS=$corpus "$py" "$top_srcdir/tests/diff/feedparser-diff.py" \
	--reewatch "$REEWATCH" --jobs 2 >"$work/diff.txt" 2>&1
status=$?
sed -n '1,/^== disagreements/p' "$work/diff.txt" | sed 's/^/# /'

ok $status "the differential script ran (exit $status)"
grep -q '^files: [0-9]*; reewatch crashes or hangs: 0;' "$work/diff.txt"
ok $? "no crash or hang of reewatch parse over the corpus"
grep '^PROBLEM' "$work/diff.txt" | head -20 | sed 's/^/# /'
for f in title link published; do
	! grep -q "^TARGET MISSED: wellformed $f " "$work/diff.txt"
	ok $? "feedparser's well-formed set: $f agreement meets its target"
done
grep '^TARGET MISSED' "$work/diff.txt" | sed 's/^/# /'
done_testing
