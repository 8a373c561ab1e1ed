#!/bin/sh
# digest-render.sh: the HTML digest rendered by headless Chromium (Debian's
# chromium): the DOM has the hits, the highlights, the SVG chart and the
# feed-health table; a hostile feed's <script> title stays text and its
# javascript: link is no link.  Markdown and text escape the same feed.
# The Atom feed of hits (`reewatch hits --atom` and STATE/hits.atom)
# parses with ElementTree and feedparser (bozo 0).
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || bail "sqlite3 not found (tools/install-deps --test)"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || bail "chromium not found (tools/install-deps --test: chromium)"
PY=
for p in /usr/bin/python3 "${PYTHON3:-python3}"; do
	"$p" -c 'import feedparser' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || bail "python3 with feedparser not found (tools/install-deps --test: python3-feedparser)"

d="$top_srcdir/tests/data"
mkdir -p "$work/watch"
cp "$d/watch/cycle.watch" "$work/watch/"
cat >"$work/test.feeds" <<FEEDS
[feed "Local"]
url = file:$d/cycle/state-media.xml

[feed "Other"]
url = file:$d/cycle/state-media.xml

[feed "Hostile <b>feed</b>"]
url = file:$d/digest/hostile.xml

[feed "Broken"]
url = http://127.0.0.1:$(free_port)/feed.xml
FEEDS
cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = watch
[digest]
formats = html, md, txt
folder = out
CONF
rw() { "$REEWATCH" --config "$work/reewatch.conf" "$@"; }
db="$work/state/reewatch.db"
"$REEWATCHD" --once --config "$work/reewatch.conf" >/dev/null 2>&1
sqlite3 "$db" "UPDATE hits SET created = created - 60"
# The fixture's first title is "<script>alert(1)</script> Rosatom ..." as
# text; the parser drops its javascript: link, a hostile store would not.
sqlite3 "$db" "UPDATE entries SET link = 'javascript:alert(1)'
    WHERE guid = 'hostile-1'"

out=$(rw digest --period 7d 2>&1)
is "$?" 0 "digest exits 0"
case $out in "digest: 6 hits"*) ok 0 "six hits";; *) ok 1 "six hits: $out";; esac
html=$(ls "$work"/out/digest-*.html 2>/dev/null)
md=$(ls "$work"/out/digest-*.md 2>/dev/null)
txt=$(ls "$work"/out/digest-*.txt 2>/dev/null)
[ -f "$html" ] && [ -f "$md" ] && [ -f "$txt" ]
ok $? "html, md and txt written in [digest] folder"
is "$(sqlite3 "$db" "SELECT count(*) FROM digests WHERE files LIKE '%.html%.md%.txt'")" 1 \
	"the digest is recorded with its files"
grep -qi 'src=\|<link\|@import\|url(' "$html"
ok $((! $?)) "the HTML loads nothing from outside"

chrome() {	# chrome ARGS...: headless Chromium with a fresh profile
	rm -rf "$work/profile"
	mkdir -p "$work/profile"
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$work/profile" "$@" 2>>"$work/chromium.log"
}
chrome --dump-dom "file://$html" >"$work/dom.html"
[ -s "$work/dom.html" ]
ok $? "chromium renders the digest ($(wc -c <"$work/dom.html") bytes of DOM)"
"$PY" - "$work/dom.html" >"$work/dom.txt" 2>&1 <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.hrefs, self.text, self.marks = {}, [], [], []
        self.in_mark = False
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a.get("href", ""))
        for k, v in attrs:
            if k.startswith("on"):
                self.tags["on*"] = self.tags.get("on*", 0) + 1
        self.in_mark = tag == "mark"
    def handle_endtag(self, tag):
        if tag == "mark":
            self.in_mark = False
    def handle_data(self, data):
        self.text.append(data)
        if self.in_mark:
            self.marks.append(data)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
text = "".join(p.text)
def say(ok, what):
    print(("ok " if ok else "FAIL ") + what)
say("Ксения Шойгу возглавила фонд" in text and "Rosatom buys rare earth mine" in text,
    "the DOM has the hits")
say("Долина Менделеева" in p.marks and "Rosatom" in p.marks, "matched terms highlighted: %s" % sorted(set(p.marks)))
say(p.tags.get("svg", 0) == 1 and p.tags.get("polyline", 0) >= 4, "the SVG chart, one line per term")
say(p.tags.get("script", 0) == 0, "no <script> element")
say(p.tags.get("on*", 0) == 0, "no event handler attributes")
say("<script>alert(1)</script> Rosatom" in text, "the hostile title is shown as text")
say(all(h.startswith(("http://", "https://")) for h in p.hrefs) and len(p.hrefs) >= 5,
    "every link is http(s): %d links" % len(p.hrefs))
say(not any("javascript" in h.lower() for h in p.hrefs), "the javascript: link is no <a href>")
say("Hostile <b>feed</b>" in text and p.tags.get("b", 0) == 0, "a feed name with markup stays text")
say("Local" in text and "Other" in text and "Sources:" in text, "sources listed")
say("Feed health" in text and "Broken" in text and p.tags.get("table", 0) == 1,
    "feed health lists the failing feed")
PY
while read -r res what; do
	if [ "$res" = ok ]; then ok 0 "dom: $what"; else ok 1 "dom: $what"; fi
done <"$work/dom.txt"
grep -q '^ok the DOM has' "$work/dom.txt" || { ok 1 "the DOM parses"; cat "$work/dom.txt"; }
chrome --screenshot="$work/digest.png" --window-size=900,1600 "file://$html" >/dev/null
[ "$(wc -c <"$work/digest.png" 2>/dev/null || echo 0)" -gt 20000 ]
ok $? "chromium takes a screenshot"
[ -n "${DIGEST_PNG:-}" ] && cp "$work/digest.png" "$DIGEST_PNG"

# Markdown and text.
grep -qF '\<script\>alert\(1\)\</script\>' "$md"
ok $? "markdown escapes the hostile title"
grep -q '[^\\]<script\|](<javascript\|](javascript' "$md"
ok $((! $?)) "markdown has no raw <script> and no javascript: link"
grep -qF '[Rosatom] buys [rare earth] mine' "$txt"
ok $? "text marks the matched terms"
grep -q 'javascript:alert(1)' "$txt"
ok $((! $?)) "text shows no javascript: link"

# Atom: on stdout and in the state folder.
rw hits --atom >"$work/hits.atom"
is "$?" 0 "hits --atom exits 0"
rw deliver >/dev/null 2>&1
[ -s "$work/state/hits.atom" ]
ok $? "deliver keeps STATE/hits.atom"
for f in "$work/hits.atom" "$work/state/hits.atom"; do
	"$PY" - "$f" <<'PY'
import sys, xml.etree.ElementTree as ET, feedparser
A = "{http://www.w3.org/2005/Atom}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == A + "feed", root.tag
entries = root.findall(A + "entry")
assert len(entries) == 6, len(entries)
for e in entries:
    for k in ("id", "title", "updated"):
        assert (e.find(A + k).text or "").strip(), k
    for l in e.findall(A + "link"):
        assert l.get("href").startswith(("http://", "https://")), l.get("href")
titles = [e.find(A + "title").text for e in entries]
assert any("<script>alert(1)</script>" in t for t in titles), titles
assert not root.iter("script").__next__ if False else True
assert sum(1 for e in entries if e.find(A + "link") is not None) == 5
f = feedparser.parse(sys.argv[1])
assert f.bozo == 0, f.bozo_exception
assert len(f.entries) == 6
for e in f.entries:
    assert e.id and e.title and e.updated
    assert not e.get("link", "").lower().startswith("javascript")
PY
	ok $? "$(basename "$(dirname "$f")")/hits.atom parses (ElementTree, feedparser bozo 0): 6 entries with id, title, updated; escaped"
done

done_testing
