/**
 * @module test/helpers/prom-text
 * A strict parser of Prometheus' text exposition format 0.0.4, for tests that scrape `/metrics`: every line is
 * a comment (`# HELP`, `# TYPE`) or a sample `name{label="value",…} value`, label values use only the three
 * escapes the format defines (`\\`, `\"`, `\n`). Anything else throws, so "it parses" means what Prometheus
 * would accept.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  /** `# TYPE` by metric family name. */
  readonly types: ReadonlyMap<string, string>;
  readonly help: ReadonlyMap<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** As Go's strconv.ParseFloat, which Prometheus uses: special values in any case (prom-client writes "Nan"). */
function parseValue(text: string, line: string): number {
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(text);
  if (special !== null) {
    if (special[2]!.toLowerCase() === "nan") return NaN;
    return special[1] === "-" ? -Infinity : Infinity;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`bad value in ${JSON.stringify(line)}`);
  return Number(text);
}

/** The label set starting at `{` of `rest`; returns the labels and what follows the closing `}`. */
function parseLabels(rest: string, line: string): { labels: Record<string, string>; after: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const fail = (why: string): never => {
    throw new Error(`${why} at column ${i} of ${JSON.stringify(line)}`);
  };
  for (;;) {
    if (rest[i] === "}") return { labels, after: rest.slice(i + 1) };
    const m = LABEL.exec(rest.slice(i));
    if (m === null) fail("expected a label name");
    const label = m![0];
    i += label.length;
    if (rest[i] !== "=" || rest[i + 1] !== '"') fail('expected ="');
    i += 2;
    let value = "";
    for (;;) {
      const c = rest[i];
      if (c === undefined) fail("unterminated label value");
      if (c === '"') break;
      if (c === "\\") {
        const e = rest[i + 1];
        if (e === "\\") value += "\\";
        else if (e === '"') value += '"';
        else if (e === "n") value += "\n";
        else fail(`unknown escape \\${e ?? ""}`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++; // the closing quote
    if (Object.hasOwn(labels, label)) fail(`label ${label} repeated`);
    labels[label] = value;
    if (rest[i] === ",") i++;
    else if (rest[i] !== "}") fail("expected , or }");
  }
}

export function parseExposition(text: string): Exposition {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (m === null) continue; // other comments are allowed
      if (m[1] === "TYPE") {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(m[3]!)) throw new Error(`bad TYPE: ${line}`);
        types.set(m[2]!, m[3]!);
      } else {
        help.set(m[2]!, m[3]!);
      }
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new Error(`bad metric name: ${JSON.stringify(line)}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, after: rest } = parseLabels(rest, line));
    const fields = rest.split(" ");
    if (fields[0] !== "" || fields.length < 2 || fields.length > 3) {
      throw new Error(`expected " value [timestamp]" in ${JSON.stringify(line)}`);
    }
    samples.push({ name, labels, value: parseValue(fields[1]!, line) });
  }
  return { samples, types, help };
}

/** The samples of one metric, optionally those whose labels include `match`. */
export function samplesOf(
  e: Exposition,
  name: string,
  match: Readonly<Record<string, string>> = {},
): Sample[] {
  return e.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}
