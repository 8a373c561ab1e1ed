#!/bin/sh
# service-units.sh: the systemd units, substituted with paths into the
# build tree: `systemd-analyze verify` passes on both, and
# `systemd-analyze security --offline=true` rates the system unit's
# exposure at 1.5 or less.  verify runs man(1) on Documentation=, so the
# pages from doc/ are put on a private MANPATH.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v systemd-analyze >/dev/null || bail "systemd-analyze not found (apt-get install systemd)"
command -v man >/dev/null || bail "man not found (apt-get install man-db)"

mkdir -p "$work/etc/reewatch" "$work/man/man8" "$work/man/man5" "$work/man/man1" \
	"$work/run" "$work/config" "$work/units/user"
cp "$top_srcdir/doc/reewatchd.8" "$work/man/man8/"
cp "$top_srcdir/doc/reewatch.conf.5" "$top_srcdir/doc/reewatch.feeds.5" \
	"$top_srcdir/doc/reewatch.watch.5" "$work/man/man5/"
cp "$top_srcdir/doc/reewatch.1" "$work/man/man1/"
subst() {
	sed -e "s|@bindir@|$top_builddir|g" -e "s|@sbindir@|$top_builddir|g" \
		-e "s|@sysconfdir@|$work/etc|g" "$1" >"$2"
}
subst "$top_srcdir/systemd/reewatch.service.in" "$work/units/reewatch.service"
subst "$top_srcdir/systemd/user/reewatch.service.in" "$work/units/user/reewatch.service"

for f in "$work/units/reewatch.service" "$work/units/user/reewatch.service"; do
	! grep -q '@[a-z]*@' "$f"
	ok $? "$(basename "$(dirname "$f")")/$(basename "$f"): every @var@ substituted"
done

export MANPATH="$work/man" XDG_RUNTIME_DIR="$work/run" XDG_CONFIG_HOME="$work/config"
out=$(systemd-analyze verify "$work/units/reewatch.service" 2>&1)
ok $? "systemd-analyze verify: the system unit"
[ -n "$out" ] && echo "$out" | sed 's/^/# /'
out=$(systemd-analyze --user verify "$work/units/user/reewatch.service" 2>&1)
ok $? "systemd-analyze --user verify: the user unit"
[ -n "$out" ] && echo "$out" | sed 's/^/# /'

exposure() {	# exposure [--user] UNIT: the "Overall exposure level" number
	systemd-analyze security --offline=true "$@" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
sys=$(exposure "$work/units/reewatch.service")
diag "system unit exposure: $sys"
awk -v e="$sys" 'BEGIN { exit !(e != "" && e <= 1.5) }'
ok $? "the system unit's exposure is at most 1.5 ($sys)"
usr=$(exposure --user "$work/units/user/reewatch.service")
diag "user unit exposure: $usr (a desktop session unit: informational)"
[ -n "$usr" ]
ok $? "systemd-analyze security rates the user unit"
grep -q '^Type=notify' "$work/units/reewatch.service" &&
	grep -q '^Type=notify' "$work/units/user/reewatch.service"
ok $? "both units are Type=notify"
grep -q '^Environment=GNUTLS_NO_IMPLICIT_INIT=1$' "$work/units/reewatch.service" &&
	grep -q '^Environment=GNUTLS_NO_IMPLICIT_INIT=1$' "$work/units/user/reewatch.service"
ok $? "both units keep GnuTLS from initialising itself when loaded"
done_testing
