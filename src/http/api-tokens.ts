import { createHash, timingSafeEqual } from "node:crypto";
import { type Issue, issue, type ValidationResult } from "../errors.js";
import { isUuidString } from "../format/portable-id.js";

/**
 * A token the HTTP API accepts (as a bearer header or a cookie). `tenants` restricts it to those
 * tenants (UUIDs, compared case-insensitively); without it the token may act on every tenant.
 */
export interface ApiToken {
  token: string;
  tenants?: readonly string[];
}

/** The shortest token accepted: short tokens can be guessed. */
export const MIN_TOKEN_LENGTH = 16;

const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

function checkToken(token: string, where: string): Issue | null {
  // The reason never quotes the token: configuration errors end up in logs.
  if (!TOKEN_PATTERN.test(token))
    return issue("SERVER_CONFIG_INVALID", { reason: `${where}: a token must be printable ASCII without spaces` });
  if (token.length < MIN_TOKEN_LENGTH)
    return issue("SERVER_CONFIG_INVALID", {
      reason: `${where}: a token must be at least ${MIN_TOKEN_LENGTH} characters long (generate one with \`openssl rand -hex 32\`)`,
    });
  return null;
}

/**
 * Parses the `WORKFLOW_SEEDER_API_TOKENS` form: tokens separated by commas (blanks around them
 * ignored), each valid for every tenant.
 *
 * @example parseTokenList("3f9c...e1,77ab...90") // [{ token: "3f9c...e1" }, { token: "77ab...90" }]
 */
export function parseTokenList(value: string): ValidationResult<ApiToken[]> {
  const tokens: ApiToken[] = [];
  const issues: Issue[] = [];
  value
    .split(",")
    .map((t) => t.trim())
    .forEach((token, i) => {
      if (token === "") return;
      const problem = checkToken(token, `WORKFLOW_SEEDER_API_TOKENS entry ${i + 1}`);
      if (problem) issues.push(problem);
      else tokens.push({ token });
    });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: tokens };
}

/**
 * Parses a token file: one token per line, optionally followed by the tenants it is restricted to
 * (comma-separated UUIDs, after blanks). Blank lines and lines starting with `#` are ignored.
 *
 * @example
 * parseTokenFileText("# ci\n3f9c...e1\n77ab...90 00000000-0000-0000-0000-000000000001\n")
 * // [{ token: "3f9c...e1" }, { token: "77ab...90", tenants: ["00000000-0000-0000-0000-000000000001"] }]
 */
export function parseTokenFileText(text: string, options: { file?: string } = {}): ValidationResult<ApiToken[]> {
  const name = options.file ?? "token file";
  const tokens: ApiToken[] = [];
  const issues: Issue[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `${name} line ${i + 1}`;
    const [token = "", tenantList, ...rest] = line.split(/\s+/);
    if (rest.length > 0) {
      issues.push(
        issue("SERVER_CONFIG_INVALID", {
          reason: `${where}: expected "<token>" or "<token> <tenant>[,<tenant>...]" (no blanks between tenants)`,
        }),
      );
      return;
    }
    const problem = checkToken(token, where);
    if (problem) {
      issues.push(problem);
      return;
    }
    if (tenantList === undefined) {
      tokens.push({ token });
      return;
    }
    const tenants = tenantList.split(",").filter((t) => t !== "");
    const invalid = tenants.filter((t) => !isUuidString(t));
    if (tenants.length === 0 || invalid.length > 0) {
      issues.push(
        issue("SERVER_CONFIG_INVALID", {
          reason: `${where}: tenants must be comma-separated UUIDs${invalid.length > 0 ? `, got ${invalid.map((t) => JSON.stringify(t)).join(", ")}` : ""}`,
        }),
      );
      return;
    }
    tokens.push({ token, tenants: tenants.map((t) => t.toLowerCase()) });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: tokens };
}

/** Checks tokens given through the API (same rules as the file and the environment). */
export function validateApiTokens(tokens: readonly ApiToken[]): ValidationResult<ApiToken[]> {
  const issues: Issue[] = [];
  const value: ApiToken[] = [];
  for (const [i, t] of tokens.entries()) {
    const problem = checkToken(t.token, `token ${i + 1}`);
    if (problem) issues.push(problem);
    else if (t.tenants !== undefined && !t.tenants.every(isUuidString))
      issues.push(issue("SERVER_CONFIG_INVALID", { reason: `token ${i + 1}: tenants must be UUIDs` }));
    else
      value.push(
        t.tenants === undefined
          ? { token: t.token }
          : { token: t.token, tenants: t.tenants.map((x) => x.toLowerCase()) },
      );
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Builds the token check of the server. Every configured token is compared, in constant time, with
 * the presented one (both hashed first, so lengths do not leak either), and the loop never stops
 * early. Returns the matching token or `undefined`.
 */
export function createTokenMatcher(tokens: readonly ApiToken[]): (presented: string) => ApiToken | undefined {
  const hashed = tokens.map((t) => ({ token: t, hash: digest(t.token) }));
  return (presented) => {
    const candidate = digest(presented);
    let found: ApiToken | undefined;
    for (const h of hashed) if (timingSafeEqual(h.hash, candidate) && found === undefined) found = h.token;
    return found;
  };
}

/** True when `token` may act on `tenant`. */
export function isTenantAllowed(token: ApiToken, tenant: string): boolean {
  return token.tenants === undefined || token.tenants.includes(tenant.toLowerCase());
}

/**
 * The tenant a token stands for when a request names none: its only tenant when it is restricted
 * to exactly one (as Alga falls back to the tenant of the session), else `undefined`.
 */
export function impliedTenantOf(token: ApiToken): string | undefined {
  return token.tenants?.length === 1 ? token.tenants[0] : undefined;
}
