#!/bin/sh
# parse-bench.sh: parse throughput in MB/s on a generated feed of SIZE_MB
# (RSS 2.0, mixed Russian/English items with HTML descriptions and
# content:encoded), for `reewatch parse` (XML, HTML-to-text, Unicode
# normalisation and JSON out, to /dev/null) against `xmllint --stream`
# (the libxml2 floor) and `sfeed` in the same run.  Medians of RUNS runs.
# Writes only under a temporary folder.
#
# usage: bench/parse-bench.sh   (env: SIZE_MB=50 RUNS=5)
# needs: xmllint (libxml2-utils), sfeed, python3, /usr/bin/time; a build without
# sanitizers (./configure without --enable-sanitizers) for fair figures.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SIZE_MB=${SIZE_MB:-50}
RUNS=${RUNS:-5}
REEWATCH="$top_builddir/reewatch"
die() { echo "parse-bench: $*" >&2; exit 1; }
for t in xmllint sfeed python3; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (tools/install-deps --test)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (tools/install-deps --test)"
[ -x "$REEWATCH" ] || die "build reewatch first ($REEWATCH)"
if ldd "$REEWATCH" 2>/dev/null | grep -q 'libasan'; then
	echo "parse-bench: warning: $REEWATCH is built with sanitizers;" \
	    "figures are not comparable" >&2
fi

work=$(mktemp -d /tmp/reewatch-parse-bench.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
feed="$work/feed.xml"

# The feed: deterministic, items of ~5.5 kB so that 50 MB stays under
# FEED_MAX_ENTRIES (10000) items.
python3 - "$feed" "$SIZE_MB" <<'PY'
import random, sys
path, size = sys.argv[1], int(sys.argv[2]) * 1000 * 1000
rnd = random.Random(42)
ru = ("Росатом запустит производство редкоземельных металлов неодима и "
      "диспрозия на площадке в Красноярском крае, сообщил Минпромторг. "
      "Правительство утвердило программу по литию до 2030 года; "
      "«Норникель» и АЛРОСА ожидают роста спроса в Китае.").split()
en = ("China tightened export controls on gallium and germanium while "
      "Lynas Rare Earths expanded its Malaysian plant; the IEA expects "
      "demand for magnet metals to triple by 2040, analysts said.").split()
tags = ["p", "b", "i", "a", "em", "strong", "li"]
def words(src, n):
    return " ".join(rnd.choice(src) for _ in range(n))
def html(src, paras):
    out = []
    for _ in range(paras):
        t = rnd.choice(tags)
        inner = words(src, rnd.randint(25, 45))
        if t == "a":
            out.append('<p><a href="https://news.example.test/a?x=1&amp;y=2">'
                       '%s</a> &laquo;%s&raquo;&nbsp;&#8212; %s</p>' %
                       (inner[:40], inner[40:80], inner[80:]))
        elif t == "li":
            out.append("<ul><li>%s</li><li>%s</li></ul>" %
                       (inner[:60], inner[60:]))
        else:
            out.append("<p><%s>%s</%s> %s</p>" % (t, inner[:50], t,
                                                  inner[50:]))
    return "\n".join(out)
with open(path, "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
            '<title>Bench</title><link>https://news.example.test/</link>\n'
            '<description>parse bench</description>\n')
    i = 0
    while f.tell() < size - 8000:
        src = ru if i % 2 == 0 else en
        day = 1 + i % 28
        f.write("<item>\n<title>%s</title>\n"
                "<link>https://news.example.test/%d/%d.html</link>\n"
                '<guid isPermaLink="false">bench-%d</guid>\n'
                "<pubDate>%s, %02d Nov 2024 %02d:%02d:00 +0300</pubDate>\n"
                "<dc:creator>%s</dc:creator><category>%s</category>\n"
                "<description><![CDATA[%s]]></description>\n"
                "<content:encoded>%s</content:encoded>\n</item>\n" % (
                    words(src, 9), 2024, i, i,
                    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i % 7],
                    day, i % 24, i % 60, words(src, 2), words(src, 1),
                    html(src, 3),
                    html(src, 9).replace("&", "&amp;").replace("<", "&lt;")
                    .replace(">", "&gt;")))
        i += 1
    f.write("</channel>\n</rss>\n")
PY
[ -s "$feed" ] || die "could not generate the feed"
bytes=$(wc -c <"$feed")
items=$(grep -c '<item>' "$feed")

# median of the numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# run NAME COMMAND...: one timed run (output to /dev/null); appends its
# wall time to $work/w-NAME and its CPU time (user + system) to c-NAME.
run() {
	name=$1
	shift
	/usr/bin/time -o "$work/time" -f '%e %U %S' "$@" >/dev/null \
	    2>"$work/err-$name" || {
		cat "$work/err-$name" >&2
		die "$name failed"
	}
	awk '{ print $1 }' "$work/time" >>"$work/w-$name"
	awk '{ printf "%.3f\n", $2 + $3 }' "$work/time" >>"$work/c-$name"
}

# report NAME: the medians of its runs, in seconds and MB/s
report() {
	w=$(median <"$work/w-$1")
	c=$(median <"$work/c-$1")
	eval "wall_$1=\$w cpu_$1=\$c"
	printf '%-10s wall %7.3f s %7.1f MB/s   cpu %7.3f s %7.1f MB/s\n' \
	    "$1" "$w" "$(awk -v b="$bytes" -v t="$w" 'BEGIN { print b / 1e6 / t }')" \
	    "$c" "$(awk -v b="$bytes" -v t="$c" 'BEGIN { print b / 1e6 / t }')"
}

# Warm the page cache once.
cat "$feed" >/dev/null
echo "parse-bench: $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB," \
    "$items items, median of $RUNS runs (the tools take turns in each round)"
echo "machine: $(uname -srm), $(nproc) CPUs," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "commands: $REEWATCH parse FEED; xmllint --stream --noout FEED; sfeed <FEED"
: >"$work/w-reewatch"; : >"$work/c-reewatch"
: >"$work/w-xmllint"; : >"$work/c-xmllint"
: >"$work/w-sfeed"; : >"$work/c-sfeed"
n=0
while [ "$n" -lt "$RUNS" ]; do
	run reewatch "$REEWATCH" parse "$feed"
	run xmllint xmllint --stream --noout "$feed"
	run sfeed sh -c 'sfeed <"$1"' sh "$feed"
	n=$((n + 1))
done
report reewatch
report xmllint
report sfeed
# Wall time is what a user waits for; CPU time does not count the time a
# loaded machine gives to others.  The ratio of throughputs is the
# inverse ratio of times.
# shellcheck disable=SC2154
ratio=$(awk -v a="$wall_reewatch" -v b="$wall_xmllint" 'BEGIN { printf "%.2f", b / a }')
cratio=$(awk -v a="$cpu_reewatch" -v b="$cpu_xmllint" 'BEGIN { printf "%.2f", b / a }')
echo "reewatch / xmllint floor: wall $ratio, cpu $cratio (target >= 0.50)"
awk -v c="$cratio" 'BEGIN { exit !(c >= 0.5) }'
