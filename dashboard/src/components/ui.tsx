// Small building blocks every screen uses.

import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import * as fmt from "../format.ts";
import type { Health, TransferStatus } from "../types.ts";

export function Page(props: { title: string; intro?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <div>
          <h1 id="page-title" tabIndex={-1}>
            {props.title}
          </h1>
          {props.intro && <p class="intro">{props.intro}</p>}
        </div>
        {props.actions && <div class="actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

export function StatusBadge({ status }: { status: TransferStatus | string }) {
  return <span class={`badge status-${status}`}>{fmt.status(status)}</span>;
}

export function HealthBadge({ health }: { health: Health }) {
  const label = { healthy: "Healthy", unhealthy: "Unhealthy", unknown: "Not checked" }[health.status] ?? health.status;
  const title = [health.reason, health.checked_at ? `checked ${fmt.relative(health.checked_at)}` : "never checked"]
    .filter(Boolean)
    .join(" · ");
  return (
    <span class={`badge health-${health.status}`} title={title}>
      {label}
    </span>
  );
}

export function Switch(props: {
  on: boolean;
  label: string;
  onChange: (on: boolean) => void;
  disabled?: boolean;
  busy?: boolean;
  hideLabel?: boolean;
}) {
  return (
    <button
      type="button"
      role="switch"
      class={`switch${props.on ? " on" : ""}`}
      aria-checked={props.on}
      aria-label={props.hideLabel ? props.label : undefined}
      disabled={props.disabled || props.busy}
      aria-busy={props.busy}
      onClick={() => props.onChange(!props.on)}
    >
      <span class="track" aria-hidden="true">
        <span class="thumb" />
      </span>
      {!props.hideLabel && <span class="switch-label">{props.label}</span>}
    </button>
  );
}

/** An empty list: what it means and what to do next. */
export function Empty(props: { title: string; children?: ComponentChildren; action?: ComponentChildren }) {
  return (
    <div class="empty" role="status">
      <p class="empty-title">{props.title}</p>
      {props.children && <p>{props.children}</p>}
      {props.action}
    </div>
  );
}

/** A failure, with its reason in words and a way to try again. */
export function Problem(props: { message: string; retry?: () => void; compact?: boolean }) {
  return (
    <div class={`problem${props.compact ? " compact" : ""}`} role="alert">
      <span>{props.message}</span>
      {props.retry && (
        <button type="button" class="link" onClick={props.retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function Button(
  props: JSX.ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean; kind?: "primary" | "danger" | "plain" },
) {
  const { busy, kind = "plain", children, class: className, disabled, ...rest } = props;
  return (
    <button
      type="button"
      {...rest}
      class={`btn ${kind}${className ? ` ${className}` : ""}`}
      disabled={Boolean(disabled) || busy}
      aria-busy={busy}
    >
      {busy && <span class="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}

/** A modal dialog (the browser's own: focus stays inside, Escape closes it). */
export function Dialog(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class={props.wide ? "wide" : undefined} onClose={props.onClose} aria-labelledby="dialog-title">
      {props.open && (
        <div class="dialog-body">
          <header>
            <h2 id="dialog-title">{props.title}</h2>
            <button type="button" class="icon" aria-label="Close" onClick={props.onClose}>
              ×
            </button>
          </header>
          {props.children}
        </div>
      )}
    </dialog>
  );
}

export function Field(props: { label: string; hint?: ComponentChildren; error?: string | null; children: ComponentChildren }) {
  return (
    <label class={`field${props.error ? " invalid" : ""}`}>
      <span class="field-label">{props.label}</span>
      {props.children}
      {props.hint && !props.error && <span class="field-hint">{props.hint}</span>}
      {props.error && <span class="field-error">{props.error}</span>}
    </label>
  );
}

/** Tabs as a row of links or buttons; the chosen one is marked for screen readers. */
export function Tabs<T extends string>(props: { label: string; value: T; options: { value: T; label: string; count?: number }[]; onChange: (v: T) => void }) {
  return (
    <div class="tabs" role="tablist" aria-label={props.label}>
      {props.options.map((o) => (
        <button
          type="button"
          role="tab"
          aria-selected={o.value === props.value}
          class={`tab${o.value === props.value ? " chosen" : ""} tab-${o.value || "all"}`}
          onClick={() => props.onChange(o.value)}
        >
          {o.label}
          {o.count !== undefined && <span class="tab-count">{o.count}</span>}
        </button>
      ))}
    </div>
  );
}

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">never</span>;
  return (
    <time dateTime={at} title={fmt.dateTime(at)}>
      {fmt.relative(at)}
    </time>
  );
}

/** Ferry's mark: a ferry on a wave, drawn, so no emoji font is needed. */
export function Logo() {
  return (
    <svg class="logo" aria-hidden="true" viewBox="0 0 24 24">
      <path d="M4 14h16l-2.5 4h-11z M8 14V9h8v5 M11 9V6h2v3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
      <path d="M2 21c2 0 2-1 4-1s2 1 4 1 2-1 4-1 2 1 4 1 2-1 4-1" fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}
