// Board: the newest 20 transfers of each status, side by side.

import { KindBadge } from "../components/transfer-facts.tsx";
import { Empty, Loading, Page, Problem, When } from "../components/ui.tsx";
import * as fmt from "../format.ts";
import { useResource } from "../hooks.ts";
import { href } from "../router.ts";
import { api } from "../session.ts";
import type { Board, TransferStatus } from "../types.ts";

const COLUMNS: TransferStatus[] = ["pending", "delivered", "failed", "skipped"];

export function BoardScreen() {
  const board = useResource(() => api.get<Board>("/board"), [], 4000);
  const b = board.data;
  return (
    <Page title="Board" intro="The newest 20 transfers of each status, at a glance.">
      {board.error && <Problem message={board.error} retry={board.reload} />}
      {!b && !board.error && <Loading what="the board" />}
      {b && COLUMNS.every((s) => b[s].length === 0) && (
        <Empty title="The board is empty">
          Nothing has moved yet. Orders show up here as soon as a connection receives them; see <a href={href("/connections")}>Connections</a>.
        </Empty>
      )}
      {b && COLUMNS.some((s) => b[s].length > 0) && (
        <div class="board">
          {COLUMNS.map((status) => (
            <section class={`lane lane-${status}`} aria-label={fmt.status(status)}>
              <h2>
                <a href={href("/transfers", { status })}>{fmt.status(status)}</a> <span class="tab-count">{b[status].length}</span>
              </h2>
              {b[status].length === 0 && <p class="muted lane-empty">None</p>}
              <ul>
                {b[status].map((t) => (
                  <li>
                    <a href={href("/transfers", { open: t.id })} class="tile">
                      <span class="tile-head">
                        <span>
                          <strong>{t.source_ref}</strong> <KindBadge transfer={t} />
                        </span>
                        {t.target_ref && <span class="muted">→ {t.target_ref}</span>}
                      </span>
                      {t.reason && <span class="tile-reason">{t.reason}</span>}
                      <When at={t.updated_at} />
                    </a>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
    </Page>
  );
}
