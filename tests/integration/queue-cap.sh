#!/bin/sh
# queue-cap.sh: bodies that arrive faster than one worker parses them
# wait in a queue; while 64 MiB or more wait (cycle.c,
# CYCLE_QUEUED_BYTES_MAX) no new transfer starts, and once the parser
# has caught up the transfers go on.  Twelve feeds of ~30 MiB of
# HTML-rich entries from nginx, one worker, four connections: nginx
# hands over a body in milliseconds while its parse and clean take far
# longer, so the queue reaches the cap.  The cap must engage, count each body once, and
# release: every feed and entry stored, in one --once cycle and in the
# service's first round.
. "${top_srcdir:-.}/tests/integration/lib.sh"

# The feeds exist only gzipped: nginx must send FILE.gz for FILE.
if ! "$(find_nginx)" -V 2>&1 | grep -q gzip_static; then
	cleanup
	echo "1..1"
	echo "ok 1 # SKIP this nginx has no gzip_static module"
	exit 0
fi

n_feeds=12
n_items=400
mkdir -p "$work/www"
# ~30 MiB a feed once inflated, ~1.7 MB on disk.
"${PYTHON3:-python3}" - "$work/www" "$n_feeds" "$n_items" <<'PY'
import gzip, sys
out, n_feeds, n_items = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# Markup the workers must parse and clean, with little text to store.
body = "".join("<p><span class='w%d'><b></b><i></i></span></p>" % w
               for w in range(1700))
for f in range(n_feeds):
    with gzip.open("%s/big%d.xml.gz" % (out, f), "wt", encoding="utf-8",
                   compresslevel=6) as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">'
                 "<channel><title>Big %d</title>\n" % f)
        for e in range(n_items):
            extra = ("<p>Rosatom and rare earths in Mendeleev Valley.</p>"
                     if e % 50 == 0 else "")
            fh.write("<item><title>Big %d entry %d</title>"
                     "<link>http://news.test/%d/%d</link><guid>b%d-%d</guid>"
                     "<description><![CDATA[%s%s]]></description></item>\n"
                     % (f, e, f, e, f, e, body, extra))
        fh.write("</channel></rss>\n")
PY
chmod -R a+rX "$work/www"
size=$(gzip -dc "$work/www/big0.xml.gz" | wc -c)
diag "feed size: $size bytes inflated, $(stat -c %s "$work/www/big0.xml.gz") on the wire"
start_nginx "$work/www" "location ~ ^/big { gzip_static on; }"
base="http://127.0.0.1:$nginx_port"

: >"$work/big.feeds"
i=0
while [ $i -lt $n_feeds ]; do
	printf '[feed "big%d"]\nurl = %s/big%d.xml\n' $i "$base" $i >>"$work/big.feeds"
	i=$((i + 1))
done
for mode in once svc; do
	mkdir -p "$work/$mode/state"
	cat >"$work/$mode/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = $work/big.feeds
watchlists = $top_srcdir/watchlists
threads = 1
max_connections = 4
max_per_host = 4
max_body_size = 48M
interval = 1h
[notify]
desktop = no
CONF
done

# check_queue LOG MODE: the cap engaged, and each time it did the bytes
# it counted were no more than the bodies fetched so far (the "fetch:
# ... N bytes" lines before it): a body counted twice would show here.
# A body never taken off the count stalls the round (the counts below).
check_queue() {
	full=$(grep -c 'bodies wait for the parser: no new transfer' "$1")
	ok "$(test "$full" -ge 1 && echo 0 || echo 1)" \
		"$2: the queue reached the cap ($full times)"
	over=$(awk '/fetch: .* status 200 [0-9]+ bytes/ {
			for (i = 1; i < NF; i++) if ($(i + 1) == "bytes") got += $i
		}
		/bodies wait for the parser: no new/ {
			for (i = 1; i < NF; i++) if ($(i + 1) == "bytes") q = $i
			if (q < 64 * 1048576 || q > got) print q " of " got
		}' "$1")
	is "$over" "" "$2: it engaged at 64 MiB, counting only bodies fetched"
}

timeout 120 "$REEWATCHD" --once -v --config "$work/once/reewatch.conf" >"$work/once/out" 2>"$work/once/err"
ok $? "--once: the cycle exits 0 ($(tail -1 "$work/once/err"))"
check_queue "$work/once/err" "--once"
grep -q "cycle: $n_feeds feeds, $n_feeds ok" "$work/once/err"
ok $? "--once: every feed ok"
is "$(grep -c "^feed '" "$work/once/out")" "$n_feeds" "--once: one report line a feed"
is "$(grep -c "^feed 'big[0-9]*': $n_items entries (RSS 2.0, UTF-8), $n_items new" "$work/once/out")" \
	"$n_feeds" "--once: each feed stored all its $n_items entries"
is "$(sql "$work/once/state/reewatch.db" 'select count(*) from entries')" \
	$((n_feeds * n_items)) "--once: every entry stored"
is "$(sql "$work/once/state/reewatch.db" 'select count(distinct entry_id) from hits')" \
	$((n_feeds * n_items / 50)) "--once: the entries naming Rosatom are hits"

"$REEWATCHD" -v --config "$work/svc/reewatch.conf" >"$work/svc/out" 2>"$work/svc/err" &
dpid=$!
pids="$pids $dpid"
wait_for 120 grep -q "polled $n_feeds feeds" "$work/svc/err"
ok $? "service: the first round ends ($(grep -m1 'polled ' "$work/svc/err"))"
grep -q "polled $n_feeds feeds: $n_feeds ok" "$work/svc/err"
ok $? "service: ... with every feed ok"
check_queue "$work/svc/err" "service"
grep -q 'bodies wait for the parser: under the cap again' "$work/svc/err"
ok $? "service: ... and it released"
is "$(sql "$work/svc/state/reewatch.db" 'select count(*) from entries')" \
	$((n_feeds * n_items)) "service: every entry stored"
kill $dpid
wait_for 5 sh -c "! kill -0 $dpid 2>/dev/null"
ok $? "service: SIGTERM while idle: out within 5 s"
wait $dpid
ok $? "service: exits 0"

done_testing
