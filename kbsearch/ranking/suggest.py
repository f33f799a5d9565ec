"""Suggestions for a case being typed: the articles most likely to solve it.

Called on every pause in typing, so everything here is per-request arithmetic on what the
build precomputed: the model's ``score`` (two sparse products over the text's own words,
TF-IDF cosine and BM25F), a category boost and a partial sort.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from kbsearch.corpus import text as analysis
from kbsearch.corpus.synonyms import Synonyms
from kbsearch.ranking import spelling
from kbsearch.ranking.learned import Learned
from kbsearch.ranking.model import TfidfRanker

# Subject and description count alike: each is normalised first, so a three-word subject
# already weighs as much as a long description. Doubling it helped short subjects but cost
# a third of the hits where subjects are whole sentences (README, "Relevance").
SUBJECT_WEIGHT = 1.0
CATEGORY_BOOST = 1.25  # the customer's chosen component is evidence, never a filter
SUBCATEGORY_BOOST = 1.15
MIN_SCORE = 0.06  # below this cosine, a suggestion shares a stray word, not a problem
# A synonym weighs less than a word the customer typed: it names the same thing, but an article in
# the customer's own words is the likelier answer. Tried on the sample KB: at 0.5 "Can't log in" still
# put the email article first (its "delivery log"), at 0.7 a sign-in article; 1.0 would tie them.
SYNONYM_SHARE = 0.7
_PARTIAL = re.compile(r"(\w{3,})$")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Suggestion:
    id: str
    score: float
    matched: dict[str, list[str]] = field(default_factory=dict)


def expand_partial(ranker: TfidfRanker, text: str) -> str:
    """Add the completions of a last word still being typed (no space after it yet)."""
    match = _PARTIAL.search(text)
    if not match:
        return text
    completions = [w for w in ranker.complete(match.group(1).lower()) if w != match.group(1).lower()]
    return f"{text} {' '.join(completions)}" if completions else text


def correct_typos(ranker: TfidfRanker, text: str, vocabulary: dict[str, int] | None) -> str:
    """Add the one-edit correction of each unknown word ("pasword" also counts as "password").

    A word the model knows by its stem is never corrected, though rare enough to be missing
    from the spelling vocabulary: "storing" is not a typo for "string".
    """
    if not vocabulary:
        return text
    fixes = [fix for word in _WORDS.findall(text) if (fix := spelling.correct(word, vocabulary, 1, ranker.knows))]
    return f"{text} {' '.join(fixes)}" if fixes else text


def added_synonyms(ranker: TfidfRanker, synonyms: Synonyms | None,
                   fields: dict[str, tuple[str, list[tuple[str, str]]]]) -> dict[str, dict[str, float]] | None:
    """Per field, the stems its text gains from ``synonyms`` (none it already has), with their shares.

    The stems one term brings name one thing, so each weighs as the commonest of them would (the
    way Lucene's SynonymQuery scores synonyms as one term): a rare variant ("signin") must not
    outweigh the words the articles use ("sign in"). Each is then ``SYNONYM_SHARE`` of a word typed.
    """
    if not synonyms:
        return None
    idf, vocabulary = ranker.idf_, ranker.vocabulary_
    added = {}
    for name, (text, words) in fields.items():
        by_term: dict[int, list[str]] = {}
        for stem, term in synonyms.expand(text, (stem for stem, _ in words)).items():
            if stem in vocabulary:
                by_term.setdefault(term, []).append(stem)
        shares = {}
        for stems in by_term.values():
            commonest = min(float(idf[vocabulary[stem]]) for stem in stems)
            shares.update({stem: SYNONYM_SHARE * commonest / float(idf[vocabulary[stem]]) for stem in stems})
        added[name] = shares
    return added


def suggest(ranker: TfidfRanker, subject: str, description: str, category: str | None = None,
            subcategory: str | None = None, limit: int = 5, min_score: float = MIN_SCORE,
            vocabulary: dict[str, int] | None = None, synonyms: Synonyms | None = None,
            learned: Learned | None = None) -> list[Suggestion]:
    """The ``limit`` best articles for a case, best first; empty when nothing is close enough.

    :param vocabulary: the build's words; when given, misspelled words also count as the
        known word one edit away.
    :param synonyms: the build's; a term's synonyms count at ``SYNONYM_SHARE``, never as matched.
    :param learned: the build's past cases: an article whose cases resemble this one gains score,
        even with none of its own words (never shown: ``matched`` holds only the article's words).
    """
    subject, description = correct_typos(ranker, subject, vocabulary), correct_typos(ranker, description, vocabulary)
    # The word being typed is the last one of the description, or of the subject while the
    # description is still empty.
    if description.strip():
        description = expand_partial(ranker, description)
    else:
        subject = expand_partial(ranker, subject)
    subject_words, description_words = analysis.analyze_words(subject), analysis.analyze_words(description)
    scored = ranker.score({"subject": subject_words, "description": description_words},
                          {"subject": SUBJECT_WEIGHT, "description": 1.0}, min_score,
                          added_synonyms(ranker, synonyms, {"subject": (subject, subject_words),
                                                    "description": (description, description_words)}))
    scores = scored.scores if scored is not None else np.zeros(len(ranker), dtype=np.float32)
    if learned is not None:
        scores = learned.boost((stem for stem, _ in subject_words + description_words), scores, scored,
                               matched_only=False)
    if not scores.any():
        return []
    if category:
        in_category = ranker.in_facet("category", category)
        scores = scores * np.where(in_category, CATEGORY_BOOST, 1.0)
        if subcategory:
            in_subcategory = in_category & ranker.in_facet("subcategory", subcategory)
            scores = scores * np.where(in_subcategory, SUBCATEGORY_BOOST, 1.0)
    k = min(limit, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    unmatched: dict[str, list[str]] = {"subject": [], "description": []}
    return [Suggestion(ranker.article_id(i), float(scores[i]), scored.matched(i) if scored else unmatched)
            for i in top if scores[i] > 0.0]
