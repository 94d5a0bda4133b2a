/**
 * @module app/ct/data-tiles
 * The data tiles covering a range of a Static CT API log, fetched a few ahead and split into leaves, in
 * order; a full tile served for a partial one is read whole and cut.
 */
import { splitDataTile, TILE_WIDTH, type TileLeaf } from "../../sources/ct/entry.js";
import type { CtMisbehaviour, StaticCtClient } from "../../sources/ct/log-client.js";

export type TileResult =
  | { kind: "ok"; first: number; leaves: TileLeaf[] }
  | { kind: "unavailable"; error: string }
  | (CtMisbehaviour & { tile: number });

/** Data tiles covering [start, end), fetched a few ahead, split into leaves, in order. */
export async function* tiles(client: StaticCtClient, start: number, end: number): AsyncGenerator<TileResult> {
  const first = Math.floor(start / TILE_WIDTH);
  const last = Math.ceil(end / TILE_WIDTH) - 1;
  const fetchTile = async (n: number): Promise<TileResult> => {
    const width = Math.min(TILE_WIDTH, end - n * TILE_WIDTH);
    const r = await client.dataTile(n, width);
    if (r.kind === "unavailable") return r;
    if (r.kind === "misbehaving") return { ...r, tile: n };
    try {
      return { kind: "ok", first: n * TILE_WIDTH, leaves: splitDataTile(r.value, width) };
    } catch (e) {
      // A full tile served for a partial one holds more entries than asked: read it whole, keep the first.
      if (width < TILE_WIDTH) {
        try {
          const all = splitDataTile(r.value, TILE_WIDTH);
          return { kind: "ok", first: n * TILE_WIDTH, leaves: all.slice(0, width) };
        } catch {
          // fall through to the first error
        }
      }
      const error = `data tile ${n} (${width} entries) does not parse: ${(e as Error).message}`;
      return { kind: "misbehaving", reason: "data-tile", error, tile: n };
    }
  };
  const ahead = 4;
  const queue: Promise<TileResult>[] = [];
  let next = first;
  while (next <= last || queue.length > 0) {
    while (next <= last && queue.length < ahead) queue.push(fetchTile(next++));
    const r = await (queue.shift() as Promise<TileResult>);
    yield r;
    if (r.kind !== "ok") return;
  }
}
