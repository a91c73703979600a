import { type FormEvent, useState } from "react";
import { useParams } from "wouter";
import { api, csrf, problemOf, request, type Schemas } from "../api/client";
import { AsyncView, ConfirmButton, CopyButton, Empty, Field, Notice, PageHeader, ProblemAlert, StatusBadge } from "../components/ui";
import { useAsync } from "../hooks/useAsync";
import { fieldErrors, type Problem } from "../lib/problem";
import { formatDateTime, formatRelative } from "../lib/time";
import { useSession } from "../session";

const SCOPES = [
  { id: "analytics:read", label: "Read analytics" },
  { id: "configs:read", label: "Read integrations and settings" },
  { id: "configs:write", label: "Change settings" },
];

type Key = Schemas["auth.APIKey"];

export default function ApiKeys() {
  const { org } = useParams<{ org: string }>();
  const { timeZone } = useSession();
  const keys = useAsync((signal) => request(api.GET("/v1/orgs/{org}/api-keys", { params: { path: { org } }, signal })), [org]);
  const [created, setCreated] = useState<Key | null>(null);
  const [problem, setProblem] = useState<Problem>();

  async function revoke(id: string) {
    setProblem(undefined);
    try {
      await request(api.DELETE("/v1/orgs/{org}/api-keys/{id}", { params: { path: { org, id }, header: csrf } }));
      keys.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  }

  return (
    <section>
      <PageHeader title="API keys" subtitle="Keys let your own systems read analytics and manage settings, in this organization only." />
      {created?.key && (
        <Notice tone="success" title={`Key “${created.name}” created`}>
          <p>Copy it now: it is shown only once.</p>
          <code className="secret" data-testid="api-key-secret">{created.key}</code>
          <CopyButton text={created.key} label="Copy key" />{" "}
          <button type="button" className="btn btn-small" onClick={() => setCreated(null)}>
            I have saved it
          </button>
        </Notice>
      )}
      <CreateKey org={org} onCreated={(k) => { setCreated(k); keys.reload(); }} />
      {problem && <ProblemAlert problem={problem} />}
      <section className="panel" aria-labelledby="keys-heading">
        <h2 id="keys-heading">Keys</h2>
        <AsyncView state={keys} label="Loading keys…">
          {(page) => {
            const items = (page as { items?: Key[] }).items ?? [];
            return items.length === 0 ? (
              <Empty title="No API keys" />
            ) : (
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Expires</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((k) => (
                      <tr key={k.id}>
                        <th scope="row">
                          {k.name}
                          <br />
                          <span className="mono small muted">{k.id}</span>
                        </th>
                        <td className="small">{k.scopes.join(", ") || "—"}</td>
                        <td className="small">{k.last_used_at ? formatRelative(k.last_used_at, Date.now()) : "Never"}</td>
                        <td className="small">{k.expires_at ? formatDateTime(k.expires_at, timeZone) : "Never"}</td>
                        <td>
                          {k.revoked_at ? (
                            <StatusBadge status="revoked" />
                          ) : (
                            <ConfirmButton label="Revoke" question={`Revoke “${k.name}”? Systems using it stop working.`} confirmLabel="Revoke" danger onConfirm={() => void revoke(k.id)} />
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
          }}
        </AsyncView>
      </section>
    </section>
  );
}

function CreateKey({ org, onCreated }: { org: string; onCreated: (k: Key) => void }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["analytics:read"]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const k = await request(api.POST("/v1/orgs/{org}/api-keys", { params: { path: { org }, header: csrf }, body: { name: name.trim(), scopes } }));
      setName("");
      onCreated(k);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  const errs = fieldErrors(problem).byPointer;
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="new-key-heading">
      <h2 id="new-key-heading">New API key</h2>
      {problem && <ProblemAlert problem={problem} compact />}
      <Field label="Name" hint="What uses the key, such as “reporting job”." error={errs["/name"]}>
        {(ids) => <input {...ids} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <fieldset>
        <legend>Scopes</legend>
        {SCOPES.map((s) => (
          <label key={s.id} className="checkbox">
            <input type="checkbox" checked={scopes.includes(s.id)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s.id] : scopes.filter((x) => x !== s.id))} />
            <span>
              {s.label} <code className="small">{s.id}</code>
            </span>
          </label>
        ))}
        {errs["/scopes"] && <p className="field-error">{errs["/scopes"]}</p>}
      </fieldset>
      <button type="submit" className="btn btn-primary" disabled={busy || scopes.length === 0}>
        {busy ? "Creating…" : "Create key"}
      </button>
    </form>
  );
}
