#!/bin/sh
# watch-cli.sh: `reewatch test` and `reewatch backtest` as an analyst
# uses them: a shipped watchlist over a feed file and over text on stdin,
# what it prints about why an entry hit, an edited watchlist against the
# hits a cycle stored, and the exit codes (1 unreadable input, 78 a broken
# watchlist with FILE:LINE:COLUMN, 2 usage).
. "${top_srcdir:-.}/tests/integration/lib.sh"

wl="$top_srcdir/watchlists"

cat >"$work/feed.xml" <<'FEED'
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test</title><link>http://x/</link>
<item><title>Китай ограничил экспорт диспрозия</title>
<link>http://x/1</link><guid>1</guid>
<description>Пекин ввёл лицензии на вывоз редкоземельных металлов.</description></item>
<item><title>Rare earthenware show opens</title><link>http://x/2</link>
<guid>2</guid><description>Pottery from Europe and the Lanthorn studio.</description></item>
<item><title>NdFeB magnet plant</title><link>http://x/3</link><guid>3</guid>
<description>The rare-earth permanent magnets plant.</description></item>
</channel></rss>
FEED

out=$("$REEWATCH" test "$wl/ree-core.watch" "$work/feed.xml")
ok $? "test: a feed file exits 0"
echo "$out" | sed 's/^/# /'
case $out in *"#1: Китай ограничил экспорт диспрозия"*) ok 0 "names the entry that hit";;
	*) ok 1 "names the entry that hit";; esac
case $out in *'HIT ree-core / "Rare-earth element named"'*) ok 0 "names the alert";;
	*) ok 1 "names the alert";; esac
case $out in *"title 45-63 dysprosium: Китай ограничил экспорт [диспрозия]"*)
	ok 0 "shows the span, its term and its context";;
	*) ok 1 "shows the span, its term and its context";; esac
case $out in *"редкоземельных"*) ok 0 "the body's Russian case form hits";;
	*) ok 1 "the body's Russian case form hits";; esac
case $out in *"#2:"*) ok 1 "earthenware, Europe, Lanthorn do not hit";;
	*) ok 0 "earthenware, Europe, Lanthorn do not hit";; esac
case $out in *'"NdFeB magnets"'*'"Rare-earth permanent magnets"'*)
	ok 0 "magnet alerts on the third entry";;
	*) ok 1 "magnet alerts on the third entry";; esac
case $out in *"3 entries, 2 with hits"*) ok 0 "sums up";;
	*) ok 1 "sums up";; esac

# Text on stdin: the first line is the title.
out=$(printf '稀土出口\n中國限制釹和鏑的出口\n' | "$REEWATCH" test "$wl/ree-core.watch")
ok $? "test: text on stdin exits 0"
case $out in *"neodymium"*"dysprosium"*|*"dysprosium"*"neodymium"*)
	ok 0 "Traditional Chinese element names hit";;
	*) ok 1 "Traditional Chinese element names hit: $out";; esac
out=$(echo "nothing to see" | "$REEWATCH" test "$wl/ree-core.watch" -)
ok $? "test: '-' reads stdin"
is "$out" "1 entry, 0 with hits, 0 hits" "no hit, one summary line"

# NEAR in an ad-hoc watchlist.
cat >"$work/near.watch" <<'WATCH'
[watchlist]
name = near
[term ree]
match = rare earth*
[term export]
match = export*
match = экспорт*
[alert "export near"]
query = ree NEAR/3 export
WATCH
out=$(printf 'China curbs rare earth exports\n' | "$REEWATCH" test "$work/near.watch")
case $out in *'"export near"'*) ok 0 "NEAR/3 fires";; *) ok 1 "NEAR/3 fires";; esac
out=$(printf 'rare earth prices rose sharply again this week after the new export rules\n' | "$REEWATCH" test "$work/near.watch")
case $out in *'"export near"'*) ok 1 "NEAR/3 stays quiet when far";;
	*) ok 0 "NEAR/3 stays quiet when far";; esac

# A broken watchlist: 78 and FILE:LINE:COLUMN with what was expected.
cat >"$work/broken.watch" <<'WATCH'
[watchlist]
name = broken
[term a]
match = a
[alert "x"]
query = a NEAR a
WATCH
"$REEWATCH" test "$work/broken.watch" "$work/feed.xml" >"$work/out" 2>"$work/err"
is $? 78 "test: a broken watchlist exits 78"
grep -q "broken.watch:6:11: alert 'x': query: expected NEAR/n" "$work/err"
ok $? "the message has file:line:column: $(head -1 "$work/err")"

"$REEWATCH" test "$wl/ree-core.watch" "$work/no-such.xml" >"$work/out" 2>"$work/err"
is $? 1 "test: an unreadable input exits 1"
grep -q "no-such.xml" "$work/err"
ok $? "and names it"

"$REEWATCH" test >"$work/out" 2>"$work/err"
is $? 2 "test: no watchlist is a usage error"

# backtest: a store filled by one cycle, then edited watchlists against
# what it stored.
d="$top_srcdir/tests/data"
mkdir -p "$work/bt/watch"
cp "$d/watch/cycle.watch" "$work/bt/watch/"
cat >"$work/bt/test.feeds" <<FEEDS
[feed "Local"]
url = file:$d/cycle/state-media.xml
FEEDS
cat >"$work/bt/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = watch
CONF
"$REEWATCHD" --once --config "$work/bt/reewatch.conf" >/dev/null 2>&1
ok $? "reewatchd --once fills a store"
out=$("$REEWATCH" --config "$work/bt/reewatch.conf" backtest \
	"$work/bt/watch/cycle.watch" --since 5000d)
ok $? "backtest: exits 0"
is "$(echo "$out" | tail -1)" \
	"cycle-test: 3 entries, 2 hits now, 2 stored: 0 added, 0 dropped, 2 unchanged" \
	"the active watchlist itself changes nothing"
# Looser: Putin alone.  Stricter: no Mendeleev Valley alert.
sed -e 's/^query = Putin AND ree/query = Putin/' \
	-e 's/^query = "Mendeleev Valley"/query = "Mendeleev Valley" AND Putin/' \
	"$work/bt/watch/cycle.watch" >"$work/bt/edited.watch"
out=$("$REEWATCH" --config "$work/bt/reewatch.conf" backtest --since 5000d \
	"$work/bt/edited.watch")
ok $? "backtest: an edited watchlist exits 0"
echo "$out" | sed 's/^/# /'
case $out in *'ADD  "Putin on REE"'*"Путин провёл совещание"*) ok 0 "names the hit it adds";;
	*) ok 1 "names the hit it adds";; esac
case $out in *'DROP "Mendeleev Valley"'*"Долина Менделеева"*) ok 0 "names the hit it drops";;
	*) ok 1 "names the hit it drops";; esac
is "$(echo "$out" | tail -1)" \
	"cycle-test: 3 entries, 2 hits now, 2 stored: 1 added, 1 dropped, 1 unchanged" \
	"and sums up"
"$REEWATCH" --config "$work/bt/reewatch.conf" backtest "$work/broken.watch" \
	>"$work/out" 2>"$work/err"
is $? 78 "backtest: a broken watchlist exits 78"
"$REEWATCH" --config "$work/bt/reewatch.conf" backtest "$work/bt/edited.watch" \
	--since soon >"$work/out" 2>"$work/err"
is $? 2 "backtest: a bad duration is a usage error"

# search: the query language over the store, narrowed by the index.
conf="$work/bt/reewatch.conf"
out=$("$REEWATCH" --config "$conf" search 'редкоземельн* AND (Путин* OR Rosatom)')
ok $? "search: exits 0"
echo "$out" | sed 's/^/# /'
case $out in *"Путин поручил утвердить дорожную карту"*"terms: редкоземельн*, Путин*"*)
	ok 0 "finds the entry and says which phrases matched";;
	*) ok 1 "finds the entry and says which phrases matched";; esac
is "$(echo "$out" | tail -1)" "1 of 2 entries from the index match" \
	"the trigram index narrowed 3 entries to 2, the matcher kept 1"
out=$("$REEWATCH" --config "$conf" search 'rare earth* OR "Долина Менделеева"' --since 5000d)
case $out in *"Ксения Шойгу возглавила фонд"*) ok 0 "quoted phrases, bare words as one phrase";;
	*) ok 1 "quoted phrases, bare words as one phrase: $out";; esac
out=$("$REEWATCH" --config "$conf" search 'Путин NEAR/3 дорожн*')
case $out in *"Путин поручил"*"1 of "*) ok 0 "NEAR in search";;
	*) ok 1 "NEAR in search: $out";; esac
out=$("$REEWATCH" --config "$conf" search 'Путин NEAR/1 дорожн*')
case $out in *"0 of "*) ok 0 "NEAR/1 is too close";; *) ok 1 "NEAR/1 is too close: $out";; esac
out=$("$REEWATCH" --config "$conf" search '稀土 OR Путин')
case $out in *"of 3 entries match") ok 0 "a phrase the index cannot hold reads every entry";;
	*) ok 1 "a phrase the index cannot hold reads every entry: $out";; esac
"$REEWATCH" --config "$conf" search 'a AND' >"$work/out" 2>"$work/err"
is $? 2 "search: a broken query is a usage error"
grep -q "expected a term name, NOT or (, found the end of the query" "$work/err"
ok $? "and says what was expected: $(cat "$work/err")"
db="$work/bt/state/reewatch.db"
is "$(sql "$db" "SELECT count(*) FROM entries_fts WHERE entries_fts MATCH 'Менделеева'")" 1 \
	"triggers keep the index in step with new entries"
# A store from before the index: the migration step fills it from the
# entries already there.
v=$(sql "$db" "PRAGMA user_version")
sql "$db" "DROP TRIGGER entries_fts_ai; DROP TRIGGER entries_fts_ad;
	DROP TRIGGER entries_fts_au; DROP TABLE entries_fts;
	PRAGMA user_version = $((v - 1));"
out=$("$REEWATCH" --config "$conf" search 'редкоземельн* AND (Путин* OR Rosatom)')
is "$(echo "$out" | tail -1)" "1 of 2 entries from the index match" \
	"an older store gets the index, filled, when it is opened"
is "$(sql "$db" "PRAGMA user_version")" "$v" "at the current schema version"

done_testing
