/**
 * @module sources/tls/first-bytes-tap
 * A duplex between TLS and the raw socket that keeps (bounded) what the server sent during the handshake.
 */
import { Duplex } from "node:stream";
import type * as net from "node:net";

/** The server's handshake flight is far smaller: OpenSSL refuses certificate lists above 100 KiB. */
export const DEFAULT_RETAIN_BYTES = 256 * 1024;

/**
 * The first bytes tell plain HTTP or other protocols from TLS; the rest holds the Certificate message.
 * A tap is needed because TLS takes over a net.Socket's reads: a listener on the socket would see nothing.
 */
export class FirstBytesTap extends Duplex {
  private kept: Buffer[] = [];
  private keptLength = 0;
  private retaining = true;
  /** Set by `detach`: TLS has given up on the connection, the tap goes on reading for itself. */
  private detached: (() => void) | null = null;
  /** True when the server sent more than the retention limit while retaining. */
  overflowed = false;
  /** Total bytes received from the server. */
  bytesReceived = 0;

  constructor(
    private readonly raw: net.Socket,
    private retainLimit = DEFAULT_RETAIN_BYTES,
  ) {
    super();
    raw.on("data", (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      if (this.retaining) this.retain(chunk);
      if (this.detached) this.detached();
      else if (!this.push(chunk)) raw.pause();
    });
    raw.on("end", () => this.push(null));
    raw.on("error", (e) => this.destroy(e));
    raw.on("close", () => {
      if (!this.destroyed) this.destroy();
    });
  }

  private retain(chunk: Buffer): void {
    const room = this.retainLimit - this.keptLength;
    if (chunk.length > room) this.overflowed = true;
    if (room <= 0) return;
    const part = Buffer.from(chunk.subarray(0, room));
    this.kept.push(part);
    this.keptLength += part.length;
  }

  /**
   * After TLS has failed in a way the rest of the server's flight explains (a Certificate message larger
   * than OpenSSL accepts): keep reading the raw socket, retaining up to `limit` bytes, calling `onData`
   * after each chunk. Destroying the tap (as TLS does) then leaves the raw socket open: the caller
   * destroys it when it has read enough.
   */
  detach(limit: number, onData: () => void): void {
    this.detached = onData;
    this.retainLimit = Math.max(this.retainLimit, limit);
    this.raw.resume();
  }

  /** The first `n` bytes the server sent. */
  firstBytes(n = 64): Buffer {
    return this.received().subarray(0, n);
  }

  /** Everything retained so far, from the first byte. */
  received(): Buffer {
    if (this.kept.length > 1) this.kept = [Buffer.concat(this.kept)];
    return this.kept[0] ?? Buffer.alloc(0);
  }

  /** Stops retaining and frees what was kept (after the handshake). */
  release(): void {
    this.retaining = false;
    this.kept = [];
    this.keptLength = 0;
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.raw.destroyed) {
      callback(new Error("socket closed"));
      return;
    }
    this.raw.write(chunk, (e) => callback(e ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.detached === null) this.raw.destroy();
    callback(error);
  }
}
