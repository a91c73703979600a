// Intl formatters, made once per set of options: constructing one costs
// about as much as formatting a hundred values, and tables and chart axes
// format hundreds.

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

/** An en-US date and time formatter with these options, shared. */
export function dateTimeFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(options);
  let f = dateTimeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", options);
    dateTimeFormats.set(key, f);
  }
  return f;
}

/** An en-US number formatter with these options, shared. */
export function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat("en-US", options);
    numberFormats.set(key, f);
  }
  return f;
}
