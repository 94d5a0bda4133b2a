/**
 * @module store/ct-store
 * The CT half of KyselyStore: log states, the batch transaction (certificates, inventory, roots, entry
 * errors, alerts and the new position together), and the lookups the CT checks need.
 */
import type { Kysely, Selectable, Transaction } from "kysely";
import { rfc3339 } from "../domain/alert.js";
import type { AlertChange } from "../alerts/reconcile.js";
import type { StoreDialect } from "./dialect.js";
import { chunksFor } from "./dialect.js";
import type { DeliveryRoute } from "../notify/routing.js";
import { insertCertificates, reconcileScope } from "./record-run.js";
import { assertLeaseHeld } from "./lease-store.js";
import { certificateFromRow, normalizeName, SUMMARY_COLUMNS, toBuffer, toBytes } from "./rows.js";
import type { CtLogsTable, Database } from "./schema.js";
import type { InventoryCertificate } from "./store.js";
import type { CtBatchRecord, CtLogState, LogListCacheEntry } from "./ct-records.js";
import { CT_ENTRIES_SCOPE, ctLogScope } from "./ct-records.js";

type Db = Kysely<Database>;
type Trx = Transaction<Database>;

function stateFromRow(r: Selectable<CtLogsTable>): CtLogState {
  const nullableNumber = (v: number | null): number | null => (v === null ? null : Number(v));
  return {
    logId: r.log_id,
    url: r.url,
    protocol: r.protocol === "static-ct" ? "static-ct" : "rfc6962",
    position: Number(r.position),
    frontier: JSON.parse(r.frontier) as CtLogState["frontier"],
    verified: {
      size: Number(r.verified_size),
      rootHash: r.verified_root,
      timestamp: Number(r.verified_timestamp),
    },
    verifiedFrontier: JSON.parse(r.verified_frontier) as CtLogState["verifiedFrontier"],
    backfillUntil: Number(r.backfill_until),
    headSize: Number(r.head_size),
    headTimestamp: nullableNumber(r.head_timestamp),
    lastEntryTimestamp: nullableNumber(r.last_entry_timestamp),
    lastError: r.last_error,
    updatedAt: r.updated_at,
  };
}

function stateRow(s: CtLogState): CtLogsTable {
  return {
    log_id: s.logId,
    url: s.url,
    protocol: s.protocol,
    position: s.position,
    frontier: JSON.stringify(s.frontier),
    verified_size: s.verified.size,
    verified_root: s.verified.rootHash,
    verified_timestamp: s.verified.timestamp,
    verified_frontier: JSON.stringify(s.verifiedFrontier),
    backfill_until: s.backfillUntil,
    head_size: s.headSize,
    head_timestamp: s.headTimestamp,
    last_entry_timestamp: s.lastEntryTimestamp,
    last_error: s.lastError,
    updated_at: s.updatedAt,
  };
}

export async function getCtLogState(db: Db, logId: string): Promise<CtLogState | undefined> {
  const row = await db.selectFrom("ct_logs").selectAll().where("log_id", "=", logId).executeTakeFirst();
  return row === undefined ? undefined : stateFromRow(row);
}

export async function listCtLogStates(db: Db): Promise<CtLogState[]> {
  const rows = await db.selectFrom("ct_logs").selectAll().orderBy("log_id").execute();
  return rows.map(stateFromRow);
}

export async function writeCtBatch(
  trx: Trx,
  d: StoreDialect,
  b: CtBatchRecord,
  routes: readonly DeliveryRoute[] = [],
): Promise<AlertChange[]> {
  const now = rfc3339(b.now);
  if (b.fence !== undefined) await assertLeaseHeld(trx, d, b.fence.lease, b.fence.holder);
  await d.lockKeys(trx, [`ct-log:${b.state.logId}`]);
  await insertCertificates(trx, d, b.certificates, now);

  // Sorted by key, as every insert of rows other batches may insert too: two workers' batches sharing rows then
  // wait for each other in one order, never in a cycle (PostgreSQL).
  const inventory = [...new Map(b.inventory.map((i) => [i.identity, i])).values()].sort((x, y) =>
    compareText(x.identity, y.identity),
  );
  const roots = [...b.roots].sort(
    (x, y) => compareText(x.domain, y.domain) || compareText(x.rootSpkiSha256, y.rootSpkiSha256),
  );
  for (const chunk of chunksFor(d, inventory, 11)) {
    await trx
      .insertInto("ct_inventory")
      .values(
        chunk.map((i) => ({
          identity: i.identity,
          sha256: i.sha256,
          log_id: i.logId,
          entry_index: i.index,
          entry_type: i.entryType,
          logged_at: i.loggedAt,
          issuer_key_sha256: i.issuerKeySha256,
          root_spki_sha256: i.rootSpkiSha256,
          root_subject: i.rootSubject,
          domains: JSON.stringify(i.domains),
          first_seen: now,
        })),
      )
      .onConflict((oc) => oc.column("identity").doNothing())
      .execute();
  }
  for (const chunk of chunksFor(d, roots, 4)) {
    await trx
      .insertInto("ct_roots")
      .values(
        chunk.map((r) => ({
          domain: r.domain,
          root_spki_sha256: r.rootSpkiSha256,
          root_subject: r.rootSubject,
          first_seen: now,
        })),
      )
      .onConflict((oc) => oc.columns(["domain", "root_spki_sha256"]).doNothing())
      .execute();
  }
  // One row per index: PostgreSQL's upsert refuses to update one row twice in a statement.
  const entryErrors = [...new Map(b.entryErrors.map((e) => [e.index, e])).values()];
  for (const chunk of chunksFor(d, entryErrors, 4)) {
    await trx
      .insertInto("ct_entry_errors")
      .values(
        chunk.map((e) => ({ log_id: b.state.logId, entry_index: e.index, error: e.error, seen_at: now })),
      )
      .onConflict((oc) =>
        oc.columns(["log_id", "entry_index"]).doUpdateSet((eb) => ({ error: eb.ref("excluded.error") })),
      )
      .execute();
  }

  const changes = await reconcileScope(
    trx,
    d,
    { scope: CT_ENTRIES_SCOPE, now: b.now, findings: b.findings, additive: true },
    routes,
  );
  if (b.logFindings !== undefined) {
    changes.push(
      ...(await reconcileScope(
        trx,
        d,
        { scope: ctLogScope(b.state.logId), now: b.now, findings: b.logFindings, additive: false },
        routes,
      )),
    );
  }

  const { log_id: _id, ...update } = stateRow(b.state);
  await trx
    .insertInto("ct_logs")
    .values(stateRow(b.state))
    .onConflict((oc) => oc.column("log_id").doUpdateSet(update))
    .execute();
  return changes;
}

export async function knownCtIdentities(
  db: Db,
  d: StoreDialect,
  ids: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const chunk of chunksFor(d, [...new Set(ids)], 1)) {
    const rows = await db
      .selectFrom("ct_inventory")
      .select("identity")
      .where("identity", "in", chunk)
      .execute();
    for (const r of rows) out.add(r.identity);
  }
  return out;
}

/** Names carried by a stored certificate (served or logged) or scanned as an endpoint host. */
export async function knownNames(db: Db, d: StoreDialect, names: readonly string[]): Promise<Set<string>> {
  const wanted = [...new Set(names.map(normalizeName))];
  const out = new Set<string>();
  for (const chunk of chunksFor(d, wanted, 1)) {
    const fromCerts = await db
      .selectFrom("certificate_names")
      .select("name")
      .distinct()
      .where("name", "in", chunk)
      .execute();
    for (const r of fromCerts) out.add(r.name);
    const fromHosts = await db
      .selectFrom("endpoints")
      .select("host")
      .distinct()
      .where("host", "in", chunk)
      .execute();
    for (const r of fromHosts) out.add(normalizeName(r.host));
  }
  return out;
}

export async function rootBaseline(
  db: Db,
  d: StoreDialect,
  domains: readonly string[],
): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const chunk of chunksFor(d, [...new Set(domains)], 1)) {
    const rows = await db
      .selectFrom("ct_roots")
      .select(["domain", "root_spki_sha256"])
      .where("domain", "in", chunk)
      .execute();
    for (const r of rows) {
      const set = out.get(r.domain) ?? new Set<string>();
      set.add(r.root_spki_sha256);
      out.set(r.domain, set);
    }
  }
  return out;
}

/**
 * Every stored certificate naming one of these domains or a name under it. One pass over the name index
 * (a suffix walk per name against a set), whatever the number of watched domains.
 */
/** A test "is this name (or wildcard) one of these domains or below one": a suffix walk against a set. */
function underAny(domains: readonly string[]): (name: string) => boolean {
  const watched = new Set(domains.map(normalizeName));
  return (name) => {
    for (let n = name.startsWith("*.") ? name.slice(2) : name; n !== "";) {
      if (watched.has(n)) return true;
      const dot = n.indexOf(".");
      n = dot < 0 ? "" : n.slice(dot + 1);
    }
    return false;
  };
}

/** Every host name known under these domains: certificate names (wildcards without `*.`) and scanned hosts. */
export async function namesUnder(db: Db, domains: readonly string[]): Promise<string[]> {
  const under = underAny(domains);
  const out = new Set<string>();
  for (const r of await db.selectFrom("certificate_names").select("name").distinct().execute()) {
    if (under(r.name)) out.add(r.name.startsWith("*.") ? r.name.slice(2) : r.name);
  }
  for (const r of await db.selectFrom("endpoints").select("host").distinct().execute()) {
    const host = normalizeName(r.host);
    if (under(host)) out.add(host);
  }
  return [...out].sort();
}

export async function certificatesUnder(
  db: Db,
  d: StoreDialect,
  domains: readonly string[],
): Promise<InventoryCertificate[]> {
  const under = underAny(domains);
  const shas = new Set<string>();
  for (const r of await db.selectFrom("certificate_names").select(["sha256", "name"]).execute()) {
    if (under(r.name)) shas.add(r.sha256);
  }
  const out: InventoryCertificate[] = [];
  for (const chunk of chunksFor(d, [...shas].sort(), 1)) {
    const rows = await db
      .selectFrom("certificates")
      .select([...SUMMARY_COLUMNS, "identity", "precertificate"])
      .where("sha256", "in", chunk)
      .execute();
    for (const r of rows) {
      out.push({
        summary: certificateFromRow(r),
        identity: r.identity,
        precertificate: Number(r.precertificate) === 1,
      });
    }
  }
  return out;
}

export async function getLogListCache(db: Db, url: string): Promise<LogListCacheEntry | undefined> {
  const r = await db.selectFrom("ct_log_list_cache").selectAll().where("url", "=", url).executeTakeFirst();
  if (r === undefined) return undefined;
  return {
    url: r.url,
    json: toBytes(r.json),
    signature: r.signature === null ? null : toBytes(r.signature),
    fetchedAt: r.fetched_at,
  };
}

export async function putLogListCache(db: Db, e: LogListCacheEntry): Promise<void> {
  const row = {
    url: e.url,
    json: toBuffer(e.json),
    signature: e.signature === null ? null : toBuffer(e.signature),
    fetched_at: e.fetchedAt,
  };
  const { url: _url, ...update } = row;
  await db
    .insertInto("ct_log_list_cache")
    .values(row)
    .onConflict((oc) => oc.column("url").doUpdateSet(update))
    .execute();
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
