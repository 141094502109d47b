"""`clausetag label --engine ray`: the same batch as `run_batch`, distributed with Ray Data.

The pipeline runs the single-machine labeler's own steps: `prepare_input` (read, hash, segment; no model)
in Ray tasks, then `Labeler.label_prepared` (score, decide) in a pool of actors that each load the model
once (`LabelingWorker`). A worker writes the records of each batch of documents as one partition
(`infer/partitions.py`, atomic) and hands the driver one small row per document, which the driver counts
(documents in = labeled + failed), shows (progress, each document's warnings and error) and sums up at
the end, as `run_batch` does.

`--resume` keeps the documents already written whose content has not changed (by document id and
content hash) and labels the rest; a document whose file changed is labeled again and its old rows are
dropped. A worker lost mid-job is restarted by Ray and its batch retried: the partition's name follows
from its documents, so the retry replaces it instead of adding a second.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path, PurePosixPath

from clausetag.infer.batch import (_check_same_model, count_document, document_records, new_stats,
                                   note_inputs, print_counts, tell_problems)
from clausetag.infer.labeler import (DocumentResult, Labeler, PreparedDocument, default_model_dir, document_ids,
                                     model_record)
from clausetag.infer.manifest import content_sha256, is_remote, list_inputs, prepare_input
from clausetag.infer.partitions import (META_FILE, drop_documents, partition_files, write_meta, write_partition,
                                        written_documents)
from clausetag.infer.progress import progress
from clausetag.infer.remote_folder import folder_at
from clausetag.records import SUMMARY_RECORD
from clausetag.settings import defaults

#: The status a document's result row carries back to the driver.
LABELED, FAILED, SKIPPED = "labeled", "failed", "skipped"
#: Test hook: a worker process ends itself (os._exit) after this many batches, on its first life only
#: (the marker file CLAUSETAG_RAY_CRASH_MARKER says it has died once), as a lost worker would.
CRASH_AFTER, CRASH_MARKER = "CLAUSETAG_RAY_CRASH_AFTER", "CLAUSETAG_RAY_CRASH_MARKER"


def ray_settings() -> dict:
    return defaults()["ray"]


def extract_row(row: dict, max_mb: float | None, lang: str | None) -> dict:
    """Ray task: read, hash and segment one document (the labeler's first step); a document written before
    (`--resume`) whose content has the hash it had then is passed on as already done (a web address or an
    unreadable file, which have no hash, by its id alone, as `run_batch` resumes)."""
    # columns are strings throughout ("" for none): a column of nulls alone would reach a worker as floats
    written = row["written_sha"] or None
    done = {"doc": row["doc"], "sha256": row["written_sha"] or "", "prepared": ""}
    if row["written"] and not is_remote(row["path"]) and content_sha256(row["path"]) == written:
        return done  # a local file is hashed before it is read
    prepared, sha = prepare_input(row["path"], max_mb, lang, row["doc"])
    if row["written"] and sha == written:
        return done
    return {"doc": row["doc"], "sha256": sha or "", "prepared": prepared.to_json()}


class LabelingWorker:
    """Ray actor: loads the model once, labels batches of prepared documents (the labeler's second step),
    writes each batch's records as one partition and returns one accounting row per document."""

    def __init__(self, output: str, fmt: str, model_dir: str, backend: str, threads: int | None,
                 encoder: str | None, structure: bool | None):
        self.labeler = Labeler.load(model_dir, backend=backend, threads=threads, encoder=encoder,
                                    structure=structure)
        self.model = self.labeler.model_record
        self.location, self.fmt, self._output = output, fmt, None
        self.batches = 0

    def __call__(self, batch: dict) -> dict:
        rows: dict[str, list] = {k: [] for k in ("doc", "path", "status", "units", "incomplete", "error",
                                                 "warnings", "partition")}
        records: list[dict] = []
        for doc, sha, prepared in zip(batch["doc"], batch["sha256"], batch["prepared"]):
            if not prepared:
                result, status = DocumentResult(str(doc), None), SKIPPED
            else:
                result = self.labeler.label_prepared(PreparedDocument.from_json(prepared))
                status = FAILED if result.error else LABELED
                out = document_records(result, self.labeler.labels, self.model)
                out[-1]["sha256"] = str(sha) or None
                records += out
            for key, value in (("doc", result.doc), ("path", result.path or ""), ("status", status),
                               ("units", len(result.predictions)), ("incomplete", result.incomplete),
                               ("error", result.error or ""), ("warnings", json.dumps(result.warnings))):
                rows[key].append(value)
        partition = write_partition(self.output(), records, self.fmt, self.labeler.labels).name if records else ""
        rows["partition"] = [partition] * len(rows["doc"])
        self._maybe_crash()
        return rows

    def output(self):
        """The output folder, opened when first written to (a worker of a resumed job may write nothing)."""
        if self._output is None:
            self._output = folder_at(self.location)
        return self._output

    def _maybe_crash(self) -> None:
        """The test hook (CRASH_AFTER): after the partition is written, before the driver hears of it."""
        self.batches += 1
        after, marker = os.environ.get(CRASH_AFTER), os.environ.get(CRASH_MARKER)
        if after and marker and self.batches >= int(after) and not Path(marker).exists():
            Path(marker).write_text(str(os.getpid()))
            os._exit(1)


def _crash_env() -> dict:
    """The test hook's variables (CRASH_AFTER), passed on to the workers when the driver has them."""
    env = {k: os.environ[k] for k in (CRASH_AFTER, CRASH_MARKER) if k in os.environ}
    return {"runtime_env": {"env_vars": env}} if env else {}


def _connect(address: str | None, workers: int | None) -> None:
    """Join the cluster at `address`, or start Ray on this machine (unless this process already has)."""
    import ray

    if ray.is_initialized():
        return
    kwargs = dict(logging_level=logging.WARNING, log_to_driver=False, include_dashboard=False)
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=os.cpu_count(), **kwargs)


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A HOST:PORT address that nothing answers at fails at once (Ray itself would retry for minutes)."""
    import socket

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # `auto`, or a form Ray resolves itself
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise ConnectionError(f"nothing answers at {host}:{port} ({e.strerror or e}); start the head with "
                              "`ray start --head` and give the address it prints") from None


def _quiet_ray_data() -> None:
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # the batch's own progress display covers the whole job
    ctx.enable_operator_progress_bars = False
    ctx.print_on_execution_start = False
    ctx.enable_auto_log_stats = False
    for name in ("ray.data", "ray"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _worker_resources(workers: int | None, threads: int | None, local: bool) -> tuple[int, int, float, float]:
    """(workers, threads per worker, CPUs each worker asks Ray for, CPUs each extraction task asks for):
    by default as many workers as the cluster has CPUs left beside extraction, one thread each; on this
    machine alone a worker's threads share its cores."""
    import ray

    total = float(ray.cluster_resources().get("CPU", 1))
    extract_cpus = float(ray_settings()["extract_cpus"])
    workers = workers or max(1, int(total - extract_cpus))
    threads = threads or (max(1, int(total // workers)) if local else 1)
    worker_cpus = min(float(threads), max(0.1, (total - extract_cpus) / workers))
    return workers, threads, worker_cpus, extract_cpus


def _model_for_workers(model_dir: Path, backend: str, encoder: str | None, structure: bool | None) -> tuple[list[str], dict]:
    """The labels and model record the workers will write, from `model.json`; an ONNX export not yet
    cached is made here once, before the workers start (else each would make it at the same time)."""
    from clausetag.modeldir import read_info
    from clausetag.taxonomy import Taxonomy

    info = read_info(model_dir)
    if backend == "onnx" and info.method != "tfidf":
        from clausetag.infer.onnx_backend import cache_path, export_settings

        if not cache_path(model_dir, export_settings(info.onnx)).exists():
            Labeler.load(model_dir, backend="onnx", encoder=encoder)
    structure = defaults()["labeler"]["structure_rules"] if structure is None else structure
    return Taxonomy.from_dict(info.taxonomy).names, model_record(info, model_dir, structure)


def _prepare_output(output, resume: bool, labels: list[str], model: dict):
    """Start the output folder afresh (its earlier partitions removed) or, resuming, read what it holds,
    drop a document's older copy where a stopped run wrote it twice, and check the model is the same."""
    if not resume:
        for f in partition_files(output):
            f.unlink()
        (output / META_FILE).unlink(missing_ok=True)
        output.mkdir(parents=True, exist_ok=True)
        return written_documents(output)
    written = written_documents(output)
    if written.model:
        _check_same_model(output, [{"type": SUMMARY_RECORD, "model": written.model}], model)
    output.mkdir(parents=True, exist_ok=True)
    return _drop_duplicates(output, labels, written)


def _drop_duplicates(output, labels: list[str], written=None):
    """Keep one copy of each document, the newest: a run stopped between writing a changed document again
    and dropping its old rows, or a killed driver's last batch written after the resumed run had looked,
    leaves two."""
    written = written or written_documents(output)
    for path, docs in written.duplicates.items():
        drop_documents(path, docs, labels)
    return written_documents(output) if written.duplicates else written


def run_ray_batch(inputs, output: str | Path, fmt: str = "parquet", model_dir=None, backend: str = "onnx",
                  resume: bool = False, max_mb: float | None = None, threads: int | None = None,
                  quiet: bool = False, encoder: str | None = None, lang: str | None = None,
                  structure: bool | None = None, address: str | None = None, workers: int | None = None,
                  manifests=(), batch_documents: int | None = None) -> dict:
    """Label `inputs` (and the documents `manifests` list) on Ray into the partition folder `output` (a
    local folder, or an address on another filesystem: `s3://bucket/prefix`); returns `run_batch`'s counts. `address`: a running cluster's (`auto`: the one `ray start` began on this
    machine); None: the cluster RAY_ADDRESS names (set in a `ray job submit` entrypoint), else Ray starts here. `workers`: actors that score (each loads the model once)."""
    import ray.data

    model_dir = Path(model_dir).absolute() if model_dir else default_model_dir().absolute()
    address = address or os.environ.get("RAY_ADDRESS")  # a `ray job submit` entrypoint runs with the cluster's
    if address:
        _check_reachable(address)  # at once, before the model's ONNX export (minutes the first time)
    labels, model = _model_for_workers(model_dir, backend, encoder, structure)
    unsupported: list = []
    output, location = folder_at(output).absolute(), str(output)
    location = str(output) if isinstance(output, Path) else location  # what the workers open it by
    paths = list_inputs(inputs, manifests, exclude=[output] if isinstance(output, Path) else [],
                        unsupported=unsupported)
    ids = document_ids(paths)
    stats = new_stats(len(paths), len(unsupported))
    note_inputs(list(inputs) + list(manifests), paths, [u if isinstance(u, Path) else PurePosixPath(u) for u in unsupported])
    _connect(address, workers)  # before the output is touched: an address that does not answer changes nothing
    _quiet_ray_data()
    written = _prepare_output(output, resume, labels, model)
    names = set(ids)
    for doc, (units, failed) in written.counts.items():
        if doc not in names:  # earlier documents these inputs no longer name stay and count, as in run_batch
            stats["earlier"] += 1
            stats["documents"] += 1
            count_document(stats, failed, False, units)
    batch_documents = batch_documents or ray_settings()["batch_documents"]
    workers, threads, worker_cpus, extract_cpus = _worker_resources(workers, threads, local=address is None)
    rows = [{"path": str(p), "doc": d, "written": d in written.documents,
             "written_sha": (written.documents[d][0] if d in written.documents else None) or ""}
            for p, d in zip(paths, ids)]
    replaced: dict[Path, set[str]] = {}
    bar = progress(len(paths), quiet, defaults()["labeler"]["progress_every_s"])
    try:
        if rows:
            ds = ray.data.from_items(rows, override_num_blocks=max(1, math.ceil(len(rows) / batch_documents)))
            ds = ds.map(extract_row, fn_kwargs={"max_mb": max_mb, "lang": lang}, num_cpus=extract_cpus)
            ds = ds.map_batches(LabelingWorker, batch_size=batch_documents, concurrency=workers,
                                num_cpus=worker_cpus, batch_format="numpy",
                                fn_constructor_kwargs={"output": location, "fmt": fmt, "model_dir": str(model_dir),
                                                       "backend": backend, "threads": threads, "encoder": encoder,
                                                       "structure": structure},
                                **_crash_env())
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                for i, doc in enumerate(batch["doc"]):
                    status = batch["status"][i]
                    if status == SKIPPED:
                        stats["skipped"] += 1
                        count_document(stats, written.counts[doc][1], False, written.counts[doc][0])
                    else:
                        tell_problems(json.loads(batch["warnings"][i]), batch["error"][i] or None)
                        count_document(stats, status == FAILED, bool(batch["incomplete"][i]), int(batch["units"][i]))
                        if doc in written.documents and written.documents[doc][1].name != batch["partition"][i]:
                            replaced.setdefault(written.documents[doc][1], set()).add(str(doc))
                    bar.set_postfix(units=stats["units"], failed=stats["failed"])
                    bar.update(1)
    finally:
        bar.close()
    for path, docs in replaced.items():  # a changed document's old rows, now that its new ones are written
        if path.exists():
            drop_documents(path, docs, labels)
    _drop_duplicates(output, labels)
    write_meta(output, {"labels": labels, "model": model, "format": fmt, "documents": stats["documents"],
                        "labeled": stats["labeled"], "failed": stats["failed"], "units": stats["units"],
                        "engine": "ray", "workers": workers})
    print_counts(stats, quiet)
    return stats


def ray_missing() -> str | None:
    """Why the Ray engine cannot run here (None when it can)."""
    from importlib.util import find_spec

    missing = [name for name in ("ray", "pyarrow") if find_spec(name) is None]
    if missing:
        return (f"--engine ray needs Ray Data and pyarrow ({', '.join(missing)} not installed): "
                "pip install 'clausetag[ray]'")
    return None

