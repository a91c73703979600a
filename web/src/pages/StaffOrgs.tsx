import { type FormEvent, useState } from "react";
import { Link } from "wouter";
import { api, type Organization, problemOf, request } from "../api/client";
import { AsyncView, ConfirmButton, Empty, Field, PageHeader, ProblemAlert, StatusBadge } from "../components/ui";
import { useAsync } from "../hooks/useAsync";
import type { Problem } from "../lib/problem";
import { useMe } from "../session";

/** Staff: search every organization, suspend or reactivate one. */
export default function StaffOrgs() {
  const me = useMe();
  const [q, setQ] = useState("");
  const [status, setStatus] = useState<"" | "active" | "suspended">("");
  const [query, setQuery] = useState({ q: "", status: "" as "" | "active" | "suspended" });
  const [extra, setExtra] = useState<{ items: Organization[]; cursor?: string }>({ items: [] });
  const [problem, setProblem] = useState<Problem>();
  const params = { limit: 50, ...(query.q ? { q: query.q } : {}), ...(query.status ? { status: query.status } : {}) };
  const list = useAsync(
    async (signal) => {
      setExtra({ items: [] });
      return request(api.GET("/v1/orgs", { params: { query: params }, signal }));
    },
    [query.q, query.status],
  );
  if (!me.staff) {
    return (
      <section>
        <h1>Not available</h1>
        <p>This page is for Portico staff.</p>
      </section>
    );
  }
  const cursor = extra.items.length ? extra.cursor : list.data?.next_cursor;

  function search(e: FormEvent) {
    e.preventDefault();
    setQuery({ q: q.trim(), status });
  }
  async function more() {
    try {
      const p = await request(api.GET("/v1/orgs", { params: { query: { ...params, ...(cursor ? { cursor } : {}) } } }));
      setExtra({ items: [...extra.items, ...p.items], ...(p.next_cursor ? { cursor: p.next_cursor } : {}) });
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  async function setOrgStatus(o: Organization, next: "active" | "suspended") {
    setProblem(undefined);
    try {
      await request(api.PATCH("/v1/orgs/{org}", { params: { path: { org: o.id } }, body: { status: next } }));
      list.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  }

  return (
    <section>
      <PageHeader title="All organizations" subtitle="Staff console." />
      <form className="panel" role="search" onSubmit={search}>
        <div className="form-row">
          <Field label="Name, slug or id">
            {(ids) => <input {...ids} type="search" maxLength={100} value={q} onChange={(e) => setQ(e.target.value)} />}
          </Field>
          <Field label="Status">
            {(ids) => (
              <select {...ids} value={status} onChange={(e) => setStatus(e.target.value as "" | "active" | "suspended")}>
                <option value="">Any</option>
                <option value="active">Active</option>
                <option value="suspended">Suspended</option>
              </select>
            )}
          </Field>
          <div className="field">
            <button type="submit" className="btn btn-primary">
              Search
            </button>
          </div>
        </div>
      </form>
      {problem && <ProblemAlert problem={problem} />}
      <AsyncView state={list} label="Searching…">
        {(page) => {
          const items = [...page.items, ...extra.items];
          return items.length === 0 ? (
            <Empty title="No organization matches" />
          ) : (
            <div className="panel table-scroll">
              <table>
                <caption className="visually-hidden">Organizations</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Plan</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((o) => (
                    <tr key={o.id}>
                      <th scope="row">
                        <Link href={`/orgs/${o.id}`}>{o.name}</Link>
                        <br />
                        <span className="small muted">
                          {o.slug} · <span className="mono">{o.id}</span>
                        </span>
                      </th>
                      <td className="small">
                        {o.plan.name}
                        {o.plan.viewer_cap ? ` (cap ${o.plan.viewer_cap} viewers)` : ""}
                      </td>
                      <td>
                        <StatusBadge status={o.status} />
                      </td>
                      <td>
                        {o.staff ? null : o.status === "active" ? (
                          <ConfirmButton label="Suspend" question={`Suspend ${o.name}?`} confirmLabel="Suspend" danger onConfirm={() => void setOrgStatus(o, "suspended")} />
                        ) : (
                          <button type="button" className="btn btn-small" onClick={() => void setOrgStatus(o, "active")}>
                            Reactivate<span className="visually-hidden"> {o.name}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {cursor && (
                <div className="table-actions">
                  <button type="button" className="btn btn-small" onClick={() => void more()}>
                    Load more
                  </button>
                </div>
              )}
            </div>
          );
        }}
      </AsyncView>
    </section>
  );
}
