import { type FormEvent, lazy, Suspense, useMemo, useState } from "react";
import { useParams } from "wouter";
import { api, type Metric, request } from "../api/client";
import { SeriesTable } from "../components/DataTable";
import { AsyncView, downloadText, Empty, Field, Loading, PageHeader, Segmented } from "../components/ui";
import { useAsync } from "../hooks/useAsync";
import { useTimeframe } from "../hooks/useTimeframe";
import { csvFileName, toCsv } from "../lib/csv";
import { addFilter, type Dimension, DIMENSIONS, dimensionLabel, type Filter, filterParam, MAX_FILTERS, valueLabel } from "../lib/filters";
import { formatValue, type Unit } from "../lib/format";
import { metricInfo, METRICS } from "../lib/metrics";
import { alignSeries, seriesRows, toPoints } from "../lib/series";
import { ariaSort, nextSort, sortRows, type SortState } from "../lib/sort";
import { allowedGranularities, autoGranularity, comparisonPeriods, formatBucket, formatPeriod, type Granularity, periodParam, TIMEFRAMES, timeframeMs } from "../lib/time";
import { useSession } from "../session";

const Chart = lazy(() => import("../components/Chart"));

const SPLIT_LIMIT = 5;
const PALETTE = ["#1f4fd1", "#0f8a5f", "#c2410c", "#7c3aed", "#b91c1c", "#0e7490"];
const GRANULARITY_LABELS: Record<Granularity, string> = { minute: "Minute", ten_minute: "10 minutes", hour: "Hour", day: "Day" };

export default function Explorer() {
  const { org } = useParams<{ org: string }>();
  const { timeZone } = useSession();
  const [timeframe, setTimeframe] = useTimeframe();
  const [metric, setMetric] = useState<Metric>("cdn_bytes");
  const [granularityChoice, setGranularityChoice] = useState<Granularity | "auto">("auto");
  const [filters, setFilters] = useState<Filter[]>([]);
  const [split, setSplit] = useState<Dimension | "">("");
  const [groupBy, setGroupBy] = useState<Dimension>("country");

  const period = useMemo(() => comparisonPeriods(timeframe, Date.now()).current, [timeframe]);
  const allowed = allowedGranularities(timeframeMs(timeframe));
  const granularity: Granularity =
    granularityChoice !== "auto" && allowed.includes(granularityChoice) ? granularityChoice : autoGranularity(timeframeMs(timeframe));
  const filterParams = filters.map(filterParam);
  const base = { "timeframe[]": periodParam(period), "filters[]": filterParams, timezone: timeZone };

  const integrations = useAsync(
    async (signal) => {
      const page = await request(api.GET("/v1/orgs/{org}/integrations", { params: { path: { org }, query: { limit: 100 } }, signal }));
      return new Map(page.items.map((i) => [i.id, i.name]));
    },
    [org],
  );
  const label = (dim: string, key: string) => (dim === "integration" ? integrations.data?.get(key) ?? key : valueLabel(key));

  const series = useAsync(
    async (signal) => {
      const ts = (extra: string[]) =>
        request(
          api.GET("/v1/orgs/{org}/analytics/timeseries", {
            params: { path: { org }, query: { ...base, "filters[]": [...filterParams, ...extra], metric, granularity } },
            signal,
          }),
        );
      if (!split) {
        const one = await ts([]);
        return { unit: one.unit as Unit, names: [metricInfo(metric).label], aligned: alignSeries([toPoints(one.data)]), approximate: one.approximate };
      }
      const top = await request(
        api.GET("/v1/orgs/{org}/analytics/breakdown", {
          params: { path: { org }, query: { ...base, metric, group_by: split, limit: SPLIT_LIMIT } },
          signal,
        }),
      );
      const keys = top.data.map((r) => r.key);
      const all = await Promise.all(keys.map((k) => ts([`${split}:${k}`])));
      return {
        unit: top.unit as Unit,
        names: keys.map((k) => label(split, k)),
        aligned: alignSeries(all.map((s) => toPoints(s.data))),
        approximate: all.some((s) => s.approximate),
      };
    },
    [org, metric, period, granularity, filterParams.join("&"), split, timeZone, integrations.data],
  );

  return (
    <section>
      <PageHeader
        title="Analytics"
        subtitle={formatPeriod(period, timeZone)}
        actions={<Segmented legend="Timeframe" options={TIMEFRAMES.map((t) => ({ id: t.id, label: t.id }))} value={timeframe} onChange={setTimeframe} />}
      />

      <form className="panel" aria-label="Query" onSubmit={(e) => e.preventDefault()}>
        <div className="form-row">
          <Field label="Metric" hint={metricInfo(metric).description}>
            {(ids) => (
              <select {...ids} value={metric} onChange={(e) => setMetric(e.target.value as Metric)}>
                {METRICS.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Granularity">
            {(ids) => (
              <select {...ids} value={granularityChoice} onChange={(e) => setGranularityChoice(e.target.value as Granularity | "auto")}>
                <option value="auto">Automatic ({GRANULARITY_LABELS[autoGranularity(timeframeMs(timeframe))].toLowerCase()})</option>
                {allowed.map((g) => (
                  <option key={g} value={g}>
                    {GRANULARITY_LABELS[g]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Split by" hint={`The ${SPLIT_LIMIT} largest values, one series each.`}>
            {(ids) => (
              <select {...ids} value={split} onChange={(e) => setSplit(e.target.value as Dimension | "")}>
                <option value="">No split</option>
                {DIMENSIONS.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <FilterEditor org={org} period={periodParam(period)} filters={filters} onChange={setFilters} label={label} />
      </form>

      <section className="panel" aria-labelledby="series-heading">
        <h2 id="series-heading">{metricInfo(metric).label} over time</h2>
        <p className="muted small">
          Per {GRANULARITY_LABELS[granularity].toLowerCase()}, times in {timeZone}.
        </p>
        <AsyncView state={series} label="Loading series…">
          {(s) =>
            s.aligned[0].length === 0 || s.names.length === 0 ? (
              <Empty title="No data for this query">
                <p>Try a longer timeframe or fewer filters.</p>
              </Empty>
            ) : (
              <>
                {s.approximate && <p className="small muted">Some values are approximate.</p>}
                <Suspense fallback={<Loading label="Loading chart…" />}>
                  <Chart
                    data={s.aligned}
                    series={s.names.map((n, i) => ({ label: n, color: PALETTE[i % PALETTE.length]! }))}
                    format={(v) => formatValue(v, s.unit)}
                    timeZone={timeZone}
                    label={`${metricInfo(metric).label}${split ? ` by ${dimensionLabel(split).toLowerCase()}` : ""}`}
                  />
                </Suspense>
                <SeriesResult names={s.names} aligned={s.aligned} unit={s.unit} granularity={granularity} timeZone={timeZone} filename={csvFileName([org, metric, split || "total", granularity])} />
              </>
            )
          }
        </AsyncView>
      </section>

      <BreakdownPanel
        org={org}
        metric={metric}
        groupBy={groupBy}
        onGroupBy={setGroupBy}
        query={{ ...base, granularity }}
        label={label}
        onFilter={(f) => setFilters((list) => addFilter(list, f))}
      />
    </section>
  );
}

function SeriesResult({ names, aligned, unit, granularity, timeZone, filename }: { names: string[]; aligned: ReturnType<typeof alignSeries>; unit: Unit; granularity: Granularity; timeZone: string; filename: string }) {
  const { header, rows } = seriesRows(names, aligned);
  return (
    <SeriesTable
      caption="Series values per bucket"
      header={["Start", ...header.slice(1)]}
      rows={rows}
      formatCell={(col, v) => (col === 0 ? formatBucket(v as number, granularity, timeZone) : formatValue(v as number | null, unit))}
      filename={filename}
      csvRows={rows.map(([t, ...vs]) => [new Date(t as number).toISOString(), ...vs])}
    />
  );
}

function FilterEditor({
  org,
  period,
  filters,
  onChange,
  label,
}: {
  org: string;
  period: string[];
  filters: Filter[];
  onChange: (f: Filter[]) => void;
  label: (dim: string, key: string) => string;
}) {
  const [dimension, setDimension] = useState<Dimension>("country");
  const [value, setValue] = useState<string>("");
  const [exclude, setExclude] = useState(false);
  const values = useAsync(
    async (signal) =>
      request(
        api.GET("/v1/orgs/{org}/analytics/dimensions/{dimension}", {
          params: { path: { org, dimension }, query: { "timeframe[]": period, limit: 200 } },
          signal,
        }),
      ),
    [org, dimension, period.join("/")],
  );
  const options = values.data?.data ?? [];
  const chosen = options.some((o) => o.value === value) ? value : options[0]?.value;

  function add(e: FormEvent) {
    e.preventDefault();
    if (chosen === undefined) return;
    onChange(addFilter(filters, { dimension, value: chosen, exclude }));
  }

  return (
    <fieldset>
      <legend>Filters</legend>
      {filters.length > 0 ? (
        <ul className="chips" aria-label="Active filters">
          {filters.map((f, i) => (
            <li key={filterParam(f)} className={`chip${f.exclude ? " chip-exclude" : ""}`}>
              {dimensionLabel(f.dimension)} {f.exclude ? "is not" : "is"} {label(f.dimension, f.value)}
              <button type="button" aria-label={`Remove filter ${dimensionLabel(f.dimension)} ${f.exclude ? "is not" : "is"} ${label(f.dimension, f.value)}`} onClick={() => onChange(filters.filter((_, j) => j !== i))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="small muted">No filters: every view counts.</p>
      )}
      <div className="form-row">
        <Field label="Dimension">
          {(ids) => (
            <select {...ids} value={dimension} onChange={(e) => { setDimension(e.target.value as Dimension); setValue(""); }}>
              {DIMENSIONS.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Condition">
          {(ids) => (
            <select {...ids} value={exclude ? "exclude" : "include"} onChange={(e) => setExclude(e.target.value === "exclude")}>
              <option value="include">is</option>
              <option value="exclude">is not</option>
            </select>
          )}
        </Field>
        <Field label="Value" error={values.error?.title}>
          {(ids) => (
            <select {...ids} value={chosen ?? ""} disabled={!options.length} onChange={(e) => setValue(e.target.value)}>
              {values.loading && !options.length && <option value="">Loading…</option>}
              {!values.loading && !options.length && <option value="">No values in this timeframe</option>}
              {options.map((o) => (
                <option key={o.value} value={o.value}>
                  {label(dimension, o.value)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="field">
          <button type="button" className="btn" onClick={add} disabled={chosen === undefined || filters.length >= MAX_FILTERS}>
            Add filter
          </button>
        </div>
      </div>
    </fieldset>
  );
}

type Row = { key: string; label: string; value: number | null };
type SortKey = "label" | "value";

function BreakdownPanel({
  org,
  metric,
  groupBy,
  onGroupBy,
  query,
  label,
  onFilter,
}: {
  org: string;
  metric: Metric;
  groupBy: Dimension;
  onGroupBy: (d: Dimension) => void;
  query: { "timeframe[]": string[]; "filters[]": string[]; timezone: string; granularity: Granularity };
  label: (dim: string, key: string) => string;
  onFilter: (f: Filter) => void;
}) {
  const [sort, setSort] = useState<SortState<SortKey>>({ key: "value", direction: "desc" });
  const [extra, setExtra] = useState<{ rows: { key: string; value: number | null }[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const queryKey = JSON.stringify(query);
  const page = useAsync(
    async (signal) => {
      setExtra(null);
      return request(
        api.GET("/v1/orgs/{org}/analytics/breakdown", {
          params: { path: { org }, query: { ...query, metric, group_by: groupBy, limit: 100 } },
          signal,
        }),
      );
    },
    [org, metric, groupBy, queryKey],
  );

  async function loadMore() {
    const cursor = extra?.cursor ?? page.data?.next_cursor;
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const next = await request(
        api.GET("/v1/orgs/{org}/analytics/breakdown", {
          params: { path: { org }, query: { ...query, metric, group_by: groupBy, limit: 100, cursor } },
        }),
      );
      setExtra({ rows: [...(extra?.rows ?? []), ...next.data], cursor: next.next_cursor ?? null });
    } finally {
      setLoadingMore(false);
    }
  }

  const unit = (page.data?.unit ?? metricInfo(metric).unit) as Unit;
  const rows: Row[] = [...(page.data?.data ?? []), ...(extra?.rows ?? [])].map((r) => ({ key: r.key, label: label(groupBy, r.key), value: r.value }));
  const sorted = sortRows(rows, sort, (r, k) => r[k]);
  const more = extra ? extra.cursor : page.data?.next_cursor;
  const columns: { key: SortKey; label: string; num: boolean; first: "asc" | "desc" }[] = [
    { key: "label", label: dimensionLabel(groupBy), num: false, first: "asc" },
    { key: "value", label: metricInfo(metric).label, num: true, first: "desc" },
  ];

  return (
    <section className="panel" aria-labelledby="breakdown-heading">
      <div className="panel-header">
        <h2 id="breakdown-heading">Breakdown</h2>
        <div className="form-row">
          <Field label="Group by">
            {(ids) => (
              <select {...ids} value={groupBy} onChange={(e) => onGroupBy(e.target.value as Dimension)}>
                {DIMENSIONS.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div className="field">
            <button
              type="button"
              className="btn"
              disabled={!rows.length}
              onClick={() =>
                downloadText(
                  csvFileName([org, metric, "by", groupBy]),
                  toCsv([groupBy, "name", `${metric} (${unit})`], sorted.map((r) => [r.key, r.label, r.value])),
                )
              }
            >
              Export CSV
            </button>
          </div>
        </div>
      </div>
      <AsyncView state={page} label="Loading breakdown…">
        {() =>
          rows.length === 0 ? (
            <Empty title="No data for this query" />
          ) : (
            <>
              <div className="table-scroll">
                <table>
                  <caption className="visually-hidden">
                    {metricInfo(metric).label} by {dimensionLabel(groupBy).toLowerCase()}; column headers sort the table.
                  </caption>
                  <thead>
                    <tr>
                      {columns.map((c) => (
                        <th key={c.key} scope="col" aria-sort={ariaSort(sort, c.key)} className={c.num ? "num" : undefined}>
                          <button type="button" className="sort-button" onClick={() => setSort(nextSort(sort, c.key, c.first))}>
                            {c.label}
                            <span aria-hidden="true">{sort.key === c.key ? (sort.direction === "asc" ? "↑" : "↓") : "↕"}</span>
                          </button>
                        </th>
                      ))}
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {sorted.map((r) => (
                      <tr key={r.key}>
                        <th scope="row">{r.label}</th>
                        <td className="num">{formatValue(r.value, unit)}</td>
                        <td className="num">
                          <button type="button" className="link-button small" onClick={() => onFilter({ dimension: groupBy, value: r.key, exclude: false })}>
                            Filter<span className="visually-hidden"> on {r.label}</span>
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {more && (
                <div className="table-actions">
                  <button type="button" className="btn btn-small" onClick={() => void loadMore()} disabled={loadingMore}>
                    {loadingMore ? "Loading…" : "Load more rows"}
                  </button>
                </div>
              )}
            </>
          )
        }
      </AsyncView>
    </section>
  );
}
