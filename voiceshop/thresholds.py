"""Score thresholds of understanding a phrase, in one place.

Phrase scores are the matcher's (0..1, `ProductMatcher.score`); word similarities are 0..1.
Each says what it was tuned on, or that it was not tuned. The thresholds of the matcher's
decisions that an app may change are `MatchSettings` (matching/matcher.py); those of the
conversation, `DialogSettings` (dialog/core.py).
"""

from __future__ import annotations

# Words naming a product (intents/items.py: where a list of items splits; rescoring/order_slots.py:
# whether an order names its product).

NAMES_WEAKLY = 0.5
"""Phrase score from which words name a product, if only weakly.
Not tuned in items.py (set with the item-list rule, no figures quoted); in order_slots.py tuned
on coffee-dev, all 124 recordings, before the tune/check split; A/B at noise seed 8, clean to
24 dB."""
NAMES_FAIRLY = 0.7
"""Phrase score from which words name a product fairly well.
Not tuned: chosen on one example ('burger maked corn'), no figures quoted."""
JOINED_NAMES = 0.75
"""Phrase score from which parts joined by "and", one of which names a product only weakly
("low and green tea scented hand soap", misheard), name one product together.
Not tuned: chosen on one example ('burger maked corn'), no figures quoted."""
NAMES_CLEARLY = 0.8
"""Phrase score from which words name a product clearly.
Not tuned: chosen on one example ('his sixteen ounce, iced coffee'), no figures quoted."""
NAMES_EXACTLY = 0.9
"""Phrase score from which words are a product's name, or all but one unsaid word of it.
Not tuned: chosen on examples ('two percent milk', 'one milk'), no figures quoted."""
MERGE_TOLERANCE = 0.02
"""Phrase scores this close count as equal when telling whether parts are one name.
Not tuned: set with the item-list rule, no figures quoted."""

# Names read back against the audio (rescoring/catalog_slots.py).

READ_BACK_LETTER_SCORE = 0.7
"""Names found only by their letters are read back when at least this alike (0..1): the agent
may offer less alike ones, but a weak likeness in a badly heard phrase ("foamed linked water",
"alkaline water") should not become the product without a question.
Tuned on: long names, seed-9 dev sample (80 names; not today's tune or check sample), and
read-backs seen on the seed-7 sample (now the tune sample)."""
PROMPT_LETTER_SCORE = 0.5
"""The names spelled most like an unclear phrase (at most `PROMPT_SPELLED_NAMES`, at least this
alike) follow those the agent would offer in a second reading's prompt: the audio, not a
question, is to judge such a weak likeness ("funny lemon calf raps", Honey Lemon Cough Drops).
Tuned on: long names, the seed-7 sample of 120 names (now the tune sample)."""

# Word similarity in the matcher (matching/matcher.py).

FULL_COVER = 0.8
"""A said word counts as named by a product when this similar to one of its words.
Not tuned: a guess."""
EXPLAINS = 0.81
"""A name word explains a said word that is not in the catalog when this similar to it: spelled
alike ("hole" / "whole"), not merely with the same sound key ("tofu" / "dove": 0.8).
Tuned on: the everyday tune corpus ('tofu' is not 'dove')."""
EXACT = 0.9999
"""A score this high means the phrase is the name, word for word. Not tuned: a rounding margin."""
SOUND_ALIKE_CREDIT = 0.8
"""Similarity credited to an unknown word that sounds like a catalog word ("serial").
Not tuned: set with the first matcher, before any accuracy benchmark existed."""
KNOWN_SOUND_ALIKE_CREDIT = 0.6
"""Credit when the spoken word is itself a catalog word ("bread" is not "burrito").
Not tuned: checked on the conversation test fixtures only."""
