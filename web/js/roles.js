// @ts-check
/**
 * @module web/roles
 * What each role may do, as src/auth/roles.ts says (a test keeps the two in step), so that pages hide what the
 * user may not do. Only a convenience: the API checks every call itself.
 */

/** @typedef {import("./types.js").Role} Role */

export const ROLES = /** @type {const} */ (["viewer", "operator", "admin"]);

/** The least role allowed each action. */
export const MINIMUM_ROLE = Object.freeze({
  "alerts.read": "viewer",
  "tokens.own": "viewer",
  "alerts.triage": "operator",
  "endpoints.manage": "operator",
  "scan.now": "operator",
  "delivery.test": "operator",
  "users.manage": "admin",
  "audit.read": "admin",
});

/** @typedef {keyof typeof MINIMUM_ROLE} Action */

/**
 * May this role do this action? False for anything unknown.
 * @param {string} role
 * @param {string} action
 */
export function can(role, action) {
  if (!Object.hasOwn(MINIMUM_ROLE, action)) return false;
  const least = MINIMUM_ROLE[/** @type {Action} */ (action)];
  const rank = ROLES.indexOf(/** @type {Role} */ (role));
  return rank >= 0 && rank >= ROLES.indexOf(least);
}
