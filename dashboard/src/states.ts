// The order states each webshop reports, in its own words (a connection's
// allowed states are chosen from these).

export const STATES: Record<string, string[]> = {
  shopify: ["pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided", "cancelled"],
  woocommerce: ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"],
};

export function statesOf(kind: string | undefined, chosen: string[]): string[] {
  const known = (kind && STATES[kind]) || [];
  return [...known, ...chosen.filter((s) => !known.includes(s))];
}
