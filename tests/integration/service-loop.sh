#!/bin/sh
# service-loop.sh: reewatchd as a service: the scheduler (interval, 304s,
# growing gaps on failures, Retry-After), signals (SIGUSR1 polls now,
# SIGHUP reloads and keeps the old setup when the new one is broken,
# SIGTERM stops within 5 s) and sd_notify (READY, STATUS, WATCHDOG,
# RELOADING + MONOTONIC_USEC, STOPPING) through a NOTIFY_SOCKET listener.
. "${top_srcdir:-.}/tests/integration/lib.sh"

py=${PYTHON3:-python3}
command -v "$py" >/dev/null || bail "python3 not found"
command -v sqlite3 >/dev/null || bail "sqlite3 not found (apt-get install sqlite3)"
mkdir -p "$work/state" "$work/watch"

# The hostile server, logging each request's time and path.
start_hostile "$work/req.log"
base=$hostile_url

# A NOTIFY_SOCKET listener (abstract namespace, as systemd may use).
sock="@reewatch-test-$$"
"$py" - "$sock" "$work/notify.log" <<'PY' &
import socket, sys
name, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:])
with open(out, "a") as f:
    f.write("LISTENING\n"); f.flush()
    while True:
        msg = s.recv(4096).decode()
        f.write(msg.replace("\n", " | ") + "\n")
        f.flush()
PY
pids="$pids $!"
wait_for 5 grep -q LISTENING "$work/notify.log" 2>/dev/null ||
	bail "notify listener did not start"

cp "$top_srcdir/tests/data/watch/cycle.watch" "$work/watch/"
cat >"$work/test.feeds" <<FEEDS
[feed "Good"]
url = $base/feed.xml
[feed "Broken"]
url = $base/500
[feed "Busy"]
url = $base/retry
[feed "Moved"]
url = $base/perm
[feed "Private"]
url = $base/auth
header = X-Api-Key: k3y-123
username = u
password_file = private.pw
FEEDS
printf 's3cret-pw\n' >"$work/private.pw"
cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = watch
interval = 2s
min_interval = 1s
max_backoff = 1m
timeout = 5s
connect_timeout = 2s
CONF
db="$work/state/reewatch.db"
count() { grep -c " $1\$" "$work/req.log" 2>/dev/null || echo 0; }

start=$(date +%s)
NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 "$REEWATCHD" --config "$work/reewatch.conf" \
	>"$work/d.out" 2>"$work/d.err" &
dpid=$!
pids="$pids $dpid"

wait_for 5 grep -q "^READY=1" "$work/notify.log"
ok $? "READY=1 once config and store are open"
grep -q "interval 2s is under a minute" "$work/d.err"
ok $? "an interval under a minute is warned about"
sleep 9
grep -q "^STATUS=5 feeds" "$work/notify.log"
ok $? "STATUS= one-line summary: $(grep STATUS= "$work/notify.log" | tail -1)"
grep -q "^WATCHDOG=1" "$work/notify.log"
ok $? "WATCHDOG=1 with WATCHDOG_USEC set"

n=$(grep -c "feed 'Good'" "$work/d.err")
[ "$n" -ge 4 ] && [ "$n" -le 7 ]
ok $? "the good feed is polled every 2s +-10% ($n polls in ~9 s)"
grep -q "feed 'Good': not modified (304)" "$work/d.err"
ok $? "later polls of the good feed are 304s"
is "$(sql "$db" "select count(*) from entries e join feeds f on f.id = e.feed_id where f.name = 'Good'")" 1 \
	"its entry is stored once"
is "$(sql "$db" "select count(*) from feeds where name = 'Private' and last_success is not null")" 1 \
	"a feed with its own header and credentials (password_file) is polled"
! grep -q "s3cret-pw\|k3y-123" "$work/d.err" "$work/d.out"
ok $? "neither the password nor the header value is logged"
grep -q "feed 'Moved': moved permanently to $base/feed.xml" "$work/d.err"
ok $? "a 301 is logged with its target"
is "$(sql "$db" "select current_url from feeds where name = 'Moved'")" "$base/feed.xml" \
	"and the stored URL follows it"

# The failing feed's gaps grow: 2 s, 4 s, 8 s ...
gaps=$(grep " /500\$" "$work/req.log" | awk 'NR > 1 { printf "%d ", ($1 - prev) * 10 } { prev = $1 }')
diag "gaps of /500 in tenths of a second: $gaps"
set -- $gaps
[ $# -ge 2 ] && [ "$2" -gt "$1" ]
ok $? "a failing feed's gaps grow"
[ $# -ge 1 ] && [ "$1" -ge 15 ]
ok $? "its first retry waits about an interval"
is "$(count /retry)" 1 "429 with Retry-After: 120 is not polled again within 9 s"
nx=$(sql "$db" "select next_poll - last_attempt from feeds where name = 'Busy'")
[ "$nx" -ge 119 ] && [ "$nx" -le 135 ]
ok $? "its stored next poll honours Retry-After ($nx s)"
[ "$(sql "$db" "select failures from feeds where name = 'Broken'")" -ge 2 ]
ok $? "consecutive failures are counted"

# SIGUSR1: every feed now.
before=$(count /retry)
kill -USR1 $dpid
wait_for 3 sh -c "[ \$(grep -c ' /retry\$' '$work/req.log') -gt $before ]"
ok $? "SIGUSR1 polls every feed now, even one that waits"

# SIGHUP with a broken watchlist: the old setup keeps running.
cat >"$work/watch/broken.watch" <<'WATCH'
[watchlist]
name = broken

[term bad]
regex = (unclosed
WATCH
kill -HUP $dpid
wait_for 5 grep -q "keeping the running configuration" "$work/d.err"
ok $? "a broken reload keeps the running configuration"
grep -q "broken.watch:[0-9]*: " "$work/d.err"
ok $? "and names FILE:LINE: $(grep broken.watch: "$work/d.err" | head -1)"
grep -q "^RELOADING=1 | MONOTONIC_USEC=[0-9]" "$work/notify.log"
ok $? "RELOADING=1 with MONOTONIC_USEC"
[ "$(grep -A10 '^RELOADING=1' "$work/notify.log" | grep -c '^READY=1')" -ge 1 ]
ok $? "READY=1 after the reload"
kill -0 $dpid
ok $? "the daemon is still running"
before=$(count /feed.xml)
wait_for 4 sh -c "[ \$(grep -c ' /feed.xml\$' '$work/req.log') -gt $before ]"
ok $? "and still polling"

# A good reload: a new feed is polled at once.
rm "$work/watch/broken.watch"
cat >>"$work/test.feeds" <<FEEDS
[feed "New"]
url = $base/lm-only
FEEDS
kill -HUP $dpid
wait_for 5 grep -q "reloaded: 6 feeds" "$work/d.err"
ok $? "SIGHUP reloads the feed lists"
wait_for 4 grep -q " /lm-only\$" "$work/req.log"
ok $? "the new feed is polled"

# SIGTERM: out within 5 s, exit 0, STOPPING=1.
kill -TERM $dpid
t0=$(date +%s)
wait $dpid
st=$?
t1=$(date +%s)
is "$st" 0 "SIGTERM: exit 0"
[ $((t1 - t0)) -le 5 ]
ok $? "stopped within 5 s ($((t1 - t0)) s)"
grep -q "^STOPPING=1" "$work/notify.log"
ok $? "STOPPING=1 on the way out"
pids=$(echo "$pids" | sed "s/ $dpid//")

# The schedule survives a restart: the Busy feed is not polled at once.
before=$(count /retry)
"$REEWATCHD" --config "$work/reewatch.conf" >/dev/null 2>"$work/d2.err" &
dpid=$!
pids="$pids $dpid"
sleep 2
is "$(count /retry)" "$before" "after a restart, a feed still waiting on Retry-After is not polled"
kill -TERM $dpid; wait $dpid
pids=$(echo "$pids" | sed "s/ $dpid//")

# reewatch feeds: the health of each feed.
"$REEWATCH" --config "$work/reewatch.conf" feeds >"$work/feeds.out" 2>&1
ok $? "reewatch feeds exits 0"
sed 's/^/# /' "$work/feeds.out"
grep -A6 "^Broken" "$work/feeds.out" | grep -q "failures: [0-9]"
ok $? "feeds shows consecutive failures"
grep -A6 "^Broken" "$work/feeds.out" | grep -q "next poll: "
ok $? "feeds shows the next poll"
grep -A6 "^Busy" "$work/feeds.out" | grep -q "HTTP 429"
ok $? "feeds shows the last status"
diag "took $(( $(date +%s) - start )) s"
done_testing
