"""The smallest plz job: reads its input files, writes output files, a measure and a summary.

Parameters: "greeting" (text added to each line) and "seconds" (how long to wait first, to
have a job to watch or stop).
"""
import json
import os
import time

with open(os.environ["CONFIGURATION_FILE"]) as f:
    config = json.load(f)
parameters = config["parameters"]
greeting = parameters.get("greeting", "hello")
seconds = float(parameters.get("seconds", 0))

for second in range(int(seconds)):
    print(f"waiting: {second + 1}/{int(seconds)}", flush=True)
    time.sleep(1)

lines = 0
for name in sorted(os.listdir(config["input_directory"])):
    with open(os.path.join(config["input_directory"], name)) as source:
        content = source.read().splitlines()
    with open(os.path.join(config["output_directory"], f"{name}.out"), "w") as target:
        for line in content:
            target.write(f"{greeting}, {line}\n")
    lines += len(content)
    print(f"{name}: {len(content)} lines", flush=True)

with open(os.path.join(config["measures_directory"], "lines"), "w") as f:
    json.dump(lines, f)
with open(config["summary_measures_path"], "w") as f:
    json.dump({"lines": lines, "greeting": greeting}, f)
print("done", flush=True)
