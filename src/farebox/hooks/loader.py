"""Importing operator code: hook files (`hook(ctx)`) and pricing functions (`price(req)`).

Each file is imported as its own module under a name derived from its full
path, so two files called `allow.py` in different folders never collide and
a hook file named like a standard module (`json.py`) shadows nothing. Every
way a file can be unusable is a HookLoadError naming the config path and the
file, raised at startup (and by `farebox validate`), never on a request.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

HOOK_NAMES = ("onRequest", "onPriceResolved", "onSettled", "onResponse", "onError")
"""The lifecycle points, in the order a request meets them (onError whenever something fails)."""

PRICE = "price"
"""The name a pricing function's file must define (and Hook.name of a pricing function)."""

_MODULE_PREFIX = "farebox_user_code"
_UNSAFE = re.compile(r"\W")


class HookLoadError(ValueError):
    """A hook or pricing function file that cannot be used.

    `where` is the config path (like 'routes."POST /chat".hooks.onRequest') and
    `message` says what is wrong with the file and what would be right.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True, slots=True)
class Hook:
    """One loaded function of operator code: a hook or a pricing function."""

    name: str
    """The lifecycle point ("onRequest", ...) or "price" for a pricing function."""
    source: str
    """The path as written in the config, used in every message."""
    path: Path
    """The resolved file."""
    fn: Callable[[object], object]
    is_async: bool
    """True when calling `fn` gives an awaitable (an `async def`)."""

    @property
    def label(self) -> str:
        """How messages name it: 'hook onRequest (hooks/allow.py)' / 'pricing function x.py'."""
        if self.name == PRICE:
            return f"pricing function {self.source}"
        return f"hook {self.name} ({self.source})"


class CodeLoader:
    """Imports operator files relative to the config's folder, each file once per loader.

    Use one loader per app build: a file named by several routes (or as both a
    global and a route hook) is then one module, sharing its module-level state.
    """

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self._modules: dict[Path, ModuleType] = {}

    def load(self, source: object, *, where: str, name: str, attr: str, arg: str) -> Hook:
        """The function `attr` of the file `source`, checked to take one argument `arg`."""
        path = self._resolve(source, where, attr, arg)
        shown = f'"{source}"'
        module = self._module(path, shown, where)
        fn = getattr(module, attr, None)
        if fn is None:
            raise HookLoadError(
                where, f'{shown} defines no function {attr}({arg}); add "def {attr}({arg}): ..."'
            )
        if not callable(fn):
            kind = type(fn).__name__
            message = f"{shown} defines {attr}, but it is a {kind}, not a function"
            raise HookLoadError(where, message)
        _check_signature(fn, shown, where, attr, arg)
        return Hook(name=name, source=str(source), path=path, fn=fn, is_async=_is_async(fn))

    def _resolve(self, source: object, where: str, attr: str, arg: str) -> Path:
        if not isinstance(source, str) or not source.strip():
            raise HookLoadError(
                where,
                f"{source!r} is not a file path; give a Python file defining {attr}({arg}), "
                f'like "hooks/check.py" (relative to the config file)',
            )
        path = Path(source).expanduser()
        path = (path if path.is_absolute() else self.base_dir / path).resolve()
        if path.suffix != ".py":
            raise HookLoadError(
                where, f'"{source}" is not a Python file; name a .py file defining {attr}({arg})'
            )
        if not path.exists():
            raise HookLoadError(where, f'"{source}" does not exist (looked for {path})')
        if not path.is_file():
            raise HookLoadError(where, f'"{source}" is not a file ({path})')
        return path

    def _module(self, path: Path, shown: str, where: str) -> ModuleType:
        module = self._modules.get(path)
        if module is None:
            module = import_file(path, shown, where)
            self._modules[path] = module
        return module


def import_file(path: Path, shown: str, where: str) -> ModuleType:
    """Execute `path` as a fresh module; any failure is a HookLoadError with the cause."""
    name = module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - .py files always get a spec
        raise HookLoadError(where, f"{shown} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, like any import: dataclasses, pickling and
    # typing.get_type_hints look a class's module up in sys.modules.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise HookLoadError(where, f"{shown} failed to import: {_describe(exc, path)}") from exc
    return module


def module_name(path: Path) -> str:
    """A module name unique to this file: its stem plus a digest of its full path."""
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return f"{_MODULE_PREFIX}_{_UNSAFE.sub('_', path.stem)}_{digest}"


def load_hook_file(
    path: Path | str,
    *,
    where: str,
    name: str = "onRequest",
    attr: str = "hook",
    base_dir: Path | None = None,
) -> Hook:
    """Load one file's `hook(ctx)` (or another `attr`) on its own, without a shared loader."""
    loader = CodeLoader(base_dir or Path.cwd())
    return loader.load(str(path), where=where, name=name, attr=attr, arg="ctx")


def _check_signature(
    fn: Callable[..., object], shown: str, where: str, attr: str, arg: str
) -> None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins and C callables have none; call and see
        return
    try:
        signature.bind(object())
    except TypeError:
        raise HookLoadError(
            where,
            f"{shown}: {attr} must take one argument, {arg}, like "
            f'"def {attr}({arg}): ..."; it is {attr}{signature}',
        ) from None


def _is_async(fn: Callable[..., object]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - an instance with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _describe(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    line = _line_in(exc, path)
    return f"{text} (line {line})" if line is not None else text


def _line_in(exc: BaseException, path: Path) -> int | None:
    # The deepest frame in the operator's file is the line they need to look at.
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if Path(frame.f_code.co_filename) == path:
            line = lineno
    return line


__all__ = [
    "HOOK_NAMES",
    "PRICE",
    "CodeLoader",
    "Hook",
    "HookLoadError",
    "import_file",
    "load_hook_file",
    "module_name",
]
