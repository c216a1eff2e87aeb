import type { Storage } from '../../db/storage.ts';
import { hashToken, parseApiKey, sameHash } from '../../auth/tokens.ts';
import { alertTopicPrefix } from './mqtt-topic.ts';

/** The MQTT user name of an alert subscriber; the password is one of its user's API keys. */
export const alertReaderUsername = 'apikey';

/**
 * A person's or system's MQTT connection that reads alert topics: it acts with its API key's user
 * and branch (null: an admin, every branch), may subscribe only to its branch's alert topics and
 * may publish nothing.
 */
export interface AlertReader {
  readonly kind: 'alert_reader';
  readonly userId: string;
  readonly branchCode: string | null;
}

export function isAlertReader(identity: object): identity is AlertReader {
  return (identity as { kind?: unknown }).kind === 'alert_reader';
}

/**
 * Checks an API key (`pwk_…`) given as the MQTT password: resolves to the reader, or null for an
 * unknown, revoked or malformed key or a disabled user.
 */
export async function authenticateAlertReader(
  storage: Storage,
  password: string,
): Promise<AlertReader | null> {
  const parsed = parseApiKey(password);
  if (parsed === null) return null;
  const { rows } = await storage.query<{
    user_id: string;
    role: string;
    branch_code: string | null;
    key_hash: string;
  }>(
    `select u.id as user_id, u.role, b.code as branch_code, k.key_hash
       from api_keys k
       join users u on u.id = k.user_id
       left join branches b on b.id = u.branch_id
      where k.prefix = $1 and k.revoked_at is null and u.disabled_at is null`,
    [parsed.prefix],
  );
  const row = rows[0];
  if (row === undefined || !sameHash(hashToken(parsed.secret), row.key_hash)) return null;
  if (row.role !== 'admin' && row.branch_code === null) return null;
  return {
    kind: 'alert_reader',
    userId: row.user_id,
    branchCode: row.role === 'admin' ? null : row.branch_code,
  };
}

/**
 * Whether a reader may subscribe to `filter`: `pledgewatch/alerts/{its branch}/{farm, + or #}`;
 * admins any filter under `pledgewatch/alerts/`. Wildcards in the branch segment are refused.
 *
 * @example mayReadAlerts({ kind: 'alert_reader', userId, branchCode: 'KRT' }, 'pledgewatch/alerts/KRT/+') // true
 */
export function mayReadAlerts(reader: AlertReader, filter: string): boolean {
  const levels = filter.split('/');
  const prefix = alertTopicPrefix.split('/');
  if (levels.length < prefix.length + 1) return false;
  if (prefix.some((level, i) => levels[i] !== level)) return false;
  const rest = levels.slice(prefix.length);
  if (reader.branchCode === null) return true;
  const [branch, farm, ...more] = rest;
  return branch === reader.branchCode && farm !== undefined && farm !== '' && more.length === 0;
}
