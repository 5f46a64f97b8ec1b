"""What the views need from the composition root, and what they send back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from trayapp.core.model import Manager
from trayapp.core.plans import Action
from trayapp.core.summary import Snapshot

#: Returns what to show right now.
Source = Callable[[], Snapshot]


class Intents(Protocol):
    """The user's wishes, as the views hand them to the application."""

    def request(self, manager: Manager, service: str, action: Action) -> None: ...

    def set_watched(self, key: str, watched: bool) -> None: ...

    def show_window(self) -> None: ...

    def show_history(self, manager: Manager, service: str) -> None: ...

    def show_preferences(self) -> None: ...

    def keep_running(self, manager: Manager, service: str,
                     until_stopped: bool = False) -> None: ...

    def quit(self) -> None: ...
