#!/usr/bin/env python3
# smtp-sink.py PORT DIR [USER:PASSWORD]: an SMTP server on 127.0.0.1
# (aiosmtpd) for the mail tests.  Each message goes to DIR/NNN.eml, its
# envelope to DIR/NNN.env ("from", "to ...", "auth USER" lines).  RCPT TO
# reject@... gets 550.  With USER:PASSWORD, AUTH is required (over plain
# SMTP, or after STARTTLS with $SINK_TLS_CERT/$SINK_TLS_KEY).  Runs until
# SIGTERM.
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port = int(sys.argv[1])
folder = sys.argv[2]
creds = sys.argv[3].split(":", 1) if len(sys.argv) > 3 else None


class Sink:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("reject@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(folder) if f.endswith(".eml")])
        base = os.path.join(folder, "%03d" % n)
        with open(base + ".env", "w") as f:
            f.write("from %s\n" % envelope.mail_from)
            f.write("to %s\n" % " ".join(envelope.rcpt_tos))
            if session.authenticated:
                f.write("auth %s\n" % session.auth_data.login.decode())
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (creds is not None and auth_data.login.decode() == creds[0]
          and auth_data.password.decode() == creds[1])
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


kw = {}
if creds:
    kw = dict(authenticator=authenticator, auth_required=True,
              auth_require_tls=False)
# $SINK_TLS_CERT and $SINK_TLS_KEY: offer STARTTLS and require it.
if os.environ.get("SINK_TLS_CERT"):
    import ssl
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.environ["SINK_TLS_CERT"],
                        os.environ["SINK_TLS_KEY"])
    kw.update(tls_context=ctx, require_starttls=True)
ctl = Controller(Sink(), hostname="127.0.0.1", port=port, **kw)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
signal.signal(signal.SIGINT, lambda *a: stop.set())
ctl.start()
open(os.path.join(folder, "ready"), "w").close()
stop.wait()
ctl.stop()
