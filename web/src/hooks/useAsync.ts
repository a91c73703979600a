import { useCallback, useEffect, useRef, useState } from "react";
import { problemOf } from "../api/client";
import type { Problem } from "../lib/problem";

export interface AsyncState<T> {
  data: T | undefined;
  error: Problem | undefined;
  /** True while a load runs; data may still hold the previous answer. */
  loading: boolean;
  reload: () => void;
  /** Replaces the data, after a change the caller made. */
  setData: (data: T) => void;
}

/**
 * Runs fn when deps change, cancelling the previous run. The previous data
 * stays while the next loads, so screens do not flash empty.
 */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Problem | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    fnRef.current(controller.signal).then(
      (d) => {
        if (controller.signal.aborted) return;
        setData(d);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(problemOf(err));
        setLoading(false);
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload, setData };
}

/** State of a form submission or action: running, and its problem if it failed. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<Problem | undefined>(undefined);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    setRunning(true);
    setError(undefined);
    try {
      return await fnRef.current(...args);
    } catch (err) {
      setError(problemOf(err));
      return undefined;
    } finally {
      setRunning(false);
    }
  }, []);
  return { run, running, error, setError };
}
