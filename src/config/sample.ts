/**
 * @module config/sample
 * The commented certwatch.yaml that `certwatch init` writes: every key, its default, and what it is for.
 */
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { resolve } from "node:path";
import { ConfigError } from "./load.js";

export const SAMPLE_CONFIG = `# certwatch configuration. Reference: docs/config.md
# Relative paths below are relative to this file. Keys left commented out take the default shown.

# Watched domains: certificates in CT logs naming them (or imitating them), subdomain takeover.
# A watched domain covers all its subdomains.
domains: []
#  - contoso.com

# HTTPS servers to scan. Every A/AAAA address behind a name is checked.
# Write https://host[:port] (port 443 by default), or an object to pin addresses.
endpoints:
  - https://example.com
  - https://www.wikipedia.org
#  - url: https://api.contoso.com:8443
#    addresses: [203.0.113.7, "2001:db8::7"]  # connect to these instead of resolving the name
#    serverName: api.contoso.com              # name sent in the TLS handshake (default: the host)
#    scanIntervalMinutes: 15                  # certwatch serve scans it this often (default schedule's)

# Which roots a served chain may end at (scanning; delivery uses notify.<target>.tls.caFile).
#trust:
#  extraRoots: [./internal-root.pem]  # PEM files trusted beside the system roots
#  systemRoots: true                  # false: trust only extraRoots

# DNS resolution (default: the system's resolvers).
#dns:
#  servers: ["1.1.1.1", "[2606:4700:4700::1111]:53"]
#  timeoutMs: 5000
#  tries: 2

# TLS scanning.
#scan:
#  concurrency: 32              # connections at once (1..1024)
#  connectTimeoutMs: 5000
#  handshakeTimeoutMs: 8000
#  httpTimeoutMs: 5000          # the HTTPS request that reads the HSTS header
#  maxResponseHeaderBytes: 65536
#  legacyProtocols: true        # also try TLS 1.0 and 1.1 (event 101)
#  hsts: true                   # check Strict-Transport-Security (events 42, 103)

# Revocation of every served certificate and intermediate (events 30, 32, 35, 104).
#revocation:
#  crl: true                    # download CRLs (cached until their nextUpdate)
#  ocsp: true                   # ask OCSP responders (stapled responses are always used)
#  timeoutMs: 10000             # one CRL download or OCSP request
#  crlMaxBytes: 33554432        # largest CRL accepted (32 MiB)
#  ocspMaxBytes: 65536
#  allowPrivateAddresses: false # true lets CRL/OCSP URLs reach private addresses (an internal PKI)
#  maxDistributionPoints: 3     # CRLs fetched per certificate; the others are reported
#  concurrency: 8               # CRL downloads and OCSP requests at once

# When to alert.
#thresholds:
#  expiringSoonDays: 30         # expiring = fewer days left than this...
#  expiringSoonFraction: 0.33   # ...and less than this fraction of the lifetime left
#  minRsaBits: 2048
#  minEcBits: 256
#  minHstsMaxAge: 15552000      # 180 days

# Override an event's default severity (info, low, medium, high, critical), by name or id.
#severity:
#  wildcard-certificate: info
#  "42": high

# Certificate Transparency.
#ct:
#  logList: google             # Google's live list (verified, cached); none; or a v3 log list file
#  logs:                        # logs given inline (beside the list)
#    - url: https://ct.example/2026/
#      key: <base64 DER SubjectPublicKeyInfo>
#      name: Example 2026
#      type: rfc6962            # or static-ct (a tiled log)
#      submissionUrl: https://log.example/2026/   # tiled logs: the submission prefix (checkpoint origin)
#  startAt: end                 # or beginning: backfill history without alerting on it
#  batchSize: 256               # entries per get-entries request
#  concurrency: 4               # requests in flight per log
#  requestsPerSecond: 20        # per log: the rate to start at (the fixed rate with adaptive: false)
#  adaptive: true               # the rate rises while a log answers fast, drops on 429/503/errors/slowness
#  maxRequestsPerSecond: 100    # per log: the ceiling of the adaptive rate
#  logConcurrency: 8            # logs read at the same time
#  timeoutMs: 30000
#  maxRetryAfterSeconds: 300    # the longest Retry-After honoured (longer ones are cut to this)
#  pollSeconds: 60              # follow mode: seconds between reads of a log
#  logListRefreshMinutes: 360   # follow mode: how often the log list is downloaded again
#  caaCacheSeconds: 3600        # how long a CAA answer is reused

# More host names to check for subdomain takeover (CT adds what it sees).
#names: [legacy.contoso.com]
# BIND zone files: every name in them is checked for takeover.
#zoneFiles: [./contoso.com.zone]

# Lookalike domains (event 12): generated permutations resolved by "certwatch domains", and CT names.
#lookalikes:
#  ignore: [contoso-partner.com]  # registrable domains that never alert
#  own: [contoso.net]             # your other domains: never lookalikes
#  dictionary: [login, secure]    # words for the dictionary family (built-in list by default)
#  tlds: [com, net, org]          # suffixes for the TLD-swap family (built-in list by default)
#  maxCandidates: 20000           # per watched domain
#  concurrency: 64                # DNS questions in flight

# Subdomain takeover (event 18).
#takeover:
#  tries: 3                       # NXDOMAIN must repeat on every try
#  http: true                     # fetch http://<name>/ for providers with an HTTP fingerprint
#  httpTimeoutMs: 5000
#  allowPrivateAddresses: false   # true lets that fetch reach loopback/private/link-local addresses
#  concurrency: 32

# Issuing-CA key (hex SHA-256 of its SubjectPublicKeyInfo) -> its CAA identifiers,
# beside the bundled table.
#caa:
#  issuers:
#    "0000000000000000000000000000000000000000000000000000000000000000": [ca.example]

# Roots (PEM files) that never raise event 20 (different-root).
#allowedRoots: [./our-other-root.pem]

# Base URL of the dashboard, for links in e-mails and webhooks.
#publicUrl: https://certwatch.contoso.com/

# certwatch serve: where the dashboard, REST API, /metrics, /healthz and /readyz answer.
#server:
#  host: 127.0.0.1              # loopback only; 0.0.0.0 or :: for every interface
#  port: 8080
#  tls: { certFile: ./tls.crt, keyFile: ./tls.key }  # HTTPS (default: plain HTTP)
#  headersTimeoutSeconds: 10
#  requestTimeoutSeconds: 60

# certwatch serve: how often each check runs (CT and delivery run continuously).
#schedule:
#  scanIntervalMinutes: 60      # each endpoint; endpoints[].scanIntervalMinutes overrides it
#  domainsIntervalHours: 24     # takeover and lookalike checks
#  startSpreadSeconds: 300      # first scans start at random within this, not all at once
#  shutdownTimeoutSeconds: 30   # on SIGTERM, time given to work in progress
#  scanDiscoveredHosts: false   # true: hosts first seen in CT under a watched domain are scanned too
#  maxManagedEndpoints: 10000  # endpoints the REST API and CT discovery may add, in all (0: none)
#  keepObservationsDays: 30     # scan observations kept this long (each address's newest always)

# certwatch worker (PostgreSQL): several processes sharing the work (docs/scale-out.md).
#work:
#  plannerSeconds: 15           # the worker holding the planner lease sends the jobs due this often
#  leaseSeconds: 30             # a CT log's or a scan's lease; a dead worker's work is taken over after this
#  pollSeconds: 2               # an idle worker asks the job queue this often
#  listen: 10.0.0.5:9464        # /healthz, /readyz, /metrics of the worker (none by default); --listen overrides it

# certwatch serve: sign-in sessions of the dashboard and REST API (users: certwatch user add NAME --role admin).
#auth:
#  sessionIdleMinutes: 30       # signed out after this long without a request (1..1440)
#  sessionMaxHours: 12          # and this long after signing in, however active (1..720)
#  oidc:                        # single sign-on (docs/config.md); needs publicUrl. Redirect URI to register:
#                               #   <publicUrl>/api/v1/session/oidc/callback; post-logout redirect URI: <publicUrl>/
#    issuer: https://login.microsoftonline.com/<tenant-id>/v2.0   # https only
#    clientId: <client id>
#    clientSecret: { env: CERTWATCH_OIDC_CLIENT_SECRET }         # or { file: ./oidc-secret }
#    name: Contoso account         # the sign-in button's label
#    scopes: [openid, email, profile]
#    roleClaim: groups             # whose values map to roles (the highest match wins)
#    roles: { certwatch-admins: admin, secops: operator, it-staff: viewer }
#    defaultRole: none             # for a user with no mapped value: none refuses the sign-in
#    autoProvision: true           # create the user at its first sign-in
#    userNameClaim: preferred_username   # the new user's name (default preferred_username, else email)
#    caFile: ./idp-ca.pem          # only for a provider under a private CA
#    providerLogout: true          # signing out also signs out at the provider, when it has an end-session endpoint

# Where alerts are delivered: e-mail, Sentinel, Splunk, syslog, webhooks (docs/siem.md). Every alert that
# opens, reopens or resolves is queued for each target in the same transaction, and sent before the command
# exits. Secrets are { env: NAME } or { file: ./path }, never written here.
#notify:
#  splunk:
#    url: https://splunk.contoso.com:8088
#    token: { env: SPLUNK_HEC_TOKEN }
#    minSeverity: medium           # route by severity...
#    events: [18, 20, 29, 30]      # ...and by event (ids or names)
#    tls: { caFile: ./splunk-ca.pem }  # trust only this CA for this target (default: the bundled public roots)
#  soc-mail:
#    type: email
#    host: smtp.contoso.com
#    username: certwatch
#    password: { file: ./smtp-password }
#    from: certwatch@contoso.com
#    to: [soc@contoso.com]
#    mode: digest
#    renotifyAfterDays: 7          # remind about alerts still open a week later
#notify: {}

# How queued notifications are sent: retries back off from retryDelaySeconds, doubling (with jitter) up to
# maxRetryDelaySeconds; a command waits at most drainTimeoutSeconds for the outbox before it exits.
#delivery:
#  drainTimeoutSeconds: 30
#  retryDelaySeconds: 1
#  maxRetryDelaySeconds: 3600

# Where data lives: an SQLite file (default, beside this file) or PostgreSQL.
store: sqlite:./certwatch.db
#store: postgres://certwatch@db.contoso.com/certwatch
`;

export interface WriteSampleOptions {
  /** Replace an existing file. */
  readonly force?: boolean;
}

/** Writes SAMPLE_CONFIG to `path` (never over an existing file unless forced); returns the absolute path. */
export async function writeSampleConfig(path: string, options: WriteSampleOptions = {}): Promise<string> {
  const file = resolve(path);
  try {
    const fh = await openForWriting(file, options.force === true);
    try {
      await fh.writeFile(SAMPLE_CONFIG);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      const message = "already exists; not overwriting it (use --force to replace it)";
      throw new ConfigError("CONFIG_EXISTS", file, [{ path: "", message }]);
    }
    const message = `cannot write it: ${e instanceof Error ? e.message : String(e)}`;
    throw new ConfigError("CONFIG_UNWRITABLE", file, [{ path: "", message }]);
  }
  return file;
}

/**
 * A new file is created 0600, and set to 0600 again before a byte is written, whatever the umask: a config names
 * internal hosts and where secrets live. With `force`, an existing file is truncated and keeps the mode its owner
 * chose (it is never re-created with another).
 */
async function openForWriting(file: string, force: boolean): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, "wx", 0o600);
  } catch (e) {
    if (!force || (e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return open(file, constants.O_WRONLY | constants.O_TRUNC);
  }
  try {
    await fh.chmod(0o600);
  } catch (e) {
    await fh.close();
    throw e;
  }
  return fh;
}
