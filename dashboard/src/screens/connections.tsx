// Connections: the flows (`Shopify > e-conomic`), each switched on or off,
// with the order states it takes, the document it makes, and its polling
// schedule with the next runs previewed.

import { useEffect, useState } from "preact/hooks";
import { ApiError, describe } from "../api.ts";
import { ScheduleField } from "../components/schedule-field.tsx";
import { Button, Dialog, Empty, Field, Loading, Page, Problem, Switch, When } from "../components/ui.tsx";
import * as fmt from "../format.ts";
import { useAction, useResource } from "../hooks.ts";
import { byId, flow } from "../lookup.ts";
import { href, navigate } from "../router.ts";
import { api, canWrite } from "../session.ts";
import { statesOf } from "../states.ts";
import type { Connection, DocumentKind, List, PollOutcome, System } from "../types.ts";
import { CurrencyField, PaymentsField } from "../components/payments-field.tsx";
import { connectionChanges, currencyOf, newConnectionBody, type Draft } from "../connection-body.ts";
import { errorKey, payingLedger, paymentsDraft, paymentsSummary, type PaymentsErrors } from "../payments.ts";

const DOCUMENTS: DocumentKind[] = ["draft_invoice", "booked_invoice", "order"];

function ConnectionForm(props: { systems: System[]; existing?: Connection; onDone: (c: Connection) => void }) {
  const sources = props.systems.filter((s) => fmt.isSource(s.kind));
  const targets = props.systems.filter((s) => !fmt.isSource(s.kind));
  const e = props.existing;
  const [draft, setDraft] = useState<Draft>({
    name: e?.name ?? "",
    source: e?.source ?? sources[0]?.id ?? "",
    target: e?.target ?? targets[0]?.id ?? "",
    allowed_states: e?.allowed_states ?? ["paid"],
    document: e?.document ?? "draft_invoice",
    documents: { ...(e?.documents ?? {}) },
    schedule: e?.schedule ?? "",
    currency: currencyOf(e),
    payments: paymentsDraft(e?.payments),
  });
  const [error, setError] = useState<ApiError | null>(null);
  const [checked, setChecked] = useState<PaymentsErrors>({});
  const [busy, setBusy] = useState(false);
  const source = props.systems.find((s) => s.id === draft.source);
  // Currency and payments are settings of order connections only.
  const forOrders = (e?.entity ?? "orders") === "orders";
  const ledger = forOrders ? payingLedger(props.systems.find((s) => s.id === draft.target)?.kind) : null;
  const serverPaymentsKey = errorKey(error?.field, draft.payments.rows);
  const paymentsErrors: PaymentsErrors =
    serverPaymentsKey && error ? { ...checked, [serverPaymentsKey]: error.message } : checked;
  const states = statesOf(source?.kind, draft.allowed_states);
  const fieldError = (name: string) => (error?.field?.startsWith(name) ? error.message : null);
  const toggleState = (state: string) =>
    setDraft({
      ...draft,
      allowed_states: draft.allowed_states.includes(state) ? draft.allowed_states.filter((s) => s !== state) : [...draft.allowed_states, state],
    });
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const prepared = e
      ? connectionChanges(draft, e, ledger)
      : newConnectionBody(draft, draft.name.trim() || `${flow(draft, byId(props.systems))} (orders)`, ledger);
    setChecked(prepared.errors);
    if (Object.keys(prepared.errors).length > 0) return;
    setBusy(true);
    try {
      const saved = e
        ? await api.patch<Connection>(`/connections/${e.id}`, prepared.body)
        : await api.post<Connection>("/connections", prepared.body);
      props.onDone(saved);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "error", describe(caught)));
    } finally {
      setBusy(false);
    }
  };
  if (!e && (sources.length === 0 || targets.length === 0)) {
    return (
      <Empty title="Add both ends first">
        A connection needs a webshop and an accounting system. Add {sources.length === 0 ? "a webshop" : "an accounting system"} under{" "}
        <a href={href("/systems")}>Systems</a>.
      </Empty>
    );
  }
  const known = new Set(["name", "allowed_states", "document", "documents", "schedule", "source", "target", "currency"]);
  const setStateDocument = (state: string, value: string) => {
    const documents = { ...draft.documents };
    if (value === "") delete documents[state];
    else documents[state] = value as DocumentKind;
    setDraft({ ...draft, documents });
  };
  return (
    <form class="form" onSubmit={submit}>
      <div class="grid2">
        {!e && (
          <>
            <Field label="From (webshop)" error={fieldError("source")}>
              <select value={draft.source} onChange={(ev) => setDraft({ ...draft, source: ev.currentTarget.value })}>
                {sources.map((s) => (
                  <option value={s.id}>
                    {s.name} ({fmt.systemKind(s.kind)})
                  </option>
                ))}
              </select>
            </Field>
            <Field label="To (accounting)" error={fieldError("target")}>
              <select value={draft.target} onChange={(ev) => setDraft({ ...draft, target: ev.currentTarget.value })}>
                {targets.map((s) => (
                  <option value={s.id}>
                    {s.name} ({fmt.systemKind(s.kind)})
                  </option>
                ))}
              </select>
            </Field>
          </>
        )}
        <Field label="Name" error={fieldError("name")}>
          <input value={draft.name} placeholder="Shopify > e-conomic (orders)" onInput={(ev) => setDraft({ ...draft, name: ev.currentTarget.value })} />
        </Field>
        <Field label="Document to make" error={fieldError("document")} hint="For every allowed state, unless chosen per state below">
          <select value={draft.document} onChange={(ev) => setDraft({ ...draft, document: ev.currentTarget.value as DocumentKind })}>
            {DOCUMENTS.map((d) => (
              <option value={d}>{fmt.documentKind(d)}</option>
            ))}
          </select>
        </Field>
      </div>
      <fieldset class={`states${fieldError("allowed_states") ? " invalid" : ""}`}>
        <legend>Allowed order states</legend>
        <p class="field-hint">Orders in other states are skipped, with the reason shown on Transfers.</p>
        <div class="chips">
          {states.map((state) => (
            <label class={`chip${draft.allowed_states.includes(state) ? " chosen" : ""}`}>
              <input type="checkbox" checked={draft.allowed_states.includes(state)} onChange={() => toggleState(state)} />
              {fmt.words(state)}
            </label>
          ))}
        </div>
        {fieldError("allowed_states") && <span class="field-error">{fieldError("allowed_states")}</span>}
      </fieldset>
      {draft.allowed_states.length > 0 && (
        <fieldset class={`per-state${fieldError("documents") ? " invalid" : ""}`}>
          <legend>Document per state</legend>
          <p class="field-hint">E.g. a booked invoice for paid orders and a draft order for authorized ones.</p>
          <div class="grid2">
            {draft.allowed_states.map((state) => (
              <Field label={fmt.words(state)} error={fieldError(`documents.${state}`)}>
                <select data-testid={`document-${state}`} value={draft.documents[state] ?? ""} onChange={(ev) => setStateDocument(state, ev.currentTarget.value)}>
                  <option value="">Same as above ({fmt.documentKind(draft.document)})</option>
                  {DOCUMENTS.map((d) => (
                    <option value={d}>{fmt.documentKind(d)}</option>
                  ))}
                </select>
              </Field>
            ))}
          </div>
        </fieldset>
      )}
      <ScheduleField value={draft.schedule} onChange={(schedule) => setDraft({ ...draft, schedule })} error={fieldError("schedule")} />
      {forOrders && (
        <div class="grid2">
          <CurrencyField value={draft.currency} onChange={(currency) => setDraft({ ...draft, currency })} error={fieldError("currency")} />
        </div>
      )}
      {ledger && (
        <PaymentsField ledger={ledger} value={draft.payments} onChange={(payments) => setDraft({ ...draft, payments })} errors={paymentsErrors} />
      )}
      {error && !serverPaymentsKey && !known.has((error.field ?? "").replace(/\[.*$/, "")) && <Problem compact message={error.message} />}
      <div class="form-actions">
        <Button kind="primary" type="submit" busy={busy}>
          {e ? "Save changes" : "Create connection"}
        </Button>
      </div>
    </form>
  );
}

function ConnectionCard(props: {
  connection: Connection;
  /** Every system of the tenant, or undefined while they load (or when they could not be loaded). */
  systems: Map<string, System> | undefined;
  onChange: (c: Connection | null) => void;
  onEdit: () => void;
}) {
  const c = props.connection;
  const { busy, run } = useAction();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const writable = canWrite();
  const source = props.systems?.get(c.source);
  const target = props.systems?.get(c.target);
  const paid = paymentsSummary(c.payments, payingLedger(target?.kind));
  const systemName = (system: System | undefined) => (system ? system.name : props.systems ? "unknown system" : "…");
  const setActive = (on: boolean) =>
    run("active", () => api.post<Connection>(`/connections/${c.id}/${on ? "activate" : "deactivate"}`), (after) => {
      props.onChange(after);
      return on ? `${c.name} is on: new orders move again.` : `${c.name} is off: new orders are skipped until you switch it on.`;
    });
  const sync = () =>
    run("sync", () => api.post<PollOutcome>(`/connections/${c.id}/sync`, {}), (o) =>
      o.error ? `Sync stopped: ${o.error}` : `Synced: ${fmt.count(o.records_found)} found, ${fmt.count(o.created)} new, ${fmt.count(o.updated)} updated.`,
    );
  const remove = () =>
    run("delete", () => api.delete(`/connections/${c.id}`), () => {
      setConfirmDelete(false);
      props.onChange(null);
      return `${c.name} was removed.`;
    });
  return (
    <article class={`card connection${c.active ? "" : " inactive"}`} data-testid="connection-card">
      <header class="system-head">
        <div>
          <p class="flow" data-testid="flow" aria-busy={!props.systems}>
            {props.systems ? flow(c, props.systems) : <span class="muted">…</span>} <span class="muted">({c.entity})</span>
          </p>
          <h2>{c.name}</h2>
          <p class="muted">
            {systemName(source)} → {systemName(target)} · {c.client ? `Client ${c.client}` : "Global"}
          </p>
        </div>
        <Switch on={c.active} label={c.active ? "On" : "Off"} busy={busy === "active"} disabled={!writable} onChange={setActive} />
      </header>
      <dl class="facts">
        <div class="wide">
          <dt>allowed states → document</dt>
          <dd class="chips">
            {c.allowed_states.length === 0 && <span class="muted">none: every order is skipped</span>}
            {c.allowed_states.map((s) => (
              <span class="chip static">
                {fmt.words(s)} → {fmt.documentKind(c.documents?.[s] ?? c.document)}
              </span>
            ))}
          </dd>
        </div>
        <div>
          <dt>schedule</dt>
          <dd>
            {c.schedule ? (
              <>
                <code>{c.schedule}</code> · next <When at={c.next_run_at} />
              </>
            ) : (
              "webhooks only"
            )}
          </dd>
        </div>
        <div>
          <dt>last poll</dt>
          <dd>
            {c.last_run.at ? (
              <>
                <When at={c.last_run.at} /> · {c.last_run.error ? <span class="bad-text">{c.last_run.error}</span> : `${c.last_run.records_found} found`}
              </>
            ) : (
              "never"
            )}
          </dd>
        </div>
        {c.entity === "orders" && (
          <>
            <div>
              <dt>booked in</dt>
              <dd data-testid="booked-in">{currencyOf(c) === "shop" ? "the shop's currency" : "the currency the customer paid"}</dd>
            </div>
            <div class="wide">
              <dt>marked paid</dt>
              <dd class="chips" data-testid="marked-paid">
                {paid.map((line) => (
                  <span class="chip static">{line}</span>
                ))}
                {paid.length === 0 && <span class="muted">never: no payment method is mapped</span>}
              </dd>
            </div>
          </>
        )}
        <div class="wide">
          <dt>webhook address</dt>
          <dd>
            <code class="copy">{c.webhook_url}</code>
          </dd>
        </div>
      </dl>
      <div class="row-actions">
        <a class="btn" href={href("/transfers", { connection: c.id })}>
          Transfers
        </a>
        {writable && (
          <>
            <Button onClick={sync} busy={busy === "sync"} disabled={!c.active}>
              Sync now
            </Button>
            <Button onClick={props.onEdit}>Edit</Button>
            <Button kind="danger" onClick={() => setConfirmDelete(true)}>
              Delete
            </Button>
          </>
        )}
      </div>
      <Dialog title={`Delete ${c.name}?`} open={confirmDelete} onClose={() => setConfirmDelete(false)}>
        <p>Orders stop moving along this flow, and its webhook address stops working. Transfers already made stay in the log.</p>
        <div class="form-actions">
          <Button onClick={() => setConfirmDelete(false)}>Keep it</Button>
          <Button kind="danger" busy={busy === "delete"} onClick={remove}>
            Delete {c.name}
          </Button>
        </div>
      </Dialog>
    </article>
  );
}

export function Connections({ params }: { params: URLSearchParams }) {
  const q = params.get("q") ?? "";
  const [typed, setTyped] = useState(q);
  const [editing, setEditing] = useState<Connection | "new" | null>(null);
  useEffect(() => {
    if (typed.trim() === q) return;
    const timer = setTimeout(() => navigate("/connections", { q: typed.trim() }, true), 250);
    return () => clearTimeout(timer);
  }, [typed]);
  const list = useResource(() => api.get<List<Connection>>("/connections", { q, limit: 500 }), [q], 10000);
  // All of them, not a first page: every connection's flow names two of them.
  const systems = useResource(() => api.all<System>("/systems"), []);
  const systemMap = systems.data ? byId(systems.data) : undefined;
  const items = list.data?.items ?? [];
  const replace = (id: string, next: Connection | null) => {
    if (!list.data) return;
    const kept = list.data.items.filter((c) => c.id !== id || next);
    list.set({ ...list.data, items: next ? kept.map((c) => (c.id === id ? next : c)) : kept });
  };
  return (
    <Page
      title="Connections"
      intro="Each connection moves one kind of record from a webshop to an accounting system. Switch one off to pause it: its orders are skipped, with the reason."
      actions={
        canWrite() && (
          <Button kind="primary" onClick={() => setEditing("new")}>
            New connection
          </Button>
        )
      }
    >
      <div class="toolbar">
        <label class="search">
          <span class="visually-hidden">Filter by name</span>
          <input type="search" data-search placeholder="Filter by name…" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
      </div>
      {(list.error || systems.error) && <Problem message={(list.error ?? systems.error)!} retry={() => (list.reload(), systems.reload())} />}
      {!list.data && !list.error && <Loading what="connections" />}
      {list.data && items.length > 0 && !systems.data && !systems.error && <Loading what="the systems they connect" />}
      {list.data && items.length === 0 &&
        (q ? (
          <Empty title={`No connection is called “${q}”`} action={<a class="btn" href={href("/connections")}>Show all</a>} />
        ) : (
          <Empty
            title="No connections yet"
            action={
              canWrite() && (
                <Button kind="primary" onClick={() => setEditing("new")}>
                  Connect a webshop to accounting
                </Button>
              )
            }
          >
            A connection takes orders from a webshop to your accounting system, e.g. Shopify &gt; e-conomic.
          </Empty>
        ))}
      <div class="cards">
        {items.map((c) => (
          <ConnectionCard connection={c} systems={systemMap} onChange={(next) => replace(c.id, next)} onEdit={() => setEditing(c)} />
        ))}
      </div>
      <Dialog
        title={editing === "new" ? "New connection" : `Edit ${editing?.name ?? ""}`}
        open={editing !== null}
        onClose={() => setEditing(null)}
        wide
      >
        {editing !== null && !systems.data && (systems.error ? <Problem compact message={systems.error} retry={systems.reload} /> : <Loading what="your systems" />)}
        {editing !== null && systems.data && (
          <ConnectionForm
            systems={systems.data}
            existing={editing === "new" ? undefined : editing}
            onDone={(saved) => {
              setEditing(null);
              if (editing === "new") void list.reload();
              else replace(saved.id, saved);
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}
