"""NLIJudge: a sentence-transformers CrossEncoder NLI model decides entailment.

Any NLI cross-encoder works (name or local path); its label order is read from the model config's
`id2label`, because models disagree on it. The premise is each cited source's best-aligned windows
and the whole source; the hypothesis is the claim. The reason code for a failure and the exact
`best_quote` come from the lexical evidence checks, which the model does not provide.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from app.check.evidence import coverage, index_source
from app.check.features import analyse
from app.check.models import REASON_TEXT, CitationId, Judgement, SourceText, SupportQuery
from app.check.offline import OfflineJudge

# Reasons the lexical checks can name for a claim the model does not accept.
DISCRETE_REASONS = frozenset({"number_mismatch", "negation", "entity_mismatch", "extra_clause"})


def label_indices(id2label: Mapping[Any, str]) -> dict[str, int]:
    """Map entailment/contradiction/neutral to logit columns from a config's id2label.

    Accepts the usual spellings ("ENTAILMENT", "entails", "contradiction", "neutral"); a two-way
    model with "not_entailment" gets no contradiction column. Raises ValueError when the model has
    no recognisable entailment label (for example a generic "LABEL_0" head).
    """
    found: dict[str, int] = {}
    for key, label in id2label.items():
        name = str(label).lower().replace("-", "_")
        if name.startswith("not_entail") or name.startswith("non_entail"):
            found.setdefault("neutral", int(key))
        elif name.startswith("entail"):
            found["entailment"] = int(key)
        elif name.startswith("contradict"):
            found["contradiction"] = int(key)
        elif name.startswith("neutral"):
            found["neutral"] = int(key)
    if "entailment" not in found:
        raise ValueError(f"not an NLI model: id2label is {dict(id2label)}")
    return found


class NLIJudge:
    """Entailment by a cross-encoder; misattribution by asking the same of uncited sources."""

    name = "nli"

    def __init__(
        self,
        model: str | Any,
        *,
        diagnostics: OfflineJudge | None = None,
        entailment_threshold: float = 0.5,
        windows_per_source: int = 3,
        batch_size: int = 16,
    ) -> None:
        if isinstance(model, str):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import CrossEncoder

            model = CrossEncoder(model, device="cpu")
        self.model = model
        self.labels = label_indices(model.config.id2label)
        self.diagnostics = diagnostics or OfflineJudge(None)
        self.threshold = entailment_threshold
        self.windows = windows_per_source
        self.batch_size = batch_size

    def judge(self, queries: Sequence[SupportQuery]) -> list[Judgement]:
        lexical = self.diagnostics.judge(queries)
        cited = self._entailment([(q.claim, q.cited) for q in queries])
        results = [self._verdict(lex, *scores) for lex, scores in zip(lexical, cited, strict=True)]
        return self._misattribution(queries, results)

    def _verdict(
        self,
        lex: Judgement,
        entail: float,
        contra: float,
        source: CitationId | None,
        quote: str | None,
    ) -> Judgement:
        """The model decides; the lexical judgement names the reason and fills in the quote."""
        where = dict(
            best_source=source if quote else lex.best_source, best_quote=quote or lex.best_quote
        )
        if entail >= self.threshold:
            return Judgement("supported", entail, **where)
        if lex.reason in DISCRETE_REASONS:
            reason, message = lex.reason, lex.message
        else:
            reason, message = "low_similarity", REASON_TEXT["low_similarity"]
        leaning = entail >= self.threshold / 2 and contra < self.threshold
        return Judgement("partial" if leaning else "unsupported", entail, reason, message, **where)

    def _misattribution(
        self, queries: Sequence[SupportQuery], results: list[Judgement]
    ) -> list[Judgement]:
        asks = [
            (i, other)
            for i, (q, r) in enumerate(zip(queries, results, strict=True))
            if not r.supported
            for other in q.others
        ]
        if not asks:
            return results
        scored = self._entailment([(queries[i].claim, (other,)) for i, other in asks])
        best: dict[int, tuple[float, CitationId, str | None]] = {}
        for (i, other), (entail, _, _, quote) in zip(asks, scored, strict=True):
            if entail >= self.threshold and entail > best.get(i, (0.0, None, None))[0]:
                best[i] = (entail, other.id, quote)
        for i, (_, source_id, quote) in best.items():
            results[i] = Judgement(
                "unsupported",
                results[i].score,
                "wrong_source",
                f"source {source_id} supports this, the cited source does not",
                best_source=source_id,
                best_quote=quote,
                supported_by=source_id,
            )
        return results

    def _entailment(
        self, items: list[tuple[str, tuple[SourceText, ...]]]
    ) -> list[tuple[float, float, CitationId | None, str | None]]:
        """(entailment, contradiction, source id, quote) of the best premise for each claim."""
        pairs: list[tuple[str, str]] = []
        owners: list[tuple[int, CitationId | None, str | None]] = []
        for n, (claim, sources) in enumerate(items):
            features = analyse(claim)
            for source in sources:
                index = index_source(source.text)
                ranked = sorted(index.windows, key=lambda w: coverage(features, w), reverse=True)
                for window in ranked[: self.windows]:
                    pairs.append((index.quote(window), claim))
                    owners.append((n, source.id, index.quote(window)))
                pairs.append((source.text, claim))
                owners.append((n, source.id, None))
            if len(sources) > 1:
                pairs.append(("\n\n".join(s.text for s in sources), claim))
                owners.append((n, None, None))
        entail = [0.0] * len(items)
        contra = [0.0] * len(items)
        quotes: list[tuple[float, CitationId | None, str | None]] = [(-1.0, None, None)] * len(
            items
        )
        if pairs:
            probs = self._probabilities(pairs)
            for (n, source_id, quote), row in zip(owners, probs, strict=True):
                e = float(row[self.labels["entailment"]])
                entail[n] = max(entail[n], e)
                if "contradiction" in self.labels:
                    contra[n] = max(contra[n], float(row[self.labels["contradiction"]]))
                if quote is not None and e > quotes[n][0]:
                    quotes[n] = (e, source_id, quote)
        return [(entail[n], contra[n], quotes[n][1], quotes[n][2]) for n in range(len(items))]

    def _probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        import torch

        logits = np.asarray(
            self.model.predict(
                pairs,
                batch_size=self.batch_size,
                show_progress_bar=False,
                activation_fn=torch.nn.Identity(),
                convert_to_numpy=True,
            ),
            dtype=np.float64,
        )
        logits = logits.reshape(len(pairs), -1)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)
