import t from 'tap';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { BIN, run, tempDir, waitFor } from './helpers.js';
import { startServe } from './remoteHelpers.js';

// `splitcache serve --access-log FILE`: one line per request, as an operator of nginx
// expects of a server, the token's name in it and never the token; SIGHUP opens the file
// again once logrotate has moved it.

const LINE = /^(\S+) (\S+) (\S+) (\S+) (\S+) (\d{3}) (\d+) (\d+) (\d+)ms( aborted| refused:\S+)?$/;

/** The log's lines, each split into its fields. */
function fieldsOf(file: string) {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const m = LINE.exec(l);
    if (!m) throw new Error(`not an access log line: ${JSON.stringify(l)}`);
    return { time: m[1]!, address: m[2]!, who: m[3]!, method: m[4]!, path: m[5]!, status: Number(m[6]), out: Number(m[7]), in: Number(m[8]), aborted: m[10] === ' aborted', refused: m[10]?.startsWith(' refused:') ? m[10].slice(9) : undefined };
  });
}

/** Sends `head` as a raw request; resolves with the status line, the connection closed once it came. */
function raw(url: string, head: string): Promise<string> {
  const u = new URL(url);
  return new Promise((res, rej) => {
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) {
        s.destroy();
        res(got.slice(0, got.indexOf('\r\n')));
      }
    });
    s.on('error', rej);
    s.write(head);
  });
}

t.test('serve --access-log: a line per request with the token name, never the token; SIGHUP reopens the file', async (t) => {
  await initHash();
  const dir = tempDir('access');
  const log = join(dir, 'access.log');
  const tokens = join(dir, 'tokens');
  writeFileSync(tokens, 'rw-secret-2 read-write main-ci\n');
  const serve = await startServe(['--tokens', tokens, '--access-log', log]);
  t.teardown(() => serve.stop());
  const auth = { authorization: 'Bearer rw-secret-2' };
  const blob = Buffer.alloc(32 << 20, 7);
  const path = `/cas/${digestBytes(blob)}`;

  t.equal((await fetch(serve.url + path, { headers: auth })).status, 404, 'GET of a blob not there: 404');
  t.equal((await fetch(serve.url + path, { method: 'PUT', body: new Uint8Array(blob), headers: auth })).status, 201, 'PUT: 201');
  t.equal((await fetch(serve.url + path, { method: 'HEAD', headers: auth })).status, 200, 'HEAD: 200');
  t.equal((await fetch(serve.url + path, { headers: { authorization: 'Bearer wrong' } })).status, 401, 'a wrong token: 401');
  // The absolute form a proxy would send: the same blob.
  t.equal(await raw(serve.url, `HEAD http://cache.example${path} HTTP/1.1\r\nHost: cache.example\r\nAuthorization: Bearer rw-secret-2\r\n\r\n`), 'HTTP/1.1 200 OK', 'a HEAD in the absolute form names the same blob');
  // A client's bytes in the path come out escaped: one request stays one line of fields.
  t.equal(await raw(serve.url, `GET /cas/a"b%<>{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer rw-secret-2\r\n\r\n`), 'HTTP/1.1 400 Bad Request', 'a path with a quote, a % and brackets: 400');
  // A GET whose client reads the status line and goes: the line says the response was cut short.
  t.equal(await raw(serve.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer rw-secret-2\r\n\r\n`), 'HTTP/1.1 200 OK', 'a GET of the 32 MiB blob, left unread');
  t.ok(await waitFor(() => existsSync(log) && fieldsOf(log).length === 7), 'seven lines are logged');

  const lines = fieldsOf(log);
  t.same(lines.map((l) => [l.method, l.status, l.who]), [
    ['GET', 404, 'main-ci'], ['PUT', 201, 'main-ci'], ['HEAD', 200, 'main-ci'], ['GET', 401, '-'],
    ['HEAD', 200, 'main-ci'], ['GET', 400, 'main-ci'], ['GET', 200, 'main-ci'],
  ], 'each request in order, its status, and the name of the token it came with');
  t.equal(lines[1]!.in, blob.length, "the PUT's line counts the bytes it brought in");
  t.equal(lines[0]!.out, 'not found\n'.length, "the 404's line counts the body it sent");
  t.equal(lines[2]!.out, 0, 'a HEAD sends no body');
  t.equal(lines[4]!.path, `http://cache.example${path}`, 'the absolute form is logged as sent');
  t.equal(lines[5]!.path, '/cas/a"b%25<>{}', 'a % in a path is written as %25, so %XX always means an escaped byte');
  t.ok(lines[6]!.aborted && !lines[0]!.aborted, 'the unread GET is marked aborted, a finished one not');
  t.ok(lines.every((l) => l.address === '127.0.0.1' && !Number.isNaN(Date.parse(l.time))), 'each line has the time and the client address');
  t.notOk(readFileSync(log, 'utf8').includes('secret'), 'no token is written');

  // logrotate: the file is moved away, then SIGHUP; new lines go to a new file at the path.
  renameSync(log, `${log}.1`);
  serve.proc.kill('SIGHUP');
  t.ok(await waitFor(() => existsSync(log)), 'SIGHUP opens a new file at the path');
  const status = await fetch(`${serve.url}/status`, { headers: auth });
  t.equal(status.status, 200, 'the server still serves');
  const statusBytes = Buffer.byteLength(await status.text());
  t.ok(await waitFor(() => fieldsOf(log).length === 1), 'the next request is logged in the new file');
  t.same([fieldsOf(log)[0]!.path, fieldsOf(log)[0]!.out], ['/status', statusBytes], 'with the bytes of the body it sent');
  t.equal(fieldsOf(`${log}.1`).length, 7, 'and the moved file keeps its lines');
});

t.test('serve --access-log: a request node refuses to parse is answered as node answers it, and logged', async (t) => {
  const log = join(tempDir('access'), 'access.log');
  const serve = await startServe(['--access-log', log]);
  t.teardown(() => serve.stop());
  t.equal(await raw(serve.url, 'GET\x01 /status HTTP/1.1\r\n\r\n'), 'HTTP/1.1 400 Bad Request', 'a malformed request line: 400');
  t.equal(await raw(serve.url, `GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 << 10)}\r\n\r\n`), 'HTTP/1.1 431 Request Header Fields Too Large', 'headers past the limit: 431');
  // A connection opened and closed with no request is no request.
  await new Promise<void>((res) => {
    const s = connect(Number(new URL(serve.url).port), '127.0.0.1', () => s.end(() => res()));
  });
  t.equal((await fetch(`${serve.url}/status`)).status, 200, 'the server serves on');
  t.ok(await waitFor(() => existsSync(log) && fieldsOf(log).length === 3), `three lines are logged (${existsSync(log) ? readFileSync(log, 'utf8') : 'no log'})`);
  const lines = fieldsOf(log);
  t.same(lines.map((l) => [l.method, l.path, l.who, l.status, l.refused]), [
    ['-', '-', '-', 400, 'HPE_INVALID_METHOD'], ['-', '-', '-', 431, 'HPE_HEADER_OVERFLOW'], ['GET', '/status', '127.0.0.1', 200, undefined],
  ], 'the refused requests with their status and why, and no name; then the good one (an open server names the address)');
  t.ok(lines.every((l) => l.address === '127.0.0.1'), 'each with the client address');
});

t.test('serve --access-log in a place that cannot be written, or not a regular file: no server, one line why', async (t) => {
  const dir = tempDir('serve');
  const fifo = join(dir, 'fifo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0, 'a FIFO is made');
  for (const [log, why] of [[join(dir, 'no', 'such', 'access.log'), 'ENOENT'], [dir, 'EISDIR'], [fifo, 'not a regular file (for stdout: --access-log -)']] as const) {
    // Under timeout(1): opening a FIFO with no reader blocks, and the server hung at its start.
    const r = await run('timeout', ['20', BIN, 'serve', '--dir', join(dir, 'store'), '--listen', '127.0.0.1:0', '--access-log', log]);
    t.equal(r.code, 1, `${why}: exits 1`);
    t.equal(r.stderr, `splitcache: SPLITCACHE_SERVE_CONFIG: access log ${log} cannot be written: ${why}\n`, 'one line naming it');
  }
});

t.test('serve --access-log - whose stdout reader goes away serves on, and says once that it logs no more; SIGHUP never ends a server', async (t) => {
  const serve = await startServe(['--access-log', '-']);
  t.teardown(() => serve.stop());
  let err = '';
  serve.proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  t.equal((await fetch(`${serve.url}/status`)).status, 200, 'a request');
  // The reader (`serve … | head -1`) has the URL, and goes.
  serve.proc.stdout!.destroy();
  for (let i = 0; i < 3; i++) t.equal((await fetch(`${serve.url}/status`)).status, 200, `request ${i + 1} after the reader went is served`);
  t.ok(await waitFor(() => err.includes('access log: stdout cannot be written')), `one line says so (${err.trim()})`);
  t.equal(err.split('\n').filter((l) => l.includes('access log')).length, 1, 'once');
  serve.proc.kill('SIGHUP');
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await fetch(`${serve.url}/status`)).status, 200, 'a SIGHUP leaves it serving');
  t.equal(await serve.stop(), 0, 'and SIGTERM stops it as ever, exit 0');
});
