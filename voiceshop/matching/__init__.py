"""Spoken product phrase -> ranked catalog products, and the decision what to do with them."""

from voiceshop.matching.matcher import (
    Candidate,
    MatchOutcome,
    MatchResult,
    MatchSettings,
    ProductMatcher,
)

__all__ = ["Candidate", "MatchOutcome", "MatchResult", "MatchSettings", "ProductMatcher"]
