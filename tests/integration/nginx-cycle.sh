#!/bin/sh
# nginx-cycle.sh: reewatchd --once against nginx on 127.0.0.1, twice.  The
# first run stores entries and hits; the second stores no duplicate and
# gets 304s because it sends back the validators nginx gave; a changed
# feed then brings exactly its new entry.
. "${top_srcdir:-.}/tests/integration/lib.sh"

mkdir -p "$work/www" "$work/state"
cp "$top_srcdir/tests/data/cycle/state-media.xml" "$top_srcdir/tests/data/cycle/agency.xml" "$work/www/"
chmod -R a+rX "$work/www"
start_nginx "$work/www"
base="http://127.0.0.1:$nginx_port"

cat >"$work/test.feeds" <<FEEDS
[feed "State media"]
url = $base/state-media.xml
[feed "Agency"]
url = $base/agency.xml
FEEDS
cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = $top_srcdir/tests/data/watch/cycle.watch
CONF
db="$work/state/reewatch.db"

"$REEWATCHD" --once --config "$work/reewatch.conf" >"$work/run1.out" 2>"$work/run1.err"
ok $? "first run exits 0"
grep -q "^feed 'State media': 3 entries (RSS 2.0, UTF-8), 3 new, 2 hits" "$work/run1.out"
ok $? "a summary line for the RSS feed: $(grep "State media" "$work/run1.out")"
grep -q "^feed 'Agency': 2 entries (Atom 1.0, UTF-8), 2 new, 1 hit" "$work/run1.out"
ok $? "a summary line for the Atom feed: $(grep "Agency" "$work/run1.out")"
is "$(sql "$db" 'select count(*) from entries')" 5 "five entries stored"
is "$(sql "$db" 'select count(*) from hits')" 3 "three hits stored"
is "$(sql "$db" 'pragma journal_mode')" wal "the store is in WAL mode"
is "$(sql "$db" "select alert from hits join entries on entries.id = hits.entry_id where guid = 'sm-1001'")" \
	"Mendeleev Valley" "Ksenia Shoigu's appointment hits 'Mendeleev Valley'"
is "$(sql "$db" "select count(*) from hits join entries on entries.id = hits.entry_id where guid = 'sm-1003'")" \
	0 "Putin without rare earths does not hit"
is "$(sql "$db" "select link from entries where guid = 'tag:agency.test,2026:entry-77'")" \
	"$base/en/2026/11/rosatom-ree" "a relative Atom link is resolved against the feed URL"
is "$(sql "$db" "select link from entries where guid = 'sm-1001'")" \
	"https://state-media.test/news/1001" "a CDATA link with blanks is trimmed"
is "$(sql "$db" "select published from entries where guid = 'sm-1001'")" \
	"$(date -u -d '2026-02-02 09:00:00' +%s)" "an MSK date is stored as UTC"
is "$(sql "$db" "select title from entries where guid = 'tag:agency.test,2026:entry-77'")" \
	"Rosatom plans mine-to-magnet chain for rare earths" "HTML in an Atom title becomes text"

"$REEWATCH" --config "$work/reewatch.conf" hits --json >"$work/hits.json"
ok $? "reewatch hits --json exits 0"
"${PYTHON3:-python3}" - "$work/hits.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
need = {"feed", "entry_id", "title", "link", "published", "watchlist",
        "alert", "terms", "score", "snippet"}
assert len(rows) == 3, rows
for r in rows:
    assert need <= set(r), set(r)
    assert isinstance(r["terms"], list) and r["terms"], r
    assert r["published"].endswith("Z"), r
    assert r["watchlist"] == "cycle-test", r
mv = [r for r in rows if r["alert"] == "Mendeleev Valley"][0]
assert mv["entry_id"] == "sm-1001" and mv["feed"] == "State media", mv
assert "Mendeleev Valley" in mv["terms"], mv
assert mv["score"] == 3, mv
assert "Менделеева" in mv["snippet"], mv
PY
ok $? "hits --json carries the contract's fields"
"$REEWATCH" --config "$work/reewatch.conf" hits --since 1h >"$work/hits.txt"
ok $? "reewatch hits --since 1h exits 0"
is "$(grep -c 'cycle-test / ' "$work/hits.txt")" 3 "the text listing shows the three hits"
grep -q "^  spans: title [0-9]*-[0-9]* Mendeleev Valley" "$work/hits.txt"
ok $? "the text listing says where each term matched (field, offsets, term)"

: >"$work/nginx/access.log"
"$REEWATCHD" --once --config "$work/reewatch.conf" >"$work/run2.out" 2>"$work/run2.err"
ok $? "second run exits 0"
is "$(grep -c 'not modified (304)' "$work/run2.out")" 2 "second run: both feeds not modified"
is "$(sql "$db" 'select count(*) from entries')" 5 "no duplicate entries after the second run"
is "$(sql "$db" 'select count(*) from hits')" 3 "no duplicate hits after the second run"
is "$(grep -c '^/state-media.xml 304 [^|]' "$work/nginx/access.log")" 1 "nginx answered 304 to the RSS feed"
is "$(grep -c '^/agency.xml 304 [^|]' "$work/nginx/access.log")" 1 "nginx answered 304 to the Atom feed"
grep '^/state-media.xml 304' "$work/nginx/access.log" | grep -q '|[A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] 20[0-9][0-9] [0-9:]* GMT|reewatch/'
ok $? "If-None-Match and If-Modified-Since sent verbatim, with our User-Agent"

# A changed feed: one more item.
sed -i "/<\/channel>/e cat $top_srcdir/tests/data/cycle/added-item.xml" "$work/www/state-media.xml"
touch -d '+1 minute' "$work/www/state-media.xml"
"$REEWATCHD" --once --config "$work/reewatch.conf" >"$work/run3.out" 2>"$work/run3.err"
ok $? "third run exits 0"
grep -q "^feed 'State media': 4 entries (RSS 2.0, UTF-8), 1 new, 2 hits" "$work/run3.out"
ok $? "the changed feed brings exactly its new entry: $(grep 'State media' "$work/run3.out")"
is "$(sql "$db" 'select count(*) from entries')" 6 "six entries now"
is "$(sql "$db" "select count(*) from hits join entries on entries.id = hits.entry_id where guid = 'sm-1004'")" \
	2 "the new entry hits two alerts (Mendeleev Valley; Rosatom on REE)"

done_testing
