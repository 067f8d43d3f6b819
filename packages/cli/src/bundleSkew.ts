/**
 * Whether this install's own daemon bundle speaks another protocol than its client: the two
 * bundles were built apart (`npm run build` stopped after the client's bundle, a bundle script
 * run alone, a copy of one bundle from elsewhere). A daemon passes a newer client's call through
 * and stops, saying it restarts; but the next call starts the same bundle again, so every call
 * built uncached, each printing that line, until the install was rebuilt.
 *
 * Read from the bundle itself (`dist/bundle/daemon.cjs`, which esbuild writes with its names
 * kept: `PROTOCOL_VERSION=4`), only after a daemon passed a call through for its protocol (a
 * rare path) and by `server status`: the read of its ~0.3 MB costs about a millisecond.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installOf, PROTOCOL_VERSION } from '@splitcache/daemon/protocol';

/** The line to say for an install whose daemon bundle at `daemonMain` speaks another protocol than this client, or undefined (the same one, or none found). */
export function bundleSkew(daemonMain: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dirname(daemonMain), 'daemon.cjs'), 'latin1');
  } catch {
    return undefined;
  }
  const found = [...text.matchAll(/\bPROTOCOL_VERSION\d*\s*=\s*(\d+)\b/g)].map((m) => Number(m[1]));
  // None, or two that differ: not a bundle this can read; the daemon's own line stands.
  if (found.length === 0 || found.some((v) => v !== found[0]) || found[0] === PROTOCOL_VERSION) return undefined;
  return `this install's daemon bundle speaks protocol ${found[0]}, its client ${PROTOCOL_VERSION}: the two were built apart, and a restart starts the same daemon again; run \`npm run build\` in ${installOf(daemonMain)}`;
}
