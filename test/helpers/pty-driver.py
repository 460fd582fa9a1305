#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal and plays a script against it, expect-style.

argv[1] is a JSON file: {"command": [...], "env": {...}, "cwd": "...", "timeout": seconds,
"steps": [{"expect": "text", "send": "text"}, ...]}. Each step waits until `expect` has appeared
in the output after the previous step's match, then writes `send` (if any). When the steps are
done it reads until the process exits. Prints one JSON line: {"transcript", "exitCode",
"failedStep" (index or null), "timedOut"}. No native Node module needed (node-pty compiles).
"""
import json, os, pty, select, signal, sys, time

spec = json.load(open(sys.argv[1]))
deadline = time.time() + spec.get("timeout", 60)
env = dict(os.environ)
env.update(spec.get("env", {}))

pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec.get("cwd", "."))
    os.execvpe(spec["command"][0], spec["command"], env)

output = b""
position = 0
failed = None
timed_out = False

def read_some(wait):
    global output
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return True
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        return False
    if not chunk:
        return False
    output += chunk
    return True

for index, step in enumerate(spec["steps"]):
    wanted = step.get("expect", "").encode()
    while True:
        found = output.find(wanted, position)
        if found >= 0:
            position = found + len(wanted)
            break
        if time.time() > deadline:
            failed, timed_out = index, True
            break
        if not read_some(0.1):
            failed = index
            break
    if failed is not None:
        break
    if "send" in step:
        # Paste arrives as typed keys; a terminal sends Enter as CR.
        os.write(fd, step["send"].replace("\n", "\r").encode())
        time.sleep(step.get("pause", 0.05))

while time.time() < deadline and read_some(0.1):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        # Drain what is left after the exit.
        while read_some(0.05):
            pass
        break
else:
    done = 0
if not done:
    if time.time() >= deadline:
        timed_out = True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)

exit_code = os.waitstatus_to_exitcode(status)
print(json.dumps({"transcript": output.decode("utf-8", "replace"), "exitCode": exit_code, "failedStep": failed, "timedOut": timed_out}))
