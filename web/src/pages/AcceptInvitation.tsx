import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { api, problemOf, request } from "../api/client";
import { Field, Loading, Notice, ProblemAlert } from "../components/ui";
import { tokenFromHash } from "../lib/links";
import { fieldErrors, type Problem } from "../lib/problem";
import { useSession } from "../session";

export default function AcceptInvitation() {
  const { state, refresh } = useSession();
  const [token] = useState(() => tokenFromHash(window.location.hash));
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [accepted, setAccepted] = useState<{ org: string } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = "Accept invitation · Portico";
    heading.current?.focus({ preventScroll: true });
    // Keep the token out of the history and of anything that reads the address later.
    if (window.location.hash) history.replaceState(null, "", window.location.pathname);
  }, []);

  async function acceptSignedIn() {
    if (!token) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const m = await request(api.POST("/v1/invitations/accept-signed-in", { body: { token } }));
      await refresh();
      setAccepted({ org: m.org_id });
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  async function acceptNew(e: FormEvent) {
    e.preventDefault();
    if (!token) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const m = await request(api.POST("/v1/invitations/accept", { body: { token, password, ...(displayName.trim() ? { display_name: displayName.trim() } : {}) } }));
      setAccepted({ org: m.org_id });
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  const errs = fieldErrors(problem).byPointer;
  const signedIn = state.status === "signed-in";

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <p className="brand brand-large" aria-hidden="true">
          Portico
        </p>
        <h1 ref={heading} tabIndex={-1}>
          Accept invitation
        </h1>
        {problem && <ProblemAlert problem={problem} compact />}
        {!token ? (
          <Notice tone="warning" title="This link is incomplete">
            <p>Open the link from the invitation mail exactly as it was sent, or ask for a new invitation.</p>
          </Notice>
        ) : accepted ? (
          <Notice tone="success" title="Invitation accepted">
            {signedIn ? (
              <p>
                <Link href={`/orgs/${accepted.org}`}>Go to the organization</Link>
              </p>
            ) : (
              <p>
                Your account is ready. <Link href={`/sign-in?next=${encodeURIComponent(`/orgs/${accepted.org}`)}`}>Sign in</Link> with the invited address and your new password.
              </p>
            )}
          </Notice>
        ) : state.status === "loading" ? (
          <Loading />
        ) : signedIn ? (
          <>
            <p>You are signed in. Accept the invitation to join its organization with this account.</p>
            <button type="button" className="btn btn-primary btn-block" disabled={busy} onClick={() => void acceptSignedIn()}>
              {busy ? "Accepting…" : "Accept invitation"}
            </button>
          </>
        ) : (
          <form onSubmit={acceptNew}>
            <p>Choose a password for your new account. Already have an account? <Link href="/sign-in?next=/accept-invitation">Sign in first</Link>, then open the link again.</p>
            <Field label="Your name" hint="Optional; shown to your colleagues." error={errs["/display_name"]}>
              {(ids) => <input {...ids} autoComplete="name" maxLength={200} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}
            </Field>
            <Field label="New password" hint="8 to 128 characters." error={errs["/password"]}>
              {(ids) => <input {...ids} type="password" autoComplete="new-password" minLength={8} maxLength={128} required value={password} onChange={(e) => setPassword(e.target.value)} />}
            </Field>
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? "Creating your account…" : "Create account and join"}
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
