"""Convert a model folder made by an earlier clausetag (TF-IDF parts as joblib pickles) to the data-only format.

    python -m clausetag.train.convert_pickles MODEL_DIR [MODEL_DIR ...]

This unpickles each `*.joblib` once, which can run code: use it only on folders you made or trust. Each
pickle is replaced by `<stem>.json` + `<stem>.safetensors`, and the scores are checked to match.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from clausetag.tfidf_store import load_pipeline, save_pipeline

_PROBE = ["We collect your e-mail address to send you the newsletter.", "我们会与合作伙伴共享您的设备信息。",
          "Sie haben das Recht auf Löschung Ihrer Daten.", "Contact us at privacy@example.com."]


def convert(directory: Path) -> list[str]:
    """Re-save every joblib TF-IDF part of a model folder without pickle; the names of the parts converted."""
    import joblib

    done = []
    for path in sorted(directory.glob("*.joblib")):
        pipeline = joblib.load(path)
        save_pipeline(pipeline, directory, path.stem)
        again = load_pipeline(directory, path.stem)
        gap = float(np.abs(pipeline.predict_proba(_PROBE) - again.predict_proba(_PROBE)).max())
        if gap > 1e-6:
            raise SystemExit(f"{path}: rebuilt scores differ by {gap:.2e}; the pickle is kept")
        path.unlink()
        done.append(path.stem)
    return done


def main(argv: list[str] | None = None) -> int:
    dirs = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    if not dirs:
        print(__doc__, file=sys.stderr)
        return 2
    for d in dirs:
        parts = convert(d)
        print(f"{d}: {', '.join(parts) or 'no joblib file'} converted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
