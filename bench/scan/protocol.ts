/**
 * @module bench/scan/protocol
 * The IPC messages between the scan benchmark (parent) and its server farm (child process).
 */

/** The kind of site an endpoint serves; see profileOf in server-farm.ts for the mix. */
export type Profile =
  | "good"
  | "wildcard"
  | "expiring-soon"
  | "expired"
  | "no-hsts"
  | "weak-hsts"
  | "sha1"
  | "missing-intermediate"
  | "tls10";

export interface FarmEndpoint {
  /** The name the certificate is for and the scan sends as SNI (h{i}.bench.test). */
  readonly host: string;
  /** The loopback address its listener is bound to. */
  readonly address: string;
  readonly profile: Profile;
}

export type FarmMessage =
  | {
      readonly type: "ready";
      /** The one port every listener uses. */
      readonly port: number;
      /** PEM file of the farm's root CA, to trust in the scan. */
      readonly rootPem: string;
      readonly endpoints: readonly FarmEndpoint[];
      readonly generateMs: number;
      readonly listenMs: number;
    }
  | {
      readonly type: "usage";
      readonly cpu: NodeJS.CpuUsage;
      readonly rss: number;
      readonly maxRss: number;
    }
  | { readonly type: "error"; readonly message: string };

export type ParentMessage = { readonly type: "close" } | { readonly type: "usage" };
