// Logs: what Ferry's services did, filtered by service and level.

import { useState } from "preact/hooks";
import { Button, Empty, Loading, Page, Problem, When } from "../components/ui.tsx";
import { useResource } from "../hooks.ts";
import { href, navigate } from "../router.ts";
import { api } from "../session.ts";
import type { Level, LogEvent } from "../types.ts";

const SERVICES = ["webhook-intake", "scheduler", "transfer-worker", "dashboard-api", "reminders"];
const LEVELS: Level[] = ["debug", "info", "warn", "error"];

export function Logs({ params }: { params: URLSearchParams }) {
  const service = params.get("service") ?? "";
  const level = (params.get("level") ?? "") as Level | "";
  const [limit, setLimit] = useState(100);
  const set = (changes: Record<string, string>) => navigate("/logs", { service, level, ...changes }, true);
  const list = useResource(() => api.upTo<LogEvent>("/logs", { service, level }, limit), [service, level, limit], 5000);
  const items = list.data?.items ?? [];
  return (
    <Page title="Logs" intro="What Ferry's services did for you, newest first.">
      <div class="toolbar">
        <label>
          <span class="field-label">Service</span>
          <select value={service} onChange={(e) => set({ service: e.currentTarget.value })}>
            <option value="">All services</option>
            {SERVICES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          <span class="field-label">Level</span>
          <select value={level} onChange={(e) => set({ level: e.currentTarget.value })}>
            <option value="">Everything</option>
            {LEVELS.map((l) => (
              <option value={l}>{l} and above</option>
            ))}
          </select>
        </label>
      </div>
      {list.error && <Problem message={list.error} retry={list.reload} />}
      {!list.data && !list.error && <Loading what="logs" />}
      {list.data && items.length === 0 && list.data.next !== null && (
        <Empty title="Nothing at this service and level among the newest events">
          {limit < 500 ? <Button onClick={() => setLimit(Math.min(500, limit + 200))}>Look further back</Button> : "Pick another service or level to look further."}
        </Empty>
      )}
      {list.data && items.length === 0 && list.data.next === null && (
        <Empty title={service || level ? "Nothing logged at this service and level" : "Nothing logged yet"}>
          {service || level ? (
            <a href={href("/logs")}>Show every service and level</a>
          ) : (
            "Events appear here as Ferry receives orders, polls and delivers."
          )}
        </Empty>
      )}
      {items.length > 0 && (
        <ol class="log">
          {items.map((e) => (
            <li class={`log-${e.level}`}>
              <span class={`level level-${e.level}`}>{e.level}</span>
              <When at={e.at} />
              <span class="service">{e.service}</span>
              <span class="message">
                {e.message}
                {e.count > 1 && <strong class="count"> ×{e.count.toLocaleString()}</strong>}
              </span>
              {e.transfer && (
                <a class="log-link" href={href("/transfers", { open: e.transfer })}>
                  transfer
                </a>
              )}
            </li>
          ))}
        </ol>
      )}
      {list.data?.next && items.length > 0 && limit < 500 && (
        <p class="more">
          <Button onClick={() => setLimit(Math.min(500, limit + 200))}>Show older</Button>
        </p>
      )}
    </Page>
  );
}
