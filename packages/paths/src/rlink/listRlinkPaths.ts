import { readRlinkHeader } from './readRlinkHeader.js';
import { scanRlinkStrings } from './scanRlinkStrings.js';

/**
 * Every path-like string in an `.rlink` body, in file order, duplicates
 * kept: the object files (`*.rcgu.o`), the dependency `.rlib`/`.rmeta`
 * files, the output directory and so on. Placeholders count as paths.
 */
export function listRlinkPaths(buf: Uint8Array): string[] {
  const header = readRlinkHeader(buf);
  return scanRlinkStrings(buf, header.bodyStart, header.bodyEnd).map((s) => s.value);
}
