import { appendFile, stat } from 'node:fs/promises';
import { oneLine } from '@splitcache/errors';
import { AccessLogFile, CacheServer, loadTokens } from '@splitcache/remote';
import { parseSize } from '@splitcache/store';
import { readCommandLine, usageError, type CommandSpec } from './flags.js';

export const SERVE: CommandSpec = {
  name: 'serve',
  valued: ['listen', 'dir', 'tokens', 'max-size', 'max-body', 'access-log'],
  usage: `usage: splitcache serve --dir DIR [--listen HOST:PORT] [--tokens FILE] [--max-size N] [--max-body N]
                        [--access-log FILE]
Runs the team cache server (docs/REMOTE.md) until SIGTERM or SIGINT; its first line of stdout
names the URL it listens on.
  --dir DIR            where it keeps the blobs and records (needed)
  --listen HOST:PORT   where to listen (default 127.0.0.1:7878; a bare PORT is on loopback;
                       port 0 picks a free one)
  --tokens FILE        the tokens table (else SPLITCACHE_SERVE_TOKENS); without either the
                       server is open, and listens on loopback only
  --max-size N         evict the least recently used items until they fit in N (K, M, G, T);
                       default and 0: no size limit, as SPLITCACHE_MAX_SIZE=0 and gc --max-size 0
  --max-body N         refuse an upload larger than N (default 1G)
  --access-log FILE    append one line per request to FILE, a regular file (- for stdout):
                       time, client address, token name, method, path, status, bytes out
                       and in, ms; SIGHUP opens FILE again (after logrotate has moved it)`,
};

/**
 * `splitcache serve`: the team cache server (docs/REMOTE.md). Prints the URL
 * it listens on as its first line of stdout, then serves until SIGTERM or
 * SIGINT, when it stops accepting, finishes in-flight writes and exits.
 */
export async function runServe(args: string[]): Promise<number> {
  const f = readCommandLine(args, SERVE);
  if (typeof f === 'number') return f;
  const listen = parseListen(f.listen ?? '127.0.0.1:7878');
  // 0 is no limit, as SPLITCACHE_MAX_SIZE=0 and `gc --max-size 0` (docs/CONFIG.md).
  const maxSize = f['max-size'] === undefined ? undefined : parseSize(f['max-size']);
  const maxBody = f['max-body'] === undefined ? undefined : parseSize(f['max-body']);
  if (!f.dir) return usageError(SERVE, '--dir DIR is needed');
  if (!listen) return usageError(SERVE, `--listen takes HOST:PORT or PORT, not '${f.listen}'`);
  if (f['max-size'] !== undefined && maxSize === undefined) return usageError(SERVE, `--max-size takes a size such as 10G (0: no limit), not '${f['max-size']}'`);
  if (f['max-body'] !== undefined && !maxBody) return usageError(SERVE, `--max-body takes a size such as 1G, not '${f['max-body']}'`);
  // A log asked for and not to be had is a reason not to start, said at once. Only a regular file:
  // opening a FIFO blocks until it has a reader (the server hung at its start, or after a SIGHUP).
  if (f['access-log'] && f['access-log'] !== '-') {
    const bad = await accessLogProblem(f['access-log']);
    if (bad) return process.stderr.write(`splitcache: SPLITCACHE_SERVE_CONFIG: access log ${f['access-log']} cannot be written: ${bad}\n`), 1;
  }
  let server: CacheServer;
  const warn = (line: string) => process.stderr.write(`splitcache serve: ${line}\n`);
  const logFile = f['access-log'] && f['access-log'] !== '-' ? new AccessLogFile(f['access-log'], warn) : undefined;
  const accessLog = logFile ? (line: string) => logFile.write(line) : f['access-log'] === '-' ? stdoutLog(warn) : undefined;
  try {
    const tokens = await loadTokens(f.tokens, process.env);
    server = await CacheServer.start({
      dir: f.dir, host: listen.host, port: listen.port, tokens, tokensFile: f.tokens, maxSize: maxSize || undefined, maxBody,
      log: warn, accessLog,
    });
    const access = tokens ? `${tokens.size} token(s)` : 'open (no tokens: loopback only)';
    process.stdout.write(`splitcache serve: listening on ${server.url} (dir ${f.dir}, ${access}${maxSize ? `, max size ${maxSize} bytes` : ''})\n`);
  } catch (err) {
    process.stderr.write(`splitcache: ${oneLine(err)}\n`);
    await logFile?.close();
    return 1;
  }
  // SIGHUP reopens the log (after logrotate), and never ends the server (a reload that sends it).
  process.on('SIGHUP', () => logFile?.reopen());
  await new Promise<void>((res) => {
    process.once('SIGTERM', () => res());
    process.once('SIGINT', () => res());
  });
  process.stderr.write('splitcache serve: stopping (finishing in-flight requests)\n');
  await server.close();
  await logFile?.close();
  return 0;
}

/** `HOST:PORT`, `[v6]:PORT` or a bare `PORT` (loopback). */
function parseListen(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s) ?? /^()()(\d+)$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/** Why `path` can't be the access log (a code), or undefined: it must be a regular file, or one that can be made. */
async function accessLogProblem(path: string): Promise<string | undefined> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : e));
  if (st instanceof Error) return (st as NodeJS.ErrnoException).code ?? st.message;
  if (st && !st.isFile()) return st.isDirectory() ? 'EISDIR' : 'not a regular file (for stdout: --access-log -)';
  return appendFile(path, '').then(() => undefined, (e: NodeJS.ErrnoException) => e.code ?? e.message);
}

/**
 * The access log on stdout (`--access-log -`). A reader that goes away (`serve … | head -1`, to
 * read the URL) ended the server with EPIPE at the next line, as any subcommand ends (readerGone.ts),
 * cutting the uploads in flight short (a review's finding): here it stops the log, with one line.
 * A pipe that no one reads stalls the server once full, as nginx's log to a stdout no one reads does.
 */
function stdoutLog(warn: (line: string) => void): (line: string) => void {
  let gone = false;
  process.stdout.removeAllListeners('error');
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (!gone) warn(`access log: stdout cannot be written (${err.code ?? err.message}); no more lines are logged`);
    gone = true;
  });
  return (line) => {
    if (!gone) process.stdout.write(`${line}\n`);
  };
}
