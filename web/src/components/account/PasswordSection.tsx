import { type FormEvent, useEffect, useRef, useState } from "react";
import { api, csrf, problemOf, request, sessionEnded } from "../../api/client";
import { MAX_PASSWORD, MIN_PASSWORD, type PasswordField, type PasswordForm, passwordChangeErrors, validatePasswordChange } from "../../lib/password";
import type { Problem } from "../../lib/problem";
import { useSession } from "../../session";
import { Field, Notice, ProblemAlert } from "../ui";

const EMPTY: PasswordForm = { current: "", next: "", confirm: "" };

/** Changing the password; the API then signs out every other session. */
export function PasswordSection({ email, onOtherSessionsEnded }: { email: string; onOtherSessionsEnded: () => void }) {
  const { refresh } = useSession();
  const [form, setForm] = useState<PasswordForm>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<PasswordField, string>>>({});
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const [changed, setChanged] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const doneRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (Object.keys(errors).length > 0) formRef.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [errors]);
  useEffect(() => {
    if (changed) doneRef.current?.focus();
  }, [changed]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    setChanged(false);
    const errs = validatePasswordChange(form);
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      await request(api.POST("/v1/password/change", { params: { header: csrf }, body: { current_password: form.current, new_password: form.next } }));
      setForm(EMPTY);
      setChanged(true);
      onOtherSessionsEnded();
    } catch (err) {
      if (sessionEnded(err)) {
        void refresh();
        return;
      }
      const { fields, other } = passwordChangeErrors(problemOf(err));
      setErrors(fields);
      setProblem(other);
    } finally {
      setBusy(false);
    }
  }

  function set(key: PasswordField, value: string) {
    setForm((f) => ({ ...f, [key]: value }));
    setChanged(false);
  }

  return (
    <section className="panel" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <p className="muted">Changing your password signs out all your other sessions; this one stays signed in.</p>
      {changed && (
        <div ref={doneRef} tabIndex={-1}>
          <Notice tone="success" title="Password changed">
            <p>Your other sessions were signed out. Use the new password the next time you sign in.</p>
          </Notice>
        </div>
      )}
      {problem && <ProblemAlert problem={problem} compact />}
      <form ref={formRef} onSubmit={submit} noValidate aria-labelledby="password-heading">
        {/* For password managers: the account the new password belongs to. */}
        <input type="email" className="visually-hidden" autoComplete="username" value={email} readOnly tabIndex={-1} aria-hidden="true" />
        <Field label="Current password" error={errors.current}>
          {(ids) => (
            <input {...ids} type="password" autoComplete="current-password" required value={form.current} onChange={(e) => set("current", e.target.value)} />
          )}
        </Field>
        <Field label="New password" hint={`${MIN_PASSWORD} to ${MAX_PASSWORD} characters.`} error={errors.next}>
          {(ids) => (
            <input
              {...ids}
              type="password"
              autoComplete="new-password"
              required
              minLength={MIN_PASSWORD}
              maxLength={MAX_PASSWORD}
              value={form.next}
              onChange={(e) => set("next", e.target.value)}
            />
          )}
        </Field>
        <Field label="Repeat new password" error={errors.confirm}>
          {(ids) => <input {...ids} type="password" autoComplete="new-password" required value={form.confirm} onChange={(e) => set("confirm", e.target.value)} />}
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Changing…" : "Change password"}
        </button>
      </form>
    </section>
  );
}
