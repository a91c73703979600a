import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { api, problemOf, request, type Schemas } from "../../api/client";
import { useAsync } from "../../hooks/useAsync";
import { fieldErrors, type Problem } from "../../lib/problem";
import { type ProfileForm, MAX_LOCALE_LENGTH, profileChanged, profileForm, profileUpdate, validateProfile } from "../../lib/profile";
import { browserTimeZone, formatDateTime } from "../../lib/time";
import { useSession } from "../../session";
import { AsyncView, Field, Notice, ProblemAlert } from "../ui";

type Profile = Schemas["accounts.Profile"];

/** The profile: display name, time zone and locale; the sign-in address beside it, read-only. */
export function ProfileSection({ email }: { email: string }) {
  const profile = useAsync((signal) => request(api.GET("/v1/profile", { signal })), []);
  return (
    <section className="panel" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <dl className="key-value">
        <dt>Email address</dt>
        <dd data-testid="account-email">{email}</dd>
      </dl>
      <AsyncView state={profile} label="Loading your profile…">
        {(p) => <ProfileEditor stored={p} onSaved={profile.setData} />}
      </AsyncView>
    </section>
  );
}

function ProfileEditor({ stored, onSaved }: { stored: Profile; onSaved: (p: Profile) => void }) {
  const { refresh, timeZone } = useSession();
  const [form, setForm] = useState<ProfileForm>(() => profileForm(stored));
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const browserZone = browserTimeZone();
  const zones = useMemo(() => supportedTimeZones(), []);
  const locales = useMemo(() => suggestedLocales(), []);

  const server = fieldErrors(problem);
  const errors = { ...server.byPointer, ...clientErrors };
  const errorCount = Object.keys(errors).length;

  // After a refused save, take the person to the first field to fix.
  useEffect(() => {
    if (errorCount > 0) formRef.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [errorCount, problem]);

  function set<K extends keyof ProfileForm>(key: K, value: string) {
    setForm((f) => ({ ...f, [key]: value }));
    setSaved(false);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    setSaved(false);
    const errs = validateProfile(form);
    setClientErrors(errs);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      const body = profileUpdate(form, stored);
      // The API types preferences as an object without properties; it takes any JSON object.
      const p = await request(api.PUT("/v1/profile", { body: { ...body, preferences: body.preferences as Profile["preferences"] } }));
      setForm(profileForm(p));
      onSaved(p);
      setSaved(true);
      // The session holds the profile: the name in the menu and the time zone of every time shown.
      void refresh();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-labelledby="profile-heading">
      {problem && <ProblemAlert problem={problem} compact />}
      {saved && (
        <Notice tone="success">
          <p>Profile saved.</p>
        </Notice>
      )}
      <Field label="Display name" hint="Shown to the other members of your organizations." error={errors["/display_name"]}>
        {(ids) => <input {...ids} autoComplete="name" value={form.display_name} onChange={(e) => set("display_name", e.target.value)} data-testid="profile-display-name" />}
      </Field>
      <Field
        label="Time zone"
        hint={`The dashboard shows times in this zone; empty means your browser's${browserZone ? ` (${browserZone})` : ""}.`}
        error={errors["/timezone"]}
      >
        {(ids) => (
          <input
            {...ids}
            list="account-time-zones"
            autoComplete="off"
            spellCheck={false}
            placeholder={browserZone ?? "Europe/Paris"}
            value={form.timezone}
            onChange={(e) => set("timezone", e.target.value)}
            data-testid="profile-timezone"
          />
        )}
      </Field>
      <Field label="Locale" hint="Your language and region as a BCP 47 tag, such as en-US or fr-CA." error={errors["/locale"]}>
        {(ids) => (
          <input
            {...ids}
            list="account-locales"
            autoComplete="off"
            spellCheck={false}
            maxLength={MAX_LOCALE_LENGTH}
            placeholder={locales[0] ?? "en-US"}
            value={form.locale}
            onChange={(e) => set("locale", e.target.value)}
            data-testid="profile-locale"
          />
        )}
      </Field>
      <datalist id="account-time-zones">
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <datalist id="account-locales">
        {locales.map((l) => (
          <option key={l} value={l} />
        ))}
      </datalist>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Saving…" : "Save profile"}
        </button>
        {browserZone && form.timezone.trim() !== browserZone && (
          <button type="button" className="btn" onClick={() => set("timezone", browserZone)}>
            Use {browserZone}
          </button>
        )}
        {profileChanged(form, stored) ? (
          <span className="small muted">Unsaved changes</span>
        ) : (
          stored.updated_at && <span className="small muted">Last saved {formatDateTime(stored.updated_at, timeZone)}</span>
        )}
      </div>
    </form>
  );
}

/** The IANA zones the browser knows, for suggestions; none where it cannot list them. */
function supportedTimeZones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}

/** The browser's languages, then a few common ones, canonical and without repeats. */
function suggestedLocales(): string[] {
  const all = [...(typeof navigator === "undefined" ? [] : navigator.languages), "en-US", "en-GB", "fr-FR", "de-DE", "es-ES", "pt-BR", "ja-JP"];
  const seen = new Set<string>();
  for (const l of all) {
    try {
      const c = Intl.getCanonicalLocales(l)[0];
      if (c) seen.add(c);
    } catch {
      // Not a tag; leave it out.
    }
  }
  return [...seen];
}
