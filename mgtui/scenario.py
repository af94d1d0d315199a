"""Scenario files: plain Python defining ``graph()`` and/or ``training()``.

Loading runs the file (as pytest runs a test file). Whatever goes wrong — a missing file, a syntax
error, an exception in the user's code, no entry point, a wrong return type — becomes one
`ScenarioError` whose message names the user's file and line, never the loader's.
"""

from __future__ import annotations

import ast
import os
import sys
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from engine import Value
from engine.foreign import is_value_like, missing_attributes
from engine.train import Training


class ScenarioError(Exception):
    """A scenario that cannot be used; the message is one line, ``file:line: what``."""


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
        try:
            with _importable(self.path.parent):  # graph() may import a neighbour when it runs
                return function()
        except Exception as error:
            raise ScenarioError(describe_exception(error, self.path, f"in {function.__name__}()")) from None

    def _where(self, function: Callable) -> str:
        """Where `function` returns: its only ``return`` line, else the ``def`` line."""
        line = function.__code__.co_firstlineno
        try:
            tree = ast.parse(self.path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            return f"{self.path}:{line}"
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.lineno == line:
                returns = [n.lineno for n in ast.walk(node) if isinstance(n, ast.Return)]
                if len(returns) == 1:
                    line = returns[0]
        return f"{self.path}:{line}"


def load(path: str | Path) -> Scenario:
    """Run a scenario file and collect its entry points."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, not a scenario file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read it: {error}") from None

    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as error:
        raise ScenarioError(f"{path}:{error.lineno or 1}: syntax error: {error.msg}") from None

    module = types.ModuleType(f"mgtui_scenario_{path.stem}")
    module.__file__ = str(path)
    _forget_scenario_modules()
    try:
        with _importable(path.parent):
            exec(code, module.__dict__)
    except Exception as error:
        raise ScenarioError(describe_exception(error, path, "while loading")) from None
    except SystemExit as error:
        raise ScenarioError(f"{path}: called exit({error.code!r}) while loading") from None

    graph_function = _entry_point(module, "graph", path)
    training_function = _entry_point(module, "training", path)
    if graph_function is None and training_function is None:
        raise ScenarioError(f"{path}:1: defines neither graph() nor training(); a scenario needs at least one")
    title, description = _title_and_description(module.__doc__, path)
    return Scenario(path, title, description, graph_function, training_function, _local_modules(path.parent))


# A scenario's neighbours (a learner's own micrograd.py) are imported fresh by every load: a second
# scenario from another folder must not get the first one's `micrograd`, and a reload must see the
# edit. So the modules loaded from scenario folders are forgotten before each load.
_scenario_folders: set[Path] = set()


@contextmanager
def _importable(folder: Path) -> Iterator[None]:
    """The scenario's folder first on sys.path, so it can import its neighbours."""
    entry = str(folder.resolve())
    _scenario_folders.add(Path(entry))
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        if entry in sys.path:
            sys.path.remove(entry)


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
    return tuple(sorted({file for _, file in _modules_from({folder.resolve()})}))


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
    return function


def _title_and_description(doc: str | None, path: Path) -> tuple[str, str]:
    if not doc or not doc.strip():
        return path.stem.replace("_", " "), ""
    lines = doc.strip().splitlines()
    paragraphs = "\n".join(line.strip() for line in lines[1:]).strip().split("\n\n")
    return lines[0].strip(), "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)  # unwrapped


def describe_exception(error: BaseException, path: Path, context: str) -> str:
    """``file:line: Type: message (context)``, with the line of the innermost frame in the user's file."""
    line = None
    resolved = str(path.resolve())
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == str(path) or str(Path(frame.filename).resolve()) == resolved:
            line = frame.lineno
    where = f"{path}:{line}" if line is not None else str(path)
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    kind = type(error).__name__
    return f"{where}: {kind}: {message} ({context})" if message else f"{where}: {kind} ({context})"


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
    "tiny_mlp",
    "zero_grad_bug",
    "own_mlp",
    "moons",
)


def resolve(name_or_path: str) -> Path:
    """A path to an existing file, or the bundled scenario of that name (``expression``, ``moons``...)."""
    path = Path(name_or_path)
    if path.exists() or name_or_path.endswith(".py") or "/" in name_or_path:
        return path
    for candidate in bundled_paths():
        if candidate.stem == name_or_path:
            return candidate
    names = ", ".join(p.stem for p in bundled_paths())
    raise ScenarioError(f"{name_or_path}: no such file or bundled scenario (bundled: {names})")
