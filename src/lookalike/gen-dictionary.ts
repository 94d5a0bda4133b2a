/**
 * @module lookalike/gen-dictionary
 * The built-in word list of the dictionary family: words phishing domains glue to a brand
 * (`contoso-login.com`, `securecontoso.com`). `GenerateOptions.dictionary` replaces it.
 */

/** Lower-case ASCII letters and digits only (dnstwist keeps only `isalnum()` words too). */
// prettier-ignore
export const DEFAULT_DICTIONARY: readonly string[] = [
  "login", "logon", "signin", "sso", "auth", "secure", "security", "account", "accounts", "verify",
  "verification", "update", "support", "help", "helpdesk", "service", "services", "customer", "mail", "email",
  "webmail", "portal", "online", "web", "www", "app", "apps", "my", "id", "shop", "store", "pay", "payment",
  "payments", "billing", "invoice", "bank", "wallet", "admin", "cloud", "office", "docs", "drive", "files",
  "vpn", "remote", "access", "password", "reset", "recovery", "alert", "notice", "info", "official", "group",
  "corp", "hr", "careers", "jobs", "promo", "gift", "rewards", "crypto", "cdn", "api", "dev", "test", "live",
];
