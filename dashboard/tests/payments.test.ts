import { h } from "preact";
import { describe, expect, it, vi } from "vitest";
import { PaymentsField } from "../src/components/payments-field.tsx";
import { connectionChanges, newConnectionBody, type Draft } from "../src/connection-body.ts";
import { emptyRow, errorKey, paymentsDraft, paymentsSummary, paymentsValue, type PaymentsDraft } from "../src/payments.ts";
import type { Connection, Payments } from "../src/types.ts";
import { byName, byTestId, find, findAll, render, text, type } from "./render.ts";

const row = (gateway: string, fields: Partial<ReturnType<typeof emptyRow>> = {}) => ({ ...emptyRow(gateway), ...fields });

const economicMap: Payments = {
  gateways: { paypal: { contra_account: 5820 }, shopify_payments: { contra_account: 5810, payment_terms: 3 } },
  journal: 2,
  book: true,
};

function draft(payments: PaymentsDraft, currency: Draft["currency"] = "presentment"): Draft {
  return {
    name: "Shop > e-conomic",
    source: "sys_shop",
    target: "sys_ledger",
    allowed_states: ["paid"],
    document: "draft_invoice",
    documents: {},
    schedule: "",
    currency,
    payments,
  };
}

const existing = (payments?: Payments | null, currency?: Connection["currency"]) =>
  ({ id: "con_1", name: "Shop > e-conomic", entity: "orders", payments, currency }) as unknown as Connection;

describe("the payment-method map", () => {
  it("becomes e-conomic's gateways with numbers, the journal and booking", () => {
    const value = paymentsValue(
      { on: true, rows: [row("paypal", { contra_account: "5820" }), row(" shopify_payments ", { contra_account: "5810", payment_terms: "3" })], journal: "2", book: true },
      "economic",
    );
    expect(value).toEqual({ payments: economicMap, errors: {} });
  });

  it("becomes Fortnox's modes of payment, the account only when given, and no journal", () => {
    const value = paymentsValue(
      { on: true, rows: [row("paypal", { mode_of_payment: "PP", account: "1940" }), row("cod", { mode_of_payment: "KONT" })], journal: "7", book: false },
      "fortnox",
    );
    expect(value).toEqual({
      payments: { gateways: { paypal: { mode_of_payment: "PP", account: 1940 }, cod: { mode_of_payment: "KONT" } }, book: false },
      errors: {},
    });
  });

  it("names every problem at its row and field before anything is sent", () => {
    const { errors } = paymentsValue(
      {
        on: true,
        rows: [row("paypal", { contra_account: "58a0" }), row("paypal", { contra_account: "1" }), row("", { contra_account: "5820", payment_terms: "0" })],
        journal: "",
        book: false,
      },
      "economic",
    );
    expect(errors).toEqual({
      "0.contra_account": "The contra account is a whole number above 0.",
      "1.gateway": "paypal is already mapped above.",
      "2.gateway": "Name the shop's payment method, like paypal.",
      "2.payment_terms": "The payment terms number is a whole number above 0.",
      journal: "Enter the journal number.",
    });
    expect(paymentsValue({ on: true, rows: [row("bacs")], journal: "", book: false }, "fortnox").errors).toEqual({
      "0.mode_of_payment": expect.stringMatching(/mode of payment/),
    });
  });

  it("is nothing when switched off or emptied, whatever the rows hold", () => {
    expect(paymentsValue({ on: false, rows: [row("paypal")], journal: "", book: false }, "economic")).toEqual({ payments: null, errors: {} });
    expect(paymentsValue({ on: true, rows: [], journal: "x", book: true }, "economic")).toEqual({ payments: null, errors: {} });
  });

  it("reads a connection's map back into rows, and Ferry's field names back to them", () => {
    const back = paymentsDraft(economicMap);
    expect(back.on).toBe(true);
    expect(back.rows.map((r) => [r.gateway, r.contra_account, r.payment_terms])).toEqual([["paypal", "5820", ""], ["shopify_payments", "5810", "3"]]);
    expect(paymentsDraft(null)).toEqual({ on: false, rows: [], journal: "", book: false });
    expect(errorKey("payments.gateways.shopify_payments.payment_terms", back.rows)).toBe("1.payment_terms");
    expect(errorKey("payments.journal", back.rows)).toBe("journal");
    expect(errorKey("payments.gateways.klarna", back.rows)).toBe("payments");
    expect(errorKey("schedule", back.rows)).toBeNull();
  });

  it("is summed up on the connection's card, or nothing when never marked paid", () => {
    expect(paymentsSummary(economicMap, "economic")).toEqual([
      "paypal → contra account 5820",
      "shopify_payments → contra account 5810, terms 3",
      "journal 2, books draft invoices when paid",
    ]);
    expect(paymentsSummary({ gateways: { cod: { mode_of_payment: "KONT", account: 1910 } }, book: false }, "fortnox")).toEqual([
      "cod → mode KONT, account 1910",
      "waits for booked invoices",
    ]);
    expect(paymentsSummary(undefined, "economic")).toEqual([]);
  });
});

describe("the connection's request bodies", () => {
  it("creates with the shop's currency when chosen and, when mapped, the payments", () => {
    const on = paymentsDraft(economicMap);
    expect(newConnectionBody(draft(on, "shop"), "Shop > e-conomic", "economic").body).toMatchObject({
      entity: "orders",
      currency: "shop",
      payments: economicMap,
    });
    // The default currency and an unmapped map are left to Ferry's defaults.
    const off = newConnectionBody(draft({ ...on, on: false }), "x", "economic").body;
    expect("currency" in off).toBe(false);
    expect("payments" in off).toBe(false);
    // A target that cannot mark invoices paid gets no map at all.
    expect("payments" in newConnectionBody(draft(on), "x", null).body).toBe(false);
  });

  it("finds a missing contra account before anything is sent", () => {
    const bad = newConnectionBody(draft({ on: true, rows: [row("paypal")], journal: "2", book: false }), "x", "economic");
    expect(bad.errors).toEqual({ "0.contra_account": "Enter the contra account." });
  });

  it("changes currency and payments only when they changed; emptying the map sends null", () => {
    const before = existing(economicMap, "presentment");
    const same = connectionChanges(draft(paymentsDraft({ ...economicMap, gateways: { ...economicMap.gateways } })), before, "economic").body;
    expect("currency" in same).toBe(false);
    expect("payments" in same).toBe(false);
    expect(connectionChanges(draft(paymentsDraft(economicMap), "shop"), before, "economic").body.currency).toBe("shop");
    const emptied = connectionChanges(draft({ ...paymentsDraft(economicMap), rows: [] }), before, "economic").body;
    expect(emptied.payments).toBeNull();
    const switchedOff = connectionChanges(draft({ ...paymentsDraft(economicMap), on: false }), before, "economic").body;
    expect(switchedOff.payments).toBeNull();
    const never = connectionChanges(draft(paymentsDraft(undefined)), existing(undefined), "economic").body;
    expect("payments" in never).toBe(false);
    const added = connectionChanges(draft({ on: true, rows: [row("cod", { mode_of_payment: "KONT" })], journal: "", book: true }), existing(null), "fortnox").body;
    expect(added.payments).toEqual({ gateways: { cod: { mode_of_payment: "KONT" } }, book: true });
  });
});

describe("the payments editor", () => {
  const draftOf = (rows: ReturnType<typeof row>[]): PaymentsDraft => ({ on: true, rows, journal: "2", book: false });

  it("asks e-conomic for a contra account, payment terms and a journal", () => {
    const nodes = render(h(PaymentsField, { ledger: "economic", value: draftOf([row("paypal")]), onChange: () => {}, errors: {} }));
    const shown = text(nodes);
    expect(shown).toContain("Contra account");
    expect(shown).toContain("Payment terms (optional)");
    expect(shown).toContain("Cash journal number");
    expect(shown).not.toContain("Mode of payment");
    expect(text(findAll(nodes, byTestId("payments-effect")))).toMatch(/marks its e-conomic invoice paid, once/);
  });

  it("asks Fortnox for a mode of payment and an account, no journal", () => {
    const nodes = render(h(PaymentsField, { ledger: "fortnox", value: draftOf([row("paypal")]), onChange: () => {}, errors: { "0.mode_of_payment": "Enter it." } }));
    const shown = text(nodes);
    expect(shown).toContain("Mode of payment");
    expect(shown).toContain("Account (optional)");
    expect(shown).toContain("Enter it.");
    expect(findAll(nodes, byName("journal"))).toEqual([]);
    expect(shown).toMatch(/Book a draft invoice when its payment arrives \(off: the payment waits until you book the invoice in Fortnox\)/);
  });

  it("says nothing is marked paid once the last method is removed", () => {
    const onChange = vi.fn();
    const nodes = render(h(PaymentsField, { ledger: "economic", value: draftOf([row("paypal", { contra_account: "5820" })]), onChange, errors: {} }));
    type(find(nodes, byName("contra_account-0")), "5830");
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ rows: [expect.objectContaining({ gateway: "paypal", contra_account: "5830" })] }));
    const remove = find(nodes, (e) => e.tag === "button" && e.props["aria-label"] === "Remove paypal");
    (remove.props.onClick as () => void)();
    const emptied = onChange.mock.lastCall![0] as PaymentsDraft;
    expect(emptied.rows).toEqual([]);
    const after = render(h(PaymentsField, { ledger: "economic", value: emptied, onChange, errors: {} }));
    expect(text(findAll(after, byTestId("payments-effect")))).toBe("Nothing is marked paid: invoices stay open in e-conomic until your bookkeeper settles them.");
  });
});
