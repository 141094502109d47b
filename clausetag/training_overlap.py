"""Which units of a gold set a model was trained on, so that an evaluation never passes training data off
as held out. The model's training units are rebuilt from the config saved with it (`config.toml`, with
the data-shaping overrides it was run with) and the same sources; a gold unit counts as seen when its
text, whitespace collapsed, is the text of a training unit."""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from pathlib import Path

from clausetag.records import Unit, normalized

OVERRIDES_LINE = "# overrides: "
#: Settings that change which units a model trains on; other overrides (time budgets, init_from) do not.
DATA_SETTINGS = ("seed", "taxonomy", "validation.")
#: Sources whose units may change after training and are then taken as they are now: the project's own
#: annotated folders (`jsonl:`) and policy documents read without labels (`documents:`), which change by
#: re-annotation and reader fixes (a heading restored, a sentence no longer cut), never by a held-out part
#: joining them (that lives in another folder). The
#: check is then approximate, and says so. A public corpus that changed (its test part put in the folder)
#: cannot be rebuilt, and the check says it cannot tell.
APPROXIMATED_KINDS = ("jsonl:", "documents:")


def saved_overrides(config_text: str) -> dict[str, str]:
    """The overrides a model was trained with, from its config's last `# overrides:` line (JSON since
    2026-11-29; before that `key=value, key=value`)."""
    lines = [l for l in config_text.splitlines() if l.startswith(OVERRIDES_LINE)]
    if not lines:
        return {}
    raw = lines[-1][len(OVERRIDES_LINE):].strip()
    if raw.startswith("{"):
        return json.loads(raw)
    pairs = re.split(r", (?=[A-Za-z_][\w.]*=)", raw)
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def training_texts(model_dir: Path, corpora_root=None) -> tuple[set[str], list[str]]:
    """The (normalized) texts of the units the model in `model_dir` was trained on (labeled or, for a
    distilled model, not), and the sources whose units have changed since, taken as they are now (see
    APPROXIMATED_KINDS). Raises ConfigError or CorpusError when its config or sources cannot be read here, or
    when a public corpus now gives other units than the model recorded. A model that records its documents
    (since 2026-11-29) is rebuilt from those alone, so documents added to a corpus folder since (a test part)
    are not taken for training data; for an older model they change the source's units, and the check says it
    cannot tell. A model continued from another (`[finetune] init_from`) has seen that model's training units
    too: the config and data summary it records of it (`training.continued_from`, nested for a chain) are
    rebuilt the same way."""
    from clausetag.modeldir import read_info
    from clausetag.train.config import ConfigError

    path = Path(model_dir) / "config.toml"
    if not path.is_file():
        raise ConfigError(f"{model_dir}: no config.toml saved with the model")
    training = read_info(model_dir).training
    runs = [(path.read_text(encoding="utf-8"), str(path), training)]
    while ancestor := runs[-1][2].get("continued_from"):
        runs.append((ancestor["config"], f"{ancestor['model']} (config recorded in {path.parent})",
                     ancestor.get("training", {})))
    texts: set[str] = set()
    changed: list[str] = []
    for config_text, name, record in runs:
        more, more_changed = _rebuilt_texts(config_text, name, record.get("data", {}), corpora_root)
        texts |= more
        changed += [c for c in more_changed if c not in changed]
    return texts, changed


def _rebuilt_texts(config_text: str, name: str, summary: dict, corpora_root) -> tuple[set[str], list[str]]:
    """The training texts of one training run, from its config's text and the data summary it recorded."""
    from clausetag.corpora import CorpusError
    from clausetag.train.config import ConfigError, config_from_text
    from clausetag.train.data import build_data

    try:
        overrides = saved_overrides(config_text)
    except ValueError as e:
        raise ConfigError(f"{name}: unreadable overrides line ({e})") from None
    data_overrides = {k: v for k, v in overrides.items() if k.startswith(DATA_SETTINGS)}
    cfg = config_from_text(config_text, name, data_overrides)
    corpora_log = logging.getLogger("clausetag.corpora")
    level = corpora_log.level
    corpora_log.setLevel(logging.ERROR)  # the corpora's notes were given when the model was trained
    try:
        data = build_data(cfg, corpora_root, summary)  # the documents it recorded, where it did
    finally:
        corpora_log.setLevel(level)
    recorded = {s["spec"]: s.get("sha256_16") for s in summary.get("sources", [])}
    changed = []
    for source in data.summary["sources"]:
        if recorded.get(source["spec"]) not in (None, source["sha256_16"]):
            if not source["spec"].startswith(APPROXIMATED_KINDS):
                raise CorpusError(f"{source['spec']} is not the data the model was trained on (its training units "
                                  f"now hash to {source['sha256_16']}, recorded {recorded[source['spec']]}): the "
                                  "source has changed since, so its training units cannot be rebuilt")
            changed.append(source["spec"])
    return {normalized(u.text) for u in [*data.train, *data.unlabeled]}, changed


def overlap(model_dir: Path, units: list[Unit], corpora_root=None) -> dict:
    """How much of `units` the model trained on: units seen, and the documents of which most units were
    seen; `checked: false` with the reason when the training data cannot be rebuilt here."""
    from clausetag.corpora import CorpusError
    from clausetag.train.config import ConfigError

    try:
        seen_texts, changed = training_texts(model_dir, corpora_root)
    except (ConfigError, CorpusError) as e:
        return {"checked": False, "reason": str(e)}
    per_doc: dict[str, list[bool]] = defaultdict(list)
    for u in units:
        per_doc[u.doc].append(normalized(u.text) in seen_texts)
    mostly = sorted(d for d, flags in per_doc.items() if sum(flags) > len(flags) / 2)
    result = {"checked": True, "units": len(units), "units_seen": sum(sum(f) for f in per_doc.values()),
              "documents": len(per_doc), "documents_mostly_seen": mostly}
    return {**result, "changed_since_training": changed} if changed else result


def describe(result: dict | None, model_name: str) -> str | None:
    """One warning line when gold units are in the model's training data (or it could not be checked);
    None for an evaluation saved before the check existed."""
    if result is None:
        return None
    if not result.get("checked"):
        return f"could not check which gold units {model_name} was trained on: {result.get('reason')}"
    changed = result.get("changed_since_training")
    approximate = (f" (approximate: {', '.join(changed)} changed since training and was taken as it is now)"
                   if changed else "")
    if not result["units_seen"]:
        return f"no gold unit is a unit {model_name} was trained on{approximate}" if changed else None
    docs = result["documents_mostly_seen"]
    return (f"{result['units_seen']} of {result['units']} gold units have the text of a unit {model_name} was "
            "trained on" + (f" (most units of {len(docs)} of {result['documents']} documents: {', '.join(docs[:5])}"
                            + (", …" if len(docs) > 5 else "") + ")" if docs else "")
            + f"; the figures on them are not held-out figures{approximate}")
