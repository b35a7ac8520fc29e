#!/usr/bin/python3
"""A real SMTP server on loopback (Debian python3-aiosmtpd) for the e-mail uplink test: requires AUTH LOGIN/PLAIN
as vigil/secret (without TLS, on loopback only), writes each received message to DIR/N.eml. Prints "ready PORT".
usage: smtp_server.py PORT DIR"""
import os, signal, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, folder = int(sys.argv[1]), sys.argv[2]
os.makedirs(folder, exist_ok=True)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len(os.listdir(folder)) + 1
        partial = folder.rstrip("/") + ".partial"  # beside the folder: a reader never sees half a message in it
        with open(partial, "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(partial, os.path.join(folder, "%03d.eml" % n))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"vigil" and auth_data.password == b"secret"
    return AuthResult(success=ok)


controller = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator, auth_required=True,
                        auth_require_tls=False)
controller.start()
print("ready %d" % controller.port, flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
stop.wait()
controller.stop()
