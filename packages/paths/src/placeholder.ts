/**
 * Placeholders stand for a machine-specific prefix in cached artifacts:
 * `@@sc:<name>@@`. '@' is not a name character, so a placeholder ends at the
 * first "@@" after its opener.
 */
export const PLACEHOLDER_OPEN = '@@sc:';
export const PLACEHOLDER_CLOSE = '@@';

const NAME = /^[A-Za-z0-9_.-]+$/;

/** True if `name` may appear inside a placeholder. */
export function isPlaceholderName(name: string): boolean {
  return NAME.test(name);
}

/** `@@sc:<name>@@`; throws TypeError for a name that can't be delimited. */
export function placeholderFor(name: string): string {
  if (!isPlaceholderName(name)) {
    throw new TypeError(`prefix name ${JSON.stringify(name)} must match ${NAME}`);
  }
  return PLACEHOLDER_OPEN + name + PLACEHOLDER_CLOSE;
}
