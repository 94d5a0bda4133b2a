/**
 * @module sources/tls/tcp-connect
 * Opens a TCP connection to one address with a deadline, and names why it failed (refused, timeout, network).
 */
import * as net from "node:net";

export type TcpConnectResult =
  | { readonly ok: true; readonly socket: net.Socket }
  | { readonly ok: false; readonly reason: "refused" | "timeout" | "network"; readonly error: string };

function target(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Connects to `address:port` (an IP literal: no DNS). The socket is destroyed on every failure path. */
export function connectTcp(address: string, port: number, timeoutMs: number): Promise<TcpConnectResult> {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    return Promise.resolve({ ok: false, reason: "network", error: `invalid port ${port}` });
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, noDelay: true });
    let settled = false;
    const finish = (r: TcpConnectResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", onError);
      if (!r.ok) socket.destroy();
      resolve(r);
    };
    const onConnect = (): void => finish({ ok: true, socket });
    const onError = (e: NodeJS.ErrnoException): void => {
      const where = target(address, port);
      if (e.code === "ECONNREFUSED")
        finish({ ok: false, reason: "refused", error: `connection refused by ${where}` });
      else if (e.code === "ETIMEDOUT")
        finish({ ok: false, reason: "timeout", error: `TCP connect to ${where} timed out` });
      else
        finish({ ok: false, reason: "network", error: `cannot connect to ${where}: ${e.code ?? e.message}` });
    };
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          reason: "timeout",
          error: `TCP connect to ${target(address, port)} timed out after ${timeoutMs} ms`,
        }),
      timeoutMs,
    );
    socket.once("connect", onConnect);
    socket.once("error", onError);
  });
}
