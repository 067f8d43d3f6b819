// The fuzzer's oracle: what a build through splitcache must share with a plain build of the
// same checkout, at the same path, with the same environment. Differences that docs/RELIABILITY.md
// lists under "Known limits" are left out here, each with the limit it is.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { isProcMacro, hasLib } from './workspace.mjs'

/**
 * Known limit (docs/ARCHITECTURE.md, "Paths across checkouts", "What it does not"): a hit from
 * another checkout keeps the producer's paths in debuginfo (`DW_AT_comp_dir`), so the build-id
 * differs too. Two ELF files alike once their debug sections and build-id are dropped differ
 * only there (seed 9: a build script with `RUSTFLAGS=-C debuginfo=1` hit from the first copy).
 */
function sameButDebuginfo(a, b) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-strip-'))
  try {
    const strip = (from, to) => spawnSync('objcopy', ['--strip-debug', '--remove-section=.note.gnu.build-id', from, to]).status === 0
    const sa = path.join(tmp, 'a')
    const sb = path.join(tmp, 'b')
    return strip(a, sa) && strip(b, sb) && fs.readFileSync(sa).equals(fs.readFileSync(sb))
  } finally { fs.rmSync(tmp, { recursive: true, force: true }) }
}

/**
 * Crates whose .rlib/.rmeta may differ from a plain build's by design. Known limit "A proc-macro
 * built by the split differs from a plain build's in 16 bytes" (its crate hash, SVH): so does
 * the rlib of a `["cdylib", "rlib"]` call, and every crate that depends on such a crate records
 * that hash. serde (with its derive) and serde_json sit above serde_derive.
 */
export function svhTainted(ws) {
  const tainted = new Set(['serde', 'serde_json'])
  const t = ws.members.map((m) => isProcMacro(m) || (m.kind === 'cdylib' && m.cdylibRlib) || m.reg.includes('serde'))
  ws.members.forEach((m, i) => { if (m.deps.some((j) => t[j])) t[i] = true })
  ws.members.forEach((m, i) => { if (t[i]) tainted.add(m.name) })
  return tainted
}

/**
 * Known limit (docs/ARCHITECTURE.md, "What it does not"; docs/RELIABILITY.md, `cargo install`): code
 * included from a build script's OUT_DIR keeps the producer's path in `file!()` and panic locations
 * when it hits from another checkout (its OUT_DIR env-dep is normalised, so that such crates keep
 * their hits there). The members with a build script (gen.rs's `gen_where()` is `file!()`), and all
 * that link or inline their code, may differ from a plain build in those bytes after a copy
 * (seed 215, cmd=20,move=8: m2's binary printed the first checkout's `…/build/m2-…/out/gen.rs`).
 */
export function outDirTainted(ws) {
  const t = ws.members.map((m) => m.build)
  ws.members.forEach((m, i) => { if (m.deps.some((j) => t[j])) t[i] = true })
  return new Set(ws.members.filter((m, i) => t[i]).map((m) => m.name))
}

/**
 * Known limit (docs/ARCHITECTURE.md, "What it does not"): the metadata inside an .rlib/.rmeta
 * keeps the producer's absolute paths (its working dir, and source files named absolutely, as an
 * `include_str!(concat!(env!("CARGO_MANIFEST_DIR"), …))` does) after a hit from another checkout.
 * Whether `file` names a checkout of this seed other than the one being built (`where.root` is
 * the seed's dir; `where.dir` the checkout as cargo names it, `where.real` as it is). Seed 303,
 * step 20: m2's rlib and rmeta named co0 where plain's named the copy; the bins that link it are run.
 */
export function namesOtherCheckout(file, where) {
  const text = fs.readFileSync(file).toString('latin1')
  const own = [where.dir, where.real ?? where.dir]
  for (let i = text.indexOf(`${where.root}/`); i !== -1; i = text.indexOf(`${where.root}/`, i + 1)) {
    if (!own.some((d) => text.startsWith(d, i) && !/[\w.-]/.test(text[i + d.length] ?? ''))) return true
  }
  return false
}

/** A run's output with every path into a build script's OUT_DIR made alike, whichever checkout it names. */
const outDirsAlike = (text) => String(text).replace(/\S*\/build\/[\w-]+\/out\//g, '<OUT_DIR>/')

/** Each file an artifact names, with its digest, or `skip` where the byte comparison is left out. */
function fileTable(build, tainted) {
  const table = {}
  for (const a of build.artifacts) {
    for (const f of a.files) {
      let d = f.digest
      // Known limit: the proc-macro's own .so carries its split crate hash (above).
      if (a.kinds.includes('proc-macro')) d = 'skip'
      else if (/\.(rlib|rmeta)$/.test(f.path) && tainted.has(a.name)) d = 'skip'
      table[f.path] = d
    }
  }
  return table
}

/** Lines naming each difference between a splitcache build and the plain build of the same step. */
export function compare(sc, plain, ws, where) {
  const out = []
  if (sc.code !== plain.code) out.push(`exit code: splitcache ${sc.code}, plain ${plain.code}`)
  const a = new Set(sc.diags)
  const b = new Set(plain.diags)
  for (const d of a) if (!b.has(d)) out.push(`diagnostic only through splitcache: ${d.slice(0, 600)}`)
  for (const d of b) if (!a.has(d)) out.push(`diagnostic only in plain: ${d.slice(0, 600)}`)
  const tainted = svhTainted(ws)
  const ft = fileTable(sc, tainted)
  const fp = fileTable(plain, tainted)
  const outDir = where.moved ? outDirTainted(ws) : new Set()
  const pkgOf = Object.fromEntries(sc.artifacts.flatMap((a) => a.files.map((f) => [f.path, a.pkg])))
  for (const [p, d] of Object.entries(ft)) {
    if (!(p in fp)) out.push(`artifact only through splitcache: ${p}`)
    else if (d !== 'skip' && fp[p] !== 'skip' && d !== fp[p]) {
      const plainCopy = path.join(where.dir, '.plain-target', path.relative(path.join(where.dir, 'target'), p))
      if (where.moved && sameButDebuginfo(p, plainCopy)) where.notes.push(`debuginfo only (known limit): ${p}`)
      else if (where.moved && /\.(rlib|rmeta)$/.test(p) && namesOtherCheckout(p, where)) where.notes.push(`metadata names the producer's checkout (known limit): ${p}`)
      else if (outDir.has(pkgOf[p])) where.notes.push(`differs, code from OUT_DIR names the producer's (known limit): ${p}`)
      else out.push(`artifact differs: ${p}`)
    }
  }
  for (const p of Object.keys(fp)) if (!(p in ft)) out.push(`artifact only in plain: ${p}`)
  for (const [bin, o] of Object.entries(sc.runs ?? {})) {
    const p = (plain.runs ?? {})[bin]
    if (p !== o && where.moved && outDirsAlike(p) === outDirsAlike(o)) where.notes.push(`run of ${bin} differs in OUT_DIR paths only (known limit)`)
    else if (p !== o) out.push(`run of ${bin} differs:\n  splitcache: ${o.slice(0, 800)}\n  plain:      ${String(plain.runs?.[bin]).slice(0, 800)}`)
  }
  const faults = sc.stderr.split('\n').filter((l) => /SPLITCACHE_|splitcache:/.test(l))
  for (const l of faults) out.push(`splitcache line: ${l.slice(0, 400)}`)
  return out
}

export { hasLib }
