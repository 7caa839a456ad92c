import { fail } from "../errors.js";
import type { ApiToken } from "./api-tokens.js";

/**
 * The cookie that carries a token, for clients that can send a `Cookie` header but no
 * `Authorization` header, such as Alga's workflow-bundle CLI
 * (`--cookie workflow_seeder_token=<token>`). The server never sets it.
 */
export const TOKEN_COOKIE_NAME = "workflow_seeder_token";

/** The request headers {@link authenticateRequest} reads. */
export interface CredentialHeaders {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

/** Every value of the cookie `name` in a `Cookie` header, unquoted; never decoded. */
function readCookieValues(header: string | undefined, name: string): string[] {
  if (header === undefined) return [];
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    values.push(value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
  }
  return values;
}

/**
 * Finds the token a request presents and checks it with `matchToken` (the constant-time matcher of
 * `createTokenMatcher`). The token is `Authorization: Bearer <token>` when that header is present
 * (the cookie is then ignored, so an explicit header is never overridden), else the
 * {@link TOKEN_COOKIE_NAME} cookie. Throws `UNAUTHORIZED` without either, for a header of another
 * form, for several such cookies, and for a token that does not match. Reasons never quote the token.
 */
export function authenticateRequest(
  headers: CredentialHeaders,
  matchToken: (presented: string) => ApiToken | undefined,
): ApiToken {
  const presented = presentedToken(headers);
  const token = matchToken(presented);
  if (!token) fail("UNAUTHORIZED", { reason: "the token is not valid" });
  return token;
}

function presentedToken(headers: CredentialHeaders): string {
  if (headers.authorization !== undefined) {
    const m = /^Bearer +(\S+) *$/i.exec(headers.authorization);
    if (!m) fail("UNAUTHORIZED", { reason: 'the Authorization header is not of the form "Bearer <token>"' });
    return m[1] as string;
  }
  const cookies = readCookieValues(headers.cookie, TOKEN_COOKIE_NAME);
  if (cookies.length === 0)
    fail("UNAUTHORIZED", {
      reason: `the request has no Authorization header and no ${TOKEN_COOKIE_NAME} cookie`,
    });
  // Two values (say, cookies of two paths) leave it unclear which one was meant: refuse rather than guess.
  if (cookies.length > 1)
    fail("UNAUTHORIZED", { reason: `the request has ${cookies.length} ${TOKEN_COOKIE_NAME} cookies; send one` });
  const [value] = cookies as [string];
  if (value === "") fail("UNAUTHORIZED", { reason: `the ${TOKEN_COOKIE_NAME} cookie is empty` });
  return value;
}
