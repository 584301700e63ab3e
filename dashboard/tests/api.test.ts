import { describe, expect, it, vi } from "vitest";
import { ApiError, Client, errorFrom, queryString } from "../src/api.ts";

function answer(status: number, body: string, statusText = "") {
  return vi.fn(async () => new Response(body, { status, statusText }));
}

describe("the API client", () => {
  it("sends the bearer token and JSON, and reads JSON back", async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response('{"ok":true}', { status: 200 }));
    const client = new Client({ token: () => "t0k", fetch: fetch as unknown as typeof globalThis.fetch });
    await expect(client.patch("/settings", { integration_active: false })).resolves.toEqual({ ok: true });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/api/v1/settings");
    expect(init?.method).toBe("PATCH");
    expect((init?.headers as Record<string, string>).Authorization).toBe("Bearer t0k");
    expect((init?.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
    expect(init?.body).toBe('{"integration_active":false}');
  });

  it("turns Ferry's error shape into a sentence, keeping the code and field", async () => {
    const fetch = answer(400, '{"error":{"code":"invalid_field","message":"allowed_states must not be empty","field":"allowed_states"}}');
    const client = new Client({ token: () => "t", fetch: fetch as unknown as typeof globalThis.fetch });
    const error = await client.post("/connections", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("allowed_states must not be empty.");
    expect((error as ApiError).code).toBe("invalid_field");
    expect((error as ApiError).field).toBe("allowed_states");
    expect((error as ApiError).status).toBe(400);
  });

  it("explains an unreachable server in words", async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    const client = new Client({ token: () => "t", fetch: fetch as unknown as typeof globalThis.fetch });
    const error = (await client.get("/overview").catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/Ferry did not answer.*ferry-local/);
  });

  it("signs out on 401 and says how to sign in again", async () => {
    const onSignedOut = vi.fn();
    const fetch = answer(401, '{"error":{"code":"unauthorized","message":"the token is invalid"}}');
    const client = new Client({ token: () => "old", fetch: fetch as unknown as typeof globalThis.fetch, onSignedOut });
    const error = (await client.get("/overview").catch((e: unknown) => e)) as ApiError;
    expect(onSignedOut).toHaveBeenCalledOnce();
    expect(error.message).toBe("The token is invalid. Sign in again with the link ferry-local printed, or ask an admin for a new invitation.");
  });

  it("describes answers that are not Ferry's JSON by their status", () => {
    expect(errorFrom(404, "Not Found", "").message).toBe("This part of Ferry is not available on this server (404).");
    expect(errorFrom(502, "Bad Gateway", "<html>oops</html>").message).toMatch(/^Ferry answered 502 Bad Gateway\. Ferry had a problem on its side/);
    expect(errorFrom(403, "", '{"error":{"code":"forbidden","message":"viewers may not change anything"}}').message).toBe(
      "Viewers may not change anything. Your role may look but not change this: ask an admin.",
    );
  });

  it("reads a whole list page after page, following the cursor", async () => {
    const pages: Record<string, string> = {
      "": '{"items":[{"id":"sys_1"},{"id":"sys_2"}],"next":"c2"}',
      c2: '{"items":[{"id":"sys_3"}],"next":"c3"}',
      c3: '{"items":[],"next":null}',
    };
    const fetch = vi.fn(async (url: string) => new Response(pages[new URL(url, "http://x").searchParams.get("cursor") ?? ""]!, { status: 200 }));
    const client = new Client({ token: () => "t", fetch: fetch as unknown as typeof globalThis.fetch });
    await expect(client.all<{ id: string }>("/systems", { scope: "global" })).resolves.toEqual([{ id: "sys_1" }, { id: "sys_2" }, { id: "sys_3" }]);
    expect(fetch.mock.calls.map(([url]) => url)).toEqual([
      "/api/v1/systems?scope=global&limit=500",
      "/api/v1/systems?scope=global&limit=500&cursor=c2",
      "/api/v1/systems?scope=global&limit=500&cursor=c3",
    ]);
  });

  it("refuses a list whose cursor goes round in circles", async () => {
    const fetch = vi.fn(async () => new Response('{"items":[{"id":"a"}],"next":"same"}', { status: 200 }));
    const client = new Client({ token: () => "t", fetch: fetch as unknown as typeof globalThis.fetch });
    const error = (await client.all("/systems").catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe("bad_answer");
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("follows next over short and empty pages up to the limit, and says where to go on", async () => {
    const pages = [
      '{"items":[],"next":"c1"}',
      '{"items":[{"id":"a"}],"next":"c2"}',
      '{"items":[{"id":"b"},{"id":"c"}],"next":"c3"}',
    ];
    const fetch = vi.fn(async () => new Response(pages.shift() ?? '{"items":[],"next":null}', { status: 200 }));
    const client = new Client({ token: () => "t", fetch: fetch as unknown as typeof globalThis.fetch });
    const list = await client.upTo<{ id: string }>("/logs", { service: "reminders" }, 3);
    expect(list).toEqual({ items: [{ id: "a" }, { id: "b" }, { id: "c" }], next: "c3" });
    expect(fetch.mock.calls.map((call) => (call as unknown[])[0])).toEqual([
      "/api/v1/logs?service=reminders&limit=3",
      "/api/v1/logs?service=reminders&limit=3&cursor=c1",
      "/api/v1/logs?service=reminders&limit=2&cursor=c2",
    ]);

    const bounded = vi.fn(async () => new Response('{"items":[],"next":"more"}', { status: 200 }));
    const patient = new Client({ token: () => "t", fetch: bounded as unknown as typeof globalThis.fetch });
    await expect(patient.upTo("/logs", {}, 50, 3)).resolves.toEqual({ items: [], next: "more" });
    expect(bounded).toHaveBeenCalledTimes(3);
  });

  it("leaves empty values out of query strings", () => {
    expect(queryString({ status: "failed", q: "", connection: null, limit: 50 })).toBe("?status=failed&limit=50");
    expect(queryString({ q: "#1001" })).toBe("?q=%231001");
    expect(queryString({})).toBe("");
  });
});
