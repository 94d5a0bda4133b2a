/**
 * @module auth/roles
 * Roles viewer < operator < admin and what each may do. Every action names the least role that may do it,
 * so a higher role can always do what a lower one can.
 */

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** The least role allowed each action. */
const MINIMUM_ROLE = {
  /** Alerts, certificates, endpoints, domains, CT logs, delivery status, the events catalogue, CSV export. */
  "alerts.read": "viewer",
  /** A user's own API tokens (list, create, revoke); a token never carries more than its user's role. */
  "tokens.own": "viewer",
  /** Acknowledge, snooze, resolve, reopen, with a note. */
  "alerts.triage": "operator",
  /** Create, change and delete managed endpoints (configured ones stay read-only). */
  "endpoints.manage": "operator",
  "scan.now": "operator",
  /** Send a test notification to a delivery target. */
  "delivery.test": "operator",
  /** Users, their roles, passwords and anyone's API tokens. */
  "users.manage": "admin",
  /** Names, addresses and every change: admins only. */
  "audit.read": "admin",
} as const satisfies Record<string, Role>;

export type Action = keyof typeof MINIMUM_ROLE;
export const ACTIONS = Object.keys(MINIMUM_ROLE) as readonly Action[];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** -1 for anything that is not a role (so an unknown role can do nothing). */
function rank(role: string): number {
  return (ROLES as readonly string[]).indexOf(role);
}

/** Whether `role` is `minimum` or above it. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return rank(role) >= rank(minimum);
}

/** May a user (or token) with this role do this action? False for anything unknown, never a throw. */
export function can(role: string, action: string): boolean {
  // hasOwn first: "toString" or "__proto__" must not reach the table through the prototype.
  if (!Object.hasOwn(MINIMUM_ROLE, action) || !isRole(role)) return false;
  return rank(role) >= rank(MINIMUM_ROLE[action as Action]);
}

/** The least role for an action (for docs and error messages: "needs operator"). */
export function minimumRole(action: Action): Role {
  return MINIMUM_ROLE[action];
}
