"""Shared helpers for the integration tests: start the real `vigil` binary on a free loopback port, small HTTP
client calls, and a local HTTP server for /url fetches. Only loopback addresses are used."""
import http.server, json, os, random, re, signal, socket, subprocess, threading, time, urllib.request, urllib.error

# `vigil run` without a manifest reads /etc/vigil/deployment.json when a package installed one: the tests mean the
# built-in default, whatever this machine has installed.
os.environ["VIGIL_SYSTEM_MANIFEST"] = "/nonexistent/vigil-tests/deployment.json"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def loopback_with_port_free(port):
    """A random 127.x.y.z address on which `port` is free: for servers that clients reach on a fixed port (the Azure
    IoT SDKs' 8883), so that tests and benchmarks running side by side each get their own address."""
    for _ in range(50):
        host = "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 254), random.randint(2, 254))
        s = socket.socket()
        try:
            s.bind((host, port))
            return host
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no loopback address with port %d free" % port)


class Vigil:
    """`vigil serve ...` on 127.0.0.1 with --port 0; the chosen port is read from its log."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = []
        deadline = time.time() + 60
        self.port = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("vigil serve did not start:\n" + "".join(self.log))
        threading.Thread(target=self._drain, daemon=True).start()
        self.base = "http://127.0.0.1:%d" % self.port

    def _drain(self):
        for line in self.proc.stdout:
            self.log.append(line)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def wait_port(port, timeout=10):
    """Waits until something listens on 127.0.0.1:port (a server this test started)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def fill_volume(folder):
    """Another writer fills the volume of `folder` to the last byte; returns the file to remove to free it."""
    filler = os.path.join(folder, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    os.close(fd)
    return filler


def free_bytes(folder):
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def start_mosquitto(folder, extra=""):
    """A plain mosquitto on a free loopback port (config in `folder`), listening when this returns: (port, process)."""
    port = free_port()
    conf = os.path.join(folder, "mosquitto-%d.conf" % port)
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n%s" % (port, extra))
    proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(port):
        proc.kill()
        raise RuntimeError("mosquitto did not start on port %d" % port)
    return port, proc


class Lines:
    """A process's output, collected line by line on a thread; wait() waits for a line that contains a text."""

    def __init__(self, proc):
        self.lines = []
        threading.Thread(target=lambda: [self.lines.append(l) for l in proc.stdout], daemon=True).start()

    def text(self):
        return "".join(self.lines)

    def count(self, text):
        return sum(text in l for l in list(self.lines))

    def wait(self, text, timeout=30, times=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count(text) >= times:
                return True
            time.sleep(0.05)
        return self.count(text) >= times


def unchanged_for(fn, seconds, step=0.1):
    """True when fn() keeps its first value for `seconds` — for what must NOT happen (no more alerts, no restart),
    which only a window can show; returns False at the first change."""
    first, deadline = fn(), time.time() + seconds
    while time.time() < deadline:
        if fn() != first:
            return False
        time.sleep(step)
    return fn() == first


def stays_up(proc, seconds):
    """True when `proc` is still running after `seconds` (it is waited for, so an early exit ends the wait)."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        return True


def terminate(proc, timeout=30):
    """SIGTERM, then SIGKILL if it has not ended within `timeout` s; returns its exit code (-1 when killed)."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -1


def request(url, body=None, headers=None, method=None):
    """Returns (status, headers, body bytes); never raises on HTTP errors."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def post_json(url, obj, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return request(url, json.dumps(obj).encode(), h)


def multipart(field, filename, data):
    boundary = "----vigiltest7MA4YWxkTrZu0gW"
    body = (("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
             "Content-Type: image/jpeg\r\n\r\n") % (boundary, field, filename)).encode() + data + \
           ("\r\n--%s--\r\n" % boundary).encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


class FileServer:
    """A plain HTTP server on a free loopback port serving `root`, plus /big (5 MB) and /missing (404)."""

    def __init__(self, root):
        root_dir = root

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=root_dir, **kw)

            def do_GET(self):
                if self.path == "/big":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.end_headers()
                    self.wfile.write(b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024))
                    return
                super().do_GET()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


class Checks:
    """Counts failed expectations and keeps going, so one run reports every problem."""

    def __init__(self):
        self.failures = 0
        self.count = 0
        self.skipped = []

    def expect(self, cond, what):
        self.count += 1
        if not cond:
            self.failures += 1
            print("FAIL:", what, flush=True)

    def skip(self, what):
        """A part that cannot run here (missing test data): the whole test then reports skipped (77), not passed."""
        self.skipped.append(what)
        print("SKIP:", what, flush=True)

    def done(self):
        print("%d checks, %d failed%s" % (self.count, self.failures, ", skipped: " + "; ".join(self.skipped) if self.skipped else ""))
        if self.failures:
            return 1
        return 77 if self.skipped else 0  # ctest's SKIP_RETURN_CODE: a test that did not fully run is not a pass
