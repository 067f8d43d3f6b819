import t from 'tap';
import fc from 'fast-check';
import { classify, instrumentsCoverage, isInfoCall, linkHalfOf, noLinkOutputs, optionSpelled, parseDepInfo, parseInvocation, plainAllowsFeatures, plainMangling, splitPlan, wholeOutputs } from '../src/index.js';
import { gatedOption } from '../src/gatedOptions.js';
import { isSplitcacheError } from '@splitcache/errors';

const CARGO_LIB = [
  '--crate-name', 'fx_core', '--edition=2021', 'core/src/lib.rs', '--error-format=json', '--json=diagnostic-rendered-ansi,artifacts,future-incompat',
  '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-C', 'embed-bitcode=no', '-C', 'debuginfo=2', '-C', 'metadata=65ace1fcb4ad6265',
  '-C', 'extra-filename=-b27aea40ac8cc46a', '--out-dir', '/w/target/debug/deps', '-L', 'dependency=/w/target/debug/deps',
  '--extern', 'fx_derive=/w/target/debug/deps/libfx_derive-42a.so', '-l', 'static=z', '--cap-lints', 'allow',
];

t.test("cargo's pipelined lib call parses into a typed invocation", async (t) => {
  const inv = parseInvocation(CARGO_LIB);
  t.equal(inv.crateName, 'fx_core');
  t.equal(inv.input, 'core/src/lib.rs');
  t.same(inv.crateTypes, ['lib']);
  t.same(inv.emit.map((e) => e.kind), ['dep-info', 'metadata', 'link']);
  t.equal(inv.codegen.get('extra-filename'), '-b27aea40ac8cc46a');
  t.same(inv.externs, [{ name: 'fx_derive', path: '/w/target/debug/deps/libfx_derive-42a.so' }]);
  t.same(inv.libPaths, [{ kind: 'dependency', path: '/w/target/debug/deps' }]);
  t.same(inv.nativeLibs, [{ kind: 'static', name: 'z' }]);
  t.same(classify(inv), { cacheable: true, mode: 'whole', crateType: 'lib' });
  t.same(wholeOutputs(inv), ['fx_core-b27aea40ac8cc46a.d', 'libfx_core-b27aea40ac8cc46a.rmeta', 'libfx_core-b27aea40ac8cc46a.rlib']);
});

t.test("the link half says no warning twice: -A warnings where quiet, and no -C remark nor deprecated no-op -C options", async (t) => {
  const args = ['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', '/w/o'];
  const half = (extra: string[], quiet = true) => splitPlan(parseInvocation([...args, ...extra]), 'v0', true, quiet).linkOnlyArgs;
  t.same(half([]), [...args.filter((a) => a !== 'src/main.rs'), '-Zlink-only', '-A', 'warnings', '/w/o/app.rlink'], 'quiet: -A warnings');
  t.same(half([], false), [...args.filter((a) => a !== 'src/main.rs'), '-Zlink-only', '/w/o/app.rlink'], 'not quiet (the call may ask for linker_messages): none');
  t.notOk(linkHalfOf(splitPlan(parseInvocation(args), 'v0', true, true).noLinkArgs).linkOnlyArgs.includes('warnings'), "a client's own link half (its daemon gone) reads no source: not quiet");
  for (const remark of [['-C', 'remark=all'], ['-Cremark=all'], ['--codegen', 'remark=inline'], ['--codegen=remark=all'], ['-C', 'remark'], ['-C', 'inline_threshold=9'], ['-Car=x'], ['-C', 'no-stack-check']]) {
    const h = half(['-C', 'opt-level=2', ...remark]);
    t.notOk(h.some((a) => /remark|inline|ar=|stack/.test(a)), `${remark.join(' ')}: dropped`);
    t.ok(h.includes('opt-level=2'), 'the options around it kept');
  }
  t.ok(splitPlan(parseInvocation([...args, '-Cremark=all']), 'v0').noLinkArgs.includes('-Cremark=all'), 'the -Zno-link half keeps it (the remarks are its)');
});

t.test('linking crates are split; the link half drops the source and pins the mangling', async (t) => {
  const args = ['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'extra-filename=-1', '--out-dir', '/w/t/debug/deps'];
  const inv = parseInvocation(args);
  t.same(classify(inv), { cacheable: true, mode: 'split', crateType: 'bin' });
  const plan = splitPlan(inv, 'legacy');
  t.same(plan.noLinkArgs.slice(-4), ['-Zno-link', '-Zunstable-options', '-C', 'symbol-mangling-version=legacy']);
  t.notOk(plan.linkOnlyArgs.includes('src/main.rs'));
  t.equal(plan.linkOnlyArgs.at(-1), '/w/t/debug/deps/app-1.rlink');
  const chosen = splitPlan(parseInvocation([...args, '-C', 'symbol-mangling-version=v0']), 'legacy');
  t.notOk(chosen.noLinkArgs.includes('symbol-mangling-version=legacy'), "the user's choice of mangling is kept");
  const v0 = splitPlan(inv, 'v0');
  t.same(v0.noLinkArgs, [...args, '-Zno-link'], 'a rustc whose plain default is v0 gets no pin');
  t.notOk(v0.linkOnlyArgs.some((a) => a.startsWith('symbol-mangling-version') || a === '-Zunstable-options'));
  // -C instrument-coverage makes v0 the default on stable too (and rustc warns when legacy is asked for with it).
  for (const cov of [['-C', 'instrument-coverage'], ['-Cinstrument-coverage=yes'], ['-C', 'instrument-coverage=all']]) {
    t.same(splitPlan(parseInvocation([...args, ...cov]), 'legacy').noLinkArgs, [...args, ...cov, '-Zno-link'], `${cov.join(' ')}: no pin`);
  }
  for (const off of ['no', 'n', 'off', 'false', '0']) {
    t.ok(splitPlan(parseInvocation([...args, `-Cinstrument-coverage=${off}`]), 'legacy').noLinkArgs.includes('symbol-mangling-version=legacy'), `instrument-coverage=${off} is off: pinned`);
  }
  t.same(classify(parseInvocation([...args.filter((a) => a !== '--crate-type' && a !== 'bin'), '--test'])), { cacheable: true, mode: 'split', crateType: 'test' });
});

t.test("the plain call's default mangling: v0 on nightly or with RUSTC_BOOTSTRAP=1, legacy otherwise", async (t) => {
  t.equal(plainMangling('1.95.0', undefined), 'legacy');
  t.equal(plainMangling('1.96.0-beta.3', undefined), 'legacy');
  t.equal(plainMangling('1.95.0', '1'), 'v0');
  t.equal(plainMangling('1.95.0', 'app,other'), 'legacy', 'RUSTC_BOOTSTRAP naming crates leaves it legacy');
  t.equal(plainMangling('1.95.0', 'app,other', 'lib'), 'legacy', 'naming other crates');
  t.equal(plainMangling('1.95.0', 'app,other', 'app'), 'v0', 'naming this one: v0, as RUSTC_BOOTSTRAP=1 gives it');
  t.equal(plainMangling('1.95.0', '-1'), 'legacy');
  t.equal(plainMangling('1.97.0-nightly', undefined), 'v0');
  t.equal(plainMangling('1.97.0-nightly', '-1'), 'v0', 'RUSTC_BOOTSTRAP=-1 leaves a nightly on v0');
  t.equal(plainMangling('1.97.0-dev', undefined), 'v0');
});

t.test("whether a plain call may use #![feature]: rustc's reading of RUSTC_BOOTSTRAP and the channel", async (t) => {
  t.notOk(plainAllowsFeatures('1.95.0', undefined, 'app'), 'stable refuses');
  t.notOk(plainAllowsFeatures('1.96.0-beta.3', undefined, 'app'), 'so does beta');
  t.ok(plainAllowsFeatures('1.95.0', '1', 'app'), 'RUSTC_BOOTSTRAP=1 allows');
  t.ok(plainAllowsFeatures('1.95.0', 'other,app', 'app'), 'a list naming the crate allows');
  t.notOk(plainAllowsFeatures('1.95.0', 'other', 'app'), 'a list naming others does not');
  t.notOk(plainAllowsFeatures('1.95.0', 'app', undefined), 'nor does a list when the call names no crate');
  t.ok(plainAllowsFeatures('1.97.0-nightly', undefined, 'app'), 'nightly allows');
  t.notOk(plainAllowsFeatures('1.97.0-nightly', '-1', 'app'), 'RUSTC_BOOTSTRAP=-1 refuses even on nightly');
  t.ok(plainAllowsFeatures('1.97.0-dev', undefined, 'app'), 'a dev toolchain allows');

  const args = ['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', '/w/t/debug/deps'];
  const fenced = splitPlan(parseInvocation(args), 'legacy', false);
  t.equal(fenced.noLinkArgs.at(-1), '-Zallow-features=', 'where plain refuses, the no-link half allows no feature');
  t.notOk(fenced.linkOnlyArgs.includes('-Zallow-features='), 'the link half needs no fence');
  t.notOk(splitPlan(parseInvocation(args), 'legacy', true).noLinkArgs.includes('-Zallow-features='), 'where plain allows, no fence');
  const own = splitPlan(parseInvocation([...args, '-Zallow-features=never_type']), 'legacy', false);
  t.same(own.noLinkArgs.filter((a) => a.includes('allow-features')), ['-Zallow-features=never_type'], "the user's own list is kept");
  t.same(linkHalfOf(fenced.noLinkArgs).linkOnlyArgs.filter((a) => a === '-Zno-link' || a === '-Zlink-only'), ['-Zlink-only'], 'a fenced no-link call still gives its link half');
});

t.test('the link half rebuilt from the no-link call that ran keeps its pin, or its lack of one', async (t) => {
  const args = ['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'extra-filename=-1', '--out-dir', '/w/t/debug/deps'];
  for (const plain of ['legacy', 'v0'] as const) {
    const plan = splitPlan(parseInvocation(args), plain);
    const half = linkHalfOf(plan.noLinkArgs);
    t.equal(half.rlinkPath, plan.rlinkPath);
    t.equal(half.linkOnlyArgs.at(-1), plan.rlinkPath, 'the .rlink comes last');
    t.same([...half.linkOnlyArgs].sort(), [...plan.linkOnlyArgs].sort(), `${plain}: the same arguments as the daemon's link half`);
  }
});

t.test('what cannot be modelled passes through with a reason', async (t) => {
  const base = ['--crate-name', 'x', 'x.rs', '--crate-type', 'lib', '--emit=dep-info,link', '--out-dir', '/o'];
  const reason = (extra: string[], b = base) => {
    const v = classify(parseInvocation([...b, ...extra]));
    return v.cacheable ? 'cacheable' : v.reason;
  };
  t.equal(reason([]), 'cacheable');
  t.equal(reason(['-C', 'incremental=/tmp/inc']), 'incremental');
  t.equal(reason([], ['-', ...base.slice(3)]), 'stdin-input');
  t.equal(reason(['@args.txt']), 'argfile');
  // rustc expands any argument starting with `@`, a flag's value too: `--cfg @cfg.txt` is the file's cfg.
  for (const at of [['--cfg', '@cfg.txt'], ['-C', '@opts.txt'], ['--extern', '@e.txt'], ['-L', '@dirs']]) t.equal(reason(at), 'argfile', `${at.join(' ')}: an argfile`);
  t.equal(reason(['--cfg=@x']), 'cacheable', '--cfg=@x is no argfile (rustc refuses it as a cfg)');
  t.equal(reason(['--frobnicate']), 'unknown-flag:--frobnicate');
  for (const colour of [['--color=auto', '--color=auto'], ['--color=always', '--color', 'never'], ['--color=bogus'], ['--color', 'ALWAYS'], ['--error-format=json', '--json=artifacts', '--color=never']]) {
    t.equal(reason(colour), 'color-refused', `${colour.join(' ')}: refused by rustc, run plainly (its refusal in its own colours)`);
  }
  for (const colour of [['--color=always'], ['--color', 'never'], ['--color=auto', '--error-format=json']]) t.equal(reason(colour), 'cacheable', `${colour.join(' ')}: cached`);
  for (const width of [['--diagnostic-width=80', '--diagnostic-width', '80'], ['--diagnostic-width=wide'], ['--diagnostic-width=-1'], ['--diagnostic-width=18446744073709551616']]) {
    t.equal(reason(width), 'width-refused', `${width.join(' ')}: refused by rustc (out of the key, it hit), run plainly`);
  }
  for (const width of [['--diagnostic-width=80'], ['--diagnostic-width', '+007'], ['--diagnostic-width=0'], ['--diagnostic-width=18446744073709551615']]) t.equal(reason(width), 'cacheable', `${width.join(' ')}: cached`);
  t.equal(reason(['--json=artifacts']), 'json-refused', '--json without --error-format=json: refused by rustc, run plainly');
  t.equal(reason(['--json=artifacts', '--error-format=short']), 'json-refused', 'nor with other errors');
  t.equal(reason(['--error-format=json', '--json=artifacts']), 'cacheable', "cargo's form: cached");
  // rustc takes --json with its unstable pretty-json too (nightly, or RUSTC_BOOTSTRAP, with -Zunstable-options; 1.95 and 1.97-nightly checked).
  t.equal(reason(['-Zunstable-options', '--error-format=pretty-json', '--json=artifacts']), 'cacheable', '--json beside pretty-json: cached, as before json-refused');
  t.equal(reason(['--emit=llvm-ir']), 'emit:llvm-ir');
  t.equal(reason(['-o', 'out']), 'output-file');
  t.equal(reason(['other.rs']), 'multiple-inputs');
  t.equal(reason([], ['+nightly', ...base]), 'toolchain-arg', "rustup's `rustc +nightly …`: a toolchain, not a second input");
  t.equal(reason(['-C', 'profile-generate=/tmp/pgo']), 'cacheable', 'profile-generate: its directory is keyed as given');
  t.equal(reason(['-C', 'profile-use=/tmp/pgo/merged.profdata']), 'cacheable', 'profile-use: the profile is a dep-info input');
  t.equal(reason(['-Zunpretty=expanded']), 'unstable-report:unpretty', 'cargo-expand\'s call');
  t.equal(reason(['-Z', 'dump-mir=main', '-Zdump-mir-dir=/tmp/m']), 'unstable-report:dump-mir');
  t.equal(reason(['-Zself-profile']), 'unstable-report:self-profile');
  t.equal(reason(['-Zdump-mir-dir=/tmp/m']), 'cacheable', 'a modifier alone reports nothing');
  t.equal(reason(['-Zdump-mono-stats']), 'unstable-report:dump-mono-stats');
  t.equal(reason(['-Z', 'remark-dir=/tmp/r']), 'unstable-report:remark-dir');
  t.equal(reason(['-Znll-facts']), 'unstable-report:nll-facts');
  t.equal(reason(['-Zmetrics-dir=/tmp/m']), 'unstable-report:metrics-dir', 'a file of the features used: a hit wrote none');
  t.equal(reason(['-Z', 'profile_closures']), 'unstable-report:profile-closures', 'closure_profile_<pid>.csv in the cwd: a hit wrote none');
  t.equal(reason(['-Z', 'split-dwarf-out-dir=/tmp/dwo']), 'unstable-output:split-dwarf-out-dir', '.dwo files outside the out dir: stored without them');
  // Files rustc reads that dep-info does not name: keyed by the flag's text alone, a changed one hit (nightly).
  t.equal(reason(['-Zllvm-plugins=/p/plugin.so']), 'unstable-file:llvm-plugins');
  t.equal(reason(['-Z', 'sanitizer_dataflow_abilist=/p/abi.txt']), 'unstable-file:sanitizer-dataflow-abilist');
  t.equal(reason(['-Zcodegen-backend=/p/librustc_codegen_x.so']), 'unstable-file:codegen-backend');
  t.equal(reason(['-Zcodegen-backend=cranelift']), 'cacheable', 'a backend by name is the toolchain\'s');
  t.equal(reason(['--remap-path-scope=object', '--remap-path-prefix=/w=.']), 'cacheable', 'cargo\'s trim-paths flags');
  t.equal(reason(['--remap-path-scope', 'object']), 'cacheable', 'the scope as its own argument');
  t.ok(isInfoCall(['-vV']) && isInfoCall(['-', '--print=cfg']) && !isInfoCall(base));
  t.ok(isInfoCall([...base, '--print', 'cfg']) && isInfoCall([...base, '--print=crate-name']), 'a --print that stops rustc before it compiles');
  for (const kind of ['native-static-libs', 'link-args', 'native-static-libs=/tmp/libs.txt']) {
    t.notOk(isInfoCall([...base, '--print', kind]) || isInfoCall([...base, `--print=${kind}`]), `--print ${kind} is printed as the crate compiles: not an info call`);
    t.same(classify(parseInvocation([...base, `--print=${kind}`])), { cacheable: false, reason: 'print' }, 'and passes through, counted');
  }
  for (const explain of [['--explain', 'E0002'], ['--explain=E0002']]) {
    t.same(classify(parseInvocation([...base, ...explain])), { cacheable: false, reason: 'explain' }, `${explain.join(' ')}: rustc prints it and compiles nothing`);
  }
});

// A mutation audit's: each spelling rustc takes, read as rustc reads it; each refusal below held by no other test.
t.test('spellings rustc takes are read as it reads them, and a call writing outside the out-dir or reading no dep-info passes through', async (t) => {
  const base = ['--crate-name', 'x', 'x.rs', '--emit=dep-info,link', '--out-dir', '/o'];
  const reason = (extra: string[], b = base) => {
    const v = classify(parseInvocation([...b, ...extra]));
    return v.cacheable ? `cacheable:${v.mode}:${v.crateType}` : v.reason;
  };
  for (const cg of [['-C', 'opt-level=3'], ['-Copt-level=3'], ['--codegen', 'opt-level=3'], ['--codegen=opt-level=3']]) {
    t.equal(parseInvocation([...base, ...cg]).codegen.get('opt-level'), '3', `${cg.join(' ')}: read`);
    t.equal(reason(['--crate-type', 'lib', ...cg]), 'cacheable:whole:lib', `${cg.join(' ')}: cached`);
  }
  t.equal(reason(['--crate-type', 'lib', '-g', '-O']), 'cacheable:whole:lib', '-g and -O');
  t.equal(reason(['--crate-type', 'lib,cdylib']), 'cacheable:split:lib+cdylib', 'a list of crate types in one --crate-type');
  t.equal(reason(['--crate-type=rlib', '--crate-type', 'staticlib']), 'cacheable:whole:rlib+staticlib', 'two of them');
  t.equal(reason(['--crate-type', 'lib', '--emit=link=/else/libx.rlib']), 'emit-path', 'an output written elsewhere: no result holds it');
  t.equal(reason(['--crate-type', 'lib', '--emit', 'dep-info=/else/x.d,metadata']), 'emit-path', 'nor a dep-info');
  t.equal(reason(['--crate-type', 'lib', '-C']), 'unknown-flag:-C (missing value)', 'a flag missing its value: rustc refuses it, run plainly');
  const lib = ['--crate-name', 'x', 'x.rs', '--crate-type', 'lib', '--out-dir', '/o'];
  t.equal(reason(['--emit=link'], lib), 'no-dep-info', 'no dep-info, so no inputs to record');
  t.equal(reason([], lib), 'no-emit');
  t.equal(reason(['--crate-type', 'bin', '--emit=dep-info,metadata'], lib.filter((a) => a !== '--crate-type' && a !== 'lib')), 'cacheable:whole:bin', "a bin's check (no link): cached whole, not split");
  t.equal(reason(['--crate-type', 'bin'], ['--crate-name', 'x', 'x.rs', '--emit=dep-info,link', '--out-dir', 'o']), 'relative-out-dir', 'a relative out-dir for a link');
  t.equal(reason(['--crate-type', 'bin', '-Zno-link']), 'already-split', 'a half already');
  // cargo asks a crate that links for no metadata, another build system may: its hit must write the .rmeta a check of a dependent reads.
  t.same(noLinkOutputs(parseInvocation([...lib.slice(0, 4), 'dylib', '--emit=dep-info,metadata,link', '-C', 'extra-filename=-1', '--out-dir', '/o'])), ['x-1.rlink', 'x-1.d', 'libx-1.rmeta'], "a dylib's -Zno-link outputs");
  t.same(wholeOutputs(parseInvocation([...lib.slice(0, 4), 'lib,rlib', '--emit=dep-info,link', '--out-dir', '/o'])), ['x.d', 'libx.rlib'], 'lib and rlib: one rlib');
  t.equal(reason(['--test', '--crate-type', 'lib']), 'cacheable:split:test', '--test builds a harness, an executable, whatever the crate type');
  t.equal(reason([]), 'cacheable:split:bin', 'no --crate-type: a bin, as rustc defaults');
  t.equal(reason(['--crate-type', 'lib'], base.slice(2)), 'no-crate-name', "no --crate-name: rustc's is the file's, which names no output here");
  t.equal(reason(['--crate-type', 'lib', '-Ztime-passes']), 'unstable-report:time-passes', "this run's timings: a hit would replay another's");
  t.equal(reason(['--crate-type', 'lib', '-Zls=root']), 'unstable-report:ls');
});

t.test('dep-info: files, escaped spaces and env-deps', async (t) => {
  const d = parseDepInfo(
    '/o/x.d: src/lib.rs src/a\\ b.rs /abs/gen.rs\n\nsrc/lib.rs:\nsrc/a\\ b.rs:\n/abs/gen.rs:\n\n# env-dep:FOO=bar\\nbaz\n# env-dep:UNSET\n# env-dep:P=C:\\\\x\n',
  );
  t.same(d.files, ['src/lib.rs', 'src/a b.rs', '/abs/gen.rs']);
  t.same(d.envDeps, [{ name: 'FOO', value: 'bar\nbaz' }, { name: 'UNSET' }, { name: 'P', value: 'C:\\x' }]);
  t.throws(() => parseDepInfo('no rule here\n'), { code: 'SPLITCACHE_DEPINFO_MALFORMED' });
});

t.test('dep-info: paths are read as rustc writes them, a space escaped and nothing else; env-dep values keep a backslash, a newline and a carriage return', async (t) => {
  // What rustc 1.95 writes for `rustc --emit=dep-info,link m.rs` whose m.rs includes files named a\#b, end\ (its
  // last byte a backslash) and x\\y (two backslashes), reading V="a<CR>b<LF>c\d". In the prerequisite lists,
  // "end\ x\\y" could as well be one file "end x\\y"; each input's own rule names it whole.
  const d = parseDepInfo('m.d: m.rs a\\#b end\\ x\\\\y\n\nm: m.rs a\\#b end\\ x\\\\y\n\nm.rs:\na\\#b:\nend\\:\nx\\\\y:\n\n# env-dep:V=a\\rb\\nc\\\\d\n');
  t.same(d.files, ['m.rs', 'a\\#b', 'end\\', 'x\\\\y']);
  t.same(d.envDeps, [{ name: 'V', value: 'a\rb\nc\\d' }]);
  t.same(parseDepInfo('m.d: m.rs\n\nm.rs:\n\n# env-dep:X=a=b\n').envDeps, [{ name: 'X', value: 'a=b' }], 'a value holding `=`: the name ends at the first');
  // A space in a name is escaped, and a backslash before it is written as it is.
  t.same(parseDepInfo('o.d: src/a\\ b.rs src/c\\\\ d.rs\n\nsrc/a\\ b.rs:\nsrc/c\\\\ d.rs:\n').files, ['src/a b.rs', 'src/c\\ d.rs']);
  // rustc's comments start `# `; a path that starts with `#` has its own rule (`#data.txt:`), as any
  // input's. Taken for a comment, the file was keyed by no digest, and its edits hit.
  t.same(parseDepInfo('o.d: #data.txt src/main.rs\n\n#data.txt:\nsrc/main.rs:\n\n# env-dep:A=b\n# checksum:blake3=00 file_len:1 src/main.rs\n').files, ['#data.txt', 'src/main.rs'], 'an input whose path starts with #');
  // rustc separates a rule with `: `, and escapes no tab: `a:<tab>b.txt:` is that file's own rule.
  t.same(parseDepInfo('o.d: src/a:\tb.txt src/main.rs\n\nsrc/a:\tb.txt:\nsrc/main.rs:\n').files, ['src/a:\tb.txt', 'src/main.rs'], 'a path holding a colon and a tab');
  t.same(parseDepInfo('o.d: src/a\\ b.rs src/x\\\\y.rs\n').files, ['src/a b.rs', 'src/x\\\\y.rs'], 'without the per-input rules, the prerequisite list');
});

// Issue 7: hostile input. No exception but our own may escape, and nothing hangs.
t.test('fuzz: the argv parser and classifier accept any argv', async (t) => {
  const token = fc.oneof(fc.constantFrom(...CARGO_LIB, '-C', '-L', '--extern', '--emit', '-', '@f', '--test', '-o', '-Z', '--crate-type'), fc.string());
  fc.assert(
    fc.property(fc.array(token, { maxLength: 40 }), (argv) => {
      const inv = parseInvocation(argv);
      const v = classify(inv);
      if (v.cacheable) {
        t.ok(inv.crateName && inv.outDir && inv.input);
        splitPlan(inv, 'legacy');
        wholeOutputs(inv);
      }
    }),
    { numRuns: 10_000 },
  );
  t.pass('10^4 argv vectors');
});

t.test('fuzz: the dep-info parser throws only its own error', async (t) => {
  const chunk = fc.oneof(fc.constantFrom(': ', '\\', '\\ ', '\n', '# env-dep:', '=', 'src/lib.rs', '/abs/x.rs', '#'), fc.string());
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 60 }), (parts) => {
      try {
        const d = parseDepInfo(parts.join(''));
        t.ok(Array.isArray(d.files));
      } catch (e) {
        if (!isSplitcacheError(e, 'SPLITCACHE_DEPINFO_MALFORMED')) throw e;
      }
    }),
    { numRuns: 10_000 },
  );
  t.pass('10^4 dep-info texts');
});

t.test('-L: a kind only where the path starts with one rustc knows; any other `=` is part of the path', async (t) => {
  // rustc takes `-L /w/a=b/lib` as a kindless (all) dir named so: read as kind `/w/a`, its `.a` files went unkeyed.
  const dirs = parseInvocation(['--crate-name', 'x', 'src/lib.rs', '-L', '/w/a=b/lib', '-Lnative=/n', '-L', 'crate=/c', '-L', 'dependency=/d', '-L', 'framework=/f', '-L', 'all=/x=y', '-L', 'other=/o', '-L', 'rel']).libPaths;
  t.same(dirs, [
    { kind: 'all', path: '/w/a=b/lib' },
    { kind: 'native', path: '/n' },
    { kind: 'crate', path: '/c' },
    { kind: 'dependency', path: '/d' },
    { kind: 'framework', path: '/f' },
    { kind: 'all', path: '/x=y' },
    { kind: 'all', path: 'other=/o' },
    { kind: 'all', path: 'rel' },
  ]);
});

t.test('-l: kinds, modifiers and renames', async (t) => {
  const libs = parseInvocation(['--crate-name', 'x', 'src/lib.rs', '-l', 'static:+verbatim=libnat.a', '-l', 'static:+whole-archive,+verbatim=v.a', '-l', 'dylib=ssl', '-l', 'm', '-l', 'static:-bundle=foo:bar', '-l', 'static:-verbatim=nv']).nativeLibs;
  t.same(libs, [
    { kind: 'static', name: 'libnat.a', verbatim: true },
    { kind: 'static', name: 'v.a', verbatim: true },
    { kind: 'dylib', name: 'ssl' },
    { kind: '', name: 'm' },
    { kind: 'static', name: 'foo', unbundled: true },
    { kind: 'static', name: 'nv' },
  ]);
});

t.test('--env-set values are read, and the options a stable rustc gates behind -Z unstable-options are named', async (t) => {
  const base = ['--crate-name', 'x', 'src/main.rs', '--crate-type', 'bin'];
  t.same(parseInvocation([...base, '--env-set', 'FOO=a=b', '--env-set=BAR=', '--env-set', 'bare']).envSet, [['FOO', 'a=b'], ['BAR', '']], 'NAME=VALUE, split at the first =');
  t.equal(gatedOption(parseInvocation(base)), undefined, 'a plain call has none');
  t.equal(gatedOption(parseInvocation([...base, '--env-set', 'FOO=1'])), '--env-set');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'linker-flavor=gnu-cc'])), '-C linker-flavor=gnu-cc');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'linker-flavor=gcc'])), undefined, 'a stable flavor');
  t.equal(gatedOption(parseInvocation([...base, '-Clink-self-contained=-linker'])), undefined, '-linker is stable');
  t.equal(gatedOption(parseInvocation([...base, '-Clink-self-contained=+linker'])), '-C link-self-contained=+linker');
  t.equal(gatedOption(parseInvocation([...base, '--error-format=pretty-json'])), '--error-format=pretty-json');
  t.equal(gatedOption(parseInvocation([...base, '--emit=link,thin-link-bitcode'])), '--emit=thin-link-bitcode');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'linker-features=-lld'])), undefined, '-C linker-features=-lld is stable (leaving lld)');
  t.equal(gatedOption(parseInvocation([...base, '-Cpanic=immediate-abort'])), '-C panic=immediate-abort');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'panic=abort'])), undefined, 'panic=abort is stable');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'symbol_mangling_version=hashed'])), '-C symbol-mangling-version=hashed');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'symbol-mangling-version=v0'])), undefined, 'v0 is stable');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'force-frame-pointers=non-leaf'])), '-C force-frame-pointers=non-leaf');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'force-frame-pointers=always'])), undefined, 'always is stable (an alias of yes)');
  t.equal(gatedOption(parseInvocation([...base, '-l', 'link-arg=-v'])), '-l link-arg');
  t.equal(gatedOption(parseInvocation([...base, '-llink-arg:+verbatim=-v'])), '-l link-arg', 'with modifiers, joined');
  t.equal(gatedOption(parseInvocation([...base, '-l', 'static=z'])), undefined, 'other kinds are stable');
  t.equal(gatedOption(parseInvocation([...base, '--remap-path-scope=object,documentation'])), '--remap-path-scope=documentation');
  t.equal(gatedOption(parseInvocation([...base, '--remap-path-scope', 'object'])), undefined, 'other scopes are stable');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'linker-features=+lld'])), '-C linker-features=+lld');
  t.equal(gatedOption(parseInvocation([...base, '--extern', 'priv:dep=/t/libdep.rlib'])), '--extern priv:');
  t.equal(gatedOption(parseInvocation([...base, '--extern=noprelude:dep=/t/libdep.rlib'])), '--extern noprelude:');
  t.equal(gatedOption(parseInvocation([...base, '--extern', 'dep=/t/libdep.rlib'])), undefined, 'a plain --extern');
  t.equal(gatedOption(parseInvocation([...base, '--extern', 'priv,noprelude:dep=/t/libdep.rlib'])), '--extern priv,noprelude:', 'modifiers in a list');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'linker-flavor=ld.lld'])), undefined, 'ld.lld is a stable flavor');
  t.equal(gatedOption(parseInvocation([...base, '-C', 'link-self-contained'])), undefined, 'bare -C link-self-contained is stable');
  t.equal(gatedOption(parseInvocation([...base, '--error-format=json', '--json=diagnostic-rendered-ansi,timings'])), '--json=timings');
  t.equal(gatedOption(parseInvocation([...base, '--error-format=json', '--json=diagnostic-rendered-ansi,artifacts,future-incompat'])), undefined, "cargo's own --json");
});

t.test('-C and -Z option names spelled with `_` are read as rustc reads them, with `-`', async (t) => {
  // Looked up only by the dashed name, `-C target_cpu=native` was keyed without the CPU it meant,
  // and `symbol_mangling_version=v0` lost to the split's legacy pin (a hunting helper's repros).
  const args = ['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', '/w/t'];
  const inv = parseInvocation([...args, '-C', 'target_cpu=native', '-Ctarget-cpu=x86_64', '-C', 'split_debuginfo=unpacked', '-Z', 'tune_cpu=native', '-Zsplit_dwarf_kind=single_file']);
  t.equal(inv.codegen.get('target-cpu'), 'x86_64', 'the last of either spelling wins, and a value keeps its `_`');
  t.equal(inv.codegen.get('split-debuginfo'), 'unpacked');
  t.same(inv.unstable, ['tune-cpu=native', 'split-dwarf-kind=single_file']);
  t.ok(instrumentsCoverage(parseInvocation([...args, '-Cinstrument_coverage'])), '-Cinstrument_coverage');
  t.same(splitPlan(parseInvocation([...args, '-C', 'symbol_mangling_version=v0']), 'legacy').noLinkArgs, [...args, '-C', 'symbol_mangling_version=v0', '-Zno-link'], 'the user\'s mangling kept: no pin');
  t.equal(classify(parseInvocation([...args, '-C', 'save_temps'])).cacheable, false, '-C save_temps passes through');
  t.equal(optionSpelled('link_arg=-Wl,--build_id'), 'link-arg=-Wl,--build_id');
  t.same(inv.args.slice(args.length).filter((a) => a.includes('_')), ['target_cpu=native', '-Ctarget-cpu=x86_64', 'split_debuginfo=unpacked', 'tune_cpu=native', '-Zsplit_dwarf_kind=single_file'], 'the arguments rustc gets are left as given');
});
