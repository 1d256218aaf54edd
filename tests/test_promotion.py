"""Commercial markers and the hidden-agenda flag, in every language the trend lives in."""

from __future__ import annotations

import pytest

from bot.models import Stance
from bot.scoring.promotion import DISCLOSED, UNDISCLOSED, Markers, flag, marker_finder

# (language, text, expected flag) — each post discourages a brand and names DewDrop.
CASES = [
    ("en", "don't buy GlowLab, DewDrop is better. use my code ANNA15 #ad", DISCLOSED),
    ("en", "don't buy GlowLab, DewDrop is better. use my code ANNA15, link in bio", UNDISCLOSED),
    ("nl", "koop geen GlowLab, neem DewDrop met mijn kortingscode LISA10 #samenwerking", DISCLOSED),
    ("nl", "koop geen GlowLab, neem liever DewDrop, link in mijn bio!", UNDISCLOSED),
    ("da", "køb ikke GlowLab, DewDrop er bedre, brug min rabatkode SOMMER20 #reklame", DISCLOSED),
    ("da", "køb ikke GlowLab, DewDrop er bedre, rabatkode SOMMER20", UNDISCLOSED),
    ("de", "Kauf kein GlowLab, nimm DewDrop mit dem Code LENA15 #werbung", DISCLOSED),
    ("de", "Anzeige: GlowLab lohnt nicht, DewDrop schon #anzeige", DISCLOSED),
    ("de", "Kauf kein GlowLab, nimm DewDrop, Rabattcode LENA15, Link in der Bio", UNDISCLOSED),
    ("sv", "köp inte GlowLab, DewDrop är bättre, rabattkod EMMA10 #reklam", DISCLOSED),
    ("sv", "köp inte GlowLab, DewDrop är bättre, länk i bio", UNDISCLOSED),
    ("no", "ikke kjøp GlowLab, DewDrop er bedre, rabattkode NORA10 #annonse", DISCLOSED),
    ("no", "ikke kjøp GlowLab, DewDrop er bedre, bruk koden NORA10", UNDISCLOSED),
    ("fr", "n'achetez pas GlowLab, DewDrop est mieux, code promo JULIE15 #sponsorisé", DISCLOSED),
    ("fr", "n'achetez pas GlowLab, DewDrop est mieux, lien en bio", UNDISCLOSED),
    ("es", "no compres GlowLab, DewDrop es mejor, código MARIA10 #publicidad", DISCLOSED),
    ("es", "no compres GlowLab, DewDrop es mejor, usa mi código MARIA10", UNDISCLOSED),
]


@pytest.mark.parametrize(("lang", "text", "expected"), CASES)
def test_markers_of_every_language_decide_the_flag(lang: str, text: str, expected: str) -> None:
    promotion = flag(Stance.NEGATIVE, "DewDrop", marker_finder().find(text))
    assert promotion is not None, lang
    assert promotion.kind == expected
    assert "DewDrop" in promotion.reason()


def test_undisclosed_reason_names_the_evidence_and_the_missing_disclosure() -> None:
    markers = marker_finder().find("GlowLab? skip. DewDrop all the way, code GLOW15 🔗 link in bio")
    promotion = flag(Stance.NEGATIVE, "DewDrop", markers)
    assert promotion is not None
    assert promotion.reason() == (
        'possible undisclosed promotion of DewDrop: "code GLOW15", "link in bio", '
        "and no #ad or other disclosure"
    )


def test_disclosed_reason_names_the_alternative() -> None:
    markers = marker_finder().find("#ad honestly GlowLab is overhyped, DewDrop code GLOW15")
    promotion = flag(Stance.NEGATIVE, "DewDrop", markers)
    assert promotion is not None
    assert promotion.reason() == 'disclosed promotion of DewDrop: "#ad", "code GLOW15"'


def test_codes_need_digits_or_capitals() -> None:
    finder = marker_finder()
    assert finder.find("the dress code and the vibe").commercial == ()
    assert finder.find("use code anna15 at checkout").commercial[0] == "code anna15"
    assert finder.find("code ANNA at checkout").commercial[0] == "code ANNA"
    assert not finder.find("code in bio").sells  # a commercial phrase, but no code in sight


def test_hashtags_match_whole_tags_only() -> None:
    finder = marker_finder()
    assert finder.find("new #adidas drop, #advent calendar").disclosures == ()
    assert finder.find("new drop #AD").disclosures == ("#ad",)
    assert finder.find("#notsponsored just my opinion").disclosures == ()


def test_affiliate_links_by_host_or_parameter() -> None:
    finder = marker_finder()
    assert finder.find("get it here https://amzn.to/3xYz").commercial == (
        "affiliate link (amzn.to)",
    )
    assert finder.find("shop: liketk.it/4abc").commercial == ("affiliate link (liketk.it)",)
    assert finder.find("https://shop.example.com/p?ref=anna").sells
    assert finder.find("https://example.com/blog/why-i-stopped").commercial == ()


def test_talk_about_ads_is_not_an_ad() -> None:
    """dev-0195: a critic asking for #ad promotes nothing."""
    text = "AeroCurl sends free units to every creator. half these videos should say #ad"
    assert flag(Stance.NEGATIVE, None, marker_finder().find(text)) is None


def test_a_code_promotes_something_even_without_a_named_alternative() -> None:
    promotion = flag(
        Stance.NEGATIVE, None, marker_finder().find("stop buying GlowLab. code SAVE20 for mine")
    )
    assert promotion is not None and promotion.kind == UNDISCLOSED
    assert "another product" in promotion.reason()


@pytest.mark.parametrize("stance", [Stance.NEUTRAL, Stance.POSITIVE])
def test_only_a_discouraging_post_can_hide_an_agenda(stance: Stance) -> None:
    markers = marker_finder().find("love DewDrop, code GLOW15 #ad")
    assert flag(stance, "DewDrop", markers) is None


def test_no_markers_no_flag() -> None:
    assert flag(Stance.NEGATIVE, "DewDrop", Markers()) is None
    plain = marker_finder().find("don't buy GlowLab, DewDrop is better")
    assert flag(Stance.NEGATIVE, "DewDrop", plain) is None
