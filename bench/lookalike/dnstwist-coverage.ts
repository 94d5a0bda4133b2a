/**
 * @module bench/lookalike/dnstwist-coverage
 * Runs dnstwist (offline: `--format list`, in a network namespace of its own when possible) on test domains
 * and compares its candidates with generateCandidates': coverage, what is missed, and speed side by side.
 * Run: `node --import tsx bench/lookalike/dnstwist-coverage.ts [domain ...]` (needs `dnstwist` on PATH).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { domainToASCII } from "node:url";
import { performance } from "node:perf_hooks";
import { generateCandidates } from "../../src/lookalike/generate.js";
import { DEFAULT_DICTIONARY } from "../../src/lookalike/gen-dictionary.js";
import { DEFAULT_TLDS } from "../../src/lookalike/gen-tlds.js";

const DOMAINS = [
  "contoso.com",
  "microsoft.com",
  "paypal.com",
  "bücher.de",
  "example.co.uk",
  "github.com",
  "my-bank.com",
  "office365.com",
  "wikipedia.org",
  "xn--80ak6aa92e.com",
];

const domains = process.argv.length > 2 ? process.argv.slice(2) : DOMAINS;

function which(cmd: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

const dnstwist = which("dnstwist");
if (dnstwist === null) {
  console.error("dnstwist is not installed (Debian: apt-get install dnstwist); nothing to compare");
  process.exit(2);
}
// dnstwist resolves every candidate unless the format is `list` (it returns before starting its DNS
// threads). On top of that, run it without a network at all when unshare(1) can make a namespace.
const isolate = which("unshare") !== null && spawnSync("unshare", ["-n", "true"]).status === 0;
const wrap = (argv: string[]): [string, string[]] =>
  isolate ? ["unshare", ["-n", ...argv]] : [argv[0]!, argv.slice(1)];

const dir = mkdtempSync(join(os.tmpdir(), "dnstwist-cov-"));
const dictFile = join(dir, "dictionary.txt");
const tldFile = join(dir, "tlds.txt");
writeFileSync(dictFile, DEFAULT_DICTIONARY.join("\n") + "\n");
writeFileSync(tldFile, DEFAULT_TLDS.join("\n") + "\n");

// dnstwist's own generation time, without Python's start-up: its Fuzzer, in-process, best of 5.
const PY_TIMER = `
import sys, time, json
sys.argv = ['dnstwist']
sys.path.insert(0, '/usr/lib/python3/dist-packages')
import dnstwist
domain, dict_file, tld_file = sys.argv_real = sys.stdin.read().split('\\n')[:3]
words = [x for x in set(open(dict_file).read().splitlines()) if x.isalnum()]
tlds = [x for x in set(open(tld_file).read().splitlines()) if x]
d = dnstwist.UrlParser(domain).domain
best = None
for _ in range(5):
    t = time.perf_counter()
    f = dnstwist.Fuzzer(d, dictionary=words, tld_dictionary=list(tlds))
    f.generate()
    ms = (time.perf_counter() - t) * 1000
    best = ms if best is None else min(best, ms)
print(json.dumps({"ms": best, "count": len(f.domains)}))
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const python = (() => {
  const shebang = spawnSync("head", ["-1", dnstwist], { encoding: "utf8" }).stdout.trim();
  return shebang.startsWith("#!") ? shebang.slice(2).trim().split(/\s+/)[0]! : "python3";
})();

console.log(
  `dnstwist ${dnstwist}${isolate ? " (in its own network namespace)" : ""}; dictionary ${DEFAULT_DICTIONARY.length} words, ${DEFAULT_TLDS.length} TLDs given to both`,
);
console.log("");
let totalTheirs = 0;
let totalCovered = 0;
const ratios: number[] = [];
for (const domain of domains) {
  const [cmd, args] = wrap([
    dnstwist,
    "--format",
    "list",
    "--dictionary",
    dictFile,
    "--tld",
    tldFile,
    domain,
  ]);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const processMs = performance.now() - t0;
  if (r.status !== 0) {
    console.log(`${domain}: dnstwist failed (${r.status}): ${r.stderr.trim()}`);
    continue;
  }
  const original = domainToASCII(domain.toLowerCase());
  const theirs = new Set(
    r.stdout
      .split("\n")
      .map((x) => x.trim().toLowerCase())
      .filter((x) => x !== "" && x !== original),
  );
  const [pyCmd, pyArgs] = wrap([python, "-c", PY_TIMER]);
  const py = spawnSync(pyCmd, pyArgs, { encoding: "utf8", input: `${domain}\n${dictFile}\n${tldFile}\n` });
  const inProcessMs = py.status === 0 ? (JSON.parse(py.stdout) as { ms: number }).ms : NaN;

  generateCandidates(domain); // warm-up
  const times: number[] = [];
  let ours = generateCandidates(domain);
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    ours = generateCandidates(domain);
    times.push(performance.now() - t);
  }
  const ourMs = Math.min(...times); // best of 15, as dnstwist's is its best of 5
  const ourMedian = median(times);
  const mine = new Set(ours.map((c) => c.domain.toLowerCase()));
  ratios.push(inProcessMs / ourMs);
  const missed = [...theirs].filter((x) => !mine.has(x));
  const covered = theirs.size - missed.length;
  totalTheirs += theirs.size;
  totalCovered += covered;
  console.log(
    `${domain}: dnstwist ${theirs.size}, ours ${mine.size}, covered ${((100 * covered) / theirs.size).toFixed(2)}%` +
      ` (${covered}/${theirs.size}); dnstwist ${inProcessMs.toFixed(1)} ms in-process (${processMs.toFixed(0)} ms as a process),` +
      ` ours ${ourMs.toFixed(2)} ms (median ${ourMedian.toFixed(2)}) → ${(inProcessMs / ourMs).toFixed(1)}×` +
      ` (${(processMs / ourMs).toFixed(0)}× the process; per candidate` +
      ` ${(mine.size / ourMs / (theirs.size / inProcessMs)).toFixed(1)}×)`,
  );
  if (missed.length > 0) console.log(`  missed: ${missed.slice(0, 20).join(" ")}`);
}
console.log("");
console.log(
  `overall: ${totalCovered}/${totalTheirs} = ${((100 * totalCovered) / Math.max(1, totalTheirs)).toFixed(3)}% of dnstwist's candidates covered`,
);
console.log(
  `speed: ours vs dnstwist in-process per domain, min ${Math.min(...ratios).toFixed(1)}×, median ${median(ratios).toFixed(1)}×` +
    ` (machine: ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)})`,
);
rmSync(dir, { recursive: true, force: true });
