/**
 * @module store/schedule-store
 * The schedule half of KyselyStore (schedule-records.ts): jobs' last runs and the managed endpoints. A change
 * to a managed endpoint made by a person writes its audit entry in the same transaction.
 */
import type { Kysely, Selectable } from "kysely";
import { insertAudit } from "./audit-log.js";
import type { AuditContext } from "./auth-records.js";
import type { ManagedEndpoint, ManagedOrigin, ScheduleRun, ScheduleStore } from "./schedule-records.js";
import type { Database, ManagedEndpointsTable } from "./schema.js";

type Db = Kysely<Database>;

function endpointFromRow(r: Selectable<ManagedEndpointsTable>): ManagedEndpoint {
  const addresses = parseAddresses(r.addresses);
  return {
    host: r.host,
    port: Number(r.port),
    ...(addresses ? { addresses } : {}),
    ...(r.server_name !== null ? { serverName: r.server_name } : {}),
    ...(r.scan_interval_minutes !== null ? { scanIntervalMinutes: Number(r.scan_interval_minutes) } : {}),
    origin: (r.origin === "ct" ? "ct" : "api") satisfies ManagedOrigin,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

/** A stored list that is not a list of strings (edited by hand, say) counts as none: DNS decides. */
function parseAddresses(json: string | null): string[] | undefined {
  if (json === null) return undefined;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === "string") ? v : undefined;
  } catch {
    return undefined;
  }
}

function rowOf(e: ManagedEndpoint): ManagedEndpointsTable {
  return {
    host: e.host,
    port: e.port,
    addresses: e.addresses && e.addresses.length > 0 ? JSON.stringify(e.addresses) : null,
    server_name: e.serverName ?? null,
    scan_interval_minutes: e.scanIntervalMinutes ?? null,
    origin: e.origin,
    created_at: e.createdAt,
    created_by: e.createdBy,
  };
}

/** The audit target: `host:port`, an IPv6 address in brackets (as the API names it). */
const label = (host: string, port: number) => `${host.includes(":") ? `[${host}]` : host}:${port}`;

/** Audit details: what the endpoint is, never anything secret (it holds nothing secret). */
function details(e: ManagedEndpoint): Record<string, string | number | null | readonly string[]> {
  return {
    origin: e.origin,
    addresses: e.addresses ?? null,
    serverName: e.serverName ?? null,
    scanIntervalMinutes: e.scanIntervalMinutes ?? null,
  };
}

export function scheduleStoreOver(db: Db): ScheduleStore {
  return {
    async lastRuns() {
      const rows = await db.selectFrom("schedule_runs").selectAll().execute();
      return new Map(
        rows.map((r) => [
          r.job,
          { job: r.job, at: r.last_run_at, durationMs: Number(r.duration_ms), error: r.error },
        ]),
      );
    },

    async lastRun(job) {
      const r = await db.selectFrom("schedule_runs").selectAll().where("job", "=", job).executeTakeFirst();
      return r === undefined
        ? undefined
        : { job: r.job, at: r.last_run_at, durationMs: Number(r.duration_ms), error: r.error };
    },

    async recordScheduleRun(run: ScheduleRun) {
      const values = {
        job: run.job,
        last_run_at: run.at,
        duration_ms: Math.max(0, Math.round(run.durationMs)),
        error: run.error,
      };
      await db
        .insertInto("schedule_runs")
        .values(values)
        .onConflict((oc) =>
          oc.column("job").doUpdateSet({
            last_run_at: values.last_run_at,
            duration_ms: values.duration_ms,
            error: values.error,
          }),
        )
        .execute();
    },

    async forgetScheduleRuns(jobs) {
      // SQLite allows 32,766 parameters per statement; a thousand at a time stays far below.
      for (let i = 0; i < jobs.length; i += 1000) {
        await db
          .deleteFrom("schedule_runs")
          .where("job", "in", jobs.slice(i, i + 1000))
          .execute();
      }
    },

    async listManagedEndpoints() {
      const rows = await db
        .selectFrom("managed_endpoints")
        .selectAll()
        .orderBy("host")
        .orderBy("port")
        .execute();
      return rows.map(endpointFromRow);
    },

    putManagedEndpoint(e, audit) {
      return db.transaction().execute(async (trx) => {
        const before = await trx
          .selectFrom("managed_endpoints")
          .select("host")
          .where("host", "=", e.host)
          .where("port", "=", e.port)
          .executeTakeFirst();
        const row = rowOf(e);
        if (before === undefined) await trx.insertInto("managed_endpoints").values(row).execute();
        else {
          const { host: _h, port: _p, created_at: _c, created_by: _b, ...changes } = row;
          await trx
            .updateTable("managed_endpoints")
            .set(changes)
            .where("host", "=", e.host)
            .where("port", "=", e.port)
            .execute();
        }
        const created = before === undefined;
        if (audit) {
          await insertAudit(trx, audit, {
            action: created ? "endpoint.create" : "endpoint.update",
            target: label(e.host, e.port),
            details: details(e),
          });
        }
        return { created };
      });
    },

    async addManagedEndpointIfAbsent(e) {
      const r = await db
        .insertInto("managed_endpoints")
        .values(rowOf(e))
        .onConflict((oc) => oc.columns(["host", "port"]).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    deleteManagedEndpoint(host, port, audit?: AuditContext) {
      return db.transaction().execute(async (trx) => {
        const r = await trx
          .deleteFrom("managed_endpoints")
          .where("host", "=", host)
          .where("port", "=", port)
          .executeTakeFirst();
        const deleted = Number(r.numDeletedRows) > 0;
        if (deleted) {
          await trx
            .deleteFrom("schedule_runs")
            .where("job", "=", `tls:${host.toLowerCase()}:${port}`)
            .execute();
          if (audit) {
            await insertAudit(trx, audit, {
              action: "endpoint.delete",
              target: label(host, port),
              details: {},
            });
          }
        }
        return deleted;
      });
    },
  };
}
