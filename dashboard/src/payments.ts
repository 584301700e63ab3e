// A connection's payment-method map as the form edits it: one row per shop
// gateway, with the ledger's fields for it (e-conomic: contra account and
// payment terms, a cash journal; Fortnox: mode of payment and account), and
// back to the `payments` value Ferry takes (CONTRACT.md, "Connections").

import type { EconomicGateway, FortnoxGateway, Payments, SystemKind } from "./types.ts";

/** The ledgers that can mark an invoice paid. */
export type PayingLedger = "economic" | "fortnox";

export function payingLedger(kind: SystemKind | string | undefined): PayingLedger | null {
  return kind === "economic" || kind === "fortnox" ? kind : null;
}

/** Gateway names the shops send, offered as one types (any other name may be typed). */
export const GATEWAY_SUGGESTIONS = ["shopify_payments", "paypal", "stripe", "mobilepay", "gift_card", "bacs", "cod", "manual"];

/** One gateway as typed; every field is text until sent. */
export interface GatewayRow {
  gateway: string;
  contra_account: string;
  payment_terms: string;
  mode_of_payment: string;
  account: string;
}

export interface PaymentsDraft {
  /** Off: nothing is marked paid, whatever the rows say. */
  on: boolean;
  rows: GatewayRow[];
  journal: string;
  book: boolean;
}

export function emptyRow(gateway = ""): GatewayRow {
  return { gateway, contra_account: "", payment_terms: "", mode_of_payment: "", account: "" };
}

function text(value: unknown): string {
  return typeof value === "number" || typeof value === "string" ? String(value) : "";
}

/** The form's rows for a connection's map (none: switched off, no rows). */
export function paymentsDraft(payments: Payments | null | undefined): PaymentsDraft {
  const gateways = Object.entries(payments?.gateways ?? {});
  return {
    on: gateways.length > 0,
    rows: gateways.map(([gateway, value]) => {
      const fields = value as Partial<Record<keyof GatewayRow, unknown>>;
      return {
        gateway,
        contra_account: text(fields.contra_account),
        payment_terms: text(fields.payment_terms),
        mode_of_payment: text(fields.mode_of_payment),
        account: text(fields.account),
      };
    }),
    journal: text(payments?.journal),
    book: payments?.book ?? false,
  };
}

/** Where a problem is shown: `journal`, or `<row>.<field>` (`0.contra_account`). */
export type PaymentsErrors = Record<string, string>;

const WHOLE = /^\d+$/;

/** A whole positive number as typed, or the problem with it; "" when empty and allowed. */
function whole(value: string, what: string, required: boolean, errors: PaymentsErrors, key: string): number | undefined {
  const typed = value.trim();
  if (!typed) {
    if (required) errors[key] = `Enter the ${what}.`;
    return undefined;
  }
  if (!WHOLE.test(typed) || Number(typed) === 0 || !Number.isSafeInteger(Number(typed))) {
    errors[key] = `The ${what} is a whole number above 0.`;
    return undefined;
  }
  return Number(typed);
}

function economicGateway(row: GatewayRow, index: number, errors: PaymentsErrors): EconomicGateway {
  const contra = whole(row.contra_account, "contra account", true, errors, `${index}.contra_account`);
  const terms = whole(row.payment_terms, "payment terms number", false, errors, `${index}.payment_terms`);
  return { contra_account: contra ?? 0, ...(terms === undefined ? {} : { payment_terms: terms }) };
}

function fortnoxGateway(row: GatewayRow, index: number, errors: PaymentsErrors): FortnoxGateway {
  const mode = row.mode_of_payment.trim();
  if (!mode) errors[`${index}.mode_of_payment`] = "Enter the mode of payment's code, like PP or KORT.";
  const account = whole(row.account, "account", false, errors, `${index}.account`);
  return { mode_of_payment: mode, ...(account === undefined ? {} : { account }) };
}

/**
 * The `payments` value to send, or null when nothing is to be marked paid
 * (switched off, or no rows), with every problem found on the way. The
 * value is only meaningful when there are no problems.
 */
export function paymentsValue(draft: PaymentsDraft, ledger: PayingLedger): { payments: Payments | null; errors: PaymentsErrors } {
  const errors: PaymentsErrors = {};
  if (!draft.on || draft.rows.length === 0) return { payments: null, errors };
  const gateways: Payments["gateways"] = {};
  draft.rows.forEach((row, index) => {
    const name = row.gateway.trim();
    if (!name) errors[`${index}.gateway`] = "Name the shop's payment method, like paypal.";
    else if (name in gateways) errors[`${index}.gateway`] = `${name} is already mapped above.`;
    const value = ledger === "economic" ? economicGateway(row, index, errors) : fortnoxGateway(row, index, errors);
    if (name && !(`${index}.gateway` in errors)) gateways[name] = value;
  });
  const payments: Payments = { gateways, book: draft.book };
  if (ledger === "economic") {
    const journal = whole(draft.journal, "journal number", true, errors, "journal");
    if (journal !== undefined) payments.journal = journal;
  }
  return { payments, errors };
}

/** Where Ferry's own error about a payments field belongs in the form (`payments.gateways.paypal.account` → `1.account`). */
export function errorKey(field: string | null | undefined, rows: GatewayRow[]): string | null {
  if (!field?.startsWith("payments")) return null;
  const rest = field.replace(/^payments\.?/, "");
  if (rest === "journal") return "journal";
  const gateway = /^gateways\.(.+?)(?:\.(contra_account|payment_terms|mode_of_payment|account))?$/.exec(rest);
  if (gateway) {
    const index = rows.findIndex((r) => r.gateway.trim() === gateway[1]);
    if (index >= 0) return `${index}.${gateway[2] ?? "gateway"}`;
  }
  return "payments";
}

/**
 * "paypal → contra account 5820", one per gateway, then the journal and
 * what a draft invoice's payment does ("journal 3, waits for booked
 * invoices"), for the connection's card; none when
 * nothing is marked paid.
 */
export function paymentsSummary(payments: Payments | null | undefined, ledger: PayingLedger | null): string[] {
  const gateways = Object.entries(payments?.gateways ?? {});
  if (!payments || gateways.length === 0) return [];
  const booking = payments.book ? "books draft invoices when paid" : "waits for booked invoices";
  const where = payments.journal !== undefined && payments.journal !== null ? `journal ${payments.journal}, ${booking}` : booking;
  const lines = gateways.map(([gateway, value]) => {
    const v = value as Partial<EconomicGateway & FortnoxGateway>;
    if (ledger === "fortnox" || v.mode_of_payment !== undefined) {
      return `${gateway} → mode ${v.mode_of_payment ?? "?"}${v.account !== undefined ? `, account ${v.account}` : ""}`;
    }
    return `${gateway} → contra account ${v.contra_account ?? "?"}${v.payment_terms !== undefined ? `, terms ${v.payment_terms}` : ""}`;
  });
  return [...lines, where];
}
