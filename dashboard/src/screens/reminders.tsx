// Reminders: who is emailed when usage nears the quota, transfers fail,
// or credentials stop working; and what was sent lately.

import { useEffect, useState } from "preact/hooks";
import { ApiError, describe } from "../api.ts";
import { Button, Empty, Loading, Page, Problem, When } from "../components/ui.tsx";
import { useResource } from "../hooks.ts";
import { api, canWrite } from "../session.ts";
import { notify } from "../toast.ts";
import type { Recipient, ReminderKind, Reminders } from "../types.ts";

const KIND_LABELS: Record<string, string> = {
  usage: "Usage at 80 % and 100 % of the quota",
  failed_transfers: "Transfers failing",
  unhealthy_credentials: "Credentials not working",
  all_clear: "All clear again",
};

function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.replace(/_/g, " ");
}

export function RemindersScreen() {
  const data = useResource(() => api.get<Reminders>("/reminders"), []);
  const [draft, setDraft] = useState<Recipient[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const writable = canWrite();
  useEffect(() => {
    if (data.data) setDraft(data.data.recipients.map((r) => ({ ...r, kinds: [...r.kinds] })));
  }, [data.data]);

  if (data.status === 404) {
    return (
      <Page title="Reminders">
        <Empty title="Reminders are not available on this server yet">
          This Ferry answers 404 for its reminder settings: it is older than the dashboard. Update ferry-local (or the dashboard-api function),
          and reminder recipients can be chosen here.
        </Empty>
      </Page>
    );
  }
  const r = data.data;
  const kinds: ReminderKind[] = r?.kinds ?? ["usage", "failed_transfers", "unhealthy_credentials", "all_clear"];
  const dirty = r && draft && JSON.stringify(draft) !== JSON.stringify(r.recipients);
  const update = (i: number, change: Partial<Recipient>) => draft && setDraft(draft.map((x, j) => (j === i ? { ...x, ...change } : x)));
  const toggle = (i: number, kind: ReminderKind) => {
    const kindsNow = draft![i]!.kinds;
    update(i, { kinds: kindsNow.includes(kind) ? kindsNow.filter((k) => k !== kind) : [...kindsNow, kind] });
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!draft) return;
    setSaving(true);
    setError(null);
    try {
      const saved = await api.put<Reminders>("/reminders", { recipients: draft.map((d) => ({ email: d.email.trim(), kinds: d.kinds })) });
      data.set(saved);
      notify("Reminder recipients saved.", "ok");
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, "error", describe(caught)));
    } finally {
      setSaving(false);
    }
  };
  const fieldIndex = error?.field ? /recipients\[(\d+)\]/.exec(error.field)?.[1] : undefined;
  return (
    <Page title="Reminders" intro="Ferry emails these people when something needs a look — once per kind and period, never a storm.">
      {data.error && <Problem message={data.error} retry={data.reload} />}
      {!r && !data.error && <Loading what="reminders" />}
      {r && draft && (
        <form class="card" onSubmit={save}>
          <h2>Recipients</h2>
          {r.default && (
            <p class="notice">No one is chosen yet, so every admin of this account gets every reminder. Change the list below to choose who gets what.</p>
          )}
          {draft.length === 0 && <p class="muted">No recipients.</p>}
          <ul class="recipients">
            {draft.map((rec, i) => (
              <li class={fieldIndex === String(i) ? "invalid" : ""}>
                <label class="field">
                  <span class="visually-hidden">Email {i + 1}</span>
                  <input type="email" required value={rec.email} disabled={!writable} placeholder="name@shop.example" onInput={(e) => update(i, { email: e.currentTarget.value })} />
                </label>
                <div class="chips" role="group" aria-label={`What ${rec.email || "this recipient"} gets`}>
                  {kinds.map((k) => (
                    <label class={`chip${rec.kinds.includes(k) ? " chosen" : ""}`}>
                      <input type="checkbox" checked={rec.kinds.includes(k)} disabled={!writable} onChange={() => toggle(i, k)} />
                      {kindLabel(k)}
                    </label>
                  ))}
                </div>
                {writable && (
                  <Button kind="plain" onClick={() => setDraft(draft.filter((_, j) => j !== i))} aria-label={`Remove ${rec.email || "recipient"}`}>
                    Remove
                  </Button>
                )}
              </li>
            ))}
          </ul>
          {error && <Problem compact message={error.message} />}
          {writable && (
            <div class="form-actions">
              <Button onClick={() => setDraft([...draft, { email: "", kinds: [...kinds] }])}>Add recipient</Button>
              <Button kind="primary" type="submit" busy={saving} disabled={!dirty}>
                Save
              </Button>
            </div>
          )}
        </form>
      )}
      {r && (
        <div class="card">
          <h2>Recently sent</h2>
          {r.recent.length === 0 ? (
            <p class="muted">No reminders sent yet: all quiet.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Subject</th>
                    <th scope="col">To</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {r.recent.map((m) => (
                    <tr>
                      <td data-label="When">
                        <When at={m.at} />
                      </td>
                      <td data-label="Kind">{kindLabel(m.kind)}</td>
                      <td data-label="Subject">{m.subject}</td>
                      <td data-label="To">{m.recipients.join(", ")}</td>
                      <td data-label="Status">
                        {m.status}
                        {m.error && <span class="muted"> — {m.error}; tried again within the hour</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </Page>
  );
}
