#!/usr/bin/python3
"""Makes a street clip with known identities from Debian's vtest.avi: the empty street (the per-pixel median of the
video, which keeps its parked van and car) with three real pedestrians cut out of vtest frame 700 and walked along
scripted paths. Writes street.avi (MJPG, 768x576, 10 fps) and truth.json (the objects, their frames, crossings of
the gate line, and the loitering) into OUT.

  A  frames  20-110  walks left to right in front (crosses the gate leftToRight)
  B  frames  80-170  walks right to left behind (crosses the gate rightToLeft); A and B are in view together
  C  frames 200-330  comes in from the right, stands in the corner for 6 s, leaves to the right (no crossing)
"""
import argparse
import json
import os

import cv2
import numpy as np

VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
FPS = 10
FRAMES = 360
GATE_X = 0.5  # the gate: a vertical line at x = 0.5, drawn bottom to top (its left is the picture's left)
CORNER = (0.78, 0.42, 0.96, 0.62)  # the loitering zone "corner": x0, y0, x1, y1 (as in examples/security-camera)
# (box in frame 700 of vtest, scale) for each pedestrian
CUTOUTS = {"A": ((103, 287, 40, 109), 1.3), "B": ((681, 218, 48, 90), 1.3), "C": ((366, 172, 31, 84), 1.4)}


def read_vtest():
    cap = cv2.VideoCapture(VTEST)
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    return frames


def cutout(frame, background, box, scale):
    x, y, w, h = box
    pad = 4
    patch = frame[y - pad:y + h + pad, x - pad:x + w + pad]
    diff = cv2.absdiff(patch, background[y - pad:y + h + pad, x - pad:x + w + pad]).max(axis=2)
    mask = (diff > 40).astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = np.where(labels == biggest, 255, 0).astype(np.uint8)
    size = (int(patch.shape[1] * scale), int(patch.shape[0] * scale))
    return cv2.resize(patch, size, interpolation=cv2.INTER_LINEAR), cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)


def paste(canvas, patch, mask, foot_x, foot_y):
    """Pastes so that the patch's bottom centre lands on (foot_x, foot_y); returns the visible box (x0, y0, x1, y1)."""
    h, w = mask.shape
    x0, y0 = int(round(foot_x - w / 2)), int(round(foot_y - h))
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(canvas.shape[1], x0 + w), min(canvas.shape[0], y0 + h)
    if cx0 >= cx1 or cy0 >= cy1:
        return None
    region = canvas[cy0:cy1, cx0:cx1]
    p = patch[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
    m = mask[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0] > 0
    region[m] = p[m]
    return cx0, cy0, cx1, cy1


def path(name, k):
    """Foot position (pixels) of pedestrian `name` at frame k, or None when out of view."""
    if name == "A" and 20 <= k <= 110:
        a = (k - 20) / 90
        return 40 + a * 690, 470
    if name == "B" and 80 <= k <= 170:
        a = (k - 80) / 90
        return 740 - a * 700, 330 + a * 10
    if name == "C" and 200 <= k <= 330:
        if k < 230:
            return 760 - (k - 200) * 4, 300
        if k < 290:
            return 640 + (1 if k % 4 < 2 else -1), 300
        return 640 + (k - 290) * 4, 300
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    frames = read_vtest()
    background = np.median(np.stack(frames[::8]), axis=0).astype(np.uint8)
    people = {n: cutout(frames[700], background, box, s) for n, (box, s) in CUTOUTS.items()}
    writer = cv2.VideoWriter(os.path.join(args.out, "street.avi"), cv2.VideoWriter_fourcc(*"MJPG"), FPS,
                             (background.shape[1], background.shape[0]))
    seen = {n: [] for n in people}
    sides = {n: None for n in people}
    crossings = []
    in_corner = {n: [] for n in people}
    for k in range(FRAMES):
        canvas = background.copy()
        for name in ("B", "A", "C"):  # A walks in front of B
            foot = path(name, k)
            if foot is None:
                continue
            box = paste(canvas, *people[name], *foot)
            if box is None:
                continue
            seen[name].append(k + 1)  # vigil numbers frames from 1
            side = "left" if foot[0] / canvas.shape[1] < GATE_X else "right"
            if sides[name] is not None and side != sides[name]:
                crossings.append({"object": name, "line": "gate", "frame": k + 1,
                                  "direction": "leftToRight" if side == "right" else "rightToLeft"})
            sides[name] = side
            fx, fy = foot[0] / canvas.shape[1], foot[1] / canvas.shape[0]
            if CORNER[0] <= fx <= CORNER[2] and CORNER[1] <= fy <= CORNER[3]:
                in_corner[name].append(k + 1)
        writer.write(canvas)
    writer.release()
    truth = {"fps": FPS, "frames": FRAMES,
             "objects": [{"id": n, "tag": "person", "firstFrame": seen[n][0], "lastFrame": seen[n][-1]} for n in people],
             "crossings": crossings,
             "loitering": [{"object": n, "zone": "corner", "fromFrame": f[0], "toFrame": f[-1]}
                           for n, f in in_corner.items() if len(f) / FPS >= 5],
             "stationary": [{"tag": "car", "note": "the parked van and car, in view throughout: never an alert"}]}
    with open(os.path.join(args.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=2)


if __name__ == "__main__":
    main()
