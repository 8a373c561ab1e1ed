# lib.sh: shared helpers of the integration tests: TAP output, a private
# work folder, free ports, and an nginx and the hostile server on 127.0.0.1
# started and stopped by PID.  Sourced by each test; needs top_srcdir and
# top_builddir.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
REEWATCH="$top_builddir/reewatch"
REEWATCHD="$top_builddir/reewatchd"
tap_n=0
tap_failed=0
pids=""

ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

check() {	# check DESCRIPTION COMMAND...: one test point from a command
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok 0 "$desc"; else ok 1 "$desc"; fi
}

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

diag() { echo "# $*"; }

bail() { echo "Bail out! $*"; cleanup; exit 1; }

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	pids=""
	[ -n "${work:-}" ] && [ -z "${KEEP_WORK:-}" ] && rm -rf "$work"
}

done_testing() {
	cleanup
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

trap 'cleanup' INT TERM

work=$(mktemp -d /tmp/reewatch-it.XXXXXX) || exit 99
chmod 755 "$work"

wait_for() {	# wait_for SECONDS COMMAND...: until COMMAND succeeds, or 1
	wait_n=$(($1 * 10)); shift
	while [ $wait_n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		wait_n=$((wait_n - 1))
	done
	return 1
}

free_port() {
	"${PYTHON3:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

find_nginx() {
	for n in "${NGINX:-}" /usr/sbin/nginx nginx; do
		[ -n "$n" ] && command -v "$n" >/dev/null 2>&1 && { echo "$n"; return 0; }
	done
	return 1
}

# start_nginx DOCROOT: serves DOCROOT on 127.0.0.1:$nginx_port, logs
# "URI STATUS INM|IMS" lines to $work/nginx/access.log.  start_nginx
# DOCROOT DIRECTIVES: DIRECTIVES go into the server block too.
start_nginx() {
	nginx_bin=$(find_nginx) || bail "nginx not found (apt-get install nginx-light)"
	nginx_port=$(free_port)
	mkdir -p "$work/nginx/tmp"
	user_line=""
	[ "$(id -u)" -eq 0 ] && user_line="user root;"
	cat >"$work/nginx/nginx.conf" <<NGINX
$user_line
worker_processes 1;
daemon off;
master_process on;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 64; }
http {
	default_type application/octet-stream;
	types { application/rss+xml xml; text/html html; application/atom+xml atom; }
	log_format t '\$request_uri \$status \$http_if_none_match|\$http_if_modified_since|\$http_user_agent';
	access_log $work/nginx/access.log t;
	client_body_temp_path $work/nginx/tmp;
	proxy_temp_path $work/nginx/tmp;
	fastcgi_temp_path $work/nginx/tmp;
	uwsgi_temp_path $work/nginx/tmp;
	scgi_temp_path $work/nginx/tmp;
	gzip on;
	gzip_types application/rss+xml application/atom+xml;
	gzip_min_length 10;
	server {
		listen 127.0.0.1:$nginx_port;
		root $1;
		location = /status/404 { return 404; }
		location = /status/500 { return 500; }
		location = /lying-charset.xml { charset iso-8859-1; types { text/xml xml; } }
		location = /moved.xml { return 301 /state-media.xml; }
		${2:-}
	}
}
NGINX
	# NGINX in the environment names inherited sockets to nginx itself.
	env -u NGINX "$nginx_bin" -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
	nginx_pid=$!
	pids="$pids $nginx_pid"
	wait_for 5 "${PYTHON3:-python3}" -c "import socket,sys; socket.create_connection(('127.0.0.1',$nginx_port),0.2)" 2>/dev/null ||
		bail "nginx did not start: $(cat "$work/nginx/error.log" 2>/dev/null)"
}

# start_hostile LOG: tests/integration/hostile-server.py on a free port of
# 127.0.0.1, logging "TIME PATH" per request to LOG; its base URL in
# $hostile_url.
start_hostile() {
	"${PYTHON3:-python3}" "$top_srcdir/tests/integration/hostile-server.py" \
		--log "$1" >"$work/hostile.port" 2>"$work/hostile.err" &
	pids="$pids $!"
	wait_for 5 [ -s "$work/hostile.port" ] ||
		bail "hostile server did not start: $(cat "$work/hostile.err")"
	hostile_url="http://127.0.0.1:$(head -1 "$work/hostile.port")"
}

# sql DB QUERY: one value from a SQLite file.
sql() { sqlite3 -batch -noheader "$1" "$2"; }
