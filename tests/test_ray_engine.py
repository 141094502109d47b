"""`clausetag label --engine ray` (infer/ray_engine.py): the same records as `clausetag label` on one machine,
every input accounted for, a lost worker and a killed driver without lost or duplicate documents, `--resume`
by document id and content hash, and the partition folder read by `report` and `diff`.

Ray runs in local mode, started once for the module (`ray.init(num_cpus=2)`). Both sides label with
models/fast on the torch backend (no ONNX export to make first, 3 encoder layers: the cheapest model whose
scores are a real encoder's), so records are compared exactly."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[ray]' (CI installs it)")
pytest.importorskip("pyarrow", reason="pyarrow is not installed: pip install -e '.[ray]'")

from clausetag.infer.partitions import folder_records, partition_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "fast"
GOOD = "We collect your e-mail address when you register. We share it with our payment provider."
OTHER = "We keep your order history for five years. You may ask us to delete your account at any time."

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    """Ray on this machine for the module's tests (two CPUs, as CI has)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def make_mixed_folder(folder: Path, seeds_dir: Path) -> dict[str, str]:
    """A seed policy, small policies (two sharing a name), a JSONL of units, and bad inputs: an empty file,
    a binary file, a broken link. Returns the failing documents' ids and a word their error holds."""
    folder.mkdir()
    shutil.copy(seeds_dir / "000_7b5a3971007343a4.txt", folder / "seed.txt")
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    (folder / "a" / "policy.txt").write_text(GOOD, encoding="utf-8")
    (folder / "b" / "policy.txt").write_text(OTHER, encoding="utf-8")
    (folder / "short.md").write_text("# Privacy\n\n" + OTHER, encoding="utf-8")
    (folder / "units.jsonl").write_text(json.dumps({"text": GOOD}) + "\n" + json.dumps({"text": OTHER}) + "\n",
                                        encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 20)
    os.symlink(folder / "gone.txt", folder / "link.txt")
    (folder / "notes.xyz").write_text("not read", encoding="utf-8")
    return {"empty.txt": "empty file", "blob.txt": "binary file", "link.txt": "broken link"}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, seeds_dir):
    folder = tmp_path_factory.mktemp("ray") / "mixed"
    return folder, make_mixed_folder(folder, seeds_dir)


@pytest.fixture(scope="module")
def everything(mixed, seeds_dir, tmp_path_factory):
    """`clausetag label`'s records of the mixed folder and the seed policies (one machine, in this process)."""
    from clausetag.infer.batch import run_batch

    out = tmp_path_factory.mktemp("local") / "local.jsonl"
    stats = run_batch([mixed[0], seeds_dir], out, model_dir=MODEL, backend="torch", quiet=True)
    return out, [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()], stats


@pytest.fixture(scope="module")
def reference(everything, seeds_dir, tmp_path_factory):
    """The mixed folder's part of `everything` (its documents' ids are the same labeled alone: no name of
    the one is a name of the other), as a JSONL file, its records and counts."""
    seeds = {p.name for p in seeds_dir.iterdir()}
    kept, document = [], []
    for r in everything[1]:
        document.append(r)
        if r["type"] == "summary":
            kept += document if r["doc"] not in seeds else []
            document = []
    out = tmp_path_factory.mktemp("local") / "mixed.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    summaries = [r for r in kept if r["type"] == "summary"]
    failed = sum(bool(r["errors"]) for r in summaries)
    stats = {"documents": len(summaries), "failed": failed, "labeled": len(summaries) - failed,
             "units": sum(r["units"] for r in summaries)}
    return out, kept, stats


def ray_records(folder: Path) -> list[dict]:
    return [r for _, _, r in folder_records(folder)]


def comparable(records: list[dict]) -> list[dict]:
    """Records without the content hash (the one column the single-machine output has not), in a fixed order
    (a distributed run writes documents in the order its workers finish them)."""
    rows = [{k: v for k, v in r.items() if k != "sha256"} for r in records]
    order = {"unit": 0, "error": 1, "summary": 2}
    return sorted(rows, key=lambda r: (r["doc"], order[r["type"]], r.get("id") or ""))


def label_on_ray(inputs, out, **kwargs):
    from clausetag.infer.ray_engine import run_ray_batch

    kwargs = {"model_dir": MODEL, "backend": "torch", "quiet": True, **kwargs}
    return run_ray_batch([str(i) for i in inputs], out, **kwargs)


def test_a_distributed_run_writes_every_record_of_a_single_machine_run(cluster, mixed, seeds_dir, everything,
                                                                      capfd):
    folder, failing = mixed
    out = folder.parent / "everything"
    stats = label_on_ray([folder, seeds_dir], out, workers=2, batch_documents=3)
    err = capfd.readouterr().err
    records = ray_records(out)
    assert comparable(records) == comparable(everything[1])  # every record, scores included
    # every input accounted for, as on one machine: documents in = labeled + failed, printed at the end
    local = everything[2]
    assert (stats["documents"], stats["labeled"], stats["failed"], stats["units"]) == \
        (local["documents"], local["labeled"], local["failed"], local["units"]) == (13, 10, 3, stats["units"])
    assert "clausetag: 13 documents: 10 labeled, 3 failed" in err
    errors = {r["doc"]: r["error"] for r in records if r["type"] == "error"}
    assert set(errors) == set(failing)
    for doc, word in failing.items():  # an error row and a stderr line naming the file
        assert word in errors[doc] and str(folder / doc) in errors[doc]
        assert sum(1 for l in err.splitlines() if l.startswith("clausetag: error:") and str(folder / doc) in l) == 1
    assert "notes.xyz" in err  # the file of an unknown kind is named, not silently skipped
    # each summary holds the hash of the content it labeled (what --resume compares)
    for r in records:
        if r["type"] == "summary" and r["doc"] not in ("link.txt",):
            path = Path(r["path"])
            assert r["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(partition_files(out)) == 5  # 13 documents, 3 a batch, one partition a batch
    assert not [f for f in out.iterdir() if f.name.startswith(".")]  # no temporary file left


def test_report_and_diff_read_the_partition_folder_as_the_jsonl(cluster, mixed, seeds_dir, everything, tmp_path):
    from clausetag.reports.coverage import compute_coverage, read_labels, to_json
    from clausetag.reports.diff import diff_versions, is_label_output, read_versions

    out = mixed[0].parent / "everything"  # the first test's output
    if not out.is_dir():
        label_on_ray([mixed[0], seeds_dir], out, workers=2, batch_documents=3)
    reference = everything
    by_doc = lambda cov: sorted(to_json(cov)["policies"], key=lambda p: p["doc"])  # noqa: E731
    from_folder, from_jsonl = read_labels(out), read_labels(reference[0])
    assert from_folder.labels == from_jsonl.labels
    assert by_doc(compute_coverage(from_folder)) == by_doc(compute_coverage(from_jsonl))
    assert is_label_output(out) and not is_label_output(mixed[0])
    d = diff_versions(read_versions(reference[0]), read_versions(out))
    assert len(d.diffs) == 10 and not any(x.changes for x in d.diffs) and not d.only_old and not d.only_new
    assert sum(x.unchanged for x in d.diffs) == reference[2]["units"]
    # the command itself
    r = subprocess.run([sys.executable, "-m", "clausetag.cli", "report", str(out), "-o", str(tmp_path / "rep")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "13 policies (10 labeled, 3 failed)" in r.stdout, r.stderr


def test_a_worker_lost_mid_job_is_restarted_without_lost_or_duplicate_documents(cluster, mixed, reference,
                                                                                monkeypatch, tmp_path):
    folder, _ = mixed
    marker = tmp_path / "crashed"
    monkeypatch.setenv("CLAUSETAG_RAY_CRASH_AFTER", "2")  # the worker dies after writing its second batch
    monkeypatch.setenv("CLAUSETAG_RAY_CRASH_MARKER", str(marker))
    out = tmp_path / "out"
    stats = label_on_ray([folder], out, workers=1, batch_documents=1, fmt="jsonl")
    assert marker.exists()  # it did die, once
    assert (stats["labeled"], stats["failed"]) == (5, 3)
    records = ray_records(out)
    assert comparable(records) == comparable(reference[1])
    assert all(f.suffix == ".jsonl" for f in partition_files(out))


def test_a_killed_driver_resumes_into_what_an_uninterrupted_run_writes(cluster, mixed, reference, tmp_path):
    folder, _ = mixed
    out = tmp_path / "out"
    driver = subprocess.Popen([sys.executable, "-m", "clausetag.cli", "label", str(folder), "-o", str(out),
                               "--engine", "ray", "--address", cluster, "-m", str(MODEL), "--backend", "torch",
                               "--workers", "1", "--batch-documents", "1", "-q"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(partition_files(out)) < 2 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert driver.poll() is None, "the job ended before it could be killed: " + driver.stderr.read().decode()
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    done = len(partition_files(out))
    assert 2 <= done < 8
    stats = label_on_ray([folder], out, workers=1, batch_documents=2, resume=True)
    assert stats["skipped"] >= done and stats["labeled"] + stats["failed"] == 8
    records = ray_records(out)
    assert comparable(records) == comparable(reference[1])  # no document lost, none twice


def test_resume_labels_again_only_what_changed_and_drops_its_old_rows(cluster, mixed, tmp_path, capfd):
    folder = tmp_path / "docs"
    shutil.copytree(mixed[0], folder, symlinks=True)
    out = tmp_path / "out"
    label_on_ray([folder], out, workers=1, batch_documents=4)
    before = ray_records(out)
    (folder / "a" / "policy.txt").write_text(OTHER + " We never sell your data.", encoding="utf-8")
    capfd.readouterr()
    stats = label_on_ray([folder], out, workers=1, batch_documents=4, resume=True, quiet=False)
    assert (stats["skipped"], stats["labeled"], stats["failed"], stats["documents"]) == (7, 5, 3, 8)
    assert "7 already done" in capfd.readouterr().err
    after = ray_records(out)
    changed = lambda rs: [r for r in rs if r["doc"].startswith("a/policy.txt")]  # noqa: E731
    assert [r for r in after if r not in changed(after)] and \
        comparable([r for r in after if r not in changed(after)]) == comparable([r for r in before if r not in changed(before)])
    summaries = [r for r in changed(after) if r["type"] == "summary"]
    assert len(summaries) == 1  # its old rows are gone
    assert summaries[0]["sha256"] == hashlib.sha256((folder / "a" / "policy.txt").read_bytes()).hexdigest()
    assert any("never sell" in r["text"] for r in changed(after) if r["type"] == "unit")
    assert not any(r["text"] == GOOD for r in changed(after) if r["type"] == "unit")


def test_a_manifest_lists_documents_in_text_csv_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clausetag.infer.manifest import ManifestError, list_inputs, read_manifest

    (tmp_path / "docs").mkdir()
    for name in ("x.txt", "y.html"):
        (tmp_path / "docs" / name).write_text(GOOD, encoding="utf-8")
    (tmp_path / "list.txt").write_text("# policies\ndocs/x.txt\n\nhttps://example.com/privacy\n", encoding="utf-8")
    (tmp_path / "list.csv").write_text("name,path\nx,docs/x.txt\ny,docs/y.html\n", encoding="utf-8")
    pq.write_table(pa.table({"id": [1, 2], "url": [str(tmp_path / "docs" / "y.html"), "docs/x.txt"]}),
                   tmp_path / "list.parquet")
    assert read_manifest(tmp_path / "list.txt") == [str(tmp_path / "docs" / "x.txt"), "https://example.com/privacy"]
    assert read_manifest(tmp_path / "list.csv") == [str(tmp_path / "docs" / n) for n in ("x.txt", "y.html")]
    assert read_manifest(tmp_path / "list.parquet") == [str(tmp_path / "docs" / n) for n in ("y.html", "x.txt")]
    # a glob, and a glob that matches nothing (kept, to be that input's error)
    assert list_inputs([str(tmp_path / "docs" / "*.html"), str(tmp_path / "none" / "*.txt")]) == \
        [tmp_path / "docs" / "y.html", tmp_path / "none" / "*.txt"]
    # a folder on another filesystem (fsspec; file:// stands in for s3:// here)
    assert list_inputs([f"file://{tmp_path / 'docs'}"]) == [f"file://{tmp_path / 'docs' / n}" for n in ("x.txt", "y.html")]
    with pytest.raises(ManifestError, match="missing.txt: cannot read the manifest"):
        read_manifest(tmp_path / "missing.txt")


def test_a_document_on_another_filesystem_is_named_by_its_address(tmp_path):
    from clausetag.infer.manifest import prepare_input

    (tmp_path / "p.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "e.txt").write_bytes(b"")
    prepared, sha = prepare_input(f"file://{tmp_path / 'p.txt'}", None, None, "p.txt")
    assert prepared.error is None and prepared.path == f"file://{tmp_path / 'p.txt'}" and prepared.units
    assert sha == hashlib.sha256(GOOD.encode()).hexdigest()
    failed, _ = prepare_input(f"file://{tmp_path / 'e.txt'}", None, None, "e.txt")
    assert failed.error.startswith(f"file://{tmp_path / 'e.txt'}: ") and "/tmp/clausetag-" not in failed.error


def test_the_command_checks_its_options_before_starting_ray(tmp_path):
    from typer.testing import CliRunner

    from clausetag.cli import app

    def run(*args):
        return CliRunner().invoke(app, ["label", *map(str, args)])

    (tmp_path / "p.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("x")
    for args, words in ((["--engine", "ray"], "needs -o FOLDER"),
                        (["--engine", "ray", "-o", tmp_path / "o", "--format", "csv"], "parquet or jsonl"),
                        (["--engine", "ray", "-o", tmp_path / "full"], "other files in it"),
                        (["--engine", "spark"], "local or ray"),
                        (["-o", tmp_path / "o.jsonl", "--workers", "2"], "go with --engine ray"),
                        (["-o", tmp_path / "o.jsonl", "--manifest", tmp_path / "none.txt"], "none.txt: cannot read the manifest")):
        r = run(tmp_path / "p.txt", *args)
        assert r.exit_code == 2 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.startswith("clausetag: error:") and words in r.stderr, r.stderr


def test_an_address_where_no_cluster_answers_is_one_line_and_leaves_the_output_alone(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens at
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "p.txt").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "part-0.parquet").write_bytes(b"an earlier run's")
    r = subprocess.run([sys.executable, "-m", "clausetag.cli", "label", str(tmp_path / "p.txt"), "-o", str(out),
                        "--engine", "ray", "--address", f"127.0.0.1:{port}", "-m", str(MODEL)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith(f"clausetag: error: --address 127.0.0.1:{port}: cannot join")
    assert (out / "part-0.parquet").read_bytes() == b"an earlier run's"


def _summary(doc: str, sha: str, model: dict | None = None) -> list[dict]:
    model = model or {"name": "m", "created": "2026-12-01", "path": "/m", "structure_rules": True}
    return [{"type": "unit", "doc": doc, "id": f"{doc}#00000", "start": 0, "end": 4, "lang": "en", "section": None,
             "heading": False, "text": f"{doc} {sha}", "labels": ["other"], "basis": "model", "scores": {"other": 0.9}},
            {"type": "summary", "doc": doc, "path": f"/in/{doc}", "units": 1, "languages": ["en"],
             "label_counts": {"other": 1}, "errors": [], "warnings": [], "model": model, "sha256": sha}]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_a_document_written_twice_keeps_its_newest_copy(tmp_path, fmt):
    """A run stopped between writing a changed document again and dropping its old rows leaves two copies;
    the next run keeps the newest, and the other documents of the older partition stay."""
    from clausetag.infer.partitions import write_partition, written_documents
    from clausetag.infer.ray_engine import _drop_duplicates

    old = write_partition(tmp_path, _summary("a.txt", "old") + _summary("b.txt", "b"), fmt, ["other"])
    os.utime(old, (1, 1))
    write_partition(tmp_path, _summary("a.txt", "new"), fmt, ["other"])
    assert written_documents(tmp_path).duplicates == {old: {"a.txt"}}
    written = _drop_duplicates(tmp_path, ["other"])
    assert not written.duplicates and {d: sha for d, (sha, _) in written.documents.items()} == {"a.txt": "new", "b.txt": "b"}
    texts = sorted(r["text"] for r in ray_records(tmp_path) if r["type"] == "unit")
    assert texts == ["a.txt new", "b.txt b"]


def test_resuming_with_another_model_is_refused(tmp_path):
    from clausetag.infer.batch import ResumeError
    from clausetag.infer.partitions import write_partition
    from clausetag.infer.ray_engine import _prepare_output

    write_partition(tmp_path, _summary("a.txt", "x"), "parquet", ["other"])
    other = {"name": "fast", "created": "2026-12-05", "path": "/fast", "structure_rules": True}
    with pytest.raises(ResumeError, match="labeled by the model 'm'"):
        _prepare_output(tmp_path, True, ["other"], other)
    assert partition_files(tmp_path)  # nothing removed


def test_a_manifest_on_either_engine_and_a_missing_one(tmp_path):
    """`--manifest` adds its documents to the inputs on one machine as on Ray; a manifest that cannot be read
    is one line, before any model or Ray starts."""
    from typer.testing import CliRunner

    from clausetag.cli import app

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "p.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "docs" / "q.txt").write_text(OTHER, encoding="utf-8")
    (tmp_path / "list.txt").write_text("docs/q.txt\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    r = CliRunner().invoke(app, ["label", str(tmp_path / "docs" / "p.txt"), "--manifest", str(tmp_path / "list.txt"),
                                 "-o", str(out), "-m", str(MODEL), "-q"])
    assert r.exit_code == 0, r.stderr
    docs = [json.loads(l)["doc"] for l in out.read_text(encoding="utf-8").splitlines() if '"summary"' in l]
    assert docs == ["p.txt", "q.txt"]
    r = CliRunner().invoke(app, ["label", "--manifest", str(tmp_path / "gone.csv"), "-o", str(tmp_path / "o"),
                                 "--engine", "ray", "-m", str(MODEL)])
    assert r.exit_code == 2 and r.stderr.strip() == f"clausetag: error: {tmp_path / 'gone.csv'}: cannot read the manifest (No such file or directory)", r.stderr


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A real S3 API on this machine (moto's server) with a bucket, and the environment that points pyarrow
    (and boto3) at it: the variables any S3 client reads, so the label command needs no option for it."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed: pip install -e '.[test]'")
    boto3 = pytest.importorskip("boto3")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_EC2_METADATA_DISABLED": "true"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    boto3.client("s3").create_bucket(Bucket="labels")
    yield env
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    server.stop()


def test_partitions_are_written_to_and_resumed_from_s3(cluster, s3, mixed, reference):
    """`-o s3://bucket/prefix`: every partition one object (no temporary object left), the same records as
    one machine writes; `--resume` reads them back there and finds every document done."""
    import boto3

    from clausetag.infer.partitions import partition_records
    from clausetag.infer.remote_folder import RemotePath

    folder, _ = mixed
    out = "s3://labels/batches/2026-12"
    r = subprocess.run([sys.executable, "-m", "clausetag.cli", "label", str(folder), "-o", out, "--engine", "ray",
                        "-m", str(MODEL), "--backend", "torch", "--workers", "1", "--batch-documents", "3"],
                       capture_output=True, text=True, timeout=600, env={**os.environ, **s3})
    assert r.returncode == 1, r.stderr  # the folder's three bad inputs
    assert "clausetag: 8 documents: 5 labeled, 3 failed" in r.stderr
    keys = sorted(o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="labels", Prefix="batches/")["Contents"])
    parts = [k for k in keys if k.startswith("batches/2026-12/part-")]
    assert len(parts) == 3 and all(k.endswith(".parquet") for k in parts)  # 8 documents, 3 a partition
    objects = {k for k in keys if not k.endswith("/")}  # the "folders" are markers pyarrow's create_dir puts
    assert objects - set(parts) == {"batches/2026-12/_clausetag.json"}, keys
    remote = RemotePath.from_uri(out)
    assert json.loads((remote / "_clausetag.json").read_text())["documents"] == 8
    records = [rec for p in partition_files(remote) for rec in partition_records(p)]
    assert comparable(records) == comparable(reference[1])
    stats = label_on_ray([folder], out, workers=1, batch_documents=3, resume=True)
    assert (stats["skipped"], stats["documents"]) == (8, 8)
    assert sorted(o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="labels", Prefix="batches/")["Contents"]
                  if "/part-" in o["Key"]) == parts  # nothing written again, nothing dropped
    # a bucket that is not there: one line, before any model or Ray starts
    from typer.testing import CliRunner

    from clausetag.cli import app

    r = CliRunner().invoke(app, ["label", str(folder), "-o", "s3://nobucket/x", "--engine", "ray", "-m", str(MODEL)])
    assert r.exit_code == 2 and r.stderr.strip() == ("clausetag: error: s3://nobucket/x: s3://nobucket does not exist "
                                                     "(or cannot be seen with these credentials)"), r.stderr
