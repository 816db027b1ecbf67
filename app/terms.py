"""The word analyser, as the service imports it; it lives in `core.terms` because ingest
writes the database keyword index with the same analysis (and `ingest/` never imports `app/`)."""

from core.terms import STOPWORDS, jaccard, overlap, stem, term_set, terms, words

__all__ = ["STOPWORDS", "jaccard", "overlap", "stem", "term_set", "terms", "words"]
