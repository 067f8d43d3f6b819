import { SplitcacheError } from '@splitcache/errors';

/** The SplitcacheError code `fn` throws, 'no error', or the foreign error itself (so a test fails loudly). */
export function codeOf(fn: () => unknown): string | unknown {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return err instanceof SplitcacheError ? err.code : err;
  }
}
