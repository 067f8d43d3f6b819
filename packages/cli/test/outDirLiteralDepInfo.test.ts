import t from 'tap';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileTree, run, Store } from './helpers.js';

// A build script writes code that includes a file of its OUT_DIR by absolute path. That input is
// recorded as it is too (daemon/checkoutInSource.ts), and the stored dep-info names it beside its
// placeholder form: a hit in the same checkout named it twice in its `.d`, where rustc names it once.
const CRATE = {
  'Cargo.toml': '[package]\nname = "dd"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs':
    'use std::{env, fs, path::Path};\nfn main() {\n    let out = env::var("OUT_DIR").unwrap();\n    let data = Path::new(&out).join("data.bin");\n' +
    '    fs::write(&data, b"hello").unwrap();\n' +
    '    fs::write(Path::new(&out).join("gen.rs"), format!("pub static DATA: &[u8] = include_bytes!({:?});\\n", data.to_str().unwrap())).unwrap();\n}\n',
  'src/main.rs': 'include!(concat!(env!("OUT_DIR"), "/gen.rs"));\nfn main() { println!("{}", DATA.len()); }\n',
};

const depInfo = (ws: string) => {
  const deps = join(ws, 'target', 'debug', 'deps');
  const name = readdirSync(deps).find((n) => /^dd-.*\.d$/.test(n));
  return name === undefined ? '' : readFileSync(join(deps, name), 'utf8');
};

t.test("a hit's dep-info names a file its OUT_DIR code includes by absolute path once, as plain rustc's does", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(CRATE, 'outdir-literal');
  const plain = await run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never' } });
  t.equal(plain.code, 0, 'plain cargo builds');
  const expected = depInfo(ws);
  t.equal(expected.split('\n').filter((l) => l.endsWith('/data.bin:')).length, 1, 'plain rustc names data.bin in an empty rule once (else this case shows nothing)');
  rmSync(join(ws, 'target'), { recursive: true });

  t.equal((await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'a' })).code, 0, 'the first build');
  rmSync(join(ws, 'target'), { recursive: true });
  const r = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'b' });
  t.equal(r.code, 0, 'the build again from clean');
  t.ok((await store.calls('b')).some((c) => c.crate === 'dd' && c.crateType === 'bin' && c.outcome === 'hit'), 'the bin hits');
  t.equal(depInfo(ws), expected, "its .d is plain rustc's, byte for byte");
  const again = await store.cargo(ws, ['build', '-v'], { SPLITCACHE_SESSION: 'c' });
  t.match(again.stderr, /Fresh dd v0\.1\.0/, 'and cargo finds it fresh');
});
