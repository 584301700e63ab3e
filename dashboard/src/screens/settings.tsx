// Settings: the whole integration's switch, each module's, and the users.

import { useState } from "preact/hooks";
import { ApiError, describe } from "../api.ts";
import { Button, Dialog, Field, Loading, Page, Problem, Switch, When } from "../components/ui.tsx";
import { useAction, useResource } from "../hooks.ts";
import { settings as settingsSignal } from "../integration.ts";
import { api, canWrite, claims } from "../session.ts";
import type { Invited, List, Role, Settings, User } from "../types.ts";

const MODULES: { key: keyof Settings; label: string; note: string }[] = [
  { key: "orders_active", label: "Orders", note: "Webshop orders into accounting" },
  { key: "products_active", label: "Products", note: "Products between systems" },
  { key: "stock_active", label: "Stock", note: "Stock levels back to the webshop" },
  { key: "customers_active", label: "Customers", note: "Customers into accounting" },
];

function Users() {
  const users = useResource(() => api.get<List<User>>("/users", { limit: 500 }), []);
  const { busy, run } = useAction();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [error, setError] = useState<ApiError | null>(null);
  const [invited, setInvited] = useState<Invited | null>(null);
  const [removing, setRemoving] = useState<User | null>(null);
  const me = claims()?.sub;
  const writable = canWrite();
  const invite = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const answer = await api.post<Invited>("/users", { email: email.trim(), role });
      setInvited(answer);
      setEmail("");
      void users.reload();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "error", describe(caught)));
    }
  };
  const changeRole = (u: User, next: Role) =>
    run(`role-${u.id}`, () => api.patch<User>(`/users/${u.id}`, { role: next }), () => {
      void users.reload();
      return `${u.email} is ${next === "admin" ? "an admin" : "a viewer"} now.`;
    });
  const sendLink = (u: User) =>
    run(`link-${u.id}`, () => api.post<{ invitation_sent: boolean }>(`/users/${u.id}/invitation`), (answer) =>
      answer.invitation_sent
        ? `A new sign-in link is on its way to ${u.email}; their older link stops working.`
        : `No email could be sent to ${u.email}. Check the address, or try again later.`,
    );
  const remove = (u: User) =>
    run(`remove-${u.id}`, () => api.delete(`/users/${u.id}`), () => {
      setRemoving(null);
      void users.reload();
      return `${u.email} can no longer sign in.`;
    });
  return (
    <div class="card">
      <h2>Users</h2>
      {users.error && <Problem compact message={users.error} retry={users.reload} />}
      {!users.data && !users.error && <Loading what="users" />}
      {users.data && (
        <ul class="users">
          {users.data.items.map((u) => (
            <li>
              <span>
                <strong>{u.email}</strong>
                {u.id === me && <span class="muted"> (you)</span>}
                <span class="muted"> · invited <When at={u.created_at} /></span>
              </span>
              {writable ? (
                <span class="user-actions">
                  <label>
                    <span class="visually-hidden">Role of {u.email}</span>
                    <select value={u.role} disabled={busy === `role-${u.id}`} onChange={(e) => changeRole(u, e.currentTarget.value as Role)}>
                      <option value="admin">Admin</option>
                      <option value="viewer">Viewer</option>
                    </select>
                  </label>
                  <Button busy={busy === `link-${u.id}`} onClick={() => sendLink(u)} aria-label={`Send ${u.email} a new sign-in link`}>
                    New link
                  </Button>
                  <Button kind="danger" onClick={() => setRemoving(u)} aria-label={`Remove ${u.email}`}>
                    Remove
                  </Button>
                </span>
              ) : (
                <span class="badge">{u.role}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      {writable && (
        <form class="inline-form" onSubmit={invite}>
          <Field label="Invite by email" error={error?.field === "email" ? error.message : null}>
            <input type="email" required value={email} placeholder="colleague@shop.example" onInput={(e) => setEmail(e.currentTarget.value)} />
          </Field>
          <Field label="Role">
            <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              <option value="viewer">Viewer (looks only)</option>
              <option value="admin">Admin (changes things)</option>
            </select>
          </Field>
          <Button kind="primary" type="submit">
            Invite
          </Button>
        </form>
      )}
      {error && error.field !== "email" && <Problem compact message={error.message} />}
      {invited && (
        <div class="notice" role="status">
          <p>
            <strong>{invited.email}</strong> is invited
            {invited.invitation_sent
              ? " and was emailed a sign-in link. It works once, for 7 days."
              : ". No email could be sent: check the address, then use “New link” to try again."}
          </p>
        </div>
      )}
      <Dialog title={`Remove ${removing?.email ?? ""}?`} open={removing !== null} onClose={() => setRemoving(null)}>
        <p>They are signed out everywhere at once, and their sign-in link stops working. A tenant always keeps one admin.</p>
        <div class="form-actions">
          <Button onClick={() => setRemoving(null)}>Keep</Button>
          <Button kind="danger" busy={busy === `remove-${removing?.id}`} onClick={() => removing && remove(removing)}>
            Remove
          </Button>
        </div>
      </Dialog>
    </div>
  );
}

export function SettingsScreen() {
  const current = useResource(() => api.get<Settings>("/settings"), []);
  const { busy, run } = useAction();
  const s = current.data;
  const writable = canWrite();
  const change = (key: keyof Settings, on: boolean, label: string) =>
    run(key, () => api.patch<Settings>("/settings", { [key]: on }), (after) => {
      current.set(after);
      settingsSignal.set(after);
      return `${label} is ${on ? "on" : "off"}.`;
    });
  return (
    <Page title="Settings" intro="When nothing moves, check the integration switch first.">
      {current.error && <Problem message={current.error} retry={current.reload} />}
      {!s && !current.error && <Loading what="settings" />}
      {s && (
        <>
          <div class={`card integration ${s.integration_active ? "on" : "off"}`}>
            <div class="card-head">
              <div>
                <h2>Integration</h2>
                <p class="muted">
                  {s.integration_active
                    ? "On: orders move as they arrive."
                    : "Off: nothing moves. Orders that arrive are skipped with the reason, and can be retried later."}
                </p>
              </div>
              <Switch
                on={s.integration_active}
                label={s.integration_active ? "Integration on" : "Integration off"}
                busy={busy === "integration_active"}
                disabled={!writable}
                onChange={(on) => change("integration_active", on, "The integration")}
              />
            </div>
          </div>
          <div class="card">
            <h2>Modules</h2>
            <ul class="modules">
              {MODULES.map((m) => (
                <li>
                  <span>
                    <strong>{m.label}</strong> <span class="muted">· {m.note}</span>
                  </span>
                  <Switch
                    on={Boolean(s[m.key])}
                    label={`${m.label} ${s[m.key] ? "on" : "off"}`}
                    hideLabel
                    busy={busy === m.key}
                    disabled={!writable}
                    onChange={(on) => change(m.key, on, m.label)}
                  />
                </li>
              ))}
            </ul>
          </div>
        </>
      )}
      <Users />
    </Page>
  );
}
