// The fields each kind of system asks for (CONTRACT.md, "Systems").

import type { SystemKind } from "./types.ts";

export interface FieldSpec {
  name: string;
  label: string;
  hint?: string;
  secret?: boolean;
  optional?: boolean;
}

export interface KindSpec {
  kind: SystemKind;
  config: FieldSpec[];
  credentials: FieldSpec[];
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
    ],
    credentials: [
      { name: "app_secret_token", label: "App secret token", secret: true },
      { name: "agreement_grant_token", label: "Agreement grant token", secret: true },
    ],
  },
  { kind: "fortnox", config: [], credentials: [{ name: "access_token", label: "Access token", secret: true }] },
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
    out[field.name] = field.name.endsWith("_number") && /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}
