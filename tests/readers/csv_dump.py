"""Parses a CSV file with Python's csv module (an independent RFC 4180 reader) and prints the
rows as JSON; reports whether the file starts with a UTF-8 byte order mark."""
import csv
import io
import json
import sys

with open(sys.argv[1], "rb") as f:
    raw = f.read()
bom = raw.startswith(b"\xef\xbb\xbf")
text = raw.decode("utf-8-sig")
rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
json.dump({"bom": bom, "crlf": "\r\n" in text, "rows": rows}, sys.stdout)
