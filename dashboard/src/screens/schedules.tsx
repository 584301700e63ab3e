// Schedules: every connection's polling job; webhook-only ones say so.

import { Empty, Loading, Page, Problem, When } from "../components/ui.tsx";
import { useResource } from "../hooks.ts";
import { href } from "../router.ts";
import { api } from "../session.ts";
import type { List, ScheduleRow } from "../types.ts";

export function Schedules() {
  const list = useResource(() => api.get<List<ScheduleRow>>("/schedules", { limit: 500 }), [], 10000);
  const items = list.data?.items ?? [];
  return (
    <Page title="Schedules" intro="When Ferry polls each webshop for changes. Connections driven by webhooks have no job: orders arrive the moment they are placed.">
      {list.error && <Problem message={list.error} retry={list.reload} />}
      {!list.data && !list.error && <Loading what="schedules" />}
      {list.data && items.length === 0 && (
        <Empty title="No connections, so no schedules">
          Create a connection under <a href={href("/connections")}>Connections</a>; give it a schedule to poll, or leave it to webhooks.
        </Empty>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Connection</th>
                <th scope="col">Schedule</th>
                <th scope="col">Last run</th>
                <th scope="col">Next run</th>
                <th scope="col">Last outcome</th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr class={s.active ? "" : "inactive"}>
                  <td data-label="Connection">
                    <a href={href("/connections", { q: s.name })}>{s.name}</a>
                    {!s.active && <span class="badge status-skipped">Off</span>}
                  </td>
                  {s.job ? (
                    <>
                      <td data-label="Schedule">
                        {s.job.description} <code class="muted">{s.job.expression}</code>
                      </td>
                      <td data-label="Last run">
                        <When at={s.job.last_run_at} />
                      </td>
                      <td data-label="Next run">{s.active ? <When at={s.job.next_run_at} /> : <span class="muted">paused</span>}</td>
                      <td data-label="Last outcome">
                        {!s.job.last_outcome ? (
                          <span class="muted">not run yet</span>
                        ) : s.job.last_outcome.error ? (
                          <span class="bad-text">{s.job.last_outcome.error}</span>
                        ) : (
                          `${s.job.last_outcome.records_found} records found`
                        )}
                      </td>
                    </>
                  ) : (
                    <td colSpan={4} data-label="Schedule" class="muted">
                      Webhook-driven: no polling job
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
