"""How documents are labeled: extraction, segmentation, the labeler and its outputs."""
