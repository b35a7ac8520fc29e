"""Helpers for the camera tests: `vigil camera` with its preview on a free loopback port, its JSON-lines
output read back, and the stream servers of tests/tools started as child processes."""
import json, os, re, signal, subprocess, threading, time

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
PY = "/usr/bin/python3"


class Camera:
    """`vigil camera` with settings as environment variables (the tutorial's way); its preview listens on
    127.0.0.1 at a free port, its messages go to `out`."""

    def __init__(self, binary, out, settings, *args, preview=True):
        env = {k: v for k, v in os.environ.items() if k not in ("VIDEO_PATH", "IMAGE_PROCESSING_ENDPOINT")}
        env.update(settings)
        cmd = [binary, "camera", "--out", out, *args]
        if preview:
            cmd += ["--show-video", "--preview-host", "127.0.0.1", "--preview-port", "0"]
        self.out = out
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = []
        self.port = None
        self.base = None
        threading.Thread(target=self._drain, daemon=True).start()
        if preview:
            deadline = time.time() + 60
            while time.time() < deadline and self.port is None and self.proc.poll() is None:
                time.sleep(0.05)
            if self.port is None:
                self.proc.kill()
                raise RuntimeError("vigil camera did not start its preview:\n" + "".join(self.log))
            self.base = "http://127.0.0.1:%d" % self.port

    def _drain(self):
        for line in self.proc.stdout:
            self.log.append(line)
            m = re.search(r"preview listening on http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))

    def messages(self, output=None):
        if not os.path.exists(self.out):
            return []
        got = []
        with open(self.out) as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    if output is None or rec["output"] == output:
                        got.append(rec["message"])
        return got

    def states(self):
        return [m["body"]["state"] for m in self.messages("health")]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def wait_for(pred, timeout, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Tool:
    """A server from tests/tools that prints "ready PORT" when it listens."""

    def __init__(self, script, *args):
        self.proc = subprocess.Popen([PY, os.path.join(TOOLS, script), *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"ready (\d+)", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("%s did not start: %r" % (script, line))
        self.port = int(m.group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
