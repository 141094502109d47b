"""clausetag: label privacy-policy sentences with clause categories, in any language."""

__version__ = "0.1.0"
