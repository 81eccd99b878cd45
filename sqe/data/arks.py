"""Frame-level vectors (scores, class ids, embeddings) in Kaldi ark/scp pairs via kaldiio.

The ark is written first and the scp (the entry point readers use) is renamed into place last, so a
reader never sees an scp pointing into a half-written ark.

    >>> import numpy as np, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_arrays(d, "q", {"b": np.ones(3, np.float32), "a": np.zeros(2, np.float32)})
    >>> {k: v.tolist() for k, v in read_arrays(d / "q.scp").items()}
    {'a': [0.0, 0.0], 'b': [1.0, 1.0, 1.0]}
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from sqe.data.tables import DataError, read_table, sort_key
from sqe.utils.atomic import atomic_path
from sqe.utils.errors import naming_disk_full


def write_arrays(directory: str | Path, name: str, arrays: Mapping[str, np.ndarray] | Iterable[tuple[str, np.ndarray]]
                 ) -> Path:
    """Write ``<name>.ark`` and ``<name>.scp`` in ``directory`` (keys sorted); returns the scp path."""
    import kaldiio

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    items = sorted(arrays.items() if isinstance(arrays, Mapping) else arrays, key=lambda kv: sort_key(kv[0]))
    ark, scp = (directory / f"{name}.ark").resolve(), directory / f"{name}.scp"
    scp.unlink(missing_ok=True)
    with atomic_path(scp) as tmp_scp, naming_disk_full(ark):
        with kaldiio.WriteHelper(f"ark,scp:{ark},{tmp_scp}") as writer:
            for key, value in items:
                writer(key, np.ascontiguousarray(value))
    return scp


def read_arrays(scp: str | Path) -> dict[str, np.ndarray]:
    """All arrays of an scp, loaded (errors name the file)."""
    import kaldiio

    scp = Path(scp)
    if not scp.is_file():
        raise DataError(f"{scp} does not exist")
    read_table(scp)  # well-formed, sorted, unique keys
    try:
        return {k: np.asarray(v) for k, v in kaldiio.load_scp_sequential(str(scp))}
    except Exception as err:
        raise DataError(f"cannot read the arrays of {scp}: {err}") from None


def mismatched_frames(arrays: Mapping[str, np.ndarray], expected: Mapping[str, int], source: str) -> set[str]:
    """Keys whose array has another number of frames than ``expected`` (a reference of another length than its
    degraded signal: such a pair cannot be spliced, but the set stays usable); missing keys are an error."""
    missing = sorted(set(expected) - set(arrays), key=sort_key)
    if missing:
        raise DataError(f"{source}: {len(missing)} key(s) of the data dir missing, e.g. {', '.join(missing[:5])}")
    return {k for k, n in expected.items() if arrays[k].shape[0] != n}


def check_frames(arrays: Mapping[str, np.ndarray], expected: Mapping[str, int], source: str) -> None:
    """Every key of ``expected`` present with ``expected[key]`` frames; name the offenders otherwise."""
    missing = sorted(set(expected) - set(arrays), key=sort_key)
    if missing:
        raise DataError(f"{source}: {len(missing)} key(s) of the data dir missing, e.g. {', '.join(missing[:5])}")
    wrong = [k for k, n in expected.items() if arrays[k].shape[0] != n]
    if wrong:
        k = wrong[0]
        raise DataError(f"{source}: {len(wrong)} key(s) with the wrong number of frames, e.g. '{k}': "
                        f"{arrays[k].shape[0]} frames, the audio has {expected[k]}")
