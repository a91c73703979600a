import { useEffect, useId, useRef, useState } from "react";
import { useLocation } from "wouter";
import { api, type Organization, request } from "../api/client";
import { useAsync } from "../hooks/useAsync";
import { useMe } from "../session";

/**
 * Picks the organization to work in. Members choose among theirs; staff
 * search every organization (the staff list, /v1/orgs?q=).
 */
export function OrgSwitcher({ current, currentId }: { current: Organization | undefined; currentId: string | undefined }) {
  const me = useMe();
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const [debounced, setDebounced] = useState("");
  const [location, navigate] = useLocation();
  const panelId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const t = setTimeout(() => setDebounced(query.trim()), 250);
    return () => clearTimeout(t);
  }, [query]);

  const mine = me.organizations ?? me.orgs.map((o) => ({ id: o.id, name: o.id, slug: "", status: "active" }) as Organization);
  const staffList = useAsync<Organization[] | undefined>(
    async (signal) => {
      if (!me.staff || !open) return undefined;
      const page = await request(api.GET("/v1/orgs", { params: { query: { limit: 50, ...(debounced ? { q: debounced } : {}) } }, signal }));
      return page.items;
    },
    [me.staff, open, debounced],
  );

  const q = query.trim().toLowerCase();
  const list: Organization[] = me.staff
    ? staffList.data ?? []
    : mine.filter((o) => !q || o.name.toLowerCase().includes(q) || o.slug.includes(q));

  useEffect(() => {
    if (open) inputRef.current?.focus();
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (rootRef.current && !rootRef.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  function choose(id: string) {
    setOpen(false);
    setQuery("");
    // Keep the section (analytics, integrations…) when switching.
    const section = currentId ? location.replace(/^\/orgs\/[^/]+/, "").split("/").slice(0, 2).join("/") : "";
    navigate(`/orgs/${encodeURIComponent(id)}${section}`);
    buttonRef.current?.focus();
  }

  return (
    <div
      className="org-switcher"
      ref={rootRef}
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          setOpen(false);
          buttonRef.current?.focus();
        }
      }}
    >
      <button
        ref={buttonRef}
        type="button"
        className="btn org-switcher-button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen(!open)}
      >
        <span className="visually-hidden">Organization: </span>
        {current?.name ?? (currentId ? "Organization" : "Choose an organization")}
        <span aria-hidden="true"> ▾</span>
      </button>
      {open && (
        <div id={panelId} className="org-panel" role="group" aria-label="Switch organization">
          <label htmlFor={`${panelId}-q`} className="small">
            {me.staff ? "Search all organizations" : "Find an organization"}
          </label>
          <input
            id={`${panelId}-q`}
            ref={inputRef}
            type="search"
            value={query}
            placeholder={me.staff ? "Name, slug or id" : "Name"}
            onChange={(e) => setQuery(e.target.value)}
          />
          {me.staff && staffList.loading && <p className="small muted" role="status">Searching…</p>}
          {me.staff && staffList.error && <p className="small field-error" role="alert">{staffList.error.title}</p>}
          <ul className="org-list">
            {list.map((o) => (
              <li key={o.id}>
                <button type="button" className="org-option" aria-current={o.id === currentId ? "true" : undefined} onClick={() => choose(o.id)}>
                  <span>{o.name}</span>
                  <span className="small muted">
                    {o.slug}
                    {o.status === "suspended" ? " · suspended" : ""}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {list.length === 0 && !staffList.loading && <p className="small muted">No organization matches.</p>}
        </div>
      )}
    </div>
  );
}
