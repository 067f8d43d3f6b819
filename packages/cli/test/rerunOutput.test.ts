import t from 'tap';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, runOnPipes, Store, tempDir } from './helpers.js';

// A crate that reads RUSTC_BOOTSTRAP is run again as given after its -Zno-link half (callFlow.ts,
// rerun). Where that run linked, only its artifact notices were shown, and what the half never
// said was lost: here the linker's own warning (`-W linker-messages`; the half does not link). The
// run's output is now shown less what the half showed (notShownYet.ts), as where it fails.

const SOURCE = 'fn main() {\n    let x = 2;\n    println!("{:?}", option_env!("RUSTC_BOOTSTRAP"));\n}\n';
const CLIENTS = [
  { client: 'node client', call: run },
  { client: 'exec port', call: runOnPipes },
];
/** The lines of `stderr` that say `what` (a JSON diagnostic says it twice on one line: message and rendered). */
const saying = (stderr: string, what: string) => stderr.split('\n').filter((l) => l.includes(what)).length;

function noisyLinker(): string {
  const path = join(tempDir('linker'), 'cc-noisy');
  writeFileSync(path, '#!/bin/sh\necho "sc-linker-says: hello" >&2\nexec cc "$@"\n');
  chmodSync(path, 0o755);
  return path;
}

for (const format of ['human', 'json']) {
  t.test(`${format}: a rerun that links shows the linker's warning once, as a plain rustc does`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const dir = tempDir('rerun-output');
    writeFileSync(join(dir, 'main.rs'), SOURCE);
    const json = format === 'json' ? ['--error-format=json'] : [];
    const args = ['--crate-name', 'rr', '--crate-type', 'bin', '--edition=2021', '--emit=dep-info,link', '-C', `linker=${noisyLinker()}`, '-W', 'linker-messages', ...json, '--out-dir', join(dir, 'out'), 'main.rs'];
    const fresh = () => {
      rmSync(join(dir, 'out'), { recursive: true, force: true });
      mkdirSync(join(dir, 'out'));
    };
    fresh();
    const plain = await run('rustc', args, { cwd: dir });
    t.equal(plain.code, 0, 'a plain rustc links');
    t.equal(saying(plain.stderr, 'sc-linker-says: hello'), 1, "and shows the linker's warning (else this test shows nothing)");
    for (const { client, call } of CLIENTS) {
      fresh();
      const r = await call(BIN, ['rustc', ...args], { cwd: dir, env: store.env() });
      t.equal(r.code, 0, `${client}: the call links`);
      t.equal(saying(r.stderr, 'sc-linker-says: hello'), 1, `${client}: the linker's warning, once (before: not at all)`);
      t.equal(saying(r.stderr, 'unused variable: `x`'), 1, `${client}: the half's warning, once`);
      t.equal((await run(join(dir, 'out', 'rr'), [])).stdout, 'None\n', "and a plain build's binary");
    }
    t.same((await store.stats()).notStored, { 'reads-rustc-bootstrap': 2 }, 'both calls were reruns');
  });
}
