import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, runOnPipes, Store, tempDir, waitFor } from './helpers.js';

// A daemon killed while a build script's crate compiles: the line that says it went away names the
// build script by its package (cargo's CARGO_PKG_NAME), in both clients. Every build script's crate
// is build_script_build: a build with forty of them could not tell which one built uncached.

/** A `rustc` that, the first time it compiles build_script_build, writes its pid to `pidFile` and sleeps 3 s. */
function slowBuildScriptRustc(): { rustc: string; pidFile: string } {
  const dir = tempDir('slow-rustc');
  const pidFile = join(dir, 'pid');
  const rustc = join(dir, 'rustc');
  const once = join(dir, 'slept');
  writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" --crate-name build_script_build "*) if [ ! -e '${once}' ]; then : > '${once}'; echo $$ > '${pidFile}'; sleep 3; fi ;; esac\nexec rustc "$@"\n`, { mode: 0o755 });
  return { rustc, pidFile };
}

const CLIENTS = [
  // node's own stdio are socket pairs, which the exec port declines: the node client runs the call.
  { client: 'node client', call: run, end: '(its outputs are not cached)' },
  { client: 'exec port (bash)', call: runOnPipes, end: '(building it uncached)' },
];

for (const { client, call, end } of CLIENTS) {
  t.test(`${client}: the daemon killed under a build script's compile names its package`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    await store.splitcache(['server', 'start']);
    const { rustc, pidFile } = slowBuildScriptRustc();
    const cwd = printingCrate('built anyway');
    const env = store.env({ CARGO_PKG_NAME: 'foo-sys', CARGO_PKG_VERSION: '0.2.1' });
    const running = call(BIN, [rustc, ...printingCrateArgs(cwd, 'build_script_build')], { cwd, env });
    t.ok(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 20_000), 'the build script\'s rustc started');
    store.killDaemon();
    const r = await running;
    t.equal(r.code, 0, 'the call succeeds');
    t.equal((await run(join(cwd, 'out', 'build_script_build-t'), [])).stdout, 'built anyway\n', 'and its binary is right');
    t.ok(r.stderr.includes(`splitcache: SPLITCACHE_DAEMON_LOST: the daemon went away during the call of foo-sys's build script ${end}\n`), `one line names the build script by its package (before: "the call of build_script_build"): ${r.stderr}`);
  });
}
