// A TCP proxy on loopback that holds every chunk, in each direction, for `delayMs`
// before passing it on, in order: a request and its answer then take 2 × delayMs
// more, as over a network with that one-way latency (bandwidth is not limited).
// Used by bench/remoteOnly.mjs (`--latency-ms`) to measure a remote that is not
// on the same machine. It runs as a process of its own (`node bench/latencyProxy.mjs
// <url> <ms>` prints its URL): the benchmark waits for each build in spawnSync,
// which would stop a proxy in its own event loop.
import { spawn } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'

/** Starts the proxy process in front of `target`; resolves to its URL and a close function. */
export async function startLatencyProxy(target, delayMs) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), target, String(delayMs)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((res, rej) => {
    child.stdout.once('data', (d) => res(String(d).trim()))
    child.on('exit', () => rej(new Error('latency proxy exited')))
  })
  return { url, close: () => { child.kill(); return new Promise((res) => child.once('exit', res)) } }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await listen(process.argv[2], Number(process.argv[3]))
  console.log(url)
}

async function listen(target, delayMs) {
  const up = new URL(target)
  const sockets = new Set()
  const server = net.createServer((client) => {
    const server = net.connect(Number(up.port), up.hostname)
    for (const s of [client, server]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => { client.destroy(); server.destroy() })
    }
    delayed(client, server, delayMs)
    delayed(server, client, delayMs)
  })
  await new Promise((res) => server.listen(0, '127.0.0.1', res))
  const url = new URL(target)
  url.port = String(server.address().port)
  return {
    url: url.toString(),
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise((res) => server.close(res))
    },
  }
}

/** Pipes `from` into `to`, each chunk `delayMs` after it arrived; an end is passed on after the chunks before it. */
function delayed(from, to, delayMs) {
  let last = Promise.resolve()
  const later = (fn) => {
    const due = Date.now() + delayMs
    last = last.then(() => new Promise((res) => setTimeout(() => { fn(); res() }, Math.max(0, due - Date.now()))))
  }
  from.on('data', (chunk) => later(() => { if (!to.destroyed) to.write(chunk) }))
  from.on('end', () => later(() => to.end()))
}
