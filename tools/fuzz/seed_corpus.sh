#!/usr/bin/env bash
# tools/fuzz/seed_corpus.sh - (re)writes the seed corpora tools/fuzz/corpus/<harness>/
# from the tests' fixtures and a few hand-written cases.  Each seed carries
# the harness's selector bytes in front of the document (tools/fuzz/README.md).
# Needs a build with the tests (build/tools/fuzz/fuzz_seed_gen), gzip, zstd and
# python3.  Run from anywhere:  tools/fuzz/seed_corpus.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
C=tools/fuzz/corpus
F=tests/feeds/data
gen=$build/tools/fuzz/fuzz_seed_gen
[ -x "$gen" ] || { echo "seed_corpus: build $gen first (cmake --build $build --target fuzz_seed_gen)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# seed HARNESS NAME PREFIX-BYTES (printf escapes) [FILE]: PREFIX + FILE (or stdin)
seed() {
  local h=$1 name=$2 prefix=$3 file=${4:--}
  mkdir -p "$C/$h"
  { printf "$prefix"; cat "$file"; } > "$C/$h/$name"
}

rm -rf "${C:?}"/*

# ---- feeds: byte 0 cut mode, byte 1 charset
for f in rss2.xml rss091.xml rdf.xml atom10.xml atom03.xml latin1.xml win1252.xml utf16le.xml \
         malformed.xml laughs.xml xxe.xml xhtml-page.xml; do
  seed feed_parser "$f" '\x40\x00' "$F/$f"
done
seed feed_parser win1252-declared-by-header.xml '\x90\x03' "$F/win1252.xml"
seed feed_parser rss2-bytewise.xml '\x80\x00' "$F/rss2.xml"

# ---- source_parser: format, cut, flags (status, paginate<<2, 0x20 wp url, 0x40 page 3), head length, head, body
sp() { # NAME FORMAT FLAGS HEAD FILE
  local head=$4
  local len; len=$(printf "%s" "$head" | wc -c)
  mkdir -p "$C/source_parser"
  { printf "\\x$(printf %02x "$2")\\x40\\x$(printf %02x "$3")\\x$(printf %02x "$len")"; printf "%s" "$head"; cat "$5"; } \
    > "$C/source_parser/$1"
}
for f in rss2.xml atom10.xml rdf.xml page.html discover.html; do sp "auto-$f" 0 0 "" "$F/$f"; done
sp rss-charset.xml 1 0 "Content-Type: application/rss+xml; charset=windows-1252" "$F/win1252.xml"
sp jsonfeed.json 3 0 "Content-Type: application/feed+json" "$F/feed.json"
sp jsonfeed11.json 0 0 "" "$F/jsonfeed11.json"
sp wp-posts.json 4 32 $'X-WP-TotalPages: 3\r\nX-WP-Total: 250' "$F/wp-posts.json"
sp wp-posts-link.json 4 96 'Link: <https://fuzz.example.org/wp-json/wp/v2/posts?page=4>; rel="next"' "$F/wp-posts.json"
sp wp-error-400.json 4 33 "" "$F/wp-error.json"
sp api-cursor.json 5 16 "" "$F/api-posts.json"
sp api-next.json 5 8 "" "$F/api-posts.json"
sp api-page.json 5 4 "" "$F/api-posts.json"
sp api-link.json 5 12 'Link: </api/v1/list?page=2>; rel="next", <x>; rel=prev' "$F/api-posts.json"
sp sitemap.xml 6 0 "" "$F/sitemap.xml"
sp sitemapindex.xml 0 0 "" "$F/sitemapindex.xml"
sp sitemap-news.xml 6 0 "" "$F/sitemap-news.xml"
gzip -9nc "$F/sitemap.xml" > "$tmp/sitemap.xml.gz"
sp sitemap.xml.gz 6 0 "Content-Type: application/gzip" "$tmp/sitemap.xml.gz"
sp subscriptions.opml 7 0 "" "$F/subscriptions.opml"

# ---- json_items: flavor (auto, jsonfeed, wordpress, mapped), cut
seed json_items feed.json '\x01\x40' "$F/feed.json"
seed json_items jsonfeed11.json '\x00\x40' "$F/jsonfeed11.json"
seed json_items jsonfeed10-version-last.json '\x00\x90' "$F/jsonfeed10-version-last.json"
seed json_items wp-posts.json '\x02\x40' "$F/wp-posts.json"
seed json_items wp-error.json '\x00\x40' "$F/wp-error.json"
seed json_items api-posts.json '\x03\x40' "$F/api-posts.json"
seed json_items api-posts-bytewise.json '\x03\x80' "$F/api-posts.json"

# ---- sitemap, opml, discovery
for f in sitemap.xml sitemap-news.xml sitemapindex.xml; do seed sitemap "$f" '\x40\x00' "$F/$f"; done
seed opml subscriptions.opml '\x40\x00' "$F/subscriptions.opml"
seed opml subscriptions-depth3.opml '\x84\x03' "$F/subscriptions.opml"
seed feed_discover discover.html '\x40\x00' "$F/discover.html"
seed feed_discover page.html '\x40\x01' "$F/page.html"
seed feed_discover wordpress.html '\x88\x00' tests/dedup/data/pages/01_wordpress.html

# ---- feed_text: dates and HTML snippets
i=0
for d in "Mon, 23 Nov 2026 15:37:00 GMT" "23 Nov 26 15:37 PST" "Monday, 23-Nov-2026 15:37:00 +05:30 (IST)" \
         "2026-11-23T15:37:00.123+01:00" "2026-11-23" "2026/11/23 10:00" "Tue, 29 Feb 2028 00:00:00 Z" \
         "31 Feb 2026" "Sun, 06 Nov 1994 08:49:37 EDT" "9999-12-31T23:59:59-12:00" \
         "<p>Caf&eacute; &amp; &#233;t&#xE9; &lt;b&gt; &nbsp;&hellip;</p>" "a &#2048; &#x10FFFF; &#0; &bogus; &#38;amp;"; do
  i=$((i + 1)); printf "%s" "$d" | seed feed_text "text-$i" ''
done

# ---- robots: token byte, body, NUL, paths
seed robots robots.txt '\x00' tests/robots/data/robots.txt
{ cat tests/robots/data/robots.txt; printf '\0/private/public\0/drafts/x.pdf\0/a.pdf?q\0/robots.txt\0'; } | seed robots robots-paths '\x02'
printf 'User-agent: *\nDisallow: /*.php$\nAllow: /$\nDisallow: /fish*\nAllow: /fish/salmon\nDisallow: /%%E3%%83%%84\nAllow: /ツ/x\nCrawl-delay: 0.5\nSitemap: https://x/s.xml\n\0/fish.php\0/fish/salmon.html\0/%%E3%%83%%84\0/index.php?x$\0' \
  | seed robots rfc-wildcards '\x00'
printf '\xef\xbb\xbfuser-agent: FeedArc\rdisallow: /\r\nuser-agent: other\nallow: /\n' | seed robots bom-cr '\x00'

# ---- dechunk: cut mode, framed body
printf '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n' | seed dechunk chunked '\x40'
printf 'A\r\n0123456789\r\n0\r\n\r\nafter' | seed dechunk chunked-then-more '\x81'
printf '1\r\nx\r\n' | seed dechunk truncated '\x40'
printf 'fffffffffffffffff\r\n' | seed dechunk huge-size '\x40'

# ---- content_decoder: encoding (gzip, x-gzip, deflate, br, zstd, identity, compress), cut
gzip -9nc "$F/rss2.xml" | seed content_decoder rss2.gz '\x00\x40'
python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.compress(open(sys.argv[1],"rb").read(), 9))' "$F/atom10.xml" \
  | seed content_decoder atom10.zlib '\x02\x40'
python3 -c 'import sys,zlib; c=zlib.compressobj(9, zlib.DEFLATED, -15); sys.stdout.buffer.write(c.compress(open(sys.argv[1],"rb").read())+c.flush())' "$F/feed.json" \
  | seed content_decoder feed.json.rawdeflate '\x02\x40'
"$gen" br "$F/sitemap.xml" "$tmp/sitemap.br"
seed content_decoder sitemap.br '\x03\x40' "$tmp/sitemap.br"
seed content_decoder sitemap.br-bytewise '\x03\x80' "$tmp/sitemap.br"
zstd -q -19 -c "$F/wp-posts.json" | seed content_decoder wp-posts.zst '\x04\x40'
{ zstd -q -c "$F/rss091.xml"; zstd -q -c "$F/rdf.xml"; } | seed content_decoder two-frames.zst '\x04\x90'

# ---- warc_reader: options, the file
"$gen" warc "$tmp"
for f in plain dict rawdict; do seed warc_reader "$f.warc.zst" '\x01' "$tmp/$f.warc.zst"; done
zstd -q -dc --no-check "$tmp/plain.warc.zst" 2>/dev/null > "$tmp/plain.warc" || true
seed warc_reader plain.warc '\x00' "$tmp/plain.warc"
zstd -q -c "$tmp/plain.warc" | seed warc_reader one-frame.warc.zst '\x03'

# ---- cdxj: options, URL LF, index lines
"$build/cli/feedarc" index "$tmp" >/dev/null 2>&1 || true
{ printf 'http://www.example.com/news/1?a=1&b=2\n'; cat "$tmp"/plain.warc.zst.cdxj; } | seed cdxj plain.cdxj '\x00'
{ printf 'https://feeds.example.org:8443/rss\n'; cat "$tmp"/dict.warc.zst.cdxj; } | seed cdxj dict.cdxj '\x03'
printf 'http://www.example.com/news?b=2&a=1\ncom,example)/news?a=1&b=2 20261123153700 {"url":"http://www.example.com/news?b=2&a=1","mime":"text/html","status":"200","digest":"sha1:AAAA","length":"1234","offset":"5678","filename":"feedarc-20261123153700-00000.warc.zst"}\ncom,example)/news?a=1&b=2 20261124000000 {"url":"x","mime":"warc/revisit","status":"200","length":"9","offset":"1","filename":"f\\"q\\\\"}\n' \
  | seed cdxj hand.cdxj '\x02'

# ---- text_extract: mode (page, fragment, wp json, page as fragment; 4 small ceilings), cut
for f in tests/dedup/data/pages/*.html; do seed text_extract "$(basename "$f")" '\x00\x40' "$f"; done
seed text_extract 01_wordpress.small '\x04\x90' tests/dedup/data/pages/01_wordpress.html
seed text_extract 03_div_soup.fragment '\x01\x40' tests/dedup/data/pages/03_div_soup.html
seed text_extract 05_amp.reclassified '\x03\x40' tests/dedup/data/pages/05_amp.html
seed text_extract wp-posts.json '\x02\x00' "$F/wp-posts.json"

# ---- text_norm: output ceiling, text
seed text_norm 04_japanese.txt '\xff' tests/dedup/data/pages/04_japanese.txt
seed text_norm 01_wordpress.txt '\x40' tests/dedup/data/pages/01_wordpress.txt
printf '  \xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c Stra\xc3\x9fe \xef\xac\x81 \xe2\x80\x9cq\xe2\x80\x9d \xe2\x80\x94 \xc2\xad\xe2\x80\x8b \xff\xfe x\t\n\xe3\x80\x80 ' \
  | seed text_norm unicode '\xff'

# ---- config: mode (0 config, 2 duration, 3 size), text
seed config full.yaml '\x00' tests/config/data/full.yaml
seed config deploy.yaml '\x00' deploy/feedarc.yaml
printf 'sources:\n  - url: https://example.org/api\n    type: json\n    json: { items: /data, id: /id, url: /url, paginate: cursor, cursor: /next, max_pages: 3 }\n  - opml: subs.opml\nmetrics: { listen: "[::1]:9464" }\nlog: { format: json, level: debug }\ndedup: { near_threshold: 0.4 }\nx: &a [1, *a]\n' \
  | seed config json-opml.yaml '\x00'
i=0
for d in 15m 500ms 1h 2d "20 s" 0 18446744073709551615ms 99999999999999999999; do i=$((i + 1)); printf "%s" "$d" | seed config "duration-$i" '\x02'; done
i=0
for s in 64KiB 1GiB 10MB "512 kb" 16TiB 0B; do i=$((i + 1)); printf "%s" "$s" | seed config "size-$i" '\x03'; done

# ---- url: SURT buffer size, base LF ref LF value
printf 'https://www.Example.COM:443/a/b/../c?z=1&a=2#frag\n../d/./e?q=%%41 b\npage 2&x' | seed url resolve '\xff'
printf 'http://www2.example.co.uk:8080/\n//other.example/p;x?y\nv' | seed url protocol-relative '\x20'
printf 'https://fuzz.example.org/api?page=1#a?page=2\npage\n3' | seed url fragment-query '\xff'
printf 'https://[::1]:9464/metrics\nhttp://user:pw@h%%C3%%A9.example/%%7e?\n' | seed url ipv6-userinfo '\x08'
printf 'mailto:x@example.org\nfile:///etc/passwd\n' | seed url not-http '\xff'

# ---- metrics_http: raw requests
mh() { printf "$2" | seed metrics_http "$1" ''; }
mh get-metrics 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
mh get-healthz 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
mh head-readyz 'HEAD /readyz HTTP/1.0\r\n\r\n'
mh post-body 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'
mh chunked-body 'PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
mh pipelined 'GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
mh folded-header 'GET /%%2e%%2e/metrics HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n'
mh garbage '\x00\xff GET\r\n\r\n'

du -sh "$C"
