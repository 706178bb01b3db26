"""Optional NER backend (spaCy) for person names in prose.

Imported lazily, only when ``ner.enabled`` is set in config; the package is not a
runtime dependency. The model is loaded once, at Scanner construction.
"""

from __future__ import annotations

from typing import Callable

from .config import ConfigError

# (text) -> [(start, end, label)]
NerFn = Callable[[str], list[tuple[int, int, str]]]


class NerUnavailable(ConfigError):
    """The configured model cannot be loaded: a configuration error on ``key`` (under the
    scanner's section), whose ``reason`` says what to install."""

    def __init__(self, key: str, reason: str):
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def load_spacy(model: str) -> NerFn:
    # A name is a package `spacy download` installs; a path, a pipeline saved on disk.
    fix = f"python -m spacy download {model}" if "/" not in model else "save a spaCy pipeline there"
    off = "or turn NER off: enabled = false"
    try:
        import spacy  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise NerUnavailable("ner.model", f"spaCy is not installed (needed for {model!r}): pip install spacy, "
                                          f"then {fix} ({off})") from None
    try:
        nlp = spacy.load(model, disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])
    except (OSError, ImportError, ValueError) as e:  # E050 (not found) is an OSError; a broken package, others
        missing = isinstance(e, OSError) and "E050" in str(e)
        state = "is not installed" if missing else f"cannot be loaded ({type(e).__name__})"
        raise NerUnavailable("ner.model", f"spaCy model {model!r} {state}: {fix} ({off})") from None

    def run(text: str) -> list[tuple[int, int, str]]:
        doc = nlp(text)
        return [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]

    return run
