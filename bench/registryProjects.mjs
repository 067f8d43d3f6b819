// The projects of the registry hunt (bench/registryHunt.mjs): the registry's crates, the wide
// workspace that depends on as many of them as resolve together, and unit projects that unpack
// one crate as its own workspace.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { cargoConfig } from '../test/fixtures/registry/make-workspace.mjs'
import { baseEnv } from './tools.mjs'

// Crates that cannot be a dependency of a host build here: std-internal or Windows-only.
const NEVER = new Set(['compiler_builtins', 'rustc-std-workspace-core', 'winapi', 'winapi-i686-pc-windows-gnu', 'winapi-x86_64-pc-windows-gnu'])
// Features worth turning on where the crate has them (dropped one by one if they fail to resolve).
const FEATURES = {
  tokio: ['full'],
  serde: ['derive', 'rc'],
  serde_json: ['preserve_order', 'raw_value'],
  syn: ['full', 'extra-traits', 'visit', 'visit-mut', 'fold'],
  clap: ['derive', 'env', 'cargo', 'wrap_help', 'string'],
  regex: ['unicode'],
  rand: ['small_rng'],
  log: ['std', 'serde'],
  tracing: ['attributes'],
  indexmap: ['serde', 'rayon'],
  hashbrown: ['serde', 'rayon'],
  smallvec: ['union', 'const_generics', 'serde'],
  bytes: ['serde'],
  'grep-searcher': [],
  'grep-printer': ['serde1'],
  petgraph: ['serde-1'],
  gimli: ['read', 'write'],
  object: ['read', 'write'],
  flate2: ['zlib'],
  either: ['serde'],
  'crossbeam-channel': [],
  parking_lot: ['arc_lock', 'serde'],
  'tiny-keccak': ['sha3', 'keccak', 'shake', 'kmac', 'tuple_hash', 'parallel_hash', 'k12', 'cshake'],
  mio: ['os-poll', 'net'],
  rustix: ['fs', 'process', 'termios'],
  socket2: ['all'],
  encoding_rs: ['serde'],
  unicase: [],
  'value-bag': ['std'],
  backtrace: ['serde'],
}

/** name → { name, version, dir, manifest } for each crate directory in the registry. */
function registryCrates(registry) {
  const out = new Map()
  for (const entry of fs.readdirSync(registry).sort()) {
    const m = /^(.+?)-(\d+\.\d+\.\d+.*)$/.exec(entry)
    if (!m || NEVER.has(m[1])) continue
    const manifest = fs.readFileSync(path.join(registry, entry, 'Cargo.toml'), 'utf8')
    out.set(m[1], { name: m[1], version: m[2], dir: path.join(registry, entry), manifest })
  }
  return out
}

const libName = (c) => (/\[lib\][^[]*?name\s*=\s*"([^"]+)"/s.exec(c.manifest)?.[1] ?? c.name).replace(/-/g, '_')
const isProcMacro = (c) => /proc-macro\s*=\s*true/.test(c.manifest)
const hasFeature = (c, f) => new RegExp(`^\\[features\\][^]*?^${f.replace(/[-]/g, '\\-')}\\s*=`, 'm').test(c.manifest) || new RegExp(`^\\[dependencies\\.${f}\\]`, 'm').test(c.manifest)

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...opts })
  return { ok: res.status === 0, code: res.status, stdout: res.stdout ?? '', stderr: res.stderr ?? '' }
}

function depLine(c, features) {
  const f = features.length ? `, features = ${JSON.stringify(features)}` : ''
  return `${c.name.includes('.') ? JSON.stringify(c.name) : c.name} = { version = "=${c.version}"${f} }`
}

/** Writes the wide workspace for `crates` (with their features) at dir. */
function writeWide(dir, crates, features, registry) {
  fs.rmSync(dir, { recursive: true, force: true })
  const w = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), text)
  }
  w('.cargo/config.toml', cargoConfig(registry))
  w('Cargo.toml', '[workspace]\nmembers = ["wide", "widepm"]\nresolver = "2"\n')
  w('widepm/Cargo.toml', '[package]\nname = "widepm"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\nproc-macro = true\n\n[dependencies]\n' +
    ['syn', 'quote', 'proc-macro2'].filter((n) => crates.some((c) => c.name === n)).map((n) => depLine(crates.find((c) => c.name === n), n === 'syn' ? ['full'] : [])).join('\n') + '\n')
  const haveSyn = crates.some((c) => c.name === 'syn') && crates.some((c) => c.name === 'quote')
  w('widepm/src/lib.rs', haveSyn
    ? 'use proc_macro::TokenStream;\n\n#[proc_macro_derive(Named)]\npub fn named(input: TokenStream) -> TokenStream {\n    let ast: syn::DeriveInput = syn::parse(input).unwrap();\n    let id = &ast.ident;\n    let s = id.to_string();\n    quote::quote!(impl #id { pub fn name() -> &\'static str { #s } }).into()\n}\n'
    : 'use proc_macro::TokenStream;\n\n#[proc_macro_derive(Named)]\npub fn named(_input: TokenStream) -> TokenStream {\n    TokenStream::new()\n}\n')
  const deps = crates.map((c) => depLine(c, features.get(c.name) ?? [])).join('\n')
  w('wide/Cargo.toml', `[package]\nname = "wide"\nversion = "0.1.0"\nedition = "2021"\nbuild = "build.rs"\n\n[dependencies]\nwidepm = { path = "../widepm" }\n${deps}\n`)
  w('wide/build.rs', 'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n    std::fs::write(format!("{out}/gen.rs"), "pub const CRATES: usize = ' + crates.length + ';\\n").unwrap();\n    println!("cargo:rerun-if-changed=build.rs");\n    println!("cargo:rustc-env=WIDE_PROFILE={}", std::env::var("PROFILE").unwrap());\n}\n')
  const externs = crates.filter((c) => !isProcMacro(c)).map((c) => `extern crate ${libName(c)};`).join('\n')
  const uses = []
  const has = (n) => crates.some((c) => c.name === n)
  if (has('regex')) uses.push('    v.push(regex::Regex::new("a+b").unwrap().is_match("aab").to_string());')
  if (has('serde_json') && has('serde')) uses.push('    v.push(serde_json::to_string(&Point { x: 1, y: 2 }).unwrap());')
  if (has('memchr')) uses.push('    v.push(format!("{:?}", memchr::memchr(b\'c\', b"abc")));')
  if (has('tokio')) uses.push('    v.push(tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async { 7 }).to_string());')
  if (has('tiny-keccak')) uses.push('    { use tiny_keccak::Hasher; let mut h = tiny_keccak::Sha3::v256(); h.update(b"x"); let mut o = [0u8; 32]; h.finalize(&mut o); v.push(format!("{:02x}", o[0])); }')
  if (has('crc32fast')) uses.push('    v.push(crc32fast::hash(b"wide").to_string());')
  if (has('ryu')) uses.push('    v.push(ryu::Buffer::new().format(1.5f64).to_string());')
  if (has('itoa')) uses.push('    v.push(itoa::Buffer::new().format(42u32).to_string());')
  if (has('unicase')) uses.push('    v.push((unicase::UniCase::new("A") == unicase::UniCase::new("a")).to_string());')
  if (has('rayon')) uses.push('    { use rayon::prelude::*; v.push((1..100u64).into_par_iter().sum::<u64>().to_string()); }')
  if (has('flate2')) uses.push('    { use std::io::Write; let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()); e.write_all(b"x").unwrap(); v.push(e.finish().unwrap().len().to_string()); }')
  if (has('unicode-width')) uses.push('    v.push(unicode_width::UnicodeWidthStr::width("ab").to_string());')
  if (has('log')) uses.push('    log::info!("unseen");')
  if (has('backtrace')) uses.push('    v.push((backtrace::Backtrace::new_unresolved().frames().len() > 0).to_string());')
  const derive = has('serde') ? '#[derive(Debug, serde::Serialize, serde::Deserialize, widepm::Named)]' : '#[derive(Debug, widepm::Named)]'
  w('wide/src/lib.rs', `${externs}\n\ninclude!(concat!(env!("OUT_DIR"), "/gen.rs"));\npub const PROFILE: &str = env!("WIDE_PROFILE");\n\n${derive}\npub struct Point {\n    pub x: i32,\n    pub y: i32,\n}\n\npub fn report() -> Vec<String> {\n    let mut v = vec![Point::name().to_string(), CRATES.to_string(), PROFILE.to_string()];\n${uses.join('\n')}\n    v\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn names_point() {\n        assert_eq!(super::Point::name(), "Point");\n    }\n}\n`)
  w('wide/src/main.rs', 'fn main() {\n    for line in wide::report() {\n        println!("{line}");\n    }\n}\n')
  w('wide/tests/it.rs', '#[test]\nfn report_has_lines() {\n    assert!(wide::report().len() >= 3);\n}\n')
  w('wide/examples/ex.rs', 'fn main() {\n    println!("{}", wide::CRATES);\n}\n')
}

/** The crates (and features) that resolve together, found by dropping what breaks. */
function resolveWide(dir, all, registry, log) {
  let crates = [...all]
  const features = new Map(crates.map((c) => [c.name, (FEATURES[c.name] ?? []).filter((f) => hasFeature(c, f))]))
  for (let round = 0; round < 200; round++) {
    writeWide(dir, crates, features, registry)
    const res = run('cargo', ['generate-lockfile', '--offline'], { cwd: dir, env: baseEnv(path.join(dir, '..', 'cargo-home')) })
    if (res.ok) return { crates, features }
    const err = res.stderr
    // Blame the first named crate of ours the error mentions: a feature first, then the crate.
    const feat = /package `([^`]+)` does not have (?:that|the) feature `([^`]+)`/.exec(err) ?? /feature `([^`]+)` .*package `([^`]+)`/.exec(err)
    const named = [...err.matchAll(/`([A-Za-z0-9_.-]+)(?: v[0-9][^`]*)?`/g)].map((m) => m[1])
    const culprit = named.find((n) => crates.some((c) => c.name === n && features.get(n)?.length)) ?? named.find((n) => crates.some((c) => c.name === n))
    if (culprit && features.get(culprit)?.length) {
      log(`  drop features of ${culprit}: ${err.trim().split('\n').slice(0, 2).join(' | ')}`)
      features.set(culprit, [])
      continue
    }
    if (culprit) {
      log(`  drop ${culprit}: ${err.trim().split('\n').slice(0, 2).join(' | ')}`)
      crates = crates.filter((c) => c.name !== culprit)
      continue
    }
    throw new Error(`cannot resolve the wide workspace: ${err.trim()}`)
  }
  throw new Error('the wide workspace did not resolve in 200 rounds')
}

/** A unit project: the crate unpacked into dir as its own workspace. */
function writeUnit(dir, c, registry) {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.cpSync(c.dir, dir, { recursive: true })
  fs.rmSync(path.join(dir, '.cargo-checksum.json'), { force: true })
  fs.appendFileSync(path.join(dir, 'Cargo.toml'), '\n[workspace]\n')
  fs.mkdirSync(path.join(dir, '.cargo'), { recursive: true })
  fs.writeFileSync(path.join(dir, '.cargo', 'config.toml'), cargoConfig(registry))
}

/** Removes [dev-dependencies] tables (and their target-specific forms) from a manifest. */
function stripDevDeps(file) {
  const text = fs.readFileSync(file, 'utf8')
  const out = []
  let skip = false
  for (const line of text.split('\n')) {
    if (/^\[/.test(line)) skip = /dev-dependencies/.test(line)
    if (!skip) out.push(line)
  }
  fs.writeFileSync(file, out.join('\n'))
}

export { isProcMacro, registryCrates, resolveWide, run, stripDevDeps, writeUnit, writeWide }
