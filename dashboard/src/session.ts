// The signed-in user: a bearer token kept in localStorage. It comes from a
// sign-in link: an emailed one (`#signin=<code>`) carries a one-time code
// that is exchanged for the token (POST /sign-in); the link ferry-local
// prints (`#token=...`) carries the token itself. The token is a JWT; its
// claims (role, expiry) are read here only to shape the screens — Ferry
// checks them on every call.

import { signal } from "./signal.ts";
import { ApiError, Client, describe } from "./api.ts";
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

/** `#signin=abc` (what invitation and sign-out emails link to) → "abc". */
export function codeFromHash(hash: string): string | null {
  const match = /^#\/?signin=([^&]+)/.exec(hash);
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

/** While an emailed link's code is being exchanged. */
export const signingIn = signal(false);

/** Codes already sent for exchange: each is tried once (it works once). */
const exchanged = new Set<string>();

/**
 * Exchanges an emailed link's code for a token and signs in with it; when
 * Ferry refuses the code, the sign-in screen says why. Answers whether it
 * signed in.
 */
export async function signInWithCode(code: string, client: Client = new Client({ token: () => null })): Promise<boolean> {
  if (exchanged.has(code)) return false;
  exchanged.add(code);
  signingIn.set(true);
  try {
    const answer = await client.post<{ token: string }>("/sign-in", { code });
    signIn(answer.token);
    return true;
  } catch (error) {
    const words = error instanceof ApiError && error.status === 401 ? error.message.replace(/ Sign in again with .*$/, "") : describe(error);
    signedOutReason.set(words);
    return false;
  } finally {
    signingIn.set(false);
  }
}

/**
 * Signs the user out on every device (every token they hold stops working,
 * this one too); Ferry emails them a new sign-in link.
 */
export async function signOutEverywhere(): Promise<void> {
  const answer = await api.post<{ sign_in_link_sent: boolean }>("/sign-out-everywhere");
  signOut(
    answer.sign_in_link_sent
      ? "You are signed out on every device. A new sign-in link is on its way to your email."
      : "You are signed out on every device. No email could be sent: ask an admin of your team to send you a new sign-in link.",
  );
}

export const api = new Client({
  token: () => token.get(),
  onSignedOut: () =>
    signOut("Your sign-in token is no longer valid. Open the link ferry-local printed, or the newest sign-in link emailed to you."),
});
