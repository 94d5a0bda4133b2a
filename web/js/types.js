// @ts-check
/**
 * @module web/types
 * The shapes of the REST API's answers the dashboard reads (docs/api.md; the OpenAPI document is the full
 * truth). Types only: `import("./types.js").Alert` in a JSDoc comment.
 */

/** @typedef {"viewer" | "operator" | "admin"} Role */
/** @typedef {"info" | "low" | "medium" | "high" | "critical"} Severity */
/** @typedef {"ct" | "tls" | "dns"} Source */

/**
 * @typedef {object} Session  GET/POST /session
 * @property {{ name: string, role: Role }} user
 * @property {"session" | "token"} via
 * @property {string | null} csrfToken
 * @property {string | null} expiresAt
 */

/**
 * @typedef {object} SignInMethods  GET /session/methods (absent on a server without it: password only)
 * @property {boolean} password
 * @property {{ name: string, loginUrl: string } | null} oidc
 */

/**
 * @typedef {object} CertificateSummary
 * @property {string} sha256
 * @property {string} serialNumber
 * @property {string} subject
 * @property {string} issuer
 * @property {string[]} dnsNames
 * @property {string[]} ipAddresses
 * @property {string} notBefore
 * @property {string} notAfter
 */

/**
 * @typedef {object} Triage
 * @property {string | null} acknowledgedAt
 * @property {string | null} acknowledgedBy
 * @property {string | null} snoozedUntil
 * @property {string | null} snoozedBy
 * @property {string | null} resolvedBy
 * @property {string | null} note
 */

/**
 * @typedef {object} Alert
 * @property {string} id
 * @property {number} eventId
 * @property {string} name
 * @property {Severity} severity
 * @property {Source} source
 * @property {string} summary
 * @property {string} remediation
 * @property {string} subject
 * @property {string} key
 * @property {{ host: string, port: number, address: string | null } | null} endpoint
 * @property {CertificateSummary | null} certificate
 * @property {Record<string, unknown>} details
 * @property {"open" | "resolved"} status
 * @property {string} firstSeen
 * @property {string} lastSeen
 * @property {string | null} resolvedAt
 * @property {Triage} triage
 */

/**
 * @typedef {object} HistoryEntry
 * @property {string} at
 * @property {"opened" | "reopened" | "resolved" | "acknowledged" | "snoozed"} kind
 * @property {string | null} actor
 * @property {"check" | "user" | "token" | "system"} actorKind
 * @property {string | null} scope
 * @property {string | null} note
 * @property {string | null} until
 */

/** @typedef {Alert & { history: HistoryEntry[] }} AlertDetail */

/**
 * @template T
 * @typedef {{ items: T[], nextCursor: string | null }} Page
 */

/**
 * @typedef {object} EventInfo  GET /events
 * @property {number} id
 * @property {string} name
 * @property {Source} source
 * @property {Severity} severity
 * @property {string} summary
 */

/**
 * @typedef {object} InventoryCertificate  GET /certificates
 * @property {string} sha256
 * @property {string} subject
 * @property {string} issuer
 * @property {string[]} dnsNames
 * @property {string} notBefore
 * @property {string} notAfter
 * @property {string} firstSeen
 * @property {boolean} logged
 * @property {boolean} precertificate
 */

/**
 * @typedef {object} AlertSummary  GET /summary
 * @property {{ total: number, bySeverity: Record<Severity, number>, bySource: Record<Source, number>,
 *   byEvent: { eventId: number, name: string, source: Source, severity: Severity, open: number }[] }} openAlerts
 */

/**
 * @typedef {object} AuditEntry  GET /audit
 * @property {number} id
 * @property {string} at
 * @property {string} actor
 * @property {"user" | "token" | "system"} actorKind
 * @property {string | null} ip
 * @property {string} action
 * @property {string | null} target
 * @property {Record<string, string | number | boolean | null | string[]>} details
 */

/**
 * @typedef {object} ManagedSettings  a managed endpoint's settings (GET /endpoints `managed`)
 * @property {string[] | null} addresses
 * @property {string | null} serverName
 * @property {number | null} scanIntervalMinutes
 * @property {"api" | "ct"} addedVia
 * @property {string} addedAt
 * @property {string | null} addedBy
 */

/**
 * @typedef {object} EndpointStatus  GET /endpoints
 * @property {string} target
 * @property {string} host
 * @property {number} port
 * @property {"config" | "managed"} origin
 * @property {number} intervalMinutes
 * @property {string | null} lastRunAt
 * @property {string | null} nextRunAt
 * @property {boolean} running
 * @property {ManagedSettings | null} managed
 */

/**
 * @typedef {object} CtLogStatus  GET /ct/logs
 * @property {string} logId
 * @property {string} url
 * @property {"rfc6962" | "static-ct"} protocol
 * @property {number} position
 * @property {number} headSize
 * @property {number} lag
 * @property {number} verifiedSize
 * @property {string | null} headTime
 * @property {string | null} lastEntryTime
 * @property {string | null} lastError
 * @property {string} updatedAt
 */

/**
 * @typedef {object} DeliveryTargetStatus  GET /delivery
 * @property {string} target
 * @property {number} pending
 * @property {number} delivered
 * @property {string | null} oldestPending
 * @property {string | null} nextAttemptAt
 * @property {number} maxAttempts
 * @property {string | null} lastError
 */

/**
 * @typedef {object} User  GET /users
 * @property {string} name
 * @property {Role} role
 * @property {boolean} hasPassword
 * @property {{ issuer: string, subject: string } | null} oidc
 * @property {boolean} ssoPending  an invited user: no password, no identity yet
 * @property {string} createdAt
 * @property {boolean} disabled
 */

/**
 * @typedef {object} ApiToken  GET /tokens (never a secret)
 * @property {string} id
 * @property {string} userName
 * @property {string} name
 * @property {string} createdAt
 * @property {string | null} lastUsedAt
 * @property {string | null} expiresAt
 * @property {string | null} revokedAt
 */

export {};
