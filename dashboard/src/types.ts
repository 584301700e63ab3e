// The shapes /api/v1 answers with (see GET /api/v1/openapi.json).

export type Role = "admin" | "viewer";
export type SystemKind = "shopify" | "woocommerce" | "economic" | "fortnox";
export type Scope = "global" | "client";
export type TransferStatus = "pending" | "delivered" | "failed" | "skipped";
export type DocumentKind = "draft_invoice" | "booked_invoice" | "order";
export type Entity = "orders" | "products" | "stock" | "customers";
export type Level = "debug" | "info" | "warn" | "error";
/** What a transfer moved; older transfers have none and read as their entity's. */
export type TransferKind = "order" | "payment" | "product" | "stock" | "customer";
/** The currency an order connection books in: the one the customer paid, or the shop's own. */
export type BookingCurrency = "presentment" | "shop";

export interface List<T> {
  items: T[];
  next: string | null;
}

export interface Health {
  status: "unknown" | "healthy" | "unhealthy";
  reason?: string | null;
  checked_at?: string | null;
}

export interface System {
  id: string;
  kind: SystemKind;
  name: string;
  config: Record<string, unknown>;
  credentials_set: boolean;
  health: Health;
  scope: Scope;
  client: string | null;
  warehouse: string | null;
  active: boolean;
  created_at: string;
  updated_at: string;
}

export interface RunOutcome {
  at: string | null;
  records_found: number;
  error: string | null;
}

export interface Connection {
  id: string;
  name: string;
  source: string;
  target: string;
  entity: Entity;
  allowed_states: string[];
  /** The document made for an allowed state… */
  document: DocumentKind;
  /** …unless named here for that state. */
  documents: Record<string, DocumentKind>;
  schedule: string | null;
  active: boolean;
  scope: Scope;
  client: string | null;
  warehouse: string | null;
  webhook_url: string;
  next_run_at: string | null;
  last_run: RunOutcome;
  created_at: string;
  updated_at: string;
  /** Order connections: "presentment" (the default) when absent. */
  currency?: BookingCurrency;
  /** Order connections: how shop payments are marked paid; absent or null: never. */
  payments?: Payments | null;
}

/** e-conomic: the cash journal's contra account, and the payment terms set on the invoice. */
export interface EconomicGateway {
  contra_account: number;
  payment_terms?: number;
}

/** Fortnox: the mode of payment's code, and the account it books to. */
export interface FortnoxGateway {
  mode_of_payment: string;
  account?: number;
}

/** A connection's payment-method map (CONTRACT.md, "Connections"). */
export interface Payments {
  /** Per shop gateway (`shopify_payments`, `paypal`, `bacs`...). */
  gateways: Record<string, EconomicGateway | FortnoxGateway>;
  /** e-conomic: the cash journal the payment vouchers go to. */
  journal?: number;
  /** A payment of a draft invoice books the invoice first (true), or waits until the merchant books it (false). */
  book: boolean;
}

/** A document an order led to (`GET /transfers/{id}`). */
export interface TransferDocument {
  kind: string;
  number: string;
  amount?: string | number | null;
  at?: string | null;
}

export interface PollOutcome {
  connection: string;
  records_found: number;
  created: number;
  updated: number;
  unchanged: number;
  unreadable: number;
  complete: boolean;
  error: string | null;
  next_run_at: string | null;
}

export interface Transfer {
  id: string;
  connection: string;
  entity: Entity;
  source_ref: string;
  source_id: string;
  target_ref: string | null;
  status: TransferStatus;
  reason: string | null;
  attempts: number;
  received_at: string;
  updated_at: string;
  source_payload?: unknown;
  target_payload?: unknown;
  /** Absent on transfers made before kinds: read as the entity's. */
  kind?: TransferKind | string;
  /** An order's invoice, payments and corrections, in order (detail only). */
  documents?: TransferDocument[];
}

export interface Usage {
  period: string;
  orders: number;
  products: number;
  stock: number;
  created: number;
  updated: number;
  errors: number;
}

export interface Overview {
  today: Usage;
  this_month: Usage;
  days: Usage[];
  months: Usage[];
}

export type Board = Record<TransferStatus, Transfer[]>;

export interface Job {
  expression: string;
  description: string;
  next_run_at: string | null;
  last_run_at: string | null;
  last_outcome: { records_found: number; error: string | null } | null;
}

export interface ScheduleRow {
  connection: string;
  name: string;
  active: boolean;
  job: Job | null;
}

export interface LogEvent {
  id: string;
  at: string;
  service: string;
  level: Level;
  message: string;
  connection: string | null;
  transfer: string | null;
  /** How many times it happened: refused webhooks are counted per minute. */
  count: number;
}

export interface Plan {
  id: string;
  name: string;
  monthly_orders: number;
  price: string;
  pack_orders: number;
  pack_price: string;
}

export interface Purchase {
  id: string;
  period: string;
  orders: number;
  price: string;
  currency: string;
  at: string;
  automatic: boolean;
}

export interface Subscription {
  plan: Plan;
  monthly_orders: number;
  period: string;
  used: number;
  extra_orders: number;
  allowance: number;
  remaining: number;
  auto_buy: boolean;
  purchases: Purchase[];
  plans: Plan[];
  updated_at: string;
  resumed: number;
}

export interface Settings {
  integration_active: boolean;
  orders_active: boolean;
  products_active: boolean;
  stock_active: boolean;
  customers_active: boolean;
}

export interface User {
  id: string;
  email: string;
  role: Role;
  created_at: string;
}

/** The answer to an invitation: the new user (no token: the link goes to their email only). */
export interface Invited extends User {
  invitation_sent: boolean;
}

export interface ScopeName {
  name: string;
  systems: number;
  connections: number;
}

export type ReminderKind = "usage" | "failed_transfers" | "unhealthy_credentials" | "all_clear";

export interface Recipient {
  email: string;
  kinds: ReminderKind[];
}

export interface SentReminder {
  kind: ReminderKind;
  subject: string;
  status: string;
  at: string;
  recipients: string[];
  /** Why the last try failed (tried again by the next run). */
  error?: string | null;
}

export interface Reminders {
  recipients: Recipient[];
  default: boolean;
  kinds: ReminderKind[];
  recent: SentReminder[];
}
