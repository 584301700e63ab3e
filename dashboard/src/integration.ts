// The tenant's switches, watched by the shell: when the whole integration
// is off, every screen says so (it is the first thing to check when nothing
// moves).

import { api } from "./session.ts";
import { signal } from "./signal.ts";
import type { Settings } from "./types.ts";

export const settings = signal<Settings | null>(null);

export async function refreshSettings(): Promise<void> {
  try {
    settings.set(await api.get<Settings>("/settings"));
  } catch {
    // The screens show their own errors; the banner just stays as it was.
  }
}
