// A ledger system's money settings (rounding product and limit, gift card
// product), changed on their own: the rest of its configuration is sent
// back as it is.

import { useState } from "preact/hooks";
import { ApiError, describe } from "../api.ts";
import { api } from "../session.ts";
import { configErrors, moneyFields, moneySettingsChange, moneySettingsOf, type FieldSpec } from "../systems-spec.ts";
import type { System } from "../types.ts";
import { Button, Field, Problem } from "./ui.tsx";

/** The money fields of a kind, each with its one-line explanation. */
function MoneyFields(props: {
  fields: FieldSpec[];
  values: Record<string, string>;
  errors: Record<string, string | null | undefined>;
  onChange: (values: Record<string, string>) => void;
}) {
  return (
    <>
      {props.fields.map((f) => (
        <Field label={f.label} hint={f.hint} error={props.errors[f.name] ?? null}>
          <input
            name={f.name}
            value={props.values[f.name] ?? ""}
            placeholder={f.placeholder ?? f.fallback}
            inputMode={f.name === "rounding_limit" ? "decimal" : undefined}
            onInput={(e) => props.onChange({ ...props.values, [f.name]: e.currentTarget.value })}
          />
        </Field>
      ))}
    </>
  );
}

export function MoneySettingsForm(props: { system: System; onDone: (s: System) => void }) {
  const fields = moneyFields(props.system.kind);
  const [values, setValues] = useState<Record<string, string>>(() => moneySettingsOf(props.system));
  const [checked, setChecked] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const serverError = (name: string) => (error?.field && (error.field === name || error.field === `config.${name}`) ? error.message : null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const problems = configErrors(fields, values);
    setChecked(problems);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      props.onDone(await api.patch<System>(`/systems/${props.system.id}`, moneySettingsChange(props.system, values)));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "error", describe(caught)));
    } finally {
      setBusy(false);
    }
  };
  const errors = Object.fromEntries(fields.map((f) => [f.name, checked[f.name] ?? serverError(f.name)]));
  return (
    <form class="form" onSubmit={submit} noValidate>
      <p class="muted">
        These decide how an order's total reaches the ledger to the cent. An empty field means Ferry's default, shown in grey; Ferry
        makes a missing rounding {props.system.kind === "fortnox" ? "article" : "product"} itself.
      </p>
      <MoneyFields fields={fields} values={values} errors={errors} onChange={setValues} />
      {error && !fields.some((f) => serverError(f.name)) && <Problem compact message={error.message} />}
      <div class="form-actions">
        <Button kind="primary" type="submit" busy={busy}>
          Save money settings
        </Button>
      </div>
    </form>
  );
}
