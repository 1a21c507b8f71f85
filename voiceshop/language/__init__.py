"""Language data and text normalisation shared by the intent parser and the product matcher."""

from voiceshop.language.data import LanguageData, load_language
from voiceshop.language.normalize import Normalizer

__all__ = ["LanguageData", "Normalizer", "load_language"]
