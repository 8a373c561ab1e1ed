#!/bin/sh
# threads.sh: the worker threads change nothing but speed.  One first
# cycle from nginx over the parser's fixture feeds (every format, odd
# encodings, broken documents) and generated REE news, matched against
# the shipped watchlists, with threads = 0 (the loop parses and matches
# itself), 1 and 4: the same report lines, entries and hits each time.
# Then a second cycle with a changed feed: only its new entry, in both.
# With REEWATCH_HELGRIND=/path/to/valgrind (make check-valgrind) the runs
# with 4 threads go through helgrind, and any data race fails them.
. "${top_srcdir:-.}/tests/integration/lib.sh"

wrap() {	# wrap THREADS: the command line prefix for that run
	if [ -n "${REEWATCH_HELGRIND:-}" ] && [ "$1" -gt 1 ]; then
		echo "$REEWATCH_HELGRIND --tool=helgrind -q --error-exitcode=98 --suppressions=$top_srcdir/tests/helgrind.supp"
	fi
}
under() {	# under THREADS RUN: "(under helgrind)" and its first race
	[ -n "$(wrap "$1")" ] || return 0
	echo "(under helgrind) $(grep -m1 -A4 'Possible data race' "$work/t$1/$2.err")"
}

mkdir -p "$work/www"
cp "$top_srcdir"/tests/data/feeds/*.xml "$work/www/"
for f in "$top_srcdir"/tests/data/cycle/*.xml; do
	cp "$f" "$work/www/cycle-$(basename "$f")"
done
"${PYTHON3:-python3}" - "$work/www" <<'PY'
import random, sys
out = sys.argv[1]
rnd = random.Random(7)
plain = ("the of and to in is that for it as was with be by on not this "
         "council school road weather season club bridge report morning "
         "week month budget court election museum music book family").split()
terms = ["rare earths", "Rosatom", "Mendeleev Valley", "neodymium magnets",
         "export controls", "MOFCOM", "Kazakhstan", "dysprosium",
         "редкоземельных металлов", "Росатом", "Менделеевская долина",
         "稀土", "出口管制", "Lynas", "permanent magnets"]
for f in range(40):
    items = []
    for e in range(25):
        words = [rnd.choice(plain) for _ in range(rnd.randint(20, 200))]
        for t in rnd.sample(terms, rnd.randint(0, 3)):
            words.insert(rnd.randrange(len(words)), t)
        title = " ".join(words[:8])
        items.append("<item><title>%s</title><link>http://news.test/%d/%d</link>"
                     "<guid>g%d-%d</guid><description>&lt;p&gt;%s&lt;/p&gt;"
                     "</description></item>\n"
                     % (title, f, e, f, e, " ".join(words)))
    with open("%s/gen%d.xml" % (out, f), "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">'
                 "<channel><title>Generated %d</title>\n%s</channel></rss>\n"
                 % (f, "".join(items)))
PY
chmod -R a+rX "$work/www"
start_nginx "$work/www"
base="http://127.0.0.1:$nginx_port"

: >"$work/all.feeds"
for f in "$work"/www/*.xml; do
	n=$(basename "$f" .xml)
	printf '[feed "%s"]\nurl = %s/%s.xml\n' "$n" "$base" "$n" >>"$work/all.feeds"
done
n_feeds=$(grep -c '^\[feed' "$work/all.feeds")

# The stored outcome, without ids or times.
dump() {
	sql "$1" "select f.name, e.key, e.title, e.link, e.summary, e.content
		from entries e join feeds f on f.id = e.feed_id order by 1, 2"
	sql "$1" "select f.name, e.key, h.watchlist, h.alert, h.score, h.terms,
		h.spans, h.snippet from hits h join entries e on e.id = h.entry_id
		join feeds f on f.id = e.feed_id order by 1, 2, 3, 4"
}

for t in 0 1 4; do
	mkdir -p "$work/t$t/state"
	cat >"$work/t$t/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = $work/all.feeds
watchlists = $top_srcdir/watchlists
threads = $t
[notify]
desktop = no
CONF
	$(wrap $t) "$REEWATCHD" --once --config "$work/t$t/reewatch.conf" >"$work/t$t/run1.out" 2>"$work/t$t/run1.err"
	ok $? "threads = $t: the first cycle exits 0 $(under $t run1)"
	is "$(grep -c "^feed '" "$work/t$t/run1.out")" "$n_feeds" "threads = $t: a report line for each of the $n_feeds feeds"
	sed 's/ in [0-9.]*s$//' "$work/t$t/run1.out" | grep "^feed '" | sort >"$work/t$t/lines"
	dump "$work/t$t/state/reewatch.db" >"$work/t$t/dump"
done

n_entries=$(sql "$work/t0/state/reewatch.db" 'select count(*) from entries')
n_hits=$(sql "$work/t0/state/reewatch.db" 'select count(*) from hits')
ok "$(test "$n_entries" -ge 1000 && echo 0 || echo 1)" "threads = 0: $n_entries entries stored"
ok "$(test "$n_hits" -ge 100 && echo 0 || echo 1)" "threads = 0: $n_hits hits stored"
grep -q "error: " "$work/t0/lines"
ok $? "the broken fixtures are errors: $(grep -c 'error: ' "$work/t0/lines") of them"
for t in 1 4; do
	cmp -s "$work/t0/lines" "$work/t$t/lines"
	ok $? "threads = $t: the report lines of threads = 0 ($(diff "$work/t0/lines" "$work/t$t/lines" | head -3))"
	cmp -s "$work/t0/dump" "$work/t$t/dump"
	ok $? "threads = $t: the entries and hits of threads = 0"
done

# A changed feed: the next cycle brings its new entry only.
sed -i "/<\/channel>/e cat $top_srcdir/tests/data/cycle/added-item.xml" "$work/www/cycle-state-media.xml"
touch -d '+1 minute' "$work/www/cycle-state-media.xml"
for t in 0 4; do
	$(wrap $t) "$REEWATCHD" --once --config "$work/t$t/reewatch.conf" >"$work/t$t/run2.out" 2>"$work/t$t/run2.err"
	ok $? "threads = $t: the second cycle exits 0 $(under $t run2)"
	grep -q "^feed 'cycle-state-media': 4 entries (RSS 2.0, UTF-8), 1 new" "$work/t$t/run2.out"
	ok $? "threads = $t: the changed feed brings its one new entry: $(grep "'cycle-state-media'" "$work/t$t/run2.out")"
	is "$(sql "$work/t$t/state/reewatch.db" 'select count(*) from entries')" "$((n_entries + 1))" \
		"threads = $t: one entry more, none twice"
done

# The service in the middle of a round: a SIGHUP (the pool is drained,
# the bodies in the workers' hands dropped and fetched again) and a
# SIGTERM (the same, then out within 5 s).  Nothing lost, nothing twice:
# in the end the store holds what the two --once cycles of threads = 0 did.
dump "$work/t0/state/reewatch.db" >"$work/t0/dump2"
n_all=$(sql "$work/t0/state/reewatch.db" 'select count(*) from entries')
count() { sql "$work/svc/state/reewatch.db" 'select count(*) from entries' 2>/dev/null; }
mkdir -p "$work/svc/state"
sed 's/^threads = .*/threads = 2/' "$work/t4/reewatch.conf" >"$work/svc/reewatch.conf"
"$REEWATCHD" --config "$work/svc/reewatch.conf" >"$work/svc/d.out" 2>"$work/svc/d.err" &
dpid=$!
pids="$pids $dpid"
wait_for 20 grep -q "^reewatchd: feed '" "$work/svc/d.err"
kill -HUP $dpid
wait_for 20 grep -q "reloaded: $n_feeds feeds" "$work/svc/d.err"
ok $? "a SIGHUP in the middle of a round reloads"
all_stored() { [ "$(count)" = "$n_all" ]; }
wait_for 60 all_stored
ok $? "every feed is stored in the end ($(count) of $n_all entries)"
sleep 1
dump "$work/svc/state/reewatch.db" >"$work/svc/dump"
cmp -s "$work/t0/dump2" "$work/svc/dump"
ok $? "the same entries and hits as without threads, none twice"
kill $dpid
wait_for 5 sh -c "! kill -0 $dpid 2>/dev/null"
ok $? "SIGTERM: out within 5 s"

rm -rf "$work/svc/state" && mkdir -p "$work/svc/state"
"$REEWATCHD" --config "$work/svc/reewatch.conf" >"$work/svc/d.out" 2>"$work/svc/d2.err" &
dpid=$!
pids="$pids $dpid"
wait_for 20 grep -q "^reewatchd: feed '" "$work/svc/d2.err"
kill $dpid
wait_for 5 sh -c "! kill -0 $dpid 2>/dev/null"
ok $? "SIGTERM in the middle of a round: out within 5 s"
wait $dpid
ok $? "and exits 0 ($(grep -m1 'stopping with' "$work/svc/d2.err"))"
"$REEWATCHD" --once --config "$work/svc/reewatch.conf" >/dev/null 2>&1
dump "$work/svc/state/reewatch.db" >"$work/svc/dump"
cmp -s "$work/t0/dump2" "$work/svc/dump"
ok $? "the next start stores the rest: the same entries and hits, none twice ($(count) of $n_all)"

# A round is one round: with a small connection cap the feeds go in many
# batches, and the loop starts the next transfers while the workers parse
# and match; the round ends once, when nothing is in flight or due (one
# summary line).  With threads = 0 the loop parses and matches itself and
# must not wait for a wake-up that no worker sends.  Then, between
# rounds, the search index catches up in slices, all of it.
for t in 2 0; do
	rm -rf "$work/svc/state" && mkdir -p "$work/svc/state"
	sed "s/^threads = .*/threads = $t\nmax_connections = 2/" "$work/t4/reewatch.conf" >"$work/svc/small.conf"
	"$REEWATCHD" --config "$work/svc/small.conf" >"$work/svc/d.out" 2>"$work/svc/d3.err" &
	dpid=$!
	pids="$pids $dpid"
	wait_for 30 grep -q "polled " "$work/svc/d3.err"
	ok $? "threads = $t, 2 connections: the first round ends within 30 s"
	indexed() { [ "$(sql "$work/svc/state/reewatch.db" 'select count(*) from entries_fts_pending')" = 0 ]; }
	wait_for 60 indexed
	ok $? "threads = $t: the search index catches up between rounds ($(sql "$work/svc/state/reewatch.db" 'select count(*) from entries_fts_pending') entries left)"
	is "$(grep -c 'polled ' "$work/svc/d3.err")" 1 "threads = $t: the first round is one round"
	grep -q "polled $n_feeds feeds: " "$work/svc/d3.err"
	ok $? "threads = $t: ... of all $n_feeds feeds: $(grep -m1 'polled ' "$work/svc/d3.err")"
	is "$(sql "$work/svc/state/reewatch.db" "select count(*) from entries_fts where entries_fts match '\"Mendeleev Valley\"'")" \
		"$(sql "$work/svc/state/reewatch.db" "select count(*) from entries where title || ' ' || coalesce(summary, '') || ' ' || coalesce(content, '') like '%Mendeleev Valley%'")" \
		"threads = $t: the index finds what the entries hold"
	kill $dpid
	wait_for 5 sh -c "! kill -0 $dpid 2>/dev/null"
	ok $? "threads = $t: SIGTERM while idle: out within 5 s"
	wait $dpid
done

done_testing
