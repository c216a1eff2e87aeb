/**
 * Who is asking. Every API route runs with a Principal; officers and supervisors see only their
 * own branch, admins see every branch.
 */
export type Role = 'officer' | 'supervisor' | 'admin';

export const roles: readonly Role[] = ['officer', 'supervisor', 'admin'];

export interface Principal {
  readonly kind: 'user' | 'api_key';
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  /** null only for admins. */
  readonly branchId: string | null;
  readonly apiKeyId: string | null;
}

/** The branch a principal is confined to, or null when it may see all (admin). */
export function branchScope(principal: Principal): string | null {
  return principal.role === 'admin' ? null : principal.branchId;
}

const rank: Record<Role, number> = { officer: 1, supervisor: 2, admin: 3 };

export function hasRole(principal: Principal, atLeast: Role): boolean {
  return rank[principal.role] >= rank[atLeast];
}

/** Whether the principal may see things of `branchId`. */
export function canSeeBranch(principal: Principal, branchId: string): boolean {
  return principal.role === 'admin' || principal.branchId === branchId;
}
