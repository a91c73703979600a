import { lazy, Suspense, useMemo } from "react";
import { Link, useParams } from "wouter";
import { api, type Metric } from "../api/client";
import { SeriesTable } from "../components/DataTable";
import { AsyncView, Empty, Loading, PageHeader, ProblemAlert, Segmented, StatusBadge } from "../components/ui";
import { useAsync } from "../hooks/useAsync";
import { useTimeframe } from "../hooks/useTimeframe";
import { csvFileName } from "../lib/csv";
import { changeTone, computeChange, describeChange, formatChange } from "../lib/delta";
import { formatBitRate, formatBytes, formatCount, formatRatio, formatValue, type Unit } from "../lib/format";
import { changeKindOf, metricInfo, OVERVIEW_METRICS } from "../lib/metrics";
import { problemOf } from "../api/client";
import type { Problem } from "../lib/problem";
import { alignSeries, bytesToBitRate, seriesRows, shareOf, toPoints } from "../lib/series";
import { comparisonPeriods, formatBucket, formatPeriod, type Granularity, TIMEFRAMES, type TimeframeId } from "../lib/time";
import { CHART_GRANULARITY, overviewCalls, TRAFFIC_METRICS } from "./overviewData";
import { useSession } from "../session";

const Chart = lazy(() => import("../components/Chart"));

interface FigureResult {
  metric: Metric;
  unit: Unit;
  current: number | null;
  previous: number | null;
  approximate: boolean;
  problem?: Problem;
}

export default function Overview() {
  const { org } = useParams<{ org: string }>();
  const [timeframe, setTimeframe] = useTimeframe();
  const { timeZone } = useSession();
  const calls = useMemo(() => overviewCalls(api, org), [org]);

  // The periods are fixed when the timeframe is chosen, so that every figure compares the same hours.
  const periods = useMemo(() => comparisonPeriods(timeframe, Date.now()), [timeframe]);

  const overview = useAsync((signal) => calls.overview(timeframe, signal), [calls, timeframe]);

  const figures = useAsync<FigureResult[]>(
    (signal) =>
      Promise.all(
        OVERVIEW_METRICS.map(async (metric): Promise<FigureResult> => {
          const info = metricInfo(metric);
          try {
            const [cur, prev] = await Promise.all([calls.overall(metric, periods.current, signal), calls.overall(metric, periods.previous, signal)]);
            return { metric, unit: cur.unit, current: cur.data.value, previous: prev.data.value, approximate: cur.approximate || prev.approximate };
          } catch (err) {
            if (signal.aborted) throw err;
            return { metric, unit: info.unit, current: null, previous: null, approximate: false, problem: problemOf(err) };
          }
        }),
      ),
    [calls, periods],
  );

  const granularity = CHART_GRANULARITY[timeframe];
  const traffic = useAsync(
    async (signal) => {
      const [cdn, p2p] = await Promise.all(TRAFFIC_METRICS.map((m) => calls.timeseries(m, periods.current, granularity, timeZone, signal)));
      const end = Date.parse(cdn!.timeframe[1]!);
      const cdnRate = bytesToBitRate(toPoints(cdn!.data), end);
      const p2pRate = bytesToBitRate(toPoints(p2p!.data), end);
      return { aligned: alignSeries([cdnRate, p2pRate]), cdn: cdn!, p2p: p2p! };
    },
    [calls, periods, granularity, timeZone],
  );

  const failedFigures = figures.data?.filter((f) => f.problem) ?? [];
  const outcome = overview.data?._outcome;
  const missingSteps = outcome && !outcome.complete ? outcome.steps.filter((s) => s.use !== "result") : [];
  const orgName = overview.data?.organization.name;

  return (
    <section aria-busy={figures.loading || traffic.loading}>
      <PageHeader
        title={orgName ? `${orgName}: overview` : "Overview"}
        subtitle={<>Figures for {formatPeriod(periods.current, timeZone)}, compared with the {timeframeLabel(timeframe)} before.</>}
        actions={<Segmented legend="Timeframe" options={TIMEFRAMES.map((t) => ({ id: t.id, label: t.id }))} value={timeframe} onChange={setTimeframe} />}
      />

      {(missingSteps.length > 0 || failedFigures.length > 0) && (
        <div className="alert alert-warning" role="status" data-testid="partial-data">
          <p className="alert-title">Some data could not be loaded</p>
          <p>
            This page shows what was available.
            {missingSteps.length > 0 && <> Missing: {missingSteps.map((s) => `${s.step} (${s.kind.replace(/_/g, " ")})`).join(", ")}.</>}
            {failedFigures.length > 0 && <> Figures without data: {failedFigures.map((f) => metricInfo(f.metric).label).join(", ")}.</>}
          </p>
          <button type="button" className="btn btn-small" onClick={() => { overview.reload(); figures.reload(); traffic.reload(); }}>
            Try again
          </button>
        </div>
      )}

      <h2 className="visually-hidden">Key figures</h2>
      {figures.error ? (
        <ProblemAlert problem={figures.error} onRetry={figures.reload} />
      ) : !figures.data ? (
        <Loading label="Loading key figures…" />
      ) : (
        <ul className="figures" aria-label="Key figures">
          {figures.data.map((f) => (
            <FigureCard key={f.metric} figure={f} timeframe={timeframe} />
          ))}
        </ul>
      )}

      <section className="panel" aria-labelledby="traffic-heading">
        <h2 id="traffic-heading">CDN and P2P traffic</h2>
        <p className="muted small">Mean bit rate per {granularityLabel(granularity)}, times in {timeZone}.</p>
        <AsyncView state={traffic} label="Loading traffic…">
          {(t) =>
            t.cdn.data.every((d) => !d.value) && t.p2p.data.every((d) => !d.value) ? (
              <Empty title="No traffic in this timeframe">
                <p>Players report traffic once an integration is live.</p>
              </Empty>
            ) : (
              <>
                <Suspense fallback={<Loading label="Loading chart…" />}>
                  <Chart
                    data={t.aligned}
                    series={[
                      { label: "CDN", color: "#1f4fd1", fill: "rgba(31,79,209,0.08)" },
                      { label: "P2P", color: "#0f8a5f", fill: "rgba(15,138,95,0.10)" },
                    ]}
                    format={formatBitRate}
                    timeZone={timeZone}
                    label={`CDN and P2P bit rate, ${timeframeLabel(timeframe)}`}
                  />
                </Suspense>
                <TrafficTable aligned={t.aligned} granularity={granularity} timeZone={timeZone} org={org} />
              </>
            )
          }
        </AsyncView>
      </section>

      <section className="panel" aria-labelledby="usage-heading">
        <h2 id="usage-heading">Integrations, last {timeframeLabel(timeframe)}</h2>
        <AsyncView state={overview} label="Loading integrations…">
          {(o) => <UsageTable org={org} integrations={o.integrations} usage={o.usage} />}
        </AsyncView>
      </section>
    </section>
  );
}

function timeframeLabel(t: TimeframeId) {
  return { "24h": "24 hours", "7d": "7 days", "30d": "30 days" }[t];
}

function granularityLabel(g: Granularity) {
  return { minute: "minute", ten_minute: "10 minutes", hour: "hour", day: "day" }[g];
}

function FigureCard({ figure, timeframe }: { figure: FigureResult; timeframe: TimeframeId }) {
  const info = metricInfo(figure.metric);
  const change = computeChange(figure.current, figure.previous, changeKindOf(figure.unit));
  const tone = changeTone(change, info.polarity);
  const previousText = formatValue(figure.previous, figure.unit);
  const id = `figure-${figure.metric}-label`;
  return (
    <li
      className="figure"
      data-testid={`figure-${figure.metric}`}
      data-value={figure.current ?? ""}
      data-previous={figure.previous ?? ""}
      aria-labelledby={id}
    >
      <h3 id={id} className="figure-label">
        {info.label}
      </h3>
      {figure.problem ? (
        <p className="figure-value muted" title={figure.problem.title}>
          Unavailable
        </p>
      ) : (
        <>
          <p className="figure-value">
            {figure.approximate && <abbr title="Approximate">≈</abbr>}
            {formatValue(figure.current, figure.unit)}
          </p>
          <p className={`figure-change tone-${tone}`}>
            <span aria-hidden="true">
              {change.direction === "up" ? "▲ " : change.direction === "down" ? "▼ " : ""}
              {formatChange(change)}
            </span>
            <span className="visually-hidden">{describeChange(change, previousText)}</span>
            <span className="muted" aria-hidden="true">
              {" "}
              vs previous {timeframe}
            </span>
          </p>
        </>
      )}
    </li>
  );
}

function TrafficTable({ aligned, granularity, timeZone, org }: { aligned: ReturnType<typeof alignSeries>; granularity: Granularity; timeZone: string; org: string }) {
  const { header, rows } = seriesRows(["CDN (bit/s)", "P2P (bit/s)"], aligned);
  return (
    <SeriesTable
      caption="CDN and P2P bit rate per bucket"
      header={["Start", header[1]!, header[2]!]}
      rows={rows}
      formatCell={(col, v) => (col === 0 ? formatBucket(v as number, granularity, timeZone) : formatBitRate(v as number | null))}
      filename={csvFileName([org, "traffic", granularity])}
      csvRows={rows.map(([t, ...vs]) => [new Date(t as number).toISOString(), ...vs])}
    />
  );
}

type Usage = { integration_id: string; viewers: number; viewers_approximate: boolean; cdn_bytes: number; p2p_bytes: number }[];

function UsageTable({ org, integrations, usage }: { org: string; integrations: { id: string; name: string; environment: string; status: string }[]; usage: Usage | undefined }) {
  if (integrations.length === 0) {
    return (
      <Empty title="No integrations yet">
        <p>
          <Link href={`/orgs/${org}/integrations`}>Create an integration</Link> to get a delivery key for your player.
        </p>
      </Empty>
    );
  }
  const byId = new Map((usage ?? []).map((u) => [u.integration_id, u]));
  return (
    <div className="table-scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Integration</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">Viewers</th>
            <th scope="col" className="num">CDN</th>
            <th scope="col" className="num">P2P</th>
            <th scope="col" className="num">Offload</th>
          </tr>
        </thead>
        <tbody>
          {integrations.map((i) => {
            const u = byId.get(i.id);
            const missing = usage === undefined;
            return (
              <tr key={i.id}>
                <th scope="row">
                  <Link href={`/orgs/${org}/integrations/${i.id}`}>{i.name}</Link>
                  <span className="small muted"> · {i.environment}</span>
                </th>
                <td><StatusBadge status={i.status} /></td>
                <td className="num">{missing ? "—" : <>{u?.viewers_approximate ? "≈" : ""}{formatCount(u?.viewers ?? 0)}</>}</td>
                <td className="num">{missing ? "—" : formatBytes(u?.cdn_bytes ?? 0)}</td>
                <td className="num">{missing ? "—" : formatBytes(u?.p2p_bytes ?? 0)}</td>
                <td className="num">{missing ? "—" : formatRatio(shareOf(u?.p2p_bytes, u?.cdn_bytes))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
