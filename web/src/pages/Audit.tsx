import { useState } from "react";
import { useParams } from "wouter";
import { api, problemOf, request, type Schemas } from "../api/client";
import { AsyncView, Empty, PageHeader, ProblemAlert } from "../components/ui";
import { useAsync } from "../hooks/useAsync";
import type { Problem } from "../lib/problem";
import { formatDateTime } from "../lib/time";
import { useSession } from "../session";

type AuthEvent = Schemas["auth.AuditEvent"];
type ConfigEntry = Schemas["configs.AuditEntry"];

export default function Audit() {
  const { org } = useParams<{ org: string }>();
  const { timeZone } = useSession();
  const access = useAsync((signal) => request(api.GET("/v1/orgs/{org}/audit", { params: { path: { org }, query: { limit: 100 } }, signal })), [org]);
  const configs = useAsync((signal) => request(api.GET("/v1/orgs/{org}/config-audit", { params: { path: { org }, query: { limit: 100 } }, signal })), [org]);
  const [moreAccess, setMoreAccess] = useState<{ items: AuthEvent[]; cursor?: string }>({ items: [] });
  const [moreConfigs, setMoreConfigs] = useState<{ items: ConfigEntry[]; cursor?: string }>({ items: [] });
  const [problem, setProblem] = useState<Problem>();

  const accessCursor = moreAccess.items.length ? moreAccess.cursor : access.data?.next_cursor;
  const configCursor = moreConfigs.items.length ? moreConfigs.cursor : configs.data?.next_cursor;

  async function loadAccess() {
    try {
      const p = await request(api.GET("/v1/orgs/{org}/audit", { params: { path: { org }, query: { limit: 100, ...(accessCursor ? { cursor: accessCursor } : {}) } } }));
      setMoreAccess({ items: [...moreAccess.items, ...((p as { items?: AuthEvent[] }).items ?? [])], ...(p.next_cursor ? { cursor: p.next_cursor } : {}) });
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  async function loadConfigs() {
    try {
      const p = await request(api.GET("/v1/orgs/{org}/config-audit", { params: { path: { org }, query: { limit: 100, ...(configCursor ? { cursor: configCursor } : {}) } } }));
      setMoreConfigs({ items: [...moreConfigs.items, ...p.items], ...(p.next_cursor ? { cursor: p.next_cursor } : {}) });
    } catch (err) {
      setProblem(problemOf(err));
    }
  }

  return (
    <section>
      <PageHeader title="Audit log" subtitle={`Newest first, times in ${timeZone}.`} />
      {problem && <ProblemAlert problem={problem} />}
      <section className="panel" aria-labelledby="config-audit-heading">
        <h2 id="config-audit-heading">Configuration changes</h2>
        <AsyncView state={configs} label="Loading changes…">
          {(page) => {
            const items = [...page.items, ...moreConfigs.items];
            return items.length === 0 ? (
              <Empty title="No changes recorded" />
            ) : (
              <>
                <div className="table-scroll" tabIndex={0} role="region" aria-label="Table of configuration changes">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">When</th>
                        <th scope="col">Action</th>
                        <th scope="col">By</th>
                        <th scope="col">Message</th>
                      </tr>
                    </thead>
                    <tbody>
                      {items.map((e) => (
                        <tr key={e.id}>
                          <th scope="row" className="small">{formatDateTime(e.created_at, timeZone)}</th>
                          <td>
                            <code className="small">{e.action}</code>
                            <br />
                            <span className="mono small muted">{e.integration_id}</span>
                          </td>
                          <td className="small">
                            {e.actor.kind.replace("_", " ")} <span className="mono muted">{e.actor.id}</span>
                          </td>
                          <td className="small">
                            {e.message || "—"}
                            {e.diff.length > 0 && <span className="muted"> ({e.diff.length} change{e.diff.length === 1 ? "" : "s"})</span>}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {configCursor && (
                  <div className="table-actions">
                    <button type="button" className="btn btn-small" onClick={() => void loadConfigs()}>
                      Load older changes
                    </button>
                  </div>
                )}
              </>
            );
          }}
        </AsyncView>
      </section>
      <section className="panel" aria-labelledby="access-audit-heading">
        <h2 id="access-audit-heading">Access and credentials</h2>
        <AsyncView state={access} label="Loading events…">
          {(page) => {
            const items = [...((page as { items?: AuthEvent[] }).items ?? []), ...moreAccess.items];
            return items.length === 0 ? (
              <Empty title="No events recorded" />
            ) : (
              <>
                <div className="table-scroll" tabIndex={0} role="region" aria-label="Table of access events">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">When</th>
                        <th scope="col">Event</th>
                        <th scope="col">By</th>
                        <th scope="col">Details</th>
                      </tr>
                    </thead>
                    <tbody>
                      {items.map((e) => (
                        <tr key={e.id}>
                          <th scope="row" className="small">{formatDateTime(e.at, timeZone)}</th>
                          <td><code className="small">{e.kind}</code></td>
                          <td className="small mono">{e.actor_id ?? "—"}{e.ip ? <span className="muted"> from {e.ip}</span> : null}</td>
                          <td className="small">
                            {Object.entries(e.detail).map(([k, v]) => (
                              <span key={k}>
                                {k}: {v}
                                <br />
                              </span>
                            ))}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {accessCursor && (
                  <div className="table-actions">
                    <button type="button" className="btn btn-small" onClick={() => void loadAccess()}>
                      Load older events
                    </button>
                  </div>
                )}
              </>
            );
          }}
        </AsyncView>
      </section>
    </section>
  );
}
