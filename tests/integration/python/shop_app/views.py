"""Request handlers that fail: one inside a stdlib call, one in its own frame."""
import json


def parse_order(body):
    # json.loads raises in json/decoder.py: the last frame is not in-app, this one is.
    return json.loads(body)


def divide(total, count):
    return total / count
