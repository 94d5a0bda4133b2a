/**
 * @module test/helpers/sentinel-receiver
 * A real local Azure for the Sentinel target (HTTP or HTTPS on loopback): the Entra ID token endpoint, the Logs
 * Ingestion API (Bearer, DCR, stream, gzip, 1 MB) and the HTTP Data Collector API (SharedKey verified as Azure does).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type * as http from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { gunzipSync } from "node:zlib";
import {
  applyFault,
  FaultQueue,
  firstHeader as one,
  httpReceiverKit,
  readBody,
  receiverControls,
  sendAnswer as send,
} from "./http-receiver-kit.js";
import type { Answer, HttpFault } from "./http-receiver-kit.js";

/** Which of the three services a request was for. */
export type SentinelApi = "token" | "logs-ingestion" | "data-collector";

/** What the receiver does to one request instead of (or before) its normal answer. */
export type SentinelFault = HttpFault;

/** A column of the DCR's stream declaration (Logs Ingestion). */
export interface StreamColumn {
  readonly name: string;
  readonly type: "string" | "int" | "long" | "real" | "boolean" | "datetime" | "dynamic";
}

export interface SentinelReceiverOptions {
  readonly tls?: boolean;
  /** Entra: the tenant, the app registration's client id and secret, the scope it must ask for. */
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly scope?: string;
  /** expires_in of the tokens issued (default 3600 s). */
  readonly tokenLifetimeSeconds?: number;
  /** Logs Ingestion: the DCR immutable id, its stream and the stream's columns (other fields are dropped, as Azure does). */
  readonly dcrImmutableId?: string;
  readonly stream?: string;
  readonly streamColumns?: readonly StreamColumn[];
  /** Data Collector: the workspace id and its key (base64), the accepted Log-Type (default any valid one). */
  readonly workspaceId?: string;
  readonly sharedKey?: string;
  readonly logType?: string;
  /** Largest accepted difference between x-ms-date and the receiver's clock (default 900 s). */
  readonly dateToleranceSeconds?: number;
  /** The receiver's clock (token expiry, x-ms-date freshness); default the real one. */
  readonly now?: () => Date;
  /** Largest request body read (default 32 MiB); a larger one is answered 413 and the connection closed. */
  readonly maxBodyBytes?: number;
}

export interface SentinelRequest {
  readonly api: SentinelApi | "unknown";
  readonly method: string;
  /** Path and query as requested. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The bytes as received (gzip for Logs Ingestion). */
  readonly raw: Buffer;
  /** The body decoded (gunzipped when it came gzip), or null when it did not decode. */
  readonly body: Buffer | null;
  /** The body as JSON (the token form as an object of its fields), or undefined. */
  readonly parsed: unknown;
  /** The status answered; 0 when dropped or the client left first. */
  readonly status: number;
  /** Why it was refused, when it was. */
  readonly problem?: string;
  readonly fault?: SentinelFault;
}

/** One row as it would land in the workspace: its table and its columns with their final names. */
export interface SentinelRow {
  readonly api: "logs-ingestion" | "data-collector";
  /** `<Log-Type>_CL`, or the stream's table (`Custom-X_CL` → `X_CL`). */
  readonly table: string;
  readonly columns: Readonly<Record<string, unknown>>;
  /** Logs Ingestion: fields the stream does not declare (Azure drops them silently). */
  readonly dropped: readonly string[];
}

export interface SentinelReceiver {
  /** Base URL (http(s)://127.0.0.1:port): use it as endpoint and dataCollectorUrl. */
  readonly url: string;
  /** `${url}/`, the authorityUrl to configure. */
  readonly authorityUrl: string;
  readonly port: number;
  /** PEM of the test root (null over HTTP): pass it as ctx.ca. */
  readonly ca: string | null;
  readonly requests: readonly SentinelRequest[];
  /** Accepted rows, the first of each NotificationId only. */
  readonly rows: readonly SentinelRow[];
  /** Accepted rows whose NotificationId was already stored. */
  readonly duplicates: number;
  /** Tokens requested (successful or not). */
  readonly tokenRequests: number;
  /** Apply `fault` to the next `count` requests for `api` (default the two ingestion APIs). */
  fail(count: number, fault: SentinelFault, api?: SentinelApi | "ingestion"): void;
  /** Every token issued so far is refused from now on (401), as after a revocation. */
  revokeTokens(): void;
  /** Resolves once `count` distinct rows were stored; rejects after `timeoutMs` (default 5 s). */
  waitFor(count: number, timeoutMs?: number): Promise<readonly SentinelRow[]>;
  close(): Promise<void>;
}

/** The Logs Ingestion API's cap per call, on the compressed and the uncompressed body alike. */
export const LOGS_INGESTION_CAP = 1024 * 1024;
/** The Data Collector API's cap per post. */
export const DATA_COLLECTOR_CAP = 30 * 1024 * 1024;

const DEFAULT_MAX_BODY = 32 * 1024 * 1024;
/** Property names the Data Collector API reserves (a record carrying one is silently discarded). */
const RESERVED = new Set(["tenant", "timegenerated", "rawdata"]);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The Data Collector API's signature of one request, recomputed from what arrived (docs' string-to-sign). */
export function dataCollectorSignature(
  key: Buffer,
  method: string,
  contentLength: number,
  contentType: string,
  date: string,
  resource: string,
): string {
  const toSign = `${method}\n${contentLength}\n${contentType}\nx-ms-date:${date}\n${resource}`;
  return createHmac("sha256", key).update(toSign, "utf8").digest("base64");
}

/**
 * The column a Data Collector API property becomes: Azure infers the type from the JSON value and appends its
 * suffix (_d double, _b boolean, _t an ISO 8601 string, _g a GUID string, _s other strings).
 */
export function dataCollectorColumn(name: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return `${name}_d`;
  if (typeof value === "boolean") return `${name}_b`;
  if (typeof value === "string") {
    if (ISO_DATE.test(value) && !Number.isNaN(Date.parse(value))) return `${name}_t`;
    if (GUID.test(value)) return `${name}_g`;
    return `${name}_s`;
  }
  // Nested objects are flattened by Azure; the certwatch records never send one.
  return `${name}_s`;
}

type Judged = {
  answer: Answer;
  problem?: string;
  body: Buffer | null;
  parsed: unknown;
  rows?: SentinelRow[];
};

const json = (status: number, v: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(v),
});

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startSentinelReceiver(opts: SentinelReceiverOptions = {}): Promise<SentinelReceiver> {
  const now = opts.now ?? (() => new Date());
  const tenantId = opts.tenantId ?? "00000000-0000-4000-8000-000000000001";
  const scope = opts.scope ?? "https://monitor.azure.com//.default";
  const lifetime = opts.tokenLifetimeSeconds ?? 3600;
  const tolerance = opts.dateToleranceSeconds ?? 900;
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const key = opts.sharedKey !== undefined ? Buffer.from(opts.sharedKey, "base64") : null;
  const declared = opts.streamColumns ? new Map(opts.streamColumns.map((c) => [c.name, c.type])) : null;

  const requests: SentinelRequest[] = [];
  const rows: SentinelRow[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let tokenRequests = 0;
  const tokens = new Map<string, number>(); // token → expiry (receiver clock, ms)
  const faults = new FaultQueue<{ fault: SentinelFault; api: SentinelApi | "ingestion" }>();
  const kit = httpReceiverKit();

  const tokenEndpoint = (req: http.IncomingMessage, raw: Buffer): Judged => {
    tokenRequests++;
    const form = Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
    const base = { body: raw, parsed: form };
    const fail = (status: number, error: string, description: string): Judged => ({
      ...base,
      answer: json(status, { error, error_description: description, error_codes: [status] }),
      problem: description,
    });
    const ctype = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (ctype !== "application/x-www-form-urlencoded") {
      return fail(400, "invalid_request", "AADSTS900144: the request body must be form-encoded");
    }
    if (form.grant_type !== "client_credentials") {
      return fail(400, "unsupported_grant_type", "AADSTS70003: the grant type is not client_credentials");
    }
    if (opts.clientId !== undefined && form.client_id !== opts.clientId) {
      return fail(400, "unauthorized_client", "AADSTS700016: application not found in the directory");
    }
    if (opts.clientSecret !== undefined && !safeEqual(form.client_secret ?? "", opts.clientSecret)) {
      return fail(401, "invalid_client", "AADSTS7000215: invalid client secret provided");
    }
    if (form.scope !== scope)
      return fail(400, "invalid_scope", "AADSTS70011: the provided scope is not valid");
    const token = randomBytes(24).toString("base64url");
    tokens.set(token, now().getTime() + lifetime * 1000);
    return {
      ...base,
      answer: json(200, {
        token_type: "Bearer",
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: token,
      }),
    };
  };

  const logsIngestion = (req: http.IncomingMessage, url: URL, raw: Buffer): Judged => {
    const err = (status: number, code: string, message: string, body: Buffer | null = null): Judged => ({
      answer: json(status, { error: { code, message } }),
      problem: `${code}: ${message}`,
      body,
      parsed: undefined,
    });
    const auth = one(req.headers.authorization) ?? "";
    const m = /^Bearer (\S+)$/.exec(auth);
    const expiry = m?.[1] !== undefined ? tokens.get(m[1]) : undefined;
    if (expiry === undefined || expiry <= now().getTime()) {
      return err(
        401,
        "InvalidToken",
        expiry === undefined ? "the token is not valid" : "the token has expired",
      );
    }
    const parts = url.pathname.split("/");
    const dcr = decodeURIComponent(parts[2] ?? "");
    const stream = decodeURIComponent(parts[4] ?? "");
    if (opts.dcrImmutableId !== undefined && dcr !== opts.dcrImmutableId) {
      return err(404, "NotFound", `data collection rule ${dcr} not found`);
    }
    if (opts.stream !== undefined && stream !== opts.stream) {
      return err(400, "InvalidStream", `stream ${stream} is not declared by the data collection rule`);
    }
    if (url.searchParams.get("api-version") !== "2023-01-01") {
      return err(400, "InvalidApiVersion", "the api-version is not supported");
    }
    const ctype = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (ctype !== "application/json")
      return err(415, "UnsupportedMediaType", "Content-Type must be application/json");
    if (raw.length > LOGS_INGESTION_CAP) {
      return err(413, "ContentLengthLimitExceeded", `the request of ${raw.length} bytes is over 1 MB`);
    }
    let body: Buffer;
    const encoding = (one(req.headers["content-encoding"]) ?? "").trim().toLowerCase();
    if (encoding === "gzip") {
      try {
        body = gunzipSync(raw, { maxOutputLength: LOGS_INGESTION_CAP + 1 });
      } catch {
        return err(413, "ContentLengthLimitExceeded", "the body does not decompress to at most 1 MB");
      }
    } else if (encoding === "" || encoding === "identity") body = raw;
    else return err(400, "InvalidContentEncoding", `unsupported Content-Encoding ${encoding}`);
    if (body.length > LOGS_INGESTION_CAP) {
      return err(
        413,
        "ContentLengthLimitExceeded",
        `the uncompressed body of ${body.length} bytes is over 1 MB`,
        body,
      );
    }
    const parsed = parseJson(body);
    if (
      !Array.isArray(parsed) ||
      !parsed.every((r) => typeof r === "object" && r !== null && !Array.isArray(r))
    ) {
      return { ...err(400, "InvalidPayload", "the body is not a JSON array of objects", body), parsed };
    }
    const table = stream.replace(/^Custom-/, "");
    const out: SentinelRow[] = [];
    for (const r of parsed as Record<string, unknown>[]) {
      const columns: Record<string, unknown> = {};
      const dropped: string[] = [];
      for (const [k, v] of Object.entries(r)) {
        const type = declared?.get(k);
        if (declared !== null && type === undefined) {
          dropped.push(k);
          continue;
        }
        const bad =
          (type === "real" || type === "int" || type === "long") && typeof v !== "number"
            ? "a number"
            : type === "string" && typeof v !== "string"
              ? "a string"
              : type === "datetime" && (typeof v !== "string" || Number.isNaN(Date.parse(v)))
                ? "a date-time"
                : null;
        if (bad !== null) return { ...err(400, "InvalidPayload", `${k} is not ${bad}`, body), parsed };
        columns[k] = v;
      }
      out.push({ api: "logs-ingestion", table, columns, dropped });
    }
    return { answer: { status: 204 }, body, parsed, rows: out };
  };

  const dataCollector = (req: http.IncomingMessage, url: URL, raw: Buffer): Judged => {
    const err = (status: number, code: string, message: string): Judged => ({
      answer: json(status, { Error: code, Message: message }),
      problem: `${code}: ${message}`,
      body: raw,
      parsed: undefined,
    });
    if (url.searchParams.get("api-version") !== "2016-04-01") {
      return err(400, "InvalidApiVersion", "The API version specified was not recognized by the service.");
    }
    const date = one(req.headers["x-ms-date"]);
    const auth = one(req.headers.authorization) ?? "";
    const contentType = one(req.headers["content-type"]) ?? "";
    const m = /^SharedKey ([^:\s]+):(\S+)$/.exec(auth);
    if (m === null || date === undefined) {
      return err(403, "InvalidAuthorization", "An invalid scheme was specified in the Authorization header");
    }
    if (opts.workspaceId !== undefined && m[1] !== opts.workspaceId) {
      return err(
        403,
        "InvalidAuthorization",
        "The workspace id in the Authorization header is not this workspace",
      );
    }
    const at = Date.parse(date);
    if (Number.isNaN(at) || Math.abs(now().getTime() - at) > tolerance * 1000) {
      return err(403, "InvalidAuthorization", "The x-ms-date header is missing, malformed or out of range");
    }
    const declaredLength = Number(one(req.headers["content-length"]) ?? NaN);
    if (declaredLength !== raw.length) {
      return err(403, "InvalidAuthorization", "Content-Length does not match the body");
    }
    if (key !== null) {
      const expected = dataCollectorSignature(
        key,
        req.method ?? "",
        raw.length,
        contentType,
        date,
        "/api/logs",
      );
      if (!safeEqual(m[2] ?? "", expected)) {
        return err(403, "InvalidAuthorization", "The signature in the Authorization header is not valid");
      }
    }
    if (contentType.split(";")[0]?.trim().toLowerCase() !== "application/json") {
      return err(415, "UnsupportedContentType", "Content-Type must be application/json");
    }
    const logType = one(req.headers["log-type"]) ?? "";
    if (!/^[A-Za-z0-9_]{1,100}$/.test(logType) || (opts.logType !== undefined && logType !== opts.logType)) {
      return err(400, "InvalidLogType", "The Log-Type header is missing or not valid");
    }
    if (raw.length > DATA_COLLECTOR_CAP) return err(413, "RequestTooLarge", "The request is over 30 MB");
    const parsed = parseJson(raw);
    const list = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    if (
      parsed === undefined ||
      !list.every((r) => typeof r === "object" && r !== null && !Array.isArray(r))
    ) {
      return { ...err(400, "InvalidDataFormat", "The body is not valid JSON records"), parsed };
    }
    const timeField = one(req.headers["time-generated-field"]);
    const out: SentinelRow[] = [];
    for (const r of list as Record<string, unknown>[]) {
      // A record with a reserved property is accepted by the API and then discarded.
      if (Object.keys(r).some((k) => RESERVED.has(k.toLowerCase()))) continue;
      const columns: Record<string, unknown> = {};
      const t = timeField !== undefined ? r[timeField] : undefined;
      columns.TimeGenerated =
        typeof t === "string" && ISO_DATE.test(t)
          ? t
          : now()
              .toISOString()
              .replace(/\.\d{3}Z$/, "Z");
      for (const [k, v] of Object.entries(r)) {
        const col = dataCollectorColumn(k, v);
        if (col !== null) columns[col] = v;
      }
      out.push({ api: "data-collector", table: `${logType}_CL`, columns, dropped: [] });
    }
    return { answer: { status: 200 }, body: raw, parsed, rows: out };
  };

  const route = (req: http.IncomingMessage): { api: SentinelApi | "unknown"; url: URL } => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const p = url.pathname;
    if (p === `/${tenantId}/oauth2/v2.0/token`) return { api: "token", url };
    if (/^\/dataCollectionRules\/[^/]+\/streams\/[^/]+$/.test(p)) return { api: "logs-ingestion", url };
    if (p === "/api/logs") return { api: "data-collector", url };
    return { api: "unknown", url };
  };

  const takeFault = (api: SentinelApi | "unknown"): SentinelFault | undefined =>
    faults.take(
      (f) =>
        f.api === api || (f.api === "ingestion" && (api === "logs-ingestion" || api === "data-collector")),
    )?.fault;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): Promise<void> => {
    const gone = kit.gone(res);
    const { api, url } = route(req);
    const fault = takeFault(api);
    const base = {
      api,
      method: req.method ?? "",
      path: req.url ?? "/",
      headers: req.headers,
      raw,
      ...(fault !== undefined ? { fault } : {}),
    };
    const record = (r: Omit<SentinelRequest, keyof typeof base>): void => {
      requests.push({ ...base, ...r });
    };
    const faulted = (status: number, problem: string): void => {
      record({ body: null, parsed: undefined, status, problem });
    };
    if (await applyFault(kit, fault, req, res, gone, faulted)) return;

    let judged: Judged;
    if (req.method !== "POST")
      judged = { answer: { status: 405 }, problem: "method", body: raw, parsed: undefined };
    else if (api === "token") judged = tokenEndpoint(req, raw);
    else if (api === "logs-ingestion") judged = logsIngestion(req, url, raw);
    else if (api === "data-collector") judged = dataCollector(req, url, raw);
    else judged = { answer: { status: 404 }, problem: "path", body: raw, parsed: undefined };

    if (kit.clientLeft(req, res)) {
      record({
        body: judged.body,
        parsed: judged.parsed,
        status: 0,
        problem: "the client left before the answer",
      });
      return;
    }
    record({
      body: judged.body,
      parsed: judged.parsed,
      status: judged.answer.status,
      ...(judged.problem !== undefined ? { problem: judged.problem } : {}),
    });
    for (const row of judged.rows ?? []) {
      const c = row.columns;
      const dedupe = c.NotificationId_s ?? c.NotificationId_g;
      const id = typeof dedupe === "string" ? dedupe : JSON.stringify(c);
      if (seen.has(id)) duplicates++;
      else {
        seen.add(id);
        rows.push(row);
      }
    }
    send(res, judged.answer);
    kit.wake();
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void =>
    readBody(
      req,
      res,
      maxBody,
      () => send(res, json(413, { error: { code: "ContentLengthLimitExceeded", message: "too large" } })),
      (raw) => void handle(req, res, raw),
    );

  const {
    port,
    ca,
    origin: url,
  } = await kit.listen({ tls: opts.tls, rootSubject: "CN=certwatch sentinel test root" }, onRequest);

  return {
    url,
    authorityUrl: `${url}/`,
    port,
    ca,
    requests,
    rows,
    get duplicates() {
      return duplicates;
    },
    get tokenRequests() {
      return tokenRequests;
    },
    ...receiverControls(
      kit,
      faults,
      () => rows.length,
      () => rows,
      "Sentinel rows",
    ),
    fail(count, fault, api = "ingestion") {
      faults.add(count, { fault, api });
    },
    revokeTokens() {
      tokens.clear();
    },
  };
}
