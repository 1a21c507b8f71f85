"""Rescoring and second readings, between the recognizer and what understands the store.

`protocol.py` holds the only types that pass between them. The recognizer's side
(`reading_policy.py`, `readback.py`, `slots.py`) decides which reading of the audio to take and
knows nothing of the store's grammar or catalog; the store's side (`store_reading.py` over
`catalog_slots.py` and `order_slots.py`) answers its questions.
"""
