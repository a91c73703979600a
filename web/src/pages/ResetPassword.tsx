import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { api, csrf, problemOf, request } from "../api/client";
import { Field, Notice, ProblemAlert } from "../components/ui";
import { resetCodeFromHash } from "../lib/links";
import { fieldErrors, type Problem } from "../lib/problem";

/** /reset-password with a code sets a new password; without one (and /forgot-password) it asks for a link. */
export default function ResetPassword() {
  const [code] = useState(() => resetCodeFromHash(window.location.hash));
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${code ? "Choose a new password" : "Reset your password"} · Portico`;
    heading.current?.focus({ preventScroll: true });
    if (window.location.hash) history.replaceState(null, "", window.location.pathname);
  }, [code]);
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <p className="brand brand-large" aria-hidden="true">
          Portico
        </p>
        <h1 ref={heading} tabIndex={-1}>
          {code ? "Choose a new password" : "Reset your password"}
        </h1>
        {code ? <SetPassword code={code} /> : <RequestLink />}
      </div>
    </main>
  );
}

function RequestLink() {
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      await request(api.POST("/v1/password/reset-request", { params: { header: csrf }, body: { email } }));
      setSent(true);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  if (sent) {
    return (
      <Notice tone="success" title="Check your mail">
        <p>If an account uses {email}, a link to reset its password is on its way. It works for 30 minutes.</p>
        <p>
          <Link href="/sign-in">Back to sign-in</Link>
        </p>
      </Notice>
    );
  }
  return (
    <form onSubmit={submit}>
      {problem && <ProblemAlert problem={problem} compact />}
      <p>Enter your e-mail address and we will mail you a link to choose a new password.</p>
      <Field label="E-mail address" error={fieldErrors(problem).byPointer["/email"]}>
        {(ids) => <input {...ids} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
        {busy ? "Sending…" : "Send reset link"}
      </button>
      <p className="small">
        <Link href="/sign-in">Back to sign-in</Link>
      </p>
    </form>
  );
}

function SetPassword({ code }: { code: string }) {
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const mismatch = confirm.length > 0 && confirm !== password ? "The passwords differ." : undefined;
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password !== confirm) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await request(api.POST("/v1/password/reset", { params: { header: csrf }, body: { reset_code: code, new_password: password } }));
      setDone(true);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  if (done) {
    return (
      <Notice tone="success" title="Your password is changed">
        <p>Every session of your account was signed out.</p>
        <p>
          <Link href="/sign-in">Sign in</Link>
        </p>
      </Notice>
    );
  }
  return (
    <form onSubmit={submit}>
      {problem && <ProblemAlert problem={problem} compact />}
      <Field label="New password" hint="8 to 128 characters." error={fieldErrors(problem).byPointer["/new_password"]}>
        {(ids) => <input {...ids} type="password" autoComplete="new-password" minLength={8} maxLength={128} required value={password} onChange={(e) => setPassword(e.target.value)} />}
      </Field>
      <Field label="Repeat the new password" error={mismatch}>
        {(ids) => <input {...ids} type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />}
      </Field>
      <button type="submit" className="btn btn-primary btn-block" disabled={busy || !!mismatch}>
        {busy ? "Saving…" : "Set new password"}
      </button>
    </form>
  );
}
