/**
 * @module checks/takeover-providers
 * The table of services a dangling CNAME (event 18) or NS delegation can point at, with each one's documented
 * takeover signal (NXDOMAIN of the target, or an HTTP fingerprint), takeover status and remediation.
 */

/*
 * Sources (our own table, written from these public lists; statuses as they stood when it was written):
 * - CNAME services: EdOverflow/can-i-take-over-xyz, fingerprints.json / README "All entries"
 *   (https://github.com/EdOverflow/can-i-take-over-xyz), "Status" column → `vulnerable`
 *   ("Vulnerable" → "yes", "Edge case" → "edge-case", "Not vulnerable" → "no"), "Fingerprint" → `fingerprint`.
 * - Azure service suffixes: that project's Microsoft Azure entry plus Microsoft's "Prevent dangling DNS entries
 *   and avoid subdomain takeover" article (learn.microsoft.com/azure/security/fundamentals/subdomain-takeover).
 * - DNS hosting: indianajson/can-i-take-over-dns (https://github.com/indianajson/can-i-take-over-dns)
 *   ("Vulnerable (w/ purchase)" → "edge-case").
 * A service marked "no" stays in the table so that `details` can name it, but never raises an alert.
 */

/** How a service shows that the resource behind a name is gone. */
export type TakeoverSignal = "nxdomain" | "http";

/** Whether anyone can claim the resource once it is gone, per the lists above. */
export type TakeoverStatus = "yes" | "edge-case" | "no";

export interface HttpFingerprint {
  /** Matched against the response body (decoded as UTF-8). */
  readonly body?: RegExp;
  /** The status code the unclaimed resource answers with. */
  readonly status?: number;
}

export interface TakeoverProvider {
  readonly name: string;
  /** DNS suffixes: a host matches when it is a name strictly under one of them. */
  readonly suffixes: readonly string[];
  /** Hosts the suffixes cannot express (region-specific endpoints); matched against the whole host. */
  readonly patterns?: readonly RegExp[];
  readonly signal: TakeoverSignal;
  /** For `signal: "http"`: what the service serves for a resource that does not exist. */
  readonly fingerprint?: HttpFingerprint;
  readonly vulnerable: TakeoverStatus;
  /** One sentence for the person who must fix it. */
  readonly remediation: string;
  /** Where the takeover status is discussed. */
  readonly reference: string;
}

const XYZ = "https://github.com/EdOverflow/can-i-take-over-xyz";
const issue = (n: number): string => `${XYZ}/issues/${n}`;
const AZURE_DOC = "https://learn.microsoft.com/azure/security/fundamentals/subdomain-takeover";

const removeOrReclaim = (what: string): string =>
  `Delete the DNS record that points at the deleted ${what}, or re-create the ${what} under the same name ` +
  "in your own account before anyone else does.";

function azure(name: string, suffixes: readonly string[], what: string): TakeoverProvider {
  return {
    name,
    suffixes,
    signal: "nxdomain",
    vulnerable: "yes",
    remediation:
      `${removeOrReclaim(what)} Azure releases the name when the resource is deleted; keep DNS clean-up in ` +
      "your deprovisioning steps (and consider Azure's domain verification ID, asuid, where the service has it).",
    reference: AZURE_DOC,
  };
}

function http(
  name: string,
  suffixes: readonly string[],
  vulnerable: TakeoverStatus,
  fingerprint: HttpFingerprint,
  reference: string,
  what = `${name} resource`,
): TakeoverProvider {
  return {
    name,
    suffixes,
    signal: "http",
    fingerprint,
    vulnerable,
    remediation: removeOrReclaim(what),
    reference,
  };
}

function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** CNAME targets, most specific first where suffixes nest (matching takes the longest suffix anyway). */
export const TAKEOVER_PROVIDERS: readonly TakeoverProvider[] = [
  // ── Microsoft Azure: the resource name is released on deletion; the signal is NXDOMAIN. (XYZ issue #35)
  azure(
    "Azure App Service",
    ["azurewebsites.net", "azurewebsites.us", "chinacloudsites.cn"],
    "App Service app",
  ),
  azure(
    "Azure Cloud Services (classic)",
    ["cloudapp.net", "usgovcloudapp.net", "chinacloudapp.cn"],
    "cloud service",
  ),
  azure(
    "Azure public IP / VM DNS label",
    ["cloudapp.azure.com", "cloudapp.usgovcloudapi.net", "cloudapp.chinacloudapi.cn"],
    "public IP address DNS label",
  ),
  azure(
    "Azure Storage",
    [
      "blob.core.windows.net",
      "web.core.windows.net",
      "file.core.windows.net",
      "queue.core.windows.net",
      "table.core.windows.net",
      "dfs.core.windows.net",
      "blob.core.usgovcloudapi.net",
      "blob.core.chinacloudapi.cn",
    ],
    "storage account",
  ),
  azure("Azure Traffic Manager", ["trafficmanager.net"], "Traffic Manager profile"),
  azure("Azure CDN", ["azureedge.net"], "CDN endpoint"),
  azure("Azure Front Door", ["azurefd.net"], "Front Door endpoint"),
  azure("Azure API Management", ["azure-api.net"], "API Management instance"),
  azure("Azure Container Instances", ["azurecontainer.io"], "container group"),
  azure("Azure Static Web Apps", ["azurestaticapps.net"], "static web app"),
  azure("Azure Service Bus", ["servicebus.windows.net"], "Service Bus namespace"),
  azure("Azure AI Search", ["search.windows.net"], "search service"),
  azure("Azure Cache for Redis", ["redis.cache.windows.net"], "cache"),
  azure("Azure SQL Database", ["database.windows.net"], "SQL server"),
  azure("Azure HDInsight", ["azurehdinsight.net"], "HDInsight cluster"),
  azure("Azure Mobile Services", ["azure-mobile.net"], "mobile service"),
  azure("Azure Data Lake Store", ["azuredatalakestore.net"], "Data Lake Store account"),
  azure("Azure Container Registry", ["azurecr.io"], "container registry"),
  azure("Azure DevOps (visualstudio.com)", ["visualstudio.com"], "Azure DevOps organisation"),

  // ── Amazon Web Services
  {
    name: "AWS Elastic Beanstalk",
    suffixes: ["elasticbeanstalk.com"],
    signal: "nxdomain",
    vulnerable: "yes",
    remediation:
      `${removeOrReclaim("Elastic Beanstalk environment")} Environment CNAME prefixes are free for anyone to ` +
      "take once released.",
    reference: issue(194),
  },
  {
    name: "AWS S3",
    suffixes: ["s3.amazonaws.com"],
    // Website and regional endpoints: s3-website-us-east-1, s3-website.eu-central-1, s3.us-west-2,
    // s3-us-west-2, s3.dualstack.us-east-1 (and .amazonaws.com.cn).
    patterns: [
      /(?:^|\.)s3(?:-website)?(?:[.-](?:dualstack\.)?[a-z]{2}(?:-gov)?-[a-z]+-\d)?\.amazonaws\.com(?:\.cn)?$/,
    ],
    signal: "http",
    fingerprint: { body: /NoSuchBucket|The specified bucket does not exist/, status: 404 },
    vulnerable: "yes",
    remediation:
      `${removeOrReclaim("S3 bucket")} Bucket names are global: anyone can create a bucket with the name your ` +
      "record expects.",
    reference: issue(36),
  },
  {
    name: "AWS Elastic Load Balancing",
    suffixes: ["elb.amazonaws.com"],
    signal: "nxdomain",
    vulnerable: "no",
    remediation:
      "Delete the DNS record that points at the deleted load balancer (its name cannot be re-created).",
    reference: issue(137),
  },
  http(
    "AWS CloudFront",
    ["cloudfront.net"],
    "no",
    { body: /ViewerCertificateException/ },
    issue(29),
    "CloudFront distribution",
  ),

  // ── Other services, alphabetically
  http("Acquia", ["acquia-sites.com"], "no", { body: literal("Web Site Not Found") }, issue(103)),
  http(
    "Agile CRM",
    ["agilecrm.com"],
    "yes",
    { body: literal("Sorry, this page is no longer available.") },
    issue(145),
  ),
  http(
    "Airee.ru",
    ["airee.ru"],
    "yes",
    { body: literal("Ошибка 402. Сервис Айри.рф не оплачен") },
    issue(104),
  ),
  http("Akamai", ["edgesuite.net", "edgekey.net", "akamaized.net"], "no", {}, issue(13)),
  http(
    "Anima",
    ["animaapp.io"],
    "yes",
    { body: literal("The page you were looking for does not exist.") },
    issue(126),
  ),
  http(
    "Bitbucket",
    ["bitbucket.io"],
    "yes",
    { body: literal("Repository not found") },
    issue(97),
    "Bitbucket Cloud repository",
  ),
  http(
    "Campaign Monitor",
    ["createsend.com"],
    "yes",
    { body: literal("Trying to access your account?") },
    issue(275),
  ),
  http(
    "Canny",
    ["canny.io"],
    "yes",
    { body: /Company Not Found|There is no such company\. Did you enter the right URL\?/ },
    issue(114),
  ),
  http(
    "Cargo Collective",
    ["cargocollective.com"],
    "yes",
    { body: literal("404 Not Found") },
    issue(152),
    "Cargo site",
  ),
  {
    name: "Discourse",
    suffixes: ["trydiscourse.com"],
    signal: "nxdomain",
    vulnerable: "yes",
    remediation: removeOrReclaim("Discourse site"),
    reference: issue(49),
  },
  http(
    "Fastly",
    ["fastly.net"],
    "no",
    { body: literal("Fastly error: unknown domain:") },
    issue(22),
    "Fastly service",
  ),
  http("Feedpress", ["feedpress.me"], "no", { body: literal("The feed has not been found.") }, issue(80)),
  http("Firebase Hosting", ["firebaseapp.com", "web.app"], "no", {}, issue(128)),
  http(
    "Fly.io",
    ["fly.dev", "edgeapp.net"],
    "no",
    { body: literal("404 Not Found") },
    issue(101),
    "Fly.io app",
  ),
  http(
    "Freshdesk",
    ["freshdesk.com", "freshservice.com"],
    "no",
    { body: /We couldn't find .* Maybe this is still fresh!/ },
    issue(214),
  ),
  http(
    "Frontify",
    ["frontify.com"],
    "edge-case",
    { body: /404 - Page Not Found|Oops… looks like you got lost/ },
    issue(170),
  ),
  http("Gemfury", ["furyns.com"], "yes", { body: literal("404: This page could not be found.") }, issue(154)),
  http(
    "GetResponse",
    ["gr8.com"],
    "yes",
    { body: literal("With GetResponse Landing Pages, lead generation has never been easier") },
    issue(235),
  ),
  http(
    "Ghost",
    ["ghost.io"],
    "yes",
    { body: /Site unavailable\.|Failed to resolve DNS path for this host/ },
    issue(89),
    "Ghost site",
  ),
  http(
    "GitHub Pages",
    ["github.io"],
    "edge-case",
    { body: literal("There isn't a GitHub Pages site here."), status: 404 },
    issue(37),
    "GitHub Pages site",
  ),
  http("GitLab Pages", ["gitlab.io"], "no", {}, "https://hackerone.com/reports/312118"),
  http(
    "Google Cloud Storage",
    ["c.storage.googleapis.com", "storage.googleapis.com"],
    "no",
    { body: /NoSuchBucket|The specified bucket does not exist/ },
    XYZ,
    "Cloud Storage bucket",
  ),
  http(
    "Google Sites",
    ["ghs.googlehosted.com"],
    "no",
    { body: literal("The requested URL was not found on this server.") },
    issue(277),
  ),
  http("HatenaBlog", ["hatenablog.com"], "yes", { body: literal("404 Blog is not found") }, XYZ),
  http(
    "Help Juice",
    ["helpjuice.com"],
    "yes",
    { body: literal("We could not find what you're looking for.") },
    XYZ,
  ),
  http(
    "Help Scout",
    ["helpscoutdocs.com"],
    "yes",
    { body: literal("No settings were found for this company:") },
    XYZ,
  ),
  http("Helprace", ["helprace.com"], "yes", { status: 301 }, issue(115)),
  http(
    "Heroku",
    ["herokuapp.com", "herokudns.com", "herokussl.com"],
    "edge-case",
    { body: literal("No such app") },
    issue(38),
    "Heroku app",
  ),
  http(
    "HubSpot",
    ["hubspot.net", "hs-sites.com"],
    "no",
    { body: literal("This page isn't available") },
    issue(59),
  ),
  http("Instapage", ["pageserve.co"], "no", {}, issue(73)),
  http(
    "Intercom",
    ["custom.intercom.help"],
    "edge-case",
    { body: literal("Uh oh. That page doesn't exist.") },
    issue(69),
  ),
  http(
    "JetBrains YouTrack",
    ["youtrack.cloud"],
    "yes",
    { body: literal("is not a registered InCloud YouTrack") },
    `${XYZ}/pull/107`,
  ),
  http("Kinsta", ["kinsta.cloud"], "no", { body: literal("No Site For Domain") }, issue(48)),
  http(
    "Landingi",
    ["landingi.com"],
    "edge-case",
    { body: /It looks like you(?:’|')re lost\.\.\./ },
    issue(117),
  ),
  http("LaunchRock", ["launchrock.com"], "yes", { status: 500 }, issue(74)),
  http(
    "Mailchimp",
    ["mailchimpsites.com"],
    "no",
    { body: literal("We can't find that page") },
    `${XYZ}/discussions/250`,
  ),
  http("Mashery", ["mashery.com"], "edge-case", { body: literal("Unrecognized domain") }, issue(14)),
  http(
    "Netlify",
    ["netlify.app", "netlify.com"],
    "edge-case",
    { body: literal("Not Found - Request ID:") },
    issue(40),
    "Netlify site",
  ),
  http("Ngrok", ["ngrok.io"], "yes", { body: /Tunnel .*\.ngrok\.io not found/ }, issue(92), "ngrok tunnel"),
  http(
    "Pantheon",
    ["pantheonsite.io"],
    "yes",
    { body: literal("404 error unknown site!") },
    issue(24),
    "Pantheon site",
  ),
  http(
    "Pingdom",
    ["stats.pingdom.com"],
    "yes",
    { body: literal("Sorry, couldn't find the status page") },
    issue(144),
    "status page",
  ),
  http(
    "Readme.io",
    ["readme.io", "readmessl.com"],
    "yes",
    { body: literal("The creators of this project are still working on making everything perfect!") },
    issue(41),
  ),
  http(
    "Read the Docs",
    ["readthedocs.io"],
    "yes",
    { body: literal("The link you have followed or the URL that you entered does not exist.") },
    issue(160),
    "Read the Docs project",
  ),
  http("SendGrid", ["sendgrid.net"], "no", {}, XYZ),
  http(
    "Shopify",
    ["myshopify.com"],
    "edge-case",
    { body: literal("Sorry, this shop is currently unavailable.") },
    issue(32),
    "Shopify store",
  ),
  http("Short.io", ["short.io"], "yes", { body: literal("Link does not exist") }, issue(260)),
  http("Smartling", ["smartling.com"], "edge-case", { body: literal("Domain is not configured") }, issue(67)),
  http("Squarespace", ["squarespace.com"], "no", {}, XYZ),
  http("Statuspage", ["statuspage.io", "stspg-customer.com"], "no", {}, `${XYZ}/pull/171`),
  http("Strikingly", ["strikinglydns.com"], "yes", { body: literal("PAGE NOT FOUND.") }, issue(58)),
  http("Surge.sh", ["surge.sh"], "yes", { body: literal("project not found") }, issue(198), "Surge project"),
  http("SurveySparrow", ["surveysparrow.com"], "yes", { body: literal("Account not found.") }, issue(281)),
  http("Tilda", ["tilda.ws"], "edge-case", { body: literal("Please renew your subscription") }, issue(155)),
  http(
    "Tumblr",
    ["domains.tumblr.com"],
    "edge-case",
    { body: literal("Whatever you were looking for doesn't currently exist at this address") },
    issue(240),
    "Tumblr blog",
  ),
  http(
    "Uberflip",
    ["read.uberflip.com"],
    "yes",
    { body: literal("The URL you've accessed does not provide a hub.") },
    issue(150),
  ),
  http(
    "Unbounce",
    ["unbouncepages.com"],
    "no",
    { body: literal("The requested URL was not found on this server.") },
    issue(11),
  ),
  http(
    "UptimeRobot",
    ["stats.uptimerobot.com"],
    "yes",
    { body: literal("page not found") },
    issue(45),
    "status page",
  ),
  http(
    "UserVoice",
    ["uservoice.com"],
    "no",
    { body: literal("This UserVoice subdomain is currently available!") },
    issue(163),
  ),
  http(
    "Vercel",
    ["vercel.app", "vercel-dns.com", "now.sh"],
    "edge-case",
    { body: /DEPLOYMENT_NOT_FOUND/ },
    issue(183),
    "Vercel project",
  ),
  http(
    "Webflow",
    ["proxy.webflow.com", "proxy-ssl.webflow.com"],
    "edge-case",
    { body: literal("The page you are looking for doesn't exist or has been moved.") },
    issue(44),
    "Webflow site",
  ),
  http(
    "Wix",
    ["wixdns.net"],
    "edge-case",
    { body: literal("Looks Like This Domain Isn't Connected To A Website Yet!") },
    issue(231),
  ),
  http(
    "WordPress.com",
    ["wordpress.com"],
    "yes",
    { body: /Do you want to register .*\.wordpress\.com\?/ },
    `${XYZ}/pull/176`,
    "WordPress.com site",
  ),
  http(
    "Worksites",
    ["worksites.net"],
    "yes",
    { body: /Hello! Sorry, but the website you(?:&rsquo;|’|')re looking for doesn(?:&rsquo;|’|')t exist\./ },
    issue(142),
  ),
  http("WP Engine", ["wpengine.com"], "no", {}, XYZ),
  http("Zendesk", ["zendesk.com"], "no", { body: literal("Help Center Closed") }, issue(23)),
];

function normalise(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

/** Index: suffix → provider, for a lookup per label of the host. */
const BY_SUFFIX = new Map<string, TakeoverProvider>();
for (const p of TAKEOVER_PROVIDERS) {
  for (const s of p.suffixes) {
    if (BY_SUFFIX.has(s)) throw new Error(`takeover-providers: suffix ${s} listed twice`);
    BY_SUFFIX.set(s, p);
  }
}

/**
 * The service a host belongs to: the longest listed suffix the host is strictly under, else a pattern match;
 * null for a host no service claims.
 */
export function providerFor(host: string): TakeoverProvider | null {
  const h = normalise(host);
  for (let dot = h.indexOf("."); dot !== -1; dot = h.indexOf(".", dot + 1)) {
    const p = BY_SUFFIX.get(h.slice(dot + 1));
    if (p !== undefined) return p;
  }
  for (const p of TAKEOVER_PROVIDERS) {
    if (p.patterns?.some((re) => re.test(h)) === true) return p;
  }
  return null;
}

/** Whether an HTTP response is the provider's "no such resource" page. */
export function matchesFingerprint(provider: TakeoverProvider, status: number, body: string): boolean {
  const f = provider.fingerprint;
  if (provider.signal !== "http" || f === undefined) return false;
  if (f.body === undefined && f.status === undefined) return false;
  if (f.status !== undefined && f.status !== status) return false;
  return f.body === undefined || f.body.test(body);
}

// ───────────────────────────── DNS hosting (NS delegations) ─────────────────────────────

export interface DnsHostingProvider {
  readonly name: string;
  /** Matched against a name server host (lower-case, no trailing dot). */
  readonly patterns: readonly RegExp[];
  /** Whether anyone can create the deleted zone on that service and so answer for it. */
  readonly vulnerable: TakeoverStatus;
  readonly remediation: string;
}

function dnsHost(
  name: string,
  patterns: readonly RegExp[],
  vulnerable: TakeoverStatus,
  note = "",
): DnsHostingProvider {
  return {
    name,
    patterns,
    vulnerable,
    remediation:
      `Remove the NS delegation for the zone from its parent zone, or re-create the zone on ${name} in your own ` +
      `account and delegate to the name servers it assigns${note}.`,
  };
}

/** DNS hosting services, from indianajson/can-i-take-over-dns. */
export const DNS_HOSTING_PROVIDERS: readonly DnsHostingProvider[] = [
  dnsHost(
    "AWS Route 53",
    [/^ns-\d+\.awsdns-\d+\.(?:com|net|org|co\.uk)$/],
    "no",
    " (Route 53 gives each hosted zone its own set of name servers, so a stranger rarely gets the same set)",
  ),
  dnsHost("Azure DNS", [/^ns\d-\d+\.azure-dns\.(?:com|net|org|info)$/], "yes"),
  dnsHost("Google Cloud DNS", [/^ns-cloud-[a-z]\d+\.googledomains\.com$/], "yes"),
  dnsHost("Cloudflare", [/\.ns\.cloudflare\.com$/], "yes"),
  dnsHost("DigitalOcean", [/^ns\d\.digitalocean\.com$/], "yes"),
  dnsHost("DNS Made Easy", [/^ns\d+\.dnsmadeeasy\.com$/], "yes"),
  dnsHost("DNSimple", [/^ns\d\.dnsimple\.com$/], "yes"),
  dnsHost("easyDNS", [/^dns\d\.easydns\.(?:com|net|org|info)$/], "yes"),
  dnsHost("Hurricane Electric", [/^ns\d\.he\.net$/], "yes"),
  dnsHost("Linode", [/^ns\d\.linode\.com$/], "yes"),
  dnsHost("NS1", [/^dns\d\.p\d+\.nsone\.net$/], "yes"),
  dnsHost("Bizland", [/^ns\d\.bizland\.com$/], "yes"),
  dnsHost("TierraNet", [/^ns\d\.domaindiscover\.com$/], "yes"),
  dnsHost("000Domains", [/^(?:fw)?ns\d\.000domains\.com$/], "edge-case"),
  dnsHost("Domain.com", [/^ns\d\.domain\.com$/], "edge-case"),
  dnsHost("Dotster", [/^ns\d\.(?:dotster|nameresolve)\.com$/], "edge-case"),
  dnsHost("Media Temple", [/^ns\d\.mediatemple\.net$/], "edge-case"),
  dnsHost("MyDomain", [/^ns\d\.mydomain\.com$/], "edge-case"),
  dnsHost("Name.com", [/^ns\d[a-z0-9-]*\.name\.com$/], "edge-case"),
  dnsHost("Reg.ru", [/^ns\d\.reg\.ru$/], "edge-case"),
  dnsHost("Yahoo Small Business", [/^yns\d\.yahoo\.com$/], "edge-case"),
  dnsHost("Gandi", [/^[a-z]\.dns\.gandi\.net$/], "no"),
  dnsHost("Hover", [/^ns\d\.hover\.com$/], "no"),
  dnsHost("Network Solutions", [/^ns\d+\.worldnic\.com$/], "no"),
  dnsHost("DomainPeople", [/^ns\d\.domainpeople\.com$/], "no"),
];

export function dnsHostingProviderFor(nameserver: string): DnsHostingProvider | null {
  const h = normalise(nameserver);
  return DNS_HOSTING_PROVIDERS.find((p) => p.patterns.some((re) => re.test(h))) ?? null;
}
