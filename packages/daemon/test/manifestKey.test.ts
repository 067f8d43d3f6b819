import t from 'tap';
import { parseInvocation } from '@splitcache/rustc';
import { keyedArgs } from '../src/manifestKey.js';

const BASE = ['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'opt-level=3', '--out-dir', '/w/target/release/deps'];
const names = (extra: string[]) => keyedArgs(parseInvocation([...BASE, ...extra])).map(([n]) => n);

t.test('options that only steer the linker or the width of diagnostics stay out of the key', async (t) => {
  const plain = names([]);
  for (const extra of [
    ['-C', 'linker=/opt/clang/bin/clang'],
    ['-Clinker=cc'],
    ['--codegen', 'linker-flavor=gcc'],
    ['-C', 'link-arg=-fuse-ld=mold', '-C', 'link-arg=-Wl,-O1'],
    ['-C', 'link-args=-Wl,--as-needed -Wl,-z,now'],
    ['-C', 'link-self-contained=no'],
    ['-C', 'linker-features=+lld'],
    ['-C', 'strip=symbols'],
    ['--diagnostic-width=120'],
    ['--diagnostic-width', '80'],
  ]) {
    t.same(names(extra), plain, `${extra.join(' ')}: the same keyed arguments`);
  }
});

t.test('everything else is keyed, codegen and -l included', async (t) => {
  for (const extra of [['-C', 'opt-level=2'], ['-C', 'target-cpu=x86-64-v3'], ['-l', 'static=z'], ['-C', 'link-dead-code'], ['-C', 'linker-plugin-lto'], ['-C', 'relocation-model=pic']]) {
    t.not(JSON.stringify(keyedArgs(parseInvocation([...BASE, ...extra]))), JSON.stringify(keyedArgs(parseInvocation(BASE))), `${extra.join(' ')} changes them`);
  }
});
