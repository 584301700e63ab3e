// What a bookkeeper checks on a transfer, read from the data as received
// and as sent: for an order, the currency and rate it was booked at and
// the rounding line Ferry added; for a payment, the voucher (e-conomic) or
// payment (Fortnox) that marked the invoice paid, with amount, method and day.

import * as fmt from "./format.ts";
import { DEFAULT_ROUNDING_PRODUCT } from "./systems-spec.ts";
import type { System, Transfer } from "./types.ts";

/** One line of the transfer's detail: `label` in the left column, `text` beside it. */
export interface Fact {
  /** Stable name for tests and styling: `currency`, `rounding`, `marked_paid`, `payment`. */
  key: string;
  label: string;
  text: string;
}

type Ledger = "economic" | "fortnox";

type Json = Record<string, unknown>;

function object(value: unknown): Json | null {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : null;
}

function field(value: unknown): string | null {
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/** A ledger's base currency: the system's `base_currency` if it names one; Fortnox books in SEK, e-conomic agreements default to DKK. */
export function baseCurrency(ledger: Ledger, system?: Pick<System, "config">): string {
  return field(system?.config?.base_currency) ?? (ledger === "fortnox" ? "SEK" : "DKK");
}

/** An exact product of two decimals (`1` × `0.01`, `2` × `-0.005`), as decimal digits. */
export function times(a: string, b: string): string | null {
  const parse = (text: string) => {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (!m) return null;
    const fraction = m[3] ?? "";
    return { digits: BigInt(`${m[1]}${m[2]}${fraction}`), scale: fraction.length };
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  const product = x.digits * y.digits;
  const scale = x.scale + y.scale;
  const negative = product < 0n;
  const digits = (negative ? -product : product).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

interface SentLine {
  product: string | null;
  description: string | null;
  amount: string | null;
}

/** The document as sent, in the shape both ledgers share for what is shown here. */
interface SentDocument {
  ledger: Ledger;
  lines: SentLine[];
  currency: string | null;
  /** e-conomic: the price of 100 units in the base currency; Fortnox: of `per` units. */
  rate: string | null;
  per: string;
}

function economicDocument(doc: Json): SentDocument | null {
  if (!Array.isArray(doc.lines)) return null;
  const lines = doc.lines.map((raw): SentLine => {
    const line = object(raw) ?? {};
    const quantity = field(line.quantity) ?? "1";
    const price = field(line.unitNetPrice);
    return {
      product: field(object(line.product)?.productNumber),
      description: field(line.description),
      amount: price === null ? null : times(quantity, price),
    };
  });
  return { ledger: "economic", lines, currency: field(doc.currency), rate: field(doc.exchangeRate), per: "100" };
}

function fortnoxDocument(doc: Json): SentDocument | null {
  const rows = doc.InvoiceRows ?? doc.OrderRows;
  if (!Array.isArray(rows) && doc.Currency === undefined) return null;
  const lines = (Array.isArray(rows) ? rows : []).map((raw): SentLine => {
    const row = object(raw) ?? {};
    const quantity = field(row.DeliveredQuantity) ?? field(row.OrderedQuantity) ?? "1";
    const price = field(row.Price);
    return {
      product: field(row.ArticleNumber),
      description: field(row.Description),
      amount: price === null ? null : times(quantity, price),
    };
  });
  return { ledger: "fortnox", lines, currency: field(doc.Currency), rate: field(doc.CurrencyRate), per: field(doc.CurrencyUnit) ?? "1" };
}

/** Reads an invoice or order as sent: e-conomic's JSON, or Fortnox's (`{"Invoice": …}` / `{"Order": …}`). */
export function sentDocument(payload: unknown): SentDocument | null {
  const doc = object(payload);
  if (!doc) return null;
  const fortnox = object(doc.Invoice) ?? object(doc.Order);
  if (fortnox) return fortnoxDocument(fortnox);
  return economicDocument(doc) ?? fortnoxDocument(doc);
}

/** "Booked in EUR at 745.20 DKK per 100 EUR", or in words when no rate was sent. */
function currencyFact(doc: SentDocument, system: System | undefined): Fact | null {
  if (!doc.currency) return null;
  const base = baseCurrency(doc.ledger, system);
  const ledgerName = fmt.systemKind(doc.ledger);
  let text: string;
  if (doc.rate) text = `Booked in ${doc.currency} at ${fmt.amount(doc.rate)} ${base} per ${doc.per} ${doc.currency}`;
  else if (doc.currency === base) text = `Booked in ${doc.currency}, ${ledgerName}'s own currency`;
  else text = `Booked in ${doc.currency} at ${ledgerName}'s own rate of the day`;
  return { key: "currency", label: "Currency", text };
}

/** The line(s) on the system's rounding product (Ferry's default one when it names none), or that there is none. */
function roundingFact(doc: SentDocument, system: System | undefined): Fact | null {
  const product = field(system?.config?.rounding_product) ?? DEFAULT_ROUNDING_PRODUCT;
  if (doc.lines.length === 0) return null;
  const item = doc.ledger === "fortnox" ? "article" : "product";
  const lines = doc.lines.filter((l) => l.product === product);
  if (lines.length === 0) return { key: "rounding", label: "Rounding line", text: "None on this document" };
  const texts = lines.map((l) => {
    const amount = l.amount === null ? "an amount" : `${fmt.amount(l.amount)}${doc.currency ? ` ${doc.currency}` : ""}`;
    return `${amount} on ${item} ${product}${l.description ? ` (“${l.description}”)` : ""}`;
  });
  return { key: "rounding", label: "Rounding line", text: texts.join("; ") };
}

/** What a payment's number is called in its ledger. */
function paymentWord(ledger: Ledger | null): string {
  return ledger === "economic" ? "voucher" : ledger === "fortnox" ? "payment" : "number";
}

/**
 * Amount, currency, method and day of a payment: from the payment as Ferry
 * recorded it (`amount`, `currency`, `gateway`, `paid_at`), a Shopify
 * transaction (`processed_at`) or a WooCommerce order (`total`,
 * `payment_method`, `date_paid_gmt`); else from what was sent to the ledger.
 */
export function paymentDetails(source: unknown, sent: unknown): { amount: string | null; currency: string | null; gateway: string | null; date: string | null } {
  const shop = object(source);
  const inner = object(shop?.transaction) ?? shop ?? {};
  const sentDoc = object(Array.isArray(sent) ? sent[0] : sent) ?? {};
  const voucher = object(Array.isArray(object(sentDoc.entries)?.customerPayments) ? (object(sentDoc.entries)!.customerPayments as unknown[])[0] : null) ?? {};
  const fortnox = object(sentDoc.InvoicePayment) ?? {};
  const currency = field(inner.currency) ?? field(object(voucher.currency)?.code) ?? field(voucher.currency) ?? field(fortnox.Currency);
  return {
    amount: field(inner.amount) ?? field(inner.total) ?? field(voucher.amount) ?? field(fortnox.Amount),
    currency,
    gateway: field(inner.gateway) ?? field(inner.payment_method),
    date:
      field(inner.paid_at) ??
      field(inner.processed_at) ??
      field(inner.date_paid_gmt) ??
      field(inner.date_paid) ??
      field(inner.created_at) ??
      field(voucher.date) ??
      field(fortnox.PaymentDate),
  };
}

function paymentFacts(t: Transfer, ledger: Ledger | null): Fact[] {
  const facts: Fact[] = [
    {
      key: "marked_paid",
      label: "Marked paid",
      text: t.target_ref ? `${paymentWord(ledger)} ${t.target_ref}` : "Not yet",
    },
  ];
  const p = paymentDetails(t.source_payload, t.target_payload);
  const parts = [
    p.amount && `${fmt.amount(p.amount)}${p.currency ? ` ${p.currency}` : ""}`,
    p.gateway && `with ${p.gateway}`,
    p.date && `on ${fmt.day(p.date)}`,
  ].filter(Boolean);
  if (parts.length > 0) facts.push({ key: "payment", label: "Payment", text: parts.join(" ") });
  return facts;
}

/** An order's payments that marked it paid, from the detail's `documents`. */
function documentFacts(t: Transfer, ledger: Ledger | null): Fact[] {
  return (t.documents ?? [])
    .filter((d) => d.kind === "payment")
    .map((d) => {
      const parts = [`${paymentWord(ledger)} ${d.number}`];
      const amount = d.amount === null || d.amount === undefined ? null : field(d.amount);
      if (amount) parts.push(fmt.amount(amount));
      if (d.at) parts.push(fmt.day(d.at));
      return { key: "paid", label: "Marked paid", text: parts.join(" · ") };
    });
}

/**
 * The money facts of a transfer. `system` is the ledger the transfer's
 * connection sends to (its kind names vouchers or payments; its
 * `rounding_product` finds the rounding line); without it the ledger is
 * recognised by the document's shape.
 */
export function transferFacts(t: Transfer, system?: System): Fact[] {
  const kind = fmt.transferKind(t);
  const known: Ledger | null = system?.kind === "economic" || system?.kind === "fortnox" ? system.kind : null;
  if (kind === "payment") {
    return paymentFacts(t, known ?? (object(t.target_payload)?.InvoicePayment ? "fortnox" : object(t.target_payload)?.entries ? "economic" : null));
  }
  if (kind !== "order") return [];
  const doc = sentDocument(t.target_payload);
  const facts: Fact[] = [];
  if (doc) {
    const currency = currencyFact(doc, system);
    if (currency) facts.push(currency);
    const rounding = roundingFact(doc, system);
    if (rounding) facts.push(rounding);
  }
  facts.push(...documentFacts(t, known ?? doc?.ledger ?? null));
  return facts;
}
