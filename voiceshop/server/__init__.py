"""voiceshop as a Wyoming server: many shoppers' conversations in one asyncio process.

`app.ShopServer(ServerSettings(...))` declares speech recognition (`asr`), the shopping
conversation (`handle`) and speech synthesis (`tts`) in its Wyoming `info`; recognition,
synthesis and the dialog run in bounded worker pools (`pool.WorkerPool`), and each conversation
is kept under its signed-in user (`accounts`) and conversation id (`sessions`).

The settings and accounts import without the server extra (wyoming, websockets); `app` needs it.
"""

from voiceshop.server.accounts import Accounts, TokenBook, add_token
from voiceshop.server.settings import DEFAULT_URI, Limits, ServerSettings

__all__ = [
    "DEFAULT_URI",
    "Accounts",
    "Limits",
    "ServerSettings",
    "TokenBook",
    "add_token",
]
