// A connection's polling schedule: a crontab expression in UTC (Ferry's
// scheduler reads it with the Rust `croner`; here the JS `croner` previews
// the next runs as the merchant types).

import { Cron } from "croner";

export interface Preview {
  /** The next runs, soonest first; empty when the expression is not valid. */
  runs: Date[];
  /** Why the expression cannot be used, in words. */
  problem: string | null;
}

export function preview(expression: string, count = 5, from: Date = new Date()): Preview {
  const text = expression.trim();
  if (!text) return { runs: [], problem: null };
  if (text.split(/\s+/).length !== 5) {
    return {
      runs: [],
      problem: "Use five fields: minute, hour, day of month, month and weekday (e.g. */5 * * * * for every 5 minutes).",
    };
  }
  try {
    const cron = new Cron(text, { timezone: "UTC", paused: true });
    const runs = cron.nextRuns(count, from);
    cron.stop();
    if (runs.length === 0) return { runs, problem: "This expression never runs." };
    return { runs, problem: null };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { runs: [], problem: `This is not a valid schedule: ${detail}` };
  }
}

/** Common schedules, for the picker. */
export const PRESETS: { label: string; expression: string }[] = [
  { label: "Every minute", expression: "* * * * *" },
  { label: "Every 5 minutes", expression: "*/5 * * * *" },
  { label: "Every 15 minutes", expression: "*/15 * * * *" },
  { label: "Every hour", expression: "0 * * * *" },
  { label: "Every day at 06:00 UTC", expression: "0 6 * * *" },
];
