#!/bin/sh
# cli.sh: the command-line contract: check (exit 0 / 78 with FILE:LINE),
# reewatchd refusing a broken setup, parse to JSON lines, --help and
# --version, durations, usage errors.
. "${top_srcdir:-.}/tests/integration/lib.sh"

d="$top_srcdir/tests/data"
mkdir -p "$work/watch"
cp "$d/watch/cycle.watch" "$work/watch/"
cat >"$work/test.feeds" <<FEEDS
[feed "Local"]
url = file:$d/cycle/state-media.xml
FEEDS
cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = watch
CONF

out=$("$REEWATCH" --config "$work/reewatch.conf" check 2>&1)
ok $? "check: a good setup exits 0"
case $out in *"ok: 1 feeds, 1 watchlists"*) ok 0 "check says what it loaded";;
	*) ok 1 "check says what it loaded: $out";; esac

# A broken watchlist: an unknown term in a query and a bad regex.
cat >"$work/watch/broken.watch" <<'WATCH'
[watchlist]
name = broken

[term ok]
match = fine

[term bad]
regex = (unclosed

[alert "x"]
query = ok AND nosuchterm
WATCH
"$REEWATCH" --config "$work/reewatch.conf" check >"$work/check.out" 2>"$work/check.err"
is "$?" 78 "check: a broken watchlist exits 78"
grep -q "broken.watch:8: " "$work/check.out"
ok $? "check names the bad regex's file and line: $(head -1 "$work/check.out")"
grep -Eq "broken.watch:11:([0-9]+:)? .*nosuchterm" "$work/check.out"
ok $? "check names the unknown term in the query with its line"
"$REEWATCHD" --once --config "$work/reewatch.conf" >/dev/null 2>"$work/d.err"
is "$?" 78 "reewatchd refuses to start on a broken watchlist (78)"
grep -q "broken.watch:8: " "$work/d.err"
ok $? "reewatchd logs FILE:LINE"
rm "$work/watch/broken.watch"

# A broken config.
printf '[daemon]\nfeeds = test.feeds\nwatchlists = watch\ninterval = soon\n' >"$work/bad.conf"
"$REEWATCH" --config "$work/bad.conf" check >"$work/bad.out" 2>&1
is "$?" 78 "check: a bad config value exits 78"
grep -q "bad.conf:4: interval" "$work/bad.out"
ok $? "the bad value is named with its line"
"$REEWATCH" --config "$work/missing.conf" check >/dev/null 2>&1
is "$?" 78 "check: a missing config exits 78"

# parse: one JSON object per entry, nothing stored.
"$REEWATCH" parse "$d/cycle/state-media.xml" >"$work/parse.json"
ok $? "parse FILE exits 0"
"${PYTHON3:-python3}" - "$work/parse.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == 3, len(rows)
need = {"id", "title", "link", "published", "updated", "summary", "content",
        "authors", "categories"}
for r in rows:
    assert need <= set(r), set(r)
    assert isinstance(r["authors"], list) and isinstance(r["categories"], list)
assert rows[0]["id"] == "sm-1001", rows[0]
assert rows[0]["published"] == "2026-02-02T09:00:00Z", rows[0]
assert rows[0]["summary"].startswith("Премьер-министр"), rows[0]
assert "<p>" not in rows[0]["summary"], rows[0]
PY
ok $? "parse prints the contract's fields, HTML turned to text, dates in UTC"
"$REEWATCH" parse "$d/cycle/antibot.html" >/dev/null 2>"$work/parse.err"
is "$?" 1 "parse of an HTML page exits 1"
grep -q "HTML" "$work/parse.err"
ok $? "and says why: $(cat "$work/parse.err")"
"$REEWATCH" parse "$work/nonexistent.xml" >/dev/null 2>&1
is "$?" 1 "parse of a missing file exits 1"
[ ! -e "$work/state" ]
ok $? "parse and check store nothing"

# The one cycle over a file:// feed, then hits with durations.
"$REEWATCHD" --once --config "$work/reewatch.conf" >/dev/null 2>&1
ok $? "reewatchd --once over a file:// feed"
n=$("$REEWATCH" --config "$work/reewatch.conf" hits --json --since 2d | wc -l)
is "$n" 2 "hits --since 2d lists the two hits"
"$REEWATCH" --config "$work/reewatch.conf" hits --since soon >/dev/null 2>&1
is "$?" 2 "hits --since with a bad duration is a usage error (2)"

"$REEWATCH" --help | grep -q "^usage: reewatch"
ok $? "reewatch --help"
"$REEWATCHD" --help | grep -q "^usage: reewatchd"
ok $? "reewatchd --help"
is "$("$REEWATCH" --version)" "reewatch ${PACKAGE_VERSION:-0.1.0}" "reewatch --version"
is "$("$REEWATCHD" --version)" "reewatchd ${PACKAGE_VERSION:-0.1.0}" "reewatchd --version"
"$REEWATCH" frobnicate >/dev/null 2>&1
is "$?" 2 "an unknown command exits 2"

done_testing
