/**
 * serverLoad.test's server, in a process of its own so that its memory is
 * measured apart from the 200 clients'. Prints its URL, then answers each
 * line on stdin with its memory (after a full GC) as JSON; exits when stdin ends.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { initHash } from '@splitcache/hash';
import { CacheServer } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
await initHash();
const server = await CacheServer.start({ dir: process.argv[2]!, host: '127.0.0.1', port: 0 });
process.stdout.write(`${server.url}\n`);
process.stdin.on('data', () => {
  gc();
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rss: m.rss, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
});
process.stdin.on('end', () => void server.close(1000).then(() => process.exit(0)));
