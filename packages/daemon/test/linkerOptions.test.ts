import t from 'tap';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInvocation } from '@splitcache/rustc';
import { checkedOptions, linkerOptionsRefused } from '../src/linkerOptions.js';
import type { RustcIdentity } from '../src/rustcIdentity.js';

const BASE = ['--crate-name', 'l', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,link', '--out-dir', '/o'];
const rustc = { digest: 'd' } as RustcIdentity;

t.test('the -C options whose values rustc checks, however spelled', async (t) => {
  t.same(checkedOptions(['-C', 'strip=x', '-Clinker-flavor=gcc', '--codegen', 'linker-features=+lld', '--codegen=link_self_contained=no']), ['strip=x', 'linker-flavor=gcc', 'linker-features=+lld', 'link_self_contained=no']);
  t.same(checkedOptions(['-C', 'linker=/x/cc', '-C', 'link-arg=-s', '-C', 'opt-level=3']), [], 'linker, link-arg and the rest: none');
});

// /bin/false stands for a rustc that refuses whatever it is asked: it shows which calls ask.
t.test('values every rustc takes are not asked about; others are, once', async (t) => {
  const refused = (extra: string[], env: Record<string, string> = {}) => linkerOptionsRefused('/bin/false', rustc, parseInvocation([...BASE, ...extra]), '/', env, undefined);
  t.equal(await refused([]), undefined, 'none given: not asked');
  t.equal(await refused(['-C', 'strip=debuginfo']), undefined, "cargo's release default: not asked");
  t.equal(await refused(['-C', 'strip=symbols', '-C', 'link-self-contained=no']), undefined, 'stable values: not asked');
  t.equal(await refused(['-C', 'strip=bogus']), 'linker-option-refused', 'another value: asked, and refused');
  t.equal(await refused(['-C', 'linker-flavor=gcc']), 'linker-option-refused', 'a flavor: asked (it depends on the target)');
  t.equal(await linkerOptionsRefused('/no/such/rustc', rustc, parseInvocation([...BASE, '-C', 'strip=bogus']), '/', {}, undefined), undefined, 'a probe that cannot run refuses nothing');
});

// A rustc that takes the options only under RUSTC_BOOTSTRAP=1, or for the target x86_64-custom:
// what it refuses depends on both, so the probe is asked with the call's own, and remembered apart.
t.test("the probe is asked with the call's target and RUSTC_BOOTSTRAP, and remembered for each", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'linker-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fake = join(dir, 'rustc');
  writeFileSync(fake, '#!/bin/sh\n[ "$RUSTC_BOOTSTRAP" = 1 ] && exit 0\ncase " $* " in *" --target x86_64-custom "*) exit 0;; esac\nexit 1\n');
  chmodSync(fake, 0o755);
  const ask = (extra: string[], bootstrap?: string) => linkerOptionsRefused(fake, rustc, parseInvocation([...BASE, '-C', 'linker-flavor=gnu-lld-cc', ...extra]), dir, {}, bootstrap);
  t.equal(await ask([], '1'), undefined, 'under RUSTC_BOOTSTRAP=1: taken');
  t.equal(await ask([]), 'linker-option-refused', 'the same options without it: refused, not the answer remembered for the other');
  t.equal(await ask(['--target', 'x86_64-custom']), undefined, 'for the target that takes them: taken');
});
