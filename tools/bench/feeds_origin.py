#!/usr/bin/env python3
"""feeds_origin.py DIR HOSTS FEEDS_PER_HOST CYCLE_S - many small feeds on loopback,
for tools/bench/bench_feeds.sh (issue 14's sizing of `feedarc serve`).

HOSTS sites, one per loopback address 127.0.1.1, 127.0.1.2, ... (port 8080),
each with FEEDS_PER_HOST RSS feeds /f/<n>.xml, a page per item
/p/<n>/<k>.html (about 3 KB) and a robots.txt that allows everything.
A feed starts with 3 items and answers 304 to a request whose
If-None-Match carries its current ETag.

Growth: while DIR/new_pct holds a number P, every CYCLE_S seconds a fixed
P % of the feeds (chosen by a hash of feed and cycle, the same in every run)
gain one item.  Without the file nothing changes: every conditional poll
is a 304.  DIR/feeds.opml lists every feed (written at start); DIR/ready
appears once every site listens.  Counts of 200/304 answers go to
DIR/counts (rewritten every second).
"""
import http.server
import os
import socketserver
import sys
import threading
import time

DIR, HOSTS, PER_HOST, CYCLE = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
PORT = 8080
START = time.time()
lock = threading.Lock()
counts = {"200": 0, "304": 0, "pages": 0}
grown = {}        # feed id -> items gained
grow_cycle = [0]  # cycles applied so far


def host_addr(h):
    return "127.0.1.%d" % (h + 1)


def pct():
    try:
        with open(os.path.join(DIR, "new_pct")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def apply_growth():
    """Applies the cycles that have passed since the last call."""
    cycle = int((time.time() - START) / CYCLE)
    with lock:
        while grow_cycle[0] < cycle:
            grow_cycle[0] += 1
            p = pct()
            if p <= 0:
                continue
            k = grow_cycle[0]
            for fid in range(HOSTS * PER_HOST):
                if (fid * 2654435761 + k * 40503) % 100 < p:
                    grown[fid] = grown.get(fid, 0) + 1


def n_items(fid):
    return 3 + grown.get(fid, 0)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype, etag=None):
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def do_GET(self):
        host_id = int(self.server.server_address[0].split(".")[3]) - 1
        path = self.path
        if path == "/robots.txt":
            return self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path.startswith("/f/") and path.endswith(".xml"):
            apply_growth()
            n = int(path[3:-4])
            fid = host_id * PER_HOST + n
            items = n_items(fid)
            etag = '"f%d-%d"' % (fid, items)
            if self.headers.get("If-None-Match") == etag:
                with lock:
                    counts["304"] += 1
                return self.send(304, b"", "", etag)
            base = "http://%s:%d" % (host_addr(host_id), PORT)
            parts = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                     '<title>Feed %d</title><link>%s/</link>' % (fid, base)]
            for k in range(items - 1, -1, -1):
                parts.append('<item><title>Item %d of feed %d</title><link>%s/p/%d/%d.html</link>'
                             '<guid>%s/p/%d/%d.html</guid><description>Summary %d-%d.</description>'
                             '</item>' % (k, fid, base, n, k, base, n, k, fid, k))
            parts.append("</channel></rss>\n")
            with lock:
                counts["200"] += 1
            return self.send(200, "".join(parts).encode(), "application/rss+xml", etag)
        if path.startswith("/p/"):
            try:
                n, k = path[3:-5].split("/")
                fid, k = host_id * PER_HOST + int(n), int(k)
            except ValueError:
                return self.send(404, b"not found\n", "text/plain")
            words = " ".join("word%d" % ((fid * 31 + k * 17 + i * 7) % 997) for i in range(60))
            paras = "".join("<p>Paragraph %d of item %d of feed %d: %s.</p>\n" % (i, k, fid, words)
                            for i in range(5))
            body = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Item %d of feed %d"
                    "</title></head><body><nav><a href=\"/\">Home</a></nav><article><h1>Item %d"
                    "</h1>\n%s</article><footer>Footer</footer></body></html>\n"
                    % (k, fid, k, paras)).encode()
            with lock:
                counts["pages"] += 1
            return self.send(200, body, "text/html; charset=utf-8")
        return self.send(404, b"not found\n", "text/plain")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main():
    servers = []
    for h in range(HOSTS):
        s = Server((host_addr(h), PORT), Handler)
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    with open(os.path.join(DIR, "feeds.opml"), "w") as f:
        f.write('<?xml version="1.0"?>\n<opml version="2.0"><head><title>bench</title></head><body>\n')
        for h in range(HOSTS):
            for n in range(PER_HOST):
                f.write('<outline type="rss" text="h%d-f%d" xmlUrl="http://%s:%d/f/%d.xml"/>\n'
                        % (h, n, host_addr(h), PORT, n))
        f.write("</body></opml>\n")
    open(os.path.join(DIR, "ready"), "w").close()
    while True:
        time.sleep(1)
        with lock:
            line = "%d %d %d\n" % (counts["200"], counts["304"], counts["pages"])
        with open(os.path.join(DIR, "counts.tmp"), "w") as f:
            f.write(line)
        os.replace(os.path.join(DIR, "counts.tmp"), os.path.join(DIR, "counts"))


main()
