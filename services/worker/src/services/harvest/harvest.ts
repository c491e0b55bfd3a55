import { containerPaths, isTerminal } from '@plz/contracts';
import type { ExecutionEnd } from '@plz/lifecycle';
import { withNotes } from '../execution/finish.js';
import type { ExecutionSession } from '../execution/session.js';
import type { MeasuresCollector } from '../measures/collector.js';
import { measuresObject, summaryMetrics } from '../measures/parse.js';
import { MeasureFilesReader, readSummary, summaryOf, summaryRoot } from '../measures/read.js';
import type { MeasureFile } from '../measures/parse.js';
import type { StopReason } from '../run/supervise.js';
import { formatBytes } from '../container/limits.js';
import { OutputUploader, uploadOutputs, type OutputsResult } from './outputs.js';
import { readPlzOnce } from './plzArchive.js';
import { readPlzFolder, readPlzFolderPart } from './plzFolder.js';

/** Files left out of the output named one per log line, at most. */
const maxListed = 100;

export interface HarvestInput {
  measures: MeasuresCollector;
  exit: { exitCode: number; oomKilled: boolean; memoryBytes?: number; stoppedFor: StopReason | undefined };
  maxRunSeconds: number | null | undefined;
  /**
   * The execution has no input (nothing copied in nor mounted at /plz/input): the output, measures
   * and summary may be read with one archive request of /plz (readPlzOnce).
   */
  withoutInput?: boolean | undefined;
}

/**
 * The end state of an exited job: stopped on request → `stopped`; past its maximum run time →
 * `error` ("maximum run time … exceeded": a limit of the deployment, not the job's failure, and the
 * reason is kept); a non-zero exit after the kernel's OOM killer struck in the container (inspect
 * `State.OOMKilled`) → `error` naming the memory limit (`HostConfig.Memory`); exit 0 →
 * `succeeded`; else `failed` with the code. Problems while harvesting, and an output over its cap
 * (`overCap`: the reasons), turn the end into `error`, since something the job produced was not kept.
 */
export function endOf(input: Pick<HarvestInput, 'exit' | 'maxRunSeconds'>, problems: readonly string[], overCap: readonly string[] = []): Pick<ExecutionEnd, 'state' | 'exitCode' | 'error'> {
  const { exitCode, oomKilled, stoppedFor, memoryBytes } = input.exit;
  if (problems.length > 0 || overCap.length > 0) {
    return { state: 'error', exitCode, error: [...overCap, ...(problems.length > 0 ? [`harvest failed: ${problems.join('; ')}`] : [])].join('; ') };
  }
  if (stoppedFor === 'user') return { state: 'stopped', exitCode, error: null };
  if (stoppedFor === 'timeout') return { state: 'error', exitCode, error: `maximum run time exceeded (${input.maxRunSeconds} s)` };
  if (exitCode === 0) return { state: 'succeeded', exitCode, error: null };
  if (oomKilled) {
    const limit = memoryBytes ? ` of ${formatBytes(memoryBytes)}` : '';
    return { state: 'error', exitCode, error: `out of memory: the job went past its memory limit${limit} and the kernel killed it (ask for more with resources.memory, up to the worker's JOB_MEMORY_MAX)` };
  }
  return { state: 'failed', exitCode, error: null };
}

/**
 * Harvests the session's exited job container, once: claims the `harvesting` state (a row that
 * ended or belongs to another worker is left alone), uploads the output folder, reads the measures
 * and the summary (saved in the row and, numeric leaves, as MLflow metrics): from the execution's
 * folder on the worker's volume when it has one (readPlzFolder), else without input
 * (`withoutInput`) from one archive of /plz (readPlzOnce), else, or when that cannot be used, the
 * three each from its own archive at once, each tried again while MinIO or MLflow is down (the
 * worker's recordRetryMs); then records the end through the session
 * (ExecutionSession.end: log artifact, MLflow run status, terminal state, live log end, and only
 * then the container removed). What could not be kept turns the end into `error` with the reason.
 */
export async function harvest(session: ExecutionSession, input: HarvestInput): Promise<void> {
  const { ctx, id: executionId, log, logger } = session;
  const containerId = session.containerId!;
  const run = session.run!;
  const { timings } = session;
  const claimed = await timings.time('harvest_claim', () =>
    session.persist('claiming the harvest', () => ctx.executions.markHarvesting(executionId, ctx.config.WORKER_ID), Number.POSITIVE_INFINITY),
  );
  if (!claimed) {
    const row = await ctx.executions.get(executionId);
    logger.warn({ state: row?.state, worker: row?.worker_id }, 'not harvesting: the execution ended or is not this worker\'s');
    await session.detach();
    if (!row || isTerminal(row.state)) await session.removeContainer();
    return;
  }
  log.system('harvesting the output, measures and summary');
  // each skip said once (a part read again after readOnce gave up reports its skips again)
  const skips = new Set<string>();
  const onSkip = (path: string, reason: string) => {
    const line = `skipped ${path}: ${reason}`;
    if (skips.has(line)) return;
    skips.add(line);
    log.system(line);
  };
  const overCap: string[] = [];
  const notes: string[] = [];
  // From the execution's folder on the worker's volume when it has one (no Docker request);
  // else, without an input, with one archive request of /plz (the output uploaded as it is read);
  // when that cannot be used (files of the job beside the folders, an error such as MinIO down),
  // each part is read on its own, again from the folder when there is one, else from Docker's
  // archives (as with an input), each tried again while its service is down.
  const folder = await ctx.plzFolders?.existing(executionId);
  const once = folder || input.withoutInput ? await readOnce(session, input, run.artifactRoot, onSkip, folder?.dir) : undefined;
  // The output, the measures and the summary are stored independently: all three at once. Each
  // returns its problem (undefined when none), reported in this order.
  const keepOutput = async (): Promise<string | undefined> => {
    try {
      const maxBytes = ctx.config.JOB_OUTPUT_MAX_BYTES;
      const fromFolder = async (dir: string) => {
        const uploader = new OutputUploader(ctx.objects, run.artifactRoot, onSkip, maxBytes);
        await readPlzFolderPart(dir, 'output', uploader);
        return uploader.finish();
      };
      const outputs = once
        ? once.output
        : await session.persist('uploading the output', () => (folder ? fromFolder(folder.dir) : uploadOutputs(ctx.containers, ctx.objects, containerId, run.artifactRoot, onSkip, maxBytes)));
      log.system(`kept the output: ${outputs.files} file(s), ${outputs.bytes} bytes${outputs.skipped ? `, ${outputs.skipped} skipped` : ''}`);
      if (outputs.leftOut.length > 0) {
        const leftBytes = outputs.leftOut.reduce((sum, file) => sum + file.bytes, 0);
        const reason = `the output is ${outputs.totalBytes} bytes, more than JOB_OUTPUT_MAX_BYTES = ${maxBytes} (${formatBytes(maxBytes)}): kept ${outputs.files} file(s) (${outputs.bytes} bytes) that fit, left out ${outputs.leftOut.length} file(s) (${leftBytes} bytes), listed in the log`;
        log.system(reason);
        for (const file of outputs.leftOut.slice(0, maxListed)) log.system(`left out of the output: ${file.path} (${file.bytes} bytes)`);
        if (outputs.leftOut.length > maxListed) log.system(`… and ${outputs.leftOut.length - maxListed} more file(s) left out of the output`);
        overCap.push(reason);
      }
      return undefined;
    } catch (error) {
      logger.error({ err: error }, 'uploading the output failed');
      return `output: ${(error as Error).message}`;
    }
  };
  let measures: Record<string, unknown> | null = null;
  const keepMeasures = async (): Promise<string | undefined> => {
    try {
      const fromFolder = async (dir: string) => {
        const reading = input.measures.reader();
        await readPlzFolderPart(dir, 'measures', reading.reader);
        return reading.done();
      };
      const files = once ? once.measures : folder ? await fromFolder(folder.dir) : await input.measures.read(containerId);
      if (input.measures.capped.length > 0) {
        notes.push(`${input.measures.capped.length} measure file(s) were not read: past JOB_MEASURES_MAX_BYTES = ${ctx.config.JOB_MEASURES_MAX_BYTES} bytes (listed in the log)`);
      }
      measures = measuresObject(files);
      await session.persist('sending the measures', () => input.measures.send(files));
      return undefined;
    } catch (error) {
      logger.error({ err: error }, 'reading or sending the measures failed');
      return `measures: ${(error as Error).message}`;
    }
  };
  let summary: unknown = null;
  const keepSummary = async (): Promise<string | undefined> => {
    try {
      let read;
      if (once) read = once.summary;
      else if (folder) {
        const reader = new MeasureFilesReader(summaryRoot, ctx.settings.maxMeasureFileBytes, onSkip);
        await readPlzFolderPart(folder.dir, 'summary', reader);
        read = summaryOf(reader.files);
      } else {
        const archive = await ctx.containers.getArchive(containerId, containerPaths.summary);
        read = archive ? await readSummary(archive, ctx.settings.maxMeasureFileBytes, onSkip) : undefined;
      }
      if (read) {
        summary = read.summary;
        const metrics = summaryMetrics(read.summary, read.mtimeMs);
        if (metrics.length > 0) await session.persist('sending the summary', () => ctx.tracking.log(run.runId, { metrics }));
      }
      return undefined;
    } catch (error) {
      logger.error({ err: error }, 'reading or sending the summary failed');
      return `summary: ${(error as Error).message}`;
    }
  };
  const results = await Promise.all([timings.time('output', keepOutput), timings.time('measures', keepMeasures), timings.time('summary', keepSummary)]);
  const problems = results.filter((problem): problem is string => problem !== undefined);
  await session.end(withNotes({ ...endOf(input, problems, overCap), measures, summary }, notes));
}

/** What readOnce read: the output's outcome (uploaded, its links kept as copies), the measure files, the summary. */
interface ReadOnce {
  output: OutputsResult;
  measures: MeasureFile[];
  summary: { summary: unknown; mtimeMs: number } | undefined;
}

/**
 * The output (uploaded), the measures and the summary of the session's exited container from its
 * `/plz` folder on the worker's volume (`folder`: readPlzFolder, timed as `plz_folder`) or else
 * from one archive of /plz (readPlzOnce, timed as `archive`); undefined when they must be read part
 * by part (files of the job beside the folders past readPlzOnce's allowance, /plz not a folder, or
 * a failure: logged, and the parts read again on their own from Docker's archives, which tries
 * MinIO again while it is down; Docker's archive of a folder includes what is mounted there).
 */
async function readOnce(session: ExecutionSession, input: HarvestInput, artifactRoot: string, onSkip: (path: string, reason: string) => void, folder?: string): Promise<ReadOnce | undefined> {
  const { ctx, logger } = session;
  const output = new OutputUploader(ctx.objects, artifactRoot, onSkip, ctx.config.JOB_OUTPUT_MAX_BYTES);
  const measures = input.measures.reader();
  const summary = new MeasureFilesReader(summaryRoot, ctx.settings.maxMeasureFileBytes, onSkip);
  try {
    const sinks = { output, measures: measures.reader, summary };
    const outcome = folder
      ? await session.timings.time('plz_folder', () => readPlzFolder(folder, sinks))
      : await session.timings.time('archive', () => readPlzOnce(ctx.containers, session.containerId!, sinks));
    if (outcome === 'stray') {
      logger.info('files beside the output, measures and summary in /plz: reading each on its own');
      return undefined;
    }
    return { output: await output.finish(), measures: measures.done(), summary: summaryOf(summary.files) };
  } catch (error) {
    logger.warn({ err: error }, 'reading /plz at once failed: reading the output, measures and summary each on its own');
    return undefined;
  }
}
