import { useEffect, useState } from "react";
import { api, ApiError, csrf, problemOf, request, type Schemas } from "../../api/client";
import { useAsync } from "../../hooks/useAsync";
import type { Problem } from "../../lib/problem";
import { sessionDetail, sessionLabel, sortSessions } from "../../lib/sessions";
import { useSession } from "../../session";
import { AsyncView, ConfirmButton, Empty, ProblemAlert } from "../ui";

type Session = Schemas["auth.Session"];
type Page = { items: Session[]; next_cursor?: string };

/**
 * The person's active sessions, the current one first. Signing out another
 * session revokes it; signing out this one is signing out. generation
 * changes when something else ended sessions (a password change, 2FA).
 */
export function SessionsSection({ generation }: { generation: number }) {
  const { signOut, timeZone } = useSession();
  const first = useAsync((signal) => request(api.GET("/v1/sessions", { signal })) as Promise<Page>, [generation]);
  const [more, setMore] = useState<Page | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    setMore(null);
    setNow(Date.now());
  }, [first.data]);

  const nextCursor = more ? more.next_cursor : first.data?.next_cursor;

  async function loadMore() {
    if (!nextCursor) return;
    setLoadingMore(true);
    setProblem(undefined);
    try {
      const page = (await request(api.GET("/v1/sessions", { params: { query: { cursor: nextCursor } } }))) as Page;
      setMore((m) => ({ items: [...(m?.items ?? []), ...page.items], ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}) }));
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setLoadingMore(false);
    }
  }

  async function revoke(id: string) {
    setProblem(undefined);
    try {
      await request(api.DELETE("/v1/sessions/{id}", { params: { path: { id }, header: csrf } }));
    } catch (err) {
      // Gone already (it expired meanwhile): the reload shows the truth.
      if (!(err instanceof ApiError && err.status === 404)) setProblem(problemOf(err));
    }
    first.reload();
  }

  return (
    <section className="panel" aria-labelledby="sessions-heading">
      <div className="panel-header">
        <h2 id="sessions-heading">Sessions</h2>
        <button type="button" className="btn btn-small" onClick={first.reload} disabled={first.loading}>
          Refresh
        </button>
      </div>
      <p className="muted">Where you are signed in now. Sign out a session you do not recognise, then change your password.</p>
      {problem && <ProblemAlert problem={problem} compact />}
      <AsyncView state={first} label="Loading sessions…">
        {(page) => {
          const sessions = sortSessions([...page.items, ...(more?.items ?? [])]);
          if (sessions.length === 0) return <Empty title="No active sessions" />;
          return (
            <>
              <ul className="card-list" data-testid="sessions">
                {sessions.map((s) => {
                  const label = sessionLabel(s.user_agent);
                  return (
                    <li key={s.id} className="card" data-testid="session" data-current={s.current ? "true" : undefined}>
                      <div className="row-between">
                        <p>
                          <strong>{label}</strong> {s.current && <span className="badge badge-active">This session</span>}
                        </p>
                        {s.current ? (
                          <ConfirmButton
                            label="Sign out"
                            question="Sign out of this session?"
                            confirmLabel="Sign out"
                            onConfirm={() => void signOut()}
                          />
                        ) : (
                          <ConfirmButton
                            label="Sign out"
                            question={`Sign out ${label}? It will need to sign in again.`}
                            confirmLabel="Sign out session"
                            danger
                            onConfirm={() => void revoke(s.id)}
                          />
                        )}
                      </div>
                      <p className="small muted">{sessionDetail(s, now, timeZone)}</p>
                      {s.user_agent && (
                        <details className="data-details small">
                          <summary>Browser details</summary>
                          <code className="mono">{s.user_agent}</code>
                        </details>
                      )}
                    </li>
                  );
                })}
              </ul>
              {nextCursor && (
                <button type="button" className="btn" onClick={() => void loadMore()} disabled={loadingMore}>
                  {loadingMore ? "Loading…" : "Show more sessions"}
                </button>
              )}
            </>
          );
        }}
      </AsyncView>
    </section>
  );
}
