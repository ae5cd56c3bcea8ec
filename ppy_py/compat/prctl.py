"""python-prctl's ``prctl`` module, on ppy_py: ``from ppy_py.compat import prctl``.

Every function python-prctl generates from its C module is here with the same
name and behaviour: ``get_dumpable()``, ``set_dumpable(flag)``, ``capbset_read(cap)``,
``capbset_drop(cap)``, ``get_speculation_ctrl(which)``, ``set_timerslack(ns)``,
``task_perf_events_disable()``, ``mpx_enable_management()``, ``pac_reset_keys(keys)``...
(each takes up to two arguments and calls ``_prctl.prctl(option, ...)``); the
constants without their ``PR_`` prefix (``ENDIAN_LITTLE``, ``SPEC_STORE_BYPASS``...);
``CAP_*``, ``SECBIT_*``, ``SECURE_*``; ``get_caps``/``set_caps``, which take
``(caps, flags[, value])`` tuples with capabilities by number or name; and the
objects ``capbset`` (the bounding set: ``capbset.net_raw`` reads,
``capbset.net_raw = False`` drops), ``cap_effective``, ``cap_permitted``,
``cap_inheritable`` (read and write one capability by attribute) and ``securebits``
(``securebits.noroot = True``), each with ``drop(*caps)`` and ``limit(*caps)``
where python-prctl has them.  See ``ppy_py.compat._prctl`` for what differs (only
additions: every capability of the running kernel is named).
"""

import sys as _sys

from . import _prctl
from .. import _ppy_prctl as _c

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

basestring = str

_get = _c.get
_get_int = _c.get_int
_call = _c.call
_oserror = _prctl._oserror
_ULONG = (1 << 64) - 1


def _slow(option: int, arg: object, arg2: object) -> "Any":
    """What python-prctl's generated functions do: pass on the arguments given."""
    if arg is None:
        return _prctl.prctl(option)
    if arg2 is None:
        return _prctl.prctl(option, arg)  # type: ignore[arg-type]
    return _prctl.prctl(option, arg, arg2)  # type: ignore[arg-type]


def _function(option: int) -> "Callable[..., Any]":
    """The function python-prctl generates for OPTION, with a fast path for the
    common call (no argument for a getter, one int for a setter or a getter that takes
    one) that does just what _prctl.prctl would; anything else goes through it."""
    kind, check = _prctl._TABLE[option]
    # Checks that only admit a set of values (python-prctl's switch), inlined.
    allowed = getattr(check, "allowed", None)
    message = getattr(check, "message", None)
    if kind in ("bool", "int", "out") and check is None:
        as_bool = kind == "bool"
        get = _get_int if kind == "out" else _get   # "out": stored through a pointer

        def getter(arg: object = None, arg2: object = None) -> "Any":
            if arg is None:
                r: int = get(option)
                if r >= 0:
                    return r != 0 if as_bool else r
                raise _oserror(option, -r)
            return _slow(option, arg, arg2)

        return getter
    # prctl(option, value) (or prctl(option, PR_MCE_KILL_SET, value)) as one METH_O call.
    call = _c.bind(option, _c.PR_MCE_KILL_SET) if kind == "mce" else _c.bind(option)
    if kind in ("bool", "int") and allowed is not None:  # PR_CAPBSET_READ, speculation
        as_bool = kind == "bool"

        def checked_getter(arg: object = None, arg2: object = None) -> "Any":
            if arg2 is None and arg.__class__ is int:
                if arg not in allowed:
                    raise ValueError(message)
                r: int = call(arg)
                if r >= 0:
                    return r != 0 if as_bool else r
                raise _oserror(option, -r)
            return _slow(option, arg, arg2)

        return checked_getter
    if kind in ("none", "mce") and check is _prctl._as_flag:  # dumpable, keepcaps, io_flusher

        def flag_setter(arg: object = None, arg2: object = None) -> None:
            if arg2 is None and (arg.__class__ is bool or arg.__class__ is int):
                r: int = call(1 if arg else 0)
                if r < 0:
                    raise _oserror(option, -r)
                return None
            return _slow(option, arg, arg2)  # type: ignore[no-any-return]

        return flag_setter
    if allowed is not None:  # a value from a list (python-prctl's switch), the MCE policy

        def listed_setter(arg: object = None, arg2: object = None) -> None:
            if arg2 is None and (arg.__class__ is int or arg.__class__ is bool):
                if arg not in allowed:
                    raise ValueError(message)
                r: int = call(arg)
                if r < 0:
                    raise _oserror(option, -r)
                return None
            return _slow(option, arg, arg2)  # type: ignore[no-any-return]

        return listed_setter
    if kind == "none" and check is None:  # any value: timerslack, subreaper, thp...

        def plain_setter(arg: object = None, arg2: object = None) -> None:
            if arg2 is None and (arg.__class__ is int and arg >= 0 or arg.__class__ is bool):
                r: int = call(arg)
                if r < 0:
                    raise _oserror(option, -r)
                return None
            return _slow(option, arg, arg2)  # type: ignore[no-any-return]

        return plain_setter
    if kind == "none":  # the other checks: a mask, "must be 1"

        def checked_setter(arg: object = None, arg2: object = None) -> None:
            if arg2 is None and (arg.__class__ is int or arg.__class__ is bool):
                r: int = call(check(arg, 0)[0] & _ULONG)
                if r < 0:
                    raise _oserror(option, -r)
                return None
            return _slow(option, arg, arg2)  # type: ignore[no-any-return]

        return checked_setter
    if kind == "get_name":

        def get_name(arg: object = None, arg2: object = None) -> "Any":
            if arg is None:
                name = _c.get_name()
                if name.__class__ is str:
                    return name
            return _slow(option, arg, arg2)

        return get_name
    if kind == "set_name":

        def set_name(arg: object = None, arg2: object = None) -> None:
            if arg2 is None and arg.__class__ is str:
                r = _c.set_name_only(arg)
                if r is None:
                    return None
                raise _oserror(option, -r)
            return _slow(option, arg, arg2)  # type: ignore[no-any-return]

        return set_name

    def call_prctl(arg: object = None, arg2: object = None) -> "Any":
        return _slow(option, arg, arg2)

    return call_prctl


# ---- functions and constants, named as python-prctl names them --------------------------

_self = _sys.modules[__name__]
for _name in dir(_prctl):
    if _name.startswith(("PR_GET", "PR_SET", "PR_CAPBSET", "PR_PAC_RESET", "PR_MPX", "PR_TASK")) \
            and not _name.startswith(("PR_SET_MM_", "PR_SET_PTRACER_")):
        setattr(_self, _name.lower()[3:], _function(getattr(_prctl, _name)))
    elif _name.startswith("PR_"):
        setattr(_self, _name[3:], getattr(_prctl, _name))
    elif _name.startswith(("CAP_", "SECBIT_", "SECURE_")):
        setattr(_self, _name, getattr(_prctl, _name))
del _self, _name

_ALL_FLAG_NAMES = ("CAP_EFFECTIVE", "CAP_INHERITABLE", "CAP_PERMITTED")
_ALL_CAP_NAMES = tuple(
    x for x in dir(_prctl) if x.startswith("CAP_") and x not in _ALL_FLAG_NAMES + ("CAP_LAST_CAP",)
)
ALL_FLAG_NAMES = tuple(x[4:].lower() for x in _ALL_FLAG_NAMES)
ALL_CAP_NAMES = tuple(x[4:].lower() for x in _ALL_CAP_NAMES)
ALL_FLAGS = tuple(getattr(_prctl, x) for x in _ALL_FLAG_NAMES)
ALL_CAPS = tuple(getattr(_prctl, x) for x in _ALL_CAP_NAMES)
# python-prctl also accepts CAP_LAST_CAP as a name (last_cap: the last capability).
_BY_NAME = dict(zip(_ALL_CAP_NAMES, ALL_CAPS), CAP_LAST_CAP=_prctl.CAP_LAST_CAP)


def _parse_caps_simple(caps: "Iterable[object]") -> "list[int]":
    """Capabilities by number or name ("net_raw", "CAP_NET_RAW") as numbers; ValueError
    for one the running kernel does not have."""
    ret = []
    for cap in caps:
        if isinstance(cap, str):
            number = _BY_NAME.get("CAP_" + cap.upper())
            if number is None:
                number = _BY_NAME.get(cap)
            if number is None:
                raise ValueError("Unknown capability: %s" % cap)
            ret.append(number)
        elif cap in ALL_CAPS:
            ret.append(int(cap))  # type: ignore[call-overload]
        else:
            raise ValueError("Unknown capability: %s" % str(cap))
    return ret


def _listed(value: object) -> "list[Any]":
    if isinstance(value, str) or not (hasattr(value, "__iter__") or hasattr(value, "__getitem__")):
        return [value]
    return list(value)  # type: ignore[call-overload, no-any-return]


def _parse_caps(has_value: bool, *args: "Any") -> "tuple[list[int], ...]":
    """(caps, flags[, value]) tuples as the lists _prctl.get_caps/set_caps take; an
    unknown flag is a KeyError, as in python-prctl."""
    keys = (_prctl.CAP_EFFECTIVE, _prctl.CAP_PERMITTED, _prctl.CAP_INHERITABLE)
    if has_value:
        lists: "dict[Any, set[int]]" = {(k, v): set() for v in (True, False) for k in keys}
    else:
        lists = {k: set() for k in keys}
    for arg in args:
        if has_value:
            caps, flags, value = arg
        else:
            caps, flags = arg
        numbers = _parse_caps_simple(_listed(caps))
        for flag in _listed(flags):
            target = lists[(flag, value) if has_value else flag]
            target.update(numbers)
    if has_value:
        return tuple(sorted(lists[(k, v)]) for v in (True, False) for k in keys)
    return tuple(sorted(lists[k]) for k in keys)


def get_caps(*args: "Any") -> "dict[int, dict[int, bool]]":
    """get_caps((caps, flags), ...): {flag: {cap: bool}} for the listed capabilities
    of the effective, permitted and inheritable sets (one capget(2))."""
    return _prctl.get_caps(*_parse_caps(False, *args))


def set_caps(*args: "Any") -> None:
    """set_caps((caps, flags, value), ...): raise (value True) or clear the listed
    capabilities in the listed sets (one capget(2) and one capset(2))."""
    _prctl.set_caps(*_parse_caps(True, *args))


set_proctitle = _prctl.set_proctitle

# ---- the objects ------------------------------------------------------------------------


_capbset_read = _c.bind(_c.PR_CAPBSET_READ)


def _capb_property(cap: int) -> property:
    def getter(self: object) -> bool:
        r: int = _capbset_read(cap)
        if r < 0:
            raise _oserror(_c.PR_CAPBSET_READ, -r)
        return r != 0

    def setter(self: object, value: object) -> None:
        if value:
            raise ValueError("Can only drop capabilities from the bounding set, not add new ones")
        r: int = _call(_c.PR_CAPBSET_DROP, cap)
        if r < 0:
            raise _oserror(_c.PR_CAPBSET_DROP, -r)

    return property(getter, setter, doc="CAP_%s in the bounding set" % cap)


def _cap_property(cap: int) -> property:
    def getter(self: "Capset") -> bool:
        caps = _prctl._capget()
        return bool(caps[self.flag] >> cap & 1)

    def setter(self: "Capset", value: object) -> None:
        set_caps((cap, self.flag, value))

    return property(getter, setter)


def _sec_property(bit: int) -> property:
    def getter(self: object) -> bool:
        r: int = _get(_c.PR_GET_SECUREBITS)
        if r < 0:
            raise _oserror(_c.PR_GET_SECUREBITS, -r)
        return bool(r & bit)

    def setter(self: object, value: object) -> None:
        bits: int = _prctl.prctl(_c.PR_GET_SECUREBITS)
        _prctl.prctl(_c.PR_SET_SECUREBITS, bits | bit if value else bits & ~bit)

    return property(getter, setter)


class Capbset:
    """The bounding set: ``capbset.net_raw`` is PR_CAPBSET_READ, ``capbset.net_raw =
    False`` PR_CAPBSET_DROP (True raises ValueError: nothing can be added)."""

    __slots__ = ()

    def drop(self, *caps: object) -> None:
        """Drop each of ``caps`` from the bounding set."""
        for cap in _parse_caps_simple(caps):
            _prctl.prctl(_c.PR_CAPBSET_DROP, cap)

    def limit(self, *caps: object) -> None:
        """Drop every capability but ``caps`` from the bounding set."""
        keep = _parse_caps_simple(caps)
        for cap in ALL_CAPS:
            if cap not in keep:
                _prctl.prctl(_c.PR_CAPBSET_DROP, cap)


class Capset:
    """One of the effective, permitted and inheritable sets (``flag``):
    ``cap_effective.net_raw`` reads it, ``cap_effective.net_raw = False`` clears it."""

    __slots__ = ("flag",)

    def __init__(self, flag: int) -> None:
        self.flag = flag

    def drop(self, *caps: object) -> None:
        """Clear ``caps`` in this set."""
        set_caps((_parse_caps_simple(caps), self.flag, False))

    def limit(self, *caps: object) -> None:
        """Clear every capability but ``caps`` in this set."""
        keep = _parse_caps_simple(caps)
        set_caps(([x for x in ALL_CAPS if x not in keep], self.flag, False))


class Securebits:
    """The securebits of the calling thread by attribute: ``securebits.noroot``,
    ``securebits.keep_caps_locked = True`` (PR_GET/SET_SECUREBITS)."""

    __slots__ = ()


for _name, _cap in _BY_NAME.items():
    setattr(Capbset, _name[4:].lower(), _capb_property(_cap))
    setattr(Capset, _name[4:].lower(), _cap_property(_cap))
for _name in dir(_prctl):
    if _name.startswith("SECBIT_"):
        setattr(Securebits, _name[7:].lower(), _sec_property(getattr(_prctl, _name)))
del _name, _cap

capbset = Capbset()
cap_effective = Capset(_prctl.CAP_EFFECTIVE)
cap_inheritable = Capset(_prctl.CAP_INHERITABLE)
cap_permitted = Capset(_prctl.CAP_PERMITTED)
securebits = Securebits()

del TYPE_CHECKING
