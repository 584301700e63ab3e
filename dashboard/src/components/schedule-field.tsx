// The schedule of a connection: a crontab expression (UTC) or none
// (webhooks only), with the next runs previewed as one types.

import { Field } from "./ui.tsx";
import * as fmt from "../format.ts";
import { PRESETS, preview } from "../schedule.ts";

export function ScheduleField(props: { value: string; onChange: (v: string) => void; error?: string | null }) {
  const result = preview(props.value);
  return (
    <div class="schedule-field">
      <Field
        label="Polling schedule (crontab, UTC)"
        hint="Leave empty to rely on the webshop's webhooks alone."
        error={props.error ?? result.problem}
      >
        <input
          value={props.value}
          placeholder="*/5 * * * *"
          spellcheck={false}
          class="mono"
          onInput={(e) => props.onChange(e.currentTarget.value)}
        />
      </Field>
      <div class="presets" role="group" aria-label="Common schedules">
        {PRESETS.map((p) => (
          <button type="button" class={`chip${p.expression === props.value.trim() ? " chosen" : ""}`} onClick={() => props.onChange(p.expression)}>
            {p.label}
          </button>
        ))}
        <button type="button" class={`chip${props.value.trim() === "" ? " chosen" : ""}`} onClick={() => props.onChange("")}>
          Webhooks only
        </button>
      </div>
      {result.runs.length > 0 && (
        <div class="preview" aria-live="polite" data-testid="schedule-preview">
          <span class="muted">Next runs:</span>
          <ol>
            {result.runs.map((run) => (
              <li>
                <time dateTime={run.toISOString()}>{fmt.dateTime(run.toISOString())}</time>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
