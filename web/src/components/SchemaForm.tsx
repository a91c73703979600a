import { useState } from "react";
import { getIn, type Path, setIn, toPointer } from "../lib/pointer";
import { checkField, type FieldNode, listToText, parseNumberInput, textToList } from "../lib/schemaForm";
import { Field } from "./ui";

interface Props {
  nodes: readonly FieldNode[];
  value: unknown;
  onChange: (next: unknown) => void;
  /** Errors by JSON Pointer into the document (from the API). */
  errors: Record<string, string>;
  disabled?: boolean;
  /** Prefix of the nodes' paths in the document (for items of a list). */
  base?: Path;
}

/** Renders a form generated from a JSON Schema (lib/schemaForm) over a JSON document. */
export function SchemaForm({ nodes, value, onChange, errors, disabled, base = [] }: Props) {
  return (
    <>
      {nodes.map((n) => (
        <SchemaField key={toPointer([...base, ...n.path])} node={n} doc={value} onChange={onChange} errors={errors} disabled={disabled} base={base} />
      ))}
    </>
  );
}

function errorFor(errors: Record<string, string>, path: Path, exact = false): string | undefined {
  const p = toPointer(path);
  if (errors[p]) return errors[p];
  if (exact) return undefined;
  // Errors of list items (/geo/allow/3) belong to the list's field.
  const child = Object.entries(errors).find(([k]) => k.startsWith(p + "/") && /^\/\d+$/.test(k.slice(p.length)));
  return child?.[1];
}

function SchemaField({ node, doc, onChange, errors, disabled, base }: { node: FieldNode; doc: unknown; onChange: (d: unknown) => void; errors: Record<string, string>; disabled: boolean | undefined; base: Path }) {
  const path = [...base, ...node.path];
  const value = getIn(doc, path);
  const set = (v: unknown) => onChange(setIn(doc, path, v));
  const apiError = errorFor(errors, path, node.kind === "object" || node.kind === "objectList");
  const localError = value === undefined ? null : checkField(node, value);
  const error = apiError ?? localError ?? undefined;
  const hint = node.description;

  switch (node.kind) {
    case "object":
      return (
        <fieldset>
          <legend>{node.label}</legend>
          {hint && <p className="field-hint">{hint}</p>}
          {apiError && <p className="field-error">{apiError}</p>}
          <SchemaForm nodes={node.children} value={doc} onChange={onChange} errors={errors} disabled={disabled} base={base} />
        </fieldset>
      );
    case "boolean":
      return (
        <div className={`field${error ? " field-invalid" : ""}`}>
          <label className="checkbox">
            <input type="checkbox" checked={value === true} disabled={disabled} onChange={(e) => set(e.target.checked)} aria-invalid={error ? true : undefined} />
            <span>
              {node.label}
              {value === undefined && <span className="small muted"> (not set: the default applies)</span>}
            </span>
          </label>
          {hint && <p className="field-hint">{hint}</p>}
          {error && <p className="field-error">{error}</p>}
        </div>
      );
    case "number":
      return <NumberField node={node} value={value} set={set} error={error} hint={hint} disabled={disabled} />;
    case "enum":
      return (
        <Field label={node.label} hint={hint} error={error}>
          {(ids) => (
            <select {...ids} value={typeof value === "string" ? value : ""} disabled={disabled} onChange={(e) => set(e.target.value || undefined)}>
              {!node.required || value === undefined ? <option value="">(not set)</option> : null}
              {node.options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          )}
        </Field>
      );
    case "string":
      return (
        <Field label={node.label} hint={hint} error={error}>
          {(ids) => (
            <input
              {...ids}
              value={typeof value === "string" ? value : ""}
              disabled={disabled}
              {...(node.maxLength !== undefined ? { maxLength: node.maxLength } : {})}
              onChange={(e) => set(e.target.value === "" && !node.required ? undefined : e.target.value)}
            />
          )}
        </Field>
      );
    case "stringList":
      return <ListField label={node.label} hint={hint ?? node.item.description} value={value} set={set} error={error} disabled={disabled} />;
    case "objectList": {
      const items = Array.isArray(value) ? value : [];
      return (
        <fieldset>
          <legend>{node.label}</legend>
          {hint && <p className="field-hint">{hint}</p>}
          {apiError && <p className="field-error">{apiError}</p>}
          {items.length === 0 && <p className="small muted">None.</p>}
          {items.map((_, i) => (
            <fieldset key={i}>
              <legend>
                {node.label} {i + 1}
              </legend>
              <SchemaForm nodes={node.item.children} value={doc} onChange={onChange} errors={errors} disabled={disabled} base={[...path, i]} />
              <button type="button" className="btn btn-small btn-danger-outline" disabled={disabled} onClick={() => set(items.length === 1 ? undefined : items.filter((_, j) => j !== i))}>
                Remove {node.label.toLowerCase()} {i + 1}
              </button>
            </fieldset>
          ))}
          <p>
            <button type="button" className="btn btn-small" disabled={disabled || (node.maxItems !== undefined && items.length >= node.maxItems)} onClick={() => set([...items, {}])}>
              Add to {node.label.toLowerCase()}
            </button>
          </p>
        </fieldset>
      );
    }
    case "unsupported":
      return (
        <p className="small muted">
          {node.label}: edit this field in the JSON of the named properties or through the API.
        </p>
      );
  }
}

function NumberField({ node, value, set, error, hint, disabled }: { node: FieldNode & { kind: "number" }; value: unknown; set: (v: unknown) => void; error: string | undefined; hint: string | undefined; disabled: boolean | undefined }) {
  // The text is kept apart so that "0." can be typed; the document gets the number.
  const [text, setText] = useState(typeof value === "number" ? String(value) : "");
  const shown = typeof value === "number" && Number(text) !== value ? String(value) : text;
  return (
    <Field label={node.label} hint={hint} error={error}>
      {(ids) => (
        <input
          {...ids}
          type="number"
          inputMode={node.integer ? "numeric" : "decimal"}
          step={node.integer ? 1 : "any"}
          {...(node.minimum !== undefined ? { min: node.minimum } : {})}
          {...(node.maximum !== undefined ? { max: node.maximum } : {})}
          value={shown}
          disabled={disabled}
          onChange={(e) => {
            setText(e.target.value);
            set(parseNumberInput(e.target.value));
          }}
        />
      )}
    </Field>
  );
}

function ListField({ label, hint, value, set, error, disabled }: { label: string; hint: string | undefined; value: unknown; set: (v: unknown) => void; error: string | undefined; disabled: boolean | undefined }) {
  const [text, setText] = useState(listToText(value));
  const parsed = textToList(text);
  const shown = JSON.stringify(parsed ?? []) === JSON.stringify(Array.isArray(value) ? value : []) ? text : listToText(value);
  return (
    <Field label={label} hint={`${hint ? hint + " " : ""}One a line.`} error={error}>
      {(ids) => (
        <textarea
          {...ids}
          rows={Math.min(8, Math.max(2, (Array.isArray(value) ? value.length : 0) + 1))}
          value={shown}
          disabled={disabled}
          onChange={(e) => {
            setText(e.target.value);
            set(textToList(e.target.value));
          }}
        />
      )}
    </Field>
  );
}
