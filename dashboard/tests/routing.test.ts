import { describe, expect, it } from "vitest";
import { href, parseHash } from "../src/router.ts";
import { Client } from "../src/api.ts";
import { codeFromHash, readClaims, signedOutReason, signInWithCode, token, tokenFromHash } from "../src/session.ts";
import { preview } from "../src/schedule.ts";

describe("hash routes", () => {
  it("reads the links reminder emails send", () => {
    const route = parseHash("#/transfers?status=failed");
    expect(route.path).toBe("/transfers");
    expect(route.params.get("status")).toBe("failed");
    expect(parseHash("").path).toBe("/");
    expect(parseHash("#/systems/").path).toBe("/systems");
  });

  it("writes routes without empty filters", () => {
    expect(href("/transfers", { status: "failed", q: "" })).toBe("#/transfers?status=failed");
    expect(href("/transfers", { q: "#1001" })).toBe("#/transfers?q=%231001");
    expect(href("/")).toBe("#/");
  });
});

describe("sign-in", () => {
  // {"sub":"usr_1","tenant":"t_1","role":"viewer","exp":1900000000,"iat":1}
  const payload = btoa(JSON.stringify({ sub: "usr_1", tenant: "t_1", role: "viewer", exp: 1900000000, iat: 1 }))
    .replace(/=+$/, "")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
  const jwt = `eyJhbGciOiJIUzI1NiJ9.${payload}.sig`;

  it("takes the token from the printed link", () => {
    expect(tokenFromHash(`#token=${jwt}`)).toBe(jwt);
    expect(tokenFromHash("#/transfers")).toBeNull();
  });

  it("takes the one-time code from an emailed link, and no token from it", () => {
    expect(codeFromHash(`#signin=${jwt}`)).toBe(jwt);
    expect(codeFromHash(`#/signin=${jwt}`)).toBe(jwt);
    expect(tokenFromHash(`#signin=${jwt}`)).toBeNull();
    expect(codeFromHash(`#token=${jwt}`)).toBeNull();
  });

  it("exchanges a code once for a token, and says why a refused one failed", async () => {
    const calls: { url: string; body: unknown }[] = [];
    const answers = [
      new Response(JSON.stringify({ token: jwt }), { status: 200 }),
      new Response('{"error":{"code":"unauthorized","message":"this sign-in link was already used"}}', { status: 401 }),
    ];
    const fetch = async (url: string, init?: RequestInit) => {
      calls.push({ url, body: JSON.parse(String(init?.body)) });
      return answers.shift()!;
    };
    const client = new Client({ token: () => null, fetch: fetch as unknown as typeof globalThis.fetch });
    await expect(signInWithCode("code-1", client)).resolves.toBe(true);
    expect(token.get()).toBe(jwt);
    expect(calls).toEqual([{ url: "/api/v1/sign-in", body: { code: "code-1" } }]);
    // The same code is not sent again (it works once).
    await expect(signInWithCode("code-1", client)).resolves.toBe(false);
    expect(calls).toHaveLength(1);
    await expect(signInWithCode("code-2", client)).resolves.toBe(false);
    expect(signedOutReason.get()).toBe("This sign-in link was already used.");
  });

  it("reads the role from the token, and refuses what is not one", () => {
    expect(readClaims(jwt)).toEqual({ sub: "usr_1", tenant: "t_1", role: "viewer", exp: 1900000000 });
    expect(readClaims("operator-token")).toBeNull();
    expect(readClaims("a.%%%.c")).toBeNull();
  });
});

describe("schedule preview", () => {
  const from = new Date("2026-11-23T12:02:00Z");

  it("lists the next runs of a crontab expression in UTC", () => {
    const result = preview("*/5 * * * *", 3, from);
    expect(result.problem).toBeNull();
    expect(result.runs.map((d) => d.toISOString())).toEqual([
      "2026-11-23T12:05:00.000Z",
      "2026-11-23T12:10:00.000Z",
      "2026-11-23T12:15:00.000Z",
    ]);
    expect(preview("0 6 * * *", 1, from).runs[0]!.toISOString()).toBe("2026-11-24T06:00:00.000Z");
  });

  it("explains what is wrong with an expression", () => {
    expect(preview("every five minutes").problem).toMatch(/five fields/);
    expect(preview("61 * * * *").problem).toMatch(/not a valid schedule/);
    expect(preview("").problem).toBeNull();
  });
});
