// replay_check.cjs - opens a WACZ written by `feedarc export --wacz` in
// ReplayWeb.page (its static app, served from a loopback HTTP server) in
// Debian's chromium, headless, driven by puppeteer-core, and waits until the
// replayed article shows its title and first paragraph.
//
// The embedding page is the one ReplayWeb.page documents:
//   <script src="ui.js"></script>
//   <replay-web-page source="/archive.wacz" url="..." replaybase="/">
// with sw.js served at the root (the service worker's scope).  The replay
// is in iframes inside the element's shadow DOM: every frame of the page is
// polled for the text.  The WACZ is served with HTTP range requests, as a
// web server would (ReplayWeb.page reads the ZIP's directory and each
// record by range).
//
// Usage: node replay_check.cjs NPM_DIR RWP_DIR WACZ URL TITLE PARAGRAPH SCREENSHOT
// Prints one line; exits 1 with a reason (and a screenshot) on failure.
'use strict';
const path = require('path');
const fs = require('fs');
const http = require('http');
const os = require('os');

const [npmDir, rwpDir, wacz, url, title, paragraph, shot] = process.argv.slice(2);
const puppeteer = require(path.join(npmDir, 'node_modules', 'puppeteer-core'));
const TIMEOUT_MS = Number(process.env.REPLAY_TIMEOUT_S || 120) * 1000;

const norm = (s) => s.replace(/\s+/g, ' ').trim();
const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

const types = { '.js': 'application/javascript', '.html': 'text/html', '.json': 'application/json',
                '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml',
                '.png': 'image/png', '.ico': 'image/x-icon' };

function serve(req, res) {
  const u = new URL(req.url, 'http://127.0.0.1');
  if (u.pathname === '/embed.html') {
    const body = '<!doctype html><html><head><meta charset="utf-8"><title>feedarc replay test</title>' +
      '<script src="/ui.js"></script></head><body style="margin:0">' +
      `<replay-web-page style="display:block;width:100vw;height:100vh" source="/archive.wacz" ` +
      `url="${esc(url)}" replaybase="/" embed="replayonly"></replay-web-page></body></html>`;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    return res.end(body);
  }
  let file;
  if (u.pathname === '/archive.wacz') file = wacz;
  // the app's page at the root, as a static host serves it (the replay
  // iframe asks for it; before the service worker controls the page it
  // reaches the server)
  else if (u.pathname === '/') file = path.join(rwpDir, 'index.html');
  else file = path.join(rwpDir, path.normalize(u.pathname).replace(/^(\.\.[/\\])+/, ''));
  let st;
  try { st = fs.statSync(file); } catch (e) { st = null; }
  if (!st || !st.isFile()) { res.writeHead(404); return res.end(); }
  const type = u.pathname === '/archive.wacz' ? 'application/wacz'
    : types[path.extname(file)] || 'application/octet-stream';
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || '');
  let start = 0, end = st.size - 1, code = 200;
  if (range) {
    if (range[1] === '') { start = Math.max(0, st.size - Number(range[2])); }
    else { start = Number(range[1]); if (range[2] !== '') end = Math.min(end, Number(range[2])); }
    if (start > end || start >= st.size) {
      res.writeHead(416, { 'Content-Range': `bytes */${st.size}` });
      return res.end();
    }
    code = 206;
  }
  const headers = { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Content-Length': end - start + 1,
                    'Cache-Control': 'no-store' };
  if (code === 206) headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
  if (u.pathname === '/sw.js') headers['Service-Worker-Allowed'] = '/';
  res.writeHead(code, headers);
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(file, { start, end }).pipe(res);
}

(async () => {
  const server = http.createServer(serve);
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const port = server.address().port;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-chromium-'));
  let browser, page, found = null;
  const log = [];
  try {
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      userDataDir: profile,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
             `--user-data-dir=${profile}`],
    });
    // the service worker and web workers do the loading: keep what they say
    browser.on('targetcreated', async (t) => {
      if (t.type() !== 'service_worker' && t.type() !== 'shared_worker' && t.type() !== 'worker') return;
      try {
        const w = await t.worker();
        if (w) w.on('console', (m) => log.push(`${t.type()}: ${m.text()}`));
      } catch (e) { /* gone already */ }
    });
    page = await browser.newPage();
    page.on('console', (m) => log.push('console: ' + m.text()));
    page.on('requestfailed', (r) => log.push('failed: ' + r.url()));
    page.on('response', (r) => { if (r.status() >= 400) log.push(`HTTP ${r.status()}: ${r.url()}`); });
    page.on('pageerror', (e) => log.push('pageerror: ' + e.message));
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`http://127.0.0.1:${port}/embed.html`, { waitUntil: 'load', timeout: 60000 });
    const want = [norm(title), norm(paragraph)];
    const t0 = Date.now();
    while (Date.now() - t0 < TIMEOUT_MS && !found) {
      for (const f of page.frames()) {
        let text = '';
        try { text = await f.evaluate(() => (document.body ? document.body.innerText : '')); } catch (e) { continue; }
        text = norm(text || '');
        if (want.every((w) => text.includes(w))) { found = f; break; }
      }
      if (!found) await new Promise((ok) => setTimeout(ok, 500));
    }
    if (found) {
      // let images and layout settle, then keep what the browser shows
      await new Promise((ok) => setTimeout(ok, 1500));
    }
    await page.screenshot({ path: shot });
    if (!found) {
      const frames = [];
      for (const f of page.frames()) frames.push(f.url());
      console.log(`FAIL: after ${TIMEOUT_MS / 1000} s no frame shows the title and first paragraph of ${url}\n` +
                  `frames: ${frames.join(' ')}\n${log.slice(-20).join('\n')}`);
      process.exitCode = 1;
    } else {
      const version = await browser.version();
      console.log(`OK ${version}: the replay of ${url} shows "${title}" and its first paragraph (${found.url()}); screenshot ${shot}`);
    }
  } catch (e) {
    console.log('FAIL: ' + (e.stack || e));
    if (page) await page.screenshot({ path: shot }).catch(() => {});
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
})();
