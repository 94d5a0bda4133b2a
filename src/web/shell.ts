/**
 * @module web/shell
 * The dashboard's one HTML page: a fixed document that loads the stylesheet and, by its per-request nonce, the
 * entry module. It holds no data: everything shown is fetched from the REST API and built as DOM by web/js/.
 */

/** Where the static files are served; the shell's references and the route agree on it. */
export const ASSETS_PATH = "/assets";

/** The module that starts the dashboard (web/js/main.js). */
export const ENTRY_MODULE = "js/main.js";

/** The page for one answer. The nonce is base64 (no quote or angle bracket), so it is safe in an attribute. */
export function shellHtml(nonce: string): string {
  if (!/^[A-Za-z0-9+/]+=*$/.test(nonce)) throw new Error("a CSP nonce must be base64");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>certwatch</title>
<link rel="icon" href="${ASSETS_PATH}/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS_PATH}/app.css">
<script type="module" nonce="${nonce}" src="${ASSETS_PATH}/${ENTRY_MODULE}"></script>
</head>
<body>
<noscript><p>The certwatch dashboard needs JavaScript. The REST API is at <a href="/api/v1/openapi.json">/api/v1</a>.</p></noscript>
<div id="app"><p class="loading">Loading…</p></div>
</body>
</html>
`;
}
