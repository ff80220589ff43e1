// A stand-in for Slack and e-mail endpoints in the local stack: listens on 127.0.0.1, records
// every request, prints a line per request, and shows what it got at GET /.
import { createServer } from 'node:http';

const port = Number(process.env.CAPTURE_PORT || 8799);
const received = [];
createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(received, null, 2));
      return;
    }
    received.push({ at: new Date().toISOString(), method: req.method, url: req.url, body });
    let text = body;
    try { text = JSON.parse(body).text ?? body; } catch {}
    console.log(`[capture] ${req.method} ${req.url} ${text}`);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
}).listen(port, '127.0.0.1', () => console.log(`[capture] listening on http://127.0.0.1:${port}`));
