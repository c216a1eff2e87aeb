/**
 * The content hash of a report: sha256 over a canonical JSON of its data, printed on every page
 * and in the CSV, so a filed copy can be checked against the data it was drawn from.
 */
import { createHash } from 'node:crypto';
import type { ReportData } from './types.ts';

/**
 * JSON with object keys sorted (by UTF-16 code units, as `Array.prototype.sort` does) at every
 * level and no whitespace; arrays keep their order, numbers and strings print as JSON.stringify
 * prints them, and keys whose value is undefined are left out (as JSON.stringify does). The same
 * data gives the same text whatever order its keys were built in.
 *
 * Algorithm: RFC 8785 (JCS) key ordering, with ECMAScript number and string serialisation.
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalValue(value, '$');
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return text;
}

function canonicalValue(value: unknown, path: string): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      // JSON.stringify prints NaN and ±Infinity as null, as any JSON reader would see them.
      return JSON.stringify(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new TypeError(`canonicalJson: ${path} is a bigint, which JSON cannot hold`);
    case 'object':
      break;
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return canonicalValue(withToJson.toJSON(), path);
  if (Array.isArray(value)) {
    const items = value.map((item, i) => canonicalValue(item, `${path}[${i}]`) ?? 'null');
    return `[${items.join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const text = canonicalValue(record[key], `${path}.${key}`);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * The report's content hash: lowercase sha256 hex of {@link canonicalJson} of the data (UTF-8).
 * Stable across runs and processes; any changed figure, name or date changes it.
 * @example reportContentHash(data) // 'a3f1…' (64 hex digits)
 */
export function reportContentHash(data: ReportData): string {
  return createHash('sha256').update(canonicalJson(data), 'utf8').digest('hex');
}
