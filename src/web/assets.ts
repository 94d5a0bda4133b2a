/**
 * @module web/assets
 * The dashboard's static files: the scripts, styles and images under `web/`, read once at start into an
 * allow-list keyed by exact path, with their content type and ETag. Nothing else on disk can ever be served.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One file the dashboard may serve. */
export interface Asset {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
  /** A strong ETag of the bytes. */
  readonly etag: string;
}

/** What is served, by extension; every other file under web/ (tsconfig.json, notes, editors' backups) is not. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The web/ folder of this installation: beside src/ in the repository, beside dist/ in the package. */
export const WEB_ROOT = fileURLToPath(new URL("../../web/", import.meta.url));

/** A path segment we serve: lower case, digits, `-`, `_` and inner dots; no dotfiles, no `..`. */
const SEGMENT = /^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$/;
const MAX_DEPTH = 4;
const MAX_FILES = 500;
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * The files under `root` that may be served, keyed by their path relative to it (`js/main.js`). Symbolic links,
 * hidden files, odd names, other extensions and oversized files are left out. A missing root gives an empty map.
 */
export function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (dir: string, prefix: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (assets.size >= MAX_FILES || !SEGMENT.test(e.name)) continue;
      const path = join(dir, e.name);
      const key = prefix === "" ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory() && depth < MAX_DEPTH) walk(path, key, depth + 1);
      const type = CONTENT_TYPES[extname(e.name)];
      if (!e.isFile() || type === undefined || statSync(path).size > MAX_FILE_BYTES) continue;
      const body = readFileSync(path);
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
      assets.set(key, { body: new Uint8Array(body), contentType: type, etag });
    }
  };
  walk(root, "", 0);
  return assets;
}

const loaded = new Map<string, Map<string, Asset>>();

/** `loadAssets` once per root and process: the files are part of the installation and do not change under it. */
export function assetsOf(root: string): Map<string, Asset> {
  let assets = loaded.get(root);
  if (assets === undefined) {
    assets = loadAssets(root);
    loaded.set(root, assets);
  }
  return assets;
}

/** Does an If-None-Match header name this ETag (or `*`)? */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === etag || t === "*");
}
