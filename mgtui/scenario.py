"""Scenario files: plain Python defining ``graph()`` and/or ``training()``.

Loading runs the file as ``python FILE`` would (as pytest runs a test file): the encoding its BOM
or coding line declares, its real folder (symbolic links resolved) first on ``sys.path`` so it
imports its neighbours, and that folder stays there while the scenario's code may still run
(``graph()`` importing a helper, a loss importing one mid-training). Whatever goes wrong — a
missing file, a syntax error, an exception or an exit in the user's code, no entry point, a wrong
return type — becomes one `ScenarioError` whose message names the user's file and line, never
the loader's.
"""

from __future__ import annotations

import ast
import inspect
import io
import os
import stat
import sys
import threading
import tokenize
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from engine import Value
from engine.foreign import is_value_like, missing_attributes
from engine.text import one_line, printable
from engine.train import Training


class ScenarioError(Exception):
    """A scenario that cannot be used; the message is one line, ``file:line: what``.

    Messages quote the learner's code (their exception's text, their file's name), so the line is
    made printable here, once for every place that shows one: stderr, the status bar, a notice.
    """

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


@dataclass(frozen=True)
class Scenario:
    path: Path
    title: str
    description: str
    graph_function: Callable[[], Value] | None
    training_function: Callable[[], Training] | None
    local_modules: tuple[Path, ...] = ()  # files next to it that it imports (a learner's own micrograd.py)

    @property
    def sources(self) -> tuple[Path, ...]:
        """Every file whose edit changes what the scenario builds: itself and its local imports."""
        return (self.path, *self.local_modules)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def folder(self) -> Path:
        """The folder its imports come from (symbolic links resolved, as Python does)."""
        return _code_folder(self.path)

    @property
    def has_graph(self) -> bool:
        return self.graph_function is not None

    @property
    def has_training(self) -> bool:
        return self.training_function is not None

    def graph(self) -> object:
        """Call the scenario's ``graph()``; its result must be a `Value`: the engine's, or any
        micrograd-like object (micrograd's own, a class written along with the lecture)."""
        if self.graph_function is None:
            raise ScenarioError(f"{self.path}: defines no graph()")
        result = self._call(self.graph_function)
        if isinstance(result, Value) or is_value_like(result):
            return result
        if isinstance(result, (list, tuple)) and len(result) == 1 and is_value_like(result[0]):
            where = self._where(self.graph_function)
            raise ScenarioError(f"{where}: graph() returned a {_type_name(result)} of one Value: return the Value")
        missing = ", ".join(missing_attributes(result))
        raise ScenarioError(
            f"{self._where(self.graph_function)}: graph() returned {_type_name(result)}, expected a Value "
            f"(the output to inspect: an engine Value, or any object with data, grad, _prev, _op and _backward; "
            f"this one has no {missing})"
        )

    def training(self) -> Training:
        """Call the scenario's ``training()``; its result must be an `engine.train.Training`."""
        expected = "engine.train.Training(model, inputs, targets, loss, learning_rate, epochs)"
        return self._result_of(self.training_function, "training", Training, expected)

    def _result_of(self, function: Callable | None, name: str, kind: type, expected: str):
        if function is None:
            raise ScenarioError(f"{self.path}: defines no {name}()")
        result = self._call(function)
        if not isinstance(result, kind):
            raise ScenarioError(f"{self._where(function)}: {name}() returned {_type_name(result)}, expected {expected}")
        return result

    def _call(self, function: Callable):
        _use_folder(self.folder)  # another scenario may have been loaded since
        try:
            return function()
        except BaseException as error:
            if is_users_own_interrupt(error):
                raise
            raise ScenarioError(describe_exception(error, self.path, f"in {function.__name__}()")) from None

    def _where(self, function: Callable) -> str:
        """Where `function` returns: its only ``return`` line, else the ``def`` line."""
        line = function.__code__.co_firstlineno
        try:
            tree = ast.parse(self.path.read_bytes())  # bytes: the file's own BOM or coding line decides
        except (OSError, SyntaxError, ValueError):
            return f"{self.path}:{line}"
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.lineno == line:
                returns = [n.lineno for n in ast.walk(node) if isinstance(n, ast.Return)]
                if len(returns) == 1:
                    line = returns[0]
        return f"{self.path}:{line}"


def load(path: str | Path) -> Scenario:
    """Run a scenario file and collect its entry points.

    The scenario's path is made absolute before its code runs, so a scenario that changes the
    working directory still has its file named, watched and reloaded (messages name it that way).
    """
    shown = Path(path)
    path = Path(os.path.abspath(path))
    source = _source(shown, path)
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as error:
        raise ScenarioError(f"{path}:{error.lineno or 1}: syntax error: {error.msg}") from None

    module = types.ModuleType(f"mgtui_scenario_{path.stem}")
    module.__file__ = str(path)
    _forget_scenario_modules()
    _use_folder(_code_folder(path))
    try:
        exec(code, module.__dict__)
    except BaseException as error:
        if is_users_own_interrupt(error):
            raise
        raise ScenarioError(describe_exception(error, path, "while loading")) from None

    graph_function = _entry_point(module, "graph", path)
    training_function = _entry_point(module, "training", path)
    if graph_function is None and training_function is None:
        raise ScenarioError(f"{path}:1: defines neither graph() nor training(); a scenario needs at least one")
    title, description = _title_and_description(module.__doc__, path)
    return Scenario(path, title, description, graph_function, training_function, _local_modules(_code_folder(path)))


def check_readable(path: str | Path) -> None:
    """Raise the `ScenarioError` that `load` would for a file it cannot read, without running it."""
    _source(Path(path), Path(os.path.abspath(path)))


def _source(shown: Path, path: Path) -> str:
    """The file's text, decoded as Python decodes it: a UTF-8 BOM or a coding line, else UTF-8.

    Only a regular file is read: a FIFO or a device (``/dev/zero``) would block or never end.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: no such file") from None
    except OSError as error:
        raise ScenarioError(f"{shown}: cannot read it: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise ScenarioError(f"{shown}: is a directory, not a scenario file") from None
    if not stat.S_ISREG(mode):
        raise ScenarioError(f"{shown}: is not a regular file (a device, a pipe or a socket), not a scenario file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ScenarioError(f"{shown}: cannot read it: {error.strerror or error}") from None
    if b"\0" in data:
        raise ScenarioError(f"{shown}: cannot read it: it holds null bytes, so it is not a Python source file")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        raise ScenarioError(f"{shown}: cannot read it: {error}") from None


def is_users_own_interrupt(error: BaseException) -> bool:
    """A KeyboardInterrupt on the main thread is the user's Ctrl+C: it ends mgtui, not the scenario.

    Anywhere else (mgtui runs scenario code on a thread of its own) no signal can raise it, so the
    scenario's code raised it, and it is the scenario that is broken.
    """
    return isinstance(error, KeyboardInterrupt) and threading.current_thread() is threading.main_thread()


# A scenario's neighbours (a learner's own micrograd.py) are imported fresh by every load: a second
# scenario from another folder must not get the first one's `micrograd`, and a reload must see the
# edit. So the modules loaded from scenario folders are forgotten before each load.
_scenario_folders: set[Path] = set()
_folder_on_path: list[str] = []  # the current scenario's folder, as it was put on sys.path


def _code_folder(path: Path) -> Path:
    """Where the scenario's imports come from: its real folder, symbolic links resolved, as
    ``python FILE`` puts on sys.path (a link to a lesson imports the lesson's neighbours)."""
    return Path(os.path.realpath(path)).parent


def _use_folder(folder: Path) -> None:
    """The current scenario's folder first on sys.path, replacing the previous scenario's.

    It stays there after loading: a scenario's code runs again later (graph() on reload, a loss
    every epoch, a ``_backward`` when stepped) and may import a neighbour then.
    """
    entry = str(folder)
    _scenario_folders.add(folder)
    while _folder_on_path:
        old = _folder_on_path.pop()
        if old in sys.path:
            sys.path.remove(old)
    sys.path.insert(0, entry)
    _folder_on_path.append(entry)


def _modules_from(folders: set[Path]) -> list[tuple[str, Path]]:
    """The modules imported from these folders (imports from a folder on sys.path name files in it
    by the path as it is on sys.path, resolved here, so plain string comparisons suffice)."""
    names = {str(folder) for folder in folders}
    found = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or name == "mgtui" or name.startswith("mgtui."):
            continue
        parent = os.path.dirname(file)
        if parent in names or (os.path.basename(file) == "__init__.py" and os.path.dirname(parent) in names):
            found.append((name, Path(file)))
    return found


def _forget_scenario_modules() -> None:
    for name, _ in _modules_from(_scenario_folders):
        del sys.modules[name]


def _local_modules(folder: Path) -> tuple[Path, ...]:
    return tuple(sorted({file for _, file in _modules_from({folder})}))


def _entry_point(module: types.ModuleType, name: str, path: Path) -> Callable | None:
    function = module.__dict__.get(name)
    if function is None:
        return None
    if not isinstance(function, types.FunctionType):
        raise ScenarioError(f"{path}:1: {name} must be a function taking no arguments, got {_type_name(function)}")
    code = function.__code__
    if code.co_argcount - len(function.__defaults__ or ()) > 0 or code.co_kwonlyargcount > len(
        function.__kwdefaults__ or {}
    ):
        raise ScenarioError(f"{path}:{code.co_firstlineno}: {name}() must take no arguments")
    # Called, these return a coroutine or a generator (and an unawaited coroutine warns on stderr).
    if code.co_flags & (inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR):
        raise ScenarioError(f"{path}:{code.co_firstlineno}: {name}() must be a plain def, not an async def")
    if code.co_flags & inspect.CO_GENERATOR:
        raise ScenarioError(f"{path}:{code.co_firstlineno}: {name}() must return its result, not yield it")
    return function


TITLE_LIMIT = 200  # characters of a title: it is one line of a status bar


def _title_and_description(doc: object, path: Path) -> tuple[str, str]:
    """The docstring's first line and the rest, unwrapped; printable (a docstring is the learner's text)."""
    if not isinstance(doc, str) or not doc.strip():
        return printable(path.stem.replace("_", " "), limit=TITLE_LIMIT), ""  # a file may be named anything
    lines = doc.strip().splitlines()
    paragraphs = "\n".join(line.strip() for line in lines[1:]).strip().split("\n\n")
    description = "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)  # unwrapped
    return printable(lines[0].strip(), limit=TITLE_LIMIT), printable(description, newlines=True)


def describe_exception(error: BaseException, path: Path, context: str) -> str:
    """``file:line: Type: message (context)``, at the innermost frame of the user's code: the
    scenario itself or a module next to it (their own micrograd.py), never mgtui's or the engine's."""
    where = _users_frame(error, path)
    if isinstance(error, SystemExit):  # sys.exit() in a scenario: not a way to hand anything back
        return printable(f"{where}: called exit({error.code!r}) {context}")
    message = one_line(error)
    kind = type(error).__name__
    # printable as a whole: the file's name and the exception's class are the learner's as well
    return printable(f"{where}: {kind}: {message} ({context})" if message else f"{where}: {kind} ({context})")


def _users_frame(error: BaseException, path: Path) -> str:
    """``file:line`` of the innermost frame in the scenario or a neighbour of it (just the file: none)."""
    return users_line(error, path) or str(path)


def users_line(error: BaseException, path: Path) -> str | None:
    """``file:line`` of the innermost frame of the learner's code in `error`'s traceback: the
    scenario itself, or a module next to it. None if their code is not in it."""
    scenario = {str(path), os.path.abspath(path), os.path.realpath(path)}
    folders = {os.path.dirname(name) for name in scenario}
    where = None
    for frame in traceback.extract_tb(error.__traceback__):
        name = frame.filename
        if name in scenario:
            where = f"{path}:{frame.lineno}"
        elif os.path.dirname(name) in folders and name.endswith(".py"):
            where = f"{name}:{frame.lineno}"
    return where


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


# --- bundled scenarios -----------------------------------------------------------------------


def bundled_dir() -> Path:
    return Path(str(resources.files("mgtui.scenarios")))


def bundled_paths() -> list[Path]:
    """The bundled scenario files, in their intended teaching order (see `ORDER`).

    A file that defines neither ``graph`` nor ``training`` (``lecture_value.py``, the class the
    lessons import) is not a scenario; a file that does not parse is listed, so it shows as broken.
    """
    paths = {p.stem: p for p in bundled_dir().glob("*.py") if not p.name.startswith("_") and _is_scenario(p)}
    ordered = [paths.pop(name) for name in ORDER if name in paths]
    return ordered + sorted(paths.values())


def _is_scenario(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return True
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign)) and _defines_entry_point(node)
        for node in tree.body
    )


def _defines_entry_point(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.name in ("graph", "training")
    return any(isinstance(t, ast.Name) and t.id in ("graph", "training") for t in node.targets)


ORDER = (
    "expression",
    "neuron",
    "neuron_exp",
    "reuse",
    "double",
    "own_value",
    "planted_bugs",
    "topo_bug",
    "tiny_mlp",
    "zero_grad_bug",
    "own_mlp",
    "moons",
)


def resolve(argument: str) -> Path:
    """The scenario file that a command-line argument names. Nothing runs that was not named:

    - a *path* — it holds a ``/`` or ends in ``.py`` (``./expression``, ``lesson.py``) — is that
      file, and never a bundled scenario;
    - anything else is a *bare name*, and names a bundled scenario (see ``mgtui --list``), never a
      file of that name in the current folder: ``./NAME`` runs that one. When both exist, the
      bundled one runs and `shadowed_note` says so.
    """
    if not argument.strip():
        raise ScenarioError("the scenario's name is empty: name a file or a bundled scenario (see mgtui --list)")
    if is_path(argument):
        return Path(argument)
    for candidate in bundled_paths():
        if candidate.stem == argument:
            return candidate
    names = ", ".join(p.stem for p in bundled_paths())
    local = [name for name in (argument, f"{argument}.py") if os.path.lexists(name)]
    hint = f"; for the file here, write ./{local[0]}" if local else ""
    raise ScenarioError(f"{argument}: no such bundled scenario (bundled: {names}){hint}")


def is_path(argument: str) -> bool:
    """Does the argument name a file (rather than a bundled scenario)? See `resolve`."""
    separators = {"/", os.sep, os.altsep} - {None}
    return argument.endswith(".py") or argument in (".", "..") or any(sep in argument for sep in separators)


def shadowed_note(argument: str) -> str | None:
    """A bare name ran the bundled scenario although a file of that name is here: say which ran."""
    if is_path(argument):
        return None
    local = [name for name in (argument, f"{argument}.py") if os.path.lexists(name)]
    if not local:
        return None
    return printable(f"{argument} is the bundled scenario; the file here is not run (write ./{local[0]} for it)")
