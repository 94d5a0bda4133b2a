/**
 * @module app/context
 * One application context per configuration: the adapters every use case needs, built from a ResolvedConfig
 * in one place — the store (opened with the delivery routes), the notifiers, the trust store, the DNS client,
 * the HTTP client, the revocation source, the CT log targets, the domain-check adapters, the clock and the
 * severity mapping. CLI commands (main.ts) and the daemon (daemon/) both run the use cases through it, so a
 * command and the daemon scan, read CT and check domains with the very same wiring.
 *
 * What is costly or holds resources is built on first use (the trust store, the lookalike index, the HTTP
 * client) and released by `close()`.
 */
import { draftFromFinding, type AlertDraft } from "../alerts/reconcile.js";
import {
  candidatesFor,
  httpFingerprint,
  lookalikeExclusions,
  lookalikeMatcher,
  zoneFileNames,
} from "../cli/domains-command.js";
import { deliveryDeps, drainBeforeExit, notifierContext } from "../cli/notify-command.js";
import type { ResolvedConfig } from "../config/schema.js";
import type { Target } from "../domain/endpoint.js";
import type { Finding } from "../domain/finding.js";
import { WatchedDomains } from "../domain/watched-domains.js";
import type { LookalikeMatcher } from "../lookalike/matcher.js";
import type { DeliveryDeps, DrainReport } from "../notify/deliver.js";
import type { Notifier } from "../notify/notifier.js";
import { routesFromConfig } from "../notify/routing.js";
import { createNotifiers } from "../notify/targets.js";
import { CaaIdentifierTable } from "../pki/ca-identifiers.js";
import { loadRootsFile, loadTrustStore, type TrustStore } from "../pki/trust-store.js";
import { findCaaPolicy } from "../sources/dns/caa.js";
import { gatherDelegation } from "../sources/dns/delegation.js";
import { createDnsClient, type DnsClient } from "../sources/dns/resolver.js";
import { diffLogSelections, type CtLogDescriptor } from "../sources/ct/log-list.js";
import { RevocationSource } from "../sources/revocation/revocation-source.js";
import { probeEndpoint } from "../sources/tls/prober.js";
import type { TlsObservation } from "../sources/tls/observation.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { publicAddressesOnly, type AddressPolicy } from "../util/address-policy.js";
import { HttpClient } from "../util/http-get.js";
import { FileReadError } from "../util/read-bounded-file.js";
import { cachedCaaPolicy } from "./ct/caa-cache.js";
import { selectLogs } from "./ct/log-sources.js";
import type { LogTarget } from "./ct/read-log.js";
import type { CtRunDeps } from "./ct/run.js";
import { logTargets } from "./ct/targets.js";
import type { DomainsDeps, DomainsOptions } from "./domains/run.js";
import type { Logger, Progress } from "./progress.js";
import type { RevocationGatherer, ScanDeps, ScanOptions } from "./scan.js";

/** Entries per CT store transaction: large enough to amortise the commit, small enough to lose little on a crash. */
export const CT_COMMIT_EVERY = 4096;

export interface ContextOptions {
  /**
   * Lines from the adapters (notifier warnings, delivery, CT log list changes), written for a reader: the CLI
   * prints them on stderr, the daemon logs them as JSON. "warning: …" lines are warnings.
   */
  readonly logLine: (message: string) => void;
  /** Build the delivery notifiers: for the commands that deliver (a missing secret is then an error up front). */
  readonly notifiers: boolean;
  /** A store already open, which the context borrows and never closes (the daemon's). */
  readonly store?: Store;
  readonly now?: () => Date;
}

/** The store URL the configuration names. */
export function storeUrl(config: ResolvedConfig): string {
  return config.store.kind === "sqlite" ? `sqlite:${config.store.path}` : config.store.url;
}

/** The configured store, migrated, writing outbox rows for the configured delivery targets. */
export function openConfiguredStore(config: ResolvedConfig): Promise<Store> {
  return openStore(storeUrl(config), { routes: routesFromConfig(config.notify) });
}

/** Public addresses only, saying which setting lets a private one through. */
const takeoverAddressPolicy: AddressPolicy = (address) => {
  const why = publicAddressesOnly(address);
  return why === null ? null : `${why}; not fetched unless takeover.allowPrivateAddresses is on`;
};

export class AppContext {
  readonly now: () => Date;
  readonly logLine: (message: string) => void;
  readonly watched: WatchedDomains;
  #trust: Promise<TrustStore> | undefined;
  #allowedRoots: Promise<Set<string>> | undefined;
  #dns: DnsClient | undefined;
  #http: HttpClient | undefined;
  #takeoverHttp: HttpClient | undefined;
  #matcher: LookalikeMatcher | undefined;
  #closed = false;

  private constructor(
    readonly config: ResolvedConfig,
    readonly store: Store,
    readonly notifiers: readonly Notifier[],
    private readonly ownsStore: boolean,
    opts: ContextOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.logLine = opts.logLine;
    this.watched = new WatchedDomains(config.domains);
  }

  /**
   * Builds the notifiers first (a missing secret or a bad target stops the command before any work), then opens
   * the store unless one is given.
   */
  static async open(config: ResolvedConfig, opts: ContextOptions): Promise<AppContext> {
    const notifiers = opts.notifiers
      ? createNotifiers(config.notify, notifierContext(config, opts.logLine))
      : [];
    try {
      const store = opts.store ?? (await openConfiguredStore(config));
      return new AppContext(config, store, notifiers, opts.store === undefined, opts);
    } catch (e) {
      await closeNotifiers(notifiers);
      throw e;
    }
  }

  /** Scanning's trust store: the system roots (unless turned off) and trust.extraRoots; loaded once. */
  trust(): Promise<TrustStore> {
    return (this.#trust ??= loadTrustStore({
      systemRoots: this.config.trust.systemRoots,
      extraRoots: this.config.trust.extraRoots,
    }));
  }

  /** SPKI SHA-256 of the allowedRoots (never event 20); loaded once. */
  allowedRoots(): Promise<Set<string>> {
    return (this.#allowedRoots ??= Promise.all(
      this.config.allowedRoots.map((f) => loadRootsFile(f, "allowedRoots")),
    ).then((roots) => new Set(roots.flat().map((r) => r.spkiSha256))));
  }

  get dns(): DnsClient {
    const d = this.config.dns;
    return (this.#dns ??= createDnsClient({ servers: d.servers, timeoutMs: d.timeoutMs, tries: d.tries }));
  }

  /** The keep-alive client of CT (revocation and the takeover HTTP evidence have their own, guarded ones). */
  get http(): HttpClient {
    return (this.#http ??= new HttpClient());
  }

  /**
   * The client of the takeover HTTP evidence: it connects to an address the provider's DNS answered, so public
   * addresses only unless takeover.allowPrivateAddresses is on (no request to loopback or a metadata service).
   */
  get takeoverHttp(): HttpClient {
    const allow = this.config.takeover.allowPrivateAddresses;
    return (this.#takeoverHttp ??= new HttpClient({
      keepAlive: false,
      ...(allow ? {} : { addressPolicy: takeoverAddressPolicy }),
    }));
  }

  /** The lookalike index of the watched domains (built once: it is not small). */
  get lookalikes(): LookalikeMatcher {
    return (this.#matcher ??= lookalikeMatcher(this.config));
  }

  /** A finding as an alert draft, with the configured severity overrides. */
  readonly draft = (f: Finding): AlertDraft => draftFromFinding(f, this.config.severity);

  probe(endpoint: TlsObservation["endpoint"], serverName: string | null): Promise<TlsObservation> {
    return probeEndpoint(endpoint, serverName, this.config.scan);
  }

  /** A fresh revocation gatherer (one per scan run); undefined when CRL and OCSP checking are both off. */
  revocationFactory(): (() => RevocationGatherer) | undefined {
    const r = this.config.revocation;
    if (!r.crl && !r.ocsp) return undefined;
    return () => new RevocationSource(this.store, this.now, r);
  }

  /** What app/scan needs. `probe` and `revocation` replace the context's own (the daemon shares them). */
  async scanDeps(o: {
    readonly progress?: Progress;
    readonly log?: Logger;
    readonly probe?: ScanDeps["probe"];
    readonly revocation?: (() => RevocationGatherer) | undefined;
  }): Promise<ScanDeps> {
    const revocation = "revocation" in o ? o.revocation : this.revocationFactory();
    const dns = this.dns;
    return {
      store: this.store,
      trust: await this.trust(),
      resolveAddresses: (host) => dns.resolveAddresses(host),
      probe: o.probe ?? ((endpoint, serverName) => this.probe(endpoint, serverName)),
      now: this.now,
      ...(revocation ? { revocation } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      ...(o.log ? { log: o.log } : {}),
    };
  }

  scanOptions(targets: readonly Target[]): ScanOptions {
    return {
      targets,
      concurrency: this.config.scan.concurrency,
      thresholds: this.config.thresholds,
      severityOverrides: this.config.severity,
    };
  }

  /** What app/ct needs. `logLine` replaces the context's (the CLI clears its progress line first). */
  async ctDeps(o: { readonly logLine?: (m: string) => void; readonly progress?: CtRunDeps["progress"] }) {
    const c = this.config.ct;
    const dns = this.dns;
    const deps: CtRunDeps = {
      store: this.store,
      trust: await this.trust(),
      caaTable: new CaaIdentifierTable(this.config.caa.issuers),
      caaPolicy: cachedCaaPolicy((name) => findCaaPolicy(dns, name), c.caaCacheSeconds * 1000),
      allowedRoots: await this.allowedRoots(),
      draft: this.draft,
      logLine: o.logLine ?? this.logLine,
      startAt: c.startAt,
      now: this.now,
      commitEvery: CT_COMMIT_EVERY,
      ...(o.progress ? { progress: o.progress } : {}),
      watched: this.watched,
      thresholds: this.config.thresholds,
      logConcurrency: c.logConcurrency,
    };
    return deps;
  }

  /**
   * The followed logs, as a function follow mode calls again every ct.logListRefreshMinutes: it says which logs
   * came and went. An unreadable ct.logList file is an error the first time (the command stops, exit 2) and a
   * warning afterwards (the logs followed so far are kept).
   */
  ctTargets(signal: AbortSignal): () => Promise<LogTarget[]> {
    const c = this.config.ct;
    const say = this.logLine;
    const matchers = {
      watched: this.watched,
      lookalikes: this.watched.size === 0 ? undefined : this.lookalikes,
    };
    let following: CtLogDescriptor[] | null = null;
    return async () => {
      let selection;
      try {
        selection = await selectLogs({
          store: this.store,
          logList: c.logList,
          inline: c.logs,
          get: (url, maxBytes) => this.http.get(url, { timeoutMs: c.timeoutMs, maxBytes, signal }),
          now: this.now,
        });
      } catch (e) {
        if (following === null || !(e instanceof FileReadError)) throw e;
        say(`warning: ${e.message}; still following the ${following.length} logs selected before`);
        selection = { logs: following, warnings: [] };
      }
      for (const w of selection.warnings) say(`warning: ${w}`);
      if (selection.logs.length === 0) say("ct: no log to follow (see ct.logList and ct.logs)");
      if (following !== null) {
        const diff = diffLogSelections(following, selection.logs);
        for (const l of diff.added) say(`ct: now following ${l.description} (${l.url})`);
        for (const l of diff.removed) say(`ct: no longer following ${l.description} (${l.url})`);
        for (const l of diff.changed)
          say(`ct: ${l.description} changed in the log list (${l.state ?? "inline"})`);
      }
      following = selection.logs;
      return logTargets(selection.logs, matchers, this.http, c, signal);
    };
  }

  /** What app/domains needs; zone files are read now (their warnings are returned, for the caller to show). */
  async domains(o: { readonly logLine?: (m: string) => void } = {}): Promise<{
    deps: DomainsDeps;
    options: DomainsOptions;
    warnings: string[];
    /** Nothing to check: no watched domain, no name, no zone file name. */
    nothing: boolean;
  }> {
    const config = this.config;
    const logLine = o.logLine ?? this.logLine;
    const zones = await zoneFileNames(config.zoneFiles);
    const t = config.takeover;
    const dns = this.dns;
    const matcher = config.domains.length === 0 ? null : this.lookalikes;
    return {
      deps: {
        store: this.store,
        takeover: {
          dns,
          delegation: (zone, nameservers) =>
            gatherDelegation(dns, zone, {
              ...(nameservers === undefined ? {} : { nameservers }),
              tries: t.tries,
              timeoutMs: config.dns.timeoutMs,
            }),
          ...(t.http ? { http: httpFingerprint(this.takeoverHttp, t.httpTimeoutMs) } : {}),
        },
        lookalikes: {
          dns,
          candidates: candidatesFor(config),
          verdict: (domain) => matcher?.match(domain) ?? null,
          logLine,
        },
        now: this.now,
        draft: this.draft,
        logLine,
      },
      options: {
        watched: config.domains,
        names: [...config.names, ...zones.names],
        delegations: zones.delegations,
        exclude: lookalikeExclusions(config),
        tries: t.tries,
        takeoverConcurrency: t.concurrency,
        lookalikeConcurrency: config.lookalikes.concurrency,
      },
      warnings: zones.warnings,
      nothing: config.domains.length === 0 && config.names.length === 0 && zones.names.length === 0,
    };
  }

  deliveryDeps(): DeliveryDeps {
    return deliveryDeps(this.config, this.store, this.notifiers, this.logLine);
  }

  /** Deliver what the outbox holds before a command exits (bounded by delivery.drainTimeoutSeconds). */
  drain(): Promise<DrainReport | null> {
    return drainBeforeExit(this.config, this.store, this.notifiers, this.logLine);
  }

  /** Releases what the context built: the HTTP client's sockets, the notifiers, and the store if it owns it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#http?.destroy();
    this.#takeoverHttp?.destroy();
    try {
      if (this.ownsStore) await this.store.close();
    } finally {
      await closeNotifiers(this.notifiers);
    }
  }
}

async function closeNotifiers(notifiers: readonly Notifier[]): Promise<void> {
  await Promise.all(notifiers.map((n) => n.close().catch(() => undefined)));
}
