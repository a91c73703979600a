import { lazy, Suspense, useEffect } from "react";
import { Redirect, Route, Switch, useLocation } from "wouter";
import { Loading, ProblemAlert } from "./components/ui";
import { Layout } from "./components/Layout";
import { SessionProvider, useSession } from "./session";
import { SignIn } from "./pages/SignIn";
// Where most visits begin, so in the entry: a lazily loaded screen
// suspends its first render, and React then holds the screen back for
// 300 ms after the fallback, however soon its script and data are in.
import Overview from "./pages/Overview";
import { safeNext } from "./lib/links";

const Explorer = lazy(() => import("./pages/Explorer"));
const Integrations = lazy(() => import("./pages/Integrations"));
const IntegrationDetail = lazy(() => import("./pages/IntegrationDetail"));
const Members = lazy(() => import("./pages/Members"));
const ApiKeys = lazy(() => import("./pages/ApiKeys"));
const Audit = lazy(() => import("./pages/Audit"));
const StaffOrgs = lazy(() => import("./pages/StaffOrgs"));
const Home = lazy(() => import("./pages/Home"));
const AcceptInvitation = lazy(() => import("./pages/AcceptInvitation"));
const ResetPassword = lazy(() => import("./pages/ResetPassword"));
const Account = lazy(() => import("./pages/Account"));

export function App() {
  return (
    <SessionProvider>
      <Suspense fallback={<Loading />}>
        <Switch>
          {/* Public pages: links from mails, reachable signed in or not. */}
          <Route path="/accept-invitation" component={AcceptInvitation} />
          <Route path="/reset-password" component={ResetPassword} />
          <Route path="/forgot-password" component={ResetPassword} />
          <Route>
            <Gate />
          </Route>
        </Switch>
      </Suspense>
    </SessionProvider>
  );
}

/** Signed in: the dashboard. Signed out: the sign-in page, then back where the person was going. */
function Gate() {
  const { state, refresh } = useSession();
  const [location, navigate] = useLocation();

  useEffect(() => {
    if (state.status === "signed-out" && location !== "/sign-in") {
      const next = location === "/" ? "" : `?next=${encodeURIComponent(location + window.location.search)}`;
      navigate(`/sign-in${next}`, { replace: true });
    }
  }, [state.status, location, navigate]);

  switch (state.status) {
    case "loading":
      return (
        <main className="centered">
          <Loading label="Loading your account…" />
        </main>
      );
    case "error":
      return (
        <main className="centered">
          <ProblemAlert problem={state.problem} onRetry={() => void refresh()} />
        </main>
      );
    case "signed-out":
      return <SignIn expired={state.expired} />;
    case "signed-in":
      return (
        <Layout>
          <Suspense fallback={<Loading />}>
            <Switch>
              <Route path="/sign-in">
                <AfterSignIn />
              </Route>
              <Route path="/" component={Home} />
              <Route path="/orgs/:org" component={Overview} />
              <Route path="/orgs/:org/analytics" component={Explorer} />
              <Route path="/orgs/:org/integrations" component={Integrations} />
              <Route path="/orgs/:org/integrations/:integration" component={IntegrationDetail} />
              <Route path="/orgs/:org/members" component={Members} />
              <Route path="/orgs/:org/api-keys" component={ApiKeys} />
              <Route path="/orgs/:org/audit" component={Audit} />
              <Route path="/staff/orgs" component={StaffOrgs} />
              <Route path="/account" component={Account} />
              <Route component={NotFound} />
            </Switch>
          </Suspense>
        </Layout>
      );
  }
}

/** Signed in while on /sign-in: go where the person was going, if it is a page of this app. */
function AfterSignIn() {
  return <Redirect to={safeNext(new URLSearchParams(window.location.search).get("next"))} replace />;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <a href="/">Go to the dashboard</a>.
      </p>
    </section>
  );
}
