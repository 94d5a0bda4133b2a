/**
 * @module app/ct/logged-entry
 * One CT entry on its way through the pipeline, from either protocol: read its certificate fields, and
 * keep only what names a watched domain. Everything else is hashed into the tree and forgotten.
 */
import type { LookalikeVerdict } from "../../checks/lookalike.js";
import type { WatchedDomains } from "../../domain/watched-domains.js";
import {
  CtEntryError,
  parseMerkleTreeLeaf,
  type TileLeaf,
  type TimestampedEntry,
} from "../../sources/ct/entry.js";
import type { RawEntry } from "../../sources/ct/log-client.js";
import {
  readTbsFields,
  readTbsNames,
  tbsOfEntry,
  type LoggedCertificateFields,
  type LoggedCertificateNames,
} from "../../sources/ct/tbs.js";

/** Where the rest of an entry's chain comes from, fetched only for entries that match. */
export type ChainSource =
  | { readonly kind: "extra-data"; readonly extraData: Buffer }
  | {
      readonly kind: "fingerprints";
      readonly precertificate: Buffer | null;
      readonly fingerprints: Buffer[];
    };

/** Decides whether a name imitates a watched domain (null: it does not). */
export interface LookalikeIndex {
  match(name: string): LookalikeVerdict | null;
}

/** An entry naming at least one watched domain, or a lookalike of one. */
export interface MatchedEntry {
  readonly index: number;
  readonly entry: TimestampedEntry;
  readonly tbs: Buffer;
  readonly fields: LoggedCertificateFields;
  readonly watchedNames: readonly { readonly name: string; readonly domain: string }[];
  /** Names imitating a watched domain (one per lookalike registrable domain). */
  readonly lookalikes: readonly LookalikeVerdict[];
  readonly chain: ChainSource;
}

/** What an entry is matched against. */
export interface EntryMatchers {
  readonly watched: WatchedDomains;
  readonly lookalikes?: LookalikeIndex | undefined;
}

export interface EntryError {
  readonly index: number;
  readonly error: string;
}

export type EntryVerdict = MatchedEntry | EntryError | null;

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Names a certificate is for: SAN dNSNames, or the subject CN when there is no SAN (old certificates). */
function namesOf(f: LoggedCertificateNames): readonly string[] {
  return f.dnsNames.length > 0 ? f.dnsNames : f.commonNames.map((n) => n.toLowerCase());
}

/** A matching entry before its chain source is attached (built for the few entries that match). */
type Hit = Omit<MatchedEntry, "chain">;

function match(index: number, entry: TimestampedEntry, m: EntryMatchers): Hit | EntryError | null {
  let tbs: Buffer;
  let names: LoggedCertificateNames;
  try {
    tbs = tbsOfEntry(entry);
    // Names first (the same checks as the fields, nothing else rendered); the fields only for a match.
    names = readTbsNames(tbs);
  } catch (e) {
    return { index, error: `certificate: ${describe(e)}` };
  }
  let watchedNames: { name: string; domain: string }[] | null = null;
  let lookalikes: LookalikeVerdict[] | null = null;
  for (const raw of namesOf(names)) {
    const domain = m.watched.domainOf(raw);
    if (domain === null) {
      const l = m.lookalikes?.match(raw);
      if (l != null && !(lookalikes ?? []).some((x) => x.lookalike === l.lookalike))
        (lookalikes ??= []).push(l);
      continue;
    }
    const name = raw.toLowerCase().replace(/\.$/, "");
    (watchedNames ??= []).push({ name, domain });
  }
  if (watchedNames === null && lookalikes === null) return null;
  let fields: LoggedCertificateFields;
  try {
    fields = readTbsFields(tbs);
  } catch (e) {
    // (not expected: readTbsNames made the same checks)
    return { index, error: `certificate: ${describe(e)}` };
  }
  return { index, entry, tbs, fields, watchedNames: watchedNames ?? [], lookalikes: lookalikes ?? [] };
}

/** An RFC 6962 entry: the leaf must parse; its extra_data is kept unparsed until the entry matches. */
export function matchRfc6962Entry(raw: RawEntry, m: EntryMatchers): EntryVerdict {
  let entry: TimestampedEntry;
  try {
    entry = parseMerkleTreeLeaf(raw.leafInput);
  } catch (e) {
    return { index: raw.index, error: e instanceof CtEntryError ? e.message : `leaf: ${describe(e)}` };
  }
  const v = match(raw.index, entry, m);
  // extra_data is read (and, from get-entries, decoded) only now, for the few entries that match.
  if (v === null || "error" in v) return v;
  return { ...v, chain: { kind: "extra-data", extraData: raw.extraData } };
}

export function matchTileLeaf(index: number, leaf: TileLeaf, m: EntryMatchers): EntryVerdict {
  const v = match(index, leaf, m);
  if (v === null || "error" in v) return v;
  return {
    ...v,
    chain: {
      kind: "fingerprints",
      precertificate: leaf.precertificate,
      fingerprints: leaf.chainFingerprints,
    },
  };
}

/** The timestamp of a MerkleTreeLeaf (bytes 2–9, milliseconds), or null when the leaf is too short. */
export function leafTimestamp(leafInput: Buffer): number | null {
  if (leafInput.length < 10) return null;
  return leafInput.readUInt32BE(2) * 2 ** 32 + leafInput.readUInt32BE(6);
}

export const isError = (v: EntryVerdict): v is EntryError => v !== null && "error" in v;
