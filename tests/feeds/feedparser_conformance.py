#!/usr/bin/python3
"""feedparser_conformance.py - feedarc's items against Debian's python3-feedparser.

Runs `feedarc feed --base BASE FILE` and feedparser.parse() (with the same
base as Content-Location) over every XML and JSON feed fixture in
tests/feeds/data/, and compares, item by item, the fields both claim to
know: id, link, title (as text) and the published/updated dates (UTC).

Disagreements feedarc keeps on purpose are listed in ALLOW below, each
with its reason, and documented in docs/FEEDS.md ("Where feedarc and
feedparser differ").  Any other disagreement fails the test; so does a
missing feedparser (install python3-feedparser: tools/scripts/setup.sh does).

usage: /usr/bin/python3 feedparser_conformance.py FEEDARC DATA_DIR
"""
import calendar
import html
import json
import os
import re
import subprocess
import sys

BASE = "https://conformance.example.org/feeds/feed"

# The feed fixtures compared (sitemaps, OPML, HTML pages and JSON APIs are
# not feeds feedparser reads).
FIXTURES = [
    "rss2.xml", "rss091.xml", "rdf.xml", "atom10.xml", "atom03.xml",
    "latin1.xml", "win1252.xml", "utf16le.xml", "malformed.xml",
    "laughs.xml", "xxe.xml", "xhtml-page.xml", "atom-links.xml",
    "feed.json", "jsonfeed11.json", "jsonfeed10-version-last.json",
]

# (fixture, item, field) -> reason; item is feedarc's id for the item, or
# "*" for every item, field "*" for every field, "count" for the number
# of items.  Keep in step with docs/FEEDS.md.
NO_JSON = ("feedparser 6.0.10 (Debian bookworm) has no JSON Feed support: "
           "it finds no items; JSON Feed is checked by test_feeds_sources instead")
ALLOW = {
    ("rss2.xml", "count", "count"):
        "feedarc drops the second item with guid gazette-1001 (a duplicate id in one "
        "feed); feedparser keeps both",
    ("rss2.xml", "*", "id"):
        "an item without guid: feedarc's id falls back to the link (a stable key is "
        "needed to archive an item once); feedparser leaves id empty",
    ("rss091.xml", "*", "id"): "no guid in RSS 0.91: feedarc's id is the link",
    ("latin1.xml", "*", "id"): "no guid: feedarc's id is the link",
    ("win1252.xml", "*", "id"): "no guid: feedarc's id is the link",
    ("utf16le.xml", "*", "id"): "no guid: feedarc's id is the link",
    ("malformed.xml", "*", "id"): "no guid: feedarc's id is the link",
    ("malformed.xml", "http://bridge.example.org/2", "title"):
        "a bare '&' in a title: libxml2's recovery drops it ('stray ampersand'); "
        "feedparser's loose parser keeps it",
    ("malformed.xml", "", "title"):
        "an unclosed <title>: libxml2's recovery nests the following <link> inside it, "
        "so feedarc's title includes the link's text and the item has no link; "
        "feedparser ends the title there",
    ("rdf.xml", "*", "published"):
        "dc:date in RSS 1.0: feedarc reads it as the publication date (what RSS 1.0 "
        "producers mean by it, and what the crawler needs); feedparser files it under "
        "updated",
    ("rdf.xml", "*", "updated"): "dc:date: see published",
    ("xxe.xml", "*", "id"): "no guid: feedarc's id is the link",
    ("xxe.xml", "*", "title"):
        "an undefined external entity: feedarc drops the reference (never loads it); "
        "feedparser leaves its text '&xxe;' in the title",
    ("laughs.xml", "count", "count"):
        "billion laughs: the item whose title is the expansion is dropped (libxml2's "
        "amplification check); feedparser keeps it with the unexpanded '&lol9;' title",
    ("laughs.xml", "*", "id"): "no guid: feedarc's id is the link",
    ("atom10.xml", "tag:orchard.example.org,2026:apples", "link"):
        "two alternate links (one with rel=\"alternate\", one without rel): feedarc "
        "takes the first, as RFC 4287 allows; feedparser takes the last",
    ("atom10.xml", "urn:uuid:6f2b6f64-0000-4000-8000-000000000001", "link"):
        "an entry without any link: feedparser puts the id (a urn:) in link; feedarc "
        "leaves link empty rather than fetch a non-URL",
    ("jsonfeed11.json", "count", "count"): NO_JSON,
    ("jsonfeed10-version-last.json", "count", "count"): NO_JSON,
}


def iso(t):
    return "" if t is None else "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(t[:6])


def text_of(value, detail):
    """feedparser's title as text: HTML titles are stripped and unescaped."""
    if value is None:
        return ""
    if detail is not None and detail.get("type") in ("text/html", "application/xhtml+xml"):
        value = html.unescape(re.sub(r"<[^>]*>", "", value))
    return value.strip()


def feedparser_items(fp, path):
    with open(path, "rb") as f:
        data = f.read()
    d = fp.parse(data, response_headers={"content-location": BASE})
    out = []
    for e in d.entries:
        raw = dict.get  # bypass FeedParserDict's published->updated fallback
        out.append({
            "id": e.get("id") or "",
            "link": e.get("link") or "",
            "title": text_of(e.get("title"), e.get("title_detail")),
            "published": iso(raw(e, "published_parsed")),
            "updated": iso(raw(e, "updated_parsed")),
        })
    return out


def feedarc_items(feedarc, path):
    p = subprocess.run([feedarc, "feed", "--base", BASE, path], capture_output=True, text=True)
    items = []
    for line in p.stdout.splitlines():
        obj = json.loads(line)
        if "id" in obj:
            items.append(obj)
    return items, p.returncode, p.stderr.strip()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 64
    feedarc, data = sys.argv[1], sys.argv[2]
    try:
        import feedparser
    except ImportError:
        print("FAIL: %s has no feedparser module: install Debian's python3-feedparser "
              "(apt-get install python3-feedparser; tools/scripts/setup.sh does it)" % sys.executable)
        return 1
    print("feedparser %s (%s)" % (feedparser.__version__, feedparser.__file__))
    new, used = [], set()

    def allowed(fixture, item, field):
        for key in ((fixture, item, field), (fixture, "*", field), (fixture, item, "*")):
            if key in ALLOW:
                used.add(key)
                return True
        return False

    for fixture in FIXTURES:
        path = os.path.join(data, fixture)
        mine, rc, err = feedarc_items(feedarc, path)
        theirs = feedparser_items(feedparser, path)
        # feedparser keeps duplicate ids; feedarc drops them (allow-listed)
        seen, dedup = set(), []
        for e in theirs:
            key = e["id"] or e["link"]
            if key and key in seen:
                continue
            seen.add(key)
            dedup.append(e)
        if len(mine) != len(theirs) and not allowed(fixture, "count", "count"):
            new.append("%s: feedarc %d items (exit %d, %s), feedparser %d" %
                       (fixture, len(mine), rc, err.splitlines()[-1] if err else "", len(theirs)))
        for a, b in zip(mine, dedup):
            for field in ("id", "link", "title", "published", "updated"):
                x, y = a[field].strip(), b[field]
                if field == "title":
                    x, y = " ".join(x.split()), " ".join(y.split())
                if x == y:
                    continue
                if allowed(fixture, a["id"], field):
                    continue
                new.append("%s: item %r: %s: feedarc %r, feedparser %r" %
                           (fixture, a["id"], field, x, y))
        print("%-32s feedarc %2d items, feedparser %2d" % (fixture, len(mine), len(theirs)))
    for key in sorted(set(ALLOW) - used):
        print("note: allow-list entry no longer needed: %r" % (key,))
    if new:
        print("\n%d disagreement(s) not in the allow-list (fix feedarc, or add them with a "
              "reason here and in docs/FEEDS.md):" % len(new))
        for n in new:
            print("  " + n)
        return 1
    print("all items agree, apart from %d allow-listed disagreement(s)" % len(used))
    return 0


if __name__ == "__main__":
    sys.exit(main())
