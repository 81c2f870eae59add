"""Sends one exception and one message to the DSN in argv[1] with python sentry-sdk 1.x.

Run with Debian's /usr/bin/python3 (python3-sentry-sdk). Prints a JSON object with the event
ids on stdout: {"version": ..., "exception": "<id>", "message": "<id>"}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import sentry_sdk
except ImportError as exc:  # a missing prerequisite is a failure with a clear message
    sys.stderr.write("python sentry-sdk is not installed for %s (apt-get install python3-sentry-sdk): %s\n"
                     % (sys.executable, exc))
    sys.exit(3)

from ferry_app import billing  # noqa: E402


def main():
    dsn = sys.argv[1]
    amount = int(sys.argv[2]) if len(sys.argv) > 2 else 250
    sentry_sdk.init(dsn, release="pyapp@2.0.0", environment="pytest", debug=False,
                    default_integrations=True, max_breadcrumbs=10)
    sentry_sdk.add_breadcrumb(category="test", message="about to charge", level="info")
    ids = {"version": sentry_sdk.VERSION}
    try:
        billing.charge(amount)
    except ValueError:
        ids["exception"] = sentry_sdk.capture_exception()
    ids["message"] = sentry_sdk.capture_message("python says hello", level="warning")
    sentry_sdk.flush(timeout=10)
    print(json.dumps(ids))


if __name__ == "__main__":
    main()
