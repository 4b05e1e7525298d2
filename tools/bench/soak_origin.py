#!/usr/bin/env python3
"""soak_origin.py DIR PORT... - loopback sites that misbehave, for tools/bench/soak_ops.sh.

One HTTP/1.1 site per port on 127.0.0.1, each with an RSS feed (/feed.xml)
whose items grow by one every GROW seconds (SOAK_GROW in the environment,
default 15; 0: the feeds never change) (with an ETag: unchanged, it
answers 304), a page per item, and a robots.txt.  While DIR/frozen does not exist, the sites misbehave on a
schedule (the same for every run):
  - down: the listening socket is closed for 20 s (connections refused),
    each site in turn, one outage every 50 s overall;
  - 5xx bursts: 503 on every request for 10 s, one site in turn every 70 s;
  - slow: every 7th page answers 2.5 s late.
With DIR/frozen present: every site up, fast, no errors, no growth - the
catch-up run then archives what is left.  Every page ever listed is written
to DIR/pages.txt (one URL a line) when it first appears.
"""
import http.server
import os
import socket
import sys
import threading
import time

GROW = float(os.environ.get("SOAK_GROW", "15"))
DIR = sys.argv[1]
PORTS = [int(p) for p in sys.argv[2:]]
START = time.time()
lock = threading.Lock()
listed = set()
pages_log = open(os.path.join(DIR, "pages.txt"), "a")
frozen_at = None


def frozen():
    global frozen_at
    if frozen_at is None and os.path.exists(os.path.join(DIR, "frozen")):
        frozen_at = time.time()
    return frozen_at is not None


def now():
    return (frozen_at if frozen() else time.time()) - START


def n_items(site):
    return 3 + (int(now() / GROW) if GROW > 0 else 0) + site % 3


def down(site):
    if frozen():
        return False
    t = now()
    slot = int(t // 50)
    return slot % len(PORTS) == site and (t % 50) < 20 and t > 30


def failing(site):
    if frozen():
        return False
    t = now()
    slot = int(t // 70)
    return slot % len(PORTS) == (site + 2) % len(PORTS) and (t % 70) < 10 and t > 30


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, ctype, body):
        self.send_response(status)
        for k, v in getattr(self, "extra", []):
            self.send_header(k, v)
        self.extra = []
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        site = self.server.site
        origin = "http://127.0.0.1:%d" % PORTS[site]
        if failing(site):
            return self.send(503, "text/plain", b"busy\n")
        if self.path == "/robots.txt":
            return self.send(200, "text/plain", b"User-agent: *\nDisallow: /private/\n")
        if self.path == "/feed.xml":
            n = n_items(site)
            items = []
            with lock:
                for i in range(n):
                    url = "%s/p/%d.html" % (origin, i)
                    if url not in listed:
                        listed.add(url)
                        pages_log.write(url + "\n")
                        pages_log.flush()
                    items.append("<item><title>Story %d of site %d</title><link>%s</link>"
                                 "<guid>%s</guid><description>Story %d, site %d.</description>"
                                 "</item>" % (i, site, url, url, i, site))
            body = ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>site %d"
                    "</title><link>%s/</link>%s</channel></rss>" % (site, origin,
                                                                   "".join(items)))
            etag = '"%d-%d"' % (site, n)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.extra = [("ETag", etag)]
            return self.send(200, "application/rss+xml", body.encode())
        if self.path.startswith("/p/") and self.path.endswith(".html"):
            try:
                i = int(self.path[3:-5])
            except ValueError:
                return self.send(404, "text/plain", b"no\n")
            if i % 7 == 3 and not frozen():
                time.sleep(2.5)
            text = " ".join("word%d-%d-%d" % (site, i, k) for k in range(300))
            body = "<html><head><title>Story %d</title></head><body><p>%s</p></body></html>" % (
                i, text)
            return self.send(200, "text/html", body.encode())
        return self.send(404, "text/plain", b"no\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def run_site(site):
    port = PORTS[site]
    while True:
        while down(site):
            time.sleep(0.2)
        srv = Server(("127.0.0.1", port), Handler)
        srv.site = site
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        t.start()
        while not down(site):
            time.sleep(0.2)
        srv.shutdown()
        srv.server_close()


for s in range(len(PORTS)):
    threading.Thread(target=run_site, args=(s,), daemon=True).start()
print("up", flush=True)
while True:
    time.sleep(3600)
