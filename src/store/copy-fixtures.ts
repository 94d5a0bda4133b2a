/**
 * @module store/copy-fixtures
 * A store filled through its own API with every kind of row certwatch keeps (for the tests of certwatch migrate):
 * alerts of several events with history and triage, certificates, observations, CT state, outbox rows pending,
 * delivered, failed, leased and pruned, users, tokens, a session, audit, schedule, managed endpoints, caches.
 */
import { randomBytes } from "node:crypto";
import { hashPassword } from "../auth/password.js";
import { newSession } from "../auth/session.js";
import { generateApiToken } from "../auth/tokens.js";
import type { DeliveryRoute } from "../notify/routing.js";
import type { AuditContext } from "./auth-records.js";
import { at, certificate, draft, endpoint, iso, observation, run, T0 } from "./contract-fixtures.js";
import type { CtLogState } from "./ct-records.js";
import type { Store } from "./store.js";

export const ROUTES: readonly DeliveryRoute[] = [
  { target: "siem", minSeverity: "info", resolved: true },
  { target: "mail", minSeverity: "info", resolved: true },
];

/** Beyond every lease and back-off the fixture sets. */
export const LATER = new Date("2030-01-01T00:00:00Z");

const SCOPE = "tls:www.contoso.com:443";
const LOG = "bG9nLWlk";
const admin = (minutes: number): AuditContext => ({
  actor: { kind: "user", name: "alice" },
  at: at(minutes),
  ip: "192.0.2.7",
});
const SYSTEM = (minutes: number): AuditContext => ({ actor: { kind: "system" }, at: at(minutes), ip: null });

/** What a test needs to know about the filled store besides what it can read. */
export interface Filled {
  /** alice's API token, as shown once at creation. */
  readonly token: string;
  /** The id hash of alice's browser session. */
  readonly sessionIdHash: string;
  /** The notification ids of the pending, the failed and the leased rows (by target), deliverable after a copy. */
  readonly undelivered: ReadonlyMap<string, readonly string[]>;
  /** The highest outbox row id ever handed out (its row was delivered and pruned). */
  readonly prunedOutboxId: number;
}

export function ctState(over: Partial<CtLogState> = {}): CtLogState {
  return {
    logId: LOG,
    url: "https://ct.example/2026/",
    protocol: "rfc6962",
    position: 4_000_000_123,
    frontier: { size: 4_000_000_123, hashes: ["aa".repeat(32), "bb".repeat(32)] },
    verified: { size: 4_000_000_000, rootHash: "cc".repeat(32), timestamp: 1_700_000_000_000 },
    verifiedFrontier: { size: 4_000_000_000, hashes: ["dd".repeat(32)] },
    backfillUntil: 3_999_000_000,
    headSize: 4_000_000_500,
    headTimestamp: 1_700_000_000_500,
    lastEntryTimestamp: 1_700_000_000_400,
    lastError: null,
    updatedAt: "2026-11-25T10:00:00Z",
    ...over,
  };
}

/** Fill `store` (opened with ROUTES) through its API. */
export async function fillStore(store: Store): Promise<Filled> {
  const www = endpoint("www.contoso.com");
  const www6 = endpoint("www.contoso.com", "2001:db8::7");
  const old = certificate("www-old", ["www.contoso.com"]);
  const renewed = certificate("www", ["www.contoso.com", "*.contoso.com"]);
  const hsts = draft("hsts-missing", "www.contoso.com:443", { endpoint: www });
  const expiring = draft("installed-certificate-expiring", `www.contoso.com:443|${old.summary.sha256}`, {
    endpoint: www,
    certificate: old.summary,
    severity: "high",
    details: { daysLeft: 5, note: "a NUL \u0000 and a newline \n in text" },
  });
  const wildcard = draft("wildcard-certificate", `www.contoso.com:443|${renewed.summary.sha256}`, {
    endpoint: www6,
    certificate: renewed.summary,
  });
  // Opened, then resolved by the next run, then reopened: three history entries from the checks.
  await store.recordRun(
    run(SCOPE, T0, [hsts, expiring, wildcard], {
      certificates: [old, renewed],
      observations: [observation(www, old), observation(www6, renewed)],
    }),
  );
  await store.recordRun(run(SCOPE, at(10), [hsts], { observations: [observation(www, renewed)] }));
  await store.recordRun(run(SCOPE, at(20), [hsts, wildcard], { observations: [observation(www6)] }));
  await store.recordRun(run("dns:takeover", at(21), [draft("domain-takeover", "old.contoso.com")]));

  // CT: a batch with inventory, roots, an entry error and an entry alert; a second log's state alone.
  const shop = certificate("shop", ["shop.contoso.com"]);
  await store.recordCtBatch({
    now: at(22),
    state: ctState(),
    certificates: [{ ...shop, identity: "11".repeat(32), precertificate: true }],
    inventory: [
      {
        identity: "11".repeat(32),
        sha256: shop.summary.sha256,
        logId: LOG,
        index: 4_000_000_001,
        entryType: "precert",
        loggedAt: 1_700_000_000_300,
        issuerKeySha256: "22".repeat(32),
        rootSpkiSha256: "33".repeat(32),
        rootSubject: "CN=Root",
        domains: ["contoso.com"],
      },
    ],
    roots: [{ domain: "contoso.com", rootSpkiSha256: "33".repeat(32), rootSubject: "CN=Root" }],
    entryErrors: [{ index: 4_000_000_002, error: "leaf: truncated" }],
    findings: [draft("new-subdomain", "shop.contoso.com", { subject: "shop.contoso.com" })],
  });
  await store.recordCtBatch({
    now: at(23),
    state: ctState({
      logId: "b3RoZXI=",
      url: "https://tiles.example/",
      protocol: "static-ct",
      lastError: "x",
    }),
    certificates: [],
    inventory: [],
    roots: [],
    entryErrors: [],
    findings: [],
  });
  await store.putLogListCache({
    url: "https://www.gstatic.com/ct/log_list/v3/log_list.json",
    json: new Uint8Array(Buffer.from('{"logs":[]}')),
    signature: new Uint8Array(randomBytes(256)),
    fetchedAt: iso(at(22)),
  });
  await store.putCrlCache({
    url: "http://crl.contoso.test/ca.crl",
    der: new Uint8Array(randomBytes(300_000)),
    etag: '"abc"',
    lastModified: null,
    thisUpdate: iso(T0),
    nextUpdate: iso(at(60 * 24)),
    fetchedAt: iso(T0),
  });

  // Users (a local admin, an SSO viewer), a token, a session; every change audited.
  await store.auth.createUser(
    { name: "alice", role: "admin", passwordHash: await hashPassword("pw", { ln: 4, r: 8, p: 1 }) },
    SYSTEM(0),
  );
  await store.auth.createUser(
    {
      name: "bob@contoso.com",
      role: "viewer",
      passwordHash: null,
      oidc: { issuer: "https://idp.contoso.test", subject: "248289761001" },
    },
    admin(1),
  );
  const token = generateApiToken();
  await store.auth.createApiToken(
    {
      id: token.id,
      userName: "alice",
      name: "grafana",
      secretHash: token.secretHash,
      createdAt: at(2),
      expiresAt: null,
    },
    admin(2),
  );
  const revoked = generateApiToken();
  await store.auth.createApiToken(
    {
      id: revoked.id,
      userName: "alice",
      name: "old",
      secretHash: revoked.secretHash,
      createdAt: at(2),
      expiresAt: at(99),
    },
    admin(2),
  );
  await store.auth.revokeApiToken(revoked.id, admin(3));
  const session = newSession(at(3));
  await store.auth.createSession({ ...session, userName: "alice", ip: "192.0.2.7", userAgent: "Firefox" });
  await store.auth.appendAudit(admin(4), {
    action: "session.login",
    target: "alice",
    details: { method: "password" },
  });

  // Triage: acknowledged with a note, snoozed, resolved by hand.
  await store.triage.triageAlert(hsts.id, { action: "acknowledge", note: "ticket CHG-42" }, admin(30));
  await store.triage.triageAlert(
    wildcard.id,
    { action: "snooze", note: "until the window", until: LATER },
    admin(31),
  );
  await store.triage.triageAlert(
    draft("domain-takeover", "old.contoso.com").id,
    { action: "resolve", note: "gone" },
    admin(32),
  );

  // Schedule and managed endpoints.
  await store.schedule.recordScheduleRun({ job: SCOPE, at: iso(at(20)), durationMs: 1234, error: null });
  await store.schedule.recordScheduleRun({
    job: "domains",
    at: iso(at(21)),
    durationMs: 5,
    error: "dns: timeout",
  });
  await store.schedule.putManagedEndpoint(
    {
      host: "api.contoso.com",
      port: 8443,
      addresses: ["192.0.2.10"],
      serverName: "api.contoso.com",
      scanIntervalMinutes: 15,
      origin: "api",
      createdAt: iso(at(5)),
      createdBy: "alice",
    },
    admin(5),
  );
  await store.schedule.addManagedEndpointIfAbsent({
    host: "shop.contoso.com",
    port: 443,
    origin: "ct",
    createdAt: iso(at(22)),
    createdBy: null,
  });

  // Outbox: siem's first two rows delivered and the third failed once; mail's first row leased (until 2030) by a
  // sender that will never come back; the rest claimed by a sender whose lease lapsed at at(52).
  const siem = await store.claimOutbox("siem", 3, at(40), at(41));
  await store.completeOutbox(
    siem.slice(0, 2).map((i) => i.rowId),
    at(40),
  );
  await store.failOutbox(
    siem.slice(2).map((i) => i.rowId),
    "HTTP 503",
    at(45),
    siem[2]?.lease,
  );
  const leased = await store.claimOutbox("mail", 1, at(40), LATER);
  // A last alert whose rows are delivered and pruned: the highest outbox ids are gone from the table.
  await store.recordRun(
    run("tls:api.contoso.com:8443", at(50), [draft("no-certificate", "api.contoso.com:8443")]),
  );
  const claimed = [
    ...(await store.claimOutbox("siem", 100, at(51), at(52))),
    ...(await store.claimOutbox("mail", 100, at(51), at(52))),
  ];
  const last = claimed.filter((i) => i.notification.alert.eventId === 27);
  await store.completeOutbox(
    last.map((i) => i.rowId),
    at(1),
  );
  await store.pruneOutbox(at(2));
  const undelivered = new Map<string, string[]>([
    ["siem", []],
    ["mail", []],
  ]);
  for (const i of [...claimed.filter((i) => i.notification.alert.eventId !== 27), ...leased]) {
    undelivered.get(i.target)?.push(i.notification.id);
  }
  for (const ids of undelivered.values()) ids.sort();
  return {
    token: token.token,
    sessionIdHash: session.idHash,
    undelivered,
    prunedOutboxId: Math.max(...last.map((i) => i.rowId)),
  };
}
