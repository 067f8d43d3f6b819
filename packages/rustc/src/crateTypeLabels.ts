import { LINKING_TYPES, WHOLE_TYPES } from './classify.js';
import { DRIVER_LABELS } from './driver.js';

/**
 * The labels a cached call's crate type is recorded under (crateTypeLabel): each crate type
 * splitcache caches, and `test` and `build-script`. A crate of several types is recorded
 * under them joined by `+` (`lib+cdylib`), and a driver's call under its label and a colon
 * before (`clippy:lib`, driverVerdict).
 */
export const CRATE_TYPE_LABELS: readonly string[] = [...WHOLE_TYPES, ...LINKING_TYPES, 'test', 'build-script'];

/** Whether `label` is one a cached call can be recorded under (CRATE_TYPE_LABELS): what `explain --type` can find. */
export function isCrateTypeLabel(label: string): boolean {
  const colon = label.indexOf(':');
  if (colon >= 0 && !DRIVER_LABELS.includes(label.slice(0, colon))) return false;
  const own = label.slice(colon + 1);
  if (own === 'test' || own === 'build-script') return true;
  return own.split('+').every((t) => WHOLE_TYPES.has(t) || LINKING_TYPES.has(t));
}
