"""Loading hook files: every way a file can be unusable is a HookLoadError at startup."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from farebox.hooks import HOOK_NAMES, CodeLoader, HookLoadError, load_hook_file, load_hooks
from farebox.hooks.loader import module_name

from .support import load, write

ALLOW = """
from farebox import HookContext, Reject

def hook(ctx: HookContext) -> Reject | None:
    return None
"""


def load_error(folder: Path, name: str, source: str | None) -> HookLoadError:
    if source is not None:
        write(folder, name, source)
    with pytest.raises(HookLoadError) as caught:
        CodeLoader(folder).load(
            name, where="hooks.onRequest", name="onRequest", attr="hook", arg="ctx"
        )
    return caught.value


def test_a_missing_file_names_the_config_path_and_where_it_looked(tmp_path: Path) -> None:
    error = load_error(tmp_path, "hooks/allow.py", None)
    assert error.where == "hooks.onRequest"
    assert str(error).startswith('hooks.onRequest: "hooks/allow.py" does not exist')
    assert str(tmp_path / "hooks" / "allow.py") in str(error)


def test_a_file_that_does_not_import_names_the_error_and_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, "hooks/bad.py", "X = 1\nY = undefined_name\n")
    assert str(error) == (
        'hooks.onRequest: "hooks/bad.py" failed to import: '
        "NameError: name 'undefined_name' is not defined (line 2)"
    )


def test_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, "hooks/bad.py", "def hook(ctx)\n    return None\n")
    assert '"hooks/bad.py" failed to import: SyntaxError:' in str(error)
    assert "(line 1)" in str(error)


def test_an_import_of_a_missing_package_is_reported(tmp_path: Path) -> None:
    error = load_error(tmp_path, "h.py", "import no_such_package_xyz\n")
    assert "ModuleNotFoundError: No module named 'no_such_package_xyz' (line 1)" in str(error)


def test_sys_exit_at_import_is_a_load_error_not_an_exit(tmp_path: Path) -> None:
    error = load_error(tmp_path, "h.py", "import sys\nsys.exit(3)\n")
    assert "failed to import: SystemExit: 3" in str(error)


def test_a_file_without_hook_says_what_to_add(tmp_path: Path) -> None:
    error = load_error(tmp_path, "hooks/empty.py", "def check(ctx):\n    return None\n")
    assert str(error) == (
        'hooks.onRequest: "hooks/empty.py" defines no function hook(ctx); add "def hook(ctx): ..."'
    )


def test_a_hook_that_is_not_callable_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, "h.py", "hook = 'allow'\n")
    assert "defines hook, but it is a str, not a function" in str(error)


@pytest.mark.parametrize("signature", ["()", "(ctx, extra)", "(*, ctx)"])
def test_a_hook_that_cannot_take_ctx_is_refused(tmp_path: Path, signature: str) -> None:
    error = load_error(tmp_path, "h.py", f"def hook{signature}:\n    return None\n")
    assert "hook must take one argument, ctx" in str(error)
    assert f"it is hook{signature}" in str(error)


@pytest.mark.parametrize("signature", ["(ctx)", "(ctx, extra=1)", "(*args)", "(ctx, /)"])
def test_signatures_that_accept_one_argument_load(tmp_path: Path, signature: str) -> None:
    write(tmp_path, "h.py", f"def hook{signature}:\n    return None\n")
    CodeLoader(tmp_path).load(
        "h.py", where="hooks.onRequest", name="onRequest", attr="hook", arg="ctx"
    )


def test_a_non_python_file_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, "hooks/allow.ts", "export default () => null;\n")
    assert '"hooks/allow.ts" is not a Python file' in str(error)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dir.py").mkdir()
    error = load_error(tmp_path, "dir.py", None)
    assert '"dir.py" is not a file' in str(error)


@pytest.mark.parametrize("source", [None, 3, "", "  ", ["a.py"]])
def test_a_source_that_is_not_a_path_is_refused(tmp_path: Path, source: object) -> None:
    with pytest.raises(HookLoadError, match="is not a file path; give a Python file"):
        CodeLoader(tmp_path).load(
            source, where="hooks.onRequest", name="onRequest", attr="hook", arg="ctx"
        )


def test_sync_and_async_hooks_are_told_apart(tmp_path: Path) -> None:
    sync = load(tmp_path, "sync.py", "def hook(ctx):\n    return None\n")
    coro = load(tmp_path, "coro.py", "async def hook(ctx):\n    return None\n")
    instance = load(
        tmp_path,
        "instance.py",
        "class Hook:\n    async def __call__(self, ctx):\n        return None\nhook = Hook()\n",
    )
    assert (sync.is_async, coro.is_async, instance.is_async) == (False, True, True)
    assert sync.label == "hook onRequest (sync.py)"


def test_paths_are_relative_to_the_config_folder_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "conf", "hooks/allow.py", ALLOW)
    monkeypatch.chdir(tmp_path)
    hook = CodeLoader(tmp_path / "conf").load(
        "hooks/allow.py", where="hooks.onRequest", name="onRequest", attr="hook", arg="ctx"
    )
    assert hook.path == (tmp_path / "conf" / "hooks" / "allow.py").resolve()
    assert hook.source == "hooks/allow.py"


def test_an_absolute_path_is_used_as_is(tmp_path: Path) -> None:
    path = write(tmp_path, "abs/allow.py", ALLOW)
    hook = load_hook_file(path, where="hooks.onRequest", base_dir=tmp_path / "elsewhere")
    assert hook.path == path.resolve()


def test_files_with_the_same_name_in_different_folders_do_not_collide(tmp_path: Path) -> None:
    write(tmp_path, "a/check.py", "def hook(ctx):\n    return 'a'\n")
    write(tmp_path, "b/check.py", "def hook(ctx):\n    return 'b'\n")
    loader = CodeLoader(tmp_path)
    a = loader.load("a/check.py", where="w", name="onRequest", attr="hook", arg="ctx")
    b = loader.load("b/check.py", where="w", name="onRequest", attr="hook", arg="ctx")
    assert (a.fn(None), b.fn(None)) == ("a", "b")
    assert module_name(a.path) != module_name(b.path)


def test_a_hook_file_named_like_a_stdlib_module_shadows_nothing(tmp_path: Path) -> None:
    import json

    hook = load(tmp_path, "json.py", "def hook(ctx):\n    return 'mine'\n")
    assert hook.fn(None) == "mine"
    assert sys.modules["json"] is json


def test_one_loader_imports_a_file_once_so_module_state_is_shared(tmp_path: Path) -> None:
    write(
        tmp_path,
        "count.py",
        "CALLS = []\ndef hook(ctx):\n    CALLS.append(ctx)\n    return len(CALLS)\n",
    )
    loader = CodeLoader(tmp_path)
    first = loader.load(
        "count.py", where="hooks.onRequest", name="onRequest", attr="hook", arg="ctx"
    )
    second = loader.load(
        "count.py", where="hooks.onSettled", name="onSettled", attr="hook", arg="ctx"
    )
    assert first.fn(1) == 1 and second.fn(2) == 2
    # A new loader (a new app build) imports afresh: edits to the file are picked up.
    write(tmp_path, "count.py", "def hook(ctx):\n    return 'edited'\n")
    fresh = CodeLoader(tmp_path).load(
        "count.py", where="w", name="onRequest", attr="hook", arg="ctx"
    )
    assert fresh.fn(None) == "edited"


def test_a_hook_file_can_define_dataclasses_with_postponed_annotations(tmp_path: Path) -> None:
    # dataclasses look the defining module up in sys.modules while the file runs.
    source = """
    from __future__ import annotations
    from dataclasses import dataclass

    @dataclass
    class Rule:
        model: str
        limit: int = 3

    RULES = [Rule("gpt-4o")]

    def hook(ctx):
        return RULES[0].limit
    """
    assert load(tmp_path, "rules.py", source).fn(None) == 3


def test_a_failed_import_leaves_nothing_in_sys_modules(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.py", "raise RuntimeError('no')\n")
    load_error(tmp_path, "broken.py", None)
    assert module_name(path.resolve()) not in sys.modules


# --- a route's hook set ---------------------------------------------------------


def write_hooks(folder: Path) -> None:
    for name in ("global_req", "route_req", "global_err"):
        write(folder, f"hooks/{name}.py", f"def hook(ctx):\n    return '{name}'\n")


def test_a_route_hook_replaces_the_global_one_of_the_same_name(tmp_path: Path) -> None:
    write_hooks(tmp_path)
    hooks = load_hooks(
        {"onRequest": "hooks/global_req.py", "onError": "hooks/global_err.py"},
        {"onRequest": "hooks/route_req.py"},
        loader=CodeLoader(tmp_path),
        route_where='routes."POST /x".hooks',
    )
    assert set(hooks.hooks) == {"onRequest", "onError"}
    assert hooks.hooks["onRequest"].fn(None) == "route_req"
    assert hooks.hooks["onError"].fn(None) == "global_err"
    assert hooks.has("onError") and not hooks.has("onResponse") and hooks


def test_no_hooks_is_an_empty_falsy_set(tmp_path: Path) -> None:
    hooks = load_hooks(None, None, loader=CodeLoader(tmp_path), route_where="r")
    assert not hooks and hooks.get("onRequest") is None


def test_a_route_hook_error_names_the_route_path(tmp_path: Path) -> None:
    with pytest.raises(HookLoadError) as caught:
        load_hooks(
            None,
            {"onResponse": "hooks/missing.py"},
            loader=CodeLoader(tmp_path),
            route_where='routes."POST /x".hooks',
        )
    assert str(caught.value).startswith(
        'routes."POST /x".hooks.onResponse: "hooks/missing.py" does not exist'
    )


def test_an_overridden_global_hook_is_still_checked(tmp_path: Path) -> None:
    write_hooks(tmp_path)
    with pytest.raises(HookLoadError, match=r'^hooks\.onRequest: "hooks/gone.py" does not exist'):
        load_hooks(
            {"onRequest": "hooks/gone.py"},
            {"onRequest": "hooks/route_req.py"},
            loader=CodeLoader(tmp_path),
            route_where="r",
        )


def test_an_unknown_hook_name_suggests_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(HookLoadError) as caught:
        load_hooks({"onReqest": "x.py"}, None, loader=CodeLoader(tmp_path), route_where="r")
    assert str(caught.value) == (
        'hooks.onReqest: "onReqest" is not a hook; did you mean "onRequest"? '
        f"the hooks are {', '.join(HOOK_NAMES)}"
    )
