#!/usr/bin/env python3
# hostile-server.py: a small HTTP server on 127.0.0.1 that misbehaves on
# purpose (slow, huge, gzip bombs, redirect loops, 429s) for the tests.
# Standard library only; serves nothing from disk; stop it by its PID.
#
# usage: hostile-server.py [PORT] [--pidfile PATH] [--log PATH]
# The chosen port is the first line on stdout.

import argparse
import base64
import email.utils
import gzip
import os
import socketserver
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>hostile</title>
<item><title>Rare earth test item</title><link>http://127.0.0.1/1</link></item>
</channel></rss>
"""
FEED_ETAG = '"abc"'
# RFC 850 form on purpose: a client that re-formats the date (as
# CURLOPT_TIMECONDITION would) no longer matches and gets a 200.
FEED_LAST_MODIFIED = "Sunday, 06-Nov-94 08:49:37 GMT"

GZIP_TEXT = ("Редкоземельные металлы / 稀土 / rare earths\n" * 200).encode()

_bomb = None
_bomb_lock = threading.Lock()

LOG = None
_log_lock = threading.Lock()

_active = 0
_peak = 0
_active_lock = threading.Lock()


def bomb():
    """~1 MB of gzip that inflates to 1 GiB of zeros, made in ~1 s.

    Each MiB of zeros compresses to the same bytes after a full flush, so
    the stream is one such block repeated, an empty final block and the
    gzip trailer.
    """
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            zeros = bytes(1 << 20)
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
            tail = c.flush(zlib.Z_FINISH)
            crc = 0
            for _ in range(1024):
                crc = zlib.crc32(zeros, crc)
            header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
            _bomb = (header + block * 1024 + tail +
                     crc.to_bytes(4, "little") +
                     (1 << 30).to_bytes(4, "little"))
        return _bomb


class Handler(BaseHTTPRequestHandler):
    server_version = "hostile/1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body=b"", ctype="text/plain", headers=(),
             length=True):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def redirect(self, status, where):
        self.send(status, b"moved\n", headers=[("Location", where)])

    def query(self):
        q = {}
        if "?" in self.path:
            for kv in self.path.split("?", 1)[1].split("&"):
                k, _, v = kv.partition("=")
                q[k] = v
        return q

    def stream(self, size, chunk=65536):
        # Close-delimited (HTTP/1.0, no Content-Length).
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        block = b"x" * chunk
        while size > 0:
            n = min(size, chunk)
            self.wfile.write(block[:n])
            size -= n

    def do_GET(self):
        if LOG is not None:
            # "SECONDS PATH": when each request came, for gap checks.
            with _log_lock:
                LOG.write("%.3f %s\n" % (time.time(), self.path))
                LOG.flush()
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route(self):
        global _active, _peak
        path = self.path.split("?", 1)[0]
        if path == "/feed.xml":
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if inm == FEED_ETAG and ims in (None, FEED_LAST_MODIFIED):
                self.send_response(304)
                self.send_header("ETag", FEED_ETAG)
                self.end_headers()
                return
            self.send(200, FEED, "application/rss+xml; charset=utf-8",
                      [("ETag", FEED_ETAG),
                       ("Last-Modified", FEED_LAST_MODIFIED)])
        elif path == "/lm-only":
            # Conditional on the date alone, compared byte for byte.
            ims = self.headers.get("If-Modified-Since")
            if ims == FEED_LAST_MODIFIED:
                self.send_response(304)
                self.end_headers()
                return
            self.send(200, FEED, "application/rss+xml",
                      [("Last-Modified", FEED_LAST_MODIFIED)])
        elif path == "/gzip":
            self.send(200, gzip.compress(GZIP_TEXT),
                      "text/plain; charset=utf-8",
                      [("Content-Encoding", "gzip")])
        elif path == "/badgzip":
            self.send(200, b"\x1f\x8b\x08\x00this is not gzip at all",
                      headers=[("Content-Encoding", "gzip")])
        elif path == "/big":
            # ?len=N (default 4 MiB); ?cl=0 streams without Content-Length.
            q = self.query()
            size = int(q.get("len", 4 << 20))
            if q.get("cl") == "0":
                self.stream(size)
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                block = b"x" * 65536
                while size > 0:
                    n = min(size, len(block))
                    self.wfile.write(block[:n])
                    size -= n
        elif path == "/bomb":
            self.send(200, bomb(), "application/xml",
                      [("Content-Encoding", "gzip")])
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.end_headers()
            for _ in range(60):
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(1)
        elif path == "/loop":
            self.redirect(302, "/loop")
        elif path == "/tofile":
            self.redirect(302, "file:///etc/passwd")
        elif path == "/perm":
            self.redirect(301, "/feed.xml")
        elif path == "/perm308":
            self.redirect(308, "/perm")
        elif path == "/temp":
            self.redirect(302, "/feed.xml")
        elif path == "/temp2perm":
            self.redirect(302, "/perm")
        elif path == "/perm2temp":
            self.redirect(301, "/temp")
        elif path == "/retry":
            self.send(429, b"slow down\n", headers=[("Retry-After", "120")])
        elif path == "/retrydate":
            when = email.utils.formatdate(time.time() + 3600, usegmt=True)
            self.send(503, b"later\n", headers=[("Retry-After", when)])
        elif path == "/cache":
            self.send(200, FEED, "application/rss+xml",
                      [("Cache-Control", "public, max-age=900")])
        elif path == "/500":
            self.send(500, b"broken\n")
        elif path == "/auth":
            # A feed behind basic auth (u / s3cret-pw) and an API key.
            want = "Basic " + base64.b64encode(b"u:s3cret-pw").decode()
            if (self.headers.get("Authorization") == want and
                    self.headers.get("X-Api-Key") == "k3y-123"):
                self.send(200, FEED, "application/rss+xml")
            else:
                self.send(401, b"who are you\n",
                          headers=[("WWW-Authenticate", 'Basic realm="r"')])
        elif path == "/slow503":
            # Retry-After in seconds on a 503, from ?s=N (default 120).
            self.send(503, b"later\n", headers=[
                ("Retry-After", self.query().get("s", "120"))])
        elif path == "/ua":
            self.send(200, self.headers.get("User-Agent", "").encode())
        elif path == "/headers":
            self.send(200, str(self.headers).encode())
        elif path == "/sleepy":
            # Counts how many of these run at once; /peak tells.
            with _active_lock:
                _active += 1
                _peak = max(_peak, _active)
            try:
                time.sleep(int(self.query().get("ms", 200)) / 1000)
            finally:
                with _active_lock:
                    _active -= 1
            self.send(200, FEED, "application/rss+xml")
        elif path == "/peak":
            with _active_lock:
                self.send(200, str(_peak).encode())
        else:
            self.send(404, b"not found\n")


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", nargs="?", type=int, default=0)
    ap.add_argument("--pidfile")
    ap.add_argument("--log", help="append 'TIME PATH' per request")
    args = ap.parse_args()
    global LOG
    if args.log:
        LOG = open(args.log, "a")

    srv = Server(("127.0.0.1", args.port), Handler)
    if args.pidfile:
        with open(args.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(args.pidfile + ".tmp", args.pidfile)
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
