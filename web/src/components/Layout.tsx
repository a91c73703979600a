import { type ReactNode, useEffect, useRef, useState } from "react";
import { Link, useLocation } from "wouter";
import { useOrg } from "../hooks/useOrg";
import { hasRole, useMe, useSession } from "../session";
import { OrgSwitcher } from "./OrgSwitcher";

/** The organization in the address, if any: /orgs/{org}/... */
export function orgFromPath(path: string): string | undefined {
  const m = /^\/orgs\/([^/]+)/.exec(path);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

export function Layout({ children }: { children: ReactNode }) {
  const me = useMe();
  const { signOut } = useSession();
  const [location] = useLocation();
  const orgId = orgFromPath(location);
  const org = useOrg(orgId);
  const [menuOpen, setMenuOpen] = useState(false);
  const navRef = useRef<HTMLElement>(null);

  useEffect(() => setMenuOpen(false), [location]);

  const nav: { href: string; label: string; show: boolean }[] = orgId
    ? [
        { href: `/orgs/${orgId}`, label: "Overview", show: true },
        { href: `/orgs/${orgId}/analytics`, label: "Analytics", show: true },
        { href: `/orgs/${orgId}/integrations`, label: "Integrations", show: true },
        { href: `/orgs/${orgId}/members`, label: "Members", show: true },
        { href: `/orgs/${orgId}/api-keys`, label: "API keys", show: hasRole(me, orgId, "admin") },
        { href: `/orgs/${orgId}/audit`, label: "Audit log", show: hasRole(me, orgId, "admin") },
      ]
    : [];

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          Portico
        </Link>
        <OrgSwitcher current={org.data} currentId={orgId} />
        <button
          type="button"
          className="btn btn-small menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
      </header>
      <div className="frame">
        <nav id="primary-nav" ref={navRef} className={`sidebar${menuOpen ? " open" : ""}`} aria-label="Main">
          {nav.length > 0 && (
            <ul>
              {nav
                .filter((n) => n.show)
                .map((n) => {
                  const current = n.href === `/orgs/${orgId}` ? location === n.href : location.startsWith(n.href);
                  return (
                    <li key={n.href}>
                      <Link href={n.href} aria-current={current ? "page" : undefined}>
                        {n.label}
                      </Link>
                    </li>
                  );
                })}
            </ul>
          )}
          <ul className="nav-secondary">
            <li>
              <Link href="/account" aria-current={location === "/account" ? "page" : undefined}>
                Account
              </Link>
            </li>
            {me.staff && (
              <li>
                <Link href="/staff/orgs" aria-current={location.startsWith("/staff") ? "page" : undefined}>
                  Staff: organizations
                </Link>
              </li>
            )}
            <li>
              <button type="button" className="nav-button" onClick={() => void signOut()}>
                Sign out
              </button>
            </li>
          </ul>
          <p className="signed-in-as small muted">
            Signed in as {me.profile?.display_name || "you"}
            {me.staff ? " (staff)" : ""}
          </p>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          {org.data?.status === "suspended" && (
            <div className="alert alert-warning" role="status">
              <p className="alert-title">This organization is suspended</p>
              <p>Its players get no peer-to-peer delivery settings until it is reactivated.</p>
            </div>
          )}
          {children}
        </main>
      </div>
    </div>
  );
}
