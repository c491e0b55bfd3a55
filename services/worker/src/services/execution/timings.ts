import { performance } from 'node:perf_hooks';

/**
 * Phases of one execution in the worker, in the order they happen (tools/bench/sweep-pace.mjs
 * prints them): what each one times.
 *
 * - `between`: before the claim, from the end of the worker's previous BullMQ job (its execution
 *   handed on to the background finalization, or ended) to this one's start: BullMQ completing
 *   that job and handing over the next (absent for a worker's first job; not counted in `total`);
 * - `claim`: the dispatcher's claim (a transaction in PostgreSQL);
 * - `open`: the session opened (log file, stop subscription) and the first checks (stop requested, limits);
 * - `mlflow_run`: the MLflow run created or read back, with its params (runs beside `image`);
 * - `image`: the job image found in Docker's cache, or built;
 * - `prepare`: until both of the above are done (the longer of the two);
 * - `container`: the job container created and `/plz` (configuration, input) copied in;
 * - `start`: Docker's start of the container;
 * - `mark_running`: `preparing → running` recorded (with the time the start was asked for);
 * - `run`: from the recorded start to the container's exit (the job itself);
 * - `log_drain`: after the exit, until Docker's log stream has ended;
 * - `exit_state`: the exited container inspected (exit code, OOM);
 * - `hand_on`: the harvest handed to the background finalization (Finalizations.start), waiting
 *   while the worker's previous one still runs: the worker takes its next execution after it;
 * - `foreground`: from the start of the claim to the end of `hand_on`, as one span: what the
 *   phases from `claim` to `hand_on` add up to, plus whatever no phase times;
 * - `harvest_claim`: `running → harvesting` recorded;
 * - `archive`: for an execution without input, `/plz` read with one archive request, the output
 *   uploaded and the measures and summary read as it goes (services/harvest/plzArchive.ts);
 * - `plz_folder`: the same from the execution's folder on the worker's volume, with no
 *   Docker request (services/harvest/plzFolder.ts), in place of `archive`;
 * - `output`, `measures`, `summary`: the output uploaded, the measures and summary read and sent
 *   (after `archive`: what is left of each, the reports and the sends to MLflow);
 * - `log_upload`: the log closed (live lines sent) and uploaded as the run's artifact;
 * - `mlflow_end`: the MLflow run's tags and status;
 * - `finish`: the terminal state recorded;
 * - `log_end`: the live log's end entry;
 * - `remove`: the container removed;
 * - `total`: from the start of the claim to the end of everything above.
 */
export type Phase =
  | 'between'
  | 'claim'
  | 'open'
  | 'mlflow_run'
  | 'image'
  | 'prepare'
  | 'container'
  | 'start'
  | 'mark_running'
  | 'run'
  | 'log_drain'
  | 'exit_state'
  | 'hand_on'
  | 'foreground'
  | 'harvest_claim'
  | 'archive'
  | 'plz_folder'
  | 'output'
  | 'measures'
  | 'summary'
  | 'log_upload'
  | 'mlflow_end'
  | 'finish'
  | 'log_end'
  | 'remove'
  | 'total';

/** Phase durations of one execution, ms (a phase that happened twice counts both). */
export type PhaseDurations = Partial<Record<Phase, number>>;

/**
 * Times the phases of one execution in the worker (Phase), on the monotonic clock. Cheap enough to
 * be always on: the worker logs the durations at debug level when the execution ends, and hands them
 * to WorkerSettings.onTimings (benchmarks).
 */
export class PhaseTimings {
  readonly #durations: PhaseDurations = {};
  readonly #startedAt: number;

  /** @param startedAt when the execution's first phase began (performance.now(), ms); default now. */
  constructor(startedAt: number = performance.now()) {
    this.#startedAt = startedAt;
  }

  /** Adds `ms` to `phase`. */
  add(phase: Phase, ms: number): void {
    this.#durations[phase] = (this.#durations[phase] ?? 0) + ms;
  }

  /** Runs `work`, adding its duration to `phase` whether it resolves or rejects. */
  async time<T>(phase: Phase, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - started);
    }
  }

  /** A stopwatch started now: calling it adds the time since to `phase`. */
  since(phase: Phase): () => void {
    const started = performance.now();
    return () => this.add(phase, performance.now() - started);
  }

  /** The durations so far, with `total` from the start until now, each rounded to 0.1 ms. */
  snapshot(): PhaseDurations {
    const all: PhaseDurations = { ...this.#durations, total: performance.now() - this.#startedAt };
    for (const key of Object.keys(all) as Phase[]) all[key] = Math.round(all[key]! * 10) / 10;
    return all;
  }
}
