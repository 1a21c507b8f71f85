"""Reading catalog names back against the audio: when a name may replace the heard words."""

from __future__ import annotations

from tests.test_slot_rescoring import FakeWhisper
from voiceshop.rescoring.protocol import MisheardSlot
from voiceshop.rescoring.readback import rewrite_slots


def test_a_name_of_fewer_words_must_read_closer_to_the_heard_ones() -> None:
    whisper = FakeWhisper(
        {
            ("add",): {"berry": -0.1},
            ("add", "berry"): {"tortoise": -1.0, "tart": -5.0, "bar": -5.0},
            ("add", "berry", "tortoise"): {"bar": -0.1},
            ("add", "berry", "tart"): {"bar": -0.1},
        }
    )
    text = "add berry tortoise bar"
    both = MisheardSlot(4, 22, ("berry bar", "berry tart bar"), heard_may_stay=True)
    shorter = MisheardSlot(4, 22, ("berry bar",), heard_may_stay=True)

    def read(slot: MisheardSlot) -> str:
        return rewrite_slots(text, [slot], whisper.encode, whisper.distributions)

    assert read(both) == "add berry tart bar"
    assert read(shorter) == text
