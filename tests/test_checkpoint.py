"""Checkpoints: NPZ and JSON only, exact round trips, and nothing foreign or altered is loaded."""

import json
import pickle

import numpy as np
import pytest

from brainsim.checkpoint import Checkpoints, decode, encode
from brainsim.validation import ConfigError

STATE = {"generation": 3, "eps": np.inf, "sims": np.int64(120), "ratio": np.float64(0.1 + 0.2),
         "pool": [{"theta": np.random.default_rng(0).random((4, 2)), "generation": np.arange(4),
                   "log_q": np.zeros((0, 0))}],
         "pops": [None, (np.ones((2, 2)), np.array([0.25, 0.75]))], "densities": [[None, (np.ones(1), 2.5)]],
         "hist": [{"hypothesis": "h3", "probability": np.float64(1 / 3), "accepted": 2, "se": float("nan")}],
         "flag": np.bool_(True)}


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
            a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and np.isnan(a):
        return np.isnan(b)
    return a == b and (type(a) is type(b) or isinstance(a, np.generic))


def test_a_sampler_state_round_trips_bit_for_bit(tmp_path):
    cp = Checkpoints(tmp_path, {"seed": 0}).open(resume=False)
    cp.save("abc_0", STATE)
    assert (tmp_path / ".checkpoints" / "abc_0.npz").exists()
    back = cp.load("abc_0")
    assert _same(STATE, back)
    assert back["ratio"] == 0.1 + 0.2 and back["eps"] == np.inf  # the exact doubles
    assert cp.load("never_saved") is None


def test_what_a_checkpoint_cannot_hold_is_refused_when_saved():
    with pytest.raises(TypeError, match="object array"):
        encode(np.array([{"a": 1}], dtype=object), {})
    with pytest.raises(TypeError, match="strings"):
        encode({1: 2.0}, {})
    with pytest.raises(TypeError, match="set"):
        encode({1, 2}, {})
    arrays = {}
    assert decode(encode((1, [2.5, None]), arrays), arrays) == (1, [2.5, None])


def test_a_pickle_in_the_run_directory_is_never_loaded(tmp_path):
    class Trap:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    cp = Checkpoints(tmp_path, {"seed": 0}).open(resume=False)
    (cp.folder / "abc_0.pkl").write_bytes(pickle.dumps(Trap()))
    assert cp.load("abc_0") is None and not (tmp_path / "pwned").exists()
    (cp.folder / "abc_0.npz").write_bytes(pickle.dumps(Trap()))  # a pickle under the new name
    with pytest.raises(ConfigError, match="cannot be read"):
        cp.load("abc_0")
    assert not (tmp_path / "pwned").exists()


def test_a_foreign_or_altered_checkpoint_is_refused_in_one_line(tmp_path):
    mine = Checkpoints(tmp_path / "a", {"seed": 0}).open(resume=False)
    mine.save("score_x", ({"r": 0.5}, {"g": np.array([1.0, 2.0])}))
    other = Checkpoints(tmp_path / "b", {"seed": 1}).open(resume=False)
    (other.folder / "score_x.npz").write_bytes((mine.folder / "score_x.npz").read_bytes())
    with pytest.raises(ConfigError, match="another config or brainsim version") as err:
        other.load("score_x")
    assert "\n" not in str(err.value)

    path = mine.folder / "score_x.npz"
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["a0"] = arrays["a0"] * 2  # the numbers changed, the recorded digest not
    np.savez(path, **arrays)
    with pytest.raises(ConfigError, match="altered after it was written"):
        mine.load("score_x")
    head = json.loads(arrays["__document__"].tobytes())
    head["content"]["__tuple__"][0]["r"] = 0.75
    arrays["a0"] = arrays["a0"] / 2
    np.savez(path, **{**arrays, "__document__": np.frombuffer(json.dumps(head).encode(), np.uint8)})
    with pytest.raises(ConfigError, match="altered after it was written"):
        mine.load("score_x")
    path.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="cannot be read"):
        mine.load("score_x")


def test_dict_key_order_survives(tmp_path):
    """Frames are built from these dicts: their column order is the keys' order."""
    cp = Checkpoints(tmp_path, {"seed": 0}).open(resume=False)
    cp.save("rows", [{"z": 1.0, "a": 2.0, "m": 3.0}])
    assert list(cp.load("rows")[0]) == ["z", "a", "m"]
