import { type FormEvent, type RefObject, useEffect, useRef, useState } from "react";
import { ApiError, api, csrf, problemOf, request, sessionEnded } from "../../api/client";
import { type Problem, problemCode } from "../../lib/problem";
import { codeProblemMessage, groupSecret, isCode, normalizeCode, otpauthInfo, recoveryCodesFile } from "../../lib/totp";
import { useSession } from "../../session";
import { QrCode } from "../QrCode";
import { CopyButton, downloadText, Field, Notice, ProblemAlert } from "../ui";

/**
 * Whether an authenticator is on. No endpoint says so: the page knows only
 * what the API answered here (409 to a new enrolment: on; a confirmed or a
 * removed one).
 */
type Known = "unknown" | "on" | "off";

type Step =
  | { kind: "idle"; known: Known; disabling: boolean; note?: "already-on" | "enabled" | "disabled" }
  | { kind: "enrolling"; secret: string; uri: string }
  | { kind: "codes"; codes: string[]; issuer: string; account: string; createdAt: number };

/** Two-factor authentication with an authenticator app (TOTP): enrolment, recovery codes and removal. */
export function TwoFactorSection({ account, onOtherSessionsEnded }: { account: string; onOtherSessionsEnded: () => void }) {
  const { refresh } = useSession();
  const [step, setStep] = useState<Step>({ kind: "idle", known: "unknown", disabling: false });
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  // Each step moves focus to its heading or message, so that keyboard and
  // screen reader users land on what changed.
  const focusRef = useRef<HTMLElement | null>(null);
  const setFocusTarget = (el: HTMLElement | null) => {
    focusRef.current = el;
  };
  const [focusKey, setFocusKey] = useState(0);
  useEffect(() => {
    if (focusKey > 0) focusRef.current?.focus();
  }, [focusKey]);
  const go = (s: Step) => {
    setStep(s);
    setFocusKey((k) => k + 1);
  };

  async function start() {
    setBusy(true);
    setProblem(undefined);
    try {
      const en = await request(api.POST("/v1/totp", { params: { header: csrf } }));
      go({ kind: "enrolling", secret: en.secret, uri: en.otpauth_url });
    } catch (err) {
      if (sessionEnded(err)) return void refresh();
      if (err instanceof ApiError && err.status === 409) go({ kind: "idle", known: "on", disabling: false, note: "already-on" });
      else setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  const body = (() => {
    switch (step.kind) {
      case "enrolling":
        return (
          <Enrol
            secret={step.secret}
            uri={step.uri}
            headingRef={setFocusTarget}
            // A started enrolment means no authenticator is confirmed.
            onCancel={() => go({ kind: "idle", known: "off", disabling: false })}
            onConfirmed={(codes) => {
              const { issuer, account: label } = otpauthInfo(step.uri);
              go({ kind: "codes", codes, issuer, account: label || account, createdAt: Date.now() });
              onOtherSessionsEnded();
            }}
            onRestart={() => void start()}
          />
        );
      case "codes":
        return (
          <RecoveryCodes
            {...step}
            headingRef={setFocusTarget}
            onDone={() => go({ kind: "idle", known: "on", disabling: false, note: "enabled" })}
          />
        );
      case "idle":
        return (
          <div>
            <p ref={setFocusTarget} tabIndex={-1} data-testid="totp-status">
              {step.known === "on"
                ? step.note === "already-on"
                  ? "Two-factor authentication is already on for your account."
                  : "Two-factor authentication is on: signing in asks for a code from your authenticator app."
                : step.known === "off"
                  ? "Two-factor authentication is off: your password alone signs you in."
                  : "Two-factor authentication asks for a code from an authenticator app each time you sign in, as well as your password."}
            </p>
            {step.note === "enabled" && (
              <Notice tone="success">
                <p>Your other sessions were signed out; they need the code to sign in again.</p>
              </Notice>
            )}
            {!step.disabling && (
              <p className="form-actions">
                {step.known !== "on" && (
                  <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void start()}>
                    {busy ? "Starting…" : "Set up two-factor authentication"}
                  </button>
                )}
                {step.known !== "off" && (
                  <button type="button" className="btn" onClick={() => setStep({ ...step, disabling: true })}>
                    Turn off two-factor authentication
                  </button>
                )}
              </p>
            )}
            {step.disabling && (
              <Disable
                mayBeOff={step.known === "unknown"}
                onCancel={() => go({ ...step, disabling: false })}
                onDisabled={() => go({ kind: "idle", known: "off", disabling: false, note: "disabled" })}
              />
            )}
          </div>
        );
    }
  })();

  return (
    <section className="panel" aria-labelledby="totp-heading">
      <h2 id="totp-heading">Two-factor authentication</h2>
      {problem && <ProblemAlert problem={problem} compact />}
      {body}
    </section>
  );
}

/** The QR code and secret of a new enrolment, and the code that confirms it. */
function Enrol({
  secret,
  uri,
  headingRef,
  onCancel,
  onConfirmed,
  onRestart,
}: {
  secret: string;
  uri: string;
  headingRef: (el: HTMLElement | null) => void;
  onCancel: () => void;
  onConfirmed: (codes: string[]) => void;
  onRestart: () => void;
}) {
  const { issuer, account } = otpauthInfo(uri);
  const { code, setCode, error, problem, busy, inputRef, submit } = useCodeForm(async (c) => {
    const res = await request(api.POST("/v1/totp/confirm", { params: { header: csrf }, body: { code: c } }));
    onConfirmed(res.recovery_codes);
  });

  const appName = issuer && account ? `${issuer} (${account})` : issuer || account;
  return (
    <div>
      <h3 ref={headingRef} tabIndex={-1}>
        1. Scan this QR code with your authenticator app
      </h3>
      <div className="row-between">
        <QrCode value={uri} label={`QR code to add ${appName || "your account"} to an authenticator app`} testId="totp-qr" />
        <div>
          <p>Or enter this key in the app by hand{appName ? <>, as an account named {appName}</> : null}:</p>
          <code className="secret" data-testid="totp-secret" data-value={secret}>
            {groupSecret(secret)}
          </code>
          <CopyButton text={secret} label="Copy key" />
          <p className="small muted">Time-based, six digits, every 30 seconds: the defaults of every app.</p>
        </div>
      </div>
      <form onSubmit={submit} noValidate aria-labelledby="totp-confirm-heading">
        <h3 id="totp-confirm-heading">2. Enter the code the app shows</h3>
        {problem && (
          <ProblemAlert
            problem={problem}
            compact
            {...(problem.status === 404 || problemCode(problem) === "not-found" ? { onRetry: onRestart } : {})}
          />
        )}
        <CodeField label="Code" hint="Six digits; it changes every 30 seconds." error={error} inputRef={inputRef} value={code} onChange={setCode} testId="totp-code" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Checking…" : "Turn on two-factor authentication"}
          </button>
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        </div>
        <p className="small muted">Turning it on signs out your other sessions.</p>
      </form>
    </div>
  );
}

/** The recovery codes, shown once, with ways to keep them. */
function RecoveryCodes({
  codes,
  issuer,
  account,
  createdAt,
  headingRef,
  onDone,
}: {
  codes: string[];
  issuer: string;
  account: string;
  createdAt: number;
  headingRef: (el: HTMLElement | null) => void;
  onDone: () => void;
}) {
  const { timeZone } = useSession();
  const file = recoveryCodesFile(codes, { issuer, account, createdAt, timeZone });
  return (
    <div>
      <h3 ref={headingRef} tabIndex={-1}>
        Two-factor authentication is on. Save your recovery codes
      </h3>
      <Notice tone="warning" title="These codes are shown only once">
        <p>
          Each code signs you in once if you lose your authenticator app. Keep them somewhere safe, such as a password manager. Without
          your app or a code you cannot sign in.
        </p>
      </Notice>
      <ol className="recovery-codes" data-testid="recovery-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ol>
      <div className="form-actions">
        <CopyButton text={codes.join("\n")} label="Copy codes" />
        <button type="button" className="btn btn-small" onClick={() => downloadText(file.filename, file.text, "text/plain;charset=utf-8")}>
          Download as text file
        </button>
        <button type="button" className="btn btn-small btn-primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

/** Removing the authenticator, with a current code. */
function Disable({ mayBeOff, onCancel, onDisabled }: { mayBeOff: boolean; onCancel: () => void; onDisabled: () => void }) {
  const { code, setCode, error, problem, busy, inputRef, submit } = useCodeForm(
    async (c) => {
      await request(api.POST("/v1/totp/disable", { params: { header: csrf }, body: { code: c } }));
      onDisabled();
    },
    // The API answers a code for an account without an authenticator as a wrong one.
    (msg) => (mayBeOff ? `${msg} If two-factor authentication is not on, there is nothing to turn off.` : msg),
  );
  useEffect(() => inputRef.current?.focus(), [inputRef]);

  return (
    <form onSubmit={submit} noValidate aria-labelledby="totp-disable-heading">
      <h3 id="totp-disable-heading">Turn off two-factor authentication</h3>
      <p className="small muted">Enter a code from your authenticator app. Your recovery codes stop working too.</p>
      {problem && <ProblemAlert problem={problem} compact />}
      <CodeField label="Code from your app" error={error} inputRef={inputRef} value={code} onChange={setCode} testId="totp-disable-code" />
      <div className="form-actions">
        <button type="submit" className="btn btn-danger" disabled={busy}>
          {busy ? "Turning off…" : "Turn off"}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The field of a six-digit code from an authenticator app. */
function CodeField({ label, hint, error, inputRef, value, onChange, testId }: {
  label: string;
  hint?: string;
  error?: string;
  inputRef: RefObject<HTMLInputElement | null>;
  value: string;
  onChange: (v: string) => void;
  testId: string;
}) {
  return (
    <Field label={label} {...(hint ? { hint } : {})} error={error}>
      {(ids) => (
        <input
          {...ids}
          ref={inputRef}
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]*"
          maxLength={7}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testId}
        />
      )}
    </Field>
  );
}

/**
 * The state and submission of a form sending one six-digit code: the code
 * is checked first, a wrong one (as the API says) is shown at the field,
 * which is emptied and focused, any other problem above the form, and an
 * ended session re-reads the session (which signs the person out).
 */
function useCodeForm(send: (code: string) => Promise<void>, wrong: (message: string) => string = (m) => m) {
  const { refresh } = useSession();
  const [code, setCode] = useState("");
  const [error, setError] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    const c = normalizeCode(code);
    if (!isCode(c)) {
      setError("Enter the six digits your app shows.");
      inputRef.current?.focus();
      return;
    }
    setError(undefined);
    setBusy(true);
    try {
      await send(c);
    } catch (err) {
      if (sessionEnded(err)) return void refresh();
      const p = problemOf(err);
      const msg = codeProblemMessage(p);
      if (msg) {
        setError(wrong(msg));
        setCode("");
        inputRef.current?.focus();
      } else setProblem(p);
    } finally {
      setBusy(false);
    }
  }

  return { code, setCode, error, problem, busy, inputRef, submit };
}
