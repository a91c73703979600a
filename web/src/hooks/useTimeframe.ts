import { useSearchParams } from "wouter";
import { isTimeframeId, type TimeframeId } from "../lib/time";

/** The timeframe chosen on a page, kept in the address (?timeframe=7d) so links keep it. */
export function useTimeframe(fallback: TimeframeId = "24h"): [TimeframeId, (t: TimeframeId) => void] {
  const [params, setParams] = useSearchParams();
  const raw = params.get("timeframe");
  const value = isTimeframeId(raw) ? raw : fallback;
  const set = (t: TimeframeId) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        next.set("timeframe", t);
        return next;
      },
      { replace: true },
    );
  return [value, set];
}
