"""Scorer: stance, claims, alternatives, reach, reasons and the policy, in all 8 languages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.evaluation import brands_from_corpus
from bot.models import Author, Claim, Metrics, Post, ReachTier, Severity, Stance
from bot.scoring.language import detect_language
from bot.scoring.policy import ScoringPolicy
from bot.scoring.scorer import Scorer, humanize
from bot.scoring.text import hashtags

BRANDS = brands_from_corpus(Path(__file__).parent / "fixtures" / "corpus" / "brands.json")


def post(
    text: str, lang: str | None = None, followers: int | None = 500, views: int | None = 1000
) -> Post:
    return Post(
        "tiktok",
        "1",
        text,
        datetime(2025, 1, 1, tzinfo=UTC),
        Author("someone", followers),
        Metrics(views=views),
        lang=lang,
        hashtags=hashtags(text),
    )


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(BRANDS, ScoringPolicy())


STANCES = [
    # English
    (
        "en",
        "GlowLab",
        "GlowLab gave me a rash on day two, please don't buy it #deinfluencing",
        Stance.NEGATIVE,
    ),
    (
        "en",
        "AeroCurl",
        "I'm not saying don't buy the AeroCurl, but... it died after 4 months",
        Stance.NEGATIVE,
    ),
    (
        "en",
        "Tundra",
        "the only thing I'm NOT de-influencing is my Tundra cup, ice for a full day",
        Stance.POSITIVE,
    ),
    ("en", "PureFizz", "is PureFizz worth it??", Stance.NEUTRAL),
    ("en", "Cloudstep", "my Cloudstep soles lasted a whole 9 days 🙃", Stance.NEGATIVE),
    (
        "en",
        "AeroCurl",
        "love my AeroCurl, same curls as a drugstore wand for only 25x the price",
        Stance.NEGATIVE,
    ),
    (
        "en",
        "GlowLab",
        "skip DewDrop, get GlowLab instead. my skin finally calmed down",
        Stance.POSITIVE,
    ),
    ("en", "PureFizz", "PureFizz opens a pop-up store in Berlin next week", Stance.NEUTRAL),
    # Dutch, with code-switching
    (
        "nl",
        "Lumina",
        "Lumina lipolie plakt en is na een uur weg, not worth it #deinfluencing",
        Stance.NEGATIVE,
    ),
    ("nl", "Nordlys", "het enige wat ik niet ga deinfluencen: m'n Nordlys trui", Stance.POSITIVE),
    # Danish
    (
        "da",
        "Tundra",
        "køb ikke Tundra cup, låget knækkede efter en uge #deinfluencing",
        Stance.NEGATIVE,
    ),
    ("da", "AeroCurl", "det eneste jeg ikke deinfluencer er min AeroCurl", Stance.POSITIVE),
    # German
    (
        "de",
        "PureFizz",
        "PureFizz hat bei mir Herzrasen ausgelöst, Finger weg! #deinfluencing",
        Stance.NEGATIVE,
    ),
    ("de", "GlowLab", "Lohnt sich GlowLab für trockene Haut?", Stance.NEUTRAL),
    # Swedish
    ("sv", "Cloudstep", "mina Cloudstep är värda varenda krona", Stance.POSITIVE),
    ("sv", "Lumina", "Lumina läppolja är överprisad, köp inte #deinfluencing", Stance.NEGATIVE),
    # Norwegian
    (
        "no",
        "Zonnebloem",
        "Zonnebloem SPF ga meg utslett i hele ansiktet #deinfluencing",
        Stance.NEGATIVE,
    ),
    ("no", "Nordlys", "Nordlys-jakka er verdt hver krone", Stance.POSITIVE),
    # French
    ("fr", "Tundra", "mon gobelet Tundra fuit déjà, n'achetez pas #deinfluencing", Stance.NEGATIVE),
    (
        "fr",
        "Cloudstep",
        "je ne les désinfluence pas, mes Cloudstep tiennent toujours",
        Stance.POSITIVE,
    ),
    # Spanish
    (
        "es",
        "GlowLab",
        "el sérum GlowLab me dio granitos, no lo compren #deinfluencing",
        Stance.NEGATIVE,
    ),
    ("es", "AeroCurl", "lo único que no desinfluencio es mi AeroCurl", Stance.POSITIVE),
]


@pytest.mark.parametrize(("lang", "brand", "text", "stance"), STANCES)
def test_stance(scorer: Scorer, lang: str, brand: str, text: str, stance: Stance) -> None:
    assert scorer.score(post(text, lang), brand).stance is stance


def test_multi_brand_post_scores_each_brand_separately(scorer: Scorer) -> None:
    text = "haul ranking: Tundra cup - leaked twice, skip. PureFizz - ok this one slaps, keep it"
    assert scorer.score(post(text, "en"), "Tundra").stance is Stance.NEGATIVE
    assert scorer.score(post(text, "en"), "PureFizz").stance is Stance.POSITIVE


def test_claims_with_phrases(scorer: Scorer) -> None:
    score = scorer.score(
        post("Lumina lip oil gave me a rash and the wand snapped. support ghosted me", "en"),
        "Lumina",
    )
    claims = {hit.claim: hit.phrase for hit in score.claims}
    assert set(claims) == {Claim.SAFETY, Claim.QUALITY, Claim.SERVICE}
    assert claims[Claim.SAFETY] == "rash"
    assert any(r.kind == "claim" and r.text == 'safety claim: "rash"' for r in score.reasons)


def test_negated_claim_is_ignored(scorer: Scorer) -> None:
    score = scorer.score(
        post("PureFizz: no crash, no jitters, zero regrets, love it", "en"), "PureFizz"
    )
    assert score.stance is Stance.POSITIVE
    assert score.claims == ()


@pytest.mark.parametrize(
    ("lang", "brand", "text", "alternative"),
    [
        (
            "en",
            "AeroCurl",
            "AeroCurl is overpriced, just get CurlMate instead #deinfluencing",
            "CurlMate",
        ),
        (
            "nl",
            "GlowLab",
            "stop met GlowLab kopen, die van de drogist doet hetzelfde #deinfluencing",
            "generic",
        ),
        (
            "sv",
            "Nordlys",
            "Nordlys är överprisat, köp second hand istället #deinfluencing",
            "generic",
        ),
        ("da", "Tundra", "Tundra cup lækker, køb hellere IceKeep #deinfluencing", "IceKeep"),
        ("en", "Tundra", "my Tundra cup leaks everywhere #deinfluencing", None),
        (
            "en",
            "PureFizz",
            "PureFizz is a waste of money, plain coffee does the job #deinfluencing",
            "generic",
        ),
    ],
)
def test_alternative(
    scorer: Scorer, lang: str, brand: str, text: str, alternative: str | None
) -> None:
    score = scorer.score(post(text, lang), brand)
    assert score.stance is Stance.NEGATIVE
    assert score.alternative == alternative
    if alternative not in (None, "generic"):
        assert any(r.text == f"recommends {alternative} instead" for r in score.reasons)


@pytest.mark.parametrize(
    ("followers", "views", "tier", "text"),
    [
        (420_000, 1000, ReachTier.LARGE, "reach: large (420k followers)"),
        (2_000, 1_200_000, ReachTier.LARGE, "reach: large (1.2M views)"),
        (2_000, 60_000, ReachTier.MID, "reach: mid (60k views)"),
        (9_999, 49_999, ReachTier.SMALL, "reach: small (10k followers)"),
        (10_000, None, ReachTier.MID, "reach: mid (10k followers)"),
        (None, None, ReachTier.SMALL, "reach: small (followers unknown)"),
    ],
)
def test_reach(
    scorer: Scorer, followers: int | None, views: int | None, tier: ReachTier, text: str
) -> None:
    score = scorer.score(
        post("GlowLab broke me out #deinfluencing", "en", followers, views), "GlowLab"
    )
    assert score.reach is tier
    assert any(r.kind == "reach" and r.text == text for r in score.reasons)


def test_reasons_name_the_language_of_the_cue(scorer: Scorer) -> None:
    score = scorer.score(post("Zonnebloem SPF niet kopen, echt niet", "nl"), "Zonnebloem")
    assert 'negative: "niet kopen" (nl)' in [r.text for r in score.reasons]


@pytest.mark.parametrize(
    ("text", "followers", "severity"),
    [
        ("AeroCurl is overhyped #deinfluencing", 500, Severity.LOW),  # risk 1, small
        ("AeroCurl is overhyped #deinfluencing", 300_000, Severity.HIGH),  # risk 1, large
        ("AeroCurl broke after a week #deinfluencing", 500, Severity.MEDIUM),  # risk 2, small
        ("AeroCurl burned my scalp #deinfluencing", 500, Severity.HIGH),  # risk 3, small
        ("AeroCurl burned my scalp #deinfluencing", 20_000, Severity.CRITICAL),  # risk 3, mid
        (
            "AeroCurl broke after a week, get CurlMate instead",
            20_000,
            Severity.CRITICAL,
        ),  # 2+1, mid
        ("does the AeroCurl work on curly hair?", 300_000, Severity.LOW),  # neutral
        ("not de-influencing my AeroCurl", 300_000, Severity.NONE),  # positive
    ],
)
def test_severity_table(scorer: Scorer, text: str, followers: int, severity: Severity) -> None:
    assert scorer.score(post(text, "en", followers, 0), "AeroCurl").severity is severity


def test_policy_change_changes_result() -> None:
    text = "AeroCurl is overhyped #deinfluencing"
    default = Scorer(BRANDS, ScoringPolicy()).score(post(text, "en", 500, 0), "AeroCurl")
    tuned_policy = ScoringPolicy.model_validate(
        {"claim_risk": {"hype": 3}, "reach": {"small_max_followers": 100}}
    )
    tuned = Scorer(BRANDS, tuned_policy).score(post(text, "en", 500, 0), "AeroCurl")
    assert default.severity is Severity.LOW
    assert tuned.risk == 3
    assert tuned.reach is ReachTier.MID
    assert tuned.severity is Severity.CRITICAL
    assert tuned.score > default.score


def test_score_is_deterministic_and_in_band(scorer: Scorer) -> None:
    p = post("GlowLab gave me a chemical burn #deinfluencing", "en", 50_000, 200_000)
    first, second = scorer.score(p, "GlowLab"), scorer.score(p, "GlowLab")
    assert first == second
    assert first.severity is Severity.CRITICAL
    assert 75 <= first.score <= 100


def test_language_detection_used_when_missing(scorer: Scorer) -> None:
    assert detect_language("het enige wat ik niet ga deinfluencen is deze jas") == "nl"
    score = scorer.score(post("koop geen Tundra cup, hij lekt na een week", None), "Tundra")
    assert score.lang == "nl"
    assert score.stance is Stance.NEGATIVE


def test_humanize() -> None:
    assert (humanize(911), humanize(420_000), humanize(1_200_000)) == ("911", "420k", "1.2M")


@pytest.mark.parametrize(
    ("text", "brand", "lang"),
    [
        ("ik ga de Tundra cup echt niet meer kopen, hij lekt", "Tundra", "nl"),
        ("Cloudstep er helt ærligt ikke pengene værd, sålen gik i stykker", "Cloudstep", "da"),
        ("köp inte PureFizz, det är slöseri med pengar", "PureFizz", "sv"),
        ("n'achetez pas Lumina, c'est trop cher pour ce que c'est", "Lumina", "fr"),
        ("no compres el AeroCurl, se rompió al mes y el servicio no responde", "AeroCurl", "es"),
    ],
)
def test_clear_posts_never_call_lingua(
    scorer: Scorer, monkeypatch: pytest.MonkeyPatch, text: str, brand: str, lang: str
) -> None:
    """The cheap vote settles clear posts: lingua stays off the hot path."""

    def no_lingua(_text: str) -> str | None:
        raise AssertionError("lingua called")

    monkeypatch.setattr("bot.scoring.scorer.lingua_language", no_lingua)
    score = scorer.score(post(text), brand)
    assert score.lang == lang
    assert score.stance is Stance.NEGATIVE


def test_language_given_or_decided_gives_the_same_score(scorer: Scorer) -> None:
    text = "Nordlys er overpriset og kvaliteten er dårlig, kjøp heller brukt #deinfluencing"
    given = scorer.score(post(text, "no"), "Nordlys")
    decided = scorer.score(post(text), "Nordlys")
    assert (given.stance, given.claims, given.alternative, given.severity) == (
        decided.stance,
        decided.claims,
        decided.alternative,
        decided.severity,
    )


def test_the_alternative_is_always_explained(scorer: Scorer) -> None:
    named = scorer.score(post("GlowLab broke me out, DewDrop never did", "en"), "GlowLab")
    assert named.alternative == "DewDrop"
    assert "names DewDrop as the alternative" in [r.text for r in named.reasons]
    templated = scorer.score(post("skip GlowLab, buy DewDrop instead", "en"), "GlowLab")
    texts = [r.text for r in templated.reasons]
    assert "recommends DewDrop instead" in texts
    assert not any(t.startswith("names DewDrop") for t in texts)


def test_promotion_raises_severity_with_its_evidence(scorer: Scorer) -> None:
    text = "don't buy GlowLab, DewDrop is way better. use my code ANNA15, link in bio"
    flagged = scorer.score(post(text, "en"), "GlowLab")
    plain = scorer.score(post("don't buy GlowLab, DewDrop is way better", "en"), "GlowLab")
    assert flagged.promotion == "undisclosed" and plain.promotion == "none"
    assert flagged.severity == Severity(min(int(plain.severity) + 1, int(Severity.CRITICAL)))
    assert any(
        r.kind == "promotion" and r.text.startswith("possible undisclosed promotion of DewDrop")
        for r in flagged.reasons
    )


@pytest.mark.parametrize(
    ("lang", "brand", "text", "phrase"),
    [
        ("en", "GlowLab", "GlowLab gave me a rash and cost $68. never again", "cost $68"),
        ("de", "Cloudstep", "Cloudstep kostete 180 € und ist schon durch", "kostete 180 €"),
        ("es", "PureFizz", "PureFizz me costó 3 € y no lo vale", "costo 3 €"),
    ],
)
def test_an_amount_after_a_verb_of_paying_is_a_price_claim(
    scorer: Scorer, lang: str, brand: str, text: str, phrase: str
) -> None:
    score = scorer.score(post(text, lang), brand)
    assert Claim.PRICE in {hit.claim for hit in score.claims}
    assert f'price claim: "{phrase}"' in [r.text for r in score.reasons]


def test_what_a_return_cost_is_no_price_claim(scorer: Scorer) -> None:
    """Shipping a faulty cup back "at my own cost ($14)" is a service complaint, not the price."""
    text = "Tundra cup lid cracked and they want me to ship it back at my own cost ($14)"
    score = scorer.score(post(text, "en"), "Tundra")
    assert Claim.PRICE not in {hit.claim for hit in score.claims}


def test_a_spelled_out_disclosure_is_no_claim(scorer: Scorer) -> None:
    text = "Werbung: Cloudstep ist sein Geld nicht wert. Ich laufe jetzt in Runa #anzeige"
    score = scorer.score(post(text, "de"), "Cloudstep")
    assert Claim.HYPE not in {hit.claim for hit in score.claims}
    assert Claim.PRICE in {hit.claim for hit in score.claims}


def test_dutch_not_worth_the_hype_is_a_hype_claim(scorer: Scorer) -> None:
    score = scorer.score(post("GlowLab is echt niet de hype waard", "nl"), "GlowLab")
    assert Claim.HYPE in {hit.claim for hit in score.claims}


def test_half_the_price_said_of_a_rival_is_a_price_claim(scorer: Scorer) -> None:
    text = "not saying don't buy the AeroCurl, but... the CurlMate does it for half the price"
    score = scorer.score(post(text, "en"), "AeroCurl")
    assert Claim.PRICE in {hit.claim for hit in score.claims}
    assert score.alternative == "CurlMate"


def test_a_rivals_own_flaws_are_not_the_brands(scorer: Scorer) -> None:
    text = "GlowLab faded my dark spots. DewDrop pilled and broke me out"
    score = scorer.score(post(text, "en"), "GlowLab")
    assert score.stance is Stance.POSITIVE  # and "faded my" is praise, not a faded colour
    assert score.claims == ()


@pytest.mark.parametrize(
    ("lang", "brand", "text", "claim"),
    [
        # "am I the only one…?" states a complaint
        (
            "es",
            "GlowLab",
            "¿Soy la única a la que GlowLab le dio una reacción alérgica?",
            Claim.SAFETY,
        ),
        # an emoji ends a sentence: the statement before "💀" is no part of the question
        (
            "de",
            "Cloudstep",
            "Cloudstep nach 500 km: Sohle durch, Dämpfung tot 💀 Lohnt sich der Preis?",
            Claim.QUALITY,
        ),
    ],
)
def test_a_question_shaped_post_still_complains(
    scorer: Scorer, lang: str, brand: str, text: str, claim: Claim
) -> None:
    score = scorer.score(post(text, lang), brand)
    assert score.stance is Stance.NEGATIVE
    assert claim in {hit.claim for hit in score.claims}


def test_english_cues_do_not_read_false_friends(scorer: Scorer) -> None:
    """ "fire" is four in Norwegian, not a safety claim."""
    text = "Testa Tundra cup i fire uker, lokket lekker"
    claims = {hit.claim for hit in scorer.score(post(text, "no"), "Tundra").claims}
    assert claims == {Claim.QUALITY}


@pytest.mark.parametrize(
    ("lang", "brand", "text", "said"),
    [
        # a stretched word reads as the word
        ("es", "AeroCurl", "me quemé con el AeroCurl, tened cuidadooo", '"tened cuidado"'),
        # a verdict can head a list too
        (
            "de",
            "Lumina",
            "Sachen, die ich NICHT nachkaufe: 1) Lumina Lip Oil, riecht komisch 2) Tundra Becher",
            "listed under",
        ),
    ],
)
def test_a_complaint_read_for_its_reason(
    scorer: Scorer, lang: str, brand: str, text: str, said: str
) -> None:
    score = scorer.score(post(text, lang), brand)
    assert score.stance is Stance.NEGATIVE
    assert any(said in r.text for r in score.reasons)


def test_after_but_the_last_brand_named_is_the_topic(scorer: Scorer) -> None:
    text = "Zonnebloem SPF is mijn holy grail maar die GlowLab serum? Weggegooid geld."
    assert scorer.score(post(text, "nl"), "GlowLab").stance is Stance.NEGATIVE
    assert scorer.score(post(text, "nl"), "Zonnebloem").stance is not Stance.NEGATIVE


def test_a_trailing_hashtag_fills_no_template_slot(scorer: Scorer) -> None:
    text = "zonnebloem spf me dejó granitos 😩 el de mercadona me va mil veces mejor #zonnebloemspf"
    score = scorer.score(post(text, "es"), "Zonnebloem")
    assert score.stance is Stance.NEGATIVE
    assert score.alternative == "generic"


LIST = (
    "Ting jeg deinfluencer denne måned: 1) Nordlys' nye kollektion, 1.400 kr, nej tak "
    "2) PureFizz smager af vingummi. Ting jeg IKKE deinfluencer: Tundra cup, holder isen hele dagen"
)


@pytest.mark.parametrize(
    ("brand", "stance"),
    [("Nordlys", Stance.NEGATIVE), ("PureFizz", Stance.NEGATIVE), ("Tundra", Stance.POSITIVE)],
)
def test_a_list_header_speaks_for_its_items(scorer: Scorer, brand: str, stance: Stance) -> None:
    score = scorer.score(post(LIST, "da"), brand)
    assert score.stance is stance
    assert any("listed under" in r.text for r in score.reasons)


def test_a_ticked_item_is_an_exception_to_the_list(scorer: Scorer) -> None:
    text = (
        "Deinfluencing-Liste März: ❌ Lumina Lip Oil, 24 € für 4 ml ✅ Nordlys Jacke, 4 Jahre alt"
    )
    assert scorer.score(post(text, "de"), "Lumina").stance is Stance.NEGATIVE
    assert scorer.score(post(text, "de"), "Nordlys").stance is Stance.POSITIVE


def test_a_french_elided_word_is_read(scorer: Scorer) -> None:
    """ "l'usine" is "usine": the ethics claim is found after the elision."""
    text = "Cloudstep : les ouvriers de l'usine sont payés 90 € par mois. Voilà."
    assert Claim.ETHICS in {h.claim for h in scorer.score(post(text, "fr"), "Cloudstep").claims}


def test_an_offer_is_news_not_a_price_complaint(scorer: Scorer) -> None:
    """The amount beside "på tilbud" is no complaint and the shop no alternative; "buy
    any pair on sale" is still the generic alternative."""
    news = scorer.score(
        post("GlowLab serum er på tilbud i Matas til 199 kr denne uge", "da"), "GlowLab"
    )
    assert news.stance is Stance.NEUTRAL and not news.claims and news.alternative is None
    text = "Cloudstep er overhyped og alt for dyre, køb bare et par løbesko på udsalg"
    advice = scorer.score(post(text, "da"), "Cloudstep")
    assert advice.stance is Stance.NEGATIVE and advice.alternative == "generic"


def test_a_shop_is_the_alternative_of_a_complaint_and_nothing_by_itself(scorer: Scorer) -> None:
    text = "Zonnebloem SPF er udsolgt i Matas lige nu, nogen der ved mere"
    news = scorer.score(post(text, "da"), "Zonnebloem")
    assert news.stance is Stance.NEUTRAL and news.alternative is None
    text = "Zonnebloem SPF er alt for dyr og stikker i øjnene, køb den fra Matas"
    complaint = scorer.score(post(text, "da"), "Zonnebloem")
    assert complaint.stance is Stance.NEGATIVE and complaint.alternative == "generic"
    assert 'suggests a generic alternative: "matas"' in [r.text for r in complaint.reasons]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("da", "skiftede fra DewDrop til GlowLab for et år siden, huden er lysere"),
        ("nl", "ben in januari van DewDrop naar GlowLab overgestapt"),
        ("en", "swapped DewDrop for GlowLab after a year"),
    ],
)
def test_switching_from_one_brand_to_another(scorer: Scorer, lang: str, text: str) -> None:
    """ "Switched from X to Y" recommends Y: praise for Y, a rival recommended for X."""
    assert scorer.score(post(text, lang), "GlowLab").stance is Stance.POSITIVE
    away = text.replace("DewDrop", "Lumina").replace("GlowLab", "Sheen")
    rival = scorer.score(post(away, lang), "Lumina")
    assert rival.stance is Stance.NEGATIVE and rival.alternative == "Sheen"


def test_a_denied_verdict_heads_a_keep_list(scorer: Scorer) -> None:
    text = "Les produits que je ne déconseille pas : 1. le sérum GlowLab 2. un bon SPF"
    score = scorer.score(post(text, "fr"), "GlowLab")
    assert score.stance is Stance.POSITIVE
    assert any(r.text.startswith("positive: listed under") for r in score.reasons)


def test_praise_that_ends_in_a_negator_denies_the_complaint_after_it(scorer: Scorer) -> None:
    text = "zonnebloem spf is echt de enige zonnebrand die niet in m'n ogen prikt als ik fiets"
    score = scorer.score(post(text, "nl"), "Zonnebloem")
    assert score.stance is Stance.POSITIVE and not score.claims


def test_an_outraged_amount_outweighs_faint_praise(scorer: Scorer) -> None:
    text = "Der AeroCurl ist nicht schlecht, aber 499€??"
    score = scorer.score(post(text, "de"), "AeroCurl")
    assert score.stance is Stance.NEGATIVE
    assert [h.claim for h in score.claims] == [Claim.PRICE]
    # an amount alone still only says what it costs
    plain = scorer.score(post("Der AeroCurl ist nicht schlecht, 499€", "de"), "AeroCurl")
    assert plain.stance is Stance.POSITIVE


def test_a_claim_inside_a_longer_claim_counts_once(scorer: Scorer) -> None:
    """ "ble dårlig" is falling ill (safety), not also "dårlig" quality."""
    score = scorer.score(
        post("ble så dårlig av PureFizz i går, kvalm hele kvelden", "no"), "PureFizz"
    )
    assert {h.claim for h in score.claims} == {Claim.SAFETY}


# One reading rule a case: the post and the stance a person reads in it.
READINGS = [
    pytest.param(
        "no",
        "AeroCurl",
        "AeroCurl på tykt hår, krøllene holdt hele bryllupet. Kjøpt selv, ikke reklame 🫶",
        Stance.POSITIVE,
        id="a negator denies the word after it, not an emoji",
    ),
    pytest.param(
        "da",
        "GlowLab",
        "GlowLab serum, 3. flaske. nej jeg fortryder ikke",
        Stance.POSITIVE,
        id="a regret denied after the verb is no complaint",
    ),
    pytest.param(
        "es",
        "AeroCurl",
        "400€ por el AeroCurl?? con unos rulos me quedan las ondas igual",
        Stance.NEGATIVE,
        id="disbelief in the sentence makes its amount a complaint",
    ),
    pytest.param(
        "en",
        "Lumina",
        "not sponsored, I just love it: Lumina lip oil!",
        Stance.POSITIVE,
        id="just love is sincere far more often than sarcastic",
    ),
    pytest.param(
        "es",
        "Cloudstep",
        "no compréis Cloudstep, la suela se despegó",
        Stance.NEGATIVE,
        id="the Spanish plural imperative",
    ),
    pytest.param(
        "nl",
        "GlowLab",
        "GlowLab is echt niet de hype waard",
        Stance.NEGATIVE,
        id="not worth the hype is a Dutch complaint too",
    ),
    pytest.param(
        "en",
        "GlowLab",
        "does GlowLab give anyone a rash?",
        Stance.NEUTRAL,
        id="a genuine question stays neutral",
    ),
    pytest.param(
        "sv",
        "AeroCurl",
        "Har kört både FinFlex och AeroCurl: AeroCurl vinner, mycket tystare #reklam",
        Stance.POSITIVE,
        id="a disclosure tag never counts as a claim",
    ),
    pytest.param(
        "de",
        "GlowLab",
        "Nach 8 Wochen GlowLab Serum: gar nicht mal so schlecht 👀",
        Stance.POSITIVE,
        id="not bad is praise (de)",
    ),
    pytest.param(
        "no",
        "Cloudstep",
        "Ikke dårlig i det hele tatt, de Cloudstep-skoa",
        Stance.POSITIVE,
        id="not bad is praise (no)",
    ),
    pytest.param(
        "nl",
        "AeroCurl",
        "die AeroCurl is echt niet verkeerd 😳",
        Stance.POSITIVE,
        id="not bad is praise (nl)",
    ),
    pytest.param(
        "es",
        "Lumina",
        "el aceite de labios Lumina no está nada mal",
        Stance.POSITIVE,
        id="not bad is praise (es)",
    ),
    pytest.param(
        "no",
        "Lumina",
        "Fikk allergisk reaksjon av Lumina leppeolje. Anbefaler den ikke.",
        Stance.NEGATIVE,
        id="a verb negated after it is no praise (Nordic word order)",
    ),
    pytest.param(
        "de",
        "Zonnebloem",
        "Zonnebloem Skincare kommt ab Juni zu dm. Preis: 12,95 € für 50 ml.",
        Stance.NEUTRAL,
        id="an amount alone does not make a complaint",
    ),
    pytest.param(
        "en",
        "GlowLab",
        "Everyone's de-influencing GlowLab this month but it's formulated properly, I'd repurchase",
        Stance.POSITIVE,
        id="de influencing is one word",
    ),
    pytest.param(
        "da",
        "Tundra",
        "IceKeep-kruset lækkede ud over hele min taske. Tilbage til min Tundra tumbler",
        Stance.POSITIVE,
        id="going back to the brand is praise",
    ),
    pytest.param(
        "de",
        "Cloudstep",
        "Hab die Cloudstep geholt, weil mein Knie in den StrideOne litt. Nicht schlecht!",
        Stance.POSITIVE,
        id="because of a rival keeps the brand the topic",
    ),
    pytest.param(
        "sv",
        "Nordlys",
        "Min Nordlys-kappa från 2018 ser fortfarande ny ut. Dyr ja, men den håller.",
        Stance.POSITIVE,
        id="a price conceded before but is no complaint",
    ),
    pytest.param(
        "no",
        "GlowLab",
        "noen som har prøvd glowlab serum? lurer på om det er verdt det 🤔",
        Stance.NEUTRAL,
        id="wondering without a question mark is a question",
    ),
    pytest.param(
        "en",
        "Lumina",
        "everyone hates on lumina rn but tbh the cherry shade is the one 🍒",
        Stance.POSITIVE,
        id="everyone hates on it but (en)",
    ),
    pytest.param(
        "sv",
        "AeroCurl",
        "alla hatar på aerocurl men ärligt den är värd varenda krona",
        Stance.POSITIVE,
        id="everyone hates on it but (sv)",
    ),
    pytest.param(
        "fr",
        "AeroCurl",
        "tout le monde crache sur l'aerocurl mais perso je la rachèterais",
        Stance.POSITIVE,
        id="everyone hates on it but (fr)",
    ),
    pytest.param(
        "en",
        "AeroCurl",
        "the only 2 things surviving my de-influencing era: AeroCurl and Lumina lip oil",
        Stance.POSITIVE,
        id="a slot does not reach across a colon",
    ),
    pytest.param(
        "en",
        "Tundra",
        "Tundra tumbler, year 3. Dropped on concrete twice, the ice is still there",
        Stance.POSITIVE,
        id="durability told as facts is praise (en)",
    ),
    pytest.param(
        "de",
        "Tundra",
        "Tundra Quencher, 3 Jahre. Über Nacht ist immer noch Eis drin.",
        Stance.POSITIVE,
        id="durability told as facts is praise (de)",
    ),
    pytest.param(
        "no",
        "Tundra",
        "Tundra-kopp, fjerde vinteren. Stått i bilen i minus 20 uten å sprekke.",
        Stance.POSITIVE,
        id="durability told as facts is praise (no)",
    ),
]


@pytest.mark.parametrize(("lang", "brand", "text", "stance"), READINGS)
def test_a_rule_of_reading(
    scorer: Scorer, lang: str, brand: str, text: str, stance: Stance
) -> None:
    assert scorer.score(post(text, lang), brand).stance is stance
