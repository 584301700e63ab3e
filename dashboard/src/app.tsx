// The shell: sign-in, navigation, the integration-off banner, toasts,
// keyboard shortcuts, and the screen the address names.

import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useValue } from "./hooks.ts";
import { refreshSettings, settings } from "./integration.ts";
import { href, navigate, route } from "./router.ts";
import { claims, codeFromHash, signIn, signInWithCode, signOut, signOutEverywhere, token, tokenFromHash } from "./session.ts";
import { dismiss, notify, toasts } from "./toast.ts";
import { Button, Dialog, Logo } from "./components/ui.tsx";
import { describe } from "./api.ts";
import { SignIn } from "./screens/signin.tsx";
import { Home } from "./screens/home.tsx";
import { Systems } from "./screens/systems.tsx";
import { Connections } from "./screens/connections.tsx";
import { Schedules } from "./screens/schedules.tsx";
import { Transfers } from "./screens/transfers.tsx";
import { BoardScreen } from "./screens/board.tsx";
import { Logs } from "./screens/logs.tsx";
import { SubscriptionScreen } from "./screens/subscription.tsx";
import { SettingsScreen } from "./screens/settings.tsx";
import { RemindersScreen } from "./screens/reminders.tsx";

interface Screen {
  path: string;
  label: string;
  key: string;
  component: FunctionComponent<{ params: URLSearchParams }>;
}

export const SCREENS: Screen[] = [
  { path: "/", label: "Home", key: "h", component: Home },
  { path: "/systems", label: "Systems", key: "y", component: Systems },
  { path: "/connections", label: "Connections", key: "c", component: Connections },
  { path: "/schedules", label: "Schedules", key: "j", component: Schedules },
  { path: "/transfers", label: "Transfers", key: "t", component: Transfers },
  { path: "/board", label: "Board", key: "b", component: BoardScreen },
  { path: "/logs", label: "Logs", key: "l", component: Logs },
  { path: "/subscription", label: "Subscription", key: "u", component: SubscriptionScreen },
  { path: "/settings", label: "Settings", key: "s", component: SettingsScreen },
  { path: "/reminders", label: "Reminders", key: "r", component: RemindersScreen },
];

/** `g` then a screen's key goes there; `/` jumps to the screen's search box. */
function useShortcuts() {
  useEffect(() => {
    let chord = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (typing || event.metaKey || event.ctrlKey || event.altKey) return;
      if (chord) {
        chord = false;
        const screen = SCREENS.find((s) => s.key === event.key);
        if (screen) {
          event.preventDefault();
          navigate(screen.path);
        }
        return;
      }
      if (event.key === "g") {
        chord = true;
        clearTimeout(timer);
        timer = setTimeout(() => (chord = false), 1200);
      } else if (event.key === "/") {
        const search = document.querySelector<HTMLInputElement>("[data-search]");
        if (search) {
          event.preventDefault();
          search.focus();
          search.select();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

function Toasts() {
  const list = useValue(toasts);
  return (
    <div class="toasts" aria-live="polite">
      {list.map((t) => (
        <div class={`toast ${t.kind}`} role={t.kind === "error" ? "alert" : "status"}>
          <span>{t.message}</span>
          <button type="button" class="icon" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

function IntegrationBanner({ path }: { path: string }) {
  const current = useValue(settings);
  if (!current || current.integration_active) return null;
  return (
    <div class="banner" role="alert">
      <strong>The integration is switched off:</strong> nothing moves, and new orders are skipped.{" "}
      {path !== "/settings" && <a href={href("/settings")}>Switch it on in Settings</a>}
    </div>
  );
}

export function App() {
  const current = useValue(route);
  const signedInToken = useValue(token);
  const [menuOpen, setMenuOpen] = useState(false);
  const [confirmEverywhere, setConfirmEverywhere] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const everywhere = async () => {
    setLeaving(true);
    try {
      await signOutEverywhere();
    } catch (error) {
      notify(describe(error), "error");
    } finally {
      setLeaving(false);
      setConfirmEverywhere(false);
    }
  };
  useShortcuts();

  // The sign-in links: `#token=...` signs in and lands on Home; an emailed
  // `#signin=<code>` is taken out of the address (and the history) at once,
  // then exchanged for a token, once.
  useEffect(() => {
    const fromLink = tokenFromHash(location.hash);
    if (fromLink) {
      signIn(fromLink);
      navigate("/", {}, true);
    }
    const code = codeFromHash(location.hash);
    if (code) {
      navigate("/", {}, true);
      void signInWithCode(code);
    }
  }, [current]);

  useEffect(() => {
    if (!signedInToken) return;
    void refreshSettings();
    const timer = setInterval(() => document.visibilityState === "visible" && void refreshSettings(), 15000);
    return () => clearInterval(timer);
  }, [signedInToken]);

  // A new screen: close the phone menu and move focus to its title.
  useEffect(() => {
    setMenuOpen(false);
    document.getElementById("page-title")?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [current.path]);

  if (!signedInToken || tokenFromHash(location.hash) || codeFromHash(location.hash)) {
    return (
      <>
        <SignIn />
        <Toasts />
      </>
    );
  }

  const screen = SCREENS.find((s) => s.path === current.path);
  const Component = screen?.component;
  const who = claims();
  return (
    <div class={`shell${menuOpen ? " menu-open" : ""}`}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("page-title")?.focus())}>
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href("/")}>
          <Logo /> Ferry
        </a>
        <button
          type="button"
          class="menu-button"
          aria-expanded={menuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          {menuOpen ? "Close" : "Menu"}
        </button>
      </header>
      <nav id="nav" class="nav" aria-label="Screens">
        <a class="brand wide-only" href={href("/")}>
          <Logo /> Ferry
        </a>
        <ul>
          {SCREENS.map((s) => (
            <li>
              <a href={href(s.path)} aria-current={s.path === current.path ? "page" : undefined} title={`g ${s.key}`}>
                {s.label}
              </a>
            </li>
          ))}
        </ul>
        <div class="nav-foot">
          {who && <p class="muted">Signed in as {who.role}</p>}
          <p class="muted keys">
            <kbd>g</kbd> + letter to move, <kbd>/</kbd> to search
          </p>
          <button type="button" class="link" onClick={() => signOut()}>
            Sign out
          </button>
          <button type="button" class="link" onClick={() => setConfirmEverywhere(true)}>
            Sign out everywhere
          </button>
        </div>
      </nav>
      <main id="main">
        <IntegrationBanner path={current.path} />
        {Component ? (
          <Component key={current.path} params={current.params} />
        ) : (
          <section class="page">
            <h1 id="page-title" tabIndex={-1}>
              Nothing here
            </h1>
            <p>
              The address <code>{current.path}</code> is not a screen of the dashboard. <a href={href("/")}>Go to Home</a>.
            </p>
          </section>
        )}
      </main>
      <Dialog title="Sign out everywhere?" open={confirmEverywhere} onClose={() => setConfirmEverywhere(false)}>
        <p>
          Every device signed in as you is signed out at once, this one too. Ferry emails you a new sign-in link to come
          back.
        </p>
        <div class="form-actions">
          <Button onClick={() => setConfirmEverywhere(false)}>Stay signed in</Button>
          <Button kind="danger" busy={leaving} onClick={everywhere}>
            Sign out everywhere
          </Button>
        </div>
      </Dialog>
      <Toasts />
    </div>
  );
}
