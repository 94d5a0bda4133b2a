/**
 * @module store/lease-store
 * Leases on the work several worker processes share (work_leases, migration 009): a CT log, the run of one scan
 * target, the planner. A lease is taken when it is free, expired or already the taker's, renewed by its holder's
 * heartbeat, and taken over by anyone once its holder stops renewing. Times are the database's clock, so workers on
 * machines whose clocks disagree still agree on who holds what.
 *
 * `assertLeaseHeld` is the fence: called inside a write transaction, it locks the lease row (PostgreSQL) and refuses
 * the write unless the row still names the holder, so a worker that lost its lease (paused past it, cut off) cannot
 * commit over its successor's progress; a takeover waits for that transaction and then sees what it wrote.
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from "kysely";
import type { StoreDialect } from "./dialect.js";
import type { Database } from "./schema.js";

type Db = Kysely<Database>;

/** A lease as stored. */
export interface LeaseRecord {
  readonly name: string;
  readonly holder: string;
  /** Milliseconds since the epoch (the database's clock). */
  readonly expiresAt: number;
}

export interface LeaseStore {
  /**
   * Take `name` for `holder` until `ttlMs` from now: when nobody holds it, its holder let it expire, or `holder`
   * holds it already (then it is renewed). True when `holder` holds it afterwards.
   */
  take(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extend the lease `holder` holds; false when it is no longer theirs (taken over, or released). */
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Give it up (nothing happens when `holder` no longer holds it). */
  release(name: string, holder: string): Promise<void>;
  /** Every lease not expired now, by name. */
  listHeld(): Promise<LeaseRecord[]>;
}

/** A write was fenced off: the lease it depends on is no longer the writer's. */
export class LeaseLostError extends Error {
  constructor(readonly lease: string) {
    super(`the lease ${lease} is no longer held by this worker (another took it over); nothing was written`);
    this.name = "LeaseLostError";
  }
}

/** The database's clock in milliseconds since the epoch, as each engine says it. */
function nowMs(d: StoreDialect): RawBuilder<number> {
  return d.name === "postgres"
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
}

export function leaseStoreOver(db: Db, d: StoreDialect): LeaseStore {
  const ttl = (ms: number) => Math.max(1, Math.round(ms));
  return {
    async take(name, holder, ttlMs) {
      const now = nowMs(d);
      const row = await db
        .insertInto("work_leases")
        .values({ name, holder, expires_at: sql<number>`${now} + ${ttl(ttlMs)}`, taken_at: now })
        .onConflict((oc) =>
          oc
            .column("name")
            .doUpdateSet({
              holder: (eb) => eb.ref("excluded.holder"),
              expires_at: (eb) => eb.ref("excluded.expires_at"),
              // A renewal by the taker keeps when it was taken.
              taken_at: sql<number>`case when work_leases.holder = excluded.holder then work_leases.taken_at else excluded.taken_at end`,
            })
            .where((eb) =>
              eb.or([eb("work_leases.holder", "=", holder), eb("work_leases.expires_at", "<=", now)]),
            ),
        )
        .returning("holder")
        .executeTakeFirst();
      return row?.holder === holder;
    },

    async renew(name, holder, ttlMs) {
      const r = await db
        .updateTable("work_leases")
        .set({ expires_at: sql<number>`${nowMs(d)} + ${ttl(ttlMs)}` })
        .where("name", "=", name)
        .where("holder", "=", holder)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async release(name, holder) {
      await db.deleteFrom("work_leases").where("name", "=", name).where("holder", "=", holder).execute();
    },

    async listHeld() {
      const rows = await db
        .selectFrom("work_leases")
        .select(["name", "holder", "expires_at"])
        .where("expires_at", ">", nowMs(d))
        .orderBy("name")
        .execute();
      return rows.map((r) => ({ name: r.name, holder: r.holder, expiresAt: Number(r.expires_at) }));
    },
  };
}

/**
 * Inside a write transaction: go on only while `holder` holds `name` (expired or not: nobody took it over, and a
 * takeover now waits for this transaction). Throws LeaseLostError otherwise, which rolls the transaction back.
 */
export async function assertLeaseHeld(
  trx: Transaction<Database>,
  d: StoreDialect,
  name: string,
  holder: string,
): Promise<void> {
  let q = trx.selectFrom("work_leases").select("holder").where("name", "=", name);
  if (d.name === "postgres") q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (row?.holder !== holder) throw new LeaseLostError(name);
}
