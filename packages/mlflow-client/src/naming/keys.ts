import { createHash } from 'node:crypto';

/**
 * MLflow's limits on names and values, from mlflow/utils/validation.py: MAX_ENTITY_KEY_LENGTH (metric,
 * param and tag keys), MAX_PARAM_VAL_LENGTH, MAX_TAG_VAL_LENGTH. Lengths are in characters (Python
 * code points); this package counts UTF-16 code units, never fewer, so it stays within them.
 */
export const keyLimits = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
} as const;

/**
 * Characters MLflow accepts in a metric, param or tag key (mlflow/utils/validation.py,
 * `validate_param_and_metric_name`): word characters (Unicode letters, digits, `_`), `-`, `.`, space
 * and `/`. MLflow also takes `:` except on Windows; plz leaves it out so that keys work everywhere.
 */
const KEY_CHARACTER = /[\p{L}\p{N}_\-. /]/u;

/**
 * Whether MLflow accepts `key` as a metric, param or tag key: allowed characters only, at most 250
 * characters, and a path that normalises to itself (`path_not_unique` in mlflow/utils/validation.py:
 * not empty, no leading `/`, no `//`, no trailing `/`, no `.` or `..` segment, not starting with `..`).
 */
export function isValidKey(key: string): boolean {
  if (key.length === 0 || key.length > keyLimits.keyLength) return false;
  if (![...key].every((c) => KEY_CHARACTER.test(c))) return false;
  if (key.startsWith('..')) return false;
  return key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

const HASH_LENGTH = 8;

/**
 * Turns any string into a key MLflow accepts (see `isValidKey`), changing as little as possible:
 * - every other character becomes `_` (`lr:decay` → `lr_decay`, `loss(val)` → `loss_val_`);
 * - empty and `.` segments are dropped (`a//b/` → `a/b`), `..` becomes `__`, a leading `..` too;
 * - a key longer than 250 characters keeps its first 241 and ends with `-` and 8 hex digits of the
 *   SHA-256 of the whole key, so that two long keys sharing a start stay different;
 * - an empty result becomes `_`.
 * A valid key comes back unchanged.
 */
export function sanitizeKey(key: string): string {
  let cleaned = [...key].map((c) => (KEY_CHARACTER.test(c) ? c : '_')).join('');
  cleaned = cleaned
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .map((segment) => (segment === '..' ? '__' : segment))
    .join('/');
  if (cleaned.startsWith('..')) cleaned = `__${cleaned.slice(2)}`;
  if (cleaned === '') cleaned = '_';
  if (cleaned.length > keyLimits.keyLength) {
    const hash = createHash('sha256').update(key).digest('hex').slice(0, HASH_LENGTH);
    let head = cleaned.slice(0, keyLimits.keyLength - HASH_LENGTH - 1);
    if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
    cleaned = `${head}-${hash}`;
  }
  return cleaned;
}

/**
 * Joins key parts with `.` (nested object keys: `{optimizer: {lr: 1}}` → `optimizer.lr`) and
 * sanitises the result with `sanitizeKey`.
 */
export const joinKey = (...parts: string[]): string => sanitizeKey(parts.filter((part) => part !== '').join('.'));
