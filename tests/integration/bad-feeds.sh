#!/bin/sh
# bad-feeds.sh: hostile and broken feeds among good ones.  Each bad feed is
# one clear per-feed error, the cycle goes on, and the good feed's entries
# are stored all the same.
. "${top_srcdir:-.}/tests/integration/lib.sh"

d="$top_srcdir/tests/data/cycle"
mkdir -p "$work/www" "$work/state"
cp "$d/state-media.xml" "$d/antibot.html" "$d/truncated.xml" "$d/empty.xml" "$work/www/"
# A UTF-8 document served with a Content-Type that says ISO-8859-1.
cp "$d/state-media.xml" "$work/www/lying-charset.xml"
chmod -R a+rX "$work/www"
start_nginx "$work/www"
base="http://127.0.0.1:$nginx_port"
closed_port=$(free_port)

cat >"$work/test.feeds" <<FEEDS
[feed "Good"]
url = $base/state-media.xml
[feed "Anti-bot page"]
url = $base/antibot.html
[feed "Truncated"]
url = $base/truncated.xml
[feed "Empty"]
url = $base/empty.xml
[feed "Missing"]
url = $base/status/404
[feed "Broken server"]
url = $base/status/500
[feed "No such host"]
url = http://nonexistent.invalid/feed.xml
[feed "Refused"]
url = http://127.0.0.1:$closed_port/feed.xml
[feed "Lying charset"]
url = $base/lying-charset.xml
[feed "Moved"]
url = $base/moved.xml
FEEDS
cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = $top_srcdir/tests/data/watch/cycle.watch
timeout = 20s
connect_timeout = 5s
CONF
db="$work/state/reewatch.db"

"$REEWATCHD" --once --config "$work/reewatch.conf" >"$work/out" 2>"$work/err"
ok $? "the cycle exits 0 while some feeds are bad"
sed 's/^/# /' "$work/out"
grep -q "^feed 'Good': 3 entries .* 3 new, 2 hits" "$work/out"
ok $? "the good feed is stored"
grep -q "^feed 'Anti-bot page': error: .*HTML" "$work/out"
ok $? "an HTML page is a clear error that says HTML"
grep -q "^feed 'Empty': error: .*empty" "$work/out"
ok $? "an empty body is a clear error"
grep -q "^feed 'Missing': error: HTTP 404" "$work/out"
ok $? "404 is an error"
grep -q "^feed 'Broken server': error: HTTP 500" "$work/out"
ok $? "500 is an error"
grep -q "^feed 'No such host': error: ." "$work/out"
ok $? "a DNS failure is an error"
grep -q "^feed 'Refused': error: ." "$work/out"
ok $? "a refused connection is an error"
grep -Eq "^feed 'Truncated': (error: .|[0-9]+ entr(y|ies))" "$work/out"
ok $? "a truncated document is an error or what could be salvaged"
grep -q "^feed 'Lying charset': 3 entries" "$work/out"
ok $? "a lying Content-Type charset still parses"
is "$(sql "$db" "select e.title from entries e join feeds f on f.id = e.feed_id where f.name = 'Lying charset' and e.guid = 'sm-1002'")" \
	"Путин поручил утвердить дорожную карту по редкоземельным металлам" \
	"the UTF-8 document wins over the lying header: Cyrillic intact"
is "$(sql "$db" "select current_url from feeds where name = 'Moved'")" "$base/state-media.xml" \
	"a 301 updates the stored URL"
is "$(sql "$db" "select failures from feeds where name = 'Missing'")" 1 "the failing feed's failures are counted"
is "$(sql "$db" "select count(*) from feeds where last_error is not null")" 6 "the six failing feeds carry their error"

"$REEWATCH" --config "$work/reewatch.conf" feeds >"$work/feeds.out"
ok $? "reewatch feeds exits 0"
grep -A3 "^Missing" "$work/feeds.out" | grep -q "last error: HTTP 404"
ok $? "reewatch feeds shows the last error"

# A second cycle: bad ones fail again, counted, nothing duplicated.
"$REEWATCHD" --once --config "$work/reewatch.conf" >"$work/out2" 2>"$work/err2"
ok $? "second cycle exits 0"
is "$(sql "$db" "select failures from feeds where name = 'Missing'")" 2 "consecutive failures grow"
is "$(sql "$db" "select count(*) from entries e join feeds f on f.id = e.feed_id where f.name = 'Good'")" 3 \
	"no duplicates from the good feed"

# Nothing polled at all: exit 1.
cat >"$work/dead.feeds" <<FEEDS
[feed "Dead"]
url = http://127.0.0.1:$closed_port/feed.xml
FEEDS
sed "s/test.feeds/dead.feeds/" "$work/reewatch.conf" >"$work/dead.conf"
"$REEWATCHD" --once --config "$work/dead.conf" >/dev/null 2>&1
is "$?" 1 "exit 1 when no feed could be polled"

done_testing
