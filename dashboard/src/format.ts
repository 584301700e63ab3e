// How values read on screen: times, counts, money, and Ferry's words for
// its kinds, documents and statuses.

import type { DocumentKind, Entity, SystemKind, TransferKind, TransferStatus } from "./types.ts";

const SYSTEM_NAMES: Record<SystemKind, string> = {
  shopify: "Shopify",
  woocommerce: "WooCommerce",
  economic: "e-conomic",
  fortnox: "Fortnox",
};

export function systemKind(kind: string): string {
  return SYSTEM_NAMES[kind as SystemKind] ?? kind;
}

/** Sources are webshops; targets are accounting systems. */
export function isSource(kind: string): boolean {
  return kind === "shopify" || kind === "woocommerce";
}

const DOCUMENTS: Record<DocumentKind, string> = {
  draft_invoice: "Draft invoice",
  booked_invoice: "Booked invoice",
  order: "Order",
};

export function documentKind(kind: string): string {
  return DOCUMENTS[kind as DocumentKind] ?? kind;
}

const STATUSES: Record<TransferStatus, string> = {
  pending: "Pending",
  delivered: "Delivered",
  failed: "Failed",
  skipped: "Skipped",
};

export function status(value: string): string {
  return STATUSES[value as TransferStatus] ?? value;
}

const ENTITY_KINDS: Record<Entity, TransferKind> = {
  orders: "order",
  products: "product",
  stock: "stock",
  customers: "customer",
};

/** A transfer's kind; one from before kinds existed reads as its entity's. */
export function transferKind(transfer: { kind?: string | null; entity: string }): string {
  return transfer.kind || ENTITY_KINDS[transfer.entity as Entity] || transfer.entity;
}

const KIND_LABELS: Record<TransferKind, string> = {
  order: "Order",
  payment: "Payment",
  product: "Product",
  stock: "Stock",
  customer: "Customer",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind as TransferKind] ?? words(kind);
}

/**
 * An amount as its exact digits with at least two decimals and thousands
 * grouped: `1000` → "1,000.00", "745.2" → "745.20", "0.125" → "0.125".
 * Strings are kept digit for digit (no float on the way); anything that is
 * not a plain decimal is shown as it came.
 */
export function amount(value: string | number): string {
  const text = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : value.trim();
  const parts = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!parts) return String(value);
  const [, sign, whole, fraction = ""] = parts;
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${grouped}.${fraction.padEnd(2, "0")}`;
}

/** `2026-12-03` or a timestamp → "3 Dec 2026" (the day as written, no time zone shift for plain dates). */
export function day(value: string): string {
  const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = plain ? new Date(Date.UTC(+plain[1]!, +plain[2]! - 1, +plain[3]!)) : new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: plain ? "UTC" : undefined }).format(date);
}

/** `paid`, `partially_paid` → "paid", "partially paid". */
export function words(value: string): string {
  return value.replace(/_/g, " ");
}

export function count(value: number, locale?: string): string {
  return new Intl.NumberFormat(locale ?? "en-GB").format(value);
}

export function money(amount: string | number, currency = "EUR", locale?: string): string {
  const value = typeof amount === "number" ? amount : Number(amount);
  if (!Number.isFinite(value)) return `${amount} ${currency}`;
  return new Intl.NumberFormat(locale ?? "en-GB", { style: "currency", currency }).format(value);
}

/** 0–100, rounded down so that "100 %" means really all used; 0 for no allowance. */
export function percent(used: number, of: number): number {
  if (of <= 0) return used > 0 ? 100 : 0;
  return Math.min(100, Math.floor((used / of) * 100));
}

/** "just now", "5 min ago", "in 3 h", "yesterday", else the date. */
export function relative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "never";
  const then = new Date(iso);
  const ms = then.getTime();
  if (Number.isNaN(ms)) return iso;
  const seconds = Math.round((ms - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const phrase = (n: number, unit: string) => (seconds < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`);
  if (abs < 45) return seconds < 0 || abs < 5 ? "just now" : `in ${abs} s`;
  if (abs < 3600) return phrase(Math.round(abs / 60), "min");
  if (abs < 86400) return phrase(Math.round(abs / 3600), "h");
  if (abs < 2 * 86400 && seconds < 0) return "yesterday";
  return dateTime(iso);
}

export function dateTime(iso: string | null | undefined, locale?: string): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale ?? "en-GB", {
    day: "numeric",
    month: "short",
    year: date.getFullYear() === new Date().getFullYear() ? undefined : "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(date);
}

/** `2026-11-23` → "23 Nov", `2026-11` → "Nov 26": short labels for chart axes. */
export function periodLabel(period: string, locale?: string): string {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(period);
  if (day) {
    const date = new Date(Date.UTC(+day[1]!, +day[2]! - 1, +day[3]!));
    return new Intl.DateTimeFormat(locale ?? "en-GB", { day: "numeric", month: "short", timeZone: "UTC" }).format(date);
  }
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (month) {
    const date = new Date(Date.UTC(+month[1]!, +month[2]! - 1, 1));
    return new Intl.DateTimeFormat(locale ?? "en-GB", { month: "short", year: "2-digit", timeZone: "UTC" }).format(date);
  }
  return period;
}

/** Pretty JSON for the payload panes; `null` reads as a sentence. */
export function json(value: unknown, missing: string): string {
  if (value === null || value === undefined) return missing;
  return JSON.stringify(value, null, 2);
}
