"""Typed YAML configs: nested dataclasses, unknown or mistyped keys are errors naming the key and file.

Precedence: dataclass defaults < YAML file(s) < overrides (``--set a.b=value``, values parsed as YAML scalars).

    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Conf:
    ...     epochs: int = 100
    ...     betas: list = field(default_factory=lambda: [0.9, 0.999])
    >>> load_config(Conf, overrides=["epochs=2", "betas=[0.8, 0.99]"])
    Conf(epochs=2, betas=[0.8, 0.99])
    >>> try:
    ...     load_config(Conf, overrides=["epoch=1"])
    ... except ConfigError as err:
    ...     print(err)
    --set epoch: unknown key 'epoch' (known keys: epochs, betas)

Nested dataclasses are sections (``optim.lr``); ``Literal``, ``Optional``, ``list``/``dict`` of typed values
are checked recursively.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Literal, Mapping, TypeVar, Union

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config that cannot be used; the message names the key and where it came from."""


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _origin(tp: Any) -> Any:
    if tp in (dict, list, tuple):  # bare annotations behave like dict[Any, Any], list[Any]
        return tp
    return typing.get_origin(tp)


def _is_optional(tp: Any) -> bool:
    return _origin(tp) in (Union, types.UnionType) and type(None) in typing.get_args(tp)


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    if tp is type(None):
        return "null"
    if isinstance(tp, type) and not _origin(tp):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp`` and return it in canonical form."""
    if tp is Any:
        return value
    origin = _origin(tp)
    if origin in (Union, types.UnionType):
        for arm in typing.get_args(tp):
            try:
                return _coerce(value, arm, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {value!r} is not a valid {_type_name(tp)}")
    if tp is type(None):
        if value is not None:
            raise ConfigError(f"{where}: expected null, got {value!r}")
        return None
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(repr, allowed))}")
        return value
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping of {tp.__name__} keys, got {value!r}")
        return from_dict(tp, value, prefix=where)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(_coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else Any
        items = [_coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        key_tp, val_tp = typing.get_args(tp) or (Any, Any)
        return {_coerce(k, key_tp, where): _coerce(v, val_tp, _join(where, str(k))) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):  # PyYAML reads 1e-4 (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if tp is Path:
        if not isinstance(value, (str, Path)):
            raise ConfigError(f"{where}: expected a path, got {value!r}")
        return Path(value)
    raise TypeError(f"{where}: unsupported annotation {tp!r} in a config dataclass")


def from_dict(cls: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types raise ConfigError."""
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        section = f" of '{prefix}'" if prefix else ""
        raise ConfigError(
            f"unknown key '{_join(prefix, str(unknown[0]))}' (known keys{section}: {', '.join(fields)})"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(value, hints[name], _join(prefix, name))
    missing = [
        n for n, f in fields.items()
        if n not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"missing required key '{_join(prefix, missing[0])}'")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as err:  # __post_init__ cross-field checks
        raise ConfigError(f"{prefix or cls.__name__}: {err}") from err


def to_dict(obj: Any) -> Any:
    """Plain YAML-able structure of a config dataclass (tuples become lists, paths strings)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dump_yaml(obj: Any) -> str:
    return yaml.safe_dump(to_dict(obj), sort_keys=False, default_flow_style=False, allow_unicode=True)


def _yaml_lines(text: str) -> dict[str, int]:
    """Map dotted key paths of a YAML document to their 1-based line numbers."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                path = _join(prefix, str(key_node.value))
                lines[path] = key_node.start_mark.line + 1
                walk(value_node, path)

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, "")
    return lines


def read_yaml(path: str | Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Read a YAML mapping and the line of each key; errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read config {path}: {err.strerror}") from err
    try:
        data = yaml.safe_load(text)
        lines = _yaml_lines(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: invalid YAML: {err}") from err
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, got {type(data).__name__}")
    return data, lines


def _check_path(cls: type, dotted: str) -> Any:
    """Return the annotation at ``dotted`` inside dataclass ``cls`` or raise for an unknown key."""
    tp: Any = cls
    walked = ""
    for part in dotted.split("."):
        while _is_optional(tp):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        if dataclasses.is_dataclass(tp):
            hints = _hints(tp)
            if part not in hints:
                known = ", ".join(f.name for f in dataclasses.fields(tp) if f.init)
                section = f" of '{walked}'" if walked else ""
                raise ConfigError(f"unknown key '{_join(walked, part)}' (known keys{section}: {known})")
            tp = hints[part]
        elif _origin(tp) is dict or tp is Any:
            tp = typing.get_args(tp)[1] if _origin(tp) is dict and typing.get_args(tp) else Any
        else:
            raise ConfigError(f"'{walked}' is a {_type_name(tp)}, it has no key '{part}'")
        walked = _join(walked, part)
    return tp


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """``'optim.lr=5e-5'`` -> ``('optim.lr', '5e-5')`` with the value parsed by YAML scalar rules."""
    if "=" not in text:
        raise ConfigError(f"--set {text}: expected KEY.PATH=VALUE")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not p for p in key.split(".")):
        raise ConfigError(f"--set {text}: empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as err:
        raise ConfigError(f"--set {text}: value is not valid YAML ({err})") from err
    return key, value


def _merge(cls: Any, base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``update`` into ``base`` for dataclass sections; any other value (free-form mappings
    included, e.g. an encoder's ``encoder_conf``) is replaced as a whole."""
    hints = _hints(cls) if dataclasses.is_dataclass(cls) else {}
    out = dict(base)
    for key, value in update.items():
        tp = hints.get(key)
        while tp is not None and _is_optional(tp):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        if dataclasses.is_dataclass(tp) and isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(tp, out[key], value)
        else:
            out[key] = value
    return out


def load_config(
    cls: type[T],
    path: str | Path | list[str | Path] | tuple[str | Path, ...] | None = None,
    overrides: list[str] | tuple[str, ...] = (),
) -> T:
    """Resolve defaults < YAML file(s) < overrides into a validated ``cls`` instance; of several files each
    overlays the ones before it (sections merge key by key)."""
    data = _default_dict(cls)
    for one in [] if path is None else list(path) if isinstance(path, (list, tuple)) else [path]:
        file_data, lines = read_yaml(one)
        data = _merge(cls, data, file_data)
        try:
            from_dict(cls, data)
        except ConfigError as err:
            raise _locate(err, one, lines) from None
    for text in overrides:
        key, value = parse_override(text)
        try:
            _check_path(cls, key)
        except ConfigError as err:
            raise ConfigError(f"--set {key}: {err}") from None
        _set_dotted(data, key, value)
    try:
        return from_dict(cls, data)
    except ConfigError as err:
        raise ConfigError(f"after --set overrides: {err}") from None


def _default_dict(cls: type) -> dict[str, Any]:
    try:
        return to_dict(cls())
    except TypeError:  # required fields: start from an empty mapping instead
        return {}


def _locate(err: ConfigError, path: str | Path, lines: dict[str, int]) -> ConfigError:
    """Prefix an error with ``file:line`` of the offending key when it can be found."""
    message = str(err)
    key = message.split("'")[1] if message.startswith("unknown key '") else message.split(":")[0]
    key = key.split("[")[0]
    while key and key not in lines and "." in key:
        key = key.rsplit(".", 1)[0]
    line = lines.get(key)
    where = f"{path}:{line}" if line else str(path)
    return ConfigError(f"{where}: {message}")
