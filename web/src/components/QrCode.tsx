import { useMemo } from "react";
import { qrMatrix, qrPath } from "../lib/qr";

/**
 * A QR code drawn with SVG elements (presentation attributes, no style
 * attribute), which the Content-Security-Policy allows.
 */
export function QrCode({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const { size, d } = useMemo(() => {
    const m = qrMatrix(value);
    return { size: m.length, d: qrPath(m) };
  }, [value]);
  return (
    <svg
      className="qr"
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
      data-testid={testId}
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
