// Home: what Ferry handled today and this month, the history as a chart,
// and the newest transfers as they arrive.

import { useState } from "preact/hooks";
import { BarChart } from "../components/chart.tsx";
import { Empty, Loading, Page, Problem, StatusBadge, Tabs, When } from "../components/ui.tsx";
import * as fmt from "../format.ts";
import { useResource } from "../hooks.ts";
import { href } from "../router.ts";
import { api } from "../session.ts";
import type { List, Overview, System, Transfer, Usage } from "../types.ts";

const SERIES = [
  { key: "created", label: "Created", color: "var(--green)" },
  { key: "updated", label: "Updated", color: "var(--blue)" },
  { key: "errors", label: "Errors", color: "var(--red)" },
];

function Counter(props: { label: string; value: number; note?: string; tone?: string; testid: string }) {
  return (
    <div class={`counter${props.tone ? ` ${props.tone}` : ""}`} data-testid={props.testid}>
      <span class="counter-label">{props.label}</span>
      <span class="counter-value">{fmt.count(props.value)}</span>
      {props.note && <span class="counter-note">{props.note}</span>}
    </div>
  );
}

function bars(usage: Usage[]) {
  return usage.map((u) => ({ label: fmt.periodLabel(u.period), values: { created: u.created, updated: u.updated, errors: u.errors } }));
}

export function Home() {
  const [span, setSpan] = useState<"days" | "months">("days");
  const overview = useResource(() => api.get<Overview>("/overview"), [], 3000);
  const recent = useResource(() => api.get<List<Transfer>>("/transfers", { limit: 8 }), [], 3000);
  const systems = useResource(() => api.get<List<System>>("/systems", { limit: 1 }), []);

  const o = overview.data;
  const noSystems = systems.data && systems.data.items.length === 0;
  return (
    <Page title="Home" intro="What Ferry moved for you, updated every few seconds.">
      {noSystems && (
        <Empty title="Nothing is connected yet">
          Add your webshop and your accounting system under <a href={href("/systems")}>Systems</a>, then connect them under{" "}
          <a href={href("/connections")}>Connections</a>. Orders show up here as they arrive.
        </Empty>
      )}
      {overview.error && <Problem message={overview.error} retry={overview.reload} />}
      {!o && !overview.error && <Loading what="your numbers" />}
      {o && (
        <>
          <div class="counters">
            <Counter testid="orders-today" label="Orders today" value={o.today.orders} note={`${fmt.count(o.this_month.orders)} this month`} />
            <Counter testid="products-month" label="Products this month" value={o.this_month.products} />
            <Counter testid="stock-month" label="Stock updates this month" value={o.this_month.stock} />
            <Counter
              testid="errors-today"
              label="Errors today"
              value={o.today.errors}
              note={o.today.errors ? "see failed transfers" : "all clear"}
              tone={o.today.errors ? "bad" : "good"}
            />
          </div>
          <div class="card">
            <div class="card-head">
              <h2>Usage history</h2>
              <Tabs
                label="History span"
                value={span}
                onChange={setSpan}
                options={[
                  { value: "days", label: "31 days" },
                  { value: "months", label: "12 months" },
                ]}
              />
            </div>
            <BarChart
              title={span === "days" ? "Records per day" : "Records per month"}
              bars={bars(span === "days" ? o.days : o.months)}
              series={SERIES}
            />
          </div>
        </>
      )}
      <div class="card">
        <div class="card-head">
          <h2>Newest transfers</h2>
          <a href={href("/transfers")}>All transfers →</a>
        </div>
        {recent.error && <Problem compact message={recent.error} retry={recent.reload} />}
        {!recent.data && !recent.error && <Loading what="transfers" />}
        {recent.data && recent.data.items.length === 0 && (
          <Empty title="No orders have moved yet">
            They appear here the moment your webshop sends one. To fetch what is already there, use <em>Sync now</em> on{" "}
            <a href={href("/connections")}>Connections</a>.
          </Empty>
        )}
        {recent.data && recent.data.items.length > 0 && (
          <ul class="feed" data-testid="recent-transfers">
            {recent.data.items.map((t) => (
              <li>
                <a href={href("/transfers", { open: t.id })}>
                  <StatusBadge status={t.status} />
                  <span class="ref">{t.source_ref}</span>
                  <span class="arrow" aria-hidden="true">→</span>
                  <span class="ref">{t.target_ref ?? "—"}</span>
                  <span class="reason">{t.reason ?? ""}</span>
                  <When at={t.received_at} />
                </a>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Page>
  );
}
