"""Label Studio: tasks with the model's labels as pre-annotations, and exports read back as corrections.

`to_tasks` turns a `clausetag label` output into Label Studio tasks (the JSON list its import takes): each
unit's text and what identifies it in `data`, the model's labels as a `predictions` entry of `choices`;
`labeling_config` is the matching labeling config (XML). Label Studio keeps one score per prediction, so
the per-label scores go into `data` (`scores`, and `scores_text` that the config shows beside the text);
the prediction's `score` is the lowest score among the labels the model chose, so Label Studio's "sort by
prediction score" puts the weakest calls first. `read_export` reads Label Studio's JSON export (a list of
tasks with `annotations[].result`) back into the common schema with `reviewed: true`, `model_labels`,
`reviewer` and `reviewed_at`, as the labels page's review mode exports them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from clausetag.taxonomy import Taxonomy

#: The names of the labeling config's tags that results refer to (`from_name`, `to_name`).
CHOICES_NAME, TEXT_NAME = "labels", "text"


class LabelStudioError(ValueError):
    """A malformed Label Studio export; the message names the file and the task."""


def labeling_config(labels: list[str]) -> str:
    """A Label Studio labeling config: the document name, the unit's text, one multiple-choice control
    with a choice per label, and the model's scores."""
    choices = "\n".join(f"    <Choice value={quoteattr(l)}/>" for l in labels)
    return (f"<View>\n  <Header value=\"$doc\"/>\n  <Text name=\"{TEXT_NAME}\" value=\"$text\"/>\n"
            f"  <Choices name=\"{CHOICES_NAME}\" toName=\"{TEXT_NAME}\" choice=\"multiple\" showInLine=\"true\">\n"
            f"{choices}\n  </Choices>\n  <Text name=\"scores\" value=\"$scores_text\"/>\n</View>\n")


def choices_result(labels: list[str], result_id: str) -> dict:
    """One `choices` result item (a prediction's or an annotation's)."""
    return {"id": result_id, "from_name": CHOICES_NAME, "to_name": TEXT_NAME, "type": "choices",
            "value": {"choices": list(labels)}}


def to_tasks(batch, model: dict | None = None) -> list[dict]:
    """Label Studio tasks for the units of a `LabeledBatch` (reports/coverage.py), in reading order;
    `model` (a summary record's `model`) names the prediction's `model_version`."""
    version = " ".join(str(model.get(k)) for k in ("name", "created") if model and model.get(k)) or "clausetag"
    tasks = []
    for policy in batch.policies:
        for p in policy.predictions:
            u = p.unit
            scores = {l: round(float(p.scores[l]), 4) for l in batch.labels if l in p.scores}
            chosen = [scores[l] for l in p.labels if l in scores]
            tasks.append({
                "data": {"text": u.text, "unit_id": u.id, "doc": u.doc, "lang": u.lang, "section": u.section or "",
                         "model_labels": list(p.labels), "scores": scores,
                         "scores_text": "model scores: " + ", ".join(
                             f"{l} {s:.2f}" for l, s in sorted(scores.items(), key=lambda kv: -kv[1]))},
                "predictions": [{"model_version": version, "score": min(chosen) if chosen else 0.0,
                                 "result": [choices_result(p.labels, f"{u.id}-model")]}],
            })
    return tasks


@dataclass
class ImportedCorrections:
    records: list[dict]
    skipped: list[int] = field(default_factory=list)  # indices of tasks nobody annotated (or all cancelled)


def _annotation(task: dict, where: str) -> dict | None:
    """The annotation a task's corrections come from: the ground-truth one, else the last updated; None
    when there is none that was not cancelled."""
    anns = task.get("annotations", [])
    if not isinstance(anns, list) or not all(isinstance(a, dict) for a in anns):
        raise LabelStudioError(f"{where}: annotations must be a list of objects")
    anns = [a for a in anns if not a.get("was_cancelled")]
    if not anns:
        return None
    return max(anns, key=lambda a: (bool(a.get("ground_truth")), str(a.get("updated_at") or a.get("created_at") or "")))


def _choices(results, where: str) -> list[str] | None:
    """The choices of the labels control among `results` (None when it has none)."""
    if not isinstance(results, list):
        raise LabelStudioError(f"{where}: result must be a list")
    found = None
    for r in results:
        if not isinstance(r, dict):
            raise LabelStudioError(f"{where}: a result item is not an object")
        if r.get("type") == "choices" and r.get("from_name") == CHOICES_NAME:
            picked = (r.get("value") or {}).get("choices")
            if not isinstance(picked, list) or not all(isinstance(c, str) for c in picked):
                raise LabelStudioError(f"{where}: value.choices must be a list of label names")
            found = (found or []) + [c for c in picked if c not in (found or [])]
    return found


def _reviewer(annotation: dict) -> str | None:
    who = annotation.get("completed_by")
    if isinstance(who, dict):  # some exports expand the user
        who = who.get("email") or who.get("username") or who.get("id")
    return None if who is None else str(who)


def read_export(path: Path, taxonomy: Taxonomy) -> ImportedCorrections:
    """Corrections in the common schema from a Label Studio JSON export of tasks made by `to_tasks`
    (or any tasks whose `data.text` is the text and whose config names its choices control `labels`)."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise LabelStudioError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise LabelStudioError(f"{path}: not a UTF-8 JSON file") from None
    except json.JSONDecodeError as e:
        raise LabelStudioError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}); expected Label Studio's "
                               "JSON export") from None
    except OSError as e:
        raise LabelStudioError(f"{path}: cannot read ({e.strerror})") from None
    if not isinstance(tasks, list):
        raise LabelStudioError(f"{path}: not a Label Studio JSON export (expected a list of tasks)")
    out = ImportedCorrections([])
    for i, task in enumerate(tasks):
        where = f"{path}: task {i}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            hint = " (a JSON-MIN export? export as JSON)" if isinstance(task, dict) and "text" in task else ""
            raise LabelStudioError(f"{where}: not a task with a data object{hint}")
        data = task["data"]
        if not isinstance(data.get("text"), str) or not data["text"].strip():
            raise LabelStudioError(f"{where}: data.text is missing or empty")
        annotation = _annotation(task, where)
        if annotation is None:
            out.skipped.append(i)
            continue
        labels = _choices(annotation.get("result", []), f"{where}: annotation")
        if labels is None:
            labels = []  # submitted with no choice: the reviewer found no label that applies
        unknown = [l for l in labels if taxonomy.canonical(l) is None]
        if unknown:
            raise LabelStudioError(f"{where}: label(s) not in taxonomy {taxonomy.name!r}: {', '.join(unknown)}")
        model_labels = data.get("model_labels")
        if not isinstance(model_labels, list):
            preds = task.get("predictions") or []
            model_labels = _choices(preds[0].get("result", []), f"{where}: prediction") if (
                preds and isinstance(preds[0], dict)) else None
        lang = data.get("lang") or _detect(data["text"])
        out.records.append({
            "id": str(data.get("unit_id") or f"label-studio-{task.get('id', i)}"),
            "doc": str(data.get("doc") or path.name), "lang": lang, "text": data["text"],
            "section": data.get("section") or None,
            "labels": [taxonomy.canonical(l) for l in labels], "reviewed": True,
            "model_labels": model_labels, "reviewer": _reviewer(annotation),
            "reviewed_at": annotation.get("updated_at") or annotation.get("created_at"),
        })
    return out


def _detect(text: str) -> str:
    from clausetag.infer.language import detect

    return detect(text)[0]
