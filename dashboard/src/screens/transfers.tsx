// Transfers: every record moved, searchable by webshop or target number,
// filtered by status, connection and kind (order, payment…); a row folds
// out to its money facts (rate, rounding line, the payment's voucher) and
// the data as received and as sent, side by side; failed and skipped ones
// can be retried.

import { useEffect, useState } from "preact/hooks";
import { Button, Empty, Loading, Page, Problem, StatusBadge, Tabs, When } from "../components/ui.tsx";
import * as fmt from "../format.ts";
import { useAction, useResource } from "../hooks.ts";
import { byId } from "../lookup.ts";
import { href, navigate } from "../router.ts";
import { api, canWrite } from "../session.ts";
import { KindBadge, MoneyFacts } from "../components/transfer-facts.tsx";
import { transferFacts } from "../transfer-facts.ts";
import type { Connection, System, Transfer, TransferKind, TransferStatus } from "../types.ts";

const PAGE = 50;
const MAX = 500;

type StatusFilter = "" | TransferStatus;

const KINDS: [TransferKind, string][] = [
  ["order", "Orders"],
  ["payment", "Payments"],
  ["product", "Products"],
  ["stock", "Stock levels"],
  ["customer", "Customers"],
];

function Payloads({ id, onRetried, ledgerOf }: { id: string; onRetried: () => void; ledgerOf: (connection: string) => System | undefined }) {
  const detail = useResource(() => api.get<Transfer>(`/transfers/${encodeURIComponent(id)}`), [id]);
  const { busy, run } = useAction();
  const t = detail.data;
  if (detail.error) return <Problem compact message={detail.error} retry={detail.reload} />;
  if (!t) return <Loading what="the transfer's data" />;
  const retryable = t.status === "failed" || t.status === "skipped";
  const retry = () =>
    run("retry", () => api.post<Transfer>(`/transfers/${encodeURIComponent(id)}/retry`), (after) => {
      detail.set({ ...t, ...after });
      onRetried();
      return `${t.source_ref} is queued again.`;
    });
  return (
    <div class="foldout" data-testid="foldout">
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={t.status} /> {t.reason && <span class="reason-text">{t.reason}</span>}
          </dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{t.attempts}</dd>
        </div>
        <div>
          <dt>Received</dt>
          <dd>{fmt.dateTime(t.received_at)}</dd>
        </div>
        <div>
          <dt>Last change</dt>
          <dd>{fmt.dateTime(t.updated_at)}</dd>
        </div>
      </dl>
      <MoneyFacts facts={transferFacts(t, ledgerOf(t.connection))} />
      {retryable && canWrite() && (
        <Button kind="primary" busy={busy === "retry"} onClick={retry}>
          Retry {t.source_ref}
        </Button>
      )}
      <div class="payloads">
        <section>
          <h3>As received from the webshop</h3>
          <pre tabIndex={0} data-testid="payload-received">
            {fmt.json(t.source_payload, "Nothing was kept of what the webshop sent.")}
          </pre>
        </section>
        <section>
          <h3>As sent to the target</h3>
          <pre tabIndex={0} data-testid="payload-sent">
            {fmt.json(
              t.target_payload,
              t.status === "delivered" ? "Nothing was recorded of what was sent." : "Nothing has been sent yet: the document is made when the transfer is delivered.",
            )}
          </pre>
        </section>
      </div>
    </div>
  );
}

export function Transfers({ params }: { params: URLSearchParams }) {
  const status = (params.get("status") ?? "") as StatusFilter;
  const q = params.get("q") ?? "";
  const connection = params.get("connection") ?? "";
  const kind = params.get("kind") ?? "";
  const open = params.get("open");
  const [typed, setTyped] = useState(q);
  const [limit, setLimit] = useState(PAGE);

  const set = (changes: Record<string, string | null>, replace = false) => {
    const next = { status, q, connection, kind, open, ...changes };
    navigate("/transfers", next, replace);
  };

  // Search as one types, without a history entry per keystroke.
  useEffect(() => {
    if (typed.trim() === q) return;
    const timer = setTimeout(() => set({ q: typed.trim(), open: null }, true), 250);
    return () => clearTimeout(timer);
  }, [typed]);
  useEffect(() => setTyped(q), [q]);

  const list = useResource(
    () => api.upTo<Transfer>("/transfers", { status, q, connection }, limit),
    [status, q, connection, limit],
    4000,
  );
  // All of them: a row names its connection, and the filter offers every one.
  const connections = useResource(() => api.all<Connection>("/connections"), []);
  // The ledgers: a transfer's detail reads its connection's target (rounding product, vouchers or payments).
  const systems = useResource(() => api.all<System>("/systems"), []);
  const names = byId(connections.data);
  const systemsById = byId(systems.data);
  const ledgerOf = (id: string) => {
    const target = names.get(id)?.target;
    return target ? systemsById.get(target) : undefined;
  };
  const loaded = list.data?.items ?? [];
  // The list API takes no kind: the kind filter narrows the newest transfers loaded.
  const items = kind ? loaded.filter((t) => fmt.transferKind(t) === kind) : loaded;
  const filtered = Boolean(status || q || connection || kind);

  const toggle = (id: string) => set({ open: open === id ? null : id }, true);

  return (
    <Page title="Transfers" intro="Every order and payment Ferry received, and what became of it. Click a row to see the money booked and the data as received and as sent.">
      <div class="toolbar">
        <label class="search">
          <span class="visually-hidden">Search by webshop or target number</span>
          <input
            type="search"
            data-search
            placeholder="Search by webshop or target number (#1001, 10023)…"
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </label>
        <label>
          <span class="visually-hidden">Connection</span>
          <select value={connection} onChange={(e) => set({ connection: e.currentTarget.value, open: null })}>
            <option value="">All connections</option>
            {connections.data?.map((c) => (
              <option value={c.id}>{c.name}</option>
            ))}
          </select>
        </label>
        <label>
          <span class="visually-hidden">Kind</span>
          <select name="kind" value={kind} onChange={(e) => set({ kind: e.currentTarget.value, open: null })}>
            <option value="">All kinds</option>
            {KINDS.map(([k, label]) => (
              <option value={k}>{label}</option>
            ))}
          </select>
        </label>
      </div>
      <Tabs<StatusFilter>
        label="Status"
        value={status}
        onChange={(value) => set({ status: value, open: null })}
        options={[
          { value: "", label: "All" },
          { value: "pending", label: "Pending" },
          { value: "delivered", label: "Delivered" },
          { value: "failed", label: "Failed" },
          { value: "skipped", label: "Skipped" },
        ]}
      />
      {list.error && <Problem message={list.error} retry={list.reload} />}
      {!list.data && !list.error && <Loading what="transfers" />}
      {list.data && items.length === 0 && list.data.next !== null && (
        <Empty title="No transfer of these filters among the newest ones">
          {limit < MAX ? (
            <Button onClick={() => setLimit(Math.min(MAX, limit + PAGE * 2))}>Look further back</Button>
          ) : (
            "Search by number, or pick a time with fewer transfers, to look further."
          )}
        </Empty>
      )}
      {list.data && items.length === 0 && list.data.next === null && (
        filtered ? (
          <Empty
            title={q ? `No transfer matches “${q}”` : "No transfers match these filters"}
            action={
              <a class="btn" href={href("/transfers")}>
                Clear the search and filters
              </a>
            }
          >
            Search takes the webshop's order number (like #1001) or the number the accounting system gave it.
          </Empty>
        ) : (
          <Empty title="No transfers yet">
            Transfers appear the moment a webshop sends an order. If you expect some, check that the connection is on under{" "}
            <a href={href("/connections")}>Connections</a> and the integration is on under <a href={href("/settings")}>Settings</a>.
          </Empty>
        )
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="transfers">
            <thead>
              <tr>
                <th scope="col">Webshop no.</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Target no.</th>
                <th scope="col">Connection</th>
                <th scope="col">Reason</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => {
                const expanded = open === t.id;
                return (
                  <>
                    <tr class={`row status-row-${t.status}${expanded ? " expanded" : ""}`} onClick={() => toggle(t.id)} data-testid="transfer-row">
                      <td data-label="Webshop no.">
                        <button
                          type="button"
                          class="disclose"
                          aria-expanded={expanded}
                          aria-controls={`detail-${t.id}`}
                          onClick={(e) => (e.stopPropagation(), toggle(t.id))}
                        >
                          <span class="chevron" aria-hidden="true">▸</span>
                          {t.source_ref}
                        </button>
                      </td>
                      <td data-label="Kind">
                        <KindBadge transfer={t} />
                      </td>
                      <td data-label="Status">
                        <StatusBadge status={t.status} />
                      </td>
                      <td data-label="Target no.">{t.target_ref ?? <span class="muted">—</span>}</td>
                      <td data-label="Connection">{names.get(t.connection)?.name ?? <span class="muted">{t.connection}</span>}</td>
                      <td data-label="Reason" class="reason">
                        {t.reason ?? ""}
                      </td>
                      <td data-label="Received">
                        <When at={t.received_at} />
                      </td>
                    </tr>
                    {expanded && (
                      <tr class="detail" id={`detail-${t.id}`}>
                        <td colSpan={7}>
                          <Payloads id={t.id} onRetried={list.reload} ledgerOf={ledgerOf} />
                        </td>
                      </tr>
                    )}
                  </>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {open && !items.some((t) => t.id === open) && list.data && (
        <div class="card">
          <div class="card-head">
            <h2>Transfer {open}</h2>
            <button type="button" class="link" onClick={() => set({ open: null }, true)}>
              Close
            </button>
          </div>
          <Payloads id={open} onRetried={list.reload} ledgerOf={ledgerOf} />
        </div>
      )}
      {list.data?.next && items.length > 0 && (
        <p class="more">
          {limit < MAX ? (
            <Button onClick={() => setLimit(Math.min(MAX, limit + PAGE * 2))}>Show more</Button>
          ) : (
            <span class="muted">Showing the newest {MAX}. Search or filter to find older ones.</span>
          )}
        </p>
      )}
    </Page>
  );
}
