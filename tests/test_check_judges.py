"""Judges behind the Judge protocol: choosing one from settings, the LLM judge's parsing and
fallback, and the NLI judge's label mapping on a real (tiny, locally built) cross-encoder."""

from __future__ import annotations

import json

import pytest

from app.check import CitationChecker, LLMJudge, NLIJudge, OfflineJudge, SourceText, make_judge
from app.check.llm_judge import JudgeReplyError, parse_reply
from app.check.models import SupportQuery
from app.check.nli import label_indices
from core.settings import Settings

ROBINHOOD = SourceText(
    id=1,
    text="This case study follows a staff engineer at Robinhood. Escalations fell by 40%.",
)
INSTAGRAM = SourceText(
    id=2,
    text="An engineer at Instagram redesigned on-call. Alert fatigue fell by 50%.",
)


def make_settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


# --- make_judge -----------------------------------------------------------------------------


def test_make_judge_defaults_to_the_offline_judge() -> None:
    assert isinstance(make_judge(make_settings(), None), OfflineJudge)


def test_make_judge_falls_back_to_offline_when_the_choice_cannot_be_built(tmp_path) -> None:
    assert isinstance(make_judge(make_settings(judge="llm"), None), OfflineJudge)
    assert isinstance(make_judge(make_settings(judge="nli"), None), OfflineJudge)
    missing = str(tmp_path / "no-such-model")
    assert isinstance(make_judge(make_settings(judge="nli", nli_model=missing), None), OfflineJudge)


def test_make_judge_builds_the_llm_judge_when_given_a_chat_model() -> None:
    judge = make_judge(make_settings(judge="llm"), None, chat=ScriptedChat([]))
    assert isinstance(judge, LLMJudge) and judge.name == "llm"


# --- LLM judge ------------------------------------------------------------------------------


class ScriptedChat:
    """A ChatModel that replays canned replies (or raises them), recording each request."""

    def __init__(self, replies: list[str | Exception]) -> None:
        self.replies = list(replies)
        self.requests: list[list[dict[str, str]]] = []

    def complete(self, messages: list[dict[str, str]], *, temperature: float = 0.0) -> str:
        self.requests.append(messages)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def test_parse_reply_tolerates_fences_prose_and_trailing_commas() -> None:
    reply = 'Sure!\n```json\n{"verdict": "supported", "quote": "a {b}", "score": 0.9,}\n```'
    assert parse_reply(reply) == {"verdict": "supported", "quote": "a {b}", "score": 0.9}
    with pytest.raises(JudgeReplyError):
        parse_reply("I think it is supported.")


def test_llm_judge_verdict_is_validated_against_the_sources() -> None:
    reply = json.dumps(
        {"verdict": "Supported", "quote": "Escalations fell by 40%.", "source": 1, "score": 0.95}
    )
    chat = ScriptedChat([reply])
    checker = CitationChecker(LLMJudge(chat))
    report = checker.check("Escalations fell by 40% [1].", [ROBINHOOD, INSTAGRAM])
    sentence = report.sentences[0]
    assert (sentence.verdict, sentence.best_source, sentence.best_quote) == (
        "supported",
        1,
        "Escalations fell by 40%.",
    )
    assert report.judge == "llm"
    user = chat.requests[0][1]["content"]
    assert "[1] This case study" in user and "Other sources:\n[2] An engineer" in user


def test_llm_judge_invented_quotes_and_unknown_ids_are_replaced() -> None:
    reply = json.dumps(
        {"verdict": "unsupported", "quote": "made up words", "source": 9, "supported_by": "[2]"}
    )
    judge = LLMJudge(ScriptedChat([reply]))
    [judgement] = judge.judge(
        [SupportQuery("Alert fatigue fell by 50%.", (ROBINHOOD,), (INSTAGRAM,))]
    )
    assert (judgement.reason, judgement.supported_by) == ("wrong_source", 2)
    assert judgement.best_quote in INSTAGRAM.text and judgement.best_source == 2


@pytest.mark.parametrize("failure", [TimeoutError("read timed out"), "no json here", '{"x": 1}'])
def test_llm_judge_falls_back_to_the_offline_judge(failure) -> None:
    judge = LLMJudge(ScriptedChat([failure]), fallback=OfflineJudge(None))
    [judgement] = judge.judge([SupportQuery("Escalations fell by 40%.", (ROBINHOOD,))])
    assert judgement.verdict == "supported"
    assert judgement.message and "offline verdict" in judgement.message


def test_an_unreachable_endpoint_is_not_retried_for_every_sentence() -> None:
    chat = ScriptedChat([ConnectionError("refused")])
    judge = LLMJudge(chat, fallback=OfflineJudge(None))
    queries = [SupportQuery("Escalations fell by 40%.", (ROBINHOOD,))] * 3
    assert [j.verdict for j in judge.judge(queries)] == ["supported"] * 3
    assert len(chat.requests) == 1


# --- NLI judge ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        (
            {0: "CONTRADICTION", 1: "ENTAILMENT", 2: "NEUTRAL"},
            {"contradiction": 0, "entailment": 1, "neutral": 2},
        ),
        (
            {"0": "entailment", "1": "neutral", "2": "contradiction"},
            {"entailment": 0, "neutral": 1, "contradiction": 2},
        ),
        ({0: "entailment", 1: "not_entailment"}, {"entailment": 0, "neutral": 1}),
    ],
)
def test_nli_labels_are_read_from_the_model_config(id2label, expected) -> None:
    assert label_indices(id2label) == expected


def test_a_model_without_nli_labels_is_rejected() -> None:
    with pytest.raises(ValueError):
        label_indices({0: "LABEL_0", 1: "LABEL_1"})


def tiny_nli_model(path, winner: str) -> str:
    """Save a one-layer BERT NLI cross-encoder whose classifier always favours `winner`."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(Settings().embedding_model)
    # The label order is deliberately not the common one, so a hard-coded order would fail.
    labels = {0: "NEUTRAL", 1: "CONTRADICTION", 2: "ENTAILMENT"}
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=8,
        num_labels=3,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    model = BertForSequenceClassification(config)
    bias = torch.tensor([4.0 if labels[i].lower() == winner else 0.0 for i in range(3)])
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(bias)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def nli_models(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("nli")
    return {w: tiny_nli_model(root / w, w) for w in ("entailment", "contradiction")}


def test_nli_judge_maps_entailment_to_supported(nli_models) -> None:
    judge = make_judge(make_settings(judge="nli", nli_model=nli_models["entailment"]), None)
    assert isinstance(judge, NLIJudge)
    report = CitationChecker(judge).check("Escalations fell by 40% [1].", [ROBINHOOD])
    sentence = report.sentences[0]
    assert sentence.verdict == "supported" and report.judge == "nli"
    assert sentence.best_quote in ROBINHOOD.text


def test_nli_judge_explains_a_contradiction_with_the_lexical_reason(nli_models) -> None:
    judge = NLIJudge(nli_models["contradiction"])
    [judgement] = judge.judge([SupportQuery("Escalations fell by 60%.", (ROBINHOOD,))])
    assert (judgement.verdict, judgement.reason) == ("unsupported", "number_mismatch")
