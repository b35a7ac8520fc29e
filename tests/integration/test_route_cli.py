#!/usr/bin/python3
"""`vigil route parse` and `vigil route eval` as a user runs them: JSON out, exit codes 0/1/2/3, errors with the
column and a caret."""
import argparse, json, os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
a = ap.parse_args()
c = Checks()


def vigil(*args, stdin=None):
    return subprocess.run([a.vigil, "route", *args], capture_output=True, text=True, input=stdin, timeout=30)


tutorial = ('FROM /messages/modules/camera-module/outputs/output1 '
            'INTO BrokeredEndpoint("/modules/alert-module/inputs/input1")')
r = vigil("parse", tutorial)
doc = json.loads(r.stdout) if r.returncode == 0 else {}
c.expect(r.returncode == 0 and doc["sink"] == {"kind": "moduleInput", "module": "alert-module", "input": "input1",
                                               "endpoint": "/modules/alert-module/inputs/input1"},
         "the tutorial's route parses: %s" % r.stdout)
c.expect(doc.get("source") == "/messages/modules/camera-module/outputs/output1" and doc.get("condition") is None, "source, no condition")
r = vigil("parse", "FROM /messages/* WHERE $body.probability >= 0.6 INTO $upstream")
c.expect(r.returncode == 0 and json.loads(r.stdout)["conditionTree"]["op"] == ">=", "condition tree in the JSON")
r = vigil("parse", "FROM /messages/* WHERE score > 0.6 INTO $upstream")
c.expect(r.returncode == 0 and "warning" in r.stderr and "column 24" in r.stderr and "as_number(score)" in r.stderr,
         "a type mismatch, as edgeHub takes it: exit 0, a warning with the column and the advice: %s" % r.stderr)
r = vigil("parse", "FROM /messages/* WHERE score = 'a' & c = 'd' INTO $upstream")
lines = r.stderr.splitlines()
c.expect(r.returncode == 1 and "column 36" in r.stderr, "a syntax error: exit 1 and the column: %s" % r.stderr)
c.expect(len(lines) == 3 and lines[2].index("^") == lines[1].index("&"), "the caret points at the column:\n%s" % r.stderr)

msg = {"body": {"tag": "Apple", "probability": 0.7}, "contentType": "application/json", "contentEncoding": "utf-8",
       "properties": {"camera": "front"},
       "systemProperties": {"connectionModuleId": "camera-module", "outputName": "output1"}}
f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
json.dump(msg, f)
f.close()
cases = [("$body.probability >= 0.6", 0, "true"), ("$body.probability >= 0.8", 1, "false"),
         ("missing = 'x'", 2, "undefined"), ("camera = 'front' AND $connectionModuleId = 'camera-module'", 0, "true"),
         (tutorial, 0, "true"), ("FROM /messages/modules/other/* INTO $upstream", 1, "false")]
for cond, code, out in cases:
    r = vigil("eval", cond, "--message", f.name)
    c.expect(r.returncode == code and r.stdout.strip() == out, "%s -> %s (%d): got %s (%d)" % (cond, out, code, r.stdout.strip(), r.returncode))
r = vigil("eval", "$body.tag = 'Apple'", "--message", "-", stdin=json.dumps(msg))
c.expect(r.returncode == 0 and r.stdout.strip() == "true", "message from standard input")
r = vigil("eval", "a = ", "--message", f.name)
c.expect(r.returncode == 3 and "column" in r.stderr, "a bad condition: exit 3")
bad = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
bad.write('{"body": 1, "colour": 2}')
bad.close()
r = vigil("eval", "true", "--message", bad.name)
c.expect(r.returncode == 3 and "colour" in r.stderr, "a bad message names the key: %s" % r.stderr.strip())
os.unlink(f.name)
os.unlink(bad.name)
sys.exit(c.done())
