"""Whisper (faster-whisper / CTranslate2) behind the Recognizer interface: the default engine.

Audio is buffered by the `Endpointer`; each finished utterance is transcribed in one go with the
store's vocabulary as the initial prompt, which steers spelling ("iced mocha", "twenty ounce")
without constraining what can be heard. Whisper works on whole utterances only; the
`LookaheadTranscriber` (interim.py) reads them while they are spoken: greedy drafts for
`partial`, and the final reading in the pause that ends the utterance. This module decodes;
which of the readings the transcript takes, asking the store, is `rescoring.reading_policy`.

Window length: `WhisperModel.transcribe(chunk_length=...)` does not make decoding faster, since
faster-whisper 1.2 still pads every window's features to 30 s before the encoder. Endpointed
utterances are never longer than `max_utterance_seconds`, so this backend decodes them itself
with the same prompt layout, beam search and token suppression, but with the features padded
only to that length (15 s by default): the encoder works on half a native window's frames
(`benchmarks/results.md` measures it as a turn lever against faster-whisper's own decoding).

Confidence = exp(mean token log-probability) x (1 - no-speech probability), windows weighted by
their token counts: the geometric-mean probability of the tokens, discounted by how likely the
audio held no speech. Clear speech scores about 0.8-0.95, mumbling below 0.6.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voiceshop.audio.types import Chunk
from voiceshop.errors import EngineUnavailableError, ModelNotFoundError
from voiceshop.extras import missing_extra
from voiceshop.recognizer import RecognizerSettings, WhisperSettings
from voiceshop.recognizer.base import Recognizer, Transcript, join_transcripts
from voiceshop.recognizer.endpoint import Endpointer, Utterance
from voiceshop.recognizer.interim import (
    LookaheadTranscriber,
    RequestCheck,
    draft_reader,
    draft_settings,
)
from voiceshop.recognizer.models import (
    check_embedded_whisper_model,
    embedded_whisper_model,
    multilingual_whisper_model,
)
from voiceshop.rescoring.protocol import Vocabulary
from voiceshop.rescoring.readback import log_softmax
from voiceshop.rescoring.reading_policy import PROMPT_SEPARATOR, ReadingPolicy

if TYPE_CHECKING:
    from ctranslate2 import StorageView
    from ctranslate2.models import WhisperGenerationResult
    from faster_whisper import WhisperModel

PROMPT_LEAD = "Order:"
"""Words before the vocabulary list in the prompt; Whisper takes the prompt as earlier speech."""
CLEAR_SPEECH_DB = 15.0
"""How far above an utterance's quietest tenth its speech frames stand when it clearly holds
speech: then, while answers are listened for, the no-speech gate does not drop it.
Not tuned: reasoned (a word in kitchen noise at 12 dB stands well above the pauses around it);
checked on the short-answer tune voices."""
_MIN_CLEAR_SPEECH_SECONDS = 0.15
"""Not tuned: about the shortest one-syllable answer ("no")."""
_ENERGY_FRAME = 512
_SAMPLE_RATE = 16000
_MAX_WINDOW_SECONDS = 30
"""Whisper's native window."""
_FRAMES_PER_SECOND = 100
"""Log-mel frames per second of audio (hop of 160 samples at 16 kHz)."""
_MAX_TOKENS = 448
"""Whisper's decoder context: prompt plus generated tokens."""
_TOKENS_PER_SECOND = 10
_EXTRA_TOKENS = 10
"""At most 10 tokens per second of audio plus 10 are generated: twice a fast speaker's rate,
so a hallucinated repetition loop stops early instead of running to 448 tokens.
Not tuned: a cap reasoned from speech rates, not measured."""
_MIN_REPEATED_WORDS = 3
_WORD = re.compile(r"\S+")
_WORD_CORE = re.compile(r"[^\w']")
"""Characters ignored when comparing words: punctuation around them."""


class WhisperRecognizer(Recognizer):
    """Endpointed utterances transcribed by Whisper (tiny.en by default) on the CPU.

    `prompt` is the initial prompt sent with every utterance (None for an empty vocabulary).
    `check_request` lets an utterance end early when its words already make a request.
    """

    name = "whisper"

    def __init__(
        self,
        settings: RecognizerSettings,
        vocabulary: Vocabulary,
        check_request: RequestCheck | None = None,
    ) -> None:
        self.settings = settings
        model = load_whisper_model(_whisper_for(settings))
        _check_language(model, settings.language)
        self._model = model
        self._decoder = WindowDecoder(model, settings)
        self._drafts = WindowDecoder(model, draft_settings(settings))
        self._prompts = PromptCache(
            self._decoder.count_tokens, settings.whisper.prompt_token_limit, settings.prompt_lead
        )
        self.prompt: str | None = None
        self.set_vocabulary(vocabulary)
        self.stream = LookaheadTranscriber(
            Endpointer(settings.endpoint),
            self.transcribe,
            draft_reader(self._drafts),
            settings.interim,
            check_request,
        )

    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        self.prompt = self._prompts.prompt(vocabulary)
        self._decoder.set_prompt(self.prompt)
        whisper = self.settings.whisper
        self._decoder.policy = (
            ReadingPolicy(
                self._decoder, vocabulary, whisper.pick_answers, whisper.answer_margin_nats
            )
            if whisper.rescore_slots
            else None
        )
        self._decoder.answers_open = vocabulary.said_alone
        self._drafts.set_prompt(self.prompt)

    def feed(self, chunk: Chunk) -> Transcript | None:
        return join_transcripts(self.stream.feed(chunk))

    def partial(self) -> str:
        return self.stream.partial()

    def flush(self) -> Transcript | None:
        transcript = self.stream.flush()
        return join_transcripts([transcript]) if transcript else None

    def reset(self) -> None:
        self.stream.reset()

    def new_speaker(self) -> None:
        self.stream.forget_habit()

    def transcribe(self, utterance: Utterance) -> Transcript:
        """Whisper's reading of one utterance (empty text when it heard no words)."""
        started = time.perf_counter()
        audio = np.frombuffer(utterance.pcm, "<i2").astype(np.float32) / 32768.0
        if self.settings.whisper.decoding == "stock":
            heard = self._stock_windows(audio)
        else:
            heard = [window for window in self._decoder.decode(audio) if window.text]
        return Transcript(
            text=" ".join(window.text for window in heard),
            confidence=window_confidence(heard),
            audio_seconds=utterance.seconds,
            read_seconds=time.perf_counter() - started,
        )

    def _stock_windows(self, audio: np.ndarray) -> list[DecodedWindow]:
        """faster-whisper's own `transcribe` of the audio, prompted with the vocabulary."""
        segments, _ = self._model.transcribe(
            audio,
            language=self.settings.language,
            beam_size=self.settings.whisper.beam_size,
            initial_prompt=self.prompt,
        )
        return [
            DecodedWindow(
                segment.text.strip(),
                segment.avg_logprob,
                segment.no_speech_prob,
                len(segment.tokens),
            )
            for segment in segments
            if segment.text.strip()
        ]


@dataclass(frozen=True)
class DecodedWindow:
    """Whisper's reading of one window of audio."""

    text: str
    avg_logprob: float
    """Mean log-probability per token, end-of-text included."""
    no_speech_prob: float
    token_count: int


class WindowDecoder:
    """Beam-search decoding of audio windows as short as the longest utterance."""

    def __init__(self, model: WhisperModel, settings: RecognizerSettings) -> None:
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self._model = model
        self._storage_view = ctranslate2.StorageView.from_array
        self._beam_size = settings.whisper.beam_size
        self.prompt_lead = settings.prompt_lead
        self._tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, "transcribe", settings.language
        )
        self._suppressed = list(get_suppressed_tokens(self._tokenizer, [-1]))
        self.end_of_text: int = self._tokenizer.eot
        window_seconds = min(
            _MAX_WINDOW_SECONDS,
            settings.whisper.window_seconds or math.ceil(settings.endpoint.max_utterance_seconds),
        )
        self._no_speech, self._silent_logprob = settings.whisper.no_speech_gate
        self._window_frames = window_seconds * _FRAMES_PER_SECOND
        self.policy: ReadingPolicy | None = None
        """Which reading a window takes (None: the likeliest, not rescored)."""
        self.answers_open = False
        """A question's answers are listened for: the no-speech gate keeps a window whose
        audio clearly holds speech (`speech_stands_out`), however short."""
        self.set_prompt(None)

    def tokens(self, text: str) -> list[int]:
        """The tokens of `text` after a space, as Whisper writes it inside a transcript."""
        return self._tokenizer.encode(" " + text)

    def token_ids(self, text: str) -> list[int]:
        """The tokens of `text` as written."""
        return self._tokenizer.encode(text)

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes after a space, as it does inside the prompt."""
        return len(self.tokens(text))

    def set_prompt(self, prompt: str | None) -> None:
        """Use `prompt` as the previous text for every window from now on."""
        self._plain_prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        self._prompt = self.prompt_tokens(prompt)

    def prompt_tokens(self, prompt: str | None) -> list[int]:
        """The decoder's start tokens with `prompt` as the previous text."""
        previous = self._tokenizer.encode(" " + prompt.strip()) if prompt else []
        head = [self._tokenizer.sot_prev, *previous[-(_MAX_TOKENS // 2 - 1) :]] if previous else []
        return [*head, *self._plain_prompt]

    def decode(self, audio: np.ndarray) -> list[DecodedWindow]:
        """Readings of consecutive windows of `audio` (one unless it is longer than a window)."""
        content = self._features(audio)
        clear = self.answers_open and speech_stands_out(audio)
        return [
            self._decode_window(content[:, start : start + self._window_frames], clear)
            for start in range(0, content.shape[1], self._window_frames)
        ]

    def encode(self, audio: np.ndarray) -> StorageView:
        """The encoder's view of the first window of `audio`, for `distributions`."""
        return self._encoded(self._features(audio)[:, : self._window_frames])

    def _features(self, audio: np.ndarray) -> np.ndarray:
        features = self._model.feature_extractor(audio)
        return features[:, : max(1, features.shape[1] - 1)]  # the last frame is padding

    def distributions(
        self, encoded: StorageView, tokens: list[int], *, prompted: bool = True
    ) -> list[np.ndarray]:
        """Whisper reading `tokens` back against encoded audio, after the prompt or without it:
        for each token, and for the one after them, the log-probabilities of every token there
        (fewer rows only when prompt and tokens fill the decoder's context)."""
        return self.readings(encoded, [tokens], prompted=prompted)[0]

    def readings(
        self, encoded: StorageView, token_lists: Sequence[list[int]], *, prompted: bool = True
    ) -> list[list[np.ndarray]]:
        """`distributions` of several token lists against the same audio, read back together in
        one batch (about twice as fast as one after another on two cores).

        CTranslate2 counts `max_length` differently with and without a previous-text prompt
        (without one, forced tokens seem to count twice), so it starts from that and is raised
        until the forced tokens all have their row."""
        prompt = self._prompt if prompted else self._plain_prompt
        wanted = [len(tokens) + 1 for tokens in token_lists]
        longest = max(wanted)
        max_length = len(prompt) + (
            longest if len(prompt) > len(self._plain_prompt) else 2 * longest
        )
        batch = self._batch_of(encoded, len(token_lists))
        while True:
            results = self._model.model.generate(
                batch,
                [prompt + tokens for tokens in token_lists],
                beam_size=1,
                max_length=max_length,
                return_logits_vocab=True,
            )
            rows = [result.logits[0] for result in results]
            complete = all(len(r) >= n for r, n in zip(rows, wanted, strict=True))
            if complete or max_length >= _MAX_TOKENS:
                return [
                    [log_softmax(row) for row in r[:n]] for r, n in zip(rows, wanted, strict=True)
                ]
            max_length = min(_MAX_TOKENS, 2 * max_length)

    def _batch_of(self, encoded: StorageView, size: int) -> StorageView:
        """The encoded audio repeated `size` times, one for each reading of a batch."""
        if size == 1:
            return encoded
        return self._storage_view(np.repeat(np.asarray(encoded), size, axis=0))

    def _encoded(self, features: np.ndarray) -> StorageView:
        padded = np.zeros((1, features.shape[0], self._window_frames), np.float32)
        padded[0, :, : features.shape[1]] = features
        return self._model.model.encode(self._storage_view(padded))

    def _decode_window(self, features: np.ndarray, clear_speech: bool = False) -> DecodedWindow:
        seconds = features.shape[1] / _FRAMES_PER_SECOND
        new_tokens = _EXTRA_TOKENS + math.ceil(_TOKENS_PER_SECOND * seconds)
        encoded = self._encoded(features)
        result = self.generate(encoded, self._prompt, new_tokens)
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        silent = result.no_speech_prob > self._no_speech and avg_logprob < self._silent_logprob
        silent = silent and not clear_speech
        if silent:
            text = ""
        elif self.policy is None:
            text = self.text(tokens)
        else:
            text = self.policy.read(result, encoded, new_tokens)
        return DecodedWindow(text, avg_logprob, result.no_speech_prob, len(tokens))

    def generate(
        self, encoded: StorageView, prompt: list[int], new_tokens: int
    ) -> WhisperGenerationResult:
        """The beam's readings of the encoded audio after `prompt`, likeliest first."""
        (result,) = self._model.model.generate(
            encoded,
            [prompt],
            beam_size=self._beam_size,
            num_hypotheses=self._beam_size,
            max_length=min(_MAX_TOKENS, len(prompt) + new_tokens),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppressed,
        )
        return result

    def text(self, tokens: list[int]) -> str:
        """The text of a reading's tokens, said once (`without_repetition`)."""
        return without_repetition(self._tokenizer.decode(tokens).strip())


class PromptCache:
    """`build_prompt` for the last few vocabularies: the voice loop goes back and forth between
    a store's vocabulary and the answers to a question, and a 50,000-name catalog's prompt
    takes 0.15 s to build. A vocabulary is known by its phrases (the same tuple)."""

    def __init__(
        self,
        count_tokens: Callable[[str], int],
        token_limit: int,
        lead: str = PROMPT_LEAD,
        size: int = 4,
    ) -> None:
        self._count_tokens = count_tokens
        self._token_limit = token_limit
        self._lead = lead
        self._size = size
        self._built: list[tuple[tuple[str, ...], bool, str | None]] = []

    def prompt(self, vocabulary: Vocabulary) -> str | None:
        """The vocabulary's prompt, built once while it stays among the last few."""
        for phrases, said_alone, prompt in self._built:
            if phrases is vocabulary.phrases and said_alone == vocabulary.said_alone:
                return prompt
        prompt = build_prompt(vocabulary, self._count_tokens, self._token_limit, self._lead)
        entry = (vocabulary.phrases, vocabulary.said_alone, prompt)
        self._built = [entry, *self._built[: self._size - 1]]
        return prompt


def build_prompt(
    vocabulary: Vocabulary,
    count_tokens: Callable[[str], int],
    token_limit: int,
    lead: str = PROMPT_LEAD,
) -> str | None:
    """A short prompt listing the vocabulary phrases worth the most within `token_limit` tokens:
    after `lead` (PROMPT_LEAD in English), as an order; or, for phrases said alone (answers), as
    sentences ("Yes. No. The second one."): after a list Whisper expects more of it, and takes
    a short answer for no speech (no-speech probability 0.15-0.5 for one espeak-ng word after
    the store's list, about 0.02 after the answers as sentences).

    Answers are taken in their order (`intents.answers` puts the plainest first) while the
    budget lasts. Other phrases are taken in three passes, each in vocabulary order: first
    those bringing a new word that Whisper splits into several tokens (brand names, "cappuccino",
    "honeycrisp": the words it misspells), then those bringing any new word, then the rest. The
    chosen phrases are listed in vocabulary order. A phrase costs at least a token per word and
    one for the separator, so in a catalog of 200,000 names most are passed over without being
    tokenized once the budget runs low.
    """
    spelled = vocabulary.written or vocabulary.phrases
    phrases = list(dict.fromkeys(p.strip() for p in spelled if p.strip()))
    is_hard = functools.cache(lambda word: count_tokens(word) > 1)
    chosen: set[str] = set()
    covered: set[str] = set()
    budget = token_limit - count_tokens(lead) - 1
    passes = (lambda words: any(map(is_hard, words)), bool, lambda _: True)
    for wanted in passes[-1:] if vocabulary.said_alone else passes:
        for phrase in phrases:
            words = phrase.split()
            if phrase in chosen or len(words) + 1 > budget:
                continue
            new_words = set(words) - covered
            if not wanted(new_words):
                continue
            cost = count_tokens(phrase + PROMPT_SEPARATOR.strip())
            if cost <= budget:
                chosen.add(phrase)
                covered |= new_words
                budget -= cost
    if not chosen:
        return None
    listed = [p for p in phrases if p in chosen]
    if vocabulary.said_alone:
        return " ".join(f"{p[:1].upper()}{p[1:]}." for p in listed)
    return f"{lead} {PROMPT_SEPARATOR.join(listed)}."


def speech_stands_out(audio: np.ndarray) -> bool:
    """Whether at least `_MIN_CLEAR_SPEECH_SECONDS` of `audio` is `CLEAR_SPEECH_DB` louder than
    its quietest tenth (the pause around an utterance: its own noise floor), in 32 ms frames."""
    frames = len(audio) // _ENERGY_FRAME
    if frames < 2:
        return False
    blocks = audio[: frames * _ENERGY_FRAME].reshape(frames, _ENERGY_FRAME).astype(np.float64)
    level = 10 * np.log10(np.square(blocks).mean(axis=1) + 1e-10)
    loud = level >= np.percentile(level, 10) + CLEAR_SPEECH_DB
    return bool(loud.sum() * _ENERGY_FRAME >= _MIN_CLEAR_SPEECH_SECONDS * _SAMPLE_RATE)


def without_repetition(text: str) -> str:
    """The text once when Whisper wrote it over again ("Add milk. Add milk. Add"), a known
    hallucination when speech ends well before the window: the shortest stretch of words that,
    repeated, makes up the whole text (punctuation and case aside): at least twice, and at least
    `_MIN_REPEATED_WORDS` words long."""
    spans = [match.span() for match in _WORD.finditer(text)]
    words = [_WORD_CORE.sub("", text[start:end].lower()) for start, end in spans]
    for period in range(_MIN_REPEATED_WORDS, len(words) // 2 + 1):
        if all(words[i] == words[i % period] for i in range(period, len(words))):
            return text[: spans[period - 1][1]]
    return text


def window_confidence(windows: Sequence[DecodedWindow]) -> float:
    """exp(mean token log-probability) x (1 - no-speech probability), token-weighted; 0 if none."""
    weights = [max(1, window.token_count) for window in windows]
    if not weights:
        return 0.0
    scores = [math.exp(w.avg_logprob) * (1.0 - w.no_speech_prob) for w in windows]
    return sum(w * s for w, s in zip(weights, scores, strict=True)) / sum(weights)


def _whisper_for(settings: RecognizerSettings) -> WhisperSettings:
    """The Whisper settings, with the multilingual base model for a language other than English
    or for --asr whisper-base, when no model folder is given."""
    base_wanted = settings.language != "en" or settings.asr == "whisper-base"
    if settings.whisper.model_dir is not None or not base_wanted:
        return settings.whisper
    base = multilingual_whisper_model()
    if base is None:
        needs = (
            "--asr whisper-base"
            if settings.language == "en"
            else f"recognizing {settings.language!r}"
        )
        raise EngineUnavailableError(
            missing_extra(
                "french",
                needs,
                "the multilingual Whisper base model is not installed",
            )
            + " (or install a Vosk model for the language into models/)"
        )
    return dataclasses.replace(settings.whisper, model_dir=base)


def load_whisper_model(settings: WhisperSettings) -> WhisperModel:
    """The Whisper model the settings name (the embedded tiny.en by default), loaded once."""
    return _load_model(_model_dir(settings), settings)


def _model_dir(settings: WhisperSettings) -> Path:
    if settings.model_dir is None:
        return _embedded_model_dir()
    path = settings.model_dir
    if not (path / "model.bin").is_file():
        raise ModelNotFoundError(
            f"no Whisper model at {path}: model.bin is missing; give a CTranslate2 Whisper model "
            "folder"
        )
    return path


def _embedded_model_dir() -> Path:
    path = embedded_whisper_model()
    if path is None:
        raise EngineUnavailableError(
            missing_extra("whisper", "Whisper recognition", "the embedded model is not installed")
        )
    return check_embedded_whisper_model(path)


@functools.lru_cache(maxsize=2)
def _load_model(path: Path, settings: WhisperSettings) -> WhisperModel:
    """The model at `path`, loaded once per process and shared by recognizers."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as err:
        raise EngineUnavailableError(missing_extra("whisper", "Whisper recognition", err)) from err
    return WhisperModel(
        str(path),
        device="cpu",
        compute_type=settings.compute_type,
        cpu_threads=settings.cpu_threads,
        num_workers=settings.workers,
    )


def _check_language(model: WhisperModel, language: str) -> None:
    if language != "en" and not model.model.is_multilingual:
        raise ModelNotFoundError(
            f"the Whisper model understands only English, not {language!r}; install a Vosk "
            f"model for {language!r} into models/, or give a multilingual Whisper model folder"
        )
