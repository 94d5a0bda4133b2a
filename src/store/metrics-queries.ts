/**
 * @module store/metrics-queries
 * What `/metrics` reads at each scrape (`store.metrics`): the certificates endpoints serve now, open alerts per
 * event and severity, CT log positions, undelivered notifications per target. Each is one indexed query or a
 * small table read, so a scrape every few seconds costs little; the collector caps how much it asks for.
 */
import type { Kysely } from "kysely";
import { rfc3339 } from "../domain/alert.js";
import type { StoreDialect } from "./dialect.js";
import { chunksFor } from "./dialect.js";
import type { Database } from "./schema.js";

/** An endpoint's latest observation, when it served a certificate chain. */
export interface ServedEndpoint {
  readonly host: string;
  readonly port: number;
  /** The address probed; null when the target's name did not resolve (never, for a served chain). */
  readonly address: string | null;
  readonly observedAt: string;
  /** SHA-256 of each certificate as sent, leaf first. */
  readonly chain: readonly string[];
}

/** A stored certificate's dates and names, as the scan recorded them. */
export interface CertificateDates {
  readonly sha256: string;
  /** Hex, as stored. */
  readonly serialNumber: string;
  readonly subject: string;
  readonly issuer: string;
  /** RFC 3339 UTC. */
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface OpenAlertCount {
  readonly eventId: number;
  readonly severity: string;
  readonly open: number;
}

export interface CtLogProgress {
  readonly logId: string;
  readonly url: string;
  /** Entries read and committed. */
  readonly position: number;
  /** The newest tree size seen. */
  readonly headSize: number;
  /** The newest head's timestamp, milliseconds since the epoch; null before any head. */
  readonly headTimestamp: number | null;
}

export interface PendingNotifications {
  readonly target: string;
  readonly pending: number;
}

export interface MetricsQueries {
  /**
   * The latest observation of each endpoint seen since `since` whose last outcome was `served`, by host, port
   * and address; at most `limit` (the caller asks for one more than it shows, to know it cut).
   */
  servedEndpoints(since: Date, limit: number): Promise<ServedEndpoint[]>;
  /** The stored certificates among these (unknown hashes are left out). */
  certificateDates(sha256s: readonly string[]): Promise<CertificateDates[]>;
  /** Their DER bytes, for what the summary does not hold (the parts of subject and issuer names). */
  certificateDer(sha256s: readonly string[]): Promise<Map<string, Uint8Array>>;
  openAlertCounts(): Promise<OpenAlertCount[]>;
  ctLogProgress(): Promise<CtLogProgress[]>;
  /** Undelivered notifications per target that has any. */
  outboxPending(): Promise<PendingNotifications[]>;
}

/** A stored chain that is not a list of hashes (edited by hand, say) counts as empty. */
function parseChain(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
  } catch {
    return [];
  }
}

export function metricsQueriesOver(db: Kysely<Database>, d: StoreDialect): MetricsQueries {
  return {
    async servedEndpoints(since, limit) {
      // endpoints.last_seen is the observed_at of the endpoint's latest observation (one run writes both), so
      // the join reads one observation per endpoint through observations_endpoint_time.
      const rows = await db
        .selectFrom("endpoints as e")
        .innerJoin("observations as o", (j) =>
          j
            .onRef("o.host", "=", "e.host")
            .onRef("o.port", "=", "e.port")
            .onRef("o.address", "=", "e.address")
            .onRef("o.observed_at", "=", "e.last_seen"),
        )
        .select(["e.host", "e.port", "e.address", "o.observed_at", "o.chain", "o.id"])
        .where("e.last_outcome", "=", "served")
        .where("o.outcome", "=", "served")
        .where("e.last_seen", ">=", rfc3339(since))
        .orderBy("e.host")
        .orderBy("e.port")
        .orderBy("e.address")
        .orderBy("o.id", "desc")
        .limit(limit)
        .execute();
      const out: ServedEndpoint[] = [];
      let previous = "";
      for (const r of rows) {
        // Two observations of one endpoint in one run: the later one (highest id, first here) counts.
        const key = JSON.stringify([r.host, r.port, r.address]);
        if (key === previous) continue;
        previous = key;
        out.push({
          host: r.host,
          port: Number(r.port),
          address: r.address === "" ? null : r.address,
          observedAt: r.observed_at,
          chain: parseChain(r.chain),
        });
      }
      return out;
    },

    async certificateDates(sha256s) {
      const out: CertificateDates[] = [];
      for (const chunk of chunksFor(d, [...new Set(sha256s)], 1)) {
        const rows = await db
          .selectFrom("certificates")
          .select(["sha256", "serial", "subject", "issuer", "not_before", "not_after"])
          .where("sha256", "in", chunk)
          .execute();
        for (const r of rows) {
          out.push({
            sha256: r.sha256,
            serialNumber: r.serial,
            subject: r.subject,
            issuer: r.issuer,
            notBefore: r.not_before,
            notAfter: r.not_after,
          });
        }
      }
      return out;
    },

    async certificateDer(sha256s) {
      const out = new Map<string, Uint8Array>();
      for (const chunk of chunksFor(d, [...new Set(sha256s)], 1)) {
        const rows = await db
          .selectFrom("certificates")
          .select(["sha256", "der"])
          .where("sha256", "in", chunk)
          .execute();
        for (const r of rows) out.set(r.sha256, new Uint8Array(r.der));
      }
      return out;
    },

    async openAlertCounts() {
      const rows = await db
        .selectFrom("alerts")
        .select((eb) => ["event_id", "severity", eb.fn.countAll<number>().as("n")])
        .where("status", "=", "open")
        .groupBy(["event_id", "severity"])
        .orderBy("event_id")
        .orderBy("severity")
        .execute();
      return rows.map((r) => ({ eventId: Number(r.event_id), severity: r.severity, open: Number(r.n) }));
    },

    async ctLogProgress() {
      const rows = await db
        .selectFrom("ct_logs")
        .select(["log_id", "url", "position", "head_size", "head_timestamp"])
        .orderBy("url")
        .execute();
      return rows.map((r) => ({
        logId: r.log_id,
        url: r.url,
        position: Number(r.position),
        headSize: Number(r.head_size),
        headTimestamp: r.head_timestamp === null ? null : Number(r.head_timestamp),
      }));
    },

    async outboxPending() {
      const rows = await db
        .selectFrom("outbox")
        .select((eb) => ["target", eb.fn.countAll<number>().as("n")])
        .where("delivered_at", "is", null)
        .groupBy("target")
        .orderBy("target")
        .execute();
      return rows.map((r) => ({ target: r.target, pending: Number(r.n) }));
    },
  };
}
