import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  color: string;
  fill?: string;
}

/**
 * A time series chart (uPlot, canvas). Styles are set through the CSSOM,
 * which the Content-Security-Policy allows; its CSS file is bundled. The
 * chart is an image to assistive technology: pages give the data as a table.
 */
export function Chart({
  data,
  series,
  format,
  timeZone,
  label,
  height = 280,
}: {
  data: uPlot.AlignedData;
  series: readonly ChartSeries[];
  format: (v: number | null) => string;
  timeZone: string;
  label: string;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const formatRef = useRef(format);
  formatRef.current = format;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        { stroke: "#5b6472", grid: { stroke: "#e6e9ef" }, ticks: { stroke: "#e6e9ef" } },
        {
          stroke: "#5b6472",
          grid: { stroke: "#e6e9ef" },
          ticks: { stroke: "#e6e9ef" },
          size: 80,
          values: (_u, vals) => vals.map((v) => formatRef.current(v)),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.fill ? { fill: s.fill } : {}),
          points: { show: false },
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => formatRef.current(v),
        })),
      ],
    };
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(280, el.clientWidth), height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Series layout or zone changes rebuild; data changes only update.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series.map((s) => s.label + s.color).join("|"), timeZone, height]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return <div className="chart" ref={box} role="img" aria-label={label} />;
}

export default Chart;
