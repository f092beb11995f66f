"""Paragraph dedup: a line of text that several documents of the run hold is kept in one of them.

Modules: :mod:`paragraphs` (lines, their normalised keys, a text without some lines),
:mod:`plan` (what every task receives, the records it passes on), :mod:`phases` (the three
resumable phases), :mod:`stage` (the ``dedup_paragraphs`` global stage).
"""
