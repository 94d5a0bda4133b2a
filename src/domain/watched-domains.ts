/**
 * @module domain/watched-domains
 * The organisation's watched domains, and which of them a certificate name falls under (the domain itself
 * or any name below it) in a few hash lookups, whatever the number of domains.
 */

export class WatchedDomains {
  readonly #domains: Set<string>;

  /** Domains as config gives them: lower case, ASCII (punycode), no trailing dot. */
  constructor(domains: Iterable<string>) {
    this.#domains = new Set([...domains].map((d) => d.toLowerCase().replace(/\.$/, "")));
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
    for (let i = 0; ;) {
      const candidate = i === 0 ? n : n.slice(i);
      if (this.#domains.has(candidate)) return candidate;
      const dot = n.indexOf(".", i);
      if (dot < 0) return null;
      i = dot + 1;
    }
  }
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}
