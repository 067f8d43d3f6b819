// `node bench/gcTime.mjs [--entries 30000] [--runs 3] [--check-manifests]`: how long a gc takes
// over a large index, the lock every lookup waits for held all along. Fills a new store's index
// with synthetic entries and their manifests (60 key components and 20 inputs each, straight into
// LevelDB), then times collectGarbage with a limit nothing exceeds, so it reads everything and
// evicts nothing: what a daemon's own gc costs, or with --check-manifests an explicit
// `splitcache gc`'s, which also reads every manifest for damage (store/src/damagedRecords.ts).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (n, d) => (process.argv.includes(`--${n}`) ? Number(process.argv[process.argv.indexOf(`--${n}`) + 1]) : d)
const entries = arg('entries', 30_000)
const runs = arg('runs', 3)
const checkManifests = process.argv.includes('--check-manifests')
const { Store, collectGarbage } = await import(path.join(repo, 'packages/store/dist/src/index.js'))
const { pack } = await import('msgpackr')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitcache-gc-time-'))
const hex = (n, w = 32) => n.toString(16).padStart(w, '0')
const store = await Store.open(dir)
const components = Array.from({ length: 60 }, (_, i) => [`-C opt#${i}`, `a-value-of-some-length-${'x'.repeat(30)}-${i}`])
for (let i = 0; i < entries; i += 1000) {
  const ops = []
  for (let j = i; j < Math.min(entries, i + 1000); j++) {
    const entryKey = hex(j)
    const inputs = Array.from({ length: 20 }, (_, k) => [`src/f${k}.rs`, hex(j + k)])
    const entry = { v: 1, mode: 'whole', crateName: `c${j}`, crateType: 'lib', outputs: [{ name: `libc${j}.rlib`, digest: hex(j + 1), size: 1000, form: 'raw', role: 'output' }], stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'bench', createdAt: Date.now(), rustcVersion: 'x', compileMs: 100, command: [], inputs }
    ops.push({ type: 'put', key: `e!${entryKey}`, value: pack(entry) })
    ops.push({ type: 'put', key: `m!${hex(j, 31)}f`, value: pack({ v: 1, crateName: `c${j}`, components, results: [{ entryKey, inputs, envDeps: [] }] }) })
  }
  await store.db.batch(ops)
}
await store.db.compactRange('!', '~')
const times = []
for (let r = 0; r < runs; r++) {
  const t = performance.now()
  await collectGarbage(store, { maxBytes: 1e15, checkManifests })
  times.push(Math.round(performance.now() - t))
}
await store.close()
fs.rmSync(dir, { recursive: true, force: true })
console.log({ entries, checkManifests, gcMs: times })
