"""Optional NER backend (spaCy) for person names in prose.

Imported lazily, only when ``ner.enabled`` is set in config; the package is not a
runtime dependency. The model is loaded once, at Scanner construction.
"""

from __future__ import annotations

from typing import Callable

# (text) -> [(start, end, label)]
NerFn = Callable[[str], list[tuple[int, int, str]]]


class NerUnavailable(RuntimeError):
    pass


def load_spacy(model: str) -> NerFn:
    try:
        import spacy  # noqa: PLC0415 - optional dependency
    except ImportError as e:
        raise NerUnavailable("ner.enabled is set but spaCy is not installed (pip install spacy)") from e
    try:
        nlp = spacy.load(model, disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])
    except OSError as e:
        raise NerUnavailable(f"ner.model {model!r} is not installed") from e

    def run(text: str) -> list[tuple[int, int, str]]:
        doc = nlp(text)
        return [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]

    return run
