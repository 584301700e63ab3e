// Signing in: the link in an invitation (or sign-out) email carries a
// one-time code, exchanged here for a token; the link ferry-local prints
// carries the token itself. Pasting either link works too.

import { useState } from "preact/hooks";
import { Field, Logo } from "../components/ui.tsx";
import { useValue } from "../hooks.ts";
import { codeFromHash, readClaims, signIn, signInWithCode, signedOutReason, signingIn } from "../session.ts";

export function SignIn() {
  const reason = useValue(signedOutReason);
  const busy = useValue(signingIn);
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    setProblem(null);
    const pasted = value.trim();
    const code = codeFromHash(pasted.replace(/^[^#]*#/, "#"));
    if (code) return void signInWithCode(code);
    const text = pasted.replace(/^.*#token=/, "");
    if (!text) return setProblem("Paste the whole sign-in link.");
    if (!readClaims(text)) return setProblem("This is not a Ferry sign-in link: copy the whole link from your email, or the one ferry-local printed.");
    signIn(text);
  };
  return (
    <main class="signin">
      <form class="card" onSubmit={submit}>
        <h1 id="page-title" tabIndex={-1}>
          <Logo /> Sign in to Ferry
        </h1>
        {busy && (
          <p class="muted" role="status">
            Signing you in…
          </p>
        )}
        {reason && !busy && (
          <p class="problem" role="alert">
            {reason}
          </p>
        )}
        <p>
          Open the sign-in link in your invitation email (it works once), or the link <code>ferry-local</code> printed
          when it started (<code>Dashboard: http://…/#token=…</code>). Or paste it here:
        </p>
        <Field label="Sign-in link" error={problem}>
          <input
            value={value}
            autoFocus
            autoComplete="off"
            spellcheck={false}
            onInput={(e) => setValue(e.currentTarget.value)}
            placeholder="https://…/#signin=eyJ…"
          />
        </Field>
        <button class="btn primary" type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
