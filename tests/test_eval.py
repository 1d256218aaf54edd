"""The corpus targets: these fail the build when the scorer regresses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluation import (
    EvalReport,
    brands_from_corpus,
    evaluate,
    load_corpus,
    post_from_row,
    run_eval,
)
from bot.matching import BrandMatcher

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
_ROW = json.loads((CORPUS / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0])


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return evaluate(load_corpus(CORPUS / "dev.jsonl"), brands_from_corpus(CORPUS / "brands.json"))


def assert_meets_the_targets(report: EvalReport) -> None:
    """The issue's targets on dev.jsonl; the grown corpus files are held to them too."""
    assert report.severity_exact >= 0.85
    assert report.severity_within_one >= 0.97
    assert report.stance_macro_f1 >= 0.90
    assert report.mentions_precision >= 0.97
    assert report.mentions_recall >= 0.95
    assert report.alternative_accuracy >= 0.85


def test_targets(report: EvalReport) -> None:
    assert report.n == 320
    assert_meets_the_targets(report)


def test_every_language(report: EvalReport) -> None:
    assert set(report.per_language) == {"en", "nl", "da", "de", "sv", "no", "fr", "es"}
    for lang, row in report.per_language.items():
        assert row["stance_macro_f1"] >= 0.80, lang


def test_extra_examples_validate_and_score() -> None:
    rows = load_corpus(CORPUS / "extra.jsonl")
    assert {r["lang"] for r in rows} == {"en", "nl", "da", "de", "sv", "no", "fr", "es"}
    extra = evaluate(rows, brands_from_corpus(CORPUS / "brands.json"))
    assert extra.stance_macro_f1 >= 0.80


@pytest.mark.parametrize(
    "name",
    [
        "fresh.jsonl",
        "fresh2.jsonl",
        "fresh3.jsonl",
        "fresh4.jsonl",
        "fresh7.jsonl",
        "fresh8.jsonl",
        "fresh9.jsonl",
        "fresh10.jsonl",
        "fresh11.jsonl",
    ],
)
def test_grown_corpus_meets_the_dev_targets(name: str) -> None:
    """Lines written blind to the scorer (then used to generalise it) keep the dev targets."""
    rows = load_corpus(CORPUS / name)
    assert {r["lang"] for r in rows} == {"en", "nl", "da", "de", "sv", "no", "fr", "es"}
    assert_meets_the_targets(evaluate(rows, brands_from_corpus(CORPUS / "brands.json")))


def test_a_look_alike_named_like_an_alias_needs_its_own_context() -> None:
    """brands.json: "Glowlabs Tanning Studio Rotterdam" is a look-alike, so "Glowlabs" near
    "rotterdam" or a tanning bed is that studio, while the serum is still GlowLab."""
    brands = brands_from_corpus(CORPUS / "brands.json")
    glowlab = next(b for b in brands if b.name == "GlowLab")
    assert "Glowlabs" in glowlab.ambiguous and "rotterdam" in glowlab.lookalike_context
    matcher = BrandMatcher(brands)
    studio = post_from_row({**_ROW, "text": "Spray tan bij Glowlabs in Rotterdam, top!"})
    serum = post_from_row({**_ROW, "text": "Mijn GlowLab serum is na 3 weken oranje"})
    assert matcher.mentions(studio, "GlowLab") is None
    assert matcher.mentions(serum, "GlowLab") is not None


def test_json_keys() -> None:
    code, text = run_eval(CORPUS / "dev.jsonl", CORPUS / "brands.json", json_output=True)
    data = json.loads(text)
    assert code == 0
    assert set(data) == {
        "n",
        "mentions_precision",
        "mentions_recall",
        "stance_macro_f1",
        "claims_micro_f1",
        "alternative_accuracy",
        "severity_exact",
        "severity_within_one",
        "per_language",
        "confusion",
        "promotion",  # issue 9: precision and recall of the promotion flags
    }
    assert set(data["promotion"]) == {"any", "undisclosed", "disclosed"}
    assert set(data["promotion"]["any"]) == {"gold", "flagged", "precision", "recall"}
    assert set(data["per_language"]["en"]) == {"n", "stance_macro_f1", "severity_exact"}
    assert sum(sum(row.values()) for row in data["confusion"].values()) == data["n"]


def test_human_report_and_bad_path(tmp_path: Path) -> None:
    code, text = run_eval(CORPUS / "dev.jsonl", CORPUS / "brands.json", json_output=False)
    assert code == 0
    assert "severity_exact" in text
    assert "confusion" in text
    code, text = run_eval(tmp_path / "missing.jsonl", CORPUS / "brands.json", json_output=False)
    assert code == 2


def test_brands_from_corpus_cleans_names() -> None:
    brands = {b.name: b for b in brands_from_corpus(CORPUS / "brands.json")}
    assert [c.name for c in brands["Tundra"].competitors] == ["FlowJug", "IceKeep"]
    assert [c.name for c in brands["Nordlys"].competitors] == ["Havbrise"]
    assert brands["Nordlys"].generic_alternatives
    assert [c.name for c in brands["PureFizz"].competitors] == ["ZestUp"]
    assert "Toyota Tundra" in brands["Tundra"].exclusions
    assert {"Nokia Lumina", "Chevrolet Lumina"} <= set(brands["Lumina"].exclusions)
    assert "Glowlabs Tanning Studio" in brands["GlowLab"].exclusions


def test_toml_brands_accepted(tmp_path: Path) -> None:
    path = tmp_path / "brands.toml"
    path.write_text(
        '[[brands]]\nname = "Acme"\naliases = ["Acme"]\ncompetitors = ["Other"]\n', encoding="utf-8"
    )
    (brand,) = brands_from_corpus(path)
    assert brand.name == "Acme"
    assert brand.competitors[0].name == "Other"


def test_promotion_flags_on_the_labelled_cases() -> None:
    """Own cases (author-written, so optimistic): disclosed, undisclosed and none per language."""
    rows = load_corpus(CORPUS / "promotion.jsonl")
    for lang in ("en", "nl", "da", "de", "sv", "no", "fr", "es"):
        labels = {r["labels"]["promotion"] for r in rows if r["lang"] == lang}
        assert labels == {"none", "undisclosed", "disclosed"}, lang
    figures = evaluate(rows, brands_from_corpus(CORPUS / "brands.json")).promotion
    assert figures["any"]["gold"] == 16
    assert figures["any"]["precision"] >= 0.9
    assert figures["any"]["recall"] >= 0.9
    for kind in ("undisclosed", "disclosed"):
        assert figures[kind]["precision"] >= 0.85, kind
        assert figures[kind]["recall"] >= 0.85, kind


def test_dev_corpus_raises_no_promotion_flag(report: EvalReport) -> None:
    """dev.jsonl has no promotions: its one commercial marker is a critic asking for #ad."""
    assert report.promotion["any"]["gold"] == 0
    assert report.promotion["any"]["flagged"] == 0


def test_gold_severity_follows_the_policy_promotion_weights() -> None:
    from bot.scoring.policy import ScoringPolicy

    rows = [r for r in load_corpus(CORPUS / "promotion.jsonl") if r["id"] == "promo-0005"]
    brands = brands_from_corpus(CORPUS / "brands.json")
    raised = evaluate(rows, brands).confusion
    off = ScoringPolicy.model_validate({"promotion": {"undisclosed": 0, "disclosed": 0}})
    plain = evaluate(rows, brands, off).confusion
    assert rows[0]["labels"]["severity"] == "high"  # the rubric's
    assert set(raised) == {"critical"} and set(plain) == {"high"}


@pytest.mark.parametrize(
    ("name", "stance", "exact", "within_one"),
    [
        # a week of typical #deinfluencing captions, written blind: stance 0.764 and
        # severity exact 0.700 blind, 0.873 / 0.806 after one short round, 0.902 / 0.850
        # (within one 0.963) after session 4
        ("fresh6.jsonl", 0.90, 0.85, 0.96),
        # praise and complaints told as facts ("year 3, dropped on concrete twice, ice
        # still there"), written blind to be hard: 0.478 / 0.512 blind, 0.790 / 0.750 after,
        # 0.862 / 0.812 after session 4
        ("fresh5.jsonl", 0.86, 0.81, 0.91),
    ],
)
def test_batches_below_the_targets_do_not_slip(
    name: str, stance: float, exact: float, within_one: float
) -> None:
    """Below the dev targets (see bench/README.md); these floors keep what was won."""
    report = evaluate(load_corpus(CORPUS / name), brands_from_corpus(CORPUS / "brands.json"))
    assert report.stance_macro_f1 >= stance
    assert report.severity_exact >= exact
    assert report.severity_within_one >= within_one
    assert report.mentions_precision >= 0.97
