"""Evaluate the matcher and scorer on a labelled corpus (RUBRIC.md format).

Each line is judged for its own `brand`: predicted mention = matcher.mentions();
a matched line is scored, an unmatched one predicts neutral / no claims / no
alternative / severity none. Claims micro-F1 counts every line where gold or
prediction is negative (claims exist only on negative lines), so missing a
negative line's claims and inventing claims both cost.

Promotion flags (`labels.promotion`: none / undisclosed / disclosed; a line
without the label has no commercial markers, so `none`) get precision and
recall, for any flag and per kind. A line's gold severity is the rubric's
raised by the policy's promotion weights for its gold flag, exactly as the
scorer raises its own, so a tuned policy is judged by its own rules.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import BrandConfig, CompetitorConfig
from bot.matching import BrandMatcher
from bot.models import Author, Metrics, Post, Severity
from bot.scoring.policy import ScoringPolicy
from bot.scoring.promotion import DISCLOSED, NONE, UNDISCLOSED, PromotionWeights
from bot.scoring.scorer import Scorer
from bot.scoring.text import fold_phrase, hashtags

FIXED_TIME = datetime(2025, 1, 1, tzinfo=UTC)
STANCES = ("negative", "neutral", "positive")
SEVERITIES = tuple(s.label for s in Severity)
_GENERIC_RE = re.compile(r"\bgeneric\b|second-hand|vintage", re.IGNORECASE)
_QUOTED_RE = re.compile(r"['\"‘’]([^'\"‘’]+)['\"‘’]")
_PAREN_RE = re.compile(r"\s*\(.*?\)")


def load_corpus(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSONL corpus file (blank lines skipped)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def post_from_row(row: Mapping[str, Any]) -> Post:
    author = row.get("author") or {}
    metrics = row.get("metrics") or {}
    return Post(
        source=str(row.get("source", "corpus")),
        native_id=str(row["id"]),
        text=str(row["text"]),
        created_at=FIXED_TIME,
        author=Author(author.get("handle", ""), author.get("followers"), author.get("verified")),
        metrics=Metrics(
            metrics.get("views"),
            metrics.get("likes"),
            metrics.get("comments"),
            metrics.get("shares"),
        ),
        lang=row.get("lang"),
        hashtags=hashtags(str(row["text"])),
    )


def _competitor(raw: str) -> tuple[CompetitorConfig | None, str | None]:
    """("Owala-like 'FlowJug'") -> FlowJug; generic descriptions -> a generic phrase instead."""
    if _GENERIC_RE.search(raw):
        phrase = _PAREN_RE.sub("", raw).strip()
        return None, phrase
    quoted = _QUOTED_RE.search(raw)
    name = quoted.group(1) if quoted else raw.strip()
    return CompetitorConfig(name=name), None


def _capitalised(description: str) -> tuple[list[str], list[str]]:
    """A look-alike description's words (before any "=" gloss) and its capitalised ones."""
    words = _PAREN_RE.sub("", description).split("=")[0].split()
    return words, [w for w in words if w[:1].isupper()]


def _exclusion(description: str, aliases: Sequence[str]) -> str | None:
    """A concrete look-alike phrase: a capitalised multi-word name containing an alias."""
    folded_aliases = {fold_phrase(a).lstrip("#@") for a in aliases}
    words, caps = _capitalised(description)
    if len(caps) >= 2 and any(
        fold_phrase(w).startswith(a) for w in caps for a in folded_aliases if a
    ):
        return " ".join(caps[:3]) if caps == words[: len(caps)] else " ".join(caps[:2])
    return None


def _brand_from_json(entry: Mapping[str, Any]) -> BrandConfig:
    aliases = [str(a) for a in entry["aliases"]]
    names = [str(entry["name"]), *aliases]
    competitors: list[CompetitorConfig] = []
    generic: list[str] = []
    for raw in entry.get("competitors", []):
        comp, phrase = _competitor(str(raw))
        if comp is not None:
            competitors.append(comp)
        if phrase:
            generic.extend(p.strip() for p in re.split(r"/", phrase) if p.strip())
    exclusions: list[str] = []
    ambiguous: list[str] = []
    nearby: list[str] = []  # words that mean a look-alike's own name is that look-alike
    folded_names = {fold_phrase(n).lstrip("#@"): n for n in names}
    for description in entry.get("lookalikes", []):
        phrase = _exclusion(str(description), names)
        if phrase:
            exclusions.append(phrase)
            # "Glowlabs Tanning Studio Rotterdam": "Glowlabs" alone is that studio when
            # "tanning" or "rotterdam" is near, so it is an ambiguous alias of its own
            caps = _capitalised(str(description))[1]
            head = fold_phrase(caps[0])
            if head not in folded_names and any(head.startswith(k) for k in folded_names if k):
                aliases.append(caps[0])
                ambiguous.append(caps[0])
                nearby.extend(fold_phrase(w) for w in caps[1:])
        folded = fold_phrase(str(description))
        for key, original in folded_names.items():
            alias = original.lstrip("#@")
            if re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded) and alias not in ambiguous:
                ambiguous.append(alias)
    return BrandConfig(
        name=str(entry["name"]),
        aliases=aliases,
        exclusions=exclusions,
        competitors=competitors,
        ambiguous=ambiguous,
        context=[w for w in str(entry.get("product", "")).split() if len(w) > 4 and w.islower()],
        lookalike_context=nearby,
        generic_alternatives=generic,
    )


def brands_from_corpus(source: str | Path | Mapping[str, Any]) -> list[BrandConfig]:
    """Brands from the corpus brands.json, or from our TOML config (a `[[brands]]` list)."""
    data: Mapping[str, Any]
    if isinstance(source, Mapping):
        data = source
    else:
        path = Path(source)
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    result = []
    for entry in data["brands"]:
        if "lookalikes" in entry or "product" in entry:
            result.append(_brand_from_json(entry))
        else:
            result.append(BrandConfig.model_validate(entry))
    return result


@dataclass
class EvalReport:
    n: int
    mentions_precision: float
    mentions_recall: float
    stance_macro_f1: float
    claims_micro_f1: float
    alternative_accuracy: float
    severity_exact: float
    severity_within_one: float
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    promotion: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "mentions_precision": round(self.mentions_precision, 4),
            "mentions_recall": round(self.mentions_recall, 4),
            "stance_macro_f1": round(self.stance_macro_f1, 4),
            "claims_micro_f1": round(self.claims_micro_f1, 4),
            "alternative_accuracy": round(self.alternative_accuracy, 4),
            "severity_exact": round(self.severity_exact, 4),
            "severity_within_one": round(self.severity_within_one, 4),
            "per_language": self.per_language,
            "confusion": self.confusion,
            "promotion": self.promotion,
        }


def _macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    scores = []
    for label in STANCES:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 1.0


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def predict(row: Mapping[str, Any], matcher: BrandMatcher, scorer: Scorer) -> dict[str, Any]:
    """The prediction for one corpus line, in the labels' shape."""
    post = post_from_row(row)
    brand = str(row["brand"])
    if matcher.mentions(post, brand) is None:
        return {
            "mentions_brand": False,
            "stance": "neutral",
            "claims": [],
            "alternative": None,
            "severity": "none",
            "promotion": NONE,
        }
    score = scorer.score(post, brand)
    return {
        "mentions_brand": True,
        "stance": score.stance.value,
        "claims": list(score.claim_names),
        "alternative": score.alternative,
        "severity": score.severity.label,
        "promotion": score.promotion,
        "reasons": [r.text for r in score.reasons],
    }


def evaluate(
    rows: Iterable[Mapping[str, Any]],
    brands: Sequence[BrandConfig],
    policy: ScoringPolicy | None = None,
    *,
    progress: bool = False,
) -> EvalReport:
    policy = policy or ScoringPolicy()
    matcher = BrandMatcher(brands)
    scorer = Scorer(brands, policy, matcher)
    rows = list(rows)
    preds = [predict(r, matcher, scorer) for r in _progress(rows, progress)]
    golds = [_gold(r["labels"], policy.promotion) for r in rows]
    tp = sum(
        1 for g, p in zip(golds, preds, strict=True) if g["mentions_brand"] and p["mentions_brand"]
    )
    pred_pos = sum(1 for p in preds if p["mentions_brand"])
    gold_pos = sum(1 for g in golds if g["mentions_brand"])
    stance_pairs = [(g["stance"], p["stance"]) for g, p in zip(golds, preds, strict=True)]
    ctp = cfp = cfn = 0
    for g, p in zip(golds, preds, strict=True):
        if "negative" not in (g["stance"], p["stance"]):
            continue
        gs, ps = set(g["claims"]), set(p["claims"])
        ctp, cfp, cfn = ctp + len(gs & ps), cfp + len(ps - gs), cfn + len(gs - ps)
    sev = [
        (SEVERITIES.index(g["severity"]), SEVERITIES.index(p["severity"]))
        for g, p in zip(golds, preds, strict=True)
    ]
    confusion: dict[str, dict[str, int]] = defaultdict(dict)
    for (gold_i, pred_i), count in sorted(Counter(sev).items()):
        confusion[SEVERITIES[gold_i]][SEVERITIES[pred_i]] = count
    per_language: dict[str, dict[str, float]] = {}
    for lang in sorted({str(r["lang"]) for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        per_language[lang] = {
            "n": len(idx),
            "stance_macro_f1": round(_macro_f1([stance_pairs[i] for i in idx]), 4),
            "severity_exact": round(
                _ratio(sum(1 for i in idx if sev[i][0] == sev[i][1]), len(idx)), 4
            ),
        }
    errors = [
        {"id": r["id"], "brand": r["brand"], "text": r["text"], "gold": g, "pred": p}
        for r, g, p in zip(rows, golds, preds, strict=True)
        if any(
            g[k] != p[k]
            for k in ("mentions_brand", "stance", "alternative", "severity", "promotion")
        )
        or sorted(g["claims"]) != sorted(p["claims"])
    ]
    n = len(rows)
    return EvalReport(
        n=n,
        mentions_precision=_ratio(tp, pred_pos),
        mentions_recall=_ratio(tp, gold_pos),
        stance_macro_f1=_macro_f1(stance_pairs),
        claims_micro_f1=_ratio(2 * ctp, 2 * ctp + cfp + cfn),
        alternative_accuracy=_ratio(
            sum(
                1 for g, p in zip(golds, preds, strict=True) if g["alternative"] == p["alternative"]
            ),
            n,
        ),
        severity_exact=_ratio(sum(1 for g, p in sev if g == p), n),
        severity_within_one=_ratio(sum(1 for g, p in sev if abs(g - p) <= 1), n),
        per_language=per_language,
        confusion=dict(confusion),
        errors=errors,
        promotion=promotion_figures(
            [g["promotion"] for g in golds], [p["promotion"] for p in preds]
        ),
    )


def _gold(labels: Mapping[str, Any], weights: PromotionWeights) -> dict[str, Any]:
    """The labels, with `promotion` filled in and severity raised as the policy raises it."""
    gold = {**labels, "promotion": labels.get("promotion") or NONE}
    if gold["promotion"] != NONE:
        raised = weights.raised(Severity.parse(str(gold["severity"])), gold["promotion"])
        gold["severity"] = raised.label
    return gold


def promotion_figures(golds: Sequence[str], preds: Sequence[str]) -> dict[str, Any]:
    """Precision and recall of the promotion flags: any flag, then each kind."""

    def pr(kinds: tuple[str, ...]) -> dict[str, Any]:
        gold = sum(1 for g in golds if g in kinds)
        flagged = sum(1 for p in preds if p in kinds)
        hits = sum(1 for g, p in zip(golds, preds, strict=True) if g in kinds and p in kinds)
        return {
            "gold": gold,
            "flagged": flagged,
            "precision": round(_ratio(hits, flagged), 4),
            "recall": round(_ratio(hits, gold), 4),
        }

    return {
        "any": pr((UNDISCLOSED, DISCLOSED)),
        UNDISCLOSED: pr((UNDISCLOSED,)),
        DISCLOSED: pr((DISCLOSED,)),
    }


def _progress(
    rows: list[dict[str, Any]] | list[Mapping[str, Any]], show: bool
) -> Iterable[Mapping[str, Any]]:
    if not show:
        yield from rows
        return
    from rich.progress import track

    yield from track(rows, description="evaluating", console=None, transient=True)


def format_report(report: EvalReport) -> str:
    """A plain-text table for humans."""
    lines = [
        f"{'metric':<24}{'value':>8}",
        f"{'-' * 24}{'-' * 8}",
        f"{'lines':<24}{report.n:>8}",
    ]
    for key in (
        "mentions_precision",
        "mentions_recall",
        "stance_macro_f1",
        "claims_micro_f1",
        "alternative_accuracy",
        "severity_exact",
        "severity_within_one",
    ):
        lines.append(f"{key:<24}{getattr(report, key):>8.3f}")
    lines += ["", f"{'lang':<6}{'n':>5}{'stance F1':>11}{'sev exact':>11}"]
    for lang, row in report.per_language.items():
        lines.append(
            f"{lang:<6}{int(row['n']):>5}{row['stance_macro_f1']:>11.3f}{row['severity_exact']:>11.3f}"
        )
    lines += ["", "severity confusion (rows gold, columns predicted)"]
    lines.append(f"{'':<10}" + "".join(f"{s:>10}" for s in SEVERITIES))
    for gold in SEVERITIES:
        row_counts = report.confusion.get(gold, {})
        lines.append(f"{gold:<10}" + "".join(f"{row_counts.get(p, 0):>10}" for p in SEVERITIES))
    lines += ["", f"{'promotion flag':<16}{'gold':>6}{'flagged':>9}{'precision':>11}{'recall':>8}"]
    for kind, row in report.promotion.items():
        lines.append(
            f"{kind:<16}{row['gold']:>6}{row['flagged']:>9}"
            f"{row['precision']:>11.3f}{row['recall']:>8.3f}"
        )
    return "\n".join(lines)


def run_eval(
    corpus_path: Path, brands_path: Path, json_output: bool, policy: ScoringPolicy | None = None
) -> tuple[int, str]:
    """The `eval` command: (exit code, text to print). Progress bar only on a terminal."""
    try:
        rows = load_corpus(corpus_path)
        brands = brands_from_corpus(brands_path)
    except (OSError, ValueError, KeyError) as error:
        return 2, f"cannot read corpus or brands: {error}"
    report = evaluate(rows, brands, policy, progress=sys.stderr.isatty())
    text = (
        json.dumps(report.to_json(), indent=2, sort_keys=True)
        if json_output
        else format_report(report)
    )
    return 0, text
