"""`clausetag review`: the labels page, review mode included, for an earlier `clausetag label` JSONL."""

from __future__ import annotations

from pathlib import Path

from clausetag.infer.review_page import model_thresholds, page_model


class ReviewError(ValueError):
    """A labels file or model folder that cannot make a review page; the message names it."""


def write_review_page(labels_path: Path, output: Path, model_dir: Path | None = None) -> dict:
    """Write the labels page (with its review mode) for an earlier `clausetag label` JSONL output. The
    thresholds come from `model_dir`, or else from the model folder the file's summary records name;
    returns counts and `thresholds_from` (None where no model folder could be read)."""
    from clausetag.infer.html_view import render_html
    from clausetag.infer.output import atomic_write_text
    from clausetag.jsonlines import json_objects, located
    from clausetag.modeldir import ModelError, read_info
    from clausetag.reports.coverage import read_labels
    from clausetag.reports.label_output import CoverageError
    from clausetag.taxonomy import Taxonomy

    try:
        batch = read_labels(labels_path)  # checks every unit record (doc, text, labels, scores)
    except CoverageError as e:
        raise ReviewError(str(e)) from None
    records = [r for _, r in json_objects(labels_path, located(ReviewError, labels_path))]
    meta = {"documents": len(batch.policies)}
    if model_dir is not None:
        try:
            info = read_info(model_dir)
        except ModelError as e:
            raise ReviewError(str(e)) from None
        names = Taxonomy.from_dict(info.taxonomy).names
        if sorted(names) != sorted(batch.labels):
            raise ReviewError(f"{model_dir}: its labels ({', '.join(names)}) are not those of {labels_path} "
                              f"({', '.join(batch.labels)})")
        meta.update(model=str(model_dir), model_dir=str(model_dir))
    found = page_model(records, meta)
    meta.setdefault("model", found["name"] or found["path"])
    thresholds = model_thresholds(found["path"])
    meta["thresholds"] = thresholds
    atomic_write_text(output, render_html(records, batch.labels, meta))
    units = sum(len(p.predictions) for p in batch.policies)
    return {"units": units, "documents": len(batch.policies), "thresholds_from": found["path"] if thresholds else None,
            "model_path": found["path"]}
