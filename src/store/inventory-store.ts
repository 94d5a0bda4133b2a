/**
 * @module store/inventory-store
 * The certificate inventory as the REST API lists it: every stored certificate (served by a scanned endpoint or
 * logged in CT), one per CT identity (a precertificate is listed only when its certificate is not stored), by
 * expiry then SHA-256 — a key that never changes, so paging sees each certificate once.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from "kysely";
import type { CertificateSummary } from "../domain/certificate.js";
import { certificateFromRow, SUMMARY_COLUMNS } from "./rows.js";
import type { Database } from "./schema.js";

export interface CertificateQuery {
  /** A substring (case-insensitive for ASCII) of the subject, the issuer or a DNS name, or a SHA-256 prefix. */
  readonly search?: string;
  /** A DNS name of the certificate is this name, under it, or a wildcard for a name under it. */
  readonly domain?: string;
  /** notAfter strictly before (RFC 3339). */
  readonly expiringBefore?: string;
  /** notAfter at or after (RFC 3339): `now` leaves out the expired. */
  readonly expiringAfter?: string;
  /** Keyset cursor: certificates strictly after this one (notAfter ascending, then sha256). */
  readonly after?: { readonly notAfter: string; readonly sha256: string };
  readonly limit: number;
}

export interface InventoryCertificateEntry {
  readonly certificate: CertificateSummary;
  /** RFC 3339: when certwatch first stored it. */
  readonly firstSeen: string;
  /** A CT precertificate (its final certificate is not stored). */
  readonly precertificate: boolean;
  /** Seen in a CT log. */
  readonly logged: boolean;
}

export interface InventoryStore {
  listCertificatePage(query: CertificateQuery): Promise<InventoryCertificateEntry[]>;
}

type Eb = ExpressionBuilder<Database, "certificates">;

function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function filters(eb: Eb, q: CertificateQuery): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [
    // One row per CT identity: a precertificate only when its final certificate is not stored.
    eb.or([
      eb("certificates.precertificate", "=", 0),
      eb("certificates.identity", "is", null),
      eb.not(
        eb.exists(
          eb
            .selectFrom("certificates as final")
            .select("final.sha256")
            .whereRef("final.identity", "=", "certificates.identity")
            .where("final.precertificate", "=", 0),
        ),
      ),
    ]),
  ];
  if (q.search !== undefined) {
    const pattern = `%${likeLiteral(q.search.toLowerCase())}%`;
    const like = (column: string) => sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
    all.push(
      eb.or([
        like("certificates.subject"),
        like("certificates.issuer"),
        like("certificates.dns_names"),
        sql<SqlBool>`certificates.sha256 like ${`${likeLiteral(q.search.toLowerCase())}%`} escape '\\'`,
      ]),
    );
  }
  if (q.domain !== undefined) {
    const d = q.domain.toLowerCase();
    all.push(
      eb.exists(
        eb
          .selectFrom("certificate_names")
          .select("certificate_names.sha256")
          .whereRef("certificate_names.sha256", "=", "certificates.sha256")
          .where((n) =>
            n.or([
              n("certificate_names.name", "=", d),
              // ESCAPE said: SQLite has no default escape character (PostgreSQL's is the backslash).
              sql<SqlBool>`certificate_names.name like ${`%.${likeLiteral(d)}`} escape '\\'`,
            ]),
          ),
      ),
    );
  }
  if (q.expiringBefore !== undefined) all.push(eb("certificates.not_after", "<", q.expiringBefore));
  if (q.expiringAfter !== undefined) all.push(eb("certificates.not_after", ">=", q.expiringAfter));
  if (q.after !== undefined) {
    const { notAfter, sha256 } = q.after;
    all.push(
      eb.or([
        eb("certificates.not_after", ">", notAfter),
        eb.and([eb("certificates.not_after", "=", notAfter), eb("certificates.sha256", ">", sha256)]),
      ]),
    );
  }
  return eb.and(all);
}

export async function listCertificatePage(
  db: Kysely<Database>,
  q: CertificateQuery,
): Promise<InventoryCertificateEntry[]> {
  const rows = await db
    .selectFrom("certificates")
    .select([
      ...SUMMARY_COLUMNS.map((c) => `certificates.${c}` as const),
      "certificates.first_seen",
      "certificates.precertificate",
    ])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom("ct_inventory")
            .select("ct_inventory.sha256")
            // Logged as itself, or as its precertificate (same CT identity).
            .where((i) =>
              i.or([
                i("ct_inventory.sha256", "=", i.ref("certificates.sha256")),
                i("ct_inventory.identity", "=", i.ref("certificates.identity")),
              ]),
            ),
        )
        .as("logged"),
    )
    .where((eb) => filters(eb, q))
    .orderBy("certificates.not_after")
    .orderBy("certificates.sha256")
    .limit(Math.max(1, Math.min(q.limit, 10_000)))
    .execute();
  return rows.map((r) => ({
    certificate: certificateFromRow(r),
    firstSeen: r.first_seen,
    precertificate: Number(r.precertificate) === 1,
    logged: Boolean(Number(r.logged)),
  }));
}

export function inventoryStoreOver(db: Kysely<Database>): InventoryStore {
  return { listCertificatePage: (q) => listCertificatePage(db, q) };
}
