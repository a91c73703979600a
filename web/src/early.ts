// The first script of every visit, small and run before the app's entry has
// even been evaluated: it starts the requests the first screen will make
// (see api/early.ts), so they are answered by the time the app asks.

import { earlyApi } from "./api/client";
import { startOverviewEarly } from "./pages/overviewData";

const ignore = () => undefined;
// Every screen but the public ones begins by asking who is signed in.
earlyApi.GET("/v1/me").catch(ignore);
startOverviewEarly(window.location.pathname, window.location.search, Date.now());
