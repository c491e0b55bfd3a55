#!/usr/bin/env node
// Benchmark of a new input's upload (issue 17, item 1): the part of `plz run` that hashes, packs,
// sends and verifies a new input, against its floor on the same machine in the same run:
// `sha256sum FILE` + `mc cp FILE` to the same MinIO. Also the CLI's peak memory (max RSS).
// Target: plz's upload part at >= 80 % of the floor's rate; CLI peak under 200 MiB.
//
// Usage (from the repository root, after `npx tsc --build`):
//   node tools/bench/input-upload.mjs [--size-mib 1024] [--runs 3] [--json]
// Starts PostgreSQL, Redis and MinIO with the testkit (or reuses those named by the PLZ_TEST_*
// variables) and the REST API (the built `@plz/restapi`, production wiring) in a child process.
// The CLI runs as users run it (`node cli/dist/index.js run --detach --queue-without-worker`,
// no terminal, so no progress bars) under `/usr/bin/time`, which reports its peak RSS.
//
// plz's upload part = wall time of `plz run` with a new input - wall time of the same `plz run`
// without an input (snapshot already stored): what is left is listing, packing, hashing, sending
// and the server's check of the input. Each run gets a new input (one small file changes; the big
// file stays, so every tool reads it from the page cache alike) and an empty local input cache.
// A last run repeats an input already stored: it must upload nothing.
import { execFile } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { askApi, serveApi, startApi, stopApi } from './api-child.mjs';

const run = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    'size-mib': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const cliEntry = fileURLToPath(new URL('../../cli/dist/index.js', import.meta.url));

/** Child process: the REST API (api-child.mjs), answering its peak RSS in bytes (`maxRss`). */
function serve() {
  return serveApi((message) => {
    if (message === 'rss') process.send({ maxRss: process.resourceUsage().maxRSS * 1024 });
  });
}

/** Runs `command args` under /usr/bin/time: wall seconds, peak RSS bytes, stdout and stderr. */
async function timed(command, commandArgs, options = {}) {
  const started = process.hrtime.bigint();
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'PLZ_BENCH_TIME %e %M', command, ...commandArgs], { maxBuffer: 64 * 1024 ** 2, ...options });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const match = /PLZ_BENCH_TIME ([\d.]+) (\d+)/.exec(stderr);
  return { seconds, maxRss: match ? Number(match[2]) * 1024 : NaN, stdout, stderr: stderr.replace(/PLZ_BENCH_TIME.*\n?/, '') };
}

/** Writes `bytes` of random data to `file` in 8 MiB writes. */
function writeRandomFile(file, bytes) {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(8 * 1024 ** 2);
  try {
    for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, randomFillSync(chunk), 0, Math.min(left, chunk.length));
  } finally {
    closeSync(fd);
  }
}

const mib = (bytes) => bytes / 1024 ** 2;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function bench() {
  const testkit = await import('@plz/testkit');
  const sizeBytes = Number(args['size-mib']) * 1024 ** 2;
  const runs = Number(args.runs);
  const loadBefore = os.loadavg();
  const work = mkdtempSync(path.join(os.tmpdir(), 'plz-bench-input-'));
  const stoppers = await testkit.startTestServices(new Set(['postgres', 'redis', 'minio']));
  let child;
  try {
    const services = testkit.testServices();
    const [databaseUrl, snapshots, inputs, mlflow, floorBucket] = await Promise.all([
      testkit.createDatabase(services.postgresUrl, 'bench'),
      testkit.createBucket(services.s3, 'bench-snapshots'),
      testkit.createBucket(services.s3, 'bench-inputs'),
      testkit.createBucket(services.s3, 'bench-mlflow'),
      testkit.createBucket(services.s3, 'bench-floor'),
    ]);
    const adminToken = `plz_${randomBytes(32).toString('base64url')}`;
    let url;
    ({ child, base: url } = await startApi(fileURLToPath(import.meta.url), {
      adminToken,
      runtime: { databaseUrl, redisUrl: services.redisUrl, s3: services.s3, buckets: { snapshots, inputs, mlflow }, limits: { snapshot: 64 * 1024 ** 2, input: 2 * sizeBytes + 1024 ** 3 } },
    }));

    // The input folder: one big random file and a small one changed per run (a new input each time).
    const project = path.join(work, 'project');
    const data = path.join(project, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(project, 'plz.config.json'), JSON.stringify({ project: 'bench', image: 'python:3.11-slim-bookworm', command: ['true'], excluded_paths: ['data'], included_paths: ['plz.config.json'] }));
    const big = path.join(data, 'big.bin');
    process.stderr.write(`[bench] writing a ${args['size-mib']} MiB input file\n`);
    writeRandomFile(big, sizeBytes);

    const { mc } = testkit.toolPaths();
    const mcEnv = {
      ...process.env,
      MC_CONFIG_DIR: path.join(work, 'mc'),
      MC_HOST_bench: `${services.s3.endpoint.replace('://', `://${encodeURIComponent(services.s3.accessKeyId)}:${encodeURIComponent(services.s3.secretAccessKey)}@`)}`,
    };
    const plz = (input, cache) =>
      timed(process.execPath, [cliEntry, 'run', '--detach', '--queue-without-worker'], {
        cwd: project,
        env: { PATH: process.env.PATH ?? '', HOME: work, XDG_CACHE_HOME: cache, PLZ_URL: url, PLZ_TOKEN: adminToken, ...(input ? { PLZ_INPUT: 'file://data' } : {}) },
      });
    const freshCache = () => mkdtempSync(path.join(work, 'cache-'));

    // Warm-up: the snapshot gets stored, the big file is in the page cache for every tool alike.
    await plz(false, freshCache());
    await run('sha256sum', [big]);

    const rows = [];
    for (let i = 0; i < runs; i++) {
      writeFileSync(path.join(data, 'run.txt'), `run ${i} ${randomBytes(8).toString('hex')}\n`);
      const sha = await timed('sha256sum', [big]);
      const cp = await timed(mc, ['cp', '--quiet', big, `bench/${floorBucket}/big-${i}.bin`], { env: mcEnv });
      const without = await plz(false, freshCache());
      const withInput = await plz(true, freshCache());
      if (!/input [0-9a-f]{12}: uploaded/.test(withInput.stdout + withInput.stderr)) throw new Error(`plz did not upload the input:\n${withInput.stdout}\n${withInput.stderr}`);
      const upload = withInput.seconds - without.seconds;
      const floor = sha.seconds + cp.seconds;
      rows.push({ run: i + 1, sha256sum_s: sha.seconds, mc_cp_s: cp.seconds, floor_s: floor, plz_run_s: withInput.seconds, plz_run_without_input_s: without.seconds, plz_upload_s: upload, ratio: floor / upload, cli_max_rss_mib: mib(withInput.maxRss), mc_max_rss_mib: mib(cp.maxRss) });
      process.stderr.write(`[bench] run ${i + 1}: floor ${floor.toFixed(2)} s, plz upload ${upload.toFixed(2)} s, CLI peak ${mib(withInput.maxRss).toFixed(0)} MiB\n`);
    }
    // The same input again, with an empty local cache (so the CLI packs and hashes, then asks).
    const again = await plz(true, freshCache());
    const uploadedAgain = /input [0-9a-f]{12}: uploaded/.test(again.stdout + again.stderr);
    const apiMaxRss = await askApi(child, 'rss', 'maxRss');

    const summary = {
      machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`,
      load_average_before: loadBefore,
      size_mib: Number(args['size-mib']),
      rows,
      median: {
        floor_s: median(rows.map((row) => row.floor_s)),
        plz_upload_s: median(rows.map((row) => row.plz_upload_s)),
        ratio: median(rows.map((row) => row.ratio)),
        floor_mb_s: mib(sizeBytes) / median(rows.map((row) => row.floor_s)),
        plz_mb_s: mib(sizeBytes) / median(rows.map((row) => row.plz_upload_s)),
      },
      cli_max_rss_mib: Math.max(...rows.map((row) => row.cli_max_rss_mib)),
      api_max_rss_mib: mib(apiMaxRss),
      same_input_again: { seconds: again.seconds, uploaded: uploadedAgain },
    };
    const targets = [
      { name: 'plz upload >= 80 % of the floor rate', value: `${(summary.median.ratio * 100).toFixed(0)} %`, ok: summary.median.ratio >= 0.8 },
      { name: 'CLI peak RSS < 200 MiB', value: `${summary.cli_max_rss_mib.toFixed(0)} MiB`, ok: summary.cli_max_rss_mib < 200 },
      { name: 'same input again uploads nothing', value: uploadedAgain ? 'uploaded' : 'nothing uploaded', ok: !uploadedAgain },
    ];
    if (args.json) {
      console.log(JSON.stringify({ ...summary, targets }, null, 2));
    } else {
      console.log(`\nInput upload benchmark: ${args['size-mib']} MiB, ${runs} runs, ${summary.machine}\n`);
      console.log(`${'run'.padEnd(5)}${'sha256sum s'.padStart(13)}${'mc cp s'.padStart(9)}${'floor s'.padStart(9)}${'plz run s'.padStart(11)}${'no input s'.padStart(12)}${'plz upload s'.padStart(14)}${'ratio'.padStart(7)}${'CLI RSS MiB'.padStart(13)}`);
      for (const row of rows) {
        console.log(
          `${String(row.run).padEnd(5)}${row.sha256sum_s.toFixed(2).padStart(13)}${row.mc_cp_s.toFixed(2).padStart(9)}${row.floor_s.toFixed(2).padStart(9)}${row.plz_run_s.toFixed(2).padStart(11)}${row.plz_run_without_input_s.toFixed(2).padStart(12)}${row.plz_upload_s.toFixed(2).padStart(14)}${row.ratio.toFixed(2).padStart(7)}${row.cli_max_rss_mib.toFixed(0).padStart(13)}`,
        );
      }
      const m = summary.median;
      console.log(`\nmedian: floor ${m.floor_s.toFixed(2)} s (${m.floor_mb_s.toFixed(0)} MiB/s), plz ${m.plz_upload_s.toFixed(2)} s (${m.plz_mb_s.toFixed(0)} MiB/s), ratio ${m.ratio.toFixed(2)}`);
      console.log(`REST API peak RSS ${summary.api_max_rss_mib.toFixed(0)} MiB; same input again: ${again.seconds.toFixed(2)} s, ${uploadedAgain ? 'UPLOADED' : 'nothing uploaded'}`);
      console.log(`load average before the run: ${loadBefore.map((value) => value.toFixed(1)).join(', ')}\n`);
      for (const target of targets) console.log(`${target.ok ? 'met   ' : 'MISSED'}  ${target.name.padEnd(40)} ${target.value}`);
    }
    process.exitCode = targets.every((target) => target.ok) ? 0 : 1;
  } finally {
    await stopApi(child);
    await testkit.stopAll(stoppers);
    rmSync(work, { recursive: true, force: true });
  }
}

await (args.serve ? serve() : bench());
