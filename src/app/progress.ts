/**
 * @module app/progress
 * How use cases report progress and log lines without knowing whether a terminal is watching.
 */

export interface Progress {
  start(label: string, total: number): void;
  tick(detail?: string): void;
  done(): void;
}

export interface Logger {
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, done() {} };
export const silentLogger: Logger = { info() {}, warn() {} };
