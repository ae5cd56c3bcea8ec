# SPDX-License-Identifier: LGPL-2.1-or-later
"""One line of figures from a libFuzzer log: make fuzz prints it for each target."""
import re
import sys

target, log, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(log, errors="replace").read()
stats = dict(re.findall(r"stat::(\w+):\s*(\d+)", text))
done = re.findall(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/", text)
execs, cov, ft, corp = done[-1] if done else (stats.get("number_of_executed_units", "?"), "?", "?", "?")
crashes = len(re.findall(r"==\d+== ERROR: libFuzzer|SUMMARY: (Address|Undefined)", text))
print(f"fuzz {target:8} execs={stats.get('number_of_executed_units', execs):>9} "
      f"seconds={seconds:>5} cov={cov:>4} features={ft:>5} "
      f"corpus={corp:>4} crashes={crashes}")
