import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// cargo keeps every line a rustc call prints on its stderr beside the crate's fingerprint
// (.fingerprint/<unit>/output-*), and prints it again on each later build that finds the crate
// fresh. A splitcache line said there (here, a remote that refuses connections) came back in
// the next `cargo test`, which made no such request, naming the earlier build's key. Where
// cargo runs in a terminal, the line now goes on that terminal: shown once, kept by nobody.
// (Into a pipe cargo writes a diagnostic in pieces, which a line of ours could split: there,
// and in a file, the line goes on the call's stderr as before.)

const CRATE = {
  'Cargo.toml': '[package]\nname = "said"\nversion = "0.1.0"\nedition = "2021"\n',
  'src/lib.rs': 'pub fn one() -> u32 { 1 }\n#[cfg(test)]\nmod tests { #[test] fn one() { assert_eq!(super::one(), 1); } }\n',
};

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

/** The lines cargo kept of its crates' compiles, from every output-* file under the target dir. */
function keptLines(ws: string): string {
  const fp = join(ws, 'target', 'debug', '.fingerprint');
  return readdirSync(fp).flatMap((d) => readdirSync(join(fp, d)).filter((f) => f.startsWith('output-')).map((f) => readFileSync(join(fp, d, f), 'utf8'))).join('');
}

for (const client of ['exec port', 'node client'] as const) {
  t.test(`a fault line is shown in the build that had the fault, and not again from cargo's kept output (${client})`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const ws = fileTree(CRATE, 'said');
    const env = { SPLITCACHE_REMOTE: `http://127.0.0.1:${await deadPort()}/`, ...(client === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {}) };
    // cargo in a terminal: script(1) gives it one, and copies what it shows to its own stdout.
    const cargo = (args: string[]) => run('script', ['-qefc', `cargo ${args.join(' ')}`, '/dev/null'], { cwd: ws, env: store.env({ ...env, SHELL: '/bin/bash' }) });
    const build = await cargo(['build']);
    assertOk(t, build, 'the build');
    t.match(build.stdout, /^splitcache: SPLITCACHE_REMOTE\S*: .*\(a remote lookup; building without it\)\r?$/m, 'says the remote could not be reached, on a line of its own');
    t.notMatch(keptLines(ws), /splitcache:/, `cargo kept no splitcache line with the crate: ${keptLines(ws)}`);
    const test = await cargo(['test', '--no-run']);
    assertOk(t, test, 'cargo test, the lib fresh');
    t.match(test.stdout, /Finished/, 'the terminal shows cargo test');
    t.notMatch(test.stdout, /SPLITCACHE_REMOTE/, "and no line of the first build's lookup");
  });
}
