// Generates cargo workspaces of a chosen shape, for scaling curves.
//
//   libs          N lib crates, spread over `depth` layers; each depends on up to two crates of
//                 the layer below, so an edit in layer 0 ripples up through every layer
//   bins          M bin crates at the top, each using two top-layer libs
//   buildScripts  K of the libs get a build.rs that generates code into OUT_DIR
//   procMacros    P proc-macro crates (no syn: plain proc_macro tokens), used by layer-0 libs
//   fns           functions per lib: the output-size knob (more code, bigger objects)
//
// Path dependencies only, so it builds offline anywhere.

import fs from 'node:fs'
import path from 'node:path'

export const DEFAULT_SHAPE = { libs: 12, bins: 2, buildScripts: 3, procMacros: 1, depth: 3, fns: 20 }

/** Writes the workspace into `dir`; returns { dir, crates, leaf, root, bins }. */
export function makeSyntheticWorkspace(dir, shape = {}) {
  const s = { ...DEFAULT_SHAPE, ...shape }
  if (s.libs < 1 || s.bins < 1 || s.depth < 1) throw new TypeError('a synthetic workspace needs libs, bins and depth of at least 1')
  if (s.buildScripts > s.libs) throw new TypeError(`buildScripts (${s.buildScripts}) cannot exceed libs (${s.libs})`)
  const layerOf = (i) => Math.min(s.depth - 1, Math.floor((i * s.depth) / s.libs))
  const libs = Array.from({ length: s.libs }, (_, i) => ({ name: `lib${i}`, layer: layerOf(i), deps: [] }))
  for (const lib of libs) {
    const below = libs.filter((l) => l.layer === lib.layer - 1)
    const i = Number(lib.name.slice(3))
    lib.deps = [...new Set([below[i % below.length], below[(i * 7 + 3) % below.length]].filter(Boolean).map((l) => l.name))]
  }
  const macros = Array.from({ length: s.procMacros }, (_, j) => `macro${j}`)
  const top = libs.filter((l) => l.layer === Math.max(...libs.map((x) => x.layer)))
  const bins = Array.from({ length: s.bins }, (_, j) => ({
    name: `bin${j}`,
    deps: [...new Set([top[j % top.length].name, top[(j + 1) % top.length].name])],
  }))

  const write = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), text)
  }
  const members = [...macros.map((m) => `macros/${m}`), ...libs.map((l) => `libs/${l.name}`), ...bins.map((b) => `bins/${b.name}`)]
  write('Cargo.toml', `[workspace]\nresolver = "2"\nmembers = [\n${members.map((m) => `  "${m}",`).join('\n')}\n]\n`)

  for (const m of macros) {
    write(`macros/${m}/Cargo.toml`, manifest(m, [], '\n[lib]\nproc-macro = true\n'))
    write(`macros/${m}/src/lib.rs`, macroSource())
  }
  libs.forEach((lib, i) => {
    const useMacro = lib.layer === 0 && macros.length > 0 ? macros[i % macros.length] : null
    const hasBuild = i < s.buildScripts
    const deps = useMacro ? [...lib.deps.map((d) => [d, 'libs']), [useMacro, 'macros']] : lib.deps.map((d) => [d, 'libs'])
    write(`libs/${lib.name}/Cargo.toml`, manifest(lib.name, deps, ''))
    if (hasBuild) write(`libs/${lib.name}/build.rs`, buildSource(lib.name))
    write(`libs/${lib.name}/src/lib.rs`, libSource(lib, s.fns, useMacro, hasBuild))
  })
  for (const bin of bins) {
    write(`bins/${bin.name}/Cargo.toml`, manifest(bin.name, bin.deps.map((d) => [d, 'libs']), ''))
    write(`bins/${bin.name}/src/main.rs`, binSource(bin))
  }
  return {
    dir: path.resolve(dir),
    crates: libs.length + bins.length + macros.length,
    leaf: { crate: 'lib0', file: path.resolve(dir, 'libs/lib0/src/lib.rs') },
    root: { crate: 'bin0', file: path.resolve(dir, 'bins/bin0/src/main.rs') },
    bins: bins.map((b) => b.name),
  }
}

function manifest(name, deps, extra) {
  const lines = deps.map(([d, group]) => `${d} = { path = "../../${group}/${d}" }`)
  return `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n${extra}\n[dependencies]\n${lines.join('\n')}\n`
}

// A derive that gives the struct an inherent `describe()`, found by walking raw tokens.
function macroSource() {
  return `use proc_macro::{TokenStream, TokenTree};

#[proc_macro_derive(Describe)]
pub fn describe(input: TokenStream) -> TokenStream {
    let mut tokens = input.into_iter();
    let mut name = None;
    while let Some(token) = tokens.next() {
        if let TokenTree::Ident(ident) = &token {
            if ident.to_string() == "struct" {
                name = tokens.next().map(|t| t.to_string());
                break;
            }
        }
    }
    let name = name.expect("Describe works on structs");
    format!("impl {name} {{ pub fn describe() -> &'static str {{ \\"{name}\\" }} }}").parse().unwrap()
}
`
}

function buildSource(name) {
  return `use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("generated.rs");
    let table: Vec<String> = (0..64u64).map(|i| (i * i + ${name.length}).to_string()).collect();
    fs::write(out, format!("pub const TABLE: [u64; 64] = [{}];\\n", table.join(", "))).unwrap();
}
`
}

function libSource(lib, fns, useMacro, hasBuild) {
  const out = [`//! Synthetic crate ${lib.name}, layer ${lib.layer}.`, '']
  const salt = Number(lib.name.slice(3)) * 1009 + 7
  if (useMacro) out.push(`#[derive(${useMacro}::Describe, Debug, Clone, PartialEq)]`, `pub struct Marker${lib.name.slice(3)} { pub value: u64 }`, '')
  if (hasBuild) out.push('include!(concat!(env!("OUT_DIR"), "/generated.rs"));', '')
  for (let k = 0; k < fns; k++) {
    out.push(
      `pub fn f${k}(x: u64) -> u64 {`,
      `    let mut v: Vec<u64> = (0..(x % 13) + ${k + 1}).map(|i| i.wrapping_mul(${salt + k * 31}) ^ x).collect();`,
      '    v.sort_unstable_by(|a, b| b.cmp(a));',
      '    v.iter().fold(x, |acc, n| acc.rotate_left(5) ^ n.wrapping_add(format!("{n:x}").len() as u64))',
      '}',
      '',
    )
  }
  const terms = Array.from({ length: fns }, (_, k) => `f${k}(seed)`)
  terms.push(...lib.deps.map((d) => `${d}::checksum(seed)`))
  if (hasBuild) terms.push('TABLE[(seed % 64) as usize]')
  if (useMacro) terms.push(`Marker${lib.name.slice(3)}::describe().len() as u64`)
  out.push('pub fn checksum(seed: u64) -> u64 {', `    0u64${terms.map((t) => `\n        .wrapping_add(${t})`).join('')}`, '}', '')
  return out.join('\n')
}

function binSource(bin) {
  const sums = bin.deps.map((d) => `${d}::checksum(seed)`).join(' ^ ')
  return `fn main() {
    let seed: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    println!("${bin.name} {}", ${sums});
}
`
}
