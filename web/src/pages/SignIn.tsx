import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { api, csrf, problemOf, request } from "../api/client";
import { Field, Notice, ProblemAlert } from "../components/ui";
import { fieldErrors, type Problem } from "../lib/problem";
import { useSession } from "../session";

type Step = { kind: "password" } | { kind: "second-factor"; challenge: string; expiresAt?: string };

/** Sign-in: e-mail and password, then a TOTP or recovery code when the API asks for one. */
export function SignIn({ expired = false }: { expired?: boolean }) {
  const { refresh } = useSession();
  const [step, setStep] = useState<Step>({ kind: "password" });
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [useRecovery, setUseRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = "Sign in · Portico";
    headingRef.current?.focus({ preventScroll: true });
  }, []);
  useEffect(() => {
    if (step.kind === "second-factor") codeRef.current?.focus();
  }, [step.kind, useRecovery]);

  async function submitPassword(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const res = await request(api.POST("/v1/login", { params: { header: csrf }, body: { email, password } }));
      if (res.second_factor_required && res.challenge) {
        setStep({ kind: "second-factor", challenge: res.challenge, ...(res.challenge_expires_at ? { expiresAt: res.challenge_expires_at } : {}) });
        setPassword("");
      } else {
        await refresh();
      }
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  async function submitCode(e: FormEvent) {
    e.preventDefault();
    if (step.kind !== "second-factor") return;
    setBusy(true);
    setProblem(undefined);
    const trimmed = code.replace(/\s+/g, "");
    try {
      await request(
        api.POST("/v1/login/second-factor", {
          params: { header: csrf },
          body: useRecovery ? { challenge: step.challenge, recovery_code: trimmed } : { challenge: step.challenge, code: trimmed },
        }),
      );
      await refresh();
    } catch (err) {
      const p = problemOf(err);
      setProblem(p);
      setCode("");
      // A burnt or expired challenge: start again from the password.
      if (p.status === 401 && /challenge/i.test(`${p.title} ${p.detail ?? ""}`) && /expired|unknown|too many/i.test(`${p.title} ${p.detail ?? ""}`)) {
        setStep({ kind: "password" });
      }
    } finally {
      setBusy(false);
    }
  }

  const errors = fieldErrors(problem).byPointer;

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <p className="brand brand-large" aria-hidden="true">
          Portico
        </p>
        <h1 ref={headingRef} tabIndex={-1}>
          {step.kind === "password" ? "Sign in" : "Two-step verification"}
        </h1>
        {expired && step.kind === "password" && !problem && (
          <Notice tone="info" title="Your session has ended">
            <p>Sign in again to continue.</p>
          </Notice>
        )}
        {problem && <ProblemAlert problem={problem} compact />}
        {step.kind === "password" ? (
          <form onSubmit={submitPassword} noValidate={false}>
            <Field label="E-mail address" error={errors["/email"]}>
              {(ids) => (
                <input {...ids} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
              )}
            </Field>
            <Field label="Password" error={errors["/password"]}>
              {(ids) => (
                <input {...ids} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
              )}
            </Field>
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? "Signing in…" : "Sign in"}
            </button>
            <p className="small">
              <Link href="/forgot-password">Forgot your password?</Link>
            </p>
          </form>
        ) : (
          <form onSubmit={submitCode}>
            <p>
              {useRecovery
                ? "Enter one of the recovery codes you saved when you set up two-step verification. Each code works once."
                : "Enter the 6-digit code from your authenticator app."}
            </p>
            <Field label={useRecovery ? "Recovery code" : "Authentication code"}>
              {(ids) => (
                <input
                  {...ids}
                  ref={codeRef}
                  name="code"
                  autoComplete="one-time-code"
                  {...(useRecovery ? {} : { inputMode: "numeric" as const, pattern: "[0-9 ]{6,7}", maxLength: 7 })}
                  required
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
              )}
            </Field>
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? "Verifying…" : "Verify"}
            </button>
            <div className="row-between small">
              <button type="button" className="link-button" onClick={() => { setUseRecovery(!useRecovery); setCode(""); setProblem(undefined); }}>
                {useRecovery ? "Use an authenticator code" : "Use a recovery code"}
              </button>
              <button type="button" className="link-button" onClick={() => { setStep({ kind: "password" }); setCode(""); setProblem(undefined); }}>
                Start over
              </button>
            </div>
          </form>
        )}
      </div>
    </main>
  );
}
