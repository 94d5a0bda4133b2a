/**
 * @module web/dashboard
 * Mounts the dashboard on the daemon's HTTP app: the HTML shell at `/` (pages are hash routes, `/#/alerts`, so
 * the server knows no page names) and the allow-listed files of web/ under `/assets/`, every answer with its CSP.
 */
import type { Context, Env, Hono } from "hono";
import type { Logger } from "../app/progress.js";
import { assetsOf, etagMatches, WEB_ROOT, type Asset } from "./assets.js";
import { ASSET_POLICY, newNonce, securityHeaders, shellPolicy } from "./csp.js";
import { ASSETS_PATH, ENTRY_MODULE, shellHtml } from "./shell.js";

export interface DashboardOptions {
  /** The folder of the dashboard's files; default: the installation's web/. */
  readonly root?: string;
  readonly log?: Logger;
}

export function mountDashboard<E extends Env>(app: Hono<E>, options: DashboardOptions = {}): void {
  const root = options.root ?? WEB_ROOT;
  const assets = assetsOf(root);
  const complete = assets.has(ENTRY_MODULE);
  if (!complete) {
    options.log?.warn("dashboard files are missing: / answers 503", { root, entry: ENTRY_MODULE });
  }

  app.get("/", (c) => {
    if (!complete) {
      return plain(
        c,
        503,
        "The dashboard's files are missing from this installation (web/). The API is at /api/v1.",
      );
    }
    const nonce = newNonce();
    c.header("Cache-Control", "no-store"); // the nonce must be new every time
    setHeaders(c, shellPolicy(nonce));
    return c.html(shellHtml(nonce));
  });

  app.get(`${ASSETS_PATH}/*`, (c) => {
    const asset = assets.get(c.req.path.slice(ASSETS_PATH.length + 1));
    if (asset === undefined) return plain(c, 404, "not found");
    return serveAsset(c, asset);
  });
}

function serveAsset<E extends Env>(c: Context<E>, asset: Asset): Response {
  setHeaders(c, ASSET_POLICY);
  c.header("ETag", asset.etag);
  // File names carry no version: the browser asks again each time and gets a 304 while nothing changed.
  c.header("Cache-Control", "no-cache");
  if (etagMatches(c.req.header("if-none-match"), asset.etag)) return c.body(null, 304);
  c.header("Content-Type", asset.contentType);
  return c.body(asset.body, 200);
}

function plain<E extends Env>(c: Context<E>, status: 404 | 503, text: string): Response {
  setHeaders(c, ASSET_POLICY);
  c.header("Cache-Control", "no-store");
  return c.text(text, status);
}

function setHeaders<E extends Env>(c: Context<E>, policy: string): void {
  for (const [name, value] of Object.entries(securityHeaders(policy))) c.header(name, value);
}
