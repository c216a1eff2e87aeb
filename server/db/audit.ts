import type { Principal } from '../auth/principal.ts';
import type { Queryable } from './storage.ts';

export type AuditAction =
  'create' | 'update' | 'delete' | 'login' | 'logout' | 'import' | 'rotate_secret' | 'seed';

export interface AuditEntry {
  readonly principal: Principal | null;
  readonly action: AuditAction;
  readonly entityType: string;
  readonly entityId: string | null;
  readonly branchId: string | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly requestId: string | null;
}

/** Writes who changed what, when, with before and after; call it in the change's transaction. */
export async function recordAudit(tx: Queryable, entry: AuditEntry): Promise<void> {
  const actorKind =
    entry.principal === null ? 'system' : entry.principal.kind === 'api_key' ? 'api_key' : 'user';
  const actorId =
    entry.principal === null ? null : (entry.principal.apiKeyId ?? entry.principal.userId);
  await tx.query(
    `insert into audit_log (actor_kind, actor_id, action, entity_type, entity_id, branch_id, before, after, request_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      actorKind,
      actorId,
      entry.action,
      entry.entityType,
      entry.entityId,
      entry.branchId,
      entry.before === undefined || entry.before === null ? null : JSON.stringify(entry.before),
      entry.after === undefined || entry.after === null ? null : JSON.stringify(entry.after),
      entry.requestId,
    ],
  );
}
