import { type FormEvent, useState } from "react";
import { Link, useLocation, useParams } from "wouter";
import { api, idempotencyKey, problemOf, request } from "../api/client";
import { AsyncView, Empty, Field, PageHeader, ProblemAlert, StatusBadge } from "../components/ui";
import { useAsync } from "../hooks/useAsync";
import { fieldErrors, type Problem } from "../lib/problem";
import { textToList } from "../lib/schemaForm";
import { formatDateTime } from "../lib/time";
import { hasRole, useMe, useSession } from "../session";

export default function Integrations() {
  const { org } = useParams<{ org: string }>();
  const me = useMe();
  const { timeZone } = useSession();
  const [creating, setCreating] = useState(false);
  const list = useAsync(async (signal) => {
    const items = [];
    let cursor: string | undefined;
    do {
      const page = await request(api.GET("/v1/orgs/{org}/integrations", { params: { path: { org }, query: { limit: 100, ...(cursor ? { cursor } : {}) } }, signal }));
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }, [org]);
  const canCreate = hasRole(me, org, "admin");

  return (
    <section>
      <PageHeader
        title="Integrations"
        subtitle="Each integration is a player deployment with its own delivery key and settings."
        actions={
          canCreate && !creating ? (
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              New integration
            </button>
          ) : undefined
        }
      />
      {creating && <CreateIntegration org={org} onCancel={() => setCreating(false)} />}
      <AsyncView state={list} label="Loading integrations…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No integrations yet">{canCreate ? <p>Create one to get a delivery key for your player.</p> : <p>An admin of this organization can create one.</p>}</Empty>
          ) : (
            <div className="panel table-scroll">
              <table>
                <caption className="visually-hidden">Integrations, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Environment</th>
                    <th scope="col">Status</th>
                    <th scope="col">Allowed domains</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((i) => (
                    <tr key={i.id}>
                      <th scope="row">
                        <Link href={`/orgs/${org}/integrations/${i.id}`}>{i.name}</Link>
                      </th>
                      <td>{i.environment}</td>
                      <td>
                        <StatusBadge status={i.status} />
                      </td>
                      <td>{i.domains.length ? i.domains.join(", ") : <span className="muted">Any (none listed)</span>}</td>
                      <td className="small">{formatDateTime(i.created_at, timeZone)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </AsyncView>
    </section>
  );
}

function CreateIntegration({ org, onCancel }: { org: string; onCancel: () => void }) {
  const [, navigate] = useLocation();
  const [name, setName] = useState("");
  const [environment, setEnvironment] = useState<"production" | "staging">("production");
  const [domains, setDomains] = useState("");
  const [bundleIds, setBundleIds] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  // One key per form, so a retry after a lost answer does not create twice.
  const [key] = useState(idempotencyKey);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const created = await request(
        api.POST("/v1/orgs/{org}/integrations", {
          params: { path: { org }, header: { "Idempotency-Key": key } },
          body: { name: name.trim(), environment, domains: textToList(domains) ?? [], bundle_ids: textToList(bundleIds) ?? [] },
        }),
      );
      navigate(`/orgs/${org}/integrations/${created.id}`);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  const errs = fieldErrors(problem).byPointer;
  const listError = (prefix: string) => Object.entries(errs).find(([p]) => p === prefix || p.startsWith(prefix + "/"))?.[1];

  return (
    <form className="panel" onSubmit={submit} aria-labelledby="create-heading">
      <h2 id="create-heading">New integration</h2>
      {problem && <ProblemAlert problem={problem} compact />}
      <div className="form-row">
        <Field label="Name" error={errs["/name"]}>
          {(ids) => <input {...ids} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
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
      <Field label="Allowed domains" hint="One a line, such as example.com or *.example.com. Loopback is always allowed." error={listError("/domains")}>
        {(ids) => <textarea {...ids} value={domains} onChange={(e) => setDomains(e.target.value)} rows={3} />}
      </Field>
      <Field label="App bundle IDs" hint="One a line, such as com.example.tv, for mobile and TV apps." error={listError("/bundle_ids")}>
        {(ids) => <textarea {...ids} value={bundleIds} onChange={(e) => setBundleIds(e.target.value)} rows={2} />}
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Creating…" : "Create integration"}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
