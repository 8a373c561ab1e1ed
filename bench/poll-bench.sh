#!/bin/sh
# poll-bench.sh: one poll cycle of FEEDS feeds x ENTRIES entries served by
# nginx on 127.0.0.1: reewatchd --once (wall, CPU, peak RSS), then the
# all-304 cycle, then the service's first round (to its summary line) and
# its idle RSS after it; compared in the same run with curl --parallel
# (the fetch floor), newsboat -x reload and sfeed_update on the same
# feeds.  Medians of RUNS runs.  Starts and stops
# its own nginx by PID; writes only under a temporary folder.
#
# usage: bench/poll-bench.sh   (env: FEEDS=1000 ENTRIES=50 RUNS=5 PAR=32
#        TEXT="news dense" BASELINE=/path/to/an/older/reewatchd KEEP_WORK=1
#        IDLE_RUNS=1)
# TEXT: the text modes, one first-cycle row each (see below); the first
# one also feeds the other tools.  BASELINE: a second reewatchd measured
# interleaved with this one (rows marked "baseline"), for old vs new, its
# idle RSS too.  IDLE_RUNS: idle RSS samples per binary (median).
# needs: nginx, curl, newsboat, sfeed, /usr/bin/time, python3
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
FEEDS=${FEEDS:-1000}
ENTRIES=${ENTRIES:-50}
RUNS=${RUNS:-5}
PAR=${PAR:-32}
TEXT=${TEXT:-news dense}
BASELINE=${BASELINE:-}
REEWATCHD="$top_builddir/reewatchd"
die() { echo "poll-bench: $*" >&2; exit 1; }
for t in nginx curl newsboat sfeed_update /usr/bin/time python3; do
	command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] ||
		[ -x "/usr/sbin/$t" ] || die "$t not found (tools/install-deps --test)"
done
[ -x "$REEWATCHD" ] || die "build reewatchd first ($REEWATCHD)"
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || die "BASELINE $BASELINE not executable"
main_mode=""
for m in $TEXT; do
	case $m in news|dense) ;; *) die "TEXT: unknown mode '$m' (news, dense)" ;; esac
	[ -n "$main_mode" ] || main_mode=$m
done
[ -n "$main_mode" ] || die "TEXT is empty"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/reewatch-bench.XXXXXX) || exit 1
nginx_pid=""
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	[ -z "${KEEP_WORK:-}" ] && rm -rf "$work"
}
trap cleanup EXIT INT TERM
chmod 755 "$work"

# The feeds: RSS 2.0, ~1.7 kB of text per entry (about 88 kB a feed), one
# folder per text mode (TEXT, default "news dense"):
#  news   news-like prose from a broad vocabulary (~330 common English and
#         Russian words that are no watch term; feeds alternate English and
#         Russian); about 5% of the entries mention one or two watch terms.
#  dense  every word of every entry is a watch term (the matcher's worst
#         case).
# The first mode also serves curl, newsboat, sfeed and the idle RSS; each
# further mode adds reewatchd rows of its own.  Generated with seed 42.
echo "generating $FEEDS feeds x $ENTRIES entries ($TEXT)..." >&2
python3 - "$work/www" "$FEEDS" "$ENTRIES" $TEXT <<'PY'
import os, sys, random
out, nf, ne, modes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
dense = ("rare earth neodymium magnet supply chain export licence mine "
         "refinery price tonne dysprosium terbium lanthanum cerium quota "
         "China Myanmar Australia Lynas MP Materials processing separation "
         "market demand electric vehicle wind turbine policy tariff").split()
# Common words that match no shipped watchlist (checked with
# `reewatch test`): no countries, capitals, talks, tariffs, subsidies.
en = ("the of and to in a is that for it as was with be by on not he this "
      "are or his from at which but have an they you were her she there "
      "been one all we their has would when if will more no out so said "
      "what up its about than into them can only other new some could "
      "time these two may then do first any like now my such make over "
      "our even most after also did many before must through back years "
      "where much your way well down should because each just those people "
      "how too little state good very world still own see men work long "
      "here between both life being under never day same another know "
      "while last might us great old year off come since against go came "
      "right used take three city council school road weather football "
      "season club match player coach team river bridge hospital doctor "
      "patient water power station report morning evening week month "
      "company shares bank rate budget tax police court judge trial "
      "minister election vote party leader house street village market "
      "museum festival music film book author family children students "
      "teacher university research science study health food farm price "
      "train bus airport flight storm rain snow summer winter spring "
      "autumn local regional national public private plan project "
      "building housing rent fire traffic accident holiday visitors "
      "tourism hotel restaurant").split()
ru = ("и в не на я быть он с что а по это она этот к но они мы как из у "
      "который то за свой весь год от так о для ты же все тот мочь вы "
      "человек такой его сказать только или еще бы себя один как уже до "
      "время если сам когда другой вот говорить наш мой знать стать при "
      "чтобы дело жизнь кто первый очень два день её новый рука даже во "
      "со раз где там под можно ну какой после их работа без самый потом "
      "надо хотеть ли слово идти большой должен место иметь ничто город "
      "школа больница врач погода дождь снег зима лето весна осень утро "
      "вечер неделя месяц улица дом семья дети студенты учитель "
      "университет наука здоровье еда цена поезд автобус аэропорт рейс "
      "река мост вода театр музей фестиваль музыка фильм книга автор "
      "футбол матч команда тренер игрок сезон клуб полиция суд судья "
      "выборы партия бюджет налог банк компания акции отчет район "
      "область жители праздник туристы гостиница ресторан пожар "
      "транспорт дорога ремонт строительство жилье проект план").split()
hits_en = ["rare earths", "neodymium magnets", "dysprosium", "terbium",
           "critical minerals", "export controls", "China", "Kazakhstan",
           "permanent magnets", "tariffs", "Rosatom", "lanthanum"]
hits_ru = ["редкоземельных металлов", "неодима", "Китай", "России",
           "Росатом", "критических минералов", "экспортного контроля",
           "постоянных магнитов", "диспрозия", "Казахстан"]
def prose(rnd, vocab, nbytes):
    words, sent, n = [], 0, 0
    while n < nbytes:
        w = rnd.choice(vocab)
        if sent == 0:
            w = w[:1].upper() + w[1:]
            sent = rnd.randint(8, 20)
        sent -= 1
        if sent == 0:
            w += "."
        words.append(w)
        n += len(w.encode()) + 1
    return words
def news(rnd, f, e):
    ru_feed = f % 2 == 1
    vocab, terms = (ru, hits_ru) if ru_feed else (en, hits_en)
    title = " ".join(prose(rnd, vocab, 50)).rstrip(".")
    body = prose(rnd, vocab, 1650)
    if rnd.random() < 0.05:
        for t in rnd.sample(terms, rnd.randint(1, 2)):
            body.insert(rnd.randrange(len(body)), t)
    return title, " ".join(body)
def dense_text(rnd, f, e):
    return (" ".join(rnd.choice(dense) for _ in range(8)),
            " ".join(rnd.choice(dense) for _ in range(230)))
for mode in modes:
    gen = {"news": news, "dense": dense_text}[mode]
    rnd = random.Random(42)
    os.makedirs(os.path.join(out, mode), exist_ok=True)
    for f in range(nf):
        items = []
        for e in range(ne):
            title, text = gen(rnd, f, e)
            items.append(
                "<item><title>Feed %d item %d: %s</title>"
                "<link>http://127.0.0.1/f%d/%d</link><guid>f%d-%d</guid>"
                "<pubDate>Mon, %02d Jan 2024 %02d:%02d:00 +0000</pubDate>"
                "<description>%s</description></item>\n"
                % (f, e, title, f, e, f, e, 1 + e % 28, e % 24, f % 60, text))
        with open(os.path.join(out, mode, "f%d.xml" % f), "w") as fh:
            fh.write('<?xml version="1.0" encoding="utf-8"?>\n'
                     '<rss version="2.0"><channel><title>Feed %d</title>'
                     '<link>http://127.0.0.1/</link>\n%s</channel></rss>\n'
                     % (f, "".join(items)))
PY
chmod -R a+rX "$work/www"
bytes=$(du -sb "$work/www/$main_mode" | cut -f1)

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
until curl -s -o /dev/null "http://127.0.0.1:$port/$main_mode/f0.xml"; do
	i=$((i + 1)); [ $i -gt 50 ] && die "nginx did not start"; sleep 0.1
done
base="http://127.0.0.1:$port"

# The same feed list for every tool (the first text mode); reewatchd gets
# one per mode.
i=0
: >"$work/urls"; : >"$work/curl.cfg"
echo 'feeds() {' >"$work/sfeedrc.feeds"
while [ $i -lt "$FEEDS" ]; do
	u="$base/$main_mode/f$i.xml"
	echo "$u" >>"$work/urls"
	printf 'url = "%s"\noutput = "/dev/null"\n' "$u" >>"$work/curl.cfg"
	printf '\tfeed "f%d" "%s"\n' $i "$u" >>"$work/sfeedrc.feeds"
	i=$((i + 1))
done
echo '}' >>"$work/sfeedrc.feeds"
mkdir -p "$work/watch"
cp "$top_srcdir"/watchlists/*.watch "$work/watch/" 2>/dev/null ||
	cp "$top_srcdir/tests/data/watch/cycle.watch" "$work/watch/"
for m in $TEXT; do
	i=0
	: >"$work/$m.feeds"
	while [ $i -lt "$FEEDS" ]; do
		printf '[feed "f%d"]\nurl = %s/%s/f%d.xml\n' $i "$base" "$m" $i >>"$work/$m.feeds"
		i=$((i + 1))
	done
	for b in "" .base; do
		cat >"$work/$m$b.conf" <<CONF
[daemon]
state_dir = state.$m$b
feeds = $m.feeds
watchlists = watch
interval = 1h
max_connections = $PAR
max_per_host = $PAR
[notify]
desktop = no
CONF
	done
done
printf 'reload-threads %s\n' "$PAR" >"$work/newsboat.conf"

# as_unit: a prefix that runs a command as the shipped system unit runs
# reewatchd: its Environment= lines, and MemoryDenyWriteExecute=yes (prctl
# PR_SET_MDWE, Linux 6.3 on, kept across execve), under which PCRE2 cannot
# JIT and its interpreter runs.  Empty where the kernel has no MDWE.
cat >"$work/as-unit.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:	# PR_SET_MDWE, REFUSE_EXEC_GAIN
    sys.exit("as-unit: PR_SET_MDWE: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])
PY
unit_env=$(sed -n 's/^Environment=//p' "$top_srcdir/systemd/reewatch.service.in")
as_unit=""
if python3 "$work/as-unit.py" true 2>/dev/null; then
	as_unit="env $unit_env python3 $work/as-unit.py"
fi

# measure NAME COMMAND...: "wall user sys maxrss_kB" into $work/m.NAME
measure() {
	name=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$work/t.out" "$@" >/dev/null 2>"$work/err.$name" ||
		{ echo "poll-bench: $name failed: $(tail -3 "$work/err.$name")" >&2; }
	cat "$work/t.out" >>"$work/m.$name"
}

# cycles SUFFIX BINARY: the first cycle of each text mode, then all-304
cycles() {
	for m in $TEXT; do
		rm -rf "$work/state.$m$1"
		measure "first.$m$1" "$2" --once --config "$work/$m$1.conf"
	done
	measure "notmod$1" "$2" --once --config "$work/$main_mode$1.conf"
	grep -q "($FEEDS not modified)" "$work/err.notmod$1" ||
		echo "poll-bench: the second cycle was not all 304" >&2
}

for r in $(seq "$RUNS"); do
	echo "run $r/$RUNS" >&2
	measure curl curl --parallel --parallel-max "$PAR" -s -K "$work/curl.cfg"
	# Alternate which binary goes first.
	if [ -n "$BASELINE" ] && [ $((r % 2)) -eq 0 ]; then
		cycles .base "$BASELINE"
	fi
	cycles "" "$REEWATCHD"
	if [ -n "$as_unit" ]; then
		rm -rf "$work/state.$main_mode"
		# shellcheck disable=SC2086 # a command prefix: split into words
		measure first.unit $as_unit "$REEWATCHD" --once \
			--config "$work/$main_mode.conf"
	fi
	if [ -n "$BASELINE" ] && [ $((r % 2)) -eq 1 ]; then
		cycles .base "$BASELINE"
	fi
	rm -f "$work/nb-cache.db"
	measure newsboat newsboat -u "$work/urls" -c "$work/nb-cache.db" \
		-C "$work/newsboat.conf" -x reload
	rm -rf "$work/sfeed"; mkdir -p "$work/sfeed"
	{ echo "sfeedpath=\"$work/sfeed\""; echo "maxjobs=$PAR"; cat "$work/sfeedrc.feeds"; } >"$work/sfeedrc"
	measure sfeed sfeed_update "$work/sfeedrc"
done

# Idle RSS: the service after its first full cycle, waiting for the next;
# IDLE_RUNS times (default 1), taking turns with the baseline if any, and
# once more each time as the system unit runs it (see as_unit).
# idle NAME CONF BINARY [PREFIX...]: "rss hwm pss anon" (kB) into
# $work/idleNAME, BINARY run behind PREFIX with $work/$main_mode$CONF.conf;
# and the service's first round, from its start to its summary line, as
# measure() has it ("wall user sys hwm_kB"), into $work/m.roundNAME (the
# wall time to within the 20 ms of the wait below; behind as_unit the CPU
# includes the wrapper's python3, ~0.03 s, as in the first.unit row).
idle() {
	name=$1 conf=$2 bin=$3; shift 3
	rm -rf "$work/state.$main_mode$conf"
	t0=$(date +%s.%N)
	"$@" "$bin" --config "$work/$main_mode$conf.conf" 2>"$work/daemon.err" &
	dpid=$!
	i=0
	until grep -q "polled $FEEDS feeds" "$work/daemon.err" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 3000 ] && break; sleep 0.02
	done
	if [ $i -le 3000 ]; then
		tck=$(getconf CLK_TCK)
		echo "$(date +%s.%N) $t0 $tck" "$(cut -d' ' -f14,15 "/proc/$dpid/stat")" \
		    "$(awk '/^VmHWM/ { print $2 }' "/proc/$dpid/status")" |
		    awk '{ printf "%.2f %.2f %.2f %d\n", $1 - $2, $4 / $3, $5 / $3, $6 }' \
		    >>"$work/m.round$name"
	else
		echo "poll-bench: no summary line for the round of $FEEDS feeds: $(grep -m1 'polled ' "$work/daemon.err")" >&2
	fi
	# After the round it fills the search index; wait until it is idle
	# (its CPU time stands still for a second), at most a minute.
	prev=-1; i=0
	while :; do
		t=$(awk '{ print $14 + $15 }' "/proc/$dpid/stat")
		[ "$t" = "$prev" ] && break
		prev=$t; i=$((i + 1)); [ $i -gt 60 ] && break; sleep 1
	done
	sleep 1
	echo "$(awk '/^VmRSS/ { print $2 }' "/proc/$dpid/status")" \
	    "$(awk '/^VmHWM/ { print $2 }' "/proc/$dpid/status")" \
	    "$(awk '/^Pss:/ { print $2 }' "/proc/$dpid/smaps_rollup" 2>/dev/null || echo 0)" \
	    "$(awk '/^Pss_Anon:/ { print $2 }' "/proc/$dpid/smaps_rollup" 2>/dev/null || echo 0)" \
	    >>"$work/idle$name"
	kill -TERM $dpid; wait $dpid
}
for r in $(seq "${IDLE_RUNS:-1}"); do
	if [ -n "$BASELINE" ] && [ $((r % 2)) -eq 0 ]; then
		idle .base .base "$BASELINE"
	fi
	idle "" "" "$REEWATCHD"
	if [ -n "$BASELINE" ] && [ $((r % 2)) -eq 1 ]; then
		idle .base .base "$BASELINE"
	fi
	# shellcheck disable=SC2086 # a command prefix: split into words
	[ -z "$as_unit" ] || idle .unit "" "$REEWATCHD" $as_unit
done

# median FILE COLUMN
median() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
cpu() { awk '{ print $2 + $3 }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
row() {
	printf '| %-34s | %7s | %7s | %8s |\n' "$1" "$(median "$work/m.$2" 1)" "$(cpu "$work/m.$2")" \
		"$(awk -v k="$(median "$work/m.$2" 4)" 'BEGIN { printf "%.1f", k / 1024 }')"
}
echo
echo "$FEEDS feeds x $ENTRIES entries, $((bytes / 1048576)) MiB ($main_mode text), nginx on 127.0.0.1, $PAR parallel, median of $RUNS runs, $(nproc) CPUs"
echo
echo '| tool                               | wall s  | CPU s   | peak MiB |'
echo '|------------------------------------|---------|---------|----------|'
row "curl --parallel (fetch floor)" curl
for m in $TEXT; do
	row "reewatchd first cycle, $m text" "first.$m"
	[ -z "$BASELINE" ] || row "  baseline: first, $m text" "first.$m.base"
done
[ -z "$as_unit" ] || row "  as the system unit runs it" first.unit
[ ! -s "$work/m.round" ] || row "reewatchd service, first round" round
[ -z "$BASELINE" ] || [ ! -s "$work/m.round.base" ] || row "  baseline: service, first round" round.base
[ -z "$as_unit" ] || [ ! -s "$work/m.round.unit" ] || row "  as the system unit runs it" round.unit
row "reewatchd --once, all 304" notmod
[ -z "$BASELINE" ] || row "  baseline: all 304" notmod.base
row "newsboat -x reload (fresh cache)" newsboat
row "sfeed_update (fresh)" sfeed
echo
# idle_row LABEL SUFFIX: the idle line, medians of the IDLE_RUNS
idle_row() {
	mib() { awk -v k="$(median "$work/idle$1" "$2")" 'BEGIN { printf "%.1f", k / 1024 }'; }
	echo "$1: $(mib "$2" 1) MiB (its peak: $(mib "$2" 2) MiB; PSS $(mib "$2" 3) MiB, of it anonymous $(mib "$2" 4) MiB)"
}
idle_row "reewatchd idle RSS after a full cycle ($main_mode text)" ""
[ -z "$BASELINE" ] || idle_row "  baseline idle RSS" .base
[ -z "$as_unit" ] || idle_row "  as the system unit runs it (its Environment=, MemoryDenyWriteExecute=yes)" .unit
[ "${IDLE_RUNS:-1}" -eq 1 ] || echo "(idle: median of $IDLE_RUNS runs, $(cut -d' ' -f1 "$work/idle" | tr '\n' ' ')kB${BASELINE:+; baseline $(cut -d' ' -f1 "$work/idle.base" | tr '\n' ' ')kB})"
c=$(median "$work/m.curl" 1)
for m in $TEXT; do
	f=$(median "$work/m.first.$m" 1)
	echo "first cycle ($m text) / curl: $(awk -v a="$f" -v b="$c" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }')x (target <= 2.5x)"
	if [ -n "$BASELINE" ]; then
		o=$(median "$work/m.first.$m.base" 1)
		echo "first cycle ($m text) new / baseline: $(awk -v a="$f" -v b="$o" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }') wall, $(awk -v a="$(cpu "$work/m.first.$m")" -v b="$(cpu "$work/m.first.$m.base")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }') CPU"
	fi
done
[ -z "${KEEP_WORK:-}" ] || echo "work folder kept: $work" >&2
