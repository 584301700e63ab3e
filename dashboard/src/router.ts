// Hash routing: `#/transfers?status=failed&q=1001`. Reminder emails link to
// such addresses, so a screen's filters live in the address and survive a
// reload or a shared link.

import { signal } from "./signal.ts";

export interface Route {
  /** `/transfers` (always starts with a slash; `/` is Home). */
  path: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, "");
  const [rawPath = "", rawQuery = ""] = text.split("?", 2) as [string?, string?];
  let path = rawPath.startsWith("/") ? rawPath : `/${rawPath}`;
  if (path.length > 1) path = path.replace(/\/+$/, "");
  return { path, params: new URLSearchParams(rawQuery) };
}

/** `#/transfers?status=failed` for ("/transfers", {status: "failed"}); empty values are left out. */
export function href(path: string, params: Record<string, string | null | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value) query.set(key, value);
  }
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

export const route = signal<Route>(parseHash(typeof location === "undefined" ? "" : location.hash));

export function startRouting() {
  window.addEventListener("hashchange", () => route.set(parseHash(location.hash)));
}

/** Changes the address; `replace` keeps the browser's history from filling with every keystroke. */
export function navigate(path: string, params: Record<string, string | null | undefined> = {}, replace = false) {
  const target = href(path, params);
  if (target === location.hash || (target === "#/" && location.hash === "")) return;
  if (replace) {
    history.replaceState(null, "", target);
    route.set(parseHash(target));
  } else {
    location.hash = target;
  }
}
