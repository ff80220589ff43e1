"""Reads an .xlsx with openpyxl (an independent reader) and prints what the tests check, as JSON:
every sheet's cells with their Python types and number formats, the frozen pane, the
autofilter range and the document properties. Formulas are read twice: as written, and as
cached results."""
import datetime
import json
import sys

import openpyxl


def cell(c):
    v = c.value
    kind = type(v).__name__
    if isinstance(v, (datetime.datetime, datetime.date)):
        v = v.date().isoformat() if isinstance(v, datetime.datetime) else v.isoformat()
    return {"v": v, "t": kind, "fmt": c.number_format}


def main(path):
    wb = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    out = {"sheets": [], "properties": {}}
    p = wb.properties
    out["properties"] = {"title": p.title, "subject": p.subject, "description": p.description}
    for ws in wb.worksheets:
        vs = values[ws.title]
        rows = []
        for r, vr in zip(ws.iter_rows(), vs.iter_rows()):
            rows.append([dict(cell(c), cached=cell(v)["v"]) for c, v in zip(r, vr)])
        out["sheets"].append({
            "title": ws.title,
            "freeze": ws.freeze_panes,
            "autofilter": ws.auto_filter.ref,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "rows": rows,
        })
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
