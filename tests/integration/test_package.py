#!/usr/bin/python3
"""The Debian package, built from the tree with CPack's DEB generator as `make deb` does: its files (the binary, the
systemd unit, /etc/vigil/deployment.json and .env as conffiles, the doc folder), its dependencies computed from the
binary, the default manifest it carries (the built-in default written out, with /dev/video0 and the alerts file in
/var/lib/vigil), the unit checked by `systemd-analyze verify`, and no lintian errors. As root on a machine without
vigil installed it is also installed and purged: the `vigil` user in the `video` group, /var/lib/vigil, the unit
verified in place, `vigil list` finding the service's state folder without flags, and nothing left after the purge."""
import argparse, grp, json, os, pwd, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(__file__))
from vigil_harness import Checks

ap = argparse.ArgumentParser()
ap.add_argument("--vigil", required=True)
ap.add_argument("--source", required=True)
a = ap.parse_args()
c = Checks()
build = os.path.dirname(os.path.abspath(a.vigil))
if not shutil.which("cpack") or not shutil.which("dpkg-deb"):
    c.skip("cpack or dpkg-deb is missing (scripts/install-deps installs them)")
    sys.exit(c.done())
tmp = tempfile.mkdtemp(prefix="vigil-package-test-")


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


r = sh("cpack", "-G", "DEB", "-B", tmp, cwd=build)
debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
c.expect(r.returncode == 0 and len(debs) == 1, "cpack builds one .deb:\n" + r.stdout[-800:] + r.stderr[-800:])
if not debs:
    sys.exit(c.done())
deb = os.path.join(tmp, debs[0])
files = {l.split()[-1].lstrip(".") for l in sh("dpkg-deb", "-c", deb).stdout.splitlines()}
for f in ("/usr/bin/vigil", "/usr/lib/systemd/system/vigil.service", "/etc/vigil/deployment.json", "/etc/vigil/.env",
          "/usr/share/doc/vigil/copyright", "/usr/share/doc/vigil/changelog.gz"):
    c.expect(f in files, "the package holds %s" % f)
conffiles = sh("dpkg-deb", "-I", deb, "conffiles").stdout.split()
c.expect(conffiles == ["/etc/vigil/deployment.json", "/etc/vigil/.env"], "conffiles: %s" % conffiles)
depends = sh("dpkg-deb", "-f", deb, "Depends").stdout
for d in ("adduser", "mosquitto", "libopencv-dnn406", "libmosquitto1", "libsqlite3-0", "libcurl4"):
    c.expect(d in depends, "Depends names %s (from the binary's libraries): %s" % (d, depends.strip()))

unpacked = os.path.join(tmp, "root")
sh("dpkg-deb", "-x", deb, unpacked)
manifest = json.load(open(os.path.join(unpacked, "etc/vigil/deployment.json")))
expected = json.loads(sh(a.vigil, "run", "--print-default-manifest", "/dev/video0", "--state-dir", "/var/lib/vigil").stdout)
c.expect(manifest == expected, "/etc/vigil/deployment.json is the built-in default written out")
c.expect(manifest["modules"]["camera"]["env"]["VIDEO_PATH"]["value"] == "/dev/video0" and
         "file:/var/lib/vigil/alerts.jsonl" in manifest["uplinks"], "… with /dev/video0 and its alerts in /var/lib/vigil")

unit = open(os.path.join(unpacked, "usr/lib/systemd/system/vigil.service")).read()
for line in ("ExecStart=/usr/bin/vigil run /etc/vigil/deployment.json --state-dir /var/lib/vigil", "User=vigil",
             "SupplementaryGroups=video", "Restart=on-failure", "ProtectSystem=strict", "ReadWritePaths=/var/lib/vigil",
             "NoNewPrivileges=yes"):
    c.expect(line in unit.splitlines(), "the unit says %s" % line)
if shutil.which("systemd-analyze"):
    local = os.path.join(tmp, "vigil.service")  # ExecStart must exist: the built binary stands in for /usr/bin/vigil
    open(local, "w").write(unit.replace("/usr/bin/vigil", os.path.abspath(a.vigil)))
    r = sh("systemd-analyze", "verify", local)
    c.expect(r.returncode == 0 and not r.stderr.strip(), "systemd-analyze verify: " + r.stderr)
else:
    c.skip("systemd-analyze is missing")
if shutil.which("lintian"):
    r = sh("lintian", "--no-tag-display-limit", deb)
    errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
    c.expect(not errors, "lintian: no errors:\n" + r.stdout)
    print(r.stdout, end="")
else:
    c.skip("lintian is missing (scripts/install-deps installs it)")

installed = sh("dpkg-query", "-W", "-f=${Status}", "vigil").stdout
if os.geteuid() != 0:
    c.skip("install and purge: needs root")
elif "installed" in installed and "not-installed" not in installed:
    c.skip("install and purge: this machine has a vigil package of its own, which the test leaves alone")
else:
    r = sh("dpkg", "-i", deb)
    try:
        c.expect(r.returncode == 0, "dpkg -i: " + r.stdout[-500:] + r.stderr[-500:])
        c.expect(sh("/usr/bin/vigil", "--version").stdout.startswith("vigil "), "/usr/bin/vigil runs")
        user = pwd.getpwnam("vigil") if "vigil" in [p.pw_name for p in pwd.getpwall()] else None
        c.expect(user is not None, "a vigil system user")
        c.expect(user is not None and "vigil" in grp.getgrnam("video").gr_mem, "… in the video group")
        st = os.stat("/var/lib/vigil") if os.path.isdir("/var/lib/vigil") else None
        c.expect(st is not None and user is not None and st.st_uid == user.pw_uid, "/var/lib/vigil belongs to it")
        if shutil.which("systemd-analyze"):
            r = sh("systemd-analyze", "verify", "/usr/lib/systemd/system/vigil.service")
            c.expect(r.returncode == 0 and not r.stderr.strip(), "the installed unit verifies: " + r.stderr)
        # As if the service had run: vigil list finds its state folder without --state-dir.
        with open("/var/lib/vigil/status.json", "w") as f:
            json.dump({"pid": 0, "modules": [{"name": "camera", "status": "stopped"}]}, f)
        home = tempfile.mkdtemp(prefix="vigil-home-")
        env = {k: v for k, v in os.environ.items() if k not in ("VIGIL_STATE_DIR", "XDG_STATE_HOME")}
        env["HOME"] = home
        r = sh("/usr/bin/vigil", "list", env=env)
        c.expect(r.returncode == 0 and "camera" in r.stdout and "/var/lib/vigil" in r.stderr,
                 "vigil list finds the service's state folder and says so:\n" + r.stdout + r.stderr)
        shutil.rmtree(home, ignore_errors=True)
    finally:
        r = sh("dpkg", "--purge", "vigil")
    c.expect(r.returncode == 0, "dpkg --purge: " + r.stderr[-500:])
    for gone in ("/usr/bin/vigil", "/etc/vigil/deployment.json", "/usr/lib/systemd/system/vigil.service", "/var/lib/vigil"):
        c.expect(not os.path.exists(gone), "purged: %s is gone" % gone)
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(c.done())
