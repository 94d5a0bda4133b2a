/**
 * @module api/endpoints
 * Scan targets over HTTP: the schedule (`GET /endpoints`), "scan now", and the managed endpoints' CRUD (`POST
 * /endpoints`, `PATCH` and `DELETE /endpoints/{target}`). Configured endpoints are read-only here (409).
 *
 * Every change is written with its audit entry in one transaction, then the daemon is asked to read the managed
 * endpoints again, so a new endpoint is scheduled at once. Without a scan schedule (the API served alone), these
 * routes answer 501, as "scan now" does: there is nothing to tell a configured endpoint from a managed one.
 */
import { isIP } from "node:net";
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { MAX_SCAN_INTERVAL_MINUTES } from "../config/daemon-schema.js";
import { parseHostname, parseIp } from "../config/schema.js";
import { rfc3339 } from "../domain/alert.js";
import { targetScope, type Target } from "../domain/endpoint.js";
import type { ManagedEndpoint } from "../store/schedule-records.js";
import { auditContextOf, principalOf, type ApiContext, type ApiEnv } from "./auth/principal.js";
import type { ApiDeps } from "./deps.js";
import { ApiError, invalidField } from "./errors.js";
import { apiRoute } from "./route.js";

/** The default of `schedule.maxManagedEndpoints`, for a server that does not say. */
export const DEFAULT_MAX_MANAGED_ENDPOINTS = 10_000;
/** Pinned addresses one endpoint may have: plenty for a pool, bounded for the schedule's sake. */
const MAX_ADDRESSES = 64;

const ManagedSettings = z
  .object({
    addresses: z
      .array(z.string())
      .nullable()
      .openapi({ description: "Pinned addresses (DNS is not consulted); null: every A/AAAA address." }),
    serverName: z.string().nullable().openapi({ description: "SNI sent; null: the host (none for an IP)." }),
    scanIntervalMinutes: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Its own interval; null: `schedule.scanIntervalMinutes`." }),
    addedVia: z.enum(["api", "ct"]).openapi({ description: "`ct`: discovered in CT (scanDiscoveredHosts)." }),
    addedAt: z.string(),
    addedBy: z.string().nullable().openapi({ description: "The user who added it; null for CT discovery." }),
  })
  .openapi("ManagedEndpointSettings");

const Endpoint = z
  .object({
    target: z.string().openapi({ example: "www.contoso.com:443" }),
    host: z.string(),
    port: z.number().int(),
    origin: z.enum(["config", "managed"]),
    intervalMinutes: z.number().openapi({ description: "The interval in force (its own, or the default)." }),
    lastRunAt: z.string().nullable(),
    nextRunAt: z.string().nullable(),
    running: z.boolean(),
    managed: ManagedSettings.nullable().openapi({
      description: "A managed endpoint's settings, as PATCH changes them; null for a configured one.",
    }),
  })
  .openapi("EndpointStatus");

const ManagedEndpointBody = z
  .object({
    target: z.string().openapi({ example: "api.contoso.com:8443" }),
    host: z.string(),
    port: z.number().int(),
  })
  .extend(ManagedSettings.shape)
  .openapi("ManagedEndpoint");

const interval = z.number().int().min(1).max(MAX_SCAN_INTERVAL_MINUTES);
const addresses = z.array(z.string().min(1).max(64)).min(1).max(MAX_ADDRESSES);
const serverName = z.string().min(1).max(253);

const CreateEndpoint = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .max(253)
      .openapi({ description: "A DNS host name or an IP address.", example: "api.contoso.com" }),
    port: z.number().int().min(1).max(65_535).default(443),
    addresses: addresses.optional().openapi({ description: "Pin these IP addresses instead of DNS." }),
    serverName: serverName.optional().openapi({ description: "SNI to send, when not the host." }),
    scanIntervalMinutes: interval.optional().openapi({
      description: `1..${MAX_SCAN_INTERVAL_MINUTES}; default: schedule.scanIntervalMinutes.`,
    }),
  })
  .openapi("CreateEndpoint");

const ChangeEndpoint = z
  .strictObject({
    addresses: addresses.nullable().optional().openapi({ description: "null: DNS decides again." }),
    serverName: serverName.nullable().optional().openapi({ description: "null: send the host." }),
    scanIntervalMinutes: interval
      .nullable()
      .optional()
      .openapi({ description: "null: schedule.scanIntervalMinutes." }),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "change at least one of addresses, serverName, scanIntervalMinutes",
  })
  .openapi("ChangeEndpoint");

const TargetParam = z.object({
  target: z
    .string()
    .min(1)
    .max(300)
    .openapi({ param: { name: "target", in: "path" }, example: "www.contoso.com:443" }),
});

/** `host:port` as the API names a scan target (IPv6 in brackets). */
export const targetName = (host: string, port: number): string =>
  `${host.includes(":") ? `[${host}]` : host}:${port}`;

/** A host name (lower case, IDN as punycode) or an IP address (canonical), or a 400 naming the field. */
function hostOf(field: string, input: string): string {
  const s = input.trim().replace(/^\[(.*)\]$/, "$1");
  const parsed = isIP(s) !== 0 ? parseIp(s) : parseHostname(s);
  if ("error" in parsed) throw invalidField(field, parsed.error);
  return parsed.value;
}

function addressesOf(list: readonly string[]): string[] {
  return [
    ...new Set(
      list.map((a, i) => {
        const parsed = parseIp(a);
        if ("error" in parsed) throw invalidField(`addresses.${i}`, parsed.error);
        return parsed.value;
      }),
    ),
  ];
}

function serverNameOf(input: string): string {
  const parsed = parseHostname(input);
  if ("error" in parsed) throw invalidField("serverName", parsed.error);
  return parsed.value;
}

/** The `{target}` of a path (`host:port`, `[v6]:port`), normalised as the schedule names it; null when malformed. */
export function parseTarget(target: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(target.trim());
  const raw = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (raw === undefined || !(port >= 1 && port <= 65_535)) return null;
  const parsed = isIP(raw) !== 0 ? parseIp(raw) : parseHostname(raw);
  return "error" in parsed ? null : { host: parsed.value, port };
}

function settingsOf(m: ManagedEndpoint): z.infer<typeof ManagedSettings> {
  return {
    addresses: m.addresses ? [...m.addresses] : null,
    serverName: m.serverName ?? null,
    scanIntervalMinutes: m.scanIntervalMinutes ?? null,
    addedVia: m.origin,
    addedAt: m.createdAt,
    addedBy: m.createdBy,
  };
}

function managedBody(m: ManagedEndpoint): z.infer<typeof ManagedEndpointBody> {
  return { target: targetName(m.host, m.port), host: m.host, port: m.port, ...settingsOf(m) };
}

export function endpointRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const { store, secure } = deps;

  /** The schedule's handles, or 501: without a scan schedule there is nothing to list or to change. */
  function schedule() {
    const { scanTargets, refreshTargets } = deps;
    if (scanTargets === undefined || refreshTargets === undefined)
      throw new ApiError("NOT_IMPLEMENTED", "this server runs no scan schedule");
    return { scanTargets, refreshTargets };
  }

  /** 409 when certwatch.yaml names this target: it is the configuration's, whatever the store holds. */
  function refuseConfigured(targets: ReturnType<typeof schedule>["scanTargets"], t: Target): void {
    const scope = targetScope(t);
    if (targets().some((s) => s.origin === "config" && targetScope(s) === scope)) {
      throw new ApiError(
        "ENDPOINT_READ_ONLY",
        `${targetName(t.host, t.port)} is configured in certwatch.yaml: change it there`,
      );
    }
  }

  async function findManaged(host: string, port: number): Promise<ManagedEndpoint | undefined> {
    const all = await store.schedule.listManagedEndpoints();
    return all.find((m) => m.host === host && m.port === port);
  }

  /**
   * The change is committed: schedule it now. Should that fail, the daemon reads the managed endpoints again
   * within a minute anyway, so the answer is still the change's.
   */
  async function reschedule(c: ApiContext, refreshTargets: () => Promise<void>): Promise<void> {
    try {
      await refreshTargets();
    } catch (e) {
      deps.log.warn("the schedule was not updated at once (the next refresh will)", {
        path: c.req.path,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** The target of the path, as the store keys it; 404 when it names no endpoint (malformed or unknown). */
  function pathTarget(raw: string): { host: string; port: number } {
    const t = parseTarget(raw);
    if (t === null) throw new ApiError("NOT_FOUND", "no endpoint of that name (host:port)");
    return t;
  }

  app.openapi(
    apiRoute(
      {
        method: "get",
        path: "/endpoints",
        tags: ["endpoints"],
        summary: "Scan targets and their schedule",
        description:
          "Configured endpoints (read-only here: change certwatch.yaml) and managed ones (added through the API, " +
          "or discovered in CT), with a managed one's settings.",
        access: "alerts.read",
        errors: ["NOT_IMPLEMENTED"],
        responses: {
          200: {
            description: "Every scheduled target",
            content: { "application/json": { schema: z.object({ items: z.array(Endpoint) }) } },
          },
        },
      },
      secure,
    ),
    async (c) => {
      if (deps.scanTargets === undefined)
        throw new ApiError("NOT_IMPLEMENTED", "this server runs no scan schedule");
      const targets = deps.scanTargets();
      const managed = targets.some((t) => t.origin === "managed")
        ? new Map((await store.schedule.listManagedEndpoints()).map((m) => [targetScope(m), m]))
        : new Map<string, ManagedEndpoint>();
      const items = targets.map((t) => {
        const m = t.origin === "managed" ? managed.get(targetScope(t)) : undefined;
        return {
          target: targetName(t.host, t.port),
          host: t.host,
          port: t.port,
          origin: t.origin,
          intervalMinutes: t.intervalMinutes,
          lastRunAt: t.lastRunAt,
          nextRunAt: t.nextRunAt,
          running: t.running,
          managed: m === undefined ? null : settingsOf(m),
        };
      });
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/endpoints",
        tags: ["endpoints"],
        summary: "Add a managed endpoint",
        description:
          "Scheduled at once (its first scan starts within `schedule.startSpreadSeconds`). Audited as " +
          "`endpoint.create`. 409: it exists (CONFLICT), certwatch.yaml names it (ENDPOINT_READ_ONLY), or " +
          "`schedule.maxManagedEndpoints` are there already (ENDPOINT_LIMIT).",
        access: "endpoints.manage",
        errors: [
          "CONFLICT",
          "ENDPOINT_READ_ONLY",
          "ENDPOINT_LIMIT",
          "NOT_IMPLEMENTED",
          "UNSUPPORTED_MEDIA_TYPE",
        ],
        request: { body: { required: true, content: { "application/json": { schema: CreateEndpoint } } } },
        responses: {
          201: { description: "Added", content: { "application/json": { schema: ManagedEndpointBody } } },
        },
      },
      secure,
    ),
    async (c) => {
      const { scanTargets, refreshTargets } = schedule();
      const body = c.req.valid("json");
      const host = hostOf("host", body.host);
      const target: Target = { host, port: body.port };
      refuseConfigured(scanTargets, target);
      const all = await store.schedule.listManagedEndpoints();
      if (all.some((m) => m.host === host && m.port === body.port)) {
        throw new ApiError("CONFLICT", `${targetName(host, body.port)} is a managed endpoint already`);
      }
      const max = deps.maxManagedEndpoints?.() ?? DEFAULT_MAX_MANAGED_ENDPOINTS;
      if (all.length >= max) {
        throw new ApiError(
          "ENDPOINT_LIMIT",
          `${all.length} managed endpoints exist; schedule.maxManagedEndpoints allows ${max}`,
        );
      }
      const now = deps.now();
      const endpoint: ManagedEndpoint = {
        host,
        port: body.port,
        ...(body.addresses !== undefined && { addresses: addressesOf(body.addresses) }),
        ...(body.serverName !== undefined && { serverName: serverNameOf(body.serverName) }),
        ...(body.scanIntervalMinutes !== undefined && { scanIntervalMinutes: body.scanIntervalMinutes }),
        origin: "api",
        createdAt: rfc3339(now),
        createdBy: principalOf(c).user,
      };
      await store.schedule.putManagedEndpoint(endpoint, auditContextOf(c, now));
      await reschedule(c, refreshTargets);
      return c.json(managedBody(endpoint), 201);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "patch",
        path: "/endpoints/{target}",
        tags: ["endpoints"],
        summary: "Change a managed endpoint",
        description:
          "Its pinned addresses, server name or interval (null: back to the default). Audited as " +
          "`endpoint.update`. A configured endpoint answers 409 ENDPOINT_READ_ONLY.",
        access: "endpoints.manage",
        errors: ["NOT_FOUND", "ENDPOINT_READ_ONLY", "NOT_IMPLEMENTED", "UNSUPPORTED_MEDIA_TYPE"],
        request: {
          params: TargetParam,
          body: { required: true, content: { "application/json": { schema: ChangeEndpoint } } },
        },
        responses: {
          200: { description: "Changed", content: { "application/json": { schema: ManagedEndpointBody } } },
        },
      },
      secure,
    ),
    async (c) => {
      const { scanTargets, refreshTargets } = schedule();
      const { host, port } = pathTarget(c.req.valid("param").target);
      const body = c.req.valid("json");
      refuseConfigured(scanTargets, { host, port });
      const before = await findManaged(host, port);
      if (before === undefined) throw new ApiError("NOT_FOUND", "no managed endpoint of that name");
      const { addresses: _a, serverName: _s, scanIntervalMinutes: _i, ...kept } = before;
      const pick = <T>(change: T | null | undefined, old: T | undefined): T | undefined =>
        change === undefined ? old : (change ?? undefined);
      const addresses = pick(body.addresses, before.addresses);
      const name = pick(body.serverName, before.serverName);
      const every = pick(body.scanIntervalMinutes, before.scanIntervalMinutes);
      const after: ManagedEndpoint = {
        ...kept,
        ...(addresses !== undefined && { addresses: addressesOf(addresses) }),
        ...(name !== undefined && { serverName: serverNameOf(name) }),
        ...(every !== undefined && { scanIntervalMinutes: every }),
      };
      await store.schedule.putManagedEndpoint(after, auditContextOf(c, deps.now()));
      await reschedule(c, refreshTargets);
      return c.json(managedBody(after), 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "delete",
        path: "/endpoints/{target}",
        tags: ["endpoints"],
        summary: "Delete a managed endpoint",
        description:
          "No longer scanned; its open alerts stay as they are until resolved by hand (an endpoint no longer " +
          "watched is not an endpoint fixed). Audited as `endpoint.delete`. A configured endpoint answers 409 " +
          "ENDPOINT_READ_ONLY.",
        access: "endpoints.manage",
        errors: ["NOT_FOUND", "ENDPOINT_READ_ONLY", "NOT_IMPLEMENTED"],
        request: { params: TargetParam },
        responses: { 204: { description: "Deleted" } },
      },
      secure,
    ),
    async (c) => {
      const { scanTargets, refreshTargets } = schedule();
      const { host, port } = pathTarget(c.req.valid("param").target);
      refuseConfigured(scanTargets, { host, port });
      if (!(await store.schedule.deleteManagedEndpoint(host, port, auditContextOf(c, deps.now())))) {
        throw new ApiError("NOT_FOUND", "no managed endpoint of that name");
      }
      await reschedule(c, refreshTargets);
      return c.body(null, 204);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/endpoints/{target}/scan",
        tags: ["endpoints"],
        summary: "Scan one target now",
        description: "Queued: it runs as soon as a scan slot is free. Audited as `scan.now`.",
        access: "scan.now",
        errors: ["NOT_FOUND", "NOT_IMPLEMENTED"],
        request: { params: TargetParam },
        responses: {
          202: {
            description: "Queued",
            content: {
              "application/json": { schema: z.object({ target: z.string(), message: z.string() }) },
            },
          },
        },
      },
      secure,
    ),
    async (c) => {
      const { target } = c.req.valid("param");
      if (deps.scanNow === undefined)
        throw new ApiError("NOT_IMPLEMENTED", "this server runs no scan schedule");
      const result = await deps.scanNow(target);
      if (!result.accepted) throw new ApiError("NOT_FOUND", "no scheduled endpoint of that name (host:port)");
      await store.auth.appendAudit(auditContextOf(c, deps.now()), {
        action: "scan.now",
        target,
        details: {},
      });
      return c.json({ target, message: result.message }, 202);
    },
  );
}
