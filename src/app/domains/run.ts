/**
 * @module app/domains/run
 * `certwatch domains`: the takeover check over every known name and the active lookalike check, each
 * reconciled in its own scope (`dns:takeover`, `dns:lookalikes`), so a fixed record or a lapsed
 * lookalike registration resolves its alert.
 */
import type { AlertChange, AlertDraft } from "../../alerts/reconcile.js";
import type { Finding } from "../../domain/finding.js";
import type { Store } from "../../store/store.js";
import { checkLookalikes, type LookalikeCheckDeps, type LookalikeCheckReport } from "./lookalikes.js";
import { checkTakeovers, type TakeoverCheckDeps, type TakeoverCheckReport } from "./takeover.js";

export const TAKEOVER_SCOPE = "dns:takeover";
export const LOOKALIKE_SCOPE = "dns:lookalikes";

export interface DomainsDeps {
  readonly store: Store;
  readonly takeover: TakeoverCheckDeps;
  readonly lookalikes: LookalikeCheckDeps;
  readonly now: () => Date;
  readonly draft: (f: Finding) => AlertDraft;
  readonly logLine: (message: string) => void;
}

export interface DomainsOptions {
  readonly watched: readonly string[];
  /** Names from config and zone files (names seen in CT and scans are added from the store). */
  readonly names: readonly string[];
  /** NS sets from zone files: zone → name servers. */
  readonly delegations: ReadonlyMap<string, readonly string[]>;
  /** Registrable domains never lookalikes: watched, own, ignored. */
  readonly exclude: ReadonlySet<string>;
  readonly tries: number;
  readonly takeoverConcurrency: number;
  readonly lookalikeConcurrency: number;
}

export interface DomainsReport {
  readonly takeover: TakeoverCheckReport;
  readonly lookalikes: LookalikeCheckReport;
  readonly changes: AlertChange[];
  /** The scopes this run reconciled (for listing its alerts). */
  readonly scopes: readonly string[];
}

export async function runDomains(deps: DomainsDeps, o: DomainsOptions): Promise<DomainsReport> {
  const seen = o.watched.length === 0 ? [] : await deps.store.namesUnder(o.watched);
  const takeover = await checkTakeovers(deps.takeover, {
    names: [...o.names, ...seen],
    delegations: o.delegations,
    tries: o.tries,
    concurrency: o.takeoverConcurrency,
  });
  for (const n of takeover.inconclusive)
    deps.logLine(`domains: takeover of ${n.subject} inconclusive: ${n.reason}`);
  const undecided = new Set(takeover.inconclusive.map((n) => n.subject));
  const changes = await record(deps, TAKEOVER_SCOPE, takeover.findings, undecided);

  const lookalikes = await checkLookalikes(deps.lookalikes, {
    watched: o.watched,
    exclude: o.exclude,
    concurrency: o.lookalikeConcurrency,
  });
  const unchecked = new Set(lookalikes.inconclusiveDomains);
  changes.push(...(await record(deps, LOOKALIKE_SCOPE, lookalikes.findings, unchecked)));
  return { takeover, lookalikes, changes, scopes: [TAKEOVER_SCOPE, LOOKALIKE_SCOPE] };
}

/**
 * One full reconcile of a scope. An alert open for a subject this run could not judge (SERVFAIL, timeout)
 * is carried over as it is: an unanswered question neither raises nor resolves.
 */
async function record(
  deps: DomainsDeps,
  scope: string,
  findings: readonly Finding[],
  undecided: ReadonlySet<string>,
): Promise<AlertChange[]> {
  const drafts = findings.map(deps.draft);
  if (undecided.size > 0) {
    const found = new Set(drafts.map((d) => d.id));
    for (const a of await deps.store.listAlerts({ status: "open", scopes: [scope] })) {
      if (!undecided.has(a.subject) || found.has(a.id)) continue;
      const { status: _s, firstSeen: _f, lastSeen: _l, resolvedAt: _r, ...draft } = a;
      drafts.push(draft);
    }
  }
  return deps.store.recordRun({
    scope,
    now: deps.now(),
    certificates: [],
    observations: [],
    findings: drafts,
  });
}
