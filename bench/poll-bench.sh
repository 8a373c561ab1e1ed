#!/bin/sh
# poll-bench.sh: one poll cycle of FEEDS feeds x ENTRIES entries served by
# nginx on 127.0.0.1: reewatchd --once (wall, CPU, peak RSS), then the
# all-304 cycle, then reewatchd's idle RSS after a cycle; compared in the
# same run with curl --parallel (the fetch floor), newsboat -x reload and
# sfeed_update on the same feeds.  Medians of RUNS runs.  Starts and stops
# its own nginx by PID; writes only under a temporary folder.
#
# usage: bench/poll-bench.sh   (env: FEEDS=1000 ENTRIES=50 RUNS=5 PAR=32)
# needs: nginx, curl, newsboat, sfeed, /usr/bin/time, python3
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
FEEDS=${FEEDS:-1000}
ENTRIES=${ENTRIES:-50}
RUNS=${RUNS:-5}
PAR=${PAR:-32}
REEWATCHD="$top_builddir/reewatchd"
die() { echo "poll-bench: $*" >&2; exit 1; }
for t in nginx curl newsboat sfeed_update /usr/bin/time python3; do
	command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] ||
		[ -x "/usr/sbin/$t" ] || die "$t not found (tools/install-deps --test)"
done
[ -x "$REEWATCHD" ] || die "build reewatchd first ($REEWATCHD)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/reewatch-bench.XXXXXX) || exit 1
nginx_pid=""
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	[ -z "${KEEP_WORK:-}" ] && rm -rf "$work"
}
trap cleanup EXIT INT TERM
chmod 755 "$work"

# The feeds: RSS 2.0, ~1.7 kB of text per entry (about 88 kB a feed).
echo "generating $FEEDS feeds x $ENTRIES entries..." >&2
python3 - "$work/www" "$FEEDS" "$ENTRIES" <<'PY'
import os, sys, random
out, nf, ne = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
rnd = random.Random(42)
words = ("rare earth neodymium magnet supply chain export licence mine "
         "refinery price tonne dysprosium terbium lanthanum cerium quota "
         "China Myanmar Australia Lynas MP Materials processing separation "
         "market demand electric vehicle wind turbine policy tariff").split()
for f in range(nf):
    items = []
    for e in range(ne):
        text = " ".join(rnd.choice(words) for _ in range(230))
        items.append(
            "<item><title>Feed %d item %d: %s</title>"
            "<link>http://127.0.0.1/f%d/%d</link><guid>f%d-%d</guid>"
            "<pubDate>Mon, %02d Jan 2024 %02d:%02d:00 +0000</pubDate>"
            "<description>%s</description></item>\n"
            % (f, e, " ".join(rnd.choice(words) for _ in range(8)),
               f, e, f, e, 1 + e % 28, e % 24, f % 60, text))
    with open(os.path.join(out, "f%d.xml" % f), "w") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n'
                 '<rss version="2.0"><channel><title>Feed %d</title>'
                 '<link>http://127.0.0.1/</link>\n%s</channel></rss>\n'
                 % (f, "".join(items)))
PY
chmod -R a+rX "$work/www"
bytes=$(du -sb "$work/www" | cut -f1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx/tmp"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$work/nginx/nginx.conf" <<NGINX
$user_line
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
	types { application/rss+xml xml; }
	access_log off;
	client_body_temp_path $work/nginx/tmp;
	proxy_temp_path $work/nginx/tmp;
	fastcgi_temp_path $work/nginx/tmp;
	uwsgi_temp_path $work/nginx/tmp;
	scgi_temp_path $work/nginx/tmp;
	keepalive_requests 100000;
	server { listen 127.0.0.1:$port; root $work/www; }
}
NGINX
"$NGINX" -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$port/f0.xml"; do
	i=$((i + 1)); [ $i -gt 50 ] && die "nginx did not start"; sleep 0.1
done
base="http://127.0.0.1:$port"

# The same feed list for every tool.
i=0
: >"$work/urls"; : >"$work/curl.cfg"; : >"$work/bench.feeds"
echo 'feeds() {' >"$work/sfeedrc.feeds"
while [ $i -lt "$FEEDS" ]; do
	echo "$base/f$i.xml" >>"$work/urls"
	printf 'url = "%s/f%d.xml"\noutput = "/dev/null"\n' "$base" $i >>"$work/curl.cfg"
	printf '[feed "f%d"]\nurl = %s/f%d.xml\n' $i "$base" $i >>"$work/bench.feeds"
	printf '\tfeed "f%d" "%s/f%d.xml"\n' $i "$base" $i >>"$work/sfeedrc.feeds"
	i=$((i + 1))
done
echo '}' >>"$work/sfeedrc.feeds"
mkdir -p "$work/watch"
cp "$top_srcdir"/watchlists/*.watch "$work/watch/" 2>/dev/null ||
	cp "$top_srcdir/tests/data/watch/cycle.watch" "$work/watch/"
cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = bench.feeds
watchlists = watch
interval = 1h
max_connections = $PAR
max_per_host = $PAR
[notify]
desktop = no
CONF
printf 'reload-threads %s\n' "$PAR" >"$work/newsboat.conf"

# measure NAME COMMAND...: "wall user sys maxrss_kB" into $work/m.NAME
measure() {
	name=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$work/t.out" "$@" >/dev/null 2>"$work/err.$name" ||
		{ echo "poll-bench: $name failed: $(tail -3 "$work/err.$name")" >&2; }
	cat "$work/t.out" >>"$work/m.$name"
}

for r in $(seq "$RUNS"); do
	echo "run $r/$RUNS" >&2
	measure curl curl --parallel --parallel-max "$PAR" -s -K "$work/curl.cfg"
	rm -rf "$work/state"
	measure first "$REEWATCHD" --once --config "$work/reewatch.conf"
	measure notmod "$REEWATCHD" --once --config "$work/reewatch.conf"
	grep -q "not modified (304)" "$work/err.notmod" || true
	rm -f "$work/nb-cache.db"
	measure newsboat newsboat -u "$work/urls" -c "$work/nb-cache.db" \
		-C "$work/newsboat.conf" -x reload
	rm -rf "$work/sfeed"; mkdir -p "$work/sfeed"
	{ echo "sfeedpath=\"$work/sfeed\""; echo "maxjobs=$PAR"; cat "$work/sfeedrc.feeds"; } >"$work/sfeedrc"
	measure sfeed sfeed_update "$work/sfeedrc"
done

# Idle RSS: the service after its first full cycle, waiting for the next.
rm -rf "$work/state"
"$REEWATCHD" --config "$work/reewatch.conf" 2>"$work/daemon.err" &
dpid=$!
i=0
until grep -q "polled $FEEDS feeds" "$work/daemon.err" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 600 ] && break; sleep 0.1
done
sleep 2
idle_kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$dpid/status")
hwm_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$dpid/status")
pss_kb=$(awk '/^Pss:/ { print $2 }' "/proc/$dpid/smaps_rollup" 2>/dev/null)
anon_kb=$(awk '/^Pss_Anon:/ { print $2 }' "/proc/$dpid/smaps_rollup" 2>/dev/null)
kill -TERM $dpid; wait $dpid

# median FILE COLUMN
median() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
cpu() { awk '{ print $2 + $3 }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
row() {
	printf '| %-34s | %7s | %7s | %8s |\n' "$1" "$(median "$work/m.$2" 1)" "$(cpu "$work/m.$2")" \
		"$(awk -v k="$(median "$work/m.$2" 4)" 'BEGIN { printf "%.1f", k / 1024 }')"
}
echo
echo "$FEEDS feeds x $ENTRIES entries, $((bytes / 1048576)) MiB, nginx on 127.0.0.1, $PAR parallel, median of $RUNS runs, $(nproc) CPUs"
echo
echo '| tool                               | wall s  | CPU s   | peak MiB |'
echo '|------------------------------------|---------|---------|----------|'
row "curl --parallel (fetch floor)" curl
row "reewatchd --once, first cycle" first
row "reewatchd --once, all 304" notmod
row "newsboat -x reload (fresh cache)" newsboat
row "sfeed_update (fresh)" sfeed
echo
echo "reewatchd idle RSS after a full cycle: $(awk -v k="$idle_kb" 'BEGIN { printf "%.1f", k / 1024 }') MiB (its peak: $(awk -v k="$hwm_kb" 'BEGIN { printf "%.1f", k / 1024 }') MiB; PSS $(awk -v k="${pss_kb:-0}" 'BEGIN { printf "%.1f", k / 1024 }') MiB, of it anonymous $(awk -v k="${anon_kb:-0}" 'BEGIN { printf "%.1f", k / 1024 }') MiB)"
c=$(median "$work/m.curl" 1); f=$(median "$work/m.first" 1)
echo "first cycle / curl: $(awk -v a="$f" -v b="$c" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }')x (target <= 2.5x)"
