import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInvocation } from '@splitcache/rustc';
import { asksForLinkerMessages } from '../src/linkerMessages.js';

t.test('a call may ask for the linker\'s warnings by an argument or in its root source', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-linkmsg-'));
  const call = (source: string, extra: string[] = []) => {
    writeFileSync(join(dir, 'main.rs'), source);
    return asksForLinkerMessages(parseInvocation(['--crate-name', 'm', 'main.rs', '--crate-type', 'bin', ...extra]), dir);
  };
  t.notOk(call('fn main() {}\n'), 'neither: the link half may be quiet');
  t.ok(call('fn main() {}\n', ['-W', 'linker-messages']), '-W linker-messages');
  t.ok(call('fn main() {}\n', ['--warn=linker_messages']), "cargo's [lints] spelling");
  t.ok(call('fn main() {}\n', ['-Zcrate-attr=warn(linker_messages)']), '-Zcrate-attr');
  t.ok(call('#![warn(linker_messages)]\nfn main() {}\n'), 'the root source');
  t.ok(call('#![cfg_attr(unix, deny(\n    linker_messages))]\nfn main() {}\n'), 'over lines, under cfg_attr: any mention counts');
  t.ok(asksForLinkerMessages(parseInvocation(['--crate-name', 'm', 'gone.rs', '--crate-type', 'bin']), dir), 'a source that cannot be read: not quiet');
});
