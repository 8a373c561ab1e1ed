#!/bin/sh
# mail-smtp.sh: digest e-mail against a real SMTP server on 127.0.0.1
# (python3-aiosmtpd, tests/integration/smtp-sink.py).  The message parses
# with Python's email package, is multipart/alternative (text and HTML),
# carries the hits, its subject decodes to the Cyrillic headline, and no
# CR/LF from a feed reaches a header.  With the server down the digest's
# mail stays queued and goes out on a later run.  mail-test says what
# failed (curl's message, the SMTP code); AUTH with a password file or a
# systemd credential, never printed; a sendmail program.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || bail "sqlite3 not found (tools/install-deps --test)"
PY=
for p in /usr/bin/python3 "${PYTHON3:-python3}"; do
	"$p" -c 'import aiosmtpd' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || bail "python3 with aiosmtpd not found (tools/install-deps --test: python3-aiosmtpd)"

d="$top_srcdir/tests/data"
mkdir -p "$work/watch" "$work/sink"
cp "$d/watch/cycle.watch" "$work/watch/"
cat >"$work/test.feeds" <<FEEDS
[feed "Local"]
url = file:$d/cycle/state-media.xml

[feed "Other"]
url = file:$d/cycle/state-media.xml

[feed "Hostile"]
url = file:$d/digest/hostile.xml
FEEDS
port=$(free_port)
conf() {	# conf EXTRA-MAIL-LINES
	cat >"$work/reewatch.conf" <<CONF
[daemon]
state_dir = state
feeds = test.feeds
watchlists = watch
[digest]
formats = html, txt
[mail]
from = reewatch <reewatch@example.test>
to = analyst@example.test
$1
CONF
}
conf "smtp_url = smtp://127.0.0.1:$port"
rw() { "$REEWATCH" --config "$work/reewatch.conf" "$@"; }
db="$work/state/reewatch.db"

sink_pid=
start_sink() {	# start_sink [USER:PASSWORD]
	rm -f "$work/sink/ready"
	"$PY" "$top_srcdir/tests/integration/smtp-sink.py" "$port" "$work/sink" "$@" \
		>"$work/sink.log" 2>&1 &
	sink_pid=$!
	pids="$pids $sink_pid"
	wait_for 10 [ -e "$work/sink/ready" ] ||
		bail "smtp-sink did not start: $(cat "$work/sink.log")"
}
stop_sink() {
	kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
	sink_pid=
}
n_mails() { ls "$work/sink" | grep -c '\.eml$'; }
last_mail() { ls "$work/sink"/*.eml | tail -1; }

"$REEWATCHD" --once --config "$work/reewatch.conf" >/dev/null 2>&1
# Found a minute ago (a digest ending this second would miss them).
sqlite3 "$db" "UPDATE hits SET created = created - 60"
# A headline with CR LF and a header after it: must never become a header.
sqlite3 "$db" "UPDATE entries SET title = title || char(13,10) ||
    'Bcc: victim@evil.test' WHERE guid = 'sm-1001'"

# 1. The server is down: the digest is written, its mail waits.
out=$(rw digest --period 7d 2>&1)
is "$?" 1 "digest with the SMTP server down exits 1"
case $out in *"digest: 6 hits"*"mail: 0 sent, 1 waiting"*) ok 0 "the digest is written, its mail waits";;
	*) ok 1 "the digest is written, its mail waits: $out";; esac
case $out in *"mail failed: SMTP: "*"onnect"*"kept queued"*) ok 0 "and says why, with curl's message";;
	*) ok 1 "and says why, with curl's message: $out";; esac
is "$(sqlite3 "$db" "SELECT mail_state || ' ' || mail_attempts FROM digests")" "pending 1" \
	"the digest's mail stays pending with one attempt"
period=$(sqlite3 "$db" "SELECT period_start || '-' || period_end FROM digests")

# 2. Later, the server is up: the next run sends it.
start_sink
out=$(rw deliver 2>&1)
case $out in *"0 mailed"*) ok 0 "not before the back-off";;
	*) ok 1 "not before the back-off: $out";; esac
sqlite3 "$db" "UPDATE digests SET mail_next_attempt = 0"	# a minute later
out=$(rw deliver 2>&1)
is "$?" 0 "deliver exits 0"
case $out in *"1 mailed, 0 mail waiting"*) ok 0 "the waiting digest goes out";;
	*) ok 1 "the waiting digest goes out: $out";; esac
is "$(n_mails)" 1 "the server received one message"
is "$(sqlite3 "$db" "SELECT mail_state FROM digests")" done "and the digest is marked mailed"
out=$(rw deliver 2>&1)
is "$(n_mails)" 1 "a second run sends nothing again"

"$PY" - "$(last_mail)" "$period" >"$work/check.txt" 2>&1 <<'PY'
import email, email.policy, email.utils, re, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
def say(ok, what):
    print(("ok " if ok else "FAIL ") + what)
say(m.get_content_type() == "multipart/alternative", "multipart/alternative")
types = [p.get_content_type() for p in m.iter_parts()]
say(types == ["text/plain", "text/html"], "text then html: %s" % types)
subj = str(m["subject"])
say("Долина Менделеева" in subj, "subject decodes to Cyrillic: %r" % subj)
say("\n" not in subj and "\r" not in subj, "subject is one line")
say(m["bcc"] is None, "no Bcc header from feed text")
hdr = raw.split(b"\r\n\r\n", 1)[0]
subj_raw = re.search(rb"\r\nSubject: (.*?)\r\n(?! )", hdr, re.S).group(0)
say(all(len(l) <= 78 for l in subj_raw.split(b"\r\n")), "Subject folded, lines at most 78 octets")
say(all(len(w) <= 75 for w in re.findall(rb"=\?UTF-8\?B\?[^?]*\?=", subj_raw)), "encoded-words at most 75")
say(b"victim" not in hdr or b"Bcc:" not in hdr.replace(b"\r\n ", b""), "no raw Bcc line")
say(email.utils.parsedate_to_datetime(m["date"]) is not None, "Date parses")
start, end = sys.argv[2].split("-")
say(re.fullmatch(r"<digest-%s-%s\.[0-9a-f]{16}@example\.test>" % (start, end),
    m["message-id"]) is not None, "stable Message-ID: %s" % m["message-id"])
say(m["mime-version"] == "1.0", "MIME-Version")
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
say("Ксения Шойгу" in text and "Rosatom" in text, "text carries the hits")
say("<mark" in html and "<svg" in html and "Feed health" in html,
    "html carries highlights, chart, feed health")
say("<script" not in html.lower() and "javascript:" not in html.lower().replace("javascript:alert(3)", ""),
    "no script from a feed in the html")
PY
while read -r res what; do
	if [ "$res" = ok ]; then ok 0 "mail: $what"; else ok 1 "mail: $what"; fi
done <"$work/check.txt"
grep -q '^ok multipart' "$work/check.txt" || { ok 1 "the message parses"; cat "$work/check.txt"; }
is "$(cat "$work/sink/000.env")" "from reewatch@example.test
to analyst@example.test" "envelope: from and the one recipient"

# 3. digest --send with the server up: written and mailed at once.
out=$(rw digest --period 24h --send 2>&1)
is "$?" 0 "digest --send exits 0"
case $out in *"mail: 1 sent, 0 waiting"*) ok 0 "and sends it";;
	*) ok 1 "and sends it: $out";; esac

# 4. mail-test: ok, a rejected recipient, the server down, STARTTLS.
out=$(rw mail-test 2>&1)
case $out in *"transport: smtp://127.0.0.1:$port"*"ok: test message accepted"*)
	ok 0 "mail-test sends a test message";; *) ok 1 "mail-test: $out";; esac
grep -q 'reewatch: test message' "$(last_mail)"
ok $? "the server got the test message"
sed -i 's/^to = .*/to = reject@example.test/' "$work/reewatch.conf"
out=$(rw mail-test 2>&1)
is "$?" 1 "mail-test with a rejected recipient exits 1"
case $out in *"FAILED: SMTP: "*"(SMTP response 550)"*) ok 0 "and names curl's error and the SMTP code";;
	*) ok 1 "and names curl's error and the SMTP code: $out";; esac
conf "smtp_url = smtp://127.0.0.1:$port
starttls = yes"
out=$(rw mail-test 2>&1)
case $out in *"(STARTTLS required)"*"FAILED: SMTP: "*) ok 0 "starttls = yes refuses a server without STARTTLS";;
	*) ok 1 "starttls = yes refuses a server without STARTTLS: $out";; esac
stop_sink
conf "smtp_url = smtp://127.0.0.1:$port"
out=$(rw mail-test 2>&1)
case $out in *"FAILED: SMTP: "*"onnect"*) ok 0 "mail-test with the server down says so";;
	*) ok 1 "mail-test with the server down says so: $out";; esac

# 5. AUTH: a password file, a systemd credential, a wrong password.
secret='s3cret-Pw-9f1'
start_sink "analyst:$secret"
printf '%s\n' "$secret" >"$work/smtp.pw"
conf "smtp_url = smtp://127.0.0.1:$port
user = analyst
password_file = smtp.pw"
out=$(rw mail-test 2>&1)
case $out in *"with AUTH"*"ok: test message accepted"*) ok 0 "AUTH with a password file";;
	*) ok 1 "AUTH with a password file: $out";; esac
grep -q '^auth analyst' "$work/sink/$(basename "$(last_mail)" .eml).env"
ok $? "the server saw the login"
conf "smtp_url = smtp://127.0.0.1:$port
user = analyst"
mkdir -p "$work/creds"
printf '%s' "$secret" >"$work/creds/smtp-password"
out2=$(CREDENTIALS_DIRECTORY="$work/creds" rw mail-test 2>&1)
case $out2 in *"ok: test message accepted"*) ok 0 "AUTH with \$CREDENTIALS_DIRECTORY/smtp-password";;
	*) ok 1 "AUTH with a credential: $out2";; esac
printf 'wrong\n' >"$work/creds/smtp-password"
out3=$(CREDENTIALS_DIRECTORY="$work/creds" rw mail-test 2>&1)
case $out3 in *"FAILED: SMTP: "*"535"*) ok 0 "a wrong password: curl's error and 535";;
	*) ok 1 "a wrong password: $out3";; esac
case "$out$out2$out3" in *"$secret"*|*wrong*) ok 1 "the password is never printed";;
	*) ok 0 "the password is never printed";; esac
stop_sink

# 5b. STARTTLS against a server with a self-signed certificate: refused
# without ca_file (the certificate is checked), sent with it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" \
	-out "$work/tls.crt" >/dev/null 2>&1
ok $? "a throw-away certificate for 127.0.0.1"
SINK_TLS_CERT="$work/tls.crt" SINK_TLS_KEY="$work/tls.key" start_sink
before=$(n_mails)
conf "smtp_url = smtp://127.0.0.1:$port
starttls = yes"
out=$(rw mail-test 2>&1)
case $out in *"FAILED: SMTP: "*) ok 0 "STARTTLS with an unknown CA is refused";;
	*) ok 1 "STARTTLS with an unknown CA is refused: $out";; esac
conf "smtp_url = smtp://127.0.0.1:$port
starttls = yes
ca_file = tls.crt"
out=$(rw mail-test 2>&1)
case $out in *"ok: test message accepted"*) ok 0 "STARTTLS with ca_file: sent";;
	*) ok 1 "STARTTLS with ca_file: sent: $out";; esac
is "$(n_mails)" "$((before + 1))" "the TLS server received exactly one message"
stop_sink
unset SINK_TLS_CERT SINK_TLS_KEY

# 6. A sendmail program gets the same message on its stdin.
cat >"$work/sendmail" <<SM
#!/bin/sh
[ "\$1" = "-t" ] || { echo "expected -t, got \$*" >&2; exit 64; }
cat >"$work/sendmail.out"
SM
chmod +x "$work/sendmail"
conf "sendmail = $work/sendmail -t"
out=$(rw mail-test 2>&1)
case $out in *"sendmail: $work/sendmail -t"*"ok: test message"*) ok 0 "mail-test through a sendmail program";;
	*) ok 1 "mail-test through a sendmail program: $out";; esac
"$PY" - "$work/sendmail.out" <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert m.get_content_type() == "multipart/alternative", m.get_content_type()
assert [p.get_content_type() for p in m.iter_parts()] == ["text/plain", "text/html"]
assert m["subject"] == "reewatch: test message" and m["to"] == "analyst@example.test"
assert "test message from reewatch" in m.get_body(("plain",)).get_content()
PY
ok $? "sendmail's message parses: multipart/alternative, text and html"
printf '#!/bin/sh\ncat >/dev/null\necho "sendmail: queue is full" >&2\nexit 75\n' >"$work/sendmail"
out=$(rw mail-test 2>&1)
case $out in *"FAILED: sendmail $work/sendmail exited with status 75: sendmail: queue is full"*)
	ok 0 "a failing sendmail: status and its message";;
	*) ok 1 "a failing sendmail: status and its message: $out";; esac

done_testing
