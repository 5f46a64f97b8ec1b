"""What a finished action says: a short title, and one sentence beneath it.

The CLI prints ``title. sentence`` (core.outcome.Outcome.message); a
notification shows the two apart (``split``), so its body never repeats its
title.  systemd's own terms (unit file states) stay out of a success; a
failure keeps them, in its last sentence, because they help there.
"""

from __future__ import annotations

from .outcome import Outcome, Status
from .plans import Action
from .words import count, join, plural, translate

# Counted sentences (see words.plural).
ROLLED_BACK = plural.translate("outcome", "The %n steps already done were rolled back.", None, 2)
ROLLBACK_INCOMPLETE = plural.translate(
    "outcome", "Rolling back the %n steps already done was incomplete ({errors}).", None, 2)


def done_title(action: Action, name: str, changed: bool) -> str:
    """``docker is now on-demand``; ``docker was already on-demand``."""
    if changed:
        titles = {
            Action.ON_DEMAND: translate("outcome", "{name} is now on-demand"),
            Action.ALWAYS_ON: translate("outcome", "{name} is now always-on"),
            Action.STOP: translate("outcome", "{name} stopped"),
            Action.START: translate("outcome", "{name} started"),
        }
    else:
        titles = {
            Action.ON_DEMAND: translate("outcome", "{name} was already on-demand"),
            Action.ALWAYS_ON: translate("outcome", "{name} was already always-on"),
            Action.STOP: translate("outcome", "{name} was not running"),
            Action.START: translate("outcome", "{name} was already running"),
        }
    return titles[action].format(name=name)


def done_sentence(action: Action, changed: bool, listening: bool) -> str:
    """The one sentence under a success's title."""
    if not changed:
        return translate("outcome", "Nothing changed.")
    if action is Action.ON_DEMAND:
        return translate("outcome", "It sleeps until a client connects, and wakes then.")
    if action is Action.ALWAYS_ON:
        return translate("outcome", "It runs now and starts at boot.")
    if action is Action.STOP:
        if listening:
            return translate("outcome", "Its socket still listens: the next client wakes it.")
        return translate("outcome", "Nothing listens for it now: clients will fail.")
    return translate("outcome", "It runs until it is stopped or goes back to sleep.")


def failed_title(action: Action, name: str) -> str:
    """``Could not stop docker``."""
    titles = {
        Action.ON_DEMAND: translate("outcome", "Could not switch {name} to on-demand"),
        Action.ALWAYS_ON: translate("outcome", "Could not switch {name} to always-on"),
        Action.STOP: translate("outcome", "Could not stop {name}"),
        Action.START: translate("outcome", "Could not start {name}"),
    }
    return titles[action].format(name=name)


def proxy_sleeps(listen: str, backend: str, idle: str) -> str:
    """The sentence after "postgresql@15-main is now on-demand" for a proxied daemon."""
    return translate("outcome", "It sleeps until a client connects to {listen}; trayapp's "
                     "proxy then wakes it, passes the connection on to {backend}, and lets "
                     "it sleep again after {idle} without one.").format(
        listen=listen, backend=backend, idle=idle)


def proxy_gone() -> str:
    return translate("outcome", "trayapp's proxy is gone.")


def title(o: Outcome) -> str:
    """A notification's title for an outcome."""
    name = o.service.removesuffix(".service")
    if o.ok:
        return done_title(o.action, name, bool(o.steps_done))
    if o.status is Status.NOT_AUTHORISED:
        return translate("outcome", "Not allowed to change {name}").format(name=name)
    return failed_title(o.action, name)


def split(o: Outcome) -> tuple[str, str]:
    """(title, body) for a notification: the message without a repeat of the title."""
    head = title(o)
    body = o.message
    for prefix in (head, failed_title(o.action, o.service.removesuffix(".service"))):
        if body.startswith(prefix):
            body = body[len(prefix):].lstrip(".:; ")
            break
    return head, body


# -- the sentences of a failure (after "Could not stop docker: ") ----------------------


def failed(action: Action, name: str, why: str) -> str:
    """``Could not stop docker: <why>``: a refusal or a failure, with its cause."""
    return translate("outcome", "{title}: {why}").format(
        title=failed_title(action, name), why=why)


def busy_refusal(reasons: str) -> str:
    return translate("outcome", "it is busy ({reasons}). Use --force to stop it anyway. "
                     "Nothing changed.").format(reasons=reasons)


def unsure_refusal(reasons: str) -> str:
    return translate("outcome", "trayapp cannot tell whether it is busy ({reasons}), so it "
                     "did not stop it. Use --force to stop it anyway. Nothing changed.").format(
        reasons=reasons)


def unsure_left_running(name: str, reasons: str) -> str:
    return translate("outcome", "trayapp cannot tell whether {name} is busy ({reasons}), so "
                     "it was left running; it stops being started at boot and sleeps after "
                     "its next stop").format(name=name, reasons=reasons)


def busy_left_running(name: str, reasons: str) -> str:
    return translate("outcome", "{name} is busy ({reasons}), so it was left running; it stops "
                     "being started at boot and sleeps after its next stop").format(
        name=name, reasons=reasons)


def step_failed(step: str, reason: str) -> str:
    return translate("outcome", "step '{step}' failed: {reason}.").format(step=step, reason=reason)


def nothing_had_changed() -> str:
    return translate("outcome", "Nothing had changed.")


def rolled_back(steps: int) -> str:
    return count(ROLLED_BACK, steps, "outcome")


def rollback_incomplete(steps: int, errors: str) -> str:
    return count(ROLLBACK_INCOMPLETE, steps, "outcome").format(errors=errors)


def now(units: str) -> str:
    """What systemd reports after a failure: unit names help there."""
    return translate("outcome", "Now: {units}.").format(units=units)


def not_allowed(name: str, why: str) -> str:
    return translate("outcome", "{title}: {why}").format(
        title=translate("outcome", "Not allowed to change {name}").format(name=name), why=why)


def no_agent() -> str:
    return translate("outcome", "polkit needs to ask for a password, but no polkit "
                     "authentication agent is running in your session. Start your desktop's "
                     "agent (for example polkit-gnome's or lxpolkit; in a terminal, pkttyagent "
                     "from the polkitd package), or install a polkit rule (see "
                     "/usr/share/doc/trayapp/polkit/). Nothing changed.")


def needs_password() -> str:
    return translate("outcome", "polkit would have to ask for a password, and trayapp does "
                     "not ask for one here (before sleep nobody is there to answer). "
                     "Nothing changed.")


def refused(manager: str, why: str) -> str:
    return translate("outcome", "polkit refused on the {manager} manager, or the password "
                     "prompt was cancelled ({why}). Nothing changed.").format(
        manager=manager, why=why)


def no_unit(name: str, manager: str) -> str:
    if manager == "user":
        return translate("outcome", "there is no unit named {name} in your user manager").format(
            name=name)
    return translate("outcome", "there is no unit named {name} on the system manager").format(
        name=name)


def repaired(units: list[str]) -> str:
    """A warning: systemd's enable or disable also changed other units, put back."""
    return translate("outcome", "systemd's calls also changed {units} (an [Install] Also= of "
                     "the units switched); trayapp put them back as they were").format(
        units=join(units))


def lost_aliases(name: str, aliases: list[str]) -> str:
    return translate("outcome", "{name} can no longer be started as {aliases} (an [Install] "
                     "Alias=, such as a D-Bus activation name, goes with the service's "
                     "enablement); clients of its sockets still wake it").format(
        name=name, aliases=join(aliases))
