/**
 * @module lookalike/gen-tlds
 * The built-in public-suffix list of the tld-swap family: the suffixes most registered and most abused for
 * lookalikes (`contoso.net`, `contoso.co`, `contoso.xyz`). `GenerateOptions.tlds` replaces it.
 */

/** Lower-case ASCII; one or two labels (two-label suffixes such as `co.uk` are where registries sell names). */
// prettier-ignore
export const DEFAULT_TLDS: readonly string[] = [
  // generic
  "com", "net", "org", "info", "biz", "name", "pro", "mobi", "io", "co", "me", "tv", "cc", "ws", "app", "dev",
  "xyz", "top", "online", "site", "website", "shop", "store", "live", "club", "vip", "icu", "link", "click",
  "support", "help", "email", "services", "security", "cloud", "tech", "space", "fun", "buzz", "work", "group",
  "company", "digital", "network", "systems", "solutions", "agency", "global", "world", "today", "page",
  "sbs", "cfd", "bond", "monster", "rest", "lol", "cyou", "quest",
  // country codes most used for lookalikes
  "us", "uk", "co.uk", "de", "fr", "nl", "eu", "be", "ch", "at", "it", "es", "pt", "pl", "cz", "se", "dk", "no",
  "fi", "ie", "ru", "su", "ua", "cn", "com.cn", "hk", "tw", "jp", "co.jp", "kr", "in", "co.in", "sg", "my", "id",
  "ph", "vn", "th", "au", "com.au", "nz", "co.nz", "ca", "mx", "com.mx", "br", "com.br", "ar", "cl", "co.za",
  "ng", "ke", "tk", "ml", "ga", "cf", "gq", "pw", "la", "ly", "to", "gg", "ai", "sh", "st", "am", "fm", "im",
];
