import { h } from "preact";
import { describe, expect, it } from "vitest";
import { KindBadge, MoneyFacts } from "../src/components/transfer-facts.tsx";
import * as fmt from "../src/format.ts";
import { times, transferFacts } from "../src/transfer-facts.ts";
import type { System, Transfer } from "../src/types.ts";
import { render, text } from "./render.ts";

const ledger = (kind: "economic" | "fortnox", config: Record<string, unknown> = {}) => ({ id: "sys_l", kind, config }) as unknown as System;

const transfer = (fields: Partial<Transfer>): Transfer => ({
  id: "trf_1",
  connection: "con_1",
  entity: "orders",
  source_ref: "#1001",
  source_id: "1001",
  target_ref: "10023",
  status: "delivered",
  reason: null,
  attempts: 1,
  received_at: "2026-12-03T10:00:00Z",
  updated_at: "2026-12-03T10:00:05Z",
  ...fields,
});

const facts = (t: Transfer, system?: System) => Object.fromEntries(transferFacts(t, system).map((f) => [f.key, f.text]));

describe("a transfer's kind", () => {
  it("is its own, or its entity's when it has none", () => {
    expect(fmt.transferKind({ kind: "payment", entity: "orders" })).toBe("payment");
    expect(fmt.transferKind({ entity: "orders" })).toBe("order");
    expect(fmt.transferKind({ kind: null, entity: "products" })).toBe("product");
    expect(fmt.transferKind({ entity: "customers" })).toBe("customer");
    expect(fmt.transferKind({ entity: "stock" })).toBe("stock");
  });

  it("reads as a badge", () => {
    const [badge] = render(h(KindBadge, { transfer: { entity: "stock" } }));
    expect(text([badge!])).toBe("Stock");
    expect(typeof badge === "object" && badge.props.class).toBe("badge kind kind-stock");
    expect(text(render(h(KindBadge, { transfer: { kind: "payment", entity: "orders" } })))).toBe("Payment");
  });
});

describe("an order's money facts", () => {
  const economicOrder = {
    currency: "EUR",
    exchangeRate: 745.2,
    lines: [
      { lineNumber: 1, product: { productNumber: "SKU-1" }, description: "Mug", quantity: 3, unitNetPrice: 7.99 },
      { lineNumber: 2, product: { productNumber: "9990" }, description: "Rounding", quantity: 1, unitNetPrice: 0.01 },
    ],
  };

  it("on e-conomic: the currency and rate in words, and the line on the rounding product", () => {
    expect(facts(transfer({ kind: "order", target_payload: economicOrder }), ledger("economic", { rounding_product: "9990" }))).toEqual({
      currency: "Booked in EUR at 745.20 DKK per 100 EUR",
      rounding: "0.01 EUR on product 9990 (“Rounding”)",
    });
  });

  it("on Fortnox: Currency, CurrencyRate and CurrencyUnit, and the row on the rounding article", () => {
    const sent = {
      Invoice: {
        Currency: "EUR",
        CurrencyRate: 11.2345,
        CurrencyUnit: 1,
        InvoiceRows: [
          { ArticleNumber: "A1", DeliveredQuantity: 2, Price: 100 },
          { ArticleNumber: "ORE", Description: "Öresavrundning", DeliveredQuantity: 1, Price: -0.02 },
        ],
      },
    };
    expect(facts(transfer({ target_payload: sent }), ledger("fortnox", { rounding_product: "ORE" }))).toEqual({
      currency: "Booked in EUR at 11.2345 SEK per 1 EUR",
      rounding: "-0.02 EUR on article ORE (“Öresavrundning”)",
    });
  });

  it("says when no rounding was needed, and when the ledger's own currency or rate was used", () => {
    const home = { currency: "DKK", lines: [{ product: { productNumber: "SKU-1" }, quantity: 1, unitNetPrice: 100 }] };
    expect(facts(transfer({ target_payload: home }), ledger("economic", { rounding_product: "9990" }))).toEqual({
      currency: "Booked in DKK, e-conomic's own currency",
      rounding: "None on this document",
    });
    const ledgerRate = { Order: { Currency: "EUR", OrderRows: [] } };
    expect(facts(transfer({ target_payload: ledgerRate }), ledger("fortnox"))).toEqual({ currency: "Booked in EUR at Fortnox's own rate of the day" });
  });

  it("finds the line on Ferry's default rounding product when the system names none", () => {
    const sent = { currency: "DKK", lines: [{ product: { productNumber: "SKU-1" }, quantity: 1, unitNetPrice: 100 }, { product: { productNumber: "rounding" }, quantity: 1, unitNetPrice: -0.01 }] };
    expect(facts(transfer({ target_payload: sent }), ledger("economic")).rounding).toBe("-0.01 DKK on product rounding");
  });

  it("takes the ledger's base currency from the system when it names one", () => {
    expect(facts(transfer({ target_payload: economicOrder }), ledger("economic", { base_currency: "NOK" })).currency).toBe(
      "Booked in EUR at 745.20 NOK per 100 EUR",
    );
  });

  it("shows nothing before a document was sent", () => {
    expect(transferFacts(transfer({ status: "pending", target_ref: null }), ledger("economic", { rounding_product: "9990" }))).toEqual([]);
  });

  it("lists the payments that marked it paid", () => {
    const t = transfer({ target_payload: { currency: "DKK", lines: [] }, documents: [{ kind: "invoice", number: "10023" }, { kind: "payment", number: "123", amount: "1000.00", at: "2026-12-03T12:00:00Z" }] });
    expect(facts(t, ledger("economic")).paid).toBe("voucher 123 · 1,000.00 · 3 Dec 2026");
  });
});

describe("a payment's facts", () => {
  it("on e-conomic: the voucher, with amount, method and day from the shop's transaction", () => {
    const t = transfer({
      kind: "payment",
      source_ref: "#1001",
      target_ref: "123",
      source_payload: { id: 991, kind: "sale", gateway: "paypal", amount: "1000.00", currency: "DKK", processed_at: "2026-12-03T12:00:00Z" },
    });
    expect(facts(t, ledger("economic"))).toEqual({ marked_paid: "voucher 123", payment: "1,000.00 DKK with paypal on 3 Dec 2026" });
  });

  it("reads the payment as Ferry records it (amount, currency, gateway, paid_at)", () => {
    const recorded = {
      transaction_id: "5001",
      order_source_id: "1001",
      order_e_number: "#1001",
      gateway: "gift_card",
      amount: "50.00",
      currency: "EUR",
      paid_at: "2026-12-01T12:00:00Z",
      gift_card: true,
    };
    expect(facts(transfer({ kind: "payment", target_ref: "47", source_payload: recorded }), ledger("fortnox"))).toEqual({
      marked_paid: "payment 47",
      payment: "50.00 EUR with gift_card on 1 Dec 2026",
    });
  });

  it("on Fortnox: the payment number, with a WooCommerce order's total, method and day paid", () => {
    const t = transfer({
      kind: "payment",
      target_ref: "45",
      source_payload: { id: 77, total: "250.50", currency: "SEK", payment_method: "bacs", date_paid_gmt: "2026-12-02" },
    });
    expect(facts(t, ledger("fortnox"))).toEqual({ marked_paid: "payment 45", payment: "250.50 SEK with bacs on 2 Dec 2026" });
  });

  it("falls back on what was sent to the ledger, and says when it is not marked paid yet", () => {
    const sent = { InvoicePayment: { InvoiceNumber: 10023, Amount: 99.5, PaymentDate: "2026-12-01", ModeOfPayment: "PP" } };
    expect(facts(transfer({ kind: "payment", target_ref: "46", target_payload: sent }))).toEqual({
      marked_paid: "payment 46",
      payment: "99.50 on 1 Dec 2026",
    });
    expect(facts(transfer({ kind: "payment", status: "pending", target_ref: null }), ledger("economic"))).toEqual({ marked_paid: "Not yet" });
  });

  it("are rendered as lines of the detail", () => {
    const t = transfer({ kind: "payment", target_ref: "123", source_payload: { gateway: "mobilepay", amount: "15.00", currency: "DKK", processed_at: "2026-12-03" } });
    expect(text(render(h(MoneyFacts, { facts: transferFacts(t, ledger("economic")) })))).toBe(
      "Marked paid voucher 123 Payment 15.00 DKK with mobilepay on 3 Dec 2026",
    );
    expect(render(h(MoneyFacts, { facts: [] }))).toEqual([]);
  });
});

describe("exact amounts", () => {
  it("multiplies decimals without floating point and groups thousands", () => {
    expect(times("3", "0.1")).toBe("0.3");
    expect(times("1", "-0.01")).toBe("-0.01");
    expect(times("7", "7.99")).toBe("55.93");
    expect(times("x", "1")).toBeNull();
    expect(fmt.amount("1000")).toBe("1,000.00");
    expect(fmt.amount(745.2)).toBe("745.20");
    expect(fmt.amount("0.125")).toBe("0.125");
    expect(fmt.amount("-1234567.5")).toBe("-1,234,567.50");
  });
});
