"""A JSON document with one long list, written a list item at a time.

The items go to a temporary file as they come (`add`); `write` then puts the document in place
(atomically), byte for byte as `json.dumps(document, ensure_ascii=False, indent=2)` writes it with the
list in it, so that a report's JSON reads the same whether it was built in memory or streamed; or, for a
large batch, with each item of the list on a line of its own.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path

from clausetag.infer.output import atomic_file

_ITEM_INDENT = "\n    "  # an item of a list that is a value of the top-level object, at indent=2


class JsonListSpool:
    """The items of one list of a JSON document, spooled to a temporary file; `one_line`: each item on one
    line (json's C encoder: several times faster, a third smaller; for the lists of large batches)."""

    def __init__(self, one_line: bool = False) -> None:
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.count = 0
        self.indent = None if one_line else 2

    def add(self, item) -> None:
        text = json.dumps(item, ensure_ascii=False, indent=self.indent).replace("\n", _ITEM_INDENT)
        self.file.write(("," if self.count else "") + _ITEM_INDENT + text)
        self.count += 1

    def write(self, path: Path, document: dict, key: str) -> None:
        """Write `document` to `path` with the spooled items as its `key` (whose place in it they take)."""
        marker = json.dumps(f"@@clausetag-spool-{uuid.uuid4().hex}@@")
        head, tail = json.dumps({**document, key: json.loads(marker)}, ensure_ascii=False, indent=2).split(marker)
        with atomic_file(path) as out:
            out.write(head + "[")
            if self.count:
                self.file.seek(0)
                shutil.copyfileobj(self.file, out)
                out.write("\n  ")
            out.write("]" + tail + "\n")

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> JsonListSpool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
