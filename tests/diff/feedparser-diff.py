#!/usr/bin/python3
"""feedparser-diff.py: differential test of `reewatch parse` against
python3-feedparser (Debian's, the Python world's reference parser).

For every file under the corpus folders given (default: the peer and real
folders of $REEWATCH_CORPUS or ../shared/corpus), run both parsers and
compare the entry count and, entry by entry, title, link, id and the
published date (to the second, UTC).  Prints agreement per field, overall
and for feedparser's well-formed set, and the disagreements; any crash
(signal, sanitizer report) or hang (over --timeout s) of reewatch is a
failure.  With --assert, exits 1 when the well-formed targets are missed
(titles and links >= 97 %, dates >= 90 %) or anything crashed or hung.

Reads the corpus and runs reewatch; writes nothing but its report.
"""

import argparse
import ast
import calendar
import html
import json
import os
import re
import subprocess
import sys
import urllib.parse
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import feedparser

FIELDS = ("count", "title", "link", "id", "published")
TARGETS = {"title": 97.0, "link": 97.0, "published": 90.0}
# Not feeds, or not XML: JSON Feed, gzip bytes, test metadata.
SKIP_SUFFIXES = (".json", ".gz", ".py", ".md", ".txt", ".sh", ".README")

TAG_RE = re.compile(r"<[^>]*>")
# What text_clean() drops or folds; applied to both sides.
DROP_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff"
                     "\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]")
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
EXPECT_RE = re.compile(r"^Expect:(.*)$", re.M)
RW_TIME_RE = re.compile(r"^(-?\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$")
SPACE_RE = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def norm_text(s, is_html=False):
    """The plain-text view both parsers should agree on."""
    if s is None:
        return None
    if is_html:
        s = TAG_RE.sub(" ", s)
    s = html.unescape(s)
    s = DROP_RE.sub("", s)
    s = SPACE_RE.sub(" ", s).strip()
    s = unicodedata.normalize("NFC", s)
    return s or None


def norm_link(s):
    if not s:
        return None
    s = s.strip()
    # Scheme and host are case-insensitive (RFC 3986 6.2.2.1).
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", s, re.S)
    if m:
        s = m.group(1).lower() + "://" + m.group(2).lower() + m.group(3)
    return s or None


def norm_id(s):
    if s is None:
        return None
    s = SPACE_RE.sub(" ", s).strip()
    return s or None


def fp_time(e):
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = e.get(key)
        if t:
            try:
                return calendar.timegm(t)
            except (TypeError, ValueError, OverflowError):
                return None
    return None


CHAIN_RE = re.compile(r"((?:entries\[\d+\]\['\w+'\]\s*==\s*)+)"
                      r"(u?'(?:[^'\\]|\\.)*'|u?\"(?:[^\"\\]|\\.)*\")")
REF_RE = re.compile(r"entries\[(\d+)\]\['(\w+)'\]")


def expected_values(data):
    """What a feedparser test file's "Expect:" line says entry fields must
    be: {(entry index, field): value} for title, link and id literals."""
    out = {}
    m = EXPECT_RE.search(data[:4096].decode("utf-8", "replace"))
    if not m:
        return out
    for chain, lit in CHAIN_RE.findall(m.group(1)):
        try:
            value = ast.literal_eval(lit)
        except (ValueError, SyntaxError):
            continue
        for i, f in REF_RE.findall(chain):
            if f in ("title", "link", "id"):
                out[(int(i), f)] = value
    return out


def fp_entries(path):
    with open(path, "rb") as f:
        data = f.read()
    # No base URL, as in feedparser's own test runner (with a file: base
    # feedparser's _urifixer mangles "file:///" into "file://").  Links it
    # leaves relative are resolved here against reewatch's base,
    # file://ABSPATH, with RFC 3986 joining.
    d = feedparser.parse(data)
    base = "file://" + os.path.abspath(path)
    out = []
    for e in d.entries:
        td = e.get("title_detail") or {}
        link = norm_link(e.get("link"))
        fid = e.get("id")
        # feedparser copies an Atom id into link even when it is no URL
        # ("right", "Correct Value"): its guidislink default.
        link_from_id = bool(link and fid and link == fid.strip() and
                            not SCHEME_RE.match(fid.strip()))
        if link and not SCHEME_RE.match(link):
            link = urllib.parse.urljoin(base, link)
        out.append({
            "title": norm_text(e.get("title"),
                               "html" in (td.get("type") or "")),
            "link": norm_link(link),
            "id": norm_id(e.get("id")),
            "published": fp_time(e),
            "link_from_id": link_from_id,
        })
    return out, expected_values(data)


def rw_time(s):
    if not s:
        return None
    m = RW_TIME_RE.match(s)
    if not m:
        return s                    # shown as is in the disagreements
    return calendar.timegm(tuple(int(x) for x in m.groups()) + (0, 0, 0))


def rw_entries(reewatch, path, timeout):
    """Returns (entries or None, problem or None)."""
    try:
        p = subprocess.run([reewatch, "parse", path], capture_output=True,
                           timeout=timeout,
                           env=dict(os.environ, LC_ALL="C.UTF-8"))
    except subprocess.TimeoutExpired:
        return None, "hang (over %s s)" % timeout
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0 or "Sanitizer" in err or "runtime error" in err:
        return None, "crash (exit %d): %s" % (p.returncode,
                                               err.strip()[:300])
    if p.returncode != 0:
        return [], None             # rejected: not a feed, malformed
    out = []
    for line in p.stdout.decode("utf-8").splitlines():
        e = json.loads(line)
        out.append({
            "title": norm_text(e.get("title")),
            "link": norm_link(e.get("link")),
            "id": norm_id(e.get("id")),
            "published": rw_time(e.get("published")),
        })
    return out, None


def compare(reewatch, path, timeout):
    ours, problem = rw_entries(reewatch, path, timeout)
    if problem:
        return {"path": path, "problem": problem}
    try:
        theirs, expect = fp_entries(path)
    except Exception as ex:     # feedparser's own crash: not ours
        return {"path": path, "fp_error": repr(ex)[:200], "ours": ours}
    return {"path": path, "ours": ours, "theirs": theirs, "expect": expect}


class Tally:
    def __init__(self):
        self.agree = dict.fromkeys(FIELDS, 0)
        self.total = dict.fromkeys(FIELDS, 0)
        self.fp_own = dict.fromkeys(FIELDS, 0)
        self.diffs = []

    def add(self, res):
        ours, theirs = res["ours"], res["theirs"]
        path = res["path"]
        self.total["count"] += 1
        if len(ours) == len(theirs):
            self.agree["count"] += 1
        else:
            self.diffs.append((path, "count", None, len(ours),
                               len(theirs)))
        for i, (a, b) in enumerate(zip(ours, theirs)):
            for f in FIELDS[1:]:
                if a[f] is None and b[f] is None:
                    continue        # neither has it: nothing to compare
                self.total[f] += 1
                if a[f] == b[f]:
                    self.agree[f] += 1
                    continue
                want = res["expect"].get((i, f))
                norm = norm_link if f == "link" else \
                    norm_id if f == "id" else norm_text
                if want is not None and norm(want) == a[f]:
                    # feedparser fails its own test's Expect line here
                    self.fp_own[f] += 1
                    self.diffs.append((path, f + " [feedparser fails "
                                       "its own test]", i, a[f], b[f]))
                elif f == "link" and a[f] is None and b["link_from_id"]:
                    self.fp_own[f] += 1
                    self.diffs.append((path, f + " [feedparser: a non-URL "
                                       "id as link]", i, a[f], b[f]))
                else:
                    self.diffs.append((path, f, i, a[f], b[f]))

    def pct(self, f):
        return 100.0 * self.agree[f] / self.total[f] if self.total[f] \
            else 100.0

    def pct_fair(self, f):
        """Agreement where feedparser meets its own tests' expectations."""
        n = self.total[f] - self.fp_own[f]
        return 100.0 * self.agree[f] / n if n else 100.0

    def report(self, name, out):
        out.write("== %s: field, agreement, and without feedparser's "
                  "bugs (fails its own test; a non-URL id as link)\n" % name)
        for f in FIELDS:
            out.write("  %-10s %6.2f %%  (%d of %d)   %6.2f %%  (%d of %d)"
                      "\n" % (f, self.pct(f), self.agree[f], self.total[f],
                              self.pct_fair(f), self.agree[f],
                              self.total[f] - self.fp_own[f]))


def fmt(v):
    if isinstance(v, int) and v > 100000:
        import time
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(v))
    return repr(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reewatch", default=os.environ.get("REEWATCH",
                                                         "reewatch"))
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--assert", dest="check", action="store_true",
                    help="exit 1 when a target is missed")
    ap.add_argument("--quiet", action="store_true",
                    help="no list of disagreements")
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()

    dirs = args.dirs
    if not dirs:
        corpus = os.environ.get("REEWATCH_CORPUS") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
            "shared", "corpus")
        dirs = [os.path.join(corpus, "peer"), os.path.join(corpus, "real")]
    dirs = [os.path.realpath(d) for d in dirs]
    files = []
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in names:
                if not n.endswith(SKIP_SUFFIXES):
                    files.append(os.path.join(root, n))
    files.sort()

    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        results = list(ex.map(
            lambda p: compare(args.reewatch, p, args.timeout), files))

    everything, wellformed = Tally(), Tally()
    problems, fp_errors = [], []
    for r in results:
        if "problem" in r:
            problems.append(r)
            continue
        if "fp_error" in r:
            fp_errors.append(r)
            continue
        everything.add(r)
        if "/feedparser/tests/wellformed/" in r["path"]:
            wellformed.add(r)

    out = sys.stdout
    out.write("files: %d; reewatch crashes or hangs: %d; "
              "feedparser exceptions: %d\n" % (len(files), len(problems),
                                                len(fp_errors)))
    everything.report("all files", out)
    wellformed.report("feedparser wellformed set", out)
    for r in problems:
        out.write("PROBLEM %s: %s\n" % (r["path"], r["problem"]))
    if not args.quiet:
        out.write("== disagreements (file, field, entry, reewatch, "
                  "feedparser)\n")
        for path, f, i, a, b in everything.diffs:
            out.write("%s\t%s\t%s\t%s\t%s\n" % (path, f, i, fmt(a), fmt(b)))

    failed = bool(problems)
    for f, want in TARGETS.items():
        if wellformed.pct_fair(f) < want:
            out.write("TARGET MISSED: wellformed %s %.2f %% < %.0f %%\n" % (
                f, wellformed.pct_fair(f), want))
            failed = True
    if args.check and failed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
