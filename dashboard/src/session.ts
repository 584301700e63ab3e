// The signed-in user: a bearer token from the sign-in link (`#token=...`),
// kept in localStorage. The token is a JWT; its claims (role, expiry) are
// read here only to shape the screens — Ferry checks them on every call.

import { signal } from "./signal.ts";
import { Client } from "./api.ts";
import type { Role } from "./types.ts";

const KEY = "ferry-token";

export interface Claims {
  sub: string;
  tenant: string;
  role: Role;
  exp: number;
}

/** The claims of a JWT, or null when it is not one we can read. */
export function readClaims(token: string): Claims | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const json = new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json) as Partial<Claims>;
    if (typeof claims.tenant !== "string" || (claims.role !== "admin" && claims.role !== "viewer")) return null;
    return { sub: String(claims.sub ?? ""), tenant: claims.tenant, role: claims.role, exp: Number(claims.exp ?? 0) };
  } catch {
    return null;
  }
}

/** `#token=abc` (what ferry-local prints and invitations link to) → "abc". */
export function tokenFromHash(hash: string): string | null {
  const match = /^#\/?token=([^&]+)/.exec(hash);
  return match ? decodeURIComponent(match[1]!) : null;
}

function stored(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export const token = signal<string | null>(stored());

/** Why the user was signed out, shown on the sign-in screen. */
export const signedOutReason = signal<string | null>(null);

export function signIn(value: string) {
  const trimmed = value.trim();
  try {
    localStorage.setItem(KEY, trimmed);
  } catch {
    // Private mode: the token lives as long as the tab.
  }
  signedOutReason.set(null);
  token.set(trimmed);
}

export function signOut(reason: string | null = null) {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
  signedOutReason.set(reason);
  token.set(null);
}

export function claims(): Claims | null {
  const value = token.get();
  return value ? readClaims(value) : null;
}

export function canWrite(): boolean {
  return claims()?.role !== "viewer";
}

export const api = new Client({
  token: () => token.get(),
  onSignedOut: () =>
    signOut("Your sign-in token is no longer valid. Open the link ferry-local printed (or your invitation) again."),
});
