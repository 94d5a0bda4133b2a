/**
 * @module auth/password
 * Password hashes with scrypt (Node's OpenSSL, no native add-on) in the PHC string format
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`, verified in constant time; a dummy verification for unknown users.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { CertwatchError } from "../errors.js";
import { Limiter } from "../util/concurrency.js";

/** scrypt cost: N = 2^ln, block size r, parallelism p. */
export interface ScryptParams {
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1 (128 MiB, about 0.6 s on one core here). */
export const PASSWORD_PARAMS: ScryptParams = { ln: 17, r: 8, p: 1 };

/** Longer input is refused: hashing it is wasted work and a denial-of-service lever. */
export const MAX_PASSWORD_BYTES = 1024;

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** The most memory one hash may take (a tampered stored hash must not make us allocate gigabytes). */
const MAX_MEMORY = 256 * 1024 * 1024;

/**
 * Hashes running at once, and waiting. Each takes 128 MiB and a libuv thread (which DNS lookups and file reads
 * share: the pool has 4), so a burst of logins queues instead of exhausting memory; past the queue it is refused.
 */
export const MAX_CONCURRENT_HASHES = 2;
export const MAX_QUEUED_HASHES = 64;

/** Too many logins at once: the caller answers "busy, retry later" (HTTP 503). */
export class PasswordBusyError extends CertwatchError {
  readonly code = "BUSY";
  constructor() {
    super("too many password verifications in progress; retry later");
    this.name = "PasswordBusyError";
  }
}

/** The password cannot be hashed (empty, or longer than MAX_PASSWORD_BYTES). The password is never in the message. */
export class PasswordPolicyError extends CertwatchError {
  readonly code = "PASSWORD_POLICY";
  constructor(message: string) {
    super(message);
    this.name = "PasswordPolicyError";
  }
}

const limiter = new Limiter(MAX_CONCURRENT_HASHES);
let inFlight = 0;

/** scrypt's own working memory (OpenSSL's bound, exactly). */
function memoryOf(params: ScryptParams): number {
  return 128 * params.r * (2 ** params.ln + params.p + 2);
}

function validParams(params: ScryptParams): boolean {
  const int = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;
  return (
    int(params.ln, 1, 24) && int(params.r, 1, 32) && int(params.p, 1, 16) && memoryOf(params) <= MAX_MEMORY
  );
}

/** The scrypt key of a password, on the thread pool (never blocking the event loop), through the gate. */
async function derive(password: Buffer, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  if (inFlight >= MAX_CONCURRENT_HASHES + MAX_QUEUED_HASHES) throw new PasswordBusyError();
  inFlight++;
  try {
    return await limiter.run(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const options = { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: memoryOf(params) };
          scrypt(password, salt, HASH_BYTES, options, (err, key) =>
            err === null ? resolve(key) : reject(err),
          );
        }),
    );
  } finally {
    inFlight--;
  }
}

/**
 * The bytes hashed: NFKC-normalized (NIST SP 800-63B §5.1.1.2, so the same password typed on another keyboard
 * or OS still matches) UTF-8; undefined when empty or too long. The length is checked before normalizing
 * too, so that a megabyte of input costs nothing.
 */
function passwordBytes(password: string): Buffer | undefined {
  if (password.length === 0 || password.length > MAX_PASSWORD_BYTES) return undefined;
  const bytes = Buffer.from(password.normalize("NFKC"), "utf8");
  return bytes.length === 0 || bytes.length > MAX_PASSWORD_BYTES ? undefined : bytes;
}

const b64 = (b: Buffer): string => b.toString("base64").replace(/=+$/, "");

/** Decode unpadded base64, refusing any other spelling of the same bytes. */
function unb64(s: string): Buffer | undefined {
  const bytes = Buffer.from(s, "base64");
  return b64(bytes) === s ? bytes : undefined;
}

/**
 * Hash a new password. `params` exists for tests (cheap parameters keep them fast): callers in the product
 * never pass it, and nothing reads it from the environment.
 */
export async function hashPassword(
  password: string,
  params: ScryptParams = PASSWORD_PARAMS,
): Promise<string> {
  const bytes = passwordBytes(password);
  if (bytes === undefined) {
    throw new PasswordPolicyError(
      password.length === 0
        ? "the password must not be empty"
        : `the password is longer than ${MAX_PASSWORD_BYTES} bytes`,
    );
  }
  if (!validParams(params)) throw new RangeError(`scrypt parameters out of range: ${JSON.stringify(params)}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(bytes, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22,88})\$([A-Za-z0-9+/]{43})$/;

/** A stored hash, or undefined when it is not one we wrote (or has parameters we refuse to run). */
function parseHash(stored: string): ParsedHash | undefined {
  const m = PHC.exec(stored);
  if (m === null) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const salt = unb64(m[4] ?? "");
  const key = unb64(m[5] ?? "");
  if (!validParams(params) || salt === undefined || key === undefined || key.length !== HASH_BYTES) {
    return undefined;
  }
  return { params, salt, key };
}

/** True when `stored` is a well-formed hash this module can verify. */
export function isPasswordHash(stored: string): boolean {
  return parseHash(stored) !== undefined;
}

/**
 * Does `password` match `stored`? Constant-time comparison. A malformed stored hash never matches (and still
 * costs a dummy verification, so it cannot be told apart by timing); an empty or too long password is false.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const bytes = passwordBytes(password);
  if (bytes === undefined) return false;
  const parsed = parseHash(stored);
  if (parsed === undefined) return dummyVerify(password);
  const key = await derive(bytes, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/** A hash made with weaker parameters than `current` (or unreadable): re-hash it at the next successful login. */
export function needsRehash(stored: string, current: ScryptParams = PASSWORD_PARAMS): boolean {
  const parsed = parseHash(stored);
  if (parsed === undefined) return true;
  const p = parsed.params;
  return p.ln < current.ln || p.r < current.r || p.p < current.p;
}

const DUMMY_SALT = randomBytes(SALT_BYTES);

/**
 * The work of a verification against no user: login for an unknown (or SSO-only) user name takes as long as
 * a wrong password, so timing does not reveal which names exist. Always false.
 */
export async function dummyVerify(password: string, params: ScryptParams = PASSWORD_PARAMS): Promise<false> {
  const bytes = passwordBytes(password) ?? Buffer.from("certwatch-dummy");
  await derive(bytes, DUMMY_SALT, params);
  return false;
}
