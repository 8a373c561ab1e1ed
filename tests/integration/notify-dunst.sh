#!/bin/sh
# notify-dunst.sh: desktop notifications against a real server: dunst
# under Xvfb on a private session bus (dbus-run-session).  The same story
# from two feeds is one notification listing both sources; nothing is
# shown twice; with no bus the deliveries wait and are reported; flood
# control folds the rest into "N more hits".  Reads what dunst displayed
# with `dunstctl history`.
. "${top_srcdir:-.}/tests/integration/lib.sh"

for t in dunst dunstctl Xvfb dbus-run-session sqlite3; do
	command -v "$t" >/dev/null 2>&1 ||
		bail "$t not found (tools/install-deps --test)"
done
PY=${PYTHON3:-python3}

d="$top_srcdir/tests/data"
mkdir -p "$work/watch"
cp "$d/watch/cycle.watch" "$work/watch/"
# Two feeds carrying the same two stories.
cat >"$work/test.feeds" <<FEEDS
[feed "Local"]
url = file:$d/cycle/state-media.xml

[feed "Other"]
url = file:$d/cycle/state-media.xml
FEEDS
conf() {	# conf RATE_LIMIT
	cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = watch
[notify]
desktop = yes
min_score = 1
rate_limit = $1
CONF
}
conf 5
db="$work/state/reewatch.db"

# Fill the outbox: one fetch cycle writes one desktop delivery per notify
# hit in the hit's transaction.  It runs without a session bus, so its own
# delivery attempt fails and they stay pending; then make them due again.
fill() {
	rm -rf "$work/state"
	env -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR -u DISPLAY \
		"$REEWATCHD" --once --config "$work/reewatch.conf" >"$work/once.out" 2>&1
	once_pending=$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE
	    channel = 'desktop' AND state = 'pending' AND attempts = 1")
	sqlite3 "$db" "UPDATE deliveries SET attempts = 0, next_attempt = 0,
	    last_error = NULL"
}
fill
is "$once_pending" 4 "reewatchd --once queued four desktop deliveries and, with no bus, kept them"
grep -q "desktop notifications wait: no session bus" "$work/once.out"
ok $? "reewatchd --once says why they wait"
is "$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE state = 'pending'")" 4 \
	"four notify hits (two stories from two feeds) pending"

# No session bus: the deliveries wait, are reported, are not lost.
out=$(env -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR -u DISPLAY \
	"$REEWATCH" --config "$work/reewatch.conf" deliver 2>&1)
is "$?" 1 "deliver without a session bus exits 1"
case $out in *"4 waiting"*"desktop: no session bus"*) ok 0 "and says why";;
	*) ok 1 "and says why: $out";; esac
is "$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE state = 'pending' AND attempts = 1")" 4 \
	"the four stay pending with one attempt counted"
out=$(env -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR \
	"$REEWATCH" --config "$work/reewatch.conf" notify-test 2>&1)
is "$?" 1 "notify-test without a bus exits 1"
case $out in "FAILED: no session bus"*) ok 0 "notify-test says what failed";;
	*) ok 1 "notify-test says what failed: $out";; esac

# libnotify is loaded at run time, only to talk to a session bus (the
# dynamic linker's LD_DEBUG=files names every library it loads).
# LIBNOTIFY_LOADED FILE: the LD_DEBUG output in FILE shows libnotify loaded.
libnotify_loaded() { grep -q 'file=libnotify\.so' "$1"; }
XDG_RUNTIME_DIR="$work/no-bus" LD_DEBUG=files \
	"$REEWATCH" --config "$work/reewatch.conf" notify-test >"$work/ld.out" 2>&1
libnotify_loaded "$work/ld.out"
ok $? "notify-test with a session bus to try loads libnotify"
env -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR LD_DEBUG=files \
	"$REEWATCH" --config "$work/reewatch.conf" notify-test >"$work/ld.out" 2>&1
! libnotify_loaded "$work/ld.out"
ok $? "with no session bus it does not load libnotify"
sed -e 's/^desktop = yes/desktop = no/' -e 's/^state_dir = state/state_dir = state-no/' \
	"$work/reewatch.conf" >"$work/no.conf"
XDG_RUNTIME_DIR="$work/no-bus" LD_DEBUG=files \
	"$REEWATCHD" --once --config "$work/no.conf" >"$work/ld.out" 2>&1
is "$?" 0 "reewatchd --once with desktop = no runs"
! libnotify_loaded "$work/ld.out"
ok $? "and never loads libnotify"
grep -q 'file=libcurl' "$work/ld.out"
ok $? "(LD_DEBUG did name the libraries it loaded)"

# libnotify missing (REEWATCH_LIBNOTIFY names another file for the test):
# the deliveries wait as for a missing bus, and the reason is given.
sqlite3 "$db" "UPDATE deliveries SET next_attempt = 0"
out=$(XDG_RUNTIME_DIR="$work/no-bus" REEWATCH_LIBNOTIFY="$work/none/libnotify.so.4" \
	"$REEWATCH" --config "$work/reewatch.conf" deliver 2>&1)
is "$?" 1 "deliver without libnotify exits 1"
case $out in *"4 waiting"*"desktop: cannot load libnotify ("*"libnotify.so.4: cannot open"*)
	ok 0 "and says that libnotify cannot be loaded";;
	*) ok 1 "and says that libnotify cannot be loaded: $out";; esac
is "$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE state = 'pending' AND attempts = 2")" 4 \
	"the four stay pending, one more attempt counted"
out=$(XDG_RUNTIME_DIR="$work/no-bus" REEWATCH_LIBNOTIFY="$work/none/libnotify.so.4" \
	"$REEWATCH" --config "$work/reewatch.conf" notify-test 2>&1)
is "$?" 1 "notify-test without libnotify exits 1"
case $out in "FAILED: cannot load libnotify ("*) ok 0 "notify-test says libnotify cannot be loaded";;
	*) ok 1 "notify-test says libnotify cannot be loaded: $out";; esac

# A session with Xvfb and dunst; $1 runs inside it, history to $2.
cat >"$work/session.sh" <<'SESSION'
disp=$(( ($$ % 400) + 100 ))
Xvfb ":$disp" -nolisten tcp >"$work/xvfb.log" 2>&1 &
xpid=$!
export DISPLAY=":$disp"
i=0
while ! [ -e "/tmp/.X11-unix/X$disp" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p "$work/dunst"
printf '[global]\n    markup = full\n    timeout = 0\n' >"$work/dunst/dunstrc"
dunst -config "$work/dunst/dunstrc" >"$work/dunst.log" 2>&1 &
dpid=$!
i=0
while ! dunstctl is-paused >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sh -c "$1"
echo "rc=$?"
sleep 0.3
dunstctl close-all
sleep 0.3
dunstctl history >"$2"
kill "$dpid" "$xpid"
wait "$dpid" "$xpid" 2>/dev/null
SESSION
session() {	# session COMMAND HISTORY-FILE
	work=$work timeout 60 dbus-run-session -- sh "$work/session.sh" "$1" "$2" 2>/dev/null
}
# Summaries and bodies from dunstctl's JSON, one "summary|body" a line.
shown() {
	"$PY" - "$1" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
for n in reversed(h["data"][0]):
    print(n["summary"]["data"] + "|" + n["body"]["data"].replace("\n", "\\n")
          + "|" + str(n.get("urgency", {}).get("data", "")))
PY
}

# The back-off has passed (as if a minute later).
sqlite3 "$db" "UPDATE deliveries SET next_attempt = 0"
out=$(session "'$REEWATCH' --config '$work/reewatch.conf' deliver" "$work/h1.json")
case $out in *"2 sent"*"rc=0"*) ok 0 "deliver sends two notifications";;
	*) ok 1 "deliver sends two notifications: $out";; esac
shown "$work/h1.json" >"$work/h1.txt"
is "$(wc -l <"$work/h1.txt" | tr -d ' ')" 2 "dunst displayed two: one per story"
# The two feeds are parsed side by side (threads): either may be first.
grep -Eq '^Mendeleev Valley: (Local|Other) \+1\|' "$work/h1.txt"
ok $? "summary: the alert, the source, and how many more sources"
grep -Eq 'Sources: (Local, Other|Other, Local)' "$work/h1.txt"
ok $? "the body lists every source of the story"
grep -q '<b>Долина Менделеева</b>' "$work/h1.txt"
ok $? "matched terms are emphasised in the snippet"
grep -q '&quot;<b>Долина' "$work/h1.txt"
ok $? "feed text is escaped for the server's markup"
is "$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE state = 'done'")" 4 \
	"all four deliveries are marked done"

# Once: a second drain shows nothing.
out=$(session "'$REEWATCH' --config '$work/reewatch.conf' deliver" "$work/h2.json")
case $out in *"0 sent"*) ok 0 "a second drain sends nothing";;
	*) ok 1 "a second drain sends nothing: $out";; esac
is "$(shown "$work/h2.json" | wc -l | tr -d ' ')" 0 "nothing shown twice"

# Flood control: one a minute, the two stories fold into one.
conf 1
fill
out=$(session "'$REEWATCH' --config '$work/reewatch.conf' deliver" "$work/h3.json")
case $out in *"0 sent, 2 folded"*) ok 0 "at the rate limit, stories are folded";;
	*) ok 1 "at the rate limit, stories are folded: $out";; esac
shown "$work/h3.json" >"$work/h3.txt"
is "$(cut -d'|' -f1 "$work/h3.txt")" "2 more hits" "one '2 more hits' notification"

# kill -9 between the commit and the send: the service dies right after
# the first feed with notify hits committed (REEWATCH_FAULT, see
# HACKING.md), before anything was shown.  The restart sends each story
# once; nothing is lost, nothing repeated.
conf 5
rm -rf "$work/state"
out=$(session "REEWATCH_FAULT=kill-after-commit '$REEWATCHD' --config '$work/reewatch.conf'" "$work/h5.json")
case $out in *"rc=137"*) ok 0 "the service was killed (SIGKILL) after a commit";;
	*) ok 1 "the service was killed (SIGKILL) after a commit: $out";; esac
is "$(shown "$work/h5.json" | wc -l | tr -d ' ')" 0 "nothing was shown before the kill"
killed_pending=$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE state = 'pending'")
[ "$killed_pending" -ge 2 ]
ok $? "the committed hits' deliveries survived the kill ($killed_pending pending)"
out=$(session "'$REEWATCHD' --once --config '$work/reewatch.conf'" "$work/h6.json")
shown "$work/h6.json" >"$work/h6.txt"
is "$(wc -l <"$work/h6.txt" | tr -d ' ')" 2 "after the restart: one notification per story"
is "$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE state = 'pending'")" 0 \
	"every delivery is done after the restart"
out=$(session "'$REEWATCHD' --once --config '$work/reewatch.conf'" "$work/h7.json")
is "$(shown "$work/h7.json" | wc -l | tr -d ' ')" 0 "and a further run shows nothing again"

# notify-test against the real server.
out=$(session "'$REEWATCH' --config '$work/reewatch.conf' notify-test" "$work/h4.json")
case $out in *"server: dunst"*"ok: test notification shown"*"rc=0"*) ok 0 "notify-test finds dunst";;
	*) ok 1 "notify-test finds dunst: $out";; esac
grep -q 'reewatch: test notification' "$work/h4.json"
ok $? "and dunst displayed the test notification"

done_testing
