// The day hunt's builds and its oracle: one cargo command read from its JSON messages, each
// executable made comparable across the two clones (the oracle's path, the same length, written
// over with the work clone's; debug info and the build-id note dropped, since the linker's merged
// debug strings are laid out by their hashes, paths included), and what each executable prints.

import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const sha = (buf) => crypto.createHash('sha256').update(buf).digest('hex').slice(0, 20)

/** Every file of a checkout but .git, target and Cargo.lock (each clone resolves its own), hashed by path and content. */
export function treeHash(dir) {
  const h = crypto.createHash('sha256')
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === '.git' || e.name === 'target' || e.name === 'Cargo.lock') continue
      const p = path.join(rel, e.name)
      if (e.isDirectory()) walk(p)
      else h.update(`${p}\0`).update(fs.readFileSync(path.join(dir, p))).update('\0')
    }
  }
  walk('')
  return h.digest('hex').slice(0, 20)
}

/** Makes `to` hold the files of `from` (not .git or target), writing only those that differ. */
export function syncTree(from, to) {
  const want = new Set()
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
      if (e.name === '.git' || e.name === 'target' || e.name === 'Cargo.lock') continue
      const p = path.join(rel, e.name)
      if (e.isDirectory()) { fs.mkdirSync(path.join(to, p), { recursive: true }); walk(p); continue }
      want.add(p)
      const a = fs.readFileSync(path.join(from, p))
      let b
      try { b = fs.readFileSync(path.join(to, p)) } catch {}
      if (!b || !a.equals(b)) fs.writeFileSync(path.join(to, p), a)
    }
  }
  walk('')
  const prune = (rel) => {
    for (const e of fs.readdirSync(path.join(to, rel), { withFileTypes: true })) {
      if (e.name === '.git' || e.name === 'target' || e.name === 'Cargo.lock') continue
      const p = path.join(rel, e.name)
      if (e.isDirectory()) prune(p)
      else if (!want.has(p)) fs.rmSync(path.join(to, p))
    }
  }
  prune('')
}

/** One cargo command; `json` is its messages read: exit code, diagnostics, executables. */
export function cargo(dir, args, env) {
  const t = Date.now()
  const r = spawnSync('cargo', args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 20 * 60_000 })
  const diags = new Set()
  const exes = {}
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line.startsWith('{')) continue
    let m
    try { m = JSON.parse(line) } catch { continue }
    if (m.reason === 'compiler-message' && m.message?.rendered) diags.add(`${m.target?.name}: ${m.message.rendered}`)
    if (m.reason === 'compiler-artifact' && m.executable) exes[`${m.target.name}:${m.target.kind.join(',')}:${m.profile.test}`] = m.executable
  }
  return { code: r.status ?? `signal ${r.signal}`, diags: [...diags].sort(), exes, stderr: r.stderr ?? '', ms: Date.now() - t }
}

function replaceAll(buf, from, to) {
  const a = Buffer.from(from)
  const b = Buffer.from(to)
  if (a.length !== b.length) throw new Error('paths of different lengths')
  for (let i = buf.indexOf(a); i !== -1; i = buf.indexOf(a, i + a.length)) b.copy(buf, i)
  return buf
}

/** The executable's bytes with `from` written over as `to`, no debug info or build-id: its digest, and the bytes kept under `keep`. */
export function comparable(exe, { from, to, keep, tmp }) {
  const buf = fs.readFileSync(exe)
  if (from) replaceAll(buf, from, to)
  const a = path.join(tmp, 'in')
  const b = path.join(tmp, 'out')
  fs.writeFileSync(a, buf)
  const r = spawnSync('objcopy', ['--strip-debug', '--remove-section=.note.gnu.build-id', a, b])
  if (r.status !== 0) throw new Error(`objcopy ${exe}: ${r.stderr}`)
  const out = fs.readFileSync(b)
  const d = sha(out)
  if (keep) {
    fs.mkdirSync(keep, { recursive: true })
    const p = path.join(keep, d)
    if (!fs.existsSync(p)) fs.writeFileSync(p, out)
  }
  return d
}

/** What an executable prints: a test harness one test at a time, its timing and thread ids blanked; paths as the work clone's. */
export function runExe(exe, key, { cwd, env, from, to }) {
  const isTest = key.endsWith(':true')
  if (key.includes(':proc-macro:')) return ''
  const r = spawnSync(exe, isTest ? ['--test-threads=1'] : [], { cwd, env: { ...env, RUST_BACKTRACE: '0' }, encoding: 'utf8', timeout: 60_000 })
  // A panic names its thread's id since 1.92 or so.
  let out = `${r.status ?? r.signal}|${r.stdout}|${r.stderr}`.replace(/finished in [\d.]+s/g, 'finished in Xs').replace(/(thread '[^']*') \(\d+\)/g, '$1')
  if (from) out = out.split(from).join(to)
  // Its own file name: cargo's hash in it covers the profile, which CARGO_INCREMENTAL is part of.
  return out.replace(/(\/deps\/[\w-]+)-[0-9a-f]{16}\b/g, '$1-<hash>')
}

export const normDiag = (d, from, to) => (from ? d.split(from).join(to) : d)
