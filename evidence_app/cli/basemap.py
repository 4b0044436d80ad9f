"""Basemap commands: ``basemap add FILE.mbtiles [--name N] | list | remove NAME``."""

from __future__ import annotations

import argparse
from typing import Any

from evidence_app.cli.common import Output, table
from evidence_app.services import basemaps
from evidence_app.services.context import Context


def register(sub: Any) -> None:
    group = sub.add_parser("basemap", help="offline basemaps from MBTiles files").add_subparsers(
        dest="basemap_cmd", metavar="ACTION", required=True
    )
    p = group.add_parser("add", help="add an MBTiles file as a basemap of the map")
    p.add_argument("file", metavar="FILE.mbtiles")
    p.add_argument("--name", help="the name shown in the map's layer switcher (default: the file's own)")
    p.set_defaults(handler=basemap_add)
    p = group.add_parser("list", help="list the basemaps")
    p.set_defaults(handler=basemap_list)
    p = group.add_parser("remove", help="remove a basemap (the file itself is left alone)")
    p.add_argument("basemap", metavar="NAME", help="its name, its number in the list, or its file")
    p.set_defaults(handler=basemap_remove)


def basemap_add(args: argparse.Namespace, _ctx: Context) -> Output:
    entry = basemaps.add_basemap(args.file, args.name)
    return Output(
        entry.as_dict(), f"basemap {entry.name!r} added ({entry.format} tiles, zoom {entry.minzoom}-{entry.maxzoom})"
    )


def basemap_list(_args: argparse.Namespace, _ctx: Context) -> Output:
    entries = basemaps.list_basemaps()
    rows = [[i, b.name, b.format, f"{b.minzoom}-{b.maxzoom}", b.path] for i, b in enumerate(entries, start=1)]
    text = (
        table(rows, ["#", "Name", "Format", "Zoom", "File"])
        if rows
        else "no basemaps (add one with: basemap add FILE.mbtiles)"
    )
    return Output([b.as_dict() for b in entries], text)


def basemap_remove(args: argparse.Namespace, _ctx: Context) -> Output:
    entry = basemaps.remove_basemap(args.basemap)
    return Output(entry.as_dict(), f"basemap {entry.name!r} removed (the file {entry.path} is left as it was)")
