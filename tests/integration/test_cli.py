#!/usr/bin/python3
"""The `vigil` command line: help, `vigil predict` on real models and media, and its errors."""
import argparse, json, os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
ap.add_argument("--shared", required=True)
ap.add_argument("--test-models", required=True)
a = ap.parse_args()
c = Checks()


def vigil(*args):
    return subprocess.run([a.vigil, *args], capture_output=True, text=True, timeout=120)


out = vigil("--help")
c.expect(out.returncode == 0 and "serve" in out.stdout and "predict" in out.stdout, "vigil --help lists commands")
out = vigil("serve", "--help")
c.expect(out.returncode == 0 and "--prediction-key" in out.stdout and "--model" in out.stdout, "serve --help")
out = vigil("predict", "--help")
c.expect(out.returncode == 0 and "--model" in out.stdout, "predict --help")
out = vigil("--version")
c.expect(out.returncode == 0 and out.stdout.startswith("vigil "), "--version")
out = vigil("frobnicate")
c.expect(out.returncode != 0, "unknown command fails")

# The README and --help agree: every `--flag` the README writes after `vigil <command> [<subcommand>]` on one line
# is an option that command's --help lists (the README once advised a `--port` that `vigil run` has not).
import re
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
helps = {}


def help_of(words):
    key = " ".join(words)
    if key not in helps:
        r = vigil(*words, "--help")
        helps[key] = r.stdout if r.returncode == 0 else None
    return helps[key]


commands = set(re.findall(r"^  (\w+)\s", vigil("--help").stdout, re.M))
checked = 0
for line in open(README):
    for m in re.finditer(r"vigil ((?:[a-z]+ )?[a-z]+)\b([^`|]*)", line):
        words = m.group(1).split()
        if words[0] not in commands:
            continue
        parent = help_of(words[:1]) or ""
        subs = set(re.findall(r"^  (\w+)\s", parent.split("Subcommands:", 1)[1], re.M)) if "Subcommands:" in parent else set()
        if len(words) == 2 and words[1] not in subs:
            words = words[:1]
        text = help_of(words)
        for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", m.group(2)):
            checked += 1
            c.expect(text is not None and re.search(r"(^|[ ,])%s\b" % re.escape(flag), text, re.M),
                     "README: `vigil %s ... %s` is an option of `vigil %s --help`" % (" ".join(words), flag, " ".join(words)))
c.expect(checked >= 20, "the README's flags were checked against --help: %d" % checked)
hub_help = help_of(["hub"]) or ""
c.expect("console:" in hub_help and "smtp" in hub_help, "vigil hub --help names every kind of uplink")

media = os.path.join(a.shared, "media")
model = os.path.join(a.shared, "models", "cv-applebanana-tf")
if os.path.isdir(model):
    imgs = [os.path.join(media, n) for n in ("apple1.jpg", "banana2.jpg", "backpod.jpg")]
    out = vigil("predict", "--model", model, *imgs)
    lines = out.stdout.strip().splitlines()
    c.expect(out.returncode == 0 and len(lines) == 3, "one line per image: %s" % out.stderr)
    tops = []
    for line in lines:
        preds = json.loads(line)["predictions"]
        tops.append({p["tagName"]: p["probability"] for p in preds})
    c.expect(tops[0].get("Apple", 0) >= 0.9 and tops[1].get("Banana", 0) >= 0.9, "apple and banana: %s" % tops)
    c.expect(all(v < 0.1 for v in tops[2].values()), "backpod has no fruit: %s" % tops[2])

    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "broken.jpg")
        open(bad, "wb").write(b"\xff\xd8\xff\xe0 not really a jpeg")
        out = vigil("predict", "--model", model, imgs[0], bad, os.path.join(tmp, "missing.jpg"), imgs[1])
        c.expect(out.returncode == 1 and len(out.stdout.strip().splitlines()) == 2,
                 "bad images are reported and the rest still run: rc=%s %s" % (out.returncode, out.stderr))
        c.expect("broken.jpg" in out.stderr and "missing.jpg" in out.stderr, "errors name the files: " + out.stderr)
        out = vigil("predict", "--model", tmp, imgs[0])
        c.expect(out.returncode == 1 and "broken.jpg" in out.stderr and "labels.txt" in out.stderr,
                 "an unknown folder says what was found and expected: " + out.stderr)
    out = vigil("predict", "--model", model, "--device", "cuda", imgs[0])
    c.expect(out.returncode == 1 and "CUDA" in out.stderr, "--device cuda without CUDA is refused clearly: " + out.stderr)
else:
    c.skip("shared models not found")

# An ONNX detector built by the tests: boxes in the JSON.
red = os.path.join(tempfile.gettempdir(), "vigil-red-quadrant.png")
subprocess.run(["/usr/bin/python3", "-c",
                "import cv2,numpy as np; i=np.zeros((60,80,3),np.uint8); i[:30,:40]=(0,0,255); cv2.imwrite(%r,i)" % red],
               check=True)
out = vigil("predict", "--model", os.path.join(a.test_models, "detector"), red)
preds = json.loads(out.stdout)["predictions"] if out.returncode == 0 else []
c.expect(len(preds) == 1 and preds[0]["tagName"] == "Apple" and preds[0]["tagId"] == 0
         and abs(preds[0]["boundingBox"]["left"] + preds[0]["boundingBox"]["width"] / 2 - 0.25) < 1e-3,
         "ONNX detector box: %s %s" % (preds, out.stderr))

vtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
if os.path.exists(vtest):
    frame = os.path.join(tempfile.gettempdir(), "vigil-vtest-frame0.png")
    subprocess.run(["/usr/bin/python3", "-c",
                    "import cv2; ok,f=cv2.VideoCapture(%r).read(); cv2.imwrite(%r,f)" % (vtest, frame)], check=True)
    out = vigil("predict", "--model", "builtin:person", frame)
    people = [p for p in json.loads(out.stdout)["predictions"] if p["tagName"] == "person"] if out.returncode == 0 else []
    c.expect(len(people) >= 1, "builtin:person finds people on vtest frame 0: %s" % out.stderr)
sys.exit(c.done())
