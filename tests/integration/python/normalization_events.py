"""Sends three events with python sentry-sdk 1.x for store_normalization.test.mjs.

Run with Debian's /usr/bin/python3 (python3-sentry-sdk 1.9.10): python3 normalization_events.py DSN

1. "wsgi": a JSONDecodeError raised under shop_app.views.parse_order while a tiny WSGI app
   (wrapped in the SDK's SentryWsgiMiddleware, called in-process, no server) handles
   GET http://shop.example.com/cart/checkout?coupon=SPRING&step=2 from Firefox 75 on Windows 10;
   the app sets a user with an id. The middleware reports it (mechanism wsgi, handled false).
2. "divide": a ZeroDivisionError in shop_app.views.divide, captured with capture_exception in a
   pushed scope with a username and a boolean tag.
3. "logging": logging.error("Here is a new %s", "error") through the logging integration.

Prints one JSON object: {"sdk": version, "python": "X.Y.Z", "ids": {name: event_id},
"sent": {name: the event as the SDK sent it (from before_send)}}.
"""
import io
import json
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware
except ImportError as exc:
    sys.stderr.write("python sentry-sdk is not installed for %s (apt-get install python3-sentry-sdk): %s\n"
                     % (sys.executable, exc))
    sys.exit(3)

from shop_app import views  # noqa: E402

FIREFOX_75_WINDOWS_10 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:75.0) Gecko/20100101 Firefox/75.0"

sent = []


def before_send(event, hint):
    # The event is already serialized here: a JSON round trip is a faithful copy.
    sent.append(json.loads(json.dumps(event, default=str)))
    return event


def wsgi_app(environ, start_response):
    sentry_sdk.set_user({"id": "u-42", "email": "ada@example.com"})
    sentry_sdk.set_tag("flow", "checkout")
    order = views.parse_order(environ["wsgi.input"].read().decode("utf-8"))
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(order).encode("utf-8")]


def environ():
    body = b"{not json"
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/cart/checkout",
        "QUERY_STRING": "coupon=SPRING&step=2",
        "SERVER_NAME": "shop.example.com",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_HOST": "shop.example.com",
        "HTTP_USER_AGENT": FIREFOX_75_WINDOWS_10,
        "HTTP_ACCEPT": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": True,
    }


def main():
    dsn = sys.argv[1]
    sentry_sdk.init(
        dsn,
        release="pyshop@1.4.2",
        dist="b42",
        environment="production",
        server_name="web-7",
        send_default_pii=True,
        in_app_include=["shop_app"],
        with_locals=False,
        default_integrations=True,
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        before_send=before_send,
    )
    ids = {}
    app = SentryWsgiMiddleware(wsgi_app)
    try:
        app(environ(), lambda status, headers, exc_info=None: None)
    except ValueError:  # json.JSONDecodeError; the middleware reported it and re-raised
        pass
    ids["wsgi"] = sent[-1]["event_id"] if sent else None

    with sentry_sdk.push_scope() as scope:
        scope.user = {"username": "grace"}
        scope.set_tag("beta", True)
        try:
            views.divide(10, 0)
        except ZeroDivisionError:
            ids["divide"] = sentry_sdk.capture_exception()

    logging.error("Here is a new %s", "error")
    ids["logging"] = sent[-1]["event_id"] if len(sent) >= 3 else None

    sentry_sdk.flush(timeout=10)
    by_id = {e.get("event_id"): e for e in sent}
    print(json.dumps({
        "sdk": sentry_sdk.VERSION,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "ids": ids,
        "sent": {name: by_id.get(i) for name, i in ids.items()},
    }))


if __name__ == "__main__":
    main()
