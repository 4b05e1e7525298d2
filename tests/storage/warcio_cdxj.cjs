// warcio_cdxj.cjs - compares feedarc's CDXJ index of a segment with what
// warcio.js's CDXIndexer (the code behind `warcio cdx-index`) derives from
// the same records: URL key (SURT), timestamp, url, mime, status, digest.
// Offsets differ by design (warcio's are into the decompressed stream,
// feedarc's into the compressed file), so they are not compared here; the
// C test proves feedarc's land on frames.
// Usage: node warcio_cdxj.cjs <npm-prefix> <segment.warc> <segment.warc.zst.cdxj>
'use strict';
const path = require('path');
const fs = require('fs');
const { CDXIndexer } = require(path.join(process.argv[2], 'node_modules', 'warcio'));

function die(msg) { console.log('FAIL: ' + msg); process.exit(1); }
const key = (e) => JSON.stringify([e.urlkey, e.timestamp, e.url, e.mime, e.status, e.digest]);

(async () => {
  const ours = fs.readFileSync(process.argv[4], 'utf8').split('\n').filter(Boolean).map((l) => {
    const sp1 = l.indexOf(' '), sp2 = l.indexOf(' ', sp1 + 1);
    const j = JSON.parse(l.slice(sp2 + 1));
    return { urlkey: l.slice(0, sp1), timestamp: l.slice(sp1 + 1, sp2), url: j.url,
             mime: j.mime ?? null, status: j.status ?? null,
             digest: j.digest ?? null };
  });
  const theirs = [];
  const indexer = new CDXIndexer({ format: 'cdxj' });
  const files = [{ filename: 'x.warc', reader: fs.createReadStream(process.argv[3]) }];
  for await (const r of indexer.iterIndex(files)) {
    theirs.push({ urlkey: r.urlkey, timestamp: r.timestamp, url: r.url, mime: r.mime ?? null,
                  status: r.status != null ? String(r.status) : null, digest: r.digest ?? null });
  }
  const a = ours.map(key).sort(), b = theirs.map(key).sort();
  if (a.length !== b.length) die(`feedarc has ${a.length} lines, warcio ${b.length}\n${a.join('\n')}\n--\n${b.join('\n')}`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) die(`line ${i}: feedarc ${a[i]} warcio ${b[i]}`);
  console.log(`OK lines=${a.length}`);
})().catch((e) => die(e.stack || String(e)));
