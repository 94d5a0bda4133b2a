/**
 * @module config/docs.test
 * Fails when docs/config.md or the sample config drift from the schema and the error codes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CONFIG_ERROR_CODES, ConfigError, parseConfig } from "./load.js";
import { SAMPLE_CONFIG } from "./sample.js";
import { configSchema } from "./schema.js";

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  options?: { _zod: { def: Def } }[];
}

/** Every key path of the schema: `scan.concurrency`, `endpoints[].url`, … */
function keyPaths(def: Def, prefix = ""): string[] {
  const inner = def.innerType ?? def.in ?? (def.type === "array" ? def.element : undefined);
  if (inner) return keyPaths(inner._zod.def, def.type === "array" ? `${prefix}[]` : prefix);
  if (def.type === "union") return (def.options ?? []).flatMap((o) => keyPaths(o._zod.def, prefix));
  if (def.type !== "object" || !def.shape) return [];
  return Object.entries(def.shape).flatMap(([k, v]) => {
    const path = prefix === "" ? k : `${prefix}.${k}`;
    return [path, ...keyPaths(v._zod.def, path)];
  });
}

const paths = keyPaths(configSchema._zod.def as unknown as Def);
const doc = readFileSync(new URL("../../docs/config.md", import.meta.url), "utf8");

describe("docs/config.md and the sample", () => {
  it("the walk finds the schema's keys", () => {
    for (const p of [
      "domains",
      "endpoints[].serverName",
      "scan.concurrency",
      "ct.logs[].key",
      "caa.issuers",
    ]) {
      assert.ok(paths.includes(p), p);
    }
  });

  it("docs/config.md documents every key", () => {
    const missing = paths.filter((p) => !doc.includes(`\`${p}\``) && !doc.includes(`## \`${p}\``));
    assert.deepEqual(missing, []);
  });

  it("the sample mentions every key", () => {
    const missing = paths
      .map((p) => p.split(/[.[\]]+/).at(-1) ?? p)
      .filter((k) => !SAMPLE_CONFIG.includes(`${k}:`));
    assert.deepEqual(missing, []);
  });

  it("the error example in docs/config.md is what certwatch prints", () => {
    const errors = doc.slice(doc.indexOf("## Errors"));
    const [yaml, output] = [...errors.matchAll(/```(?:yaml)?\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    assert.ok(yaml !== undefined && output !== undefined);
    assert.throws(
      () => parseConfig(yaml, "certwatch.yaml"),
      (e: unknown) => e instanceof ConfigError && e.message === output.trimEnd(),
    );
  });

  it("docs/config.md lists every error code", () => {
    assert.deepEqual(
      CONFIG_ERROR_CODES.filter((c) => !doc.includes(`\`${c}\``)),
      [],
    );
  });
});
