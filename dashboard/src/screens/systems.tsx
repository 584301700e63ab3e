// Systems: the webshops and accounting systems added, with their health,
// configuration and the actions on them; tabs for global and client
// systems, filters by warehouse, client and name.

import { useEffect, useState } from "preact/hooks";
import { Button, Dialog, Empty, Field, HealthBadge, Loading, Page, Problem, Tabs, When } from "../components/ui.tsx";
import * as fmt from "../format.ts";
import { useAction, useResource } from "../hooks.ts";
import { navigate } from "../router.ts";
import { api, canWrite } from "../session.ts";
import { MoneySettingsForm } from "../components/money-settings-form.tsx";
import { configErrors, configValues, defaultedMoneySettings, KINDS, moneyFields, specOf } from "../systems-spec.ts";
import type { List, PollOutcome, ScopeName, System } from "../types.ts";
import { ApiError, describe } from "../api.ts";

type ScopeTab = "" | "global" | "client";

/** Config entries worth showing (the sandbox address and the like included). */
function configSummary(system: System): [string, string][] {
  return Object.entries(system.config)
    .filter(([, v]) => v !== null && v !== "")
    .map(([k, v]) => [fmt.words(k), typeof v === "object" ? JSON.stringify(v) : String(v)]);
}

function CredentialsForm(props: { system: System; onDone: (s: System) => void }) {
  const spec = specOf(props.system.kind);
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const { busy, run } = useAction();
  if (!spec) return <p>Ferry does not know the fields of a {props.system.kind} system.</p>;
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const saved = await api.put<System>(`/systems/${props.system.id}/credentials`, values);
      const tested = await run("test", () => api.post<System>(`/systems/${props.system.id}/test`), (s) =>
        s.health.status === "healthy" ? "New credentials saved; the connection works." : `Saved, but the test failed: ${s.health.reason ?? "no reason given"}`,
      );
      props.onDone(tested ?? saved);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "error", describe(caught)));
    }
  };
  return (
    <form onSubmit={submit} class="form">
      <p class="muted">Credentials are sealed when saved and never shown again. Enter all of them; Ferry tests them right after.</p>
      {spec.credentials.map((f) => (
        <Field label={f.label} error={error?.field === f.name ? error.message : null}>
          <input
            type={f.secret ? "password" : "text"}
            autoComplete="off"
            required
            value={values[f.name] ?? ""}
            onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
          />
        </Field>
      ))}
      {error && !spec.credentials.some((f) => f.name === error.field) && <Problem compact message={error.message} />}
      <div class="form-actions">
        <Button kind="primary" type="submit" busy={busy === "test"}>
          Save and test
        </Button>
      </div>
    </form>
  );
}

function NewSystemForm(props: { clients: ScopeName[]; warehouses: ScopeName[]; onDone: (s: System) => void }) {
  const [kind, setKind] = useState(KINDS[0]!.kind);
  const [name, setName] = useState("");
  const [config, setConfig] = useState<Record<string, string>>({});
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [client, setClient] = useState("");
  const [warehouse, setWarehouse] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [checked, setChecked] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const spec = specOf(kind)!;
  const fieldError = (name: string) =>
    checked[name] ?? (error?.field && (error.field === name || error.field.endsWith(`.${name}`)) ? error.message : null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const problems = configErrors(spec.config, config);
    setChecked(problems);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      const created = await api.post<System>("/systems", {
        kind,
        name: name.trim(),
        config: configValues(spec, config),
        credentials,
        client: client || null,
        warehouse: warehouse || null,
      });
      props.onDone(created);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "error", describe(caught)));
    } finally {
      setBusy(false);
    }
  };
  const shown = error && !fieldError("name") && ![...spec.config, ...spec.credentials].some((f) => fieldError(f.name));
  return (
    <form onSubmit={submit} class="form">
      <div class="grid2">
        <Field label="Kind">
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as typeof kind)}>
            {KINDS.map((k) => (
              <option value={k.kind}>{fmt.systemKind(k.kind)}</option>
            ))}
          </select>
        </Field>
        <Field label="Name" error={fieldError("name")} hint="How it is called on every screen">
          <input required value={name} placeholder={`My ${fmt.systemKind(kind)}`} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        {spec.config.map((f) => (
          <Field label={f.label} hint={f.hint} error={fieldError(f.name)}>
            <input
              required={!f.optional}
              inputMode={f.name.endsWith("_number") ? "numeric" : f.name === "rounding_limit" ? "decimal" : undefined}
              placeholder={f.placeholder ?? f.fallback}
              value={config[f.name] ?? ""}
              onInput={(e) => setConfig({ ...config, [f.name]: e.currentTarget.value })}
            />
          </Field>
        ))}
        {spec.credentials.map((f) => (
          <Field label={f.label} error={fieldError(f.name)}>
            <input
              type="password"
              autoComplete="off"
              required
              value={credentials[f.name] ?? ""}
              onInput={(e) => setCredentials({ ...credentials, [f.name]: e.currentTarget.value })}
            />
          </Field>
        ))}
        <Field label="Client" hint="Empty: global, for the whole account">
          <select value={client} onChange={(e) => setClient(e.currentTarget.value)}>
            <option value="">Global</option>
            {props.clients.map((c) => (
              <option value={c.name}>{c.name}</option>
            ))}
          </select>
        </Field>
        <Field label="Warehouse">
          <select value={warehouse} onChange={(e) => setWarehouse(e.currentTarget.value)}>
            <option value="">None</option>
            {props.warehouses.map((w) => (
              <option value={w.name}>{w.name}</option>
            ))}
          </select>
        </Field>
      </div>
      {shown && <Problem compact message={error!.message} />}
      <div class="form-actions">
        <Button kind="primary" type="submit" busy={busy}>
          Add system
        </Button>
      </div>
    </form>
  );
}

function SystemCard(props: { system: System; onChange: (s: System | null) => void; onCredentials: () => void; onMoney: () => void }) {
  const s = props.system;
  const keepsMoney = moneyFields(s.kind).length > 0;
  const { busy, run } = useAction();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const writable = canWrite();
  const test = () =>
    run("test", () => api.post<System>(`/systems/${s.id}/test`), (after) => {
      props.onChange(after);
      return after.health.status === "healthy"
        ? `${s.name}: the connection works.`
        : `${s.name}: the test failed. ${after.health.reason ?? ""}`;
    });
  const sync = () =>
    run("sync", () => api.post<{ polls: PollOutcome[] }>(`/systems/${s.id}/sync`), (result) => {
      if (result.polls.length === 0) return `${s.name} has no active connection reading from it: nothing to sync.`;
      const found = result.polls.reduce((n, p) => n + p.records_found, 0);
      const failed = result.polls.find((p) => p.error);
      return failed ? `Sync of ${s.name} stopped: ${failed.error}` : `Synced ${s.name}: ${fmt.count(found)} records found.`;
    });
  const toggle = () =>
    run(
      "active",
      () => (s.active ? api.post<System>(`/systems/${s.id}/disconnect`) : api.patch<System>(`/systems/${s.id}`, { active: true })),
      (after) => {
        props.onChange(after);
        return after.active ? `${s.name} is connected again.` : `${s.name} is disconnected: nothing is read from or sent to it.`;
      },
    );
  const remove = () =>
    run("delete", () => api.delete(`/systems/${s.id}`), () => {
      setConfirmDelete(false);
      props.onChange(null);
      return `${s.name} was removed.`;
    });
  return (
    <article class={`card system${s.active ? "" : " inactive"}`} data-testid="system-card">
      <header class="system-head">
        <div>
          <h2>{s.name}</h2>
          <p class="muted">
            {fmt.systemKind(s.kind)} · {s.client ? `Client ${s.client}` : "Global"}
            {s.warehouse && ` · Warehouse ${s.warehouse}`}
            {!s.active && " · Disconnected"}
          </p>
        </div>
        <HealthBadge health={s.health} />
      </header>
      {s.health.status === "unhealthy" && s.health.reason && <Problem compact message={s.health.reason} />}
      <dl class="facts">
        {configSummary(s).map(([k, v]) => (
          <div>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
        {defaultedMoneySettings(s).map(([k, v]) => (
          <div>
            <dt>{k}</dt>
            <dd>{v} (default)</dd>
          </div>
        ))}
        <div>
          <dt>credentials</dt>
          <dd>{s.credentials_set ? "set (sealed)" : "missing"}</dd>
        </div>
        <div>
          <dt>checked</dt>
          <dd>
            <When at={s.health.checked_at} />
          </dd>
        </div>
        <div>
          <dt>created</dt>
          <dd>{fmt.dateTime(s.created_at)}</dd>
        </div>
        <div>
          <dt>updated</dt>
          <dd>{fmt.dateTime(s.updated_at)}</dd>
        </div>
      </dl>
      {writable && (
        <div class="row-actions">
          <Button onClick={test} busy={busy === "test"}>
            Test connection
          </Button>
          <Button onClick={sync} busy={busy === "sync"} disabled={!s.active}>
            Sync now
          </Button>
          <Button onClick={props.onCredentials}>Update credentials</Button>
          {keepsMoney && <Button onClick={props.onMoney}>Rounding and gift cards</Button>}
          <Button onClick={toggle} busy={busy === "active"}>
            {s.active ? "Disconnect" : "Connect again"}
          </Button>
          <Button kind="danger" onClick={() => setConfirmDelete(true)}>
            Delete
          </Button>
        </div>
      )}
      <Dialog title={`Delete ${s.name}?`} open={confirmDelete} onClose={() => setConfirmDelete(false)}>
        <p>
          Ferry forgets this system and its credentials. Connections that use it must be removed first. Transfers already made stay in the
          log.
        </p>
        <div class="form-actions">
          <Button onClick={() => setConfirmDelete(false)}>Keep it</Button>
          <Button kind="danger" busy={busy === "delete"} onClick={remove}>
            Delete {s.name}
          </Button>
        </div>
      </Dialog>
    </article>
  );
}

export function Systems({ params }: { params: URLSearchParams }) {
  const scope = (params.get("scope") ?? "") as ScopeTab;
  const client = params.get("client") ?? "";
  const warehouse = params.get("warehouse") ?? "";
  const q = params.get("q") ?? "";
  const [typed, setTyped] = useState(q);
  const [adding, setAdding] = useState(false);
  const [credentialsFor, setCredentialsFor] = useState<System | null>(null);
  const [moneyFor, setMoneyFor] = useState<System | null>(null);
  const set = (changes: Record<string, string>, replace = false) =>
    navigate("/systems", { scope, client, warehouse, q, ...changes }, replace);

  useEffect(() => {
    if (typed.trim() === q) return;
    const timer = setTimeout(() => set({ q: typed.trim() }, true), 250);
    return () => clearTimeout(timer);
  }, [typed]);

  const list = useResource(
    () => api.get<List<System>>("/systems", { scope, client, warehouse, q, limit: 500 }),
    [scope, client, warehouse, q],
    15000,
  );
  const clients = useResource(() => api.get<List<ScopeName>>("/clients", { limit: 500 }), []);
  const warehouses = useResource(() => api.get<List<ScopeName>>("/warehouses", { limit: 500 }), []);
  const items = list.data?.items ?? [];
  const replace = (id: string, next: System | null) => {
    if (!list.data) return;
    const rest = list.data.items.filter((s) => s.id !== id || next);
    list.set({ ...list.data, items: next ? rest.map((s) => (s.id === id ? next : s)) : rest });
  };
  const filtered = Boolean(scope || client || warehouse || q);

  return (
    <Page
      title="Systems"
      intro="Your webshops and accounting systems: whether Ferry can reach them, and what it knows about them."
      actions={
        canWrite() && (
          <Button kind="primary" onClick={() => setAdding(true)}>
            Add system
          </Button>
        )
      }
    >
      <Tabs<ScopeTab>
        label="Scope"
        value={scope}
        onChange={(v) => set({ scope: v, client: v === "global" ? "" : client })}
        options={[
          { value: "", label: "All" },
          { value: "global", label: "Global" },
          { value: "client", label: "Clients" },
        ]}
      />
      <div class="toolbar">
        <label class="search">
          <span class="visually-hidden">Filter by name</span>
          <input type="search" data-search placeholder="Filter by name…" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <label>
          <span class="visually-hidden">Client</span>
          <select value={client} disabled={scope === "global"} onChange={(e) => set({ client: e.currentTarget.value })}>
            <option value="">All clients</option>
            {clients.data?.items.map((c) => (
              <option value={c.name}>{c.name}</option>
            ))}
          </select>
        </label>
        <label>
          <span class="visually-hidden">Warehouse</span>
          <select value={warehouse} onChange={(e) => set({ warehouse: e.currentTarget.value })}>
            <option value="">All warehouses</option>
            {warehouses.data?.items.map((w) => (
              <option value={w.name}>{w.name}</option>
            ))}
          </select>
        </label>
      </div>
      {list.error && <Problem message={list.error} retry={list.reload} />}
      {!list.data && !list.error && <Loading what="systems" />}
      {list.data && items.length === 0 &&
        (filtered ? (
          <Empty title="No system matches these filters" action={<a class="btn" href="#/systems">Show all systems</a>} />
        ) : (
          <Empty
            title="No systems yet"
            action={
              canWrite() && (
                <Button kind="primary" onClick={() => setAdding(true)}>
                  Add your webshop
                </Button>
              )
            }
          >
            Add the webshop orders come from (Shopify, WooCommerce) and the accounting system they go to (e-conomic, Fortnox).
          </Empty>
        ))}
      <div class="cards">
        {items.map((s) => (
          <SystemCard system={s} onChange={(next) => replace(s.id, next)} onCredentials={() => setCredentialsFor(s)} onMoney={() => setMoneyFor(s)} />
        ))}
      </div>
      <Dialog title="Add a system" open={adding} onClose={() => setAdding(false)} wide>
        <NewSystemForm
          clients={clients.data?.items ?? []}
          warehouses={warehouses.data?.items ?? []}
          onDone={() => {
            setAdding(false);
            void list.reload();
          }}
        />
      </Dialog>
      <Dialog title={`Rounding and gift cards of ${moneyFor?.name ?? ""}`} open={moneyFor !== null} onClose={() => setMoneyFor(null)}>
        {moneyFor && (
          <MoneySettingsForm
            system={moneyFor}
            onDone={(s) => {
              replace(s.id, s);
              setMoneyFor(null);
            }}
          />
        )}
      </Dialog>
      <Dialog title={`New credentials for ${credentialsFor?.name ?? ""}`} open={credentialsFor !== null} onClose={() => setCredentialsFor(null)}>
        {credentialsFor && (
          <CredentialsForm
            system={credentialsFor}
            onDone={(s) => {
              replace(s.id, s);
              setCredentialsFor(null);
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}
