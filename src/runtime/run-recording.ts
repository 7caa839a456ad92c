import type { RecordedRows, RunRecording } from "../db/run-store.js";

/**
 * What a run writes, buffered in a {@link RunRecording} while it executes (the row types are the
 * run tables', in `src/db/run-store.ts`), and the clock its timestamps come from.
 */

function table<T>(): RecordedRows<T> {
  return { rows: new Map(), persisted: new Set() };
}

/** An empty recording. */
export function createRunRecording(): RunRecording {
  return { runs: table(), steps: table(), waits: table(), invocations: table(), snapshots: [], events: [] };
}

/** Adds a row read from the database: later changes to it are written as an update. */
export function adoptPersistedRow<T>(recorded: RecordedRows<T>, id: string, row: T): T {
  recorded.rows.set(id, row);
  recorded.persisted.add(id);
  return row;
}

/**
 * A clock for one run: ISO timestamps with microseconds that strictly increase, so ordering rows by
 * time gives the order in which they were written even when several fall in one millisecond.
 */
export interface RunClock {
  /** The current time as an ISO timestamp with microseconds (`2026-01-01T00:00:00.000001Z`). */
  timestamp(): string;
  /** Milliseconds since the epoch (for durations and due times). */
  epochMs(): number;
}

/** Microseconds since the epoch of an ISO timestamp (keeps digits beyond milliseconds); NaN when unparsable. */
export function parseTimestampMicros(text: string): number {
  const ms = Date.parse(text);
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? "";
  return ms * 1000 + Number((fraction.slice(3, 6) || "0").padEnd(3, "0"));
}

/**
 * Creates a {@link RunClock} over a wall clock (default: the system clock). `after`: a timestamp the
 * clock's timestamps must come after (what a run already recorded), so a resumed run's rows sort
 * after its earlier ones even when this machine's clock is behind.
 */
export function createRunClock(now: () => Date = () => new Date(), after?: string | null): RunClock {
  const floor = after ? parseTimestampMicros(after) : Number.NaN;
  let last = Number.isNaN(floor) ? 0 : floor;
  return {
    timestamp() {
      const micros = Math.max(now().getTime() * 1000, last + 1);
      last = micros;
      const ms = Math.floor(micros / 1000);
      const rest = String(micros - ms * 1000).padStart(3, "0");
      return new Date(ms).toISOString().replace("Z", `${rest}Z`);
    },
    epochMs() {
      return now().getTime();
    },
  };
}
