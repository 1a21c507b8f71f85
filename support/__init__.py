"""What the tests and the benchmarks share, so that neither imports the other.

A top-level package beside them rather than inside voiceshop/: it is not shipped in the wheel,
not held to voiceshop's strict type check, and it may need what only the test command installs
(PulseAudio's virtual microphone, a PostgreSQL server). It imports voiceshop, never tests/ or
benchmarks/ (tests/test_import_directions.py checks it).

- `replay`: the replay harness (WAV turns through the production voice loop) and `add_history`;
- `pulse`: the PulseAudio virtual microphone;
- `barge_in_mix`: a simulated room where a person speaks over the agent's reply, run through the
  voice loop on the audio's own clock;
- `postgres_cluster`, `raw_sql`: a throwaway PostgreSQL server, and raw rows of a database;
- `stats`: percentiles and word errors;
- `fakes`: stand-ins such as a clock that moves only when told to;
- the code of benchmarks that tests exercise, each benchmark's command staying in benchmarks/:
  the accuracy sets (`accuracy_audio`, `accuracy_coffee`, `accuracy_answers`,
  `accuracy_catalog`, `accuracy_french`), `perturbed_queries`, `make_catalogs`, `report` (the
  results table), `long_texts`, `kill_nine`, `concurrency` and `everyday` (the typed corpus).
- `shopper_names`: the loader of tests/shopper_names/, how shoppers name products (tune and
  check halves).
"""
