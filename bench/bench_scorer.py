"""Our scorer vs VADER on the same posts: speed (posts/s) and corpus figures.

Run: .venv/bin/python -m bench.bench_scorer [--repeat N]

Ours = language decision + brand match + score, on posts whose `lang` is removed
(so the scorer decides the language itself: a cheap vote, lingua only when the
vote is unclear and the choice changes the result). VADER = polarity_scores on the
same texts. Both are timed over all repeats, three rounds each, interleaved; the
best round counts (other jobs on the machine only ever slow a round down).
VADER's corpus figures use our matcher for mentions and VADER's compound for
stance (<= -0.05 negative, >= 0.05 positive), with NO claims and NO alternative
(so a negative is risk 1), then the same rubric severity with the line's reach.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import time
from pathlib import Path
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bot.evaluation import SEVERITIES, brands_from_corpus, evaluate, load_corpus, post_from_row
from bot.matching import BrandMatcher
from bot.models import Stance
from bot.scoring.language import detector
from bot.scoring.policy import ScoringPolicy
from bot.scoring.scorer import Scorer

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus"


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def vader_stance(analyzer: SentimentIntensityAnalyzer, text: str) -> str:
    compound = analyzer.polarity_scores(text)["compound"]
    return "negative" if compound <= -0.05 else "positive" if compound >= 0.05 else "neutral"


def vader_figures(
    rows: list[dict[str, Any]], matcher: BrandMatcher, policy: ScoringPolicy
) -> dict[str, float]:
    analyzer = SentimentIntensityAnalyzer()
    stance_pairs, exact, within = [], 0, 0
    for row in rows:
        post = post_from_row(row)
        gold = row["labels"]
        if matcher.mentions(post, row["brand"]) is None:
            stance, severity = "neutral", "none"
        else:
            stance = vader_stance(analyzer, row["text"])
            st = Stance(stance)
            reach = policy.reach.tier(post.author.followers, post.metrics.views)
            severity = policy.severity(True, st, policy.risk(st, set(), False), reach).label
        stance_pairs.append((gold["stance"], stance))
        g, p = SEVERITIES.index(gold["severity"]), SEVERITIES.index(severity)
        exact += g == p
        within += abs(g - p) <= 1
    from bot.evaluation import _macro_f1

    n = len(rows)
    return {
        "stance_macro_f1": _macro_f1(stance_pairs),
        "severity_exact": exact / n,
        "severity_within_one": within / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--repeat", type=int, default=12, help="corpus copies to time (320 posts each)"
    )
    args = parser.parse_args()
    rows = load_corpus(CORPUS / "dev.jsonl")
    brands = brands_from_corpus(CORPUS / "brands.json")
    policy = ScoringPolicy()

    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    detector()
    lingua_s = time.perf_counter() - t0
    lingua_mb = rss_mb() - before

    matcher = BrandMatcher(brands)
    scorer = Scorer(brands, policy, matcher)
    analyzer = SentimentIntensityAnalyzer()
    unlabelled = [(dataclasses.replace(post_from_row(r), lang=None), r["brand"]) for r in rows]
    timed = unlabelled * args.repeat
    texts = [p.text for p, _ in timed]
    for p, b in timed[:50]:  # warm-up both
        scorer.score(p, b)
        analyzer.polarity_scores(p.text)

    def run_ours() -> float:
        t0 = time.perf_counter()
        for p, brand in timed:
            if matcher.mentions(p, brand) is not None:
                scorer.score(p, brand)
        return time.perf_counter() - t0

    def run_vader() -> float:
        t0 = time.perf_counter()
        for text in texts:
            analyzer.polarity_scores(text)
        return time.perf_counter() - t0

    ours_rounds, vader_rounds = [], []
    for _ in range(3):
        ours_rounds.append(run_ours())
        vader_rounds.append(run_vader())
    ours_s, vader_s = min(ours_rounds), min(vader_rounds)

    ours = evaluate(rows, brands, policy)
    unlabelled_rows = [{**r, "lang": None} for r in rows]
    ours_nolang = evaluate(unlabelled_rows, brands, policy)
    vader = vader_figures(rows, matcher, policy)
    n = len(timed)
    print(
        f"posts timed: {n} (dev.jsonl x{args.repeat}); "
        f"lingua detector: {lingua_mb:.0f} MB RSS, built in {lingua_s:.1f} s\n"
    )
    print("| scorer | posts/s | stance macro-F1 | severity exact | severity within one |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| ours (language + match + score) | {n / ours_s:,.0f} | {ours.stance_macro_f1:.3f} | "
        f"{ours.severity_exact:.3f} | {ours.severity_within_one:.3f} |"
    )
    print(
        f"| ours, corpus figures with `lang` removed | | {ours_nolang.stance_macro_f1:.3f} | "
        f"{ours_nolang.severity_exact:.3f} | {ours_nolang.severity_within_one:.3f} |"
    )
    print(
        f"| VADER compound as stance, no claims/alternative | {n / vader_s:,.0f} | "
        f"{vader['stance_macro_f1']:.3f} | {vader['severity_exact']:.3f} | "
        f"{vader['severity_within_one']:.3f} |"
    )
    print(
        f"\nper post: ours {ours_s / n * 1e6:.0f} µs, VADER {vader_s / n * 1e6:.0f} µs "
        f"(rounds ours {', '.join(f'{n / r:,.0f}' for r in ours_rounds)} posts/s; "
        f"VADER {', '.join(f'{n / r:,.0f}' for r in vader_rounds)} posts/s)"
    )
    if n / ours_s <= n / vader_s:
        print("WARNING: ours is not faster than VADER on this machine")


if __name__ == "__main__":
    main()
