/**
 * @module config/json-check
 * Strict JSON (RFC 8259) checked before JSON.parse, so that a .json config error has a line and column like a YAML
 * one (V8's messages often have neither, and quote the text), a key given twice is an error instead of the last
 * one silently winning, and nesting is bounded (`[[[[…` a hundred thousand deep is an error, not a stack overflow).
 */

/** The first fault in the text: where (a UTF-16 offset, as the YAML parser counts) and what. */
export interface JsonFault {
  readonly offset: number;
  readonly message: string;
}

// eslint-disable-next-line no-control-regex -- RFC 8259: a string holds no raw control character
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;
const SPACE = /[ \t\n\r]*/y;

/** `line:column` (1-based) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** What stands at `i`, for a message: a printable character in quotes, else its code point. */
function shown(text: string, i: number): string {
  if (i >= text.length) return "the end of the file";
  const cp = text.codePointAt(i) ?? 0;
  return cp > 0x20 && cp < 0x7f
    ? JSON.stringify(String.fromCodePoint(cp))
    : `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

function match(re: RegExp, text: string, i: number): number {
  re.lastIndex = i;
  return re.test(text) ? re.lastIndex - i : 0;
}

/** Why the string starting at `start` is not a JSON string, at the offending character. */
function stringFault(text: string, start: number): JsonFault {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) break; // cannot happen: the string would have matched
    if (c < 0x20) {
      return {
        offset: i,
        message: `a control character (${shown(text, i)}) in a string: write it as an escape`,
      };
    }
    if (c === 0x5c) {
      if (match(/\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y, text, i) === 0) {
        return { offset: i, message: `invalid escape in a string (${shown(text, i + 1)} after \\)` };
      }
      i++;
    }
  }
  return { offset: start, message: "this string is never closed" };
}

interface Frame {
  readonly kind: "object" | "array";
  /** An object's keys so far, with their offsets (to point at the first of two). */
  readonly keys: Map<string, number>;
}

type Expect = "value" | "first-value" | "key" | "first-key" | "colon" | "after-value";

/**
 * The first syntax fault of `text` as JSON, a key that appears twice in one object, or nesting deeper than
 * `maxDepth` objects and arrays; undefined when `JSON.parse` will accept it and it has neither. Iterative, linear.
 */
export function checkJson(text: string, maxDepth: number): JsonFault | undefined {
  const stack: Frame[] = [];
  let expect: Expect = "value";
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  for (;;) {
    i += match(SPACE, text, i);
    const c = text[i];
    const top = stack[stack.length - 1];
    switch (expect) {
      case "after-value": {
        if (top === undefined) {
          return i < text.length
            ? { offset: i, message: `unexpected ${shown(text, i)} after the end of the value` }
            : undefined;
        }
        const close = top.kind === "object" ? "}" : "]";
        if (c === ",") expect = top.kind === "object" ? "key" : "value";
        else if (c === close) stack.pop();
        else return { offset: i, message: `expected "," or "${close}", found ${shown(text, i)}` };
        i++;
        continue;
      }
      case "first-key":
      case "key": {
        if (c === "}" && expect === "first-key") {
          stack.pop();
          expect = "after-value";
          i++;
          continue;
        }
        if (c !== '"') {
          const hint = c === "}" ? " (JSON allows no comma before })" : "";
          return { offset: i, message: `expected a "quoted" key, found ${shown(text, i)}${hint}` };
        }
        const n = match(STRING, text, i);
        if (n === 0) return stringFault(text, i);
        const key = JSON.parse(text.slice(i, i + n)) as string;
        const first = top?.keys.get(key);
        if (first !== undefined) {
          const at = lineColumn(text, first);
          const name = JSON.stringify(key.length > 80 ? `${key.slice(0, 77)}...` : key);
          return { offset: i, message: `key ${name} appears twice (first at ${at.line}:${at.column})` };
        }
        top?.keys.set(key, i);
        i += n;
        expect = "colon";
        continue;
      }
      case "colon":
        if (c !== ":") return { offset: i, message: `expected ":" after the key, found ${shown(text, i)}` };
        i++;
        expect = "value";
        continue;
      case "first-value":
      case "value": {
        if (c === "]" && expect === "first-value") {
          stack.pop();
          expect = "after-value";
          i++;
          continue;
        }
        if (c === "{" || c === "[") {
          if (stack.length >= maxDepth) {
            return { offset: i, message: `nesting deeper than ${maxDepth} levels` };
          }
          stack.push({ kind: c === "{" ? "object" : "array", keys: new Map() });
          expect = c === "{" ? "first-key" : "first-value";
          i++;
          continue;
        }
        if (c === '"') {
          const n = match(STRING, text, i);
          if (n === 0) return stringFault(text, i);
          i += n;
        } else {
          const n = match(NUMBER, text, i) || match(LITERAL, text, i);
          if (n === 0) {
            const hint =
              c === "]"
                ? " (JSON allows no comma before ])"
                : c === "'"
                  ? " (JSON strings use double quotes)"
                  : "";
            return { offset: i, message: `expected a value, found ${shown(text, i)}${hint}` };
          }
          i += n;
        }
        expect = "after-value";
        continue;
      }
    }
  }
}
