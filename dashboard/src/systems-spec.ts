// The fields each kind of system asks for (CONTRACT.md, "Systems").

import type { System, SystemKind } from "./types.ts";

export interface FieldSpec {
  name: string;
  label: string;
  hint?: string;
  secret?: boolean;
  optional?: boolean;
  placeholder?: string;
  /** What Ferry uses when the field is left empty (shown as its placeholder). */
  fallback?: string;
  /** What is wrong with a typed value, in words; null when it is fine. */
  check?: (value: string) => string | null;
  /** The value as sent (e.g. "0,5" → "0.50"); the typed text, trimmed, without one. */
  clean?: (value: string) => string;
}

export interface KindSpec {
  kind: SystemKind;
  config: FieldSpec[];
  credentials: FieldSpec[];
}

/** The rounding limit when a ledger system names none (CONTRACT.md). */
export const DEFAULT_ROUNDING_LIMIT = "1.00";
/** The product (article) number Ferry books rounding on when the system names none; it makes it when missing. */
export const DEFAULT_ROUNDING_PRODUCT = "rounding";
/** The product (article) number of a sold gift card when the system names none. */
export const DEFAULT_GIFT_CARD_PRODUCT = "giftcard";

const AMOUNT = /^(\d+)(?:[.,](\d{1,2}))?$/;

/** A rounding limit is an amount: not negative, at most two decimals (a comma reads as the decimal point). */
export function checkRoundingLimit(value: string): string | null {
  return AMOUNT.test(value.trim()) ? null : "Write an amount like 1.00: digits, at most two decimals, not negative.";
}

/** "0,5" → "0.50", "2" → "2.00": the limit as the decimal string Ferry takes. */
export function cleanRoundingLimit(value: string): string {
  const parts = AMOUNT.exec(value.trim());
  if (!parts) return value.trim();
  return `${parts[1]!.replace(/^0+(?=\d)/, "")}.${(parts[2] ?? "").padEnd(2, "0")}`;
}

/**
 * The money settings of a ledger system (issue 17): where the rounding line
 * and a sold gift card are booked, and how far Ferry may round. `item` is
 * the ledger's word: e-conomic's product number, Fortnox's article number.
 */
function ledgerMoneyFields(item: "product" | "article"): FieldSpec[] {
  return [
    {
      name: "rounding_product",
      label: `Rounding ${item} number`,
      hint: `A VAT-free ${item} for the few cents Ferry adds when the ledger's sum would differ from the shop's total.`,
      fallback: DEFAULT_ROUNDING_PRODUCT,
      optional: true,
    },
    {
      name: "rounding_limit",
      label: "Rounding limit",
      hint: `The most Ferry rounds (default ${DEFAULT_ROUNDING_LIMIT}, in the order's currency); a bigger difference leaves a draft and a failed transfer.`,
      fallback: DEFAULT_ROUNDING_LIMIT,
      optional: true,
      check: checkRoundingLimit,
      clean: cleanRoundingLimit,
    },
    {
      name: "gift_card_product",
      label: `Gift card ${item} number`,
      hint: `The ${item} a sold gift card is booked on: point it at a liability account, as the money is owed until the card is used.`,
      fallback: DEFAULT_GIFT_CARD_PRODUCT,
      optional: true,
    },
  ];
}

/** The ledger money settings of a kind (none for webshops). */
export function moneyFields(kind: string): FieldSpec[] {
  if (kind === "economic") return ledgerMoneyFields("product");
  if (kind === "fortnox") return ledgerMoneyFields("article");
  return [];
}

export const KINDS: KindSpec[] = [
  {
    kind: "shopify",
    config: [
      { name: "shop_domain", label: "Shop domain", hint: "your-shop.myshopify.com" },
      { name: "api_version", label: "API version", hint: "e.g. 2024-10", optional: true },
    ],
    credentials: [
      { name: "access_token", label: "Admin API access token", secret: true },
      { name: "webhook_secret", label: "Webhook signing secret", secret: true },
    ],
  },
  {
    kind: "woocommerce",
    config: [{ name: "base_url", label: "Shop address", hint: "https://shop.example.com" }],
    credentials: [
      { name: "consumer_key", label: "Consumer key", secret: true },
      { name: "consumer_secret", label: "Consumer secret", secret: true },
      { name: "webhook_secret", label: "Webhook secret", secret: true },
    ],
  },
  {
    kind: "economic",
    config: [
      { name: "layout_number", label: "Layout number" },
      { name: "payment_terms_number", label: "Payment terms number" },
      { name: "vat_zone_number", label: "VAT zone number" },
      { name: "customer_group_number", label: "Customer group number" },
      { name: "product_group_number", label: "Product group number" },
      ...moneyFields("economic"),
    ],
    credentials: [
      { name: "app_secret_token", label: "App secret token", secret: true },
      { name: "agreement_grant_token", label: "Agreement grant token", secret: true },
    ],
  },
  { kind: "fortnox", config: moneyFields("fortnox"), credentials: [{ name: "access_token", label: "Access token", secret: true }] },
];

export function specOf(kind: string): KindSpec | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** Config values as typed: numbers for the `*_number` fields, text otherwise; empty ones left out. */
export function configValues(spec: KindSpec, values: Record<string, string>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const field of spec.config) {
    const value = (values[field.name] ?? "").trim();
    if (!value) continue;
    out[field.name] = field.clean ? field.clean(value) : field.name.endsWith("_number") && /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** Per field, what is wrong with the typed values (empty optional fields are fine). */
export function configErrors(fields: FieldSpec[], values: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const value = (values[field.name] ?? "").trim();
    const problem = value && field.check ? field.check(value) : null;
    if (problem) errors[field.name] = problem;
  }
  return errors;
}

/**
 * `PATCH /systems/{id}` for a ledger's money settings. The API replaces the
 * whole configuration, so every other entry (layout, address...) is sent
 * back unchanged; an emptied setting is left out (the default applies).
 */
export function moneySettingsChange(system: Pick<System, "kind" | "config">, values: Record<string, string>): { config: Record<string, unknown> } {
  const config: Record<string, unknown> = { ...system.config };
  for (const field of moneyFields(system.kind)) {
    const value = (values[field.name] ?? "").trim();
    if (value) config[field.name] = field.clean ? field.clean(value) : value;
    else delete config[field.name];
  }
  return { config };
}

/** The money settings a system leaves to Ferry's defaults, as [label, value]: shown as "1.00 (default)". */
export function defaultedMoneySettings(system: Pick<System, "kind" | "config">): [string, string][] {
  return moneyFields(system.kind)
    .filter((f) => f.fallback !== undefined && (system.config[f.name] ?? "") === "")
    .map((f) => [f.name.replace(/_/g, " "), f.fallback!]);
}

/** A system's current money settings as the form's text. */
export function moneySettingsOf(system: Pick<System, "kind" | "config">): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of moneyFields(system.kind)) {
    const value = system.config[field.name];
    if (typeof value === "string" || typeof value === "number") values[field.name] = String(value);
  }
  return values;
}
