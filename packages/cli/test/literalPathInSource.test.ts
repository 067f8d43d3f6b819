import t from 'tap';
import { join } from 'node:path';
import { fileTree, run, Store, tempDir } from './helpers.js';

// A warning quotes the source line it points at. A line holding a path under one of the call's
// prefixes as a literal (the temp dir's, here) was stored with a placeholder in the quote, and a
// hit under another TMPDIR showed that checkout's temp dir in a line no file holds. Compared with
// plain cargo in the consumer's own state.

const sockLine = (stderr: string) => stderr.split('\n').filter((l) => l.includes('app.sock'));

t.test("a hit under another TMPDIR quotes a source's literal temp path as the source has it", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const producerTmp = tempDir('tmp-a');
  const consumerTmp = tempDir('tmp-b');
  const files = {
    'Cargo.toml': '[package]\nname = "sock"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/lib.rs': `pub fn socket() -> &'static str {\n    let mut p = "${producerTmp}/app.sock";\n    p\n}\n`,
  };
  const a = fileTree(files, 'literal-a');
  const b = fileTree(files, 'literal-b');
  const plain = await run('cargo', ['build'], { cwd: b, env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never', CARGO_TARGET_DIR: join(tempDir('plain-target'), 't'), TMPDIR: consumerTmp } });
  t.equal(plain.code, 0, 'plain cargo builds');
  t.same(sockLine(plain.stderr), [`2 |     let mut p = "${producerTmp}/app.sock";`], "and quotes the line as the source has it (else this case shows nothing)");

  t.equal((await store.cargo(a, ['build'], { TMPDIR: producerTmp, SPLITCACHE_SESSION: 'a' })).code, 0, 'the producer builds');
  const r = await store.cargo(b, ['build'], { TMPDIR: consumerTmp, SPLITCACHE_SESSION: 'b' });
  t.equal(r.code, 0, 'the consumer builds');
  t.same((await store.calls('b')).map((e) => e.outcome), ['hit'], 'a hit');
  t.same(sockLine(r.stderr), sockLine(plain.stderr), "its warning quotes the line as plain cargo's does");
});
