import { type FormEvent, useMemo, useState } from "react";
import { Link, useParams } from "wouter";
import { api, type Integration, problemOf, request, type Schemas, unwrap } from "../api/client";
import settingsSchema from "../api/delivery-settings.schema.json";
import { SchemaForm } from "../components/SchemaForm";
import { AsyncView, ConfirmButton, CopyButton, Empty, Field, Loading, Notice, PageHeader, ProblemAlert, StatusBadge } from "../components/ui";
import { useAsync } from "../hooks/useAsync";
import { fieldErrors, type Problem } from "../lib/problem";
import { buildForm, type JsonSchema, listToText, textToList } from "../lib/schemaForm";
import { formatDateTime, formatRelative } from "../lib/time";
import { hasRole, useMe, useSession } from "../session";

const FORM = buildForm(settingsSchema as JsonSchema, ["properties"]);

export default function IntegrationDetail() {
  const { org, integration: id } = useParams<{ org: string; integration: string }>();
  const me = useMe();
  const state = useAsync(
    (signal) => request(api.GET("/v1/orgs/{org}/integrations/{integration}", { params: { path: { org, integration: id } }, signal })),
    [org, id],
  );
  return (
    <section>
      <p className="small">
        <Link href={`/orgs/${org}/integrations`}>← Integrations</Link>
      </p>
      <AsyncView state={state} label="Loading integration…">
        {(integ) => (
          <>
            <PageHeader
              title={integ.name}
              subtitle={
                <>
                  {integ.environment} · <StatusBadge status={integ.status} /> · <span className="mono small">{integ.id}</span>
                </>
              }
            />
            {integ.status === "bypassed" && (
              <Notice tone="warning" title="Peer-to-peer delivery is bypassed">
                <p>Support turned peer-to-peer off for this integration: players get every download and upload flag off, whatever the settings say.</p>
              </Notice>
            )}
            <General org={org} integ={integ} onSaved={state.setData} canEdit={hasRole(me, org, "admin")} staff={me.staff} />
            <DeliveryKey org={org} integ={integ} onRotated={state.setData} canRotate={hasRole(me, org, "admin")} />
            <Settings org={org} integ={integ} canEdit={hasRole(me, org, "editor")} />
          </>
        )}
      </AsyncView>
    </section>
  );
}

function General({ org, integ, onSaved, canEdit, staff }: { org: string; integ: Integration; onSaved: (i: Integration) => void; canEdit: boolean; staff: boolean }) {
  const [name, setName] = useState(integ.name);
  const [environment, setEnvironment] = useState(integ.environment);
  const [domains, setDomains] = useState(listToText(integ.domains));
  const [bundleIds, setBundleIds] = useState(listToText(integ.bundle_ids));
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [saved, setSaved] = useState(false);

  async function patch(body: Schemas["configs.IntegrationPatch"]) {
    setBusy(true);
    setProblem(undefined);
    setSaved(false);
    try {
      const next = await request(api.PATCH("/v1/orgs/{org}/integrations/{integration}", { params: { path: { org, integration: integ.id } }, body }));
      onSaved(next);
      setSaved(true);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  function submit(e: FormEvent) {
    e.preventDefault();
    void patch({ name: name.trim(), environment, domains: textToList(domains) ?? [], bundle_ids: textToList(bundleIds) ?? [] });
  }
  const errs = fieldErrors(problem).byPointer;
  const under = (p: string) => Object.entries(errs).find(([k]) => k === p || k.startsWith(p + "/"))?.[1];

  return (
    <form className="panel" onSubmit={submit} aria-labelledby="general-heading">
      <h2 id="general-heading">General</h2>
      {problem && <ProblemAlert problem={problem} compact />}
      {saved && <Notice tone="success">Saved.</Notice>}
      <fieldset disabled={!canEdit || busy}>
        <legend className="visually-hidden">Integration fields</legend>
        <div className="form-row">
          <Field label="Name" error={errs["/name"]}>
            {(ids) => <input {...ids} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Environment" error={errs["/environment"]}>
            {(ids) => (
              <select {...ids} value={environment} onChange={(e) => setEnvironment(e.target.value as "production" | "staging")}>
                <option value="production">Production</option>
                <option value="staging">Staging</option>
              </select>
            )}
          </Field>
        </div>
        <Field label="Allowed domains" hint="Pages on these domains may send beacons; one a line, such as example.com or *.example.com. Loopback is always allowed." error={under("/domains")}>
          {(ids) => <textarea {...ids} rows={3} value={domains} onChange={(e) => setDomains(e.target.value)} />}
        </Field>
        <Field label="App bundle IDs" hint="One a line." error={under("/bundle_ids")}>
          {(ids) => <textarea {...ids} rows={2} value={bundleIds} onChange={(e) => setBundleIds(e.target.value)} />}
        </Field>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary">
            {busy ? "Saving…" : "Save changes"}
          </button>
        </div>
      </fieldset>
      {canEdit && (
        <div className="form-actions">
          {integ.status === "active" && (
            <ConfirmButton label="Disable integration" question="Players of this integration stop getting settings. Disable?" confirmLabel="Disable" danger onConfirm={() => void patch({ status: "disabled" })} disabled={busy} />
          )}
          {integ.status === "disabled" && (
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => void patch({ status: "active" })}>
              Enable integration
            </button>
          )}
          {staff && integ.status !== "bypassed" && (
            <ConfirmButton label="Bypass P2P (staff)" question="Turn peer-to-peer off for every player of this integration?" confirmLabel="Bypass" danger onConfirm={() => void patch({ status: "bypassed" })} disabled={busy} />
          )}
          {staff && integ.status === "bypassed" && (
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => void patch({ status: "active" })}>
              Lift bypass (staff)
            </button>
          )}
        </div>
      )}
    </form>
  );
}

const OVERLAPS = [
  { seconds: 0, label: "Stop it at once" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "24 hours (default)" },
  { seconds: 7 * 86_400, label: "7 days" },
];

function DeliveryKey({ org, integ, onRotated, canRotate }: { org: string; integ: Integration; onRotated: (i: Integration) => void; canRotate: boolean }) {
  const { timeZone } = useSession();
  const [overlap, setOverlap] = useState(86_400);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const origin = window.location.origin;
  const snippet = `<script type="module">
  // Portico delivery settings for "${integ.name}" (${integ.environment})
  const PORTICO = "${origin}";
  const DELIVERY_KEY = "${integ.delivery_key}";
  const config = await fetch(\`\${PORTICO}/v1/sdk/config/\${DELIVERY_KEY}\`).then((r) => r.json());
  // Hand config.settings to the player's P2P engine, then report playback:
  // POST \${PORTICO}/v1/beacons with the header Portico-Delivery-Key: \${DELIVERY_KEY}
  // (navigator.sendBeacon: \${PORTICO}/v1/beacons?key=\${DELIVERY_KEY}).
</script>`;

  async function rotate() {
    setBusy(true);
    setProblem(undefined);
    try {
      onRotated(await request(api.POST("/v1/orgs/{org}/integrations/{integration}/delivery-key/rotate", { params: { path: { org, integration: integ.id } }, body: { overlap_seconds: overlap } })));
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="key-heading">
      <h2 id="key-heading">Delivery key and player snippet</h2>
      {problem && <ProblemAlert problem={problem} compact />}
      <dl className="key-value">
        <dt>Delivery key</dt>
        <dd>
          <code data-testid="delivery-key">{integ.delivery_key}</code> <CopyButton text={integ.delivery_key} label="Copy key" />
        </dd>
        {integ.previous_delivery_key && (
          <>
            <dt>Previous key</dt>
            <dd>
              <code>{integ.previous_delivery_key}</code>
              {integ.previous_key_expires_at && (
                <span className="small muted">
                  {" "}
                  accepted until {formatDateTime(integ.previous_key_expires_at, timeZone)} ({formatRelative(integ.previous_key_expires_at, Date.now())})
                </span>
              )}
            </dd>
          </>
        )}
      </dl>
      {canRotate && (
        <div className="form-row">
          <Field label="Keep the current key working for" hint="Players still using it keep working until it expires.">
            {(ids) => (
              <select {...ids} value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
                {OVERLAPS.map((o) => (
                  <option key={o.seconds} value={o.seconds}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div className="field">
            <ConfirmButton label="Rotate delivery key" question="Issue a new delivery key?" confirmLabel="Rotate" onConfirm={() => void rotate()} disabled={busy} />
          </div>
        </div>
      )}
      <h3>Player snippet</h3>
      <pre aria-label="Player snippet" tabIndex={0}>
        <code>{snippet}</code>
      </pre>
      <CopyButton text={snippet} label="Copy snippet" />
    </section>
  );
}

type SettingsDocument = Schemas["configs.SettingsDocument"];
type Version = { version: number; etag: string; document: Record<string, unknown>; author: string; message: string; created_at: string };

function Settings({ org, integ, canEdit }: { org: string; integ: Integration; canEdit: boolean }) {
  const path = { org, integration: integ.id };
  const current = useAsync(async (signal) => {
    const { data, response } = await unwrap(api.GET("/v1/orgs/{org}/integrations/{integration}/settings", { params: { path }, signal }));
    return { ...data, etag: response.headers.get("ETag") ?? data.etag } as Version;
  }, [org, integ.id]);
  const versions = useAsync(
    (signal) => request(api.GET("/v1/orgs/{org}/integrations/{integration}/settings/versions", { params: { path, query: { limit: 50 } }, signal })),
    [org, integ.id, current.data?.version],
  );

  return (
    <>
      <section className="panel" aria-labelledby="settings-heading">
        <h2 id="settings-heading">Delivery settings</h2>
        <AsyncView state={current} label="Loading settings…">
          {(v) => <SettingsEditor key={v.etag} path={path} version={v} canEdit={canEdit} onSaved={current.setData} onReload={current.reload} />}
        </AsyncView>
      </section>
      <section className="panel" aria-labelledby="history-heading">
        <h2 id="history-heading">Version history</h2>
        <AsyncView state={versions} label="Loading versions…">
          {(page) =>
            page.items.length === 0 ? (
              <Empty title="No versions" />
            ) : (
              <History path={path} items={page.items} current={current.data} canEdit={canEdit} onRestored={current.setData} />
            )
          }
        </AsyncView>
      </section>
    </>
  );
}

function SettingsEditor({ path, version, canEdit, onSaved, onReload }: { path: { org: string; integration: string }; version: Version; canEdit: boolean; onSaved: (v: Version) => void; onReload: () => void }) {
  const { properties: initialProps, ...initialDoc } = version.document as { properties?: unknown };
  const [doc, setDoc] = useState<unknown>(initialDoc);
  const [propsText, setPropsText] = useState(initialProps === undefined ? "" : JSON.stringify(initialProps, null, 2));
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState<"" | "validate" | "save">("");
  const [problem, setProblem] = useState<Problem>();
  const [validated, setValidated] = useState(false);

  const propsParsed = useMemo((): { ok: true; value: unknown } | { ok: false; error: string } => {
    if (propsText.trim() === "") return { ok: true, value: undefined };
    try {
      const v = JSON.parse(propsText) as unknown;
      if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, error: "Enter a JSON object of named properties." };
      return { ok: true, value: v };
    } catch (e) {
      return { ok: false, error: `Not valid JSON: ${(e as Error).message}` };
    }
  }, [propsText]);

  // configs.SettingsDocument is the delivery settings schema, the one the form is
  // generated from; the form's values are checked by it (and by the API) before saving.
  const document = (): SettingsDocument => ({ ...(doc as Record<string, unknown>), ...(propsParsed.ok && propsParsed.value !== undefined ? { properties: propsParsed.value } : {}) }) as SettingsDocument;
  const dirty = JSON.stringify(document()) !== JSON.stringify(version.document);
  const errs = fieldErrors(problem, "/document");
  const propErrors = Object.entries(errs.byPointer).filter(([k]) => k === "/properties" || k.startsWith("/properties/"));

  async function validate() {
    setBusy("validate");
    setProblem(undefined);
    setValidated(false);
    try {
      await request(api.POST("/v1/orgs/{org}/integrations/{integration}/settings/validate", { params: { path }, body: { document: document() } }));
      setValidated(true);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy("");
    }
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    if (!propsParsed.ok) return;
    setBusy("save");
    setProblem(undefined);
    setValidated(false);
    try {
      const { data, response } = await unwrap(
        api.PUT("/v1/orgs/{org}/integrations/{integration}/settings", {
          params: { path, header: { "If-Match": version.etag } },
          body: { document: document(), ...(message.trim() ? { message: message.trim() } : {}) },
        }),
      );
      onSaved({ ...data, etag: response.headers.get("ETag") ?? data.etag } as Version);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy("");
    }
  }

  const stale = problem?.status === 412 || problem?.status === 428;

  return (
    <form onSubmit={save} aria-describedby="settings-version">
      <p id="settings-version" className="small muted">
        Version {version.version}, {version.message ? `“${version.message}”, ` : ""}saved {formatRelative(version.created_at, Date.now())}.
      </p>
      {problem && (
        <div>
          <ProblemAlert problem={problem} />
          {stale && (
            <p>
              <button type="button" className="btn btn-small" onClick={onReload}>
                Load the latest version (discards your changes)
              </button>
            </p>
          )}
          {errs.other.length > 0 && (
            <ul className="field-error">
              {errs.other.map((o) => (
                <li key={o}>{o}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {validated && <Notice tone="success">The settings are valid.</Notice>}
      <fieldset disabled={!canEdit || busy !== ""} className="plain-fieldset">
        <legend className="visually-hidden">Settings document</legend>
        <SchemaForm nodes={FORM} value={doc} onChange={(d) => { setDoc(d); setValidated(false); }} errors={errs.byPointer} />
        <Field
          label="Named properties (JSON)"
          hint="Parameter sets a player can ask for by name; each overrides the settings above by a deep merge. Leave empty for none."
          error={!propsParsed.ok ? propsParsed.error : propErrors.map(([k, v]) => `${k}: ${v}`).join("; ") || undefined}
        >
          {(ids) => <textarea {...ids} className="mono" rows={6} value={propsText} spellCheck={false} onChange={(e) => setPropsText(e.target.value)} />}
        </Field>
        <Field label="Change message" hint="Shown in the version history.">
          {(ids) => <input {...ids} maxLength={1000} value={message} onChange={(e) => setMessage(e.target.value)} />}
        </Field>
      </fieldset>
      {canEdit ? (
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy !== "" || !dirty || !propsParsed.ok}>
            {busy === "save" ? "Saving…" : "Save as new version"}
          </button>
          <button type="button" className="btn" disabled={busy !== "" || !propsParsed.ok} onClick={() => void validate()}>
            {busy === "validate" ? "Checking…" : "Validate"}
          </button>
          {dirty && <span className="small muted">Unsaved changes</span>}
        </div>
      ) : (
        <p className="small muted">Editors, admins and owners can change the settings.</p>
      )}
    </form>
  );
}

type Summary = { version: number; etag: string; author: string; message: string; created_at: string };
type Op = { op: string; path: string; from?: string; value?: unknown };

function History({ path, items, current, canEdit, onRestored }: { path: { org: string; integration: string }; items: Summary[]; current: Version | undefined; canEdit: boolean; onRestored: (v: Version) => void }) {
  const { timeZone } = useSession();
  const [diff, setDiff] = useState<{ from: number; to: number; patch: Op[] } | null>(null);
  const [loading, setLoading] = useState<number | null>(null);
  const [problem, setProblem] = useState<Problem>();

  async function compare(v: number) {
    if (!current) return;
    setLoading(v);
    setProblem(undefined);
    try {
      setDiff(await request(api.GET("/v1/orgs/{org}/integrations/{integration}/settings/diff", { params: { path, query: { from: v, to: current.version } } })));
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setLoading(null);
    }
  }

  async function restore(v: number) {
    if (!current) return;
    setLoading(v);
    setProblem(undefined);
    try {
      const { data, response } = await unwrap(
        api.POST("/v1/orgs/{org}/integrations/{integration}/settings/versions/{version}/restore", {
          params: { path: { ...path, version: v }, header: { "If-Match": current.etag } },
          body: {},
        }),
      );
      setDiff(null);
      onRestored({ ...data, etag: response.headers.get("ETag") ?? data.etag } as Version);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setLoading(null);
    }
  }

  return (
    <>
      {problem && <ProblemAlert problem={problem} compact />}
      <div className="table-scroll">
        <table>
          <caption className="visually-hidden">Settings versions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Message</th>
              <th scope="col">Saved</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((v) => (
              <tr key={v.version}>
                <th scope="row">
                  v{v.version}
                  {current?.version === v.version && <span className="small muted"> (current)</span>}
                </th>
                <td>{v.message || <span className="muted">—</span>}</td>
                <td className="small">
                  {formatDateTime(v.created_at, timeZone)}
                  <br />
                  <span className="muted mono">{v.author}</span>
                </td>
                <td>
                  {current && current.version !== v.version && (
                    <span className="form-actions">
                      <button type="button" className="btn btn-small" disabled={loading !== null} onClick={() => void compare(v.version)}>
                        Compare<span className="visually-hidden"> version {v.version} with the current one</span>
                      </button>
                      {canEdit && (
                        <ConfirmButton label={`Restore v${v.version}`} question={`Make version ${v.version}'s settings the next version?`} confirmLabel="Restore" onConfirm={() => void restore(v.version)} disabled={loading !== null} />
                      )}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {loading !== null && <Loading />}
      {diff && (
        <section aria-labelledby="diff-heading" className="stack">
          <h3 id="diff-heading">
            Changes from v{diff.from} to v{diff.to}
          </h3>
          {diff.patch.length === 0 ? (
            <p className="muted">The two versions are the same.</p>
          ) : (
            <ul className="diff">
              {diff.patch.map((op, i) => (
                <li key={i} className={op.op === "add" ? "diff-add" : op.op === "remove" ? "diff-remove" : undefined}>
                  <strong>{op.op}</strong> <code>{op.path}</code>
                  {op.from !== undefined && (
                    <>
                      {" "}
                      from <code>{op.from}</code>
                    </>
                  )}
                  {"value" in op && (
                    <>
                      {" "}
                      → <code>{JSON.stringify(op.value)}</code>
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
          <button type="button" className="btn btn-small" onClick={() => setDiff(null)}>
            Close comparison
          </button>
        </section>
      )}
    </>
  );
}
