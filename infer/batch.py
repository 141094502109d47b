"""A labeling batch as the CLI runs it: stream documents, report errors, write outputs, resume."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from clausetag.infer.extract import supported_suffixes
from clausetag.infer.labeler import DocumentResult, Labeler, document_ids, expand_inputs, prediction_record
from clausetag.infer.output import PartialWriter, completed_records, finalize, partial_path
from clausetag.infer.progress import progress
from clausetag.records import SUMMARY_RECORD
from clausetag.settings import defaults
from clausetag.wording import counted


def _note_unsupported(files: list[Path], shown: int = 5) -> None:
    """One stderr line for the files of the given folders that are not read (unknown suffix)."""
    suffixes = sorted({f.suffix.lower() or "(no suffix)" for f in files})
    names = ", ".join(str(f) for f in files[:shown]) + (f" and {len(files) - shown} more" if len(files) > shown else "")
    print(f"clausetag: note: left out {counted(len(files), 'file')} in the folders given, not a supported type "
          f"({' '.join(suffixes)}): {names}. Supported: {' '.join(supported_suffixes())}; "
          "a file named on the command line is read as text whatever its suffix.", file=sys.stderr)


def note_inputs(inputs, paths: list, unsupported: list) -> None:
    """Notes on stderr: files of the folders given that are not read; no documents at all."""
    if unsupported:
        _note_unsupported(unsupported)
    if not paths:  # an empty folder, or one of other files only: said, though not an error (a nightly run may find none)
        print(f"clausetag: warning: no documents to label in {', '.join(str(i) for i in inputs)}", file=sys.stderr)


class ResumeError(ValueError):
    """An output cannot be resumed as asked (it was labeled by another model)."""


def _check_same_model(output: Path, kept: list[dict], model: dict) -> None:
    """Resuming with another model would mix two models' labels in one output."""
    def differs(earlier: dict) -> bool:  # outputs written before structure_rules existed name none
        return ((earlier.get("name"), earlier.get("created"), earlier.get("structure_rules", model["structure_rules"]))
                != (model["name"], model["created"], model["structure_rules"]))

    other = next((r["model"] for r in kept if r.get("type") == SUMMARY_RECORD and r.get("model")
                  and differs(r["model"])), None)
    if other and (other.get("name"), other.get("created")) == (model["name"], model["created"]):
        flag = lambda on: "--structure" if on else "--no-structure"  # noqa: E731
        raise ResumeError(f"{output}: its documents were labeled with {flag(other['structure_rules'])}, not "
                          f"{flag(model['structure_rules'])}; resume with that setting or label again without --resume")
    if other:
        raise ResumeError(f"{output}: its documents were labeled by the model {other.get('name')!r} trained "
                          f"{other.get('created')} ({other.get('path')}), not by {model['name']!r} trained "
                          f"{model['created']} ({model['path']}); resume with that model (-m) or label again "
                          "without --resume")


def run_batch(inputs, output: Path | None, fmt: str = "jsonl", model_dir=None, backend: str = "torch",
              resume: bool = False, max_mb: float | None = None, threads: int | None = None,
              quiet: bool = False, encoder: str | None = None, lang: str | None = None,
              structure: bool | None = None) -> dict:
    """Label `inputs`; returns counts {documents, labeled, failed, units, skipped (resumed: already done),
    earlier (resumed: kept from the earlier run, not among `inputs`), unsupported}."""
    labeler = Labeler.load(model_dir, backend=backend, threads=threads, encoder=encoder, structure=structure)
    model = labeler.model_record
    unsupported: list[Path] = []
    own = [output, partial_path(output)] if output is not None else []
    paths = list(expand_inputs(inputs, exclude=own, unsupported=unsupported))
    ids = document_ids(paths)
    stats = new_stats(len(paths), len(unsupported))
    note_inputs(inputs, paths, unsupported)
    writer = None
    done: set[str] = set()
    if output is not None:
        partial = partial_path(output)
        keep, done = completed_records(partial) if resume else ([], set())
        if resume and not keep and output.exists() and fmt == "jsonl":
            keep, done = completed_records(output)  # the batch had finished; nothing left to redo
        _check_same_model(output, keep, model)
        for r in keep:
            if r.get("type") == SUMMARY_RECORD:
                stats["labeled" if not r["errors"] else "failed"] += 1
                stats["units"] += r["units"]
        # documents of the earlier run that these inputs no longer name stay in the output and count
        stats["earlier"] = len(done - {str(p) for p in paths})
        stats["documents"] += stats["earlier"]
        writer = PartialWriter(partial, keep)
    bar = progress(len(paths), quiet, defaults()["labeler"]["progress_every_s"])
    try:
        for path, doc_id in zip(paths, ids):
            if str(path) in done:
                stats["skipped"] += 1
                bar.update(1)
                continue
            result = labeler.label_document(path, max_mb, lang, doc_id)
            records = document_records(result, labeler.labels, model)
            tell_problems(result.warnings, result.error)
            count_document(stats, result.error is not None, result.incomplete, len(result.predictions))
            if writer:
                writer.write_document(records)
            else:
                sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
                sys.stdout.flush()
            bar.set_postfix(units=stats["units"], failed=stats["failed"])
            bar.update(1)
    finally:
        bar.close()
        if writer:
            writer.close()
    if output is not None:
        meta = {"model": str(labeler.model.path), "documents": stats["documents"]}
        finalize(partial_path(output), output, fmt, labeler.labels, meta)
    print_counts(stats, quiet)
    return stats


def new_stats(documents: int, unsupported: int) -> dict:
    """A batch's counts (`run_batch`'s return value; the Ray engine's too)."""
    return {"documents": documents, "labeled": 0, "failed": 0, "units": 0, "skipped": 0, "earlier": 0,
            "unsupported": unsupported, "incomplete": 0}


def document_records(result: DocumentResult, labels: list[str], model: dict) -> list[dict]:
    """A document's records in output order: its units, its error (if it failed), its summary."""
    records = [prediction_record(p) for p in result.predictions]
    if result.error:
        records.append(result.error_record())
    records.append(result.summary(labels, model))
    return records


def tell_problems(warnings: list[str], error: str | None) -> None:
    """A document's warnings and error on stderr, one line each."""
    for warning in warnings:
        print(f"clausetag: warning: {warning}", file=sys.stderr)
    if error:
        print(f"clausetag: error: {error}", file=sys.stderr)


def count_document(stats: dict, failed: bool, incomplete: bool, units: int) -> None:
    stats["failed" if failed else "labeled"] += 1
    stats["incomplete"] += bool(incomplete) and not failed
    stats["units"] += units


def print_counts(stats: dict, quiet: bool) -> None:
    """The closing line: documents in = labeled + failed (+ already done), units."""
    if not quiet or stats["failed"] or stats["incomplete"]:  # the counts are part of the error report, so --quiet keeps them then
        resumed = f"; {stats['skipped']} already done" if stats["skipped"] else ""
        if stats["earlier"]:
            resumed += f"; {stats['earlier']} from the earlier run not among these inputs, kept"
        partly = f" ({stats['incomplete']} of them with unreadable parts)" if stats["incomplete"] else ""
        print(f"clausetag: {counted(stats['documents'], 'document')}: {stats['labeled']} labeled{partly}, "
              f"{stats['failed']} failed ({counted(stats['units'], 'unit')}{resumed})", file=sys.stderr)
