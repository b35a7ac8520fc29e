#!/usr/bin/python3
"""An HTTP MJPEG camera on loopback (multipart/x-mixed-replace, as IP cameras and the preview serve it),
streaming the frames of a video file at its frame rate, looping. Prints "ready PORT"; stops on SIGTERM.
usage: mjpeg_server.py VIDEO [PORT]   (PORT 0 = a free port)"""
import http.server, signal, sys, threading, time
import cv2

video = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
cap = cv2.VideoCapture(video)
fps = cap.get(cv2.CAP_PROP_FPS) or 10
frames = []
while len(frames) < 100:
    ok, f = cap.read()
    if not ok:
        break
    frames.append(cv2.imencode(".jpg", cv2.resize(f, (384, 288)))[1].tobytes())


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        if self.path != "/video.mjpg":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        i = 0
        try:
            while True:
                jpg = frames[i % len(frames)]
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpg))
                self.wfile.write(jpg + b"\r\n")
                self.wfile.flush()
                i += 1
                time.sleep(1.0 / fps)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *a):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
httpd.daemon_threads = True
print("ready %d" % httpd.server_address[1], flush=True)
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=httpd.shutdown).start())
httpd.serve_forever()
