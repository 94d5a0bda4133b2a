/**
 * @module store/copy-digest
 * A SHA-256 over a table's rows in key order, the same whichever engine holds them: how certwatch migrate proves
 * that the target reads back exactly what the source held (SQLite and PostgreSQL return the same row differently).
 */
import { createHash, type Hash } from "node:crypto";
import { withoutNul } from "./text-parameters.js";

/**
 * One value as both engines mean it. Numbers and text become the same JSON string: PostgreSQL returns a bigint as
 * text and SQLite as a number, and a column holds one kind only. Bytes stay apart from text. Text loses its NULs as
 * every write does (text-parameters.ts), so a row stored before that rule compares as it is written now.
 */
function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return { b: Buffer.from(value).toString("base64") };
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "string") return withoutNul(value);
  // Neither driver returns anything else for certwatch's column types.
  throw new Error(`unexpected ${typeof value} value in a row`);
}

/** A running digest of one table: feed its rows in key order. */
export class TableDigest {
  readonly #hash: Hash = createHash("sha256");
  #rows = 0;

  add(row: Readonly<Record<string, unknown>>): void {
    // Columns by name: the digest does not depend on the order a table's columns were added in.
    const columns = Object.keys(row).sort();
    // JSON escapes line breaks: one line per row, nothing a value holds can fake a row boundary.
    this.#hash.update(`${JSON.stringify(columns.map((c) => [c, canonical(row[c])]))}\n`);
    this.#rows++;
  }

  get rows(): number {
    return this.#rows;
  }

  /** Hex; the digest cannot be added to afterwards. */
  finish(): string {
    return this.#hash.digest("hex");
  }
}
