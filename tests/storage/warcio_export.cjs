// warcio_export.cjs - reads a .warc.gz written by `feedarc export` with
// Webrecorder's warcio.js (an independent implementation) and checks that it
// agrees on every record and every digest:
//   - every gzip member warcio finds (its offset and length) inflates, with
//     Node's zlib, to one whole record whose WARC-Block-Digest matches;
//   - every WARC-Payload-Digest matches the payload warcio extracts (the
//     HTTP body, de-chunked; the block of a conversion); a revisit's names
//     the payload of the record it refers to;
//   - the records come in the order feedarc wrote them (warcinfo first, a
//     request before its response).
// Usage: node warcio_export.cjs <npm-prefix> <file.warc.gz>
// Prints one summary line; exits 1 with a reason on the first problem.
'use strict';
const path = require('path');
const fs = require('fs');
const crypto = require('crypto');
const zlib = require('zlib');
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

// RFC 9112 chunked framing removed (the payload digest is over the body
// without it)
function dechunk(buf) {
  const out = [];
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return buf;
    const size = parseInt(buf.slice(pos, eol).toString().split(';')[0], 16);
    if (Number.isNaN(size)) return buf;
    if (size === 0) break;
    out.push(buf.slice(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

(async () => {
  const file = fs.readFileSync(process.argv[3]);
  const parser = new WARCParser(fs.createReadStream(process.argv[3]));
  const payloadOf = new Map(); // record id -> payload digest (as warcio sees the payload)
  const revisits = [];
  const counts = {};
  let n = 0, digests = 0, pendingRequest = null, end = 0;
  for await (const record of parser) {
    n++;
    const type = record.warcType;
    const h = record.warcHeaders.headers;
    const id = h.get('WARC-Record-ID');
    counts[type] = (counts[type] || 0) + 1;
    if (n === 1 && type !== 'warcinfo') die('first record is ' + type);
    const payload = Buffer.from(await record.readFully(false));
    // the member warcio found: inflate it ourselves, check the block digest
    const off = parser.offset, len = parser.recordLength;
    if (off !== end) die(`record ${n} at offset ${off}, the previous member ended at ${end}`);
    end = off + len;
    let raw;
    try { raw = zlib.gunzipSync(file.subarray(off, off + len)); } catch (e) { die(`member at ${off}: ${e}`); }
    const hl = raw.indexOf('\r\n\r\n') + 4;
    const cl = Number(h.get('Content-Length'));
    if (hl < 4 || raw.length !== hl + cl + 4) die(`member at ${off} is not exactly one record`);
    if (!raw.subarray(0, hl).toString('latin1').includes(id)) die(`member at ${off} is not ${id}`);
    const block = raw.subarray(hl, hl + cl);
    if (sha1(block) !== h.get('WARC-Block-Digest'))
      die(`${type} ${id}: WARC-Block-Digest ${h.get('WARC-Block-Digest')}, block hashes to ${sha1(block)}`);
    digests++;
    let p = payload;
    if (record.httpHeaders) {
      const te = record.httpHeaders.headers.get('transfer-encoding') || '';
      if (/chunked/i.test(te)) p = dechunk(payload);
    }
    payloadOf.set(id, sha1(p));
    const pd = h.get('WARC-Payload-Digest');
    if (type === 'revisit') {
      revisits.push([id, h.get('WARC-Refers-To'), pd]);
    } else if (pd) {
      if (sha1(p) !== pd) die(`${type} ${id} ${record.warcTargetURI}: WARC-Payload-Digest ${pd}, warcio's payload hashes to ${sha1(p)}`);
      digests++;
    }
    if (type === 'request') pendingRequest = h.get('WARC-Concurrent-To');
    if (type === 'response') {
      if (pendingRequest !== null && pendingRequest !== id) die(`request before ${id} is for ${pendingRequest}`);
      if (!record.httpHeaders || !record.httpHeaders.statusCode) die('no HTTP status parsed');
      pendingRequest = null;
    }
  }
  if (end !== file.length) die(`warcio stopped at ${end} of ${file.length} bytes`);
  for (const [id, to, pd] of revisits) {
    if (!payloadOf.has(to)) continue; // the original is not in this export
    if (payloadOf.get(to) !== pd) die(`revisit ${id}: WARC-Payload-Digest ${pd}, the original's payload hashes to ${payloadOf.get(to)}`);
    digests++;
  }
  const c = Object.keys(counts).sort().map((k) => `${k}=${counts[k]}`).join(' ');
  console.log(`OK records=${n} digests=${digests} ${c}`);
})().catch((e) => die(e.stack || String(e)));
