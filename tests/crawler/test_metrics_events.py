#!/usr/bin/env python3
"""test_metrics_events.py FEEDARC OPERATIONS.md - every metric that
docs/OPERATIONS.md lists moves when its event happens.

One `feedarc serve` over a loopback origin built to make each event happen
(pages that are exact, near and containing duplicates of each other and
share a template, a windows-1252 page without charset, a page robots.txt
forbids, a page that answers 503 once, a slow page, a source whose port
refuses), stopped once (SIGSTOP: the loop runs late) and reloaded once
(SIGHUP).  /metrics is scraped all along, until every metric moved or a
generous deadline (a loaded machine, a sanitizer build); a metric moves when
one of its series is ever non-zero (they all start at 0).  No fixed port:
the origin and /metrics take free ones (serve names its port in the log), the
refusing source's port is bound and never listened on.  The list comes from the
doc's metrics table, so a metric documented without an event here fails.
For the metrics in EVERY_LABEL each documented label value must move."""
import http.server
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

FEEDARC, DOC = sys.argv[1], sys.argv[2]
DEADLINE_S = 90

# metrics whose every documented label value must move; the rest: any series
EVERY_LABEL = {"feedarc_warc_records_total", "feedarc_dedup_findings_total",
               "feedarc_source_polls_total"}


def documented():
    """{name: [label values]} from the doc's metrics table."""
    out = {}
    for line in open(DOC, encoding="utf-8"):
        m = re.match(r"\| `(feedarc_[a-z0-9_]+)` \| (\w+) \|\s*([^|]*?)\s*\|", line)
        if m:
            out[m.group(1)] = re.findall(r"`([^`]+)`", m.group(3).split(":", 1)[-1]) \
                if ":" in m.group(3) else []
    return out


WORDS = ("harbour council river budget school flood barrier port review approved delays "
         "district minister weather festival library museum tram station bridge market").split()


def para(seed, n=60):
    """n words drawn from WORDS and their numbered variants, seeded: distinct
    paragraphs share no run of words (dedup confirms on sentence alignment,
    and text drawn from a few words would align everywhere)"""
    rng = random.Random(seed)
    return " ".join("%s%d" % (rng.choice(WORDS), rng.randrange(40)) for _ in range(n)) + "."


TEMPLATE = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body>"
            "<nav><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/sport\">Sport</a>"
            " <a href=\"/weather\">Weather</a> <a href=\"/about\">About us</a></nav>"
            "<div class=\"banner\">We use cookies to make this site work. Read our cookie "
            "policy and choose the cookies you accept before you go on reading.</div>"
            "<article><h1>{t}</h1>{body}</article>"
            "<footer>The Harbour Ledger, 1 Quay Street. All rights reserved. Contact the "
            "newsroom for corrections and complaints about our reporting.</footer></body></html>")


def page(title, paras):
    return TEMPLATE.format(t=title, body="".join("<p>%s</p>" % p for p in paras)).encode()


def edited(paras, word):
    """paras with one word changed in each: the same story, other blocks (a
    block found in 3 documents of a host would be learned as template)"""
    return [p.replace(" ", " %s " % word, 1) for p in paras]


A = [para(i) for i in range(1, 7)]
PAGES = {
    "/a": page("Story A", A),
    "/a2": page("Story A", A),  # the same bytes: an exact duplicate (listed late)
    "/b": page("Story B", edited(A[:5], "tuesday") + [para(40)]),  # near
    "/c": page("Roundup", [para(50 + i) for i in range(6)] + edited(A, "monday")),  # contains A
}
for i, p in enumerate(("/d", "/e", "/f", "/g")):
    PAGES[p] = page("Story %s" % p, [para(100 + 10 * i + k) for k in range(5)])
PAGES["/private/p"] = page("Private", [para(300)])
LATIN = ("<html><head><title>Caf\xe9</title></head><body>" + "".join(
    "<p>D\xe9j\xe0 l'\xe9t\xe9, le caf\xe9 de la gar\xe7on\xe9e \xe0 c\xf4t\xe9 de l'\xe9cole "
    "ferm\xe9e: pr\xe8s de la for\xeat, \xe7a co\xfbte tr\xe8s cher, h\xe9las. %d</p>" % i
    for i in range(30)) + "</body></html>").encode("cp1252")
SHORT = b"<html><body><p>caf\xe9</p></body></html>"
ITEMS = list(PAGES) + ["/latin", "/short", "/flaky", "/slow"]


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    flaky_seen = set()
    # /a2 joins the feed once a poll of it has finished: an exact duplicate
    # is a revisit only of a capture known to be written, and /a2 examined
    # while /a is still being archived (both fetched at once, a worker
    # slow under load) is rightly kept as a full response
    a2_listed = threading.Event()

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype):
        self.send_response(code)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path.split("?")[0]
        base = "http://%s:%d" % self.server.server_address
        if p == "/robots.txt":
            return self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if p == "/feed.xml":
            listed = [i for i in ITEMS if i != "/a2" or Origin.a2_listed.is_set()]
            items = "".join("<item><title>%s</title><link>%s%s</link><guid>%s%s</guid></item>"
                            % (i, base, i, base, i) for i in listed)
            return self.send(200, ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>"
                                   "<title>t</title><link>%s/</link>%s</channel></rss>"
                                   % (base, items)).encode(), "application/rss+xml")
        if p == "/flaky" and p not in Origin.flaky_seen:
            Origin.flaky_seen.add(p)
            return self.send(503, b"busy", "text/plain")
        if p == "/flaky":
            return self.send(200, page("Flaky", [para(400)]), "text/html; charset=utf-8")
        if p == "/slow":
            time.sleep(2)
            return self.send(200, page("Slow", [para(500)]), "text/html; charset=utf-8")
        if p == "/latin":
            return self.send(200, LATIN, "text/html")
        if p == "/short":
            return self.send(200, SHORT, "text/html")
        if p in PAGES:
            return self.send(200, PAGES[p], "text/html; charset=utf-8")
        return self.send(404, b"no", "text/plain")


def refusing_port():
    """(socket, port): bound and never listened on, so connections to the
    port are refused for as long as the socket is open (and nobody else
    can take the port meanwhile)"""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def serve_port(proc, log_path, deadline):
    """the metrics port serve took (listen on port 0), from its start-up line"""
    while time.time() < deadline:
        m = re.search(r"metrics on 127\.0\.0\.1:(\d+)", open(log_path).read())
        if m:
            return int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit("FAIL serve did not start:\n" + open(log_path).read())


def scrape(port):
    """{series: value} of one /metrics scrape."""
    out = {}
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="feedarc-metrics-")
    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    refusing, dead = refusing_port()
    oport = origin.server_address[1]
    cfg = os.path.join(tmp, "feedarc.yaml")
    with open(cfg, "w") as f:
        f.write("""user_agent: "feedarc-test"
storage: {{ dir: {t}/archive, state_dir: {t}/state }}
politeness: {{ min_delay: 0s, delay_factor: 0, max_connections_per_host: 2 }}
http: {{ retries: 2, backoff_base: 100ms, backoff_max: 1s, timeout: 10s }}
dedup: {{ enabled: true }}
metrics: {{ listen: "127.0.0.1:0" }}
service: {{ grace_period: 3s }}
sources:
  - {{ url: "http://127.0.0.1:{o}/feed.xml", name: origin, interval: 1s }}
  - {{ url: "http://127.0.0.1:{d}/feed.xml", name: refusing, interval: 1s }}
""".format(t=tmp, o=oport, d=dead))
    log_path = os.path.join(tmp, "serve.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([FEEDARC, "serve", "-c", cfg], stdout=log, stderr=log)
    seen = {}
    try:
        mport = serve_port(proc, log_path, time.time() + 60)
        for _ in range(100):
            try:
                scrape(mport)
                break
            except OSError:
                time.sleep(0.1)
        start = time.time()
        stopped = reloaded = False
        want = documented()
        assert len(want) >= 20, "the metrics table of %s was not found" % DOC
        # quiet, every metric moves within 10 s; the deadline is for a
        # loaded machine running a sanitizer build
        while time.time() - start < DEADLINE_S:
            for k, v in scrape(mport).items():
                if v != 0:
                    seen[k] = v
            if seen.get('feedarc_source_polls_total{result="ok"}', 0) >= 1:
                Origin.a2_listed.set()  # a poll, /a with it, is done
            t = time.time() - start
            if not stopped and t > 2:  # the loop thread runs late
                proc.send_signal(signal.SIGSTOP)
                time.sleep(0.2)
                proc.send_signal(signal.SIGCONT)
                stopped = True
            if not reloaded and t > 5:  # a reload; the segment is closed
                proc.send_signal(signal.SIGHUP)
                reloaded = True
            if reloaded and t > 8 and not missing(want, seen):
                break
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        origin.shutdown()
        refusing.close()
    gone = missing(documented(), seen)
    for name, what in gone:
        print("FAIL %s: never moved%s" % (name, what))
    if gone:
        print("--- serve log (tail)")
        print("".join(open(os.path.join(tmp, "serve.log")).readlines()[-30:]))
    else:
        print("ok   all %d documented metrics moved" % len(documented()))
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if gone else 0


def missing(want, seen):
    """[(name, detail)] of the documented metrics (series) not seen move."""
    out = []
    for name, labels in sorted(want.items()):
        series = [k for k in seen if k == name or k.startswith(name + "{")
                  or k.startswith(name + "_count")]
        if not series:
            out.append((name, ""))
            continue
        if name in EVERY_LABEL:
            for v in labels:
                if not any('="%s"' % v in k for k in series):
                    out.append((name, " for %s" % v))
    return out


if __name__ == "__main__":
    sys.exit(main())
