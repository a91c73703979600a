import { useState } from "react";
import { toCsv } from "../lib/csv";
import { downloadText } from "./ui";

/**
 * A plain table of series values, with a CSV download: the accessible twin
 * of a chart. Closed until asked for, and rendered only then: a first
 * screen need not format hundreds of cells nobody sees yet.
 */
export function SeriesTable({
  caption,
  header,
  rows,
  formatCell,
  filename,
  csvRows,
}: {
  caption: string;
  header: readonly string[];
  rows: readonly (readonly (string | number | null)[])[];
  formatCell: (col: number, v: string | number | null) => string;
  filename: string;
  csvRows: readonly (readonly (string | number | null)[])[];
}) {
  const [open, setOpen] = useState(false);
  return (
    <details className="data-details" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Show the data as a table</summary>
      {open && (
        <>
          <div className="table-actions">
            <button type="button" className="btn btn-small" onClick={() => downloadText(filename, toCsv(header, csvRows))}>
              Download CSV
            </button>
          </div>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">{caption}</caption>
              <thead>
                <tr>
                  {header.map((h) => (
                    <th key={h} scope="col">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r, i) => (
                  <tr key={i}>
                    {r.map((v, j) =>
                      j === 0 ? (
                        <th key={j} scope="row">
                          {formatCell(j, v)}
                        </th>
                      ) : (
                        <td key={j} className="num">
                          {formatCell(j, v)}
                        </td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </details>
  );
}
