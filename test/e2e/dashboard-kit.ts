/**
 * @module test/e2e/dashboard-kit
 * The dashboard's end-to-end world: `certwatch serve` as a child process on a store seeded with alerts and
 * certificates (hostile names among them), users made with `certwatch user add`, and Debian's Chromium driven by
 * playwright-core, with every CSP violation, script error and dialog of every page recorded.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { AlertDraft } from "../../src/alerts/reconcile.js";
import type { DeliveryRoute } from "../../src/notify/routing.js";
import { certificate, draft, endpoint, run } from "../../src/store/contract-fixtures.js";
import { openStore } from "../../src/store/open.js";
import type { CertificateRecord, Store } from "../../src/store/store.js";
import { startDaemon, waitReady, type Daemon } from "./serve-kit.js";

export const CHROMIUM = "/usr/bin/chromium";

/** Flags that keep Chromium quiet on a closed network (no update, sync or field-trial requests) and headless. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's Chromium, or a failure that says how to get it (never a skip: the dashboard must be tested). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    assert.fail(
      `Chromium is not installed at ${CHROMIUM}: the dashboard tests need it (apt-get install chromium; .ci/run does)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export const HOSTILE_NAME = "<img src=x onerror=alert(1)>.evil.example";
export const HOSTILE_CERT_NAME = "<svg onload=alert(2)>.contoso.com";

const ENTRY = fileURLToPath(new URL("../../src/bin.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

/** `certwatch ARGS` with `input` on stdin (not a terminal: the password is its first line). */
function certwatchWithInput(
  args: string[],
  cwd: string,
  input: string,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, ENTRY, ...args], {
      cwd,
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
    child.stdin.end(input);
  });
}

export interface SeededAlerts {
  readonly hsts: AlertDraft;
  readonly expiring: AlertDraft;
  readonly takeover: AlertDraft;
  readonly hostile: AlertDraft;
  readonly subdomain: AlertDraft;
  /** 60 older info alerts: the list's first page (50) ends inside them. */
  readonly bulk: readonly AlertDraft[];
}

/** Alerts of every source and several severities, in scopes the daemon never reconciles (no endpoint is configured). */
function seedAlerts(): SeededAlerts {
  return {
    hsts: draft("hsts-missing", "www.contoso.com:443", {
      subject: "www.contoso.com",
      endpoint: endpoint("www.contoso.com"),
      details: { status: 200 },
    }),
    expiring: draft("installed-certificate-expiring", "api.contoso.com:443", {
      subject: "api.contoso.com",
      endpoint: endpoint("api.contoso.com"),
      certificate: certificate("api").summary,
    }),
    takeover: draft("domain-takeover", "old.contoso.com", {
      details: { target: "gone.azurewebsites.net", provider: "Azure App Service" },
    }),
    hostile: draft("similar-domain", HOSTILE_NAME, {
      details: { reason: "<script>alert(3)</script>", families: ["embedded"] },
    }),
    subdomain: draft("new-subdomain", "dev.contoso.com"),
    bulk: Array.from({ length: 60 }, (_, i) =>
      draft("hsts-weak", `bulk-${i}.contoso.com:443`, {
        subject: `bulk-${i}.contoso.com`,
        endpoint: endpoint(`bulk-${i}.contoso.com`),
        severity: "info",
      }),
    ),
  };
}

/** Certificates expiring in 5, 20 and 60 days (the overview's chart), and two outside its 90 days. */
function seedCertificates(now: Date): CertificateRecord[] {
  const inDays = (days: number) =>
    new Date(now.getTime() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const cert = (label: string, days: number, names: readonly string[]): CertificateRecord => {
    const c = certificate(label, names);
    return { ...c, summary: { ...c.summary, notAfter: inDays(days), subject: `CN=${names[0] ?? label}` } };
  };
  return [
    cert("soon", 5, ["soon.contoso.com"]),
    cert("hostile", 20, [HOSTILE_CERT_NAME]),
    cert("later", 60, ["later.contoso.com", "www.later.contoso.com"]),
    cert("far", 200, ["far.contoso.com"]),
    cert("expired", -3, ["expired.contoso.com"]),
  ];
}

export const PASSWORDS = {
  admin: "admin-Passw0rd-for-e2e",
  operator: "operator-Passw0rd-for-e2e",
  viewer: "viewer-Passw0rd-for-e2e",
} as const;

export type WorldRole = keyof typeof PASSWORDS;

/** What a test file adds to the common world (dashboard-pages.test.ts: delivery targets, CT logs, endpoints). */
export interface WorldOptions {
  /** YAML appended to certwatch.yaml (which already has `server` and `ct`). */
  readonly config?: string;
  /** The delivery routes of that YAML's `notify` targets: the seeded alerts are queued for them. */
  readonly routes?: readonly DeliveryRoute[];
  /** More to write in the store before the daemon starts. */
  readonly seed?: (store: Store, now: Date) => Promise<void>;
  /** Users made with `certwatch user add`, each named after its role (default: admin and viewer). */
  readonly users?: readonly WorldRole[];
}

/** A daemon serving the dashboard over a seeded store, with an admin and a viewer made by the CLI. */
export class DashboardWorld {
  private constructor(
    readonly dir: string,
    readonly daemon: Daemon,
    readonly url: string,
    readonly alerts: SeededAlerts,
  ) {}

  static async start(options: WorldOptions = {}): Promise<DashboardWorld> {
    const dir = mkdtempSync(join(tmpdir(), "certwatch-dashboard-"));
    try {
      writeFileSync(
        join(dir, "certwatch.yaml"),
        `server: { port: 0 }\nct: { logList: none }\n${options.config ?? ""}`,
      );
      const alerts = seedAlerts();
      const now = new Date();
      const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
      const store = await openStore(`sqlite:${join(dir, "certwatch.db")}`, {
        ...(options.routes && { routes: options.routes }),
      });
      try {
        await store.recordRun(run("tls:bulk", minutesAgo(60), alerts.bulk));
        await store.recordRun(run("tls:www.contoso.com:443", minutesAgo(50), [alerts.hsts]));
        await store.recordRun(
          run("tls:api.contoso.com:443", minutesAgo(40), [alerts.expiring], {
            certificates: seedCertificates(now),
          }),
        );
        await store.recordRun(run("dns:seed", minutesAgo(30), [alerts.takeover]));
        await store.recordRun(run("ct:entries", minutesAgo(20), [alerts.hostile, alerts.subdomain]));
        await options.seed?.(store, now);
      } finally {
        await store.close();
      }
      const config = join(dir, "certwatch.yaml");
      const users = await Promise.all(
        (options.users ?? (["admin", "viewer"] as const)).map((role) =>
          certwatchWithInput(
            ["--config", config, "user", "add", role, "--role", role],
            dir,
            `${PASSWORDS[role]}\n`,
          ),
        ),
      );
      for (const u of users) assert.equal(u.code, 0, u.stderr);
      const daemon = startDaemon(dir);
      const url = await daemon.url();
      await waitReady(url);
      return new DashboardWorld(dir, daemon, url, alerts);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.daemon.child.exitCode === null) {
      this.daemon.signal("SIGTERM");
      const stopped = await Promise.race([
        this.daemon.done.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 15_000)),
      ]);
      if (!stopped) this.daemon.child.kill("SIGKILL");
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What went wrong in a page that a user would not see but must never happen. */
export interface PageProblems {
  readonly cspViolations: string[];
  readonly scriptErrors: string[];
  readonly dialogs: string[];
}

/** A context opened for a test, under the name its failures are reported with. */
export interface WatchedContext {
  readonly name: string;
  readonly context: BrowserContext;
  readonly problems: PageProblems;
}

/** No page of any watched context had a CSP violation, a script error or a dialog. */
export function assertNoPageProblems(watched: readonly WatchedContext[]): void {
  for (const { name, problems } of watched) {
    assert.deepEqual(problems.cspViolations, [], `${name}: CSP violations`);
    assert.deepEqual(problems.scriptErrors, [], `${name}: script errors`);
    assert.deepEqual(problems.dialogs, [], `${name}: a dialog opened (hostile script ran?)`);
  }
}

/**
 * A browser context whose pages report CSP violations (the `securitypolicyviolation` event and Chromium's console
 * line), uncaught script errors and dialogs (an `alert(1)` that ran) into `problems`.
 */
export async function watchedContext(
  browser: Browser,
  options: { colorScheme?: "light" | "dark"; ignoreHttpsErrors?: boolean } = {},
): Promise<{ context: BrowserContext; problems: PageProblems }> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    // Only for a test identity provider whose certificate comes from a CA made at run time.
    ignoreHTTPSErrors: options.ignoreHttpsErrors ?? false,
  });
  const problems: PageProblems = { cspViolations: [], scriptErrors: [], dialogs: [] };
  await context.exposeBinding("__cwReportViolation", (_source, text: string) => {
    problems.cspViolations.push(text);
  });
  // A string, not a function: tsx's compiled functions may call helpers that do not exist in the page.
  await context.addInitScript(`
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cwReportViolation(e.violatedDirective + " blocked " + e.blockedURI + " (" + e.sourceFile + ":" + e.lineNumber + ")");
    });
  `);
  context.on("page", (page) => watchPage(page, problems));
  return { context, problems };
}

function watchPage(page: Page, problems: PageProblems): void {
  page.on("console", (m) => {
    if (/Content[- ]Security[- ]Policy|Trusted Type/i.test(m.text())) problems.cspViolations.push(m.text());
  });
  page.on("pageerror", (e) => problems.scriptErrors.push(e.message));
  page.on("dialog", (d) => {
    problems.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
}

/** Signs in through the login form and waits for the overview. */
export async function signIn(page: Page, url: string, name: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel("User name", { exact: true }).fill(name);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
}

/** Retries an assertion until it holds (a page renders after its address changes), failing with its last error. */
export async function eventually(assertion: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
