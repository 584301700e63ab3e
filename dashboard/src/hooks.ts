// Hooks the screens share: watching a signal, loading a resource (with
// polling while the tab is visible), and running an action with its outcome
// shown as a toast.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { describe } from "./api.ts";
import type { Signal } from "./signal.ts";
import { notify } from "./toast.ts";

export function useValue<T>(source: Signal<T>): T {
  const [value, setValue] = useState(source.get());
  useEffect(() => {
    setValue(source.get());
    return source.subscribe(setValue);
  }, [source]);
  return value;
}

export interface Resource<T> {
  data: T | undefined;
  error: string | null;
  /** The error's HTTP status (0: unreachable), for screens that explain a 404. */
  status: number | null;
  loading: boolean;
  reload: () => Promise<void>;
  /** Replace the data with what an action answered, without a round trip. */
  set: (data: T) => void;
}

/**
 * Loads `load()` now and whenever `deps` change; with `pollMs`, again every
 * so often while the tab is visible. A failed poll keeps the data shown and
 * reports the error next to it.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const value = await loader.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(null);
      setStatus(null);
    } catch (e) {
      if (mine !== generation.current) return;
      setError(describe(e));
      setStatus(typeof (e as { status?: unknown }).status === "number" ? (e as { status: number }).status : null);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setLoading(true);
    void reload();
    if (!pollMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, pollMs);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { data, error, status, loading, reload, set: setData };
}

/**
 * Runs an action (a button's), shows "done" or the failure's reason as a
 * toast, and tells whether it is still running so the button can say so.
 */
export function useAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const run = useCallback(async <T,>(name: string, action: () => Promise<T>, done?: (value: T) => string | null) => {
    setBusy(name);
    try {
      const value = await action();
      const message = done ? done(value) : null;
      if (message) notify(message, "ok");
      return value;
    } catch (e) {
      notify(describe(e), "error");
      return undefined;
    } finally {
      setBusy(null);
    }
  }, []);
  return { busy, run };
}
