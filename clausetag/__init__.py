"""clausetag: label privacy-policy sentences with clause categories, in any language.

`from clausetag import Labeler` is the entry point for Python (loaded on first use, so that importing
the package stays light)."""

__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "Labeler":
        from clausetag.infer.labeler import Labeler

        return Labeler
    raise AttributeError(f"module 'clausetag' has no attribute {name!r}")
