/**
 * @module test/e2e/notify-targets-kit
 * What the command-line delivery tests share: a signed webhook receiver and a TCP syslog receiver to notify, and the
 * config lines of a quick scan of one local endpoint.
 */
import { startSyslogReceiver, type SyslogReceiver } from "../helpers/syslog-receiver.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";

export interface NotifyTargets {
  readonly hook: WebhookReceiver;
  readonly syslog: SyslogReceiver;
}

/** A webhook receiver that verifies `secret`, which the environment variable `secretEnv` then holds, and a syslog receiver over TCP. */
export async function startNotifyTargets(secret: string, secretEnv: string): Promise<NotifyTargets> {
  const hook = await startWebhookReceiver({ secret });
  const syslog = await startSyslogReceiver({ transport: "tcp" });
  process.env[secretEnv] = secret;
  return { hook, syslog };
}

/** Config lines: the endpoint `https://<hostPort>` at 127.0.0.1, short scan timeouts, no legacy probe, no revocation. */
export function oneEndpointScan(hostPort: string, trust: readonly string[] = []): string[] {
  return [
    "endpoints:",
    `  - { url: "https://${hostPort}", addresses: [127.0.0.1] }`,
    ...trust,
    "scan: { connectTimeoutMs: 1000, handshakeTimeoutMs: 1500, httpTimeoutMs: 1500, legacyProtocols: false }",
    "revocation: { crl: false, ocsp: false }",
  ];
}
