import type { StreamMessage } from './stream-message.ts';

const severityRank = { info: 1, warning: 2, critical: 3 } as const;

/**
 * Which alert events one stream client receives: its branch (null: every branch, admins), and
 * optionally a subscription's scope, kinds and minimum severity. A borrower scope is given as the
 * borrower's loan and farm ids, read when the client connects.
 */
export interface StreamFilter {
  readonly branchId: string | null;
  readonly loanId?: string | null;
  readonly farmId?: string | null;
  readonly borrower?: {
    readonly loanIds: ReadonlySet<string>;
    readonly farmIds: ReadonlySet<string>;
  } | null;
  readonly kinds?: ReadonlySet<string> | null;
  readonly minSeverity?: 'info' | 'warning' | 'critical';
}

/** Whether the filter lets the message through. */
export function isStreamMatch(filter: StreamFilter, message: StreamMessage): boolean {
  const { alert } = message;
  if (filter.branchId !== null && alert.branchId !== filter.branchId) return false;
  if (filter.loanId != null && alert.loanId !== filter.loanId) return false;
  if (filter.farmId != null && alert.farmId !== filter.farmId) return false;
  if (filter.borrower != null) {
    const { loanIds, farmIds } = filter.borrower;
    const ofBorrower =
      (alert.loanId !== null && loanIds.has(alert.loanId)) ||
      (alert.loanId === null && alert.farmId !== null && farmIds.has(alert.farmId));
    if (!ofBorrower) return false;
  }
  if (filter.kinds != null && !filter.kinds.has(alert.kind)) return false;
  if (
    filter.minSeverity !== undefined &&
    severityRank[alert.severity] < severityRank[filter.minSeverity]
  ) {
    return false;
  }
  return true;
}
