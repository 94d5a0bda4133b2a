/**
 * @module store/ct-records
 * What the CT monitor keeps in the store: each log's verified position and tree state, the certificate
 * inventory of watched names, the roots seen per watched domain, unparseable entries, and the log list.
 */
import type { FrontierJson } from "../sources/ct/merkle.js";
import type { AlertDraft } from "../alerts/reconcile.js";
import type { CertificateRecord } from "./store.js";

/** A signed tree head we verified: its size, root and timestamp. */
export interface VerifiedHead {
  readonly size: number;
  /** Hex. */
  readonly rootHash: string;
  /** Milliseconds since the epoch, as the log signed it. */
  readonly timestamp: number;
}

/** Where the monitor stands in one log. */
export interface CtLogState {
  /** Base64 SHA-256 of the log's key (the RFC 6962 LogID). */
  readonly logId: string;
  readonly url: string;
  readonly protocol: "rfc6962" | "static-ct";
  /** Entries [0, position) are processed; `frontier` is the compact range of exactly those leaves. */
  readonly position: number;
  readonly frontier: FrontierJson;
  /**
   * The last tree head our own leaves reproduced (or that a proof tied to them), and its compact range.
   * Entries past it are processed but not yet proven: a mismatch at the next head rolls back to here.
   */
  readonly verified: VerifiedHead;
  readonly verifiedFrontier: FrontierJson;
  /** Entries below this index were history when the log was first followed: recorded, never alerted. */
  readonly backfillUntil: number;
  /** The newest head seen, verified or not (for lag). */
  readonly headSize: number;
  readonly headTimestamp: number | null;
  /** Timestamp (ms) of the newest processed entry. */
  readonly lastEntryTimestamp: number | null;
  /** Why the last attempt stopped early (unreachable, misbehaving), or null. */
  readonly lastError: string | null;
  /** RFC 3339 UTC. */
  readonly updatedAt: string;
}

/** One certificate of the inventory: a logged certificate naming a watched domain. */
export interface CtInventoryRecord {
  /** SHA-256 of the TBS without poison and SCT extensions: a precertificate and its certificate share it. */
  readonly identity: string;
  /** SHA-256 of the DER first logged (the precertificate, usually). */
  readonly sha256: string;
  readonly logId: string;
  readonly index: number;
  readonly entryType: "x509" | "precert";
  /** Entry timestamp (ms). */
  readonly loggedAt: number;
  /** Hex SHA-256 of the issuing CA's SubjectPublicKeyInfo, when known. */
  readonly issuerKeySha256: string | null;
  readonly rootSpkiSha256: string | null;
  readonly rootSubject: string | null;
  /** The watched domains it names. */
  readonly domains: readonly string[];
}

/** A root seen chaining a certificate for a watched domain. */
export interface CtRootRecord {
  readonly domain: string;
  readonly rootSpkiSha256: string;
  readonly rootSubject: string;
}

export interface CtEntryError {
  readonly index: number;
  readonly error: string;
}

/** One batch of one log, written in one transaction with the alerts it raised and the position reached. */
export interface CtBatchRecord {
  readonly now: Date;
  readonly state: CtLogState;
  /** Certificates naming watched domains (precertificates included), for the inventory and event 19. */
  readonly certificates: readonly CertificateRecord[];
  readonly inventory: readonly CtInventoryRecord[];
  readonly roots: readonly CtRootRecord[];
  readonly entryErrors: readonly CtEntryError[];
  /** Alerts raised by entries: opened or touched, never resolved by a later batch (scope `ct:entries`). */
  readonly findings: readonly AlertDraft[];
  /**
   * The log's own health (event 102) in scope `ct:log:<logId>`: the full set that holds now (an empty list
   * resolves an open 102). Omitted: the batch does not judge the log.
   */
  readonly logFindings?: readonly AlertDraft[];
  /**
   * Written only while this lease is still `holder`'s (checked in the transaction, lease-store.ts): a worker that
   * lost the log's lease cannot commit over its successor's progress. Omitted: one process reads the log.
   */
  readonly fence?: { readonly lease: string; readonly holder: string };
}

/** A cached copy of a signed log list. */
export interface LogListCacheEntry {
  readonly url: string;
  readonly json: Uint8Array;
  readonly signature: Uint8Array | null;
  readonly fetchedAt: string;
}

/** The scope that holds entry alerts: they stay open until someone resolves them. */
export const CT_ENTRIES_SCOPE = "ct:entries";
/** The scope of a log's health alert. */
export const ctLogScope = (logId: string): string => `ct:log:${logId}`;
/** The scope of event 99 for the newest certificates of watched names. */
export const CT_EXPIRY_SCOPE = "ct:expiry";
