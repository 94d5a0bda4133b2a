/**
 * @module pki/ca-identifiers
 * certwatch's own table of CA owners and the CAA issuer domains (RFC 8659) each recognises, and the
 * lookup that names the owner of a certificate's issuer: config key, issuing-CA key, root, issuer name.
 */
import { bundledRoots } from "./trust-store.js";
import type { ParsedCertificate } from "./certificate.js";

export interface CaaIdentifierMatch {
  /** Lower-case issuer domain names, no trailing dot; an `issue`/`issuewild` value naming one authorises. */
  readonly identifiers: readonly string[];
  /** The CA owner, for people; null when the identifiers come from config alone. */
  readonly owner: string | null;
  readonly via: "config" | "issuing-ca-key" | "root" | "issuer-name";
}

export interface IssuerFacts {
  /** Hex SHA-256 of the issuing CA's SubjectPublicKeyInfo; null when the issuing certificate is unknown. */
  readonly issuingCaKeySha256: string | null;
  /** Hex SHA-256 of the SubjectPublicKeyInfo of the root the chain ends at; null when none was found. */
  readonly rootSpkiSha256: string | null;
  /** The leaf's issuer name as summarize() prints it, e.g. "C=US, O=Let's Encrypt, CN=R11". */
  readonly issuerDn: string;
}

/** Every given attribute must have a value matching its pattern (O, OU, CN of a distinguished name). */
export interface NameRule {
  readonly o?: RegExp;
  readonly ou?: RegExp;
  readonly cn?: RegExp;
}

export interface CaOwner {
  readonly owner: string;
  readonly identifiers: readonly string[];
  /** Hex SHA-256 of issuing-CA SubjectPublicKeyInfos, each checked against its signing root before entry. */
  readonly issuingCaKeys: readonly string[];
  /** Matched against the subjects of the bundled roots (their keys are hashed at run time). */
  readonly roots: readonly NameRule[];
  /** Matched against the leaf's issuer name when neither key nor root identifies the CA. */
  readonly issuerNames: readonly NameRule[];
}

const SECTIGO_IDS = ["sectigo.com", "comodoca.com", "comodo.com", "usertrust.com", "trust-provider.com"];

/**
 * One entry per CA owner. Identifiers follow each CA's CPS/CAA documentation (CCADB's CAA identifier
 * report lists the same per owner). Let's Encrypt keys: R10–R14, E5–E9 (2024 hierarchy, signed by ISRG
 * Root X1/X2) and YR1–YR3, YE1–YE3 (Gen Y, signed by Root YR/YE), each signature verified when added.
 */
export const CA_OWNERS: readonly CaOwner[] = [
  {
    owner: "Let's Encrypt (ISRG)",
    identifiers: ["letsencrypt.org"],
    issuingCaKeys: [
      "2bbad93ab5c79279ec121507f272cbe0c6647a3aae52e22f388afab426b4adba", // R10
      "6ddac18698f7f1f7e1c69b9bce420d974ac6f94ca8b2c761701623f99c767dc7", // R11
      "919c0df7a787b597ed056ace654b1de9c0387acf349f73734a4fd7b58cf612a4", // R12
      "025490860b498ab73c6a12f27a49ad5fe230fafe3ac8f6112c9b7d0aad46941d", // R13
      "f1647a5ee3efac54c892e930584fe47979b7acd1c76c1271bca1c5076d869888", // R14
      "3586d4ecf070578cbd27aedce20b964e48bc149faeb9dad72f46b857869172b8", // E5
      "d016e1fe311948aca64f2de44ce86c9a51ca041df6103bb52a88eb3f761f57d7", // E6
      "cbbc559b44d524d6a132bdac672744da3407f12aae5d5f722c5f6c7913871c75", // E7
      "885bf0572252c6741dc9a52f5044487fef2a93b811cdedfad7624cc283b7cdd5", // E8
      "f1440a9b76e1e41e53a4cb461329bf6337b419726be513e42e19f1c691c5d4b2", // E9
      "2e8307068b6db620e4a39d068b5dee5d6ef5788cbb2c0b6d23ead84fcc17178c", // YR1
      "9d637b3d27a9e570d07607b9ccadb80a70915c7af72afce12841b1b1da825fd1", // YR2
      "51aaa87d984b559ac69e929f888a022d832e089ff4dba0a412b5101bca4bc799", // YR3
      "6ebcefb4210b088654a38b03fea3d7d1c711b4fb1ddc363a45f9b1a4e53da01e", // YE1
      "b3fb5d00e994cddf2cc9a4eea9f806bc5727e83cc0e4299bf956f2d524fe5376", // YE2
      "a698a20824be04e47a1a33c4fa488731be92011f23a31e900e2ca26c9c2acfce", // YE3
    ],
    roots: [{ o: /^Internet Security Research Group$/ }, { o: /^ISRG$/ }],
    issuerNames: [{ o: /^Let's Encrypt$/i }, { o: /^(Internet Security Research Group|ISRG)$/ }],
  },
  {
    owner: "DigiCert",
    identifiers: [
      "digicert.com",
      "www.digicert.com",
      "digicert.ne.jp",
      "symantec.com",
      "thawte.com",
      "geotrust.com",
      "rapidssl.com",
      "digitalcertvalidation.com",
      "1and1.digitalcertvalidation.com",
      "intermediatecertificate.digitalcertvalidation.com",
      "stratossl.digitalcertvalidation.com",
      "volusion.digitalcertvalidation.com",
    ],
    issuingCaKeys: [],
    roots: [
      { o: /^DigiCert/ },
      { o: /^(GeoTrust|thawte|VeriSign|Symantec)\b/i },
      { o: /^Baltimore$/, cn: /^Baltimore CyberTrust Root$/ },
    ],
    issuerNames: [{ o: /^DigiCert/ }, { o: /^(GeoTrust|thawte|RapidSSL|VeriSign|Symantec)\b/i }],
  },
  {
    owner: "QuoVadis (DigiCert)",
    identifiers: ["quovadisglobal.com", "digicert.com"],
    issuingCaKeys: [],
    roots: [{ o: /^QuoVadis\b/ }],
    issuerNames: [{ o: /^QuoVadis\b/ }],
  },
  {
    owner: "Sectigo",
    identifiers: SECTIGO_IDS,
    issuingCaKeys: [],
    roots: [
      { o: /^Sectigo\b/ },
      { o: /^COMODO CA Limited$/i },
      { o: /^The USERTRUST Network$/ },
      { o: /^AddTrust AB$/ },
    ],
    issuerNames: [
      { o: /^Sectigo\b/ },
      { o: /^COMODO CA Limited$/i },
      { o: /^The USERTRUST Network$/ },
      // Brands whose issuing CAs Sectigo operates under its own roots.
      { o: /^cPanel, Inc\.?$/ },
      { o: /^GoGetSSL$/ },
      { o: /^Gandi$/ },
    ],
  },
  {
    // A Sectigo brand: its issuing CAs are operated by Sectigo, which checks CAA for them.
    owner: "ZeroSSL",
    identifiers: SECTIGO_IDS,
    issuingCaKeys: [],
    roots: [],
    issuerNames: [{ o: /^ZeroSSL$/ }],
  },
  {
    owner: "GlobalSign",
    identifiers: ["globalsign.com"],
    issuingCaKeys: [],
    roots: [{ o: /^GlobalSign\b/ }],
    issuerNames: [{ o: /^GlobalSign\b/ }],
  },
  {
    owner: "Google Trust Services",
    identifiers: ["pki.goog"],
    issuingCaKeys: [],
    roots: [{ o: /^Google Trust Services\b/ }],
    issuerNames: [{ o: /^Google Trust Services\b/ }],
  },
  {
    owner: "Amazon Trust Services",
    identifiers: ["amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com", "aws.amazon.com"],
    issuingCaKeys: [],
    // Amazon bought the Starfield Services root; the GoDaddy-operated Starfield roots are matched below.
    roots: [{ o: /^Amazon$/ }, { cn: /^Starfield Services Root Certificate Authority\b/ }],
    issuerNames: [{ o: /^Amazon$/ }],
  },
  {
    owner: "Microsoft",
    identifiers: ["microsoft.com"],
    issuingCaKeys: [],
    roots: [{ o: /^Microsoft Corporation$/, cn: /^Microsoft (RSA|ECC) Root Certificate Authority\b/ }],
    issuerNames: [{ o: /^Microsoft Corporation$/ }],
  },
  {
    owner: "Entrust",
    identifiers: ["entrust.net", "affirmtrust.com"],
    issuingCaKeys: [],
    roots: [{ o: /^Entrust\b/ }, { o: /^AffirmTrust$/ }],
    issuerNames: [{ o: /^Entrust\b/ }, { o: /^AffirmTrust$/ }],
  },
  {
    owner: "GoDaddy (Starfield)",
    identifiers: ["godaddy.com", "starfieldtech.com"],
    issuingCaKeys: [],
    roots: [
      { o: /^(GoDaddy\.com|The Go Daddy Group)\b/ },
      { o: /^Starfield Technologies\b/, cn: /^Starfield (Root|Class 2)\b/ },
      { o: /^Starfield Technologies\b/, ou: /^Starfield Class 2 Certification Authority$/ },
    ],
    issuerNames: [{ o: /^(GoDaddy\.com|The Go Daddy Group)\b/ }, { o: /^Starfield Technologies\b/ }],
  },
  {
    owner: "Buypass",
    identifiers: ["buypass.com", "buypass.no"],
    issuingCaKeys: [],
    roots: [{ o: /^Buypass AS\b/ }],
    issuerNames: [{ o: /^Buypass AS\b/ }],
  },
  {
    owner: "Certum (Asseco)",
    identifiers: ["certum.pl", "certum.eu"],
    issuingCaKeys: [],
    roots: [{ o: /^(Asseco Data Systems|Unizeto Technologies)\b/, ou: /^Certum\b/ }],
    issuerNames: [{ o: /^(Asseco Data Systems|Unizeto Technologies)\b/ }, { o: /^Certum\b/ }],
  },
  {
    owner: "HARICA",
    identifiers: ["harica.gr"],
    issuingCaKeys: [],
    roots: [{ o: /^Hellenic Academic and Research Institutions\b/ }],
    issuerNames: [{ o: /^Hellenic Academic and Research Institutions\b/ }],
  },
  {
    owner: "SSL.com",
    identifiers: ["ssl.com"],
    issuingCaKeys: [],
    roots: [{ o: /^SSL Corporation$/ }],
    issuerNames: [{ o: /^SSL Corp(oration)?$/ }],
  },
  {
    owner: "Actalis",
    identifiers: ["actalis.it"],
    issuingCaKeys: [],
    roots: [{ o: /^Actalis S\.p\.A\./ }],
    issuerNames: [{ o: /^Actalis S\.p\.A\./ }],
  },
  {
    owner: "IdenTrust",
    identifiers: ["identrust.com", "www.identrust.com"],
    issuingCaKeys: [],
    roots: [{ o: /^IdenTrust$/ }],
    issuerNames: [{ o: /^IdenTrust$/ }],
  },
  {
    owner: "Telia",
    identifiers: ["telia.com", "telia.fi", "telia.se", "trust.telia.com", "acme.trust.telia.com"],
    issuingCaKeys: [],
    roots: [{ o: /^(Telia Finland Oyj|Telia Company AB|TeliaSonera)$/ }],
    issuerNames: [{ o: /^(Telia Finland Oyj|Telia Company AB|TeliaSonera)$/ }],
  },
  {
    owner: "SwissSign",
    identifiers: ["swisssign.com"],
    issuingCaKeys: [],
    roots: [{ o: /^SwissSign AG$/ }],
    issuerNames: [{ o: /^SwissSign AG$/ }],
  },
  {
    owner: "D-Trust",
    identifiers: ["d-trust.net", "d-trust.de", "dtrust.de"],
    issuingCaKeys: [],
    roots: [{ o: /^D-Trust GmbH$/ }],
    issuerNames: [{ o: /^D-Trust GmbH$/ }],
  },
  {
    owner: "Deutsche Telekom Security (T-Systems)",
    identifiers: ["telesec.de"],
    issuingCaKeys: [],
    roots: [{ o: /^(Deutsche Telekom Security GmbH|T-Systems Enterprise Services GmbH)$/ }],
    issuerNames: [
      {
        o: /^(Deutsche Telekom Security GmbH|T-Systems International GmbH|T-Systems Enterprise Services GmbH)$/,
      },
    ],
  },
  {
    owner: "Certainly",
    identifiers: ["certainly.com"],
    issuingCaKeys: [],
    roots: [{ o: /^Certainly$/ }],
    issuerNames: [{ o: /^Certainly$/ }],
  },
  {
    owner: "Microsec (e-Szigno)",
    identifiers: ["e-szigno.hu"],
    issuingCaKeys: [],
    roots: [{ o: /^Microsec Ltd\.$/ }],
    issuerNames: [{ o: /^Microsec Ltd\.$/ }],
  },
  {
    owner: "TWCA",
    identifiers: ["twca.com.tw"],
    issuingCaKeys: [],
    roots: [{ o: /^TAIWAN-CA$/ }],
    issuerNames: [{ o: /^TAIWAN-CA\b/ }],
  },
  {
    owner: "Chunghwa Telecom",
    identifiers: ["pki.hinet.net", "tls.hinet.net", "eca.hinet.net", "publicca.hinet.net", "epki.com.tw"],
    issuingCaKeys: [],
    roots: [{ o: /^Chunghwa Telecom Co\., Ltd\.$/ }],
    issuerNames: [{ o: /^Chunghwa Telecom Co\., Ltd\.$/ }],
  },
  {
    owner: "SECOM Trust Systems",
    identifiers: ["secomtrust.net"],
    issuingCaKeys: [],
    roots: [{ o: /^SECOM Trust Systems CO\.,LTD\.$/i }],
    issuerNames: [{ o: /^SECOM Trust Systems\b/i }],
  },
  {
    owner: "Cybertrust Japan",
    identifiers: ["cybertrust.ne.jp", "cybertrust.co.jp"],
    issuingCaKeys: [],
    roots: [{ o: /^Cybertrust Japan Co\., Ltd\.$/ }],
    issuerNames: [{ o: /^Cybertrust Japan Co\., Ltd\.$/ }],
  },
  {
    owner: "OISTE/WISeKey",
    identifiers: ["wisekey.com", "hightrusted.com", "certifyid.com", "oiste.org"],
    issuingCaKeys: [],
    roots: [{ o: /^(WISeKey|OISTE Foundation)$/ }],
    issuerNames: [{ o: /^(WISeKey|OISTE Foundation)$/ }],
  },
  {
    owner: "Viking Cloud (SecureTrust, Trustwave)",
    identifiers: ["securetrust.com", "trustwave.com", "vikingcloud.com"],
    issuingCaKeys: [],
    roots: [{ o: /^(SecureTrust Corporation|Trustwave Holdings, Inc\.)$/ }],
    issuerNames: [{ o: /^(SecureTrust Corporation|Trustwave Holdings, Inc\.|Viking Cloud, Inc\.)$/ }],
  },
  {
    owner: "eMudhra (emSign)",
    identifiers: ["emsign.com"],
    issuingCaKeys: [],
    roots: [{ o: /^eMudhra\b/, ou: /^emSign PKI$/ }],
    issuerNames: [{ o: /^eMudhra\b/ }],
  },
  {
    owner: "Certigna (Dhimyotis)",
    identifiers: ["certigna.com", "certigna.fr"],
    issuingCaKeys: [],
    roots: [{ o: /^Dhimyotis$/, cn: /^Certigna\b/ }],
    issuerNames: [{ o: /^(Dhimyotis|Certigna)$/ }],
  },
  {
    owner: "certSIGN",
    identifiers: ["certsign.ro"],
    issuingCaKeys: [],
    roots: [{ o: /^(certSIGN|CERTSIGN SA)$/i }],
    issuerNames: [{ o: /^(certSIGN|CERTSIGN SA)$/i }],
  },
  {
    owner: "Disig",
    identifiers: ["disig.sk"],
    issuingCaKeys: [],
    roots: [{ o: /^Disig a\.s\.$/ }],
    issuerNames: [{ o: /^Disig a\.s\.$/ }],
  },
  {
    owner: "NETLOCK",
    identifiers: ["netlock.hu", "netlock.net", "netlock.eu", "netlock.com"],
    issuingCaKeys: [],
    roots: [{ o: /^NetLock Kft\.$/i }],
    issuerNames: [{ o: /^NetLock Kft\.$/i }],
  },
  {
    owner: "Izenpe",
    identifiers: ["izenpe.com", "izenpe.eus"],
    issuingCaKeys: [],
    roots: [{ o: /^IZENPE S\.A\.$/i }],
    issuerNames: [{ o: /^IZENPE S\.A\.$/i }],
  },
  {
    owner: "Firmaprofesional",
    identifiers: ["firmaprofesional.com"],
    issuingCaKeys: [],
    roots: [{ o: /^Firmaprofesional SA$/ }, { cn: /^Autoridad de Certificacion Firmaprofesional\b/ }],
    issuerNames: [{ o: /^Firmaprofesional SA$/ }],
  },
  {
    owner: "FNMT-RCM",
    identifiers: ["fnmt.es"],
    issuingCaKeys: [],
    roots: [{ o: /^FNMT-RCM$/ }],
    issuerNames: [{ o: /^FNMT-RCM$/ }],
  },
  {
    owner: "ACCV",
    identifiers: ["accv.es"],
    issuingCaKeys: [],
    roots: [{ o: /^ACCV$/, ou: /^PKIACCV$/ }],
    issuerNames: [{ o: /^ACCV$/ }],
  },
  {
    owner: "ANF AC",
    identifiers: ["anf.es"],
    issuingCaKeys: [],
    roots: [{ o: /^ANF Autoridad de Certificacion$/ }],
    issuerNames: [{ o: /^ANF Autoridad de Certificacion$/ }],
  },
  {
    owner: "Eviden (Atos)",
    identifiers: ["atos.net", "pki.eviden.com"],
    issuingCaKeys: [],
    roots: [{ o: /^Atos$/, cn: /^Atos TrustedRoot\b/ }],
    issuerNames: [{ o: /^(Atos|Eviden)$/ }],
  },
  {
    owner: "KIR (Szafir)",
    identifiers: ["elektronicznypodpis.pl"],
    issuingCaKeys: [],
    roots: [{ o: /^Krajowa Izba Rozliczeniowa S\.A\.$/ }],
    issuerNames: [{ o: /^Krajowa Izba Rozliczeniowa S\.A\.$/ }],
  },
  {
    owner: "Kamu SM (TUBITAK)",
    identifiers: ["kamusm.gov.tr"],
    issuingCaKeys: [],
    roots: [{ o: /\bTUBITAK$/, ou: /\bKamu SM$/ }],
    issuerNames: [{ o: /\bTUBITAK$/ }],
  },
  {
    owner: "TunTrust",
    identifiers: ["tuntrust.tn"],
    issuingCaKeys: [],
    roots: [{ o: /^Agence Nationale de Certification Electronique$/, cn: /^TunTrust\b/ }],
    issuerNames: [{ o: /^Agence Nationale de Certification Electronique$/ }],
  },
  {
    owner: "Hongkong Post (Certizen)",
    identifiers: ["hongkongpost.gov.hk", "ecert.gov.hk"],
    issuingCaKeys: [],
    roots: [{ o: /^Hongkong Post$/ }],
    issuerNames: [{ o: /^Hongkong Post$/ }],
  },
  {
    owner: "NAVER Cloud Trust Services",
    identifiers: ["navercloudtrust.com"],
    issuingCaKeys: [],
    roots: [{ o: /^NAVER (BUSINESS PLATFORM|Cloud) Corp\.$/i }],
    issuerNames: [{ o: /^NAVER (BUSINESS PLATFORM|Cloud) Corp\.$/i }],
  },
  {
    owner: "BJCA",
    identifiers: ["bjca.cn"],
    issuingCaKeys: [],
    roots: [{ o: /^BEIJING CERTIFICATE AUTHORITY$/ }],
    issuerNames: [{ o: /^BEIJING CERTIFICATE AUTHORITY$/ }],
  },
  {
    owner: "CFCA",
    identifiers: ["cfca.com.cn"],
    issuingCaKeys: [],
    roots: [{ o: /^China Financial Certification Authority$/ }],
    issuerNames: [{ o: /^China Financial Certification Authority$/ }],
  },
  {
    owner: "GDCA",
    identifiers: ["gdca.com.cn"],
    issuingCaKeys: [],
    roots: [{ o: /^GUANG DONG CERTIFICATE AUTHORITY CO\.,LTD\.$/ }],
    issuerNames: [{ o: /^GUANG DONG CERTIFICATE AUTHORITY\b/ }],
  },
  {
    owner: "TrustAsia",
    identifiers: ["trustasia.com"],
    issuingCaKeys: [],
    roots: [{ o: /^TrustAsia Technologies, Inc\.$/ }],
    issuerNames: [{ o: /^TrustAsia Technologies, Inc\.$/ }],
  },
  {
    owner: "iTrusChina",
    identifiers: ["itrus.cn"],
    issuingCaKeys: [],
    roots: [{ o: /^iTrusChina Co\.,Ltd\.$/ }],
    issuerNames: [{ o: /^iTrusChina Co\.,Ltd\.$/ }],
  },
  {
    owner: "SHECA (UniTrust)",
    identifiers: ["sheca.com"],
    issuingCaKeys: [],
    roots: [{ o: /^UniTrust$/, cn: /^UCA\b/ }],
    issuerNames: [{ o: /^(UniTrust|Shanghai Electronic Certification Authority Co\.,Ltd\.)$/ }],
  },
  {
    owner: "e-commerce monitoring (GLOBALTRUST)",
    identifiers: ["globaltrust.eu"],
    issuingCaKeys: [],
    roots: [{ o: /^e-commerce monitoring GmbH$/, cn: /^GLOBALTRUST\b/ }],
    issuerNames: [{ o: /^e-commerce monitoring GmbH$/ }],
  },
  {
    owner: "Apple",
    identifiers: ["pki.apple.com"],
    issuingCaKeys: [],
    roots: [{ o: /^Apple Inc\.$/, cn: /^Apple Public Server\b/ }],
    issuerNames: [{ o: /^Apple Inc\.$/ }],
  },
];

/** One attribute of a distinguished name; `type` is upper-case (CN, O, OU, C, or a dotted OID). */
export interface DnAttribute {
  readonly type: string;
  readonly value: string;
}

/**
 * Splits a name printed by pki/certificate (RFC 4514 escaping, RDNs in encoded order, ", " between, "+"
 * inside multi-valued RDNs) into its attributes. Never throws: an unterminated escape is kept literally.
 */
export function parseDn(dn: string): DnAttribute[] {
  const out: DnAttribute[] = [];
  let type = "";
  let value = "";
  let inValue = false;
  const flush = (): void => {
    const t = type.trim().toUpperCase();
    if (t !== "") out.push({ type: t, value });
    type = "";
    value = "";
    inValue = false;
  };
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i] as string;
    if (c === "\\" && i + 1 < dn.length) {
      const hex = dn.slice(i + 1, i + 3);
      let ch: string;
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        ch = String.fromCharCode(parseInt(hex, 16));
        i += 2;
      } else {
        ch = dn[i + 1] as string;
        i += 1;
      }
      if (inValue) value += ch;
      else type += ch;
    } else if (!inValue && c === "=") {
      inValue = true;
    } else if (c === "," || c === "+") {
      flush();
      while (dn[i + 1] === " ") i++;
    } else if (inValue) value += c;
    else type += c;
  }
  flush();
  return out;
}

function ruleMatches(rule: NameRule, attrs: readonly DnAttribute[]): boolean {
  const fields: [RegExp | undefined, string][] = [
    [rule.o, "O"],
    [rule.ou, "OU"],
    [rule.cn, "CN"],
  ];
  let any = false;
  for (const [re, type] of fields) {
    if (re === undefined) continue;
    any = true;
    if (!attrs.some((a) => a.type === type && re.test(a.value))) return false;
  }
  return any;
}

function ownerByName(dn: string, pick: (o: CaOwner) => readonly NameRule[]): CaOwner | null {
  const attrs = parseDn(dn);
  return CA_OWNERS.find((o) => pick(o).some((r) => ruleMatches(r, attrs))) ?? null;
}

/** The owner whose root rules match this root subject, or null. */
export function rootOwnerOf(subject: string): CaOwner | null {
  return ownerByName(subject, (o) => o.roots);
}

/** The owner whose issuer-name rules match this issuer name, or null. */
export function issuerNameOwnerOf(issuerDn: string): CaOwner | null {
  return ownerByName(issuerDn, (o) => o.issuerNames);
}

const normalise = (id: string): string => id.trim().toLowerCase().replace(/\.$/, "");

export class CaaIdentifierTable {
  private readonly overrides = new Map<string, readonly string[]>();
  private readonly byIssuingKey = new Map<string, CaOwner>();
  private readonly byRootKey = new Map<string, CaOwner>();

  /**
   * @param overrides config `caa.issuers`: issuing-CA key (hex SPKI SHA-256) → CAA identifiers; wins over
   *   the bundled table.
   * @param roots the roots whose keys the root rules are applied to (default: Node's bundled roots).
   */
  constructor(
    overrides: Readonly<Record<string, readonly string[]>>,
    roots: readonly ParsedCertificate[] = bundledRoots(),
  ) {
    for (const [key, ids] of Object.entries(overrides)) {
      this.overrides.set(key.toLowerCase(), [...new Set(ids.map(normalise))]);
    }
    for (const owner of CA_OWNERS) {
      for (const key of owner.issuingCaKeys) this.byIssuingKey.set(key, owner);
    }
    for (const root of roots) {
      const owner = rootOwnerOf(root.subject);
      if (owner !== null && !this.byRootKey.has(root.spkiSha256)) this.byRootKey.set(root.spkiSha256, owner);
    }
  }

  /** How many distinct root keys the root rules claimed. */
  get mappedRootKeys(): number {
    return this.byRootKey.size;
  }

  /**
   * Config first, then the issuing-CA key, then the root, then the issuer name. When the root and the
   * issuer name name different owners (a CA's intermediate operated for another brand, e.g. Microsoft
   * under a DigiCert root), both owners' identifiers count, since either may be the one checking CAA.
   */
  lookup(f: IssuerFacts): CaaIdentifierMatch | null {
    const issuing = f.issuingCaKeySha256?.toLowerCase() ?? null;
    if (issuing !== null) {
      const ids = this.overrides.get(issuing);
      if (ids !== undefined) return { identifiers: ids, owner: null, via: "config" };
      const owner = this.byIssuingKey.get(issuing);
      if (owner !== undefined) return match(owner, "issuing-ca-key");
    }
    const rootKey = f.rootSpkiSha256?.toLowerCase() ?? null;
    // A leaf issued straight from a root: its issuing-CA key is the root's key.
    const root =
      (rootKey === null ? undefined : this.byRootKey.get(rootKey)) ??
      (issuing === null ? undefined : this.byRootKey.get(issuing));
    const named = issuerNameOwnerOf(f.issuerDn);
    if (root !== undefined) {
      if (named === null || named.owner === root.owner) return match(root, "root");
      return {
        identifiers: [...new Set([...root.identifiers, ...named.identifiers])],
        owner: `${named.owner} under ${root.owner} root`,
        via: "root",
      };
    }
    return named === null ? null : match(named, "issuer-name");
  }
}

function match(owner: CaOwner, via: CaaIdentifierMatch["via"]): CaaIdentifierMatch {
  return { identifiers: owner.identifiers, owner: owner.owner, via };
}
