import { Link, Redirect } from "wouter";
import { Empty, PageHeader } from "../components/ui";
import { useMe } from "../session";

/** The start page: straight to the only organization, or a choice. */
export default function Home() {
  const me = useMe();
  const orgs = me.organizations ?? me.orgs.map((o) => ({ id: o.id, name: o.id, slug: "", status: "active" as const }));
  if (orgs.length === 1 && !me.staff) return <Redirect to={`/orgs/${orgs[0]!.id}`} replace />;
  return (
    <section>
      <PageHeader title="Organizations" subtitle={me.staff ? "You are staff: search every organization from the switcher or the staff list." : undefined} />
      {me._outcome && !me._outcome.complete && (
        <div className="alert alert-warning" role="status">
          <p className="alert-title">Some of your account could not be loaded</p>
          <p>The organization names may be missing; try again in a moment.</p>
        </div>
      )}
      {orgs.length === 0 ? (
        <Empty title="You are not a member of any organization yet">
          <p>Ask an owner of your organization for an invitation.</p>
          {me.staff && (
            <p>
              <Link href="/staff/orgs">Browse all organizations</Link>
            </p>
          )}
        </Empty>
      ) : (
        <ul className="card-list">
          {orgs.map((o) => (
            <li key={o.id} className="card">
              <Link href={`/orgs/${o.id}`} className="card-link">
                {o.name}
              </Link>
              <p className="small muted">
                {o.slug} · {me.orgs.find((x) => x.id === o.id)?.role ?? (me.staff ? "staff" : "")}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
