// Short messages after an action: what happened, or why it did not.

import { signal } from "./signal.ts";

export interface Toast {
  id: number;
  message: string;
  kind: "ok" | "error";
}

export const toasts = signal<Toast[]>([]);
let next = 1;

export function notify(message: string, kind: Toast["kind"] = "ok") {
  const toast = { id: next++, message, kind };
  toasts.set([...toasts.get(), toast].slice(-4));
  // Errors stay longer: they carry a reason to read.
  setTimeout(() => dismiss(toast.id), kind === "error" ? 12000 : 4000);
}

export function dismiss(id: number) {
  toasts.set(toasts.get().filter((t) => t.id !== id));
}
