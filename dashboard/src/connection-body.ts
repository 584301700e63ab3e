// What the connection form sends: the new connection's body
// (`POST /connections`) or only the fields changed (`PATCH /connections/{id}`),
// with the problems found in the payment-method map before anything is sent.

import { paymentsValue, type PayingLedger, type PaymentsDraft, type PaymentsErrors } from "./payments.ts";
import type { BookingCurrency, Connection, DocumentKind, Payments } from "./types.ts";

export interface Draft {
  name: string;
  source: string;
  target: string;
  allowed_states: string[];
  document: DocumentKind;
  /** Per allowed state, another document than `document`. */
  documents: Record<string, DocumentKind>;
  schedule: string;
  currency: BookingCurrency;
  payments: PaymentsDraft;
}

export interface Prepared {
  body: Record<string, unknown>;
  /** Problems in the payment-method map; nothing is sent while there are any. */
  errors: PaymentsErrors;
}

/** The per-state documents that still apply: only allowed states keep one. */
export function documentsOf(draft: Draft): Record<string, DocumentKind> {
  return Object.fromEntries(Object.entries(draft.documents).filter(([state]) => draft.allowed_states.includes(state)));
}

/** The connection's currency as the API answers it ("presentment" when it says nothing). */
export function currencyOf(connection: Pick<Connection, "currency"> | undefined): BookingCurrency {
  return connection?.currency === "shop" ? "shop" : "presentment";
}

/** The map to send; none for a ledger that cannot mark invoices paid. */
function payments(draft: Draft, ledger: PayingLedger | null): { value: Payments | null; errors: PaymentsErrors } {
  if (!ledger) return { value: null, errors: {} };
  const { payments: value, errors } = paymentsValue(draft.payments, ledger);
  return { value, errors };
}

/**
 * `POST /connections`: an order connection; `currency` when it is not the
 * default ("presentment"), `payments` when any gateway is mapped.
 */
export function newConnectionBody(draft: Draft, name: string, ledger: PayingLedger | null): Prepared {
  const paid = payments(draft, ledger);
  const body: Record<string, unknown> = {
    name,
    source: draft.source,
    target: draft.target,
    entity: "orders",
    allowed_states: draft.allowed_states,
    document: draft.document,
    documents: documentsOf(draft),
    schedule: draft.schedule.trim() || null,
    active: true,
  };
  if (draft.currency !== currencyOf(undefined)) body.currency = draft.currency;
  // Without `payments` nothing is marked paid: the field is left out.
  if (paid.value) body.payments = paid.value;
  return { body, errors: paid.errors };
}

/** JSON with its object keys sorted, so two maps compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * `PATCH /connections/{id}`: the form's fields, plus `currency` and
 * `payments` only when they changed; `"payments": null` takes an existing
 * map away (nothing is marked paid from then on).
 */
export function connectionChanges(draft: Draft, existing: Connection, ledger: PayingLedger | null): Prepared {
  const paid = payments(draft, ledger);
  const body: Record<string, unknown> = {
    name: draft.name.trim(),
    allowed_states: draft.allowed_states,
    document: draft.document,
    documents: documentsOf(draft),
    schedule: draft.schedule.trim() || null,
  };
  if (draft.currency !== currencyOf(existing)) body.currency = draft.currency;
  const before = existing.payments && Object.keys(existing.payments.gateways ?? {}).length > 0 ? existing.payments : null;
  if (ledger && canonical(paid.value) !== canonical(before)) body.payments = paid.value;
  return { body, errors: paid.errors };
}
