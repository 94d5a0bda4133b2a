/**
 * @module cli/progress-bar
 * Progress on stderr: a redrawn bar on a terminal, nothing but the final summary otherwise.
 */
import type { Progress } from "../app/progress.js";
import { terminalSafe } from "../util/terminal-safe.js";

export class TerminalProgressBar implements Progress {
  private total = 0;
  private count = 0;
  private label = "";
  private lastDraw = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  start(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.count = 0;
    this.draw("", true);
  }

  tick(detail = ""): void {
    this.count++;
    this.draw(detail, this.count === this.total);
  }

  done(): void {
    if (this.total > 0) this.out.write("\r\x1b[2K");
  }

  private draw(detail: string, force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 80) return;
    this.lastDraw = now;
    const width = 30;
    const filled = this.total === 0 ? width : Math.round((this.count / this.total) * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    const cols = this.out.columns || 80;
    // The detail names what was just done (a host, a log): outside text, escaped before it is drawn.
    const line = terminalSafe(`${this.label} ${bar} ${this.count}/${this.total} ${detail}`);
    this.out.write(`\r\x1b[2K${line.slice(0, cols - 1)}`);
  }
}

export function progressFor(stream: NodeJS.WriteStream): Progress | undefined {
  return stream.isTTY ? new TerminalProgressBar(stream) : undefined;
}
