// Signing in: the link ferry-local prints (or an invitation's) carries the
// token; pasting the token works too.

import { useState } from "preact/hooks";
import { Field, Logo } from "../components/ui.tsx";
import { useValue } from "../hooks.ts";
import { readClaims, signIn, signedOutReason } from "../session.ts";

export function SignIn() {
  const reason = useValue(signedOutReason);
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    const text = value.trim().replace(/^.*#token=/, "");
    if (!text) return setProblem("Paste the token or the whole sign-in link.");
    if (!readClaims(text)) return setProblem("This is not a Ferry sign-in token: copy the whole link ferry-local printed.");
    signIn(text);
  };
  return (
    <main class="signin">
      <form class="card" onSubmit={submit}>
        <h1 id="page-title" tabIndex={-1}>
          <Logo /> Sign in to Ferry
        </h1>
        {reason && (
          <p class="problem" role="alert">
            {reason}
          </p>
        )}
        <p>
          Open the link <code>ferry-local</code> printed when it started (<code>Dashboard: http://…/#token=…</code>), or the
          link in your invitation email. Or paste it here:
        </p>
        <Field label="Sign-in link or token" error={problem}>
          <input
            value={value}
            autoFocus
            autoComplete="off"
            spellcheck={false}
            onInput={(e) => setValue(e.currentTarget.value)}
            placeholder="http://127.0.0.1:8080/#token=eyJ…"
          />
        </Field>
        <button class="btn primary" type="submit">
          Sign in
        </button>
      </form>
    </main>
  );
}
