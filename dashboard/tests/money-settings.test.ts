import { describe, expect, it } from "vitest";
import {
  checkRoundingLimit,
  cleanRoundingLimit,
  configErrors,
  configValues,
  defaultedMoneySettings,
  moneyFields,
  moneySettingsChange,
  moneySettingsOf,
  specOf,
} from "../src/systems-spec.ts";

describe("a ledger's money settings", () => {
  it("asks e-conomic for product numbers and Fortnox for article numbers, each explained, and webshops for none", () => {
    expect(moneyFields("economic").map((f) => f.label)).toEqual(["Rounding product number", "Rounding limit", "Gift card product number"]);
    expect(moneyFields("fortnox").map((f) => f.label)).toEqual(["Rounding article number", "Rounding limit", "Gift card article number"]);
    expect(moneyFields("economic").map((f) => f.name)).toEqual(["rounding_product", "rounding_limit", "gift_card_product"]);
    for (const field of [...moneyFields("economic"), ...moneyFields("fortnox")]) {
      expect(field.optional).toBe(true);
      expect(field.hint).toMatch(/\w+.*\.$/);
    }
    expect(moneyFields("fortnox").find((f) => f.name === "gift_card_product")!.hint).toMatch(/liability/);
    expect(moneyFields("shopify")).toEqual([]);
    expect(specOf("fortnox")!.config.map((f) => f.name)).toContain("rounding_limit");
  });

  it("takes a rounding limit that is a non-negative amount with at most two decimals", () => {
    for (const good of ["1.00", "0", "0.5", "2,50", "10", " 0.10 "]) expect(checkRoundingLimit(good)).toBeNull();
    for (const bad of ["-1", "1.005", "abc", "1.", ".5", "1e2", "1 000"]) expect(checkRoundingLimit(bad)).toMatch(/amount like 1\.00/);
  });

  it("sends the limit as a decimal string with two decimals, a comma read as the point", () => {
    expect(cleanRoundingLimit("0,5")).toBe("0.50");
    expect(cleanRoundingLimit("2")).toBe("2.00");
    expect(cleanRoundingLimit("007.1")).toBe("7.10");
    expect(cleanRoundingLimit("0.00")).toBe("0.00");
  });

  it("adds the settings to a new system's config: numbers as text, empty ones left out, a bad limit refused before sending", () => {
    const spec = specOf("economic")!;
    const typed = { layout_number: "19", rounding_product: "9990", rounding_limit: "0,25", gift_card_product: " " };
    expect(configValues(spec, typed)).toEqual({ layout_number: 19, rounding_product: "9990", rounding_limit: "0.25" });
    expect(configErrors(spec.config, typed)).toEqual({});
    expect(configErrors(spec.config, { rounding_limit: "1.234" })).toEqual({ rounding_limit: expect.stringMatching(/at most two decimals/) });
  });

  it("shows the defaults a system leaves to Ferry", () => {
    expect(defaultedMoneySettings({ kind: "fortnox", config: { rounding_limit: "0.50" } })).toEqual([
      ["rounding product", "rounding"],
      ["gift card product", "giftcard"],
    ]);
    expect(defaultedMoneySettings({ kind: "economic", config: { rounding_product: "9990", rounding_limit: "1.00", gift_card_product: "GC" } })).toEqual([]);
    expect(defaultedMoneySettings({ kind: "woocommerce", config: {} })).toEqual([]);
  });

  it("changes them with the rest of the configuration sent back as it was", () => {
    const system = { kind: "economic" as const, config: { layout_number: 19, base_url: "http://127.0.0.1:9/", rounding_product: "9990", gift_card_product: "GC" } };
    expect(moneySettingsOf(system)).toEqual({ rounding_product: "9990", gift_card_product: "GC" });
    expect(moneySettingsChange(system, { rounding_product: "ØRE", rounding_limit: "0,1", gift_card_product: "" })).toEqual({
      config: { layout_number: 19, base_url: "http://127.0.0.1:9/", rounding_product: "ØRE", rounding_limit: "0.10" },
    });
  });
});
