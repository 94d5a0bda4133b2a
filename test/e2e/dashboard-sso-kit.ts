/**
 * @module test/e2e/dashboard-sso-kit
 * The dashboard's single sign-on world in Chromium: certwatch's HTTP app over a SQLite store with a real OpenID
 * provider (`startOidcWorld`), optionally a root admin with a password, and Debian's Chromium whose every page is
 * watched; closing it asserts that no page had a CSP violation, a script error or a dialog.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { hashPassword } from "../../src/auth/password.js";
import type { Store } from "../../src/store/store.js";
import { TEST_PASSWORD_PARAMS } from "../helpers/api-server.js";
import type { TestOidcProvider } from "../helpers/oidc-provider.js";
import {
  assertNoPageProblems,
  launchChromium,
  watchedContext,
  type WatchedContext,
} from "./dashboard-kit.js";
import { startOidcWorld, type OidcWorld, type OidcWorldOptions } from "./oidc-app-kit.js";

export interface DashboardSsoOptions extends Omit<OidcWorldOptions, "scopes" | "roles"> {
  /** `auth.oidc.scopes` and `auth.oidc.roles` (default: groups asked for, `cw-ops` are operators). */
  readonly scopes?: string;
  readonly roles?: string;
  /** A local admin "root" with this password, made before the app serves. */
  readonly rootPassword?: string;
}

/**
 * Made in a `describe`, started in its `before` and closed in its `after`:
 * `const world = new DashboardSsoWorld({ … }); before(() => world.start()); after(() => world.close());`
 */
export class DashboardSsoWorld {
  private readonly watched: WatchedContext[] = [];
  private started: { readonly world: OidcWorld; readonly browser: Browser } | undefined;

  constructor(private readonly options: DashboardSsoOptions) {}

  /** Launches Chromium, starts the provider and certwatch, and makes the root admin if asked. */
  async start(): Promise<void> {
    const {
      rootPassword,
      scopes = "[openid, profile, groups]",
      roles = "{ cw-ops: operator }",
      ...rest
    } = this.options;
    const browser = await launchChromium();
    let world: OidcWorld | undefined;
    try {
      world = await startOidcWorld({ ...rest, scopes, roles });
      if (rootPassword !== undefined) {
        await world.store.auth.createUser(
          {
            name: "root",
            role: "admin",
            passwordHash: await hashPassword(rootPassword, TEST_PASSWORD_PARAMS),
          },
          { actor: { kind: "system" }, at: new Date(), ip: null },
        );
      }
      this.started = { world, browser };
    } catch (e) {
      await world?.close();
      await browser.close();
      throw e;
    }
  }

  private get running(): { readonly world: OidcWorld; readonly browser: Browser } {
    assert.ok(this.started, "the dashboard SSO world is not started (before(() => world.start()))");
    return this.started;
  }

  get browser(): Browser {
    return this.running.browser;
  }

  /** certwatch's base URL. */
  get url(): string {
    return this.running.world.url;
  }

  get idp(): TestOidcProvider {
    return this.running.world.app.idp;
  }

  get store(): Store {
    return this.running.world.store;
  }

  /** A page in a fresh, watched browser profile (the provider's certificate is from a CA made here). */
  async newPage(): Promise<Page> {
    const w = await watchedContext(this.browser, { ignoreHttpsErrors: true });
    this.watched.push({ name: `browser profile ${this.watched.length + 1}`, ...w });
    return w.context.newPage();
  }

  /** Waits until the page is at the provider's login step. */
  atTheLoginStep(page: Page): Promise<void> {
    return page.waitForURL((u) => u.origin === this.idp.issuer && u.pathname.startsWith("/interaction/"));
  }

  /** From the login page through the provider: the provider's login step is answered as a form post would. */
  async atTheProvider(page: Page, form: Record<string, string>): Promise<void> {
    await page.getByRole("link", { name: "Sign in with Contoso SSO" }).click();
    await this.atTheLoginStep(page);
    const answer = await page.request.post(page.url(), { form, maxRedirects: 0 });
    assert.equal(answer.status(), 303, await answer.text());
    await page.goto(new URL(answer.headers().location ?? "", page.url()).href);
  }

  /** Asserts no watched page had a problem, then closes the browser, the server, the provider and the store. */
  async close(): Promise<void> {
    const started = this.started;
    this.started = undefined;
    try {
      assertNoPageProblems(this.watched);
    } finally {
      await started?.browser.close();
      await started?.world.close();
    }
  }
}
