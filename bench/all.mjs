// `npm run bench [-- options]`: the side-by-side run (bench/run.mjs, options passed
// through), then, for a full run, the store-lookup, remote-only (on loopback, and 25 ms away)
// and concurrent-cold measurements,
// then BENCHMARKS.md redrawn with all of them.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const node = (script, extra = []) => {
  const r = spawnSync(process.execPath, [path.join(here, script), ...extra], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
node('run.mjs', args)
if (!args.some((a) => ['--quick', '--report-only', '--help', '--only', '--tools', '--scenarios'].includes(a))) {
  node('storeLookups.mjs')
  node('remoteOnly.mjs')
  node('remoteOnly.mjs', ['--latency-ms', '25'])
  node('concurrentCold.mjs')
  node('run.mjs', ['--report-only'])
}
