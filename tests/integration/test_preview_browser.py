#!/usr/bin/python3
"""The preview page in headless Chromium, as a person would leave it open: the live image is updated again
and again, the screenshot shows the camera's frame (found in it by template matching against the frame the
server serves), and the same page follows the source going down and coming back without a reload."""
import argparse, json, os, sys, tempfile, time
import cv2, numpy as np
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks, request
from camera_harness import Camera, Tool, wait_for
from chromium import Chromium

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
tmp = tempfile.mkdtemp(prefix="vigil-preview-test-")

mj = Tool("mjpeg_server.py", VTEST, 0)
cam = Camera(a.vigil, os.path.join(tmp, "out.jsonl"),
             {"VIDEO_PATH": "http://127.0.0.1:%d/video.mjpg" % mj.port, "IMAGE_PROCESSING_ENDPOINT": "builtin:person",
              "RECONNECT_MAX_S": "1", "CAMERA_ID": "porch"})
browser = Chromium()
try:
    browser.open(cam.base + "/")
    updates = lambda: int(browser.evaluate("document.body.dataset.updates || '0'") or 0)
    c.expect(wait_for(lambda: updates() >= 2, 30), "the live image is updated at least twice: %d" % updates())
    shot = os.path.join(tmp, "page.png")
    browser.screenshot(shot)
    page = cv2.imread(shot)
    c.expect(page is not None and page.shape[1] == 1280, "a screenshot of the page")
    code, _, jpg = request(cam.base + "/snapshot.jpg")
    frame = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
    best = 0.0
    if page is not None and frame is not None:
        shown_w = browser.evaluate("document.querySelector('img.live').getBoundingClientRect().width")
        c.expect(shown_w and shown_w > 300, "the image is laid out large: %s px" % shown_w)
        for w in range(int(shown_w) - 4, int(shown_w) + 5, 2):
            t = cv2.resize(frame, (w, round(frame.shape[0] * w / frame.shape[1])), interpolation=cv2.INTER_AREA)
            if t.shape[0] <= page.shape[0] and t.shape[1] <= page.shape[1]:
                best = max(best, float(cv2.minMaxLoc(cv2.matchTemplate(page, t, cv2.TM_CCOEFF_NORMED))[1]))
    c.expect(best > 0.8, "the screenshot shows the camera's frame (match %.2f), not a blank page" % best)
    badge = browser.evaluate("document.querySelector('.health').textContent")
    c.expect(badge and badge.startswith("live"), "the health badge says live: %r" % badge)
    name = browser.evaluate("document.querySelector('.camera .name').textContent")
    c.expect(name == "porch", "the camera's name: %r" % name)

    # The source goes down and comes back; the same page follows without a reload.
    mport = mj.port
    mj.stop()
    states = lambda: browser.evaluate("document.querySelector('.camera').dataset.states") or ""
    c.expect(wait_for(lambda: "lost" in states(), 30), "the page shows the source lost: %s" % states())
    shown = browser.evaluate("document.querySelector('.frame').classList.contains('down')")
    c.expect(shown, "the last frame is greyed out while the source is down")
    at_loss = updates()
    mj = Tool("mjpeg_server.py", VTEST, mport)
    c.expect(wait_for(lambda: states().endswith("live") and "lost" in states(), 30), "…and live again: %s" % states())
    c.expect(wait_for(lambda: updates() >= at_loss + 2, 30), "the image updates again: %d → %d" % (at_loss, updates()))
    browser.screenshot(os.path.join(tmp, "page2.png"))
finally:
    browser.close()
    cam.stop()
    mj.stop()
if c.failures:
    print("screenshots kept in", tmp)
else:
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
