#!/bin/sh
# shipped-data.sh: the feed lists and watchlists we ship load cleanly, name
# the sources they must, and the offline demo of the README finds the
# stories it was written to find (and not the false friends).
. "${top_srcdir:-.}/tests/integration/lib.sh"

cat >"$work/shipped.conf" <<CONF
[daemon]
state_dir = state
feeds = $top_srcdir/feeds
watchlists = $top_srcdir/watchlists
CONF
out=$("$REEWATCH" --config "$work/shipped.conf" check 2>&1)
ok $? "the shipped feeds and watchlists pass check: $out"

# Every source the foundation issue names is in the shipped feed lists.
for src in 'tass.ru' 'tass.com' 'kommersant.ru/RSS/news.xml' 'section-economics' \
	'interfax.ru' 'ria.ru' 'rbc.ru' 'vedomosti.ru' 'themoscowtimes.com' \
	'government.ru' 'kremlin.ru/events' 'en.kremlin.ru' 'news.cn' 'globaltimes.cn' \
	'mining.com' 'jamestown.org' 'state.gov' 'uzdaily.uz' 'site(:|%3A)iea.org' \
	'site(:|%3A)mofcom.gov.cn'; do
	grep -Eqi "url = .*$src" "$top_srcdir"/feeds/*.feeds
	ok $? "a shipped feed for $src"
done
for dead in 'iea.org/rss' 'chinadaily.com.cn/rss'; do
	! grep -qi "url = .*$dead" "$top_srcdir"/feeds/*.feeds
	ok $? "no feed marked dead or stale: $dead"
done

# The offline demo of the README.
cp -r "$top_srcdir/examples" "$work/demo"
cp -r "$top_srcdir/watchlists" "$work/watchlists"
chmod -R u+w "$work/demo" "$work/watchlists"
"$REEWATCHD" --once --config "$work/demo/reewatch.conf" >"$work/demo.out" 2>"$work/demo.err"
ok $? "the demo cycle runs offline and exits 0"
sed 's/^/# /' "$work/demo.out"
! grep -q "error:" "$work/demo.out"
ok $? "no demo feed fails"
"$REEWATCH" --config "$work/demo/reewatch.conf" hits --json >"$work/demo.json"
ok $? "hits of the demo"
"${PYTHON3:-python3}" - "$work/demo.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
titles = " | ".join(r["title"] for r in rows)
assert len(rows) >= 6, titles
assert any("шойгу" in (r["title"] + r["snippet"]).lower() or
           "shoigu" in (r["title"] + r["snippet"]).lower() for r in rows), titles
assert not any("earthenware" in r["title"].lower() for r in rows), titles
PY
ok $? "the demo hits Ksenia Shoigu's appointment and not the earthenware show"

done_testing
