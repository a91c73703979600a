import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { api, ApiError, csrf, onUnauthenticated, request } from "./api/client";
import type { paths } from "./api/schema";
import { browserTimeZone, resolveTimeZone } from "./lib/time";
import type { Problem } from "./lib/problem";
import { problemOf } from "./api/client";

export type Me = paths["/v1/me"]["get"]["responses"][200]["content"]["application/json"];

type State =
  | { status: "loading" }
  | { status: "signed-out"; expired: boolean }
  | { status: "error"; problem: Problem }
  | { status: "signed-in"; me: Me };

interface SessionContext {
  state: State;
  /** Reads /v1/me again (after sign-in, or a change of membership). */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
  /** The time zone to show times in: the profile's, else the browser's. */
  timeZone: string;
}

const Ctx = createContext<SessionContext | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ status: "loading" });

  const refresh = useCallback(async () => {
    try {
      const me = await request(api.GET("/v1/me"));
      setState({ status: "signed-in", me });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setState({ status: "signed-out", expired: false });
      else setState({ status: "error", problem: problemOf(err) });
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(
    () =>
      onUnauthenticated(() =>
        setState((s) => (s.status === "signed-in" ? { status: "signed-out", expired: true } : s)),
      ),
    [],
  );

  const signOut = useCallback(async () => {
    try {
      await request(api.POST("/v1/logout", { params: { header: csrf } }));
    } catch {
      // The session may be gone already; signed out either way.
    }
    setState({ status: "signed-out", expired: false });
  }, []);

  const profileTz = state.status === "signed-in" ? state.me.profile?.timezone : undefined;
  const timeZone = useMemo(() => resolveTimeZone(profileTz, browserTimeZone()), [profileTz]);

  const value = useMemo(() => ({ state, refresh, signOut, timeZone }), [state, refresh, signOut, timeZone]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error("useSession outside SessionProvider");
  return ctx;
}

/** The signed-in caller; only for screens behind the sign-in gate. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== "signed-in") throw new Error("useMe while not signed in");
  return state.me;
}

/** The caller's role in an organization; staff pass every role check. */
export function roleIn(me: Me, orgId: string): "owner" | "admin" | "editor" | "viewer" | undefined {
  return me.orgs.find((o) => o.id === orgId)?.role;
}

const RANK = { viewer: 1, editor: 2, admin: 3, owner: 4 } as const;

/** True when the caller has at least the role in the organization, or is staff. */
export function hasRole(me: Me, orgId: string, min: keyof typeof RANK): boolean {
  if (me.staff) return true;
  const r = roleIn(me, orgId);
  return r !== undefined && RANK[r] >= RANK[min];
}
