// The one way the dashboard talks to Ferry: JSON over /api/v1 with the
// signed-in user's bearer token. Every failure becomes an ApiError whose
// message says, in words, what went wrong and what to do.

export class ApiError extends Error {
  /** The HTTP status, or 0 when Ferry could not be reached at all. */
  readonly status: number;
  /** Ferry's stable error word (`invalid_field`, `not_found`...), or ours. */
  readonly code: string;
  /** The offending field, when Ferry named one. */
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }

  /** Signed out: the token is missing, expired or no longer valid. */
  get signedOut(): boolean {
    return this.status === 401;
  }
}

/** What to do next, added to the server's own words where it helps. */
function hint(status: number): string {
  if (status === 401) return "Sign in again with the link ferry-local printed, or ask an admin for a new invitation.";
  if (status === 403) return "Your role may look but not change this: ask an admin.";
  if (status === 429) return "Too many requests at once: wait a moment and try again.";
  if (status >= 500) return "Ferry had a problem on its side: try again in a moment; if it keeps happening, look at Logs.";
  return "";
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  // "the token is invalid" → "The token…"; a field name stays as it is.
  const firstWord = trimmed.split(/\s/, 1)[0]!;
  const capital = /^[a-z]+$/.test(firstWord) ? trimmed[0]!.toUpperCase() + trimmed.slice(1) : trimmed;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Turns an error answer (JSON in Ferry's shape or anything else) into an ApiError. */
export function errorFrom(status: number, statusText: string, body: string): ApiError {
  let code = `http_${status}`;
  let message = "";
  let field: string | null = null;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const error = parsed?.error;
    if (error && typeof error.message === "string") {
      message = error.message;
      if (typeof error.code === "string") code = error.code;
      if (typeof error.field === "string") field = error.field;
    }
  } catch {
    // Not JSON: a proxy or gateway answered; described below by its status.
  }
  if (!message) {
    message =
      status === 404
        ? "This part of Ferry is not available on this server (404)"
        : `Ferry answered ${status}${statusText ? ` ${statusText}` : ""}`;
  }
  const words = [sentence(message), hint(status)].filter(Boolean).join(" ");
  return new ApiError(status, code, words, field);
}

export interface ClientOptions {
  /** Where /api/v1 lives; "" for the same origin. */
  base?: string;
  token: () => string | null;
  fetch?: typeof fetch;
  /** Called when an answer says the token no longer works. */
  onSignedOut?: () => void;
}

/** The most items Ferry answers per list page (`limit` 1–500). */
export const LIST_LIMIT = 500;

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export class Client {
  constructor(private readonly options: ClientOptions) {}

  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = this.options.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const doFetch = this.options.fetch ?? fetch.bind(globalThis);
    let response: Response;
    try {
      response = await doFetch(`${this.options.base ?? ""}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(
        0,
        "unreachable",
        "Ferry did not answer. Check that ferry-local is still running and your network is up, then try again.",
      );
    }
    const text = await response.text();
    if (!response.ok) {
      const error = errorFrom(response.status, response.statusText, text);
      if (error.signedOut) this.options.onSignedOut?.();
      throw error;
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, "bad_answer", "Ferry's answer could not be read (it was not JSON). Try again in a moment.");
    }
  }

  get<T>(path: string, query?: Record<string, string | number | null | undefined>): Promise<T> {
    return this.request<T>("GET", path + queryString(query));
  }
  /**
   * Up to `limit` items of a list, following `next` over short pages: a
   * filtered list (logs by service or level, transfers by connection) reads
   * a bounded amount per request, so a page may hold fewer items than asked,
   * even none, and still a `next`. At most `requests` requests; the answer's
   * `next` is where to go on, null at the end of the list.
   */
  async upTo<T>(
    path: string,
    query: Record<string, string | number | null | undefined>,
    limit: number,
    requests = 2 + Math.ceil(limit / 50),
  ): Promise<{ items: T[]; next: string | null }> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < requests; i++) {
      const page: { items: T[]; next: string | null } = await this.get(path, { ...query, limit: limit - items.length, cursor });
      items.push(...page.items);
      cursor = page.next;
      if (cursor === null || items.length >= limit) break;
    }
    return { items, next: cursor };
  }
  /**
   * Every item of a list, page after page (`next` → `cursor`), for the
   * lookups that must be complete: a connection names its systems by id, and
   * a system beyond the first page must still be found.
   */
  async all<T>(path: string, query: Record<string, string | number | null | undefined> = {}): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { items: T[]; next: string | null } = await this.get(path, { ...query, limit: LIST_LIMIT, cursor });
      items.push(...page.items);
      cursor = page.next;
      if (cursor !== null) {
        // A cursor seen before would go round in circles: say so rather than show half a list.
        if (seen.has(cursor)) throw new ApiError(200, "bad_answer", "Ferry's list kept answering the same page. Try again in a moment.");
        seen.add(cursor);
      }
    } while (cursor !== null);
    return items;
  }
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>("POST", path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }
}

/** `?a=1&b=x` from the given values, leaving out empty ones. */
export function queryString(query?: Record<string, string | number | null | undefined>): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A message for anything thrown (ApiError or not). */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
