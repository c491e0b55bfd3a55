/**
 * Job snapshots of the integration tests: tiny images FROM python:3.11-slim-bookworm (a local
 * image; no registry), built by the worker itself. The job follows the contract of
 * ARCHITECTURE.md §4 (CONFIGURATION_FILE) and its behaviour is driven by its parameters.
 */

/**
 * Writes outputs (and links, one inside, one outside), per-epoch measures, a summary, lines on
 * stdout and stderr, and exits as asked; `stray_mib`: that many MiB in /plz/scratch.bin, beside
 * the output, measures and summary.
 */
export const jobScript = `import json, os, sys, time
config = json.load(open(os.environ['CONFIGURATION_FILE']))
p = config['parameters']
out, meas = config['output_directory'], config['measures_directory']
print('job started', flush=True)
print('parameters ' + json.dumps(p, sort_keys=True), flush=True)
inputs = sorted(os.path.relpath(os.path.join(d, f), config['input_directory']) for d, _, fs in os.walk(config['input_directory']) for f in fs)
with open(os.path.join(out, 'input-files.txt'), 'w') as f: f.write('\\n'.join(inputs))
if 'datasets_directory' in config:
    with open(os.path.join(out, 'dataset-copy.txt'), 'w') as f: f.write(open(os.path.join(config['datasets_directory'], 'ds.txt')).read())
os.makedirs(os.path.join(out, 'models'), exist_ok=True)
for epoch in range(1, p.get('epochs', 3) + 1):
    with open(os.path.join(out, 'models', 'model_%d.txt' % epoch), 'w') as f: f.write('weights %d' % epoch)
    with open(os.path.join(meas, 'epoch_%d' % epoch), 'w') as f: json.dump({'loss': 1.0 / epoch, 'accuracy': 0.5 + epoch / 10}, f)
    print('epoch %d' % epoch, flush=True)
    time.sleep(p.get('epoch_seconds', 0))
if p.get('links'):
    os.symlink('models/model_1.txt', os.path.join(out, 'latest.txt'))
    os.symlink('/etc/passwd', os.path.join(out, 'escape'))
if p.get('stray_mib'):
    with open(os.path.join(os.path.dirname(out), 'scratch.bin'), 'wb') as f: f.write(b'0' * p['stray_mib'] * 1024 * 1024)
with open(config['summary_measures_path'], 'w') as f: json.dump({'max_accuracy': 0.8, 'best': {'epoch': 3}}, f)
print('a warning', file=sys.stderr, flush=True)
sys.exit(p.get('exit_code', 0))
`;

/** Files of a job snapshot; `tag` makes the snapshot (and so its image) unique to a test run. */
export const jobSnapshot = (tag: string): Record<string, string> => ({
  Dockerfile: `# ${tag}\nFROM python:3.11-slim-bookworm\nWORKDIR /app\nCOPY job.py /app/job.py\nCMD ["python", "/app/job.py"]\n`,
  'job.py': jobScript,
});
