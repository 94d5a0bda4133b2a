/**
 * @module bench/api/fill
 * Fills an SQLite store with N alerts for the API benchmark, through the store's own API (recordRun, one
 * transaction per run of 100 findings; triageAlert): a fixed mix of events, severities, sources and domains over
 * 90 days, about 10 % resolved by a later run, about 5 % of the open ones acknowledged and some snoozed.
 */
import { createHash } from "node:crypto";
import type { AlertDraft } from "../../src/alerts/reconcile.js";
import { draftFromFinding } from "../../src/alerts/reconcile.js";
import type { CertificateSummary } from "../../src/domain/certificate.js";
import type { Finding } from "../../src/domain/finding.js";
import type { EventName } from "../../src/events.js";
import type { Store } from "../../src/store/store.js";

/** Findings per recordRun (one scope, one transaction). */
export const PER_RUN = 100;
/** Organisations' domains the subjects fall under: corp0.example … corp249.example. */
export const DOMAINS = 250;
const DAY_MS = 86_400_000;

/** Events per 1,000 alerts: CT discoveries and missing HSTS dominate, as in a real estate. */
const MIX: readonly [EventName, number][] = [
  ["new-subdomain", 293],
  ["hsts-missing", 200],
  ["endpoint-unreachable", 80],
  ["legacy-tls-protocol", 80],
  ["similar-domain", 60],
  ["installed-certificate-expiring", 60],
  ["wildcard-certificate", 50],
  ["hsts-weak", 40],
  ["name-mismatch", 20],
  ["invalid-chain", 20],
  ["self-signed", 15],
  ["caa-mismatch", 10],
  ["different-root", 10],
  ["domain-takeover", 10],
  ["ocsp-unreachable", 10],
  ["invalid-certificate", 7],
  ["weak-key", 5],
  ["sha1-signature", 5],
  ["crl-unreachable", 5],
  ["no-certificate", 5],
  ["renewal-not-installed", 5],
  ["certificate-expiring-not-renewed", 5],
  ["revoked", 3],
  ["certificate-chain-too-large", 2],
];
const TABLE: EventName[] = MIX.flatMap(([name, n]) => Array<EventName>(n).fill(name));
/** As a configuration's `severity:` block would: wildcard certificates are only worth knowing about. */
const OVERRIDES = { "wildcard-certificate": "info" } as const;

const CT_EVENTS = new Set<EventName>(["new-subdomain", "similar-domain", "caa-mismatch", "different-root"]);

function certificateOf(host: string, g: number): CertificateSummary {
  const sha256 = createHash("sha256").update(`bench-cert:${g}`).digest("hex");
  return {
    sha256,
    serialNumber: sha256.slice(0, 32),
    subject: `CN=${host}`,
    issuer: g % 3 === 0 ? "CN=R11,O=Let's Encrypt,C=US" : "CN=Contoso Issuing CA 02,O=Contoso,C=US",
    dnsNames: [host, `www.${host}`],
    ipAddresses: [],
    notBefore: new Date(Date.UTC(2026, 0, 1) + (g % 300) * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z"),
    notAfter: new Date(Date.UTC(2026, 3, 1) + (g % 300) * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}

/** Alert g (0..N-1): its event follows the mix, its subject a host under one of the domains. */
export function findingOf(g: number): AlertDraft {
  const event = TABLE[(g * 7919) % TABLE.length] ?? "hsts-missing";
  const domain = `corp${(g * 31) % DOMAINS}.example`;
  const host = `h${g}.${["www", "api", "mail", "vpn", "shop"][g % 5]}.${domain}`;
  const address = `203.0.${(g >> 8) & 255}.${g & 255}`;
  let f: Finding;
  if (event === "similar-domain") {
    const lookalike = `${domain.replace("corp", "c0rp").replace(".example", "")}-${g}.example`;
    f = {
      event,
      key: lookalike,
      subject: lookalike,
      endpoint: null,
      certificate: null,
      details: { log: "Argon2026h1" },
    };
  } else if (CT_EVENTS.has(event)) {
    f = {
      event,
      key: host,
      subject: host,
      endpoint: null,
      certificate: event === "new-subdomain" ? null : certificateOf(host, g),
      details: { log: g % 2 === 0 ? "Argon2026h1" : "Xenon2026h1", issuer: "R11" },
    };
  } else if (event === "domain-takeover") {
    f = {
      event,
      key: host,
      subject: host,
      endpoint: null,
      certificate: null,
      details: { cname: `${host.split(".")[0]}-app.azurewebsites.net`, provider: "Azure App Service" },
    };
  } else {
    const endpoint = { host, port: g % 10 === 0 ? 8443 : 443, address };
    const certificate = ["endpoint-unreachable", "no-certificate", "hsts-missing", "hsts-weak"].includes(
      event,
    )
      ? null
      : certificateOf(host, g);
    const details =
      event === "endpoint-unreachable"
        ? { error: `connect ECONNREFUSED ${address}:${endpoint.port}` }
        : event === "hsts-weak"
          ? { header: "max-age=300" }
          : { status: 200 };
    f = { event, key: `${host}:${endpoint.port}@${address}`, subject: host, endpoint, certificate, details };
  }
  return draftFromFinding(f, OVERRIDES);
}

export interface FillReport {
  readonly alerts: number;
  readonly resolved: number;
  readonly acknowledged: number;
  readonly snoozed: number;
  readonly seconds: number;
}

/**
 * N alerts over 90 days ending at `end`: run r (of N / 100) records findings r*100 .. r*100+99 in scope
 * `bench:r`; every 5th run is recorded again an hour later with half its findings (the other half resolves).
 */
export async function fill(
  store: Store,
  n: number,
  end: Date,
  progress: (m: string) => void,
): Promise<FillReport> {
  const started = performance.now();
  const runs = Math.ceil(n / PER_RUN);
  const start = end.getTime() - 90 * DAY_MS;
  const stepMs = (90 * DAY_MS) / runs;
  const system = { actor: { kind: "system" as const }, ip: null };
  let resolved = 0;
  for (let r = 0; r < runs; r++) {
    const now = new Date(start + r * stepMs);
    const findings: AlertDraft[] = [];
    for (let g = r * PER_RUN; g < Math.min(n, (r + 1) * PER_RUN); g++) findings.push(findingOf(g));
    await store.recordRun({ scope: `bench:${r}`, now, certificates: [], observations: [], findings });
    if (r % 5 === 0) {
      const kept = findings.slice(0, Math.floor(findings.length / 2));
      const changes = await store.recordRun({
        scope: `bench:${r}`,
        now: new Date(now.getTime() + 3_600_000),
        certificates: [],
        observations: [],
        findings: kept,
      });
      resolved += changes.filter((c) => c.kind === "resolved").length;
    }
    if (r % 100 === 99) progress(`  ${(r + 1) * PER_RUN} alerts recorded`);
  }
  // Triage by hand: every 20th alert acknowledged, every 97th snoozed for a week (when open).
  let acknowledged = 0;
  let snoozed = 0;
  for (let g = 0; g < n; g += 1) {
    const ack = g % 20 === 3;
    const snooze = g % 97 === 5;
    if (!ack && !snooze) continue;
    const id = findingOf(g).id;
    const at = new Date(end.getTime() - (n - g) * 1000);
    try {
      if (ack) {
        await store.triage.triageAlert(
          id,
          { action: "acknowledge", note: "on it (OPS-1234)" },
          { ...system, at },
        );
        acknowledged++;
      } else {
        const until = new Date(end.getTime() + 7 * DAY_MS);
        await store.triage.triageAlert(
          id,
          { action: "snooze", note: "change window", until },
          { ...system, at },
        );
        snoozed++;
      }
    } catch {
      // resolved by the second run: nothing to triage
    }
  }
  return { alerts: n, resolved, acknowledged, snoozed, seconds: (performance.now() - started) / 1000 };
}
