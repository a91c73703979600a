import { type FormEvent, useState } from "react";
import { useParams } from "wouter";
import { api, problemOf, request, type Role } from "../api/client";
import { AsyncView, ConfirmButton, Empty, Field, Notice, PageHeader, ProblemAlert, StatusBadge } from "../components/ui";
import { useAsync } from "../hooks/useAsync";
import { fieldErrors, type Problem } from "../lib/problem";
import { memberDetail, memberLabel } from "../lib/members";
import { formatDateTime } from "../lib/time";
import { hasRole, useMe, useSession } from "../session";

const ROLES: { id: Role; label: string; description: string }[] = [
  { id: "viewer", label: "Viewer", description: "Sees analytics and settings." },
  { id: "editor", label: "Editor", description: "Also changes delivery settings." },
  { id: "admin", label: "Admin", description: "Also manages integrations, members, keys." },
  { id: "owner", label: "Owner", description: "Everything, including deleting integrations." },
];

export default function Members() {
  const { org } = useParams<{ org: string }>();
  const me = useMe();
  const { timeZone } = useSession();
  const canManage = hasRole(me, org, "admin");
  const isOwner = hasRole(me, org, "owner");
  const members = useAsync((signal) => request(api.GET("/v1/orgs/{org}/members", { params: { path: { org }, query: { limit: 100 } }, signal })), [org]);
  const invitations = useAsync(
    async (signal) => (canManage ? request(api.GET("/v1/orgs/{org}/invitations", { params: { path: { org }, query: { limit: 100 } }, signal })) : { items: [] }),
    [org, canManage],
  );
  const [problem, setProblem] = useState<Problem>();
  const [notice, setNotice] = useState("");

  async function act(fn: () => Promise<unknown>, done: string) {
    setProblem(undefined);
    setNotice("");
    try {
      await fn();
      setNotice(done);
      members.reload();
      invitations.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  }

  return (
    <section>
      <PageHeader title="Members" subtitle="People who can sign in to this organization, and their roles." />
      {problem && <ProblemAlert problem={problem} />}
      {notice && <Notice tone="success">{notice}</Notice>}
      {canManage && <Invite org={org} canInviteOwner={isOwner} onInvited={(email) => { setNotice(`Invitation sent to ${email}.`); invitations.reload(); }} />}
      <section className="panel" aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <AsyncView state={members} label="Loading members…">
          {(page) =>
            page.items.length === 0 ? (
              <Empty title="No members yet" />
            ) : (
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Member</th>
                      <th scope="col">Role</th>
                      <th scope="col">Since</th>
                      {canManage && (
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      )}
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((m) => (
                      <tr key={m.identity_id}>
                        <th scope="row" title={m.identity_id}>
                          {memberLabel(m)}
                          {m.identity_id === me.identity_id && <span className="muted"> (you)</span>}
                          {memberDetail(m) && <div className="muted small">{memberDetail(m)}</div>}
                        </th>
                        <td>
                          {canManage && (isOwner || m.role !== "owner") ? (
                            <select
                              aria-label={`Role of ${memberLabel(m)}`}
                              value={m.role}
                              onChange={(e) => void act(() => request(api.PUT("/v1/orgs/{org}/members/{identity}", { params: { path: { org, identity: m.identity_id } }, body: { role: e.target.value as Role } })), "Role changed.")}
                            >
                              {ROLES.filter((r) => isOwner || r.id !== "owner").map((r) => (
                                <option key={r.id} value={r.id}>
                                  {r.label}
                                </option>
                              ))}
                            </select>
                          ) : (
                            m.role
                          )}
                        </td>
                        <td className="small">{formatDateTime(m.created_at, timeZone)}</td>
                        {canManage && (
                          <td>
                            {(isOwner || m.role !== "owner") && (
                              <ConfirmButton
                                label="Remove"
                                question={m.identity_id === me.identity_id ? "Leave this organization?" : "Remove this member?"}
                                confirmLabel="Remove"
                                danger
                                onConfirm={() => void act(() => request(api.DELETE("/v1/orgs/{org}/members/{identity}", { params: { path: { org, identity: m.identity_id } } })), "Member removed.")}
                              />
                            )}
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </AsyncView>
      </section>
      {canManage && (
        <section className="panel" aria-labelledby="invitations-heading">
          <h2 id="invitations-heading">Invitations</h2>
          <AsyncView state={invitations} label="Loading invitations…">
            {(page) => {
              const pending = page.items.filter((i) => i.status === "pending");
              return pending.length === 0 ? (
                <Empty title="No pending invitations" />
              ) : (
                <div className="table-scroll">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">E-mail</th>
                        <th scope="col">Role</th>
                        <th scope="col">Status</th>
                        <th scope="col">Expires</th>
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {pending.map((i) => (
                        <tr key={i.id}>
                          <th scope="row">{i.email}</th>
                          <td>{i.role}</td>
                          <td>
                            <StatusBadge status={i.expired ? "expired" : i.status} />
                          </td>
                          <td className="small">{formatDateTime(i.expires_at, timeZone)}</td>
                          <td>
                            <span className="form-actions">
                              <button type="button" className="btn btn-small" onClick={() => void act(() => request(api.POST("/v1/orgs/{org}/invitations/{invitation}/resend", { params: { path: { org, invitation: i.id } } })), `Invitation sent again to ${i.email}.`)}>
                                Resend<span className="visually-hidden"> to {i.email}</span>
                              </button>
                              <ConfirmButton label="Revoke" question={`Revoke the invitation of ${i.email}?`} confirmLabel="Revoke" danger onConfirm={() => void act(() => request(api.DELETE("/v1/orgs/{org}/invitations/{invitation}", { params: { path: { org, invitation: i.id } } })), "Invitation revoked.")} />
                            </span>
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
      )}
    </section>
  );
}

function Invite({ org, canInviteOwner, onInvited }: { org: string; canInviteOwner: boolean; onInvited: (email: string) => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      await request(api.POST("/v1/orgs/{org}/invitations", { params: { path: { org } }, body: { email: email.trim(), role } }));
      onInvited(email.trim());
      setEmail("");
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  const errs = fieldErrors(problem).byPointer;
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite someone</h2>
      {problem && <ProblemAlert problem={problem} compact />}
      <div className="form-row">
        <Field label="E-mail address" error={errs["/email"]}>
          {(ids) => <input {...ids} type="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Role" hint={ROLES.find((r) => r.id === role)?.description} error={errs["/role"]}>
          {(ids) => (
            <select {...ids} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.filter((r) => canInviteOwner || r.id !== "owner").map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="field">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Sending…" : "Send invitation"}
          </button>
        </div>
      </div>
    </form>
  );
}
