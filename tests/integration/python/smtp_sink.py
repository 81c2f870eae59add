"""A real SMTP server for the mail tests: aiosmtpd (Debian python3-aiosmtpd) requiring STARTTLS
and AUTH, writing each accepted message as one JSON line.

Usage: smtp_sink.py PORT CERT KEY USERNAME PASSWORD OUT_FILE [MECHANISMS]
MECHANISMS is a comma-separated list of AUTH mechanisms to offer (default "PLAIN,LOGIN").
Run with Debian's /usr/bin/python3. Prints "READY <port>" once it accepts connections.
Each JSON line: {"mail_from", "rcpt_tos", "login", "tls", "subject", "from", "to", "date",
"message_id", "content_type", "parts": [{"content_type", "charset", "text"}]}.
"""
import email
import email.policy
import json
import ssl
import sys
import threading

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError as exc:  # a missing prerequisite is a failure with a clear message
    sys.stderr.write("aiosmtpd is not installed for %s (apt-get install python3-aiosmtpd): %s\n"
                     % (sys.executable, exc))
    sys.exit(3)

ALL_MECHANISMS = ("PLAIN", "LOGIN")


def main():
    port, cert, key, username, password, out_path = sys.argv[1:7]
    offered = sys.argv[7].split(",") if len(sys.argv) > 7 else list(ALL_MECHANISMS)
    lock = threading.Lock()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode() == username and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
            parts = []
            for part in msg.walk():
                if part.is_multipart():
                    continue
                parts.append({"content_type": part.get_content_type(),
                              "charset": part.get_content_charset(),
                              "text": part.get_content()})
            login = session.auth_data.login.decode() if session.auth_data else None
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "login": login,
                "tls": session.ssl is not None,
                "subject": str(msg["subject"]),
                "from": str(msg["from"]),
                "to": str(msg["to"]),
                "date": str(msg["date"]),
                "message_id": str(msg["message-id"]),
                "content_type": msg.get_content_type(),
                "parts": parts,
            }
            with lock, open(out_path, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            return "250 OK"

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=int(port),
        tls_context=tls, require_starttls=True,
        auth_required=True, auth_require_tls=True, authenticator=authenticator,
        auth_exclude_mechanism=[m for m in ALL_MECHANISMS if m not in offered])
    controller.start()
    print("READY %s" % port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
