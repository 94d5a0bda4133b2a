/**
 * @module sources/dns/zone-file.test
 * The BIND master-file parser: a realistic zone, the RFC 1035 §5 corners, $INCLUDE through loadZoneFile, and
 * errors with file:line:column for syntax errors and garbage.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  loadZoneFile,
  originFromFileName,
  parseZoneFile,
  ZoneFileError,
  type ZoneFile,
  type ZoneRecord,
} from "./zone-file.js";

const REALISTIC = `; contoso.com — exported from the primary, hand-edited since
$TTL 1h
$ORIGIN contoso.com.
@       IN      SOA     ns1.contoso.com. hostmaster (
                        2026112501      ; serial
                        7200            ; refresh (2 hours)
                        15m             ; retry
                        2w              ; expire
                        300 )           ; negative caching
        IN      NS      ns1
        IN      NS      ns1-01.azure-dns.com.
        IN      MX      10 mail
        IN      TXT     "v=spf1 include:spf.protection.outlook.com -all"
ns1     300     IN      A       192.0.2.53
mail            IN 600  A       192.0.2.25
www             CNAME   contoso-www.azurewebsites.net.
legacy  60      CNAME   contoso-legacy.cloudapp.net.
shop            CNAME   contoso.myshopify.com.
*.preview       CNAME   previews.contoso.com.
_sip._tcp       SRV     0 5 5060 sip
_dmarc          TXT     ( "v=DMARC1; p=reject; "
                          "rua=mailto:dmarc@contoso.com" )
                CAA     0 issue "letsencrypt.org"

$ORIGIN eu.contoso.com.
api             CNAME   api-eu.trafficmanager.net.
app             A       192.0.2.80
                AAAA    2001:DB8::80
dev             NS      ns1.dev.eu.contoso.com.
                NS      ns-cloud-a1.googledomains.com.
ns1.dev         A       192.0.2.54
`;

function parse(text: string, origin?: string): ZoneFile {
  return parseZoneFile(text, origin === undefined ? { file: "test.zone" } : { file: "test.zone", origin });
}

function errorOf(text: string, origin: string | null = "contoso.com"): ZoneFileError {
  try {
    parseZoneFile(
      text,
      origin === null ? { file: "contoso.com.zone" } : { file: "contoso.com.zone", origin },
    );
  } catch (e) {
    assert.ok(e instanceof ZoneFileError, `not a ZoneFileError: ${String(e)}`);
    return e;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

const byOwner = (zone: ZoneFile, owner: string): ZoneRecord[] =>
  zone.records.filter((r) => r.owner === owner);

void describe("parseZoneFile", () => {
  void it("parses a realistic zone: SOA in parentheses, $ORIGIN changes, relative and blank owners", () => {
    const zone = parse(REALISTIC);
    assert.deepEqual(zone.names, [
      "contoso.com",
      "ns1.contoso.com",
      "mail.contoso.com",
      "www.contoso.com",
      "legacy.contoso.com",
      "shop.contoso.com",
      "*.preview.contoso.com",
      "_sip._tcp.contoso.com",
      "_dmarc.contoso.com",
      "api.eu.contoso.com",
      "app.eu.contoso.com",
      "dev.eu.contoso.com",
      "ns1.dev.eu.contoso.com",
    ]);
    const soa = zone.records[0];
    assert.deepEqual(soa, {
      owner: "contoso.com",
      ttl: 3600,
      class: "IN",
      type: "SOA",
      rdata: "ns1.contoso.com. hostmaster.contoso.com. 2026112501 7200 15m 2w 300",
      target: null,
      file: "test.zone",
      line: 4,
    });
    assert.deepEqual(
      byOwner(zone, "contoso.com").map((r) => [r.type, r.rdata, r.line]),
      [
        ["SOA", "ns1.contoso.com. hostmaster.contoso.com. 2026112501 7200 15m 2w 300", 4],
        ["NS", "ns1.contoso.com.", 10],
        ["NS", "ns1-01.azure-dns.com.", 11],
        ["MX", "10 mail.contoso.com.", 12],
        ["TXT", '"v=spf1 include:spf.protection.outlook.com -all"', 13],
      ],
    );
    assert.deepEqual(
      zone.records.filter((r) => r.type === "CNAME").map((r) => [r.owner, r.target, r.ttl]),
      [
        ["www.contoso.com", "contoso-www.azurewebsites.net", 3600],
        ["legacy.contoso.com", "contoso-legacy.cloudapp.net", 60],
        ["shop.contoso.com", "contoso.myshopify.com", 3600],
        ["*.preview.contoso.com", "previews.contoso.com", 3600],
        ["api.eu.contoso.com", "api-eu.trafficmanager.net", 3600],
      ],
    );
    // TTL and class in either order; explicit TTL wins over $TTL.
    assert.equal(byOwner(zone, "ns1.contoso.com")[0]?.ttl, 300);
    assert.equal(byOwner(zone, "mail.contoso.com")[0]?.ttl, 600);
    // A TXT record spread over two lines, then a blank owner continuing _dmarc.
    assert.deepEqual(
      byOwner(zone, "_dmarc.contoso.com").map((r) => [r.type, r.rdata, r.line]),
      [
        ["TXT", '"v=DMARC1; p=reject; " "rua=mailto:dmarc@contoso.com"', 21],
        ["CAA", '0 issue "letsencrypt.org"', 23],
      ],
    );
    assert.deepEqual(
      byOwner(zone, "app.eu.contoso.com").map((r) => r.rdata),
      ["192.0.2.80", "2001:db8::80"],
    );
    assert.equal(zone.records.find((r) => r.type === "SRV")?.target, "sip.contoso.com");
    assert.deepEqual(zone.delegations, [
      { zone: "contoso.com", hosts: ["ns1.contoso.com", "ns1-01.azure-dns.com"] },
      { zone: "dev.eu.contoso.com", hosts: ["ns1.dev.eu.contoso.com", "ns-cloud-a1.googledomains.com"] },
    ]);
    assert.deepEqual(zone.warnings, []);
  });

  void it("takes the origin from the options, `@`, absolute names and the root", () => {
    const zone = parse("@ A 192.0.2.1\nWWW.Sub CNAME @\nabs.example.NET. CNAME .\n", "Contoso.COM.");
    assert.deepEqual(
      zone.records.map((r) => [r.owner, r.rdata]),
      [
        ["contoso.com", "192.0.2.1"],
        ["www.sub.contoso.com", "contoso.com."],
        ["abs.example.net", "."],
      ],
    );
  });

  void it("keeps escapes and quoted strings, and handles comments everywhere", () => {
    const zone = parse(
      [
        'txt TXT "semi;colon" "paren(" "quote\\"d" unquoted ; comment',
        "esc\\.dot A 192.0.2.1 ; a label with a dot in it",
        "t2 ( TXT ; comment inside parentheses",
        '  "a" ) ; closing',
        "",
        "   ; an indented comment line does not start an entry",
        "gen TYPE65534 \\# 3 0a0B0c",
      ].join("\n"),
      "contoso.com",
    );
    assert.deepEqual(
      zone.records.map((r) => [r.owner, r.type, r.rdata]),
      [
        ["txt.contoso.com", "TXT", '"semi;colon" "paren(" "quote\\"d" "unquoted"'],
        ["esc\\.dot.contoso.com", "A", "192.0.2.1"],
        ["t2.contoso.com", "TXT", '"a"'],
        ["gen.contoso.com", "TYPE65534", "\\# 3 0a0B0c"],
      ],
    );
  });

  void it("keeps records of types it does not check, as written", () => {
    const zone = parse("@ DS 12345 13 2 ABCDEF0123\n@ HTTPS 1 . alpn=h2\n", "contoso.com");
    assert.deepEqual(
      zone.records.map((r) => r.rdata),
      ["12345 13 2 ABCDEF0123", "1 . alpn=h2"],
    );
  });

  void it("applies $TTL, then the last explicit TTL; CRLF line ends and a BOM are fine", () => {
    const zone = parse("\uFEFFa 120 A 192.0.2.1\r\nb A 192.0.2.2\r\n$TTL 1d\r\nc A 192.0.2.3\r\n", "x.test");
    assert.deepEqual(
      zone.records.map((r) => [r.owner, r.ttl]),
      [
        ["a.x.test", 120],
        ["b.x.test", 120],
        ["c.x.test", 86400],
      ],
    );
  });

  void it("skips $GENERATE with a warning", () => {
    const zone = parse("$GENERATE 1-10 host$ A 192.0.2.$\nwww A 192.0.2.1\n", "x.test");
    assert.deepEqual(zone.names, ["www.x.test"]);
    assert.deepEqual(zone.warnings, [
      "test.zone:1: $GENERATE is not expanded; the names it would create are not checked",
    ]);
  });
});

void describe("parseZoneFile errors", () => {
  const cases: [string, string, string][] = [
    // [what, text, expected message]
    [
      "a '(' never closed",
      "@ SOA ns1 host (\n 1 2 3 4 5\nwww A 192.0.2.1\n",
      "contoso.com.zone:1:16: unbalanced parenthesis: '(' is never closed",
    ],
    [
      "a ')' without '('",
      "www A 192.0.2.1 )\n",
      "contoso.com.zone:1:17: unbalanced parenthesis: ')' without '('",
    ],
    ["nested parentheses", 'www TXT ( ( "a" ) )\n', "contoso.com.zone:1:11: nested parenthesis"],
    [
      "an unterminated string",
      'ok A 192.0.2.1\nwww TXT "abc\n',
      "contoso.com.zone:2:9: unterminated quoted string (a line ends inside it)",
    ],
    [
      "an unknown type",
      "ok A 192.0.2.1\n\nwww IN CNAMES x\n",
      'contoso.com.zone:3:8: unknown record type "CNAMES"',
    ],
    [
      "two TTLs",
      "www 300 IN 600 A 192.0.2.1\n",
      'contoso.com.zone:1:12: unknown record type "600" (a second TTL?)',
    ],
    ["a missing type", "www 300 IN\n", "contoso.com.zone:1: missing record type"],
    [
      "a bad IPv4 address",
      "www A 192.0.2.300\n",
      'contoso.com.zone:1:7: A record: "192.0.2.300" is not an IPv4 address',
    ],
    [
      "a bad IPv6 address",
      "www AAAA 2001:db8::1::2\n",
      'contoso.com.zone:1:10: AAAA record: "2001:db8::1::2" is not an IPv6 address',
    ],
    [
      "CNAME with two targets",
      "www CNAME a b\n",
      "contoso.com.zone:1:13: CNAME record: expected 1 RDATA field, got 2",
    ],
    ["CNAME without a target", "www CNAME\n", "contoso.com.zone:1:5: CNAME record: no RDATA"],
    [
      "a short SOA",
      "@ SOA ns1 host ( 1 2 3 4 )\n",
      "contoso.com.zone:1:24: SOA record: expected 7 RDATA fields, got 6",
    ],
    [
      "an MX preference out of range",
      "@ MX 70000 mail\n",
      'contoso.com.zone:1:6: MX record: expected a number from 0 to 65535, got "70000"',
    ],
    ["a bad TTL", "$TTL 1x\n", 'contoso.com.zone:1:6: $TTL: bad TTL "1x"'],
    [
      "a TTL too large",
      "www 9999999999 A 192.0.2.1\n",
      "contoso.com.zone:1:5: record: TTL 9999999999 exceeds 2^31-1 seconds",
    ],
    [
      "an empty label",
      "www..x A 192.0.2.1\n",
      'contoso.com.zone:1:1: owner: empty label in domain name "www..x"',
    ],
    [
      "a label over 63 octets",
      `${"a".repeat(64)} A 192.0.2.1\n`,
      `contoso.com.zone:1:1: owner: label longer than 63 octets in "${"a".repeat(40)}…"`,
    ],
    [
      "a name over 255 octets",
      `${Array.from({ length: 5 }, () => "a".repeat(60)).join(".")} A 192.0.2.1\n`,
      "contoso.com.zone:1:1: owner: domain name longer than 255 octets",
    ],
    [
      "a non-ASCII name",
      "bücher A 192.0.2.1\n",
      'contoso.com.zone:1:2: owner: non-ASCII character in domain name "bücher" (write IDNs as punycode)',
    ],
    [
      "a blank owner first",
      "   A 192.0.2.1\n",
      "contoso.com.zone:1: the line starts with a blank but no earlier record gives an owner name",
    ],
    ["an unknown directive", "$ORIGN contoso.com.\n", "contoso.com.zone:1:1: unknown directive $ORIGN"],
    ["$ORIGIN without a name", "$ORIGIN\n", "contoso.com.zone:1:1: $ORIGIN takes 1 argument, got 0"],
    [
      "$INCLUDE in text",
      "www A 192.0.2.1\n$INCLUDE other.zone\n",
      "contoso.com.zone:2:1: $INCLUDE is not supported when parsing text; load the file with loadZoneFile",
    ],
    ["a bad \\DDD escape", "a\\999 A 192.0.2.1\n", "contoso.com.zone:1:2: \\999 is not an octet (0-255)"],
    [
      "a backslash at the end",
      "www TXT abc\\\n",
      "contoso.com.zone:1:12: a backslash at the end of a line escapes nothing",
    ],
    ["a control character", "www A 192.0.2.1\u0007\n", "contoso.com.zone:1:16: control character U+0007"],
    [
      "a long TXT string",
      `www TXT "${"x".repeat(256)}"\n`,
      "contoso.com.zone:1:9: TXT record: character-string longer than 255 octets",
    ],
  ];
  for (const [what, text, message] of cases) {
    void it(`reports ${what}`, () => {
      assert.equal(errorOf(text).message, message);
    });
  }

  void it("needs an origin for relative names and @", () => {
    assert.equal(
      errorOf("www A 192.0.2.1\n", null).message,
      'contoso.com.zone:1:1: owner: relative name "www" needs an origin ($ORIGIN or the origin option)',
    );
    assert.throws(
      () => parseZoneFile("@ A 192.0.2.1\n", { file: "z" }),
      /^ZoneFileError: z:1:1: owner: "@" needs an origin/,
    );
  });

  void it("gives the position as fields", () => {
    const e = errorOf("ok A 192.0.2.1\n\nbad 300\n");
    assert.equal(e.file, "contoso.com.zone");
    assert.equal(e.line, 3);
    assert.equal(e.column, null);
    assert.equal(e.reason, "missing record type");
  });

  void it("refuses input over the size cap", () => {
    assert.throws(
      () => parseZoneFile("www A 192.0.2.1\n", { file: "big.zone", origin: "x.test", maxBytes: 8 }),
      /^ZoneFileError: big\.zone: larger than 8 bytes/,
    );
  });

  void it("never throws anything but ZoneFileError on garbage", () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = 'ab.@$()";\\ \t\n\r0123456789AINSCNAMETXT*-_\u0000é';
    for (let round = 0; round < 2000; round++) {
      const length = Math.floor(random() * 80);
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)] ?? "";
      try {
        parseZoneFile(text, { file: "fuzz.zone", origin: "x.test" });
      } catch (e) {
        assert.ok(e instanceof ZoneFileError, `round ${round}: ${String(e)} for ${JSON.stringify(text)}`);
        assert.match(e.message, /^fuzz\.zone(?::\d+){0,2}: /);
      }
    }
  });
});

void describe("originFromFileName", () => {
  void it("reads the common naming conventions", () => {
    assert.equal(originFromFileName("/etc/bind/contoso.com.zone"), "contoso.com");
    assert.equal(originFromFileName("zones/db.contoso.co.uk"), "contoso.co.uk");
    assert.equal(originFromFileName("contoso.com.db"), "contoso.com");
    assert.equal(originFromFileName("contoso.com"), "contoso.com");
    assert.equal(originFromFileName("primary.zone"), null);
    assert.equal(originFromFileName("zone.txt"), null);
  });
});

void describe("loadZoneFile", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certwatch-zone-"));
    await writeFile(
      join(dir, "contoso.com.zone"),
      [
        "$TTL 300",
        "@ SOA ns1 hostmaster ( 1 2 3 4 5 )",
        "www CNAME web",
        "$INCLUDE sub/eu.inc eu",
        "after A 192.0.2.9 ; the origin is contoso.com. again",
        "",
      ].join("\n"),
    );
    await mkdir(join(dir, "sub"));
    await writeFile(
      join(dir, "sub", "eu.inc"),
      "api CNAME api-eu.trafficmanager.net.\n$INCLUDE deeper.inc\n",
    );
    await writeFile(join(dir, "sub", "deeper.inc"), "deep A 192.0.2.10\n");
    await writeFile(join(dir, "loop-a.zone"), "a A 192.0.2.1\n$INCLUDE loop-b.zone\n");
    await writeFile(join(dir, "loop-b.zone"), "b A 192.0.2.2\n$INCLUDE loop-a.zone\n");
    await writeFile(join(dir, "broken.zone"), "ok A 192.0.2.1\n$INCLUDE broken.inc\n");
    await writeFile(join(dir, "broken.inc"), "\n\nbad CNAME\n");
    await writeFile(join(dir, "missing.zone"), "$INCLUDE nowhere.inc\n");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it("resolves $INCLUDE relative to the including file, with its origin, and restores the origin", async () => {
    const zone = await loadZoneFile(join(dir, "contoso.com.zone"));
    assert.deepEqual(
      zone.records.map((r) => [r.owner, r.type, r.rdata, r.ttl]),
      [
        ["contoso.com", "SOA", "ns1.contoso.com. hostmaster.contoso.com. 1 2 3 4 5", 300],
        ["www.contoso.com", "CNAME", "web.contoso.com.", 300],
        ["api.eu.contoso.com", "CNAME", "api-eu.trafficmanager.net.", 300],
        ["deep.eu.contoso.com", "A", "192.0.2.10", 300],
        ["after.contoso.com", "A", "192.0.2.9", 300],
      ],
    );
    assert.match(zone.records[2]?.file ?? "", /sub[\\/]eu\.inc$/);
  });

  void it("refuses include loops and deep nesting", async () => {
    await assert.rejects(loadZoneFile(join(dir, "loop-a.zone"), { origin: "x.test" }), (e: unknown) => {
      assert.ok(e instanceof ZoneFileError);
      assert.match(
        e.message,
        /loop-b\.zone:2:1: \$INCLUDE loop-a\.zone includes itself \(a loop\) \(included from .*loop-a\.zone:2\)$/,
      );
      return true;
    });
    await assert.rejects(
      loadZoneFile(join(dir, "contoso.com.zone"), { maxIncludeDepth: 1 }),
      /eu\.inc:2:1: \$INCLUDE nested deeper than 1 levels/,
    );
  });

  void it("reports errors inside an included file with the include site", async () => {
    await assert.rejects(loadZoneFile(join(dir, "broken.zone"), { origin: "x.test" }), (e: unknown) => {
      assert.ok(e instanceof ZoneFileError);
      assert.equal(e.line, 3);
      assert.match(e.message, /broken\.inc:3:5: CNAME record: no RDATA \(included from .*broken\.zone:2\)$/);
      return true;
    });
    await assert.rejects(
      loadZoneFile(join(dir, "missing.zone"), { origin: "x.test" }),
      /missing\.zone:1:1: \$INCLUDE nowhere\.inc: no such file/,
    );
  });

  void it("reports an unreadable or oversized file without a line", async () => {
    await assert.rejects(loadZoneFile(join(dir, "absent.zone")), /absent\.zone: no such file$/);
    await assert.rejects(
      loadZoneFile(join(dir, "contoso.com.zone"), { maxBytes: 10 }),
      /contoso\.com\.zone: too large/,
    );
    await assert.rejects(loadZoneFile(dir), /: is a directory, not a file$/);
  });

  void it(
    "refuses a FIFO and /dev/zero at once instead of hanging or filling memory",
    { timeout: 10_000 },
    async () => {
      const fifo = join(dir, "pipe.zone");
      execFileSync("mkfifo", [fifo]);
      try {
        await assert.rejects(
          loadZoneFile(fifo, { origin: "x.test" }),
          /pipe\.zone: is a named pipe \(FIFO\)/,
        );
      } finally {
        rmSync(fifo);
      }
      await assert.rejects(
        loadZoneFile("/dev/zero", { origin: "x.test" }),
        /\/dev\/zero: is a character device, not a regular file$/,
      );
    },
  );
});
