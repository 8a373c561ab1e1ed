#!/bin/sh
# service-hostile.sh: reewatchd (the service loop, not --once) polling a
# hostile server among good feeds: each bad feed is its own error while
# the others go on being polled, failing gaps grow, Retry-After holds,
# nothing from /etc/passwd reaches the store; then kill -9 in the middle
# of polling and a restart: no stored entry lost, none duplicated.
. "${top_srcdir:-.}/tests/integration/lib.sh"

py=${PYTHON3:-python3}
command -v "$py" >/dev/null || bail "python3 not found"
command -v sqlite3 >/dev/null || bail "sqlite3 not found (apt-get install sqlite3)"
d="$top_srcdir/tests/data"
mkdir -p "$work/www" "$work/state" "$work/watch"
cp "$d/feeds/xxe-passwd.xml" "$d/feeds/billion-laughs.xml" \
	"$d/cycle/antibot.html" "$work/www/"
cp "$d/cycle/state-media.xml" "$work/www/lying-charset.xml"
cp "$d/watch/cycle.watch" "$work/watch/"

# gen N: an RSS feed of N items at www/gen.xml (replaced atomically).
gen() {
	{
		echo '<?xml version="1.0" encoding="utf-8"?>'
		echo '<rss version="2.0"><channel><title>gen</title>'
		i=1
		while [ $i -le "$1" ]; do
			echo "<item><title>Putin on rare earths, item $i</title><guid>g-$i</guid><link>http://127.0.0.1/g/$i</link></item>"
			i=$((i + 1))
		done
		echo '</channel></rss>'
	} >"$work/www/gen.tmp" && mv "$work/www/gen.tmp" "$work/www/gen.xml"
}
gen 20
chmod -R a+rX "$work/www"
start_nginx "$work/www"
ng="http://127.0.0.1:$nginx_port"

start_hostile "$work/req.log"
h=$hostile_url

cat >"$work/test.feeds" <<FEEDS
[feed "Good"]
url = $ng/gen.xml
[feed "Trickle"]
url = $h/slow
[feed "Huge"]
url = $h/big?len=104857600&cl=0
[feed "Bomb"]
url = $h/bomb
[feed "Loop"]
url = $h/loop
[feed "To file"]
url = $h/tofile
[feed "Too many"]
url = $h/retry
[feed "Broken"]
url = $h/500
[feed "Lying charset"]
url = $ng/lying-charset.xml
[feed "Laughs"]
url = $ng/billion-laughs.xml
[feed "XXE"]
url = $ng/xxe-passwd.xml
[feed "Anti-bot"]
url = $ng/antibot.html
FEEDS
cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = watch
interval = 2s
min_interval = 1s
max_backoff = 1m
timeout = 4s
connect_timeout = 2s
CONF
db="$work/state/reewatch.db"
q() { sql "$db" "$1"; }
err_of() { q "select last_error from feeds where name = '$1'"; }

start=$(date +%s)
"$REEWATCHD" --config "$work/reewatch.conf" >"$work/d.out" 2>"$work/d.err" &
dpid=$!
pids="$pids $dpid"
sleep 11
kill -0 $dpid
ok $? "the daemon survives the hostile feeds"

goodpolls=$(grep -c "feed 'Good'" "$work/d.err")
[ "$goodpolls" -ge 4 ]
ok $? "the good feed goes on being polled ($goodpolls polls in 11 s)"
is "$(q "select count(*) from entries e join feeds f on f.id = e.feed_id where f.name = 'Good'")" 20 \
	"its 20 entries are stored once"
case $(err_of Trickle) in *[Tt]ime*) ok 0 "a 1 byte/s body times out";;
	*) ok 1 "a 1 byte/s body times out: $(err_of Trickle)";; esac
case $(err_of Huge) in *"body over"*) ok 0 "a 100 MB body is cut at the cap";;
	*) ok 1 "a 100 MB body is cut at the cap: $(err_of Huge)";; esac
case $(err_of Bomb) in *"body over"*) ok 0 "a gzip bomb is cut at the cap";;
	*) ok 1 "a gzip bomb is cut at the cap: $(err_of Bomb)";; esac
case $(err_of Loop) in *[Rr]edirect*) ok 0 "a redirect loop is an error";;
	*) ok 1 "a redirect loop is an error: $(err_of Loop)";; esac
[ -n "$(err_of 'To file')" ]
ok $? "a redirect to file:///etc/passwd is an error: $(err_of 'To file')"
case $(err_of 'Too many') in *429*) ok 0 "429 is an error";;
	*) ok 1 "429 is an error: $(err_of 'Too many')";; esac
is "$(grep -c ' /retry$' "$work/req.log")" 1 "429 with Retry-After: 120 is not asked again"
case $(err_of Anti-bot) in *HTML*) ok 0 "an HTML anti-bot page is a clear error";;
	*) ok 1 "an HTML anti-bot page is a clear error: $(err_of Anti-bot)";; esac
is "$(q "select count(*) from entries e join feeds f on f.id = e.feed_id where f.name = 'Lying charset' and e.guid = 'sm-1002' and e.title like 'Путин поручил%'")" 1 \
	"a lying Content-Type charset: the UTF-8 text is stored intact"
is "$(q "select count(*) from entries where title like '%root:%' or summary like '%root:%' or content like '%root:%'")$(q "select count(*) from feeds where title like '%root:%'")" 00 \
	"nothing from /etc/passwd reaches the store"
[ "$(q "select max(length(coalesce(e.title,'')) + length(coalesce(e.summary,''))) from entries e join feeds f on f.id = e.feed_id where f.name = 'Laughs'")" -lt 10000 ]
ok $? "billion laughs: no entity is expanded"
gaps=$(grep " /500\$" "$work/req.log" | awk 'NR > 1 { printf "%d ", ($1 - prev) * 10 } { prev = $1 }')
diag "gaps of /500 in tenths of a second: $gaps"
set -- $gaps
[ $# -ge 2 ] && [ "$2" -gt "$1" ]
ok $? "repeated 500s: the gaps grow"
is "$(q "select count(*) from feeds")" 12 "every feed has its state, none dropped"

# SIGHUP with a broken watchlist keeps the old one: hits still come.
printf '[watchlist]\nname = x\n[term t]\nregex = (\n' >"$work/watch/zz-broken.watch"
kill -HUP $dpid
wait_for 5 grep -q "keeping the running configuration" "$work/d.err"
grep -q "zz-broken.watch:4: " "$work/d.err"
ok $? "SIGHUP with a broken watchlist: FILE:LINE logged, old setup kept"
gen 25
sleep 3
is "$(q "select count(*) from hits h join entries e on e.id = h.entry_id where e.guid in ('g-21','g-22','g-23','g-24','g-25')")" 5 \
	"the old watchlists still match new entries"
rm "$work/watch/zz-broken.watch"

# kill -9 while feeds are in flight (Trickle always is), five times over a
# feed that keeps growing; then one clean poll.
n=25
for round in 1 2 3 4 5; do
	kill -9 $dpid 2>/dev/null; wait $dpid 2>/dev/null
	pids=$(echo "$pids" | sed "s/ $dpid//")
	n=$((n + 7))
	gen $n
	"$REEWATCHD" --config "$work/reewatch.conf" >/dev/null 2>>"$work/d9.err" &
	dpid=$!
	pids="$pids $dpid"
	# Not before it runs: a forked shell has not blocked SIGUSR1 yet.
	i=0
	while [ "$(grep -c 'watchlists (' "$work/d9.err")" -lt $round ] && [ $i -lt 50 ]; do
		sleep 0.05; i=$((i + 1)); done
	kill -USR1 $dpid
	sleep 0.$((round + 2))
done
kill -9 $dpid; wait $dpid 2>/dev/null
pids=$(echo "$pids" | sed "s/ $dpid//")
is "$(q "pragma integrity_check")" ok "the database is intact after kill -9"
is "$(q "select count(*) from (select feed_id, key from entries group by 1, 2 having count(*) > 1)")" 0 \
	"no entry stored twice"
"$REEWATCHD" --once --config "$work/reewatch.conf" >"$work/once.out" 2>/dev/null
is "$(q "select count(*) from entries e join feeds f on f.id = e.feed_id where f.name = 'Good'")" $n \
	"after a restart every entry is there once ($n)"
is "$(q "select count(distinct e.guid) from entries e join feeds f on f.id = e.feed_id where f.name = 'Good'")" $n \
	"none lost, none duplicated"
took=$(( $(date +%s) - start ))
diag "took $took s"
[ $took -lt 60 ]
ok $? "under a minute"
done_testing
