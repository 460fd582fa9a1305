/**
 * The program a `build --docker --entry-point reuse_task|clone_task` image starts with: a small
 * Python script (standard library only, run by the image's own python) that marks the task
 * started, runs its entry point, ships the output to the task log and sets the final status —
 * against the server named by the environment at `docker run`. Nothing of the agent's
 * configuration, and no credential, is inside the image.
 */
export const STANDALONE_RUNNER_PY = String.raw`"""Tray Agent standalone runner (generated): runs one ClearML task in this image.

Environment: CLEARML_API_HOST, and CLEARML_API_ACCESS_KEY + CLEARML_API_SECRET_KEY or
CLEARML_AUTH_TOKEN. Usage: standalone-runner.py --task ID [--clone] -- COMMAND...
"""
import base64, json, os, signal, socket, subprocess, sys, threading, time
import urllib.error, urllib.request


def env(*names):
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


class Api:
    def __init__(self, host, token=None, key=None, secret=None):
        self.host = host.rstrip("/")
        self.token = token or self.post("auth.login", {}, "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode()).decode())["token"]

    def post(self, endpoint, body, auth=None, raw=None, content_type="application/json"):
        data = raw if raw is not None else json.dumps(body).encode()
        request = urllib.request.Request(self.host + "/" + endpoint, data=data, method="POST",
                                         headers={"Content-Type": content_type, "Authorization": auth or ("Bearer " + self.token)})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                payload = json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as error:
            try:
                payload = json.loads(error.read().decode() or "{}")
            except ValueError:
                payload = {}
            message = payload.get("meta", {}).get("result_msg") or str(error)
            raise RuntimeError("%s failed: %s" % (endpoint, message))
        return payload.get("data") or {}


def main(argv):
    if "--" not in argv or "--task" not in argv:
        sys.stderr.write("usage: standalone-runner.py --task ID [--clone] -- COMMAND...\n")
        return 2
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    task = options[options.index("--task") + 1]
    host = env("CLEARML_API_HOST", "TRAINS_API_HOST")
    token = env("CLEARML_AUTH_TOKEN")
    key, secret = env("CLEARML_API_ACCESS_KEY"), env("CLEARML_API_SECRET_KEY")
    if not host or not (token or (key and secret)):
        sys.stderr.write("tray-agent: set CLEARML_API_HOST and CLEARML_API_ACCESS_KEY + CLEARML_API_SECRET_KEY (or CLEARML_AUTH_TOKEN) with docker run -e\n")
        return 2
    api = Api(host, token=token, key=key, secret=secret)
    if "--clone" in options:
        name = api.post("tasks.get_by_id", {"task": task}).get("task", {}).get("name") or task
        task = api.post("tasks.clone", {"task": task, "new_task_name": "Clone of %s" % name})["id"]
        print("tray-agent: running clone %s of task %s" % (task, options[options.index("--task") + 1]), flush=True)
    worker = env("CLEARML_WORKER_ID") or "%s:standalone" % socket.gethostname()
    change = {"force": True, "status_message": "Changed by Tray Agent standalone image %s" % worker}
    api.post("tasks.started", dict(change, task=task, status_reason="standalone image started"))

    secrets = [s for s in (secret, token) if s and len(s) >= 4]
    pending, lock = [], threading.Lock()

    def redact(text):
        for value in secrets:
            text = text.replace(value, "****")
        return text

    def ship():
        with lock:
            batch = pending[:]
            del pending[:]
        if batch:
            try:
                api.post("events.add_batch", None, raw="\n".join(json.dumps(e) for e in batch).encode(), content_type="application/json-lines")
            except Exception as error:  # keep the lines for the next try
                sys.stderr.write("tray-agent: could not ship log lines: %s\n" % error)
                with lock:
                    pending[:0] = batch

    child_env = dict(os.environ, CLEARML_TASK_ID=task, TRAINS_TASK_ID=task, CLEARML_LOG_TASK_TO_BACKEND="0",
                     CLEARML_WORKER_ID=worker, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env, start_new_session=True)
    aborted = []

    def on_signal(number, _frame):
        aborted.append(number)
        try:
            os.killpg(process.pid, signal.SIGINT if len(aborted) == 1 else signal.SIGKILL)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def pump(stream, out, level):
        for raw in iter(stream.readline, b""):
            out.write(raw)
            out.flush()
            with lock:
                pending.append({"type": "log", "task": task, "worker": worker, "level": level,
                                "msg": redact(raw.decode("utf-8", "replace")), "timestamp": int(time.time() * 1000)})

    readers = [threading.Thread(target=pump, args=(process.stdout, sys.stdout.buffer, "info")),
               threading.Thread(target=pump, args=(process.stderr, sys.stderr.buffer, "error"))]
    for reader in readers:
        reader.start()
    while process.poll() is None:
        time.sleep(1)
        ship()
    for reader in readers:
        reader.join()
    ship()
    code = process.returncode
    if aborted:
        api.post("tasks.stopped", dict(change, task=task, status_reason="stopped by signal"))
    elif code == 0:
        api.post("tasks.completed", dict(change, task=task, force=False, status_reason="worker execution done"))
    else:
        api.post("tasks.failed", dict(change, task=task, status_reason="worker execution exit code %s" % code))
    return 0 if code == 0 else (code if code > 0 else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
`;
