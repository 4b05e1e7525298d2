// warcio_check.cjs - reads an uncompressed WARC written by feedarc with
// Webrecorder's warcio.js (an independent implementation) and checks what a
// replay tool relies on.  Usage: node warcio_check.cjs <npm-prefix> <file.warc>
// Prints one summary line; exits 1 with a reason on the first problem.
'use strict';
const path = require('path');
const fs = require('fs');
const crypto = require('crypto');
const { WARCParser } = require(path.join(process.argv[2], 'node_modules', 'warcio'));

function base32(buf) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, acc = 0, out = '';
  for (const b of buf) {
    acc = (acc << 8) | b; bits += 8;
    while (bits >= 5) { out += alpha[(acc >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += alpha[(acc << (5 - bits)) & 31];
  return out;
}
const sha1 = (buf) => 'sha1:' + base32(crypto.createHash('sha1').update(buf).digest());
function die(msg) { console.log('FAIL: ' + msg); process.exit(1); }

(async () => {
  const counts = {};
  let pendingConcurrent = null, n = 0;
  const parser = new WARCParser(fs.createReadStream(process.argv[3]));
  for await (const record of parser) {
    n++;
    const type = record.warcType;
    counts[type] = (counts[type] || 0) + 1;
    const h = record.warcHeaders.headers; // a Map-like (get)
    if (n === 1 && type !== 'warcinfo') die('first record is ' + type);
    if (!/^<urn:uuid:[0-9a-f-]{36}>$/.test(h.get('WARC-Record-ID'))) die('bad WARC-Record-ID');
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(h.get('WARC-Date'))) die('bad WARC-Date');
    if (type === 'request') {
      pendingConcurrent = h.get('WARC-Concurrent-To');
    } else if (type === 'response') {
      if (pendingConcurrent !== h.get('WARC-Record-ID')) die('request/response not linked');
      pendingConcurrent = null;
      if (!record.httpHeaders || !record.httpHeaders.statusCode) die('no HTTP status parsed');
      // the payload as warcio decodes it (chunking removed, no content-encoding used here)
      const payload = Buffer.from(await record.readFully(true));
      if (sha1(payload) !== h.get('WARC-Payload-Digest'))
        die(`payload digest ${h.get('WARC-Payload-Digest')} != warcio's ${sha1(payload)} for ${record.warcTargetURI}`);
    }
    if (type === 'warcinfo') {
      const block = Buffer.from(await record.readFully(false));
      if (sha1(block) !== h.get('WARC-Block-Digest')) die('warcinfo block digest');
      if (!block.toString().includes('format: WARC File Format 1.1')) die('warcinfo fields');
    }
  }
  console.log(`OK records=${n} warcinfo=${counts.warcinfo || 0} request=${counts.request || 0} response=${counts.response || 0}`);
})().catch((e) => die(e.stack || String(e)));
