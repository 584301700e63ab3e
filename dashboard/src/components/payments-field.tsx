// A connection's money settings: the currency orders are booked in, and
// the payment-method map that marks invoices paid (one row per shop
// gateway, the ledger's fields beside it). Both are controlled: the
// connection form keeps the values.

import { emptyRow, GATEWAY_SUGGESTIONS, type GatewayRow, type PayingLedger, type PaymentsDraft, type PaymentsErrors } from "../payments.ts";
import type { BookingCurrency } from "../types.ts";
import * as fmt from "../format.ts";
import { Button, Field, Switch } from "./ui.tsx";

export function CurrencyField(props: { value: BookingCurrency; onChange: (v: BookingCurrency) => void; error?: string | null }) {
  return (
    <Field label="Book orders in" error={props.error} hint="Foreign-currency orders carry their exchange rate to the ledger.">
      <select name="currency" value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as BookingCurrency)}>
        <option value="presentment">The currency the customer paid</option>
        <option value="shop">The shop's own currency</option>
      </select>
    </Field>
  );
}

/** The ledger's fields of one gateway row. */
function LedgerFields(props: { ledger: PayingLedger; row: GatewayRow; index: number; errors: PaymentsErrors; onChange: (row: GatewayRow) => void }) {
  const { row, index, errors } = props;
  const input = (field: keyof GatewayRow, label: string, hint: string, numeric: boolean) => (
    <Field label={label} hint={hint} error={errors[`${index}.${field}`]}>
      <input
        name={`${field}-${index}`}
        inputMode={numeric ? "numeric" : undefined}
        value={row[field]}
        onInput={(e) => props.onChange({ ...row, [field]: e.currentTarget.value })}
      />
    </Field>
  );
  if (props.ledger === "economic") {
    return (
      <>
        {input("contra_account", "Contra account", "Where the money arrives, e.g. the PayPal or bank account", true)}
        {input("payment_terms", "Payment terms (optional)", "Set on the invoice, e.g. “Paid by card”", true)}
      </>
    );
  }
  return (
    <>
      {input("mode_of_payment", "Mode of payment", "Its code in Fortnox, e.g. PP or KORT", false)}
      {input("account", "Account (optional)", "Books to this account instead of the mode's own", true)}
    </>
  );
}

export function PaymentsField(props: {
  ledger: PayingLedger;
  value: PaymentsDraft;
  onChange: (v: PaymentsDraft) => void;
  errors: PaymentsErrors;
}) {
  const { ledger, value, errors } = props;
  const ledgerName = fmt.systemKind(ledger);
  const set = (changes: Partial<PaymentsDraft>) => props.onChange({ ...value, ...changes });
  const setRow = (index: number, row: GatewayRow) => set({ rows: value.rows.map((r, i) => (i === index ? row : r)) });
  const unused = GATEWAY_SUGGESTIONS.find((g) => !value.rows.some((r) => r.gateway.trim() === g)) ?? "";
  const marking = value.on && value.rows.length > 0;
  return (
    <fieldset class={`payments${errors.payments ? " invalid" : ""}`} data-testid="payments-field">
      <legend>Mark invoices paid</legend>
      <div class="payments-head">
        <Switch
          on={value.on}
          label={value.on ? "On" : "Off"}
          onChange={(on) => set({ on, rows: on && value.rows.length === 0 ? [emptyRow(unused)] : value.rows })}
        />
        <p class="field-hint" data-testid="payments-effect">
          {marking
            ? `When the shop says an order is paid, Ferry marks its ${ledgerName} invoice paid, once, with the payment method mapped below. A method not mapped fails the payment, saying which.`
            : `Nothing is marked paid: invoices stay open in ${ledgerName} until your bookkeeper settles them.`}
        </p>
      </div>
      {value.on && (
        <>
          <datalist id="gateway-suggestions">
            {GATEWAY_SUGGESTIONS.map((g) => (
              <option value={g} />
            ))}
          </datalist>
          {value.rows.map((row, index) => (
            <div class="payment-row" data-testid="payment-row">
              <Field label="Shop's payment method" hint="As the shop names it: shopify_payments, paypal, bacs, cod…" error={errors[`${index}.gateway`]}>
                <input
                  name={`gateway-${index}`}
                  list="gateway-suggestions"
                  spellcheck={false}
                  value={row.gateway}
                  onInput={(e) => setRow(index, { ...row, gateway: e.currentTarget.value })}
                />
              </Field>
              <LedgerFields ledger={ledger} row={row} index={index} errors={errors} onChange={(next) => setRow(index, next)} />
              <Button class="remove" aria-label={`Remove ${row.gateway || "this payment method"}`} onClick={() => set({ rows: value.rows.filter((_, i) => i !== index) })}>
                Remove
              </Button>
            </div>
          ))}
          <Button onClick={() => set({ rows: [...value.rows, emptyRow(unused)] })}>Add a payment method</Button>
          <div class="grid2">
            {ledger === "economic" && (
              <Field label="Cash journal number" hint="The journal the payment vouchers go to" error={errors.journal}>
                <input name="journal" inputMode="numeric" value={value.journal} onInput={(e) => set({ journal: e.currentTarget.value })} />
              </Field>
            )}
            <label class="check">
              <input type="checkbox" name="book" checked={value.book} onChange={(e) => set({ book: e.currentTarget.checked })} />
              Book a draft invoice when its payment arrives (off: the payment waits until you book the invoice in {ledgerName})
            </label>
          </div>
        </>
      )}
      {errors.payments && <span class="field-error">{errors.payments}</span>}
    </fieldset>
  );
}
