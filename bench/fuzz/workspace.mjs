// The fuzzer's workspace model: a plain object (members, env, flags, profile, command) drawn
// from a seed, and the files it renders to. Every file's text is a pure function of the model,
// so setting a field back to an earlier value writes byte-identical text (a revert).

import fs from 'node:fs'
import path from 'node:path'

export const REGISTRY = '/usr/share/cargo/registry'
const KINDS = ['lib', 'lib', 'bin', 'libbin', 'pm-derive', 'pm-fn', 'cdylib']
const REG = ['serde', 'regex', 'once_cell', 'itoa', 'lazy_static']

export const isProcMacro = (m) => m.kind.startsWith('pm-')
export const hasLib = (m) => m.kind !== 'bin'
export const hasBin = (m) => m.kind === 'bin' || m.kind === 'libbin'

/** A new model for a seed's generator. */
export function newModel(r) {
  const n = r.int(2, 6)
  const members = []
  for (let i = 0; i < n; i++) {
    const kind = i === n - 1 && !members.some(hasBin) ? 'bin' : r.pick(KINDS)
    const m = {
      name: `m${i}`, kind, deps: [], depExtra: {}, reg: [], build: false, tests: false, example: false,
      cdylibRlib: kind === 'cdylib' && r.chance(0.5), usesReq: r.chance(0.3),
      src: { v: r.int(1, 99), sig: 0, ws: 0, warn: 0, helper: r.int(1, 9) }, data: r.int(1, 99), buildInput: r.int(1, 99),
    }
    if (!isProcMacro(m)) {
      // Path deps point to earlier members that have a lib a dependant can use (a DAG).
      for (let j = 0; j < i; j++) {
        const d = members[j]
        if (!hasLib(d) || (d.kind === 'cdylib' && !d.cdylibRlib)) continue
        if (r.chance(0.5)) m.deps.push(j)
      }
      if (r.chance(0.35)) m.reg.push(r.pick(REG))
      m.build = r.chance(0.4)
      const usable = hasLib(m) && !(kind === 'cdylib' && !m.cdylibRlib)
      m.tests = usable && r.chance(0.4)
      m.example = usable && r.chance(0.3)
    }
    // Half the members paste their checkout's path into the code (a miss in another checkout, by
    // design: docs/RELIABILITY.md); the others only include a file through it, and keep their hits
    // there. With every member pasting it, a copy never hit a lib or bin: cross-checkout hits went
    // unchecked but for build scripts and proc-macros. Drawn from data, not from `r`: seeds keep their steps.
    m.dirValue = m.data % 2 === 0
    members.push(m)
  }
  // Every proc-macro is used by a later member that can take it (or, failing that, by a new bin).
  members.forEach((pm, j) => {
    if (!isProcMacro(pm) || members.some((m) => m.deps.includes(j))) return
    const user = members.find((m, i) => i > j && !isProcMacro(m))
    if (user) user.deps.push(j)
    else members.push({ ...structuredClone(members[0]), name: `m${members.length}`, kind: 'bin', deps: [j], depExtra: {}, reg: [], build: false, tests: false, example: false, usesReq: false })
  })
  return {
    members, toolchain: 'stable', profile: 'dev', cmd: 'build', rustflags: '',
    env: { SC_FUZZ_REQ: 'req1' }, configEnv: 0,
    settings: { devOpt: 0, devDebug: 2, fuzzDebug: 0, devSplit: 'off', devAssert: true, fuzzLto: 'false', fuzzCgu: 16, panic: 'unwind' },
  }
}

const regToml = {
  serde: 'serde = { version = "1", features = ["derive"] }\nserde_json = "1"',
  regex: 'regex = "1"', once_cell: 'once_cell = "1"', itoa: 'itoa = "1"', lazy_static: 'lazy_static = "1"',
}
const regUse = {
  serde: '{ #[derive(serde::Serialize)] struct S { a: u32 } serde_json::to_string(&S { a: 3 }).unwrap() }',
  regex: 'regex::Regex::new("a+b").unwrap().is_match("aab").to_string()',
  once_cell: '{ static L: once_cell::sync::Lazy<u32> = once_cell::sync::Lazy::new(|| 41 + 1); L.to_string() }',
  itoa: 'itoa::Buffer::new().format(1234u32).to_string()',
  lazy_static: '{ lazy_static::lazy_static! { static ref Z: String = "lazy".to_string(); } Z.clone() }',
}

function manifest(ws, m) {
  const lines = ['[package]', `name = "${m.name}"`, 'version = "0.1.0"', 'edition = "2021"', 'publish = false', '']
  if (m.build) lines.splice(5, 0, 'build = "build.rs"')
  if (isProcMacro(m)) lines.push('[lib]', 'proc-macro = true', '')
  else if (m.kind === 'cdylib') lines.push('[lib]', `crate-type = [${m.cdylibRlib ? '"cdylib", "rlib"' : '"cdylib"'}]`, '')
  if (m.kind === 'libbin') lines.push('[[bin]]', `name = "${m.name}-bin"`, 'path = "src/main.rs"', '')
  lines.push('[features]', 'extra = []', '', '[dependencies]')
  for (const j of m.deps) {
    const d = ws.members[j]
    const feats = m.depExtra[j] ? ', features = ["extra"]' : ''
    lines.push(`${d.name} = { path = "../${d.name}"${feats} }`)
  }
  for (const r of m.reg) lines.push(regToml[r])
  return lines.join('\n') + '\n'
}

const blank = (n) => '\n'.repeat(n)

function procMacroSrc(m) {
  const s = m.src
  const body = m.kind === 'pm-derive'
    ? `#[proc_macro_derive(Describe${m.name})]
pub fn describe(input: TokenStream) -> TokenStream {
    let mut name = String::new();
    let mut after = false;
    for t in input {
        let text = t.to_string();
        if after { name = text; break; }
        after = text == "struct";
    }
    format!("impl {name} {{ pub fn describe_${m.name}() -> String {{ format!(\\"{{}}:{}:{{}}\\", stringify!({name}), line!()) }} }}", ${s.v}${s.sig ? 'u64' : 'u32'}).parse().unwrap()
}`
    : `#[proc_macro]
pub fn answer_${m.name}(_input: TokenStream) -> TokenStream {
    "${s.v}${s.sig ? 'u64' : 'u32'}".parse().unwrap()
}`
  return `${blank(s.ws)}//! ${m.name}: a proc-macro\nuse proc_macro::TokenStream;\n\n${body}\n${s.warn === 1 ? 'fn unused_helper() {}\n' : ''}`
}

/** Text naming what one member uses from its deps, as an expression of type String. */
function depUses(ws, m) {
  const parts = []
  for (const j of m.deps) {
    const d = ws.members[j]
    if (d.kind === 'pm-derive') parts.push(`{ #[derive(${d.name}::Describe${d.name})] struct Thing${d.name}; Thing${d.name}::describe_${d.name}() }`)
    else if (d.kind === 'pm-fn') parts.push(`(${d.name}::answer_${d.name}!() as u64).to_string()`)
    else {
      parts.push(`(${d.name}::value() as u64).to_string()`, `${d.name}::describe()`, `${d.name}::shout_${d.name}!("hi")`)
      if (m.depExtra[j]) parts.push(`${d.name}::extra().to_string()`)
      if (m.src.warn === 2) parts.push(`{ #[allow(unused_imports)] use ${d.name}::*; ${d.name}::old_value().to_string() }`)
    }
  }
  for (const r of m.reg) parts.push(regUse[r])
  return parts.length ? `vec![${parts.join(',\n        ')}].join(" ")` : 'String::new()'
}

function commonItems(m, where) {
  const s = m.src
  const gen = m.build ? `include!(concat!(env!("OUT_DIR"), "/gen.rs"));\nconst GEN_TXT: &str = include_str!(concat!(env!("OUT_DIR"), "/gen.txt"));\n` : ''
  return `#[path = "extra/helper.rs"]
mod helper;
const DATA: &str = include_str!("${where}data/msg.txt");
const BYTES: &[u8] = include_bytes!("${where}data/sub/blob.bin");
${gen}`
}

function describeExpr(m) {
  const gen = m.build ? ' + GEN + GEN_TXT + gen_where() + env!("GEN_STAMP") + if cfg!(has_gen) { "has_gen" } else { "no_gen" }' : ''
  const req = m.usesReq ? ' + env!("SC_FUZZ_REQ")' : ''
  return `String::new() + file!() + ":" + &line!().to_string() + " " + module_path!() + " " + ${m.dirValue === false ? 'include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/msg.txt"))' : 'concat!(env!("CARGO_MANIFEST_DIR"), "/data/msg.txt")'} + " " + option_env!("SC_FUZZ_OPT").unwrap_or("no-opt") + option_env!("SC_FUZZ_PATH").unwrap_or("no-path") + DATA + &BYTES.len().to_string() + if cfg!(debug_assertions) { "dbg" } else { "rel" } + if cfg!(feature = "extra") { "extra" } else { "" }${req}${gen}`
}

function libSrc(ws, m) {
  const s = m.src
  const ty = s.sig === 1 ? 'u64' : 'u32'
  return `${blank(s.ws)}//! ${m.name}: a library
${commonItems(m, '../')}
pub fn value() -> ${ty} {
    ${s.v} + helper::h() as ${ty}
}

pub fn describe() -> String {
    ${describeExpr(m)} + " " + &${depUses(ws, m)}
}

#[macro_export]
macro_rules! shout_${m.name} {
    ($e:expr) => { format!("{}!{}", $e, line!()) };
}

#[cfg(feature = "extra")]
pub fn extra() -> u32 { ${s.v} * 2 }

#[deprecated(note = "use value")]
pub fn old_value() -> u32 { 1 }
${s.warn === 1 ? '\nfn unused_helper() { let unused_x = 1; }\n' : ''}`
}

function binSrc(ws, m) {
  const s = m.src
  const own = hasLib(m) ? `${m.name}::describe()` : `String::from("${s.v}")`
  const items = hasLib(m) ? '' : commonItems(m, '../')
  const desc = hasLib(m) ? '' : `fn describe_bin() -> String { ${describeExpr(m)} }\n`
  return `${blank(s.ws)}//! ${m.name}: a binary
${items}${desc}
fn main() {
    println!("{} {}", ${own}, ${hasLib(m) ? '""' : 'describe_bin()'});
    println!("{}", ${depUses(ws, m)});
    println!("{} {}", file!(), line!());
    ${s.warn === 1 ? 'let unused_y = 2;' : ''}
}
`
}

const buildRs = (v) => `use std::{env, fs, path::Path};
fn main() {
    println!("cargo:rerun-if-changed=build-input.txt");
    println!("cargo:rerun-if-env-changed=SC_FUZZ_BUILD");
    let input = fs::read_to_string("build-input.txt").unwrap();
    let v = env::var("SC_FUZZ_BUILD").unwrap_or_default();
    let out = env::var("OUT_DIR").unwrap();
    let text = format!("{}|{}", input.trim(), v);
    fs::write(Path::new(&out).join("gen.rs"), format!("pub const GEN: &str = {:?};\\npub fn gen_where() -> &'static str {{ file!() }}\\n", text)).unwrap();
    fs::write(Path::new(&out).join("gen.txt"), input.as_bytes()).unwrap();
    println!("cargo:rustc-check-cfg=cfg(has_gen)");
    if !v.is_empty() { println!("cargo:rustc-cfg=has_gen"); }
    println!("cargo:rustc-env=GEN_STAMP={}-${v}", v.len());
}
`

/** Every file of the workspace, as { relative path: text }. */
export function render(ws) {
  const files = {}
  const s = ws.settings
  files['Cargo.toml'] = `[workspace]\nresolver = "2"\nmembers = [${ws.members.map((m) => `"${m.name}"`).join(', ')}]\n\n` +
    `[profile.dev]\nopt-level = ${s.devOpt}\ndebug = ${s.devDebug}\nsplit-debuginfo = "${s.devSplit}"\ndebug-assertions = ${s.devAssert}\n\n` +
    `[profile.release]\npanic = "${s.panic}"\n\n` +
    // Only the settings that differ from release's: cargo passes codegen-units set explicitly (`-C codegen-units=16`)
    // even at release's default, and such a `--profile fuzz` never shared a key with `--release`.
    `[profile.fuzz]\ninherits = "release"\n${s.fuzzDebug ? `debug = ${s.fuzzDebug}\n` : ''}${s.fuzzLto === 'false' ? '' : `lto = "${s.fuzzLto}"\n`}${s.fuzzCgu === 16 ? '' : `codegen-units = ${s.fuzzCgu}\n`}`
  // An [env] of cargo's config reaches rustc as the caller's env does; `relative` makes it a path into the checkout;
  // `force` wins over the caller's value, and reaches the build scripts' rerun-if-env-changed.
  const configEnv = ['', '\n[env]\nSC_FUZZ_OPT = "from-config"\n', '\n[env]\nSC_FUZZ_PATH = { value = "m0/data", relative = true }\n',
    '\n[env]\nSC_FUZZ_OPT = { value = "forced", force = true }\nSC_FUZZ_BUILD = { value = "cfg-build", force = true }\n'][ws.configEnv ?? 0]
  files['.cargo/config.toml'] = `[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = "${REGISTRY}"\n${configEnv}`
  for (const m of ws.members) {
    const d = m.name + '/'
    files[d + 'Cargo.toml'] = manifest(ws, m)
    if (isProcMacro(m)) { files[d + 'src/lib.rs'] = procMacroSrc(m); continue }
    if (hasLib(m)) files[d + 'src/lib.rs'] = libSrc(ws, m)
    if (hasBin(m)) files[d + 'src/main.rs'] = binSrc(ws, m)
    files[d + 'src/extra/helper.rs'] = `pub fn h() -> u32 { ${m.src.helper} }\n`
    files[d + 'data/msg.txt'] = `message ${m.data}\n`
    // `blob` apart from `data` once a step changed one alone (steps.mjs): each file's digest is checked on its own.
    files[d + 'data/sub/blob.bin'] = 'b'.repeat((m.blob ?? m.data) % 7) + '\u0001\n'
    if (m.build) { files[d + 'build.rs'] = buildRs(m.buildV ?? 0); files[d + 'build-input.txt'] = `input ${m.buildInput}\n` }
    if (m.tests) files[d + 'tests/it.rs'] = `#[test]\nfn it_works() {\n    assert!(${m.name}::value() > 0);\n    println!("{}", ${m.name}::describe());\n}\n`
    if (m.example) files[d + `examples/ex_${m.name}.rs`] = `fn main() {\n    println!("{}", ${m.name}::describe());\n}\n`
  }
  return files
}

/** Writes the files whose text changed (so untouched files keep their mtimes, as an editor leaves them). */
export function writeWorkspace(dir, ws) {
  const files = render(ws)
  const changed = []
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel)
    let old
    try { old = fs.readFileSync(p, 'utf8') } catch { old = undefined }
    if (old === text) continue
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.writeFileSync(p, text)
    changed.push(rel)
  }
  return changed
}
