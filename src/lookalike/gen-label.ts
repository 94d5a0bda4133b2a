/**
 * @module lookalike/gen-label
 * The label a family permutes, split into code points with every prefix and suffix precomputed (so a
 * one-character edit is two slices and a concatenation), and the `Emit` callback families report to.
 */

/** Reports one permuted label (Unicode); returns false once the generator is full and families should stop. */
export type Emit = (label: string) => boolean;

export class Label {
  /** The label as given (Unicode, lower case). */
  readonly text: string;
  /** One string per code point. */
  readonly cps: readonly string[];
  /** `pre[i]` is the first i code points; `pre[n]` the whole label. */
  readonly pre: readonly string[];
  /** `suf[i]` is everything from code point i; `suf[n]` is "". */
  readonly suf: readonly string[];

  constructor(text: string) {
    this.text = text;
    const cps = Array.from(text);
    const n = cps.length;
    const pre: string[] = new Array<string>(n + 1);
    const suf: string[] = new Array<string>(n + 1);
    pre[0] = "";
    for (let i = 0; i < n; i++) pre[i + 1] = pre[i]! + cps[i]!;
    suf[n] = "";
    for (let i = n - 1; i >= 0; i--) suf[i] = cps[i]! + suf[i + 1]!;
    this.cps = cps;
    this.pre = pre;
    this.suf = suf;
  }

  get length(): number {
    return this.cps.length;
  }

  /** The label with code point i replaced by `s` (which may be longer or empty). */
  replace(i: number, s: string): string {
    return this.pre[i]! + s + this.suf[i + 1]!;
  }

  /** The label with `s` inserted before code point i (i = length appends). */
  insert(i: number, s: string): string {
    return this.pre[i]! + s + this.suf[i]!;
  }
}
