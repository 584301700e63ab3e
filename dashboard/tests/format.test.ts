import { describe, expect, it } from "vitest";
import * as fmt from "../src/format.ts";
import { niceMax } from "../src/components/chart.tsx";

describe("formatters", () => {
  const now = new Date("2026-11-23T12:00:00Z");

  it("says how long ago or how soon, in words", () => {
    expect(fmt.relative("2026-11-23T11:59:50Z", now)).toBe("just now");
    expect(fmt.relative("2026-11-23T11:55:00Z", now)).toBe("5 min ago");
    expect(fmt.relative("2026-11-23T12:03:00Z", now)).toBe("in 3 min");
    expect(fmt.relative("2026-11-23T09:00:00Z", now)).toBe("3 h ago");
    expect(fmt.relative("2026-11-22T08:00:00Z", now)).toBe("yesterday");
    expect(fmt.relative(null, now)).toBe("never");
    expect(fmt.relative("not a date", now)).toBe("not a date");
  });

  it("names systems, documents and statuses as merchants know them", () => {
    expect(fmt.systemKind("economic")).toBe("e-conomic");
    expect(fmt.systemKind("woocommerce")).toBe("WooCommerce");
    expect(fmt.documentKind("draft_invoice")).toBe("Draft invoice");
    expect(fmt.status("skipped")).toBe("Skipped");
    expect(fmt.words("partially_paid")).toBe("partially paid");
    expect(fmt.isSource("shopify")).toBe(true);
    expect(fmt.isSource("fortnox")).toBe(false);
  });

  it("rounds usage down so that 100 % means all of it", () => {
    expect(fmt.percent(999, 1000)).toBe(99);
    expect(fmt.percent(1000, 1000)).toBe(100);
    expect(fmt.percent(1200, 1000)).toBe(100);
    expect(fmt.percent(0, 0)).toBe(0);
  });

  it("labels chart periods by day and by month", () => {
    expect(fmt.periodLabel("2026-11-03", "en-GB")).toBe("3 Nov");
    expect(fmt.periodLabel("2026-01", "en-GB")).toBe("Jan 26");
    expect(fmt.periodLabel("whenever")).toBe("whenever");
  });

  it("counts and prices with separators", () => {
    expect(fmt.count(25000, "en-GB")).toBe("25,000");
    expect(fmt.money("29.00", "EUR", "en-GB")).toBe("€29.00");
  });

  it("gives the chart a round top", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(13)).toBe(20);
    expect(niceMax(420)).toBe(500);
  });
});
