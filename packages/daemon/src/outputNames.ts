import { SplitcacheError } from '@splitcache/errors';

/**
 * An output name from a stored entry must be a plain file name inside the
 * out-dir: no separators, no `..`, nothing hidden behind NUL. A manifest
 * that names anything else is hostile and refused.
 */
export function checkOutputName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new SplitcacheError('SPLITCACHE_MANIFEST_HOSTILE', `entry names an output outside its out-dir: ${JSON.stringify(name)}`);
  }
  return name;
}
