/**
 * @module domain/watched-domains
 * The organisation's watched domains, and which of them a certificate name falls under (the domain itself
 * or any name below it) in a few hash lookups, whatever the number of domains.
 */

export class WatchedDomains {
  readonly #domains: Set<string>;
  /** Every label suffix of a watched domain (`com`, `contoso.com`): where a right-to-left walk may go on. */
  readonly #suffixes = new Set<string>();

  /** Domains as config gives them: lower case, ASCII (punycode), no trailing dot. */
  constructor(domains: Iterable<string>) {
    this.#domains = new Set([...domains].map((d) => d.toLowerCase().replace(/\.$/, "")));
    for (const d of this.#domains) {
      for (let i = 0; i >= 0; i = d.indexOf(".", i) + 1 || -1) this.#suffixes.add(d.slice(i));
    }
  }

  get size(): number {
    return this.#domains.size;
  }

  get list(): string[] {
    return [...this.#domains].sort();
  }

  /**
   * The watched domain a certificate name falls under (the most specific one when watched domains nest), or
   * null. A wildcard `*.shop.contoso.com` falls under what `shop.contoso.com` falls under.
   */
  domainOf(name: string): string | null {
    let n = name.length > 0 && name.charCodeAt(name.length - 1) === 46 ? name.slice(0, -1) : name;
    if (hasUpper(n)) n = n.toLowerCase();
    if (n.startsWith("*.")) n = n.slice(2);
    // Right to left, label by label, only while the suffix so far ends some watched domain: an unrelated
    // name costs one or two lookups however many labels it has.
    let found: string | null = null;
    for (let dot = n.lastIndexOf("."); ; dot = n.lastIndexOf(".", dot - 1)) {
      const suffix = dot < 0 ? n : n.slice(dot + 1);
      if (!this.#suffixes.has(suffix)) break;
      if (this.#domains.has(suffix)) found = suffix;
      if (dot <= 0) break;
    }
    return found;
  }
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}
