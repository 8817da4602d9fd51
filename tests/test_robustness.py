"""Robustness: the schema, interrupted and resumed runs, skipped complete jobs, reproducibility."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from omegaconf import OmegaConf

from brainsim.api import compose
from brainsim.commandline import planned_jobs
from brainsim.io import atomic_write, write_json, write_text
from brainsim.config.loaders import config_names
from brainsim.config.settings import settings_from_config
from brainsim.validation import ConfigError

SMALL = ["population.n=2000", "battery.norm_n=1000", "plots.n=500"]
ABC = ["abc.particles=12", "abc.generations=4", "abc.repeats=1", "abc.n=1000", "abc.norm_n=500",
       "recovery.per_hypothesis=4", "recovery.neighbours=2", "recovery.predictive=3", "recovery.resamples=20"]


def _cli(*args, cwd, **kw):
    return subprocess.run([sys.executable, "-m", "brainsim.cli", *args], cwd=cwd, capture_output=True, text=True, check=False, **kw)


def _settings(*overrides):
    return settings_from_config(OmegaConf.to_container(compose(list(overrides)), resolve=True))


# --- the schema ---------------------------------------------------------------------------

def _leaves(node, prefix=""):
    """{dotted key: value} of a nested mapping's leaves (lists kept whole)."""
    out = {}
    for k, v in node.items():
        out |= _leaves(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v}
    return out


@pytest.mark.parametrize("group", ["hypothesis", "scaling", "backend", "experiment", "background"])
def test_every_shipped_config_passes_the_schema_and_lands_in_the_settings(group):
    from brainsim.config.loaders import CONF_DIR

    for name in config_names(group):
        override = f"{'+' if group == 'experiment' else ''}{group}={name}"
        settings = _settings(override)
        raw = OmegaConf.to_container(OmegaConf.load(CONF_DIR / group / f"{name}.yaml"), resolve=True)
        if group == "hypothesis":
            assert settings.hypothesis.name == name == raw["hypothesis"]["name"]
            own = {k: tuple(v["log10"] if isinstance(v, dict) else v) for k, v in raw["hypothesis"]["free"].items()}
            assert settings.hypothesis.own == set(own)
            assert {k: settings.hypothesis.free[k] for k in own} == own  # its own priors win over the background's
        elif group == "scaling":
            law = settings.model.law
            assert law.name == name and law.form == raw["form"]
            assert law.params == {k: raw[k] for k in law.params}
        elif group == "backend":
            assert settings.backend.name == raw["name"]
        elif group == "background":
            assert set(raw["free"]) <= set(settings.hypothesis.free)
        # every value the file sets is the composed config's value (the file is not shadowed)
        composed = _leaves(OmegaConf.to_container(compose([override]), resolve=True))
        for key, value in _leaves({k: v for k, v in raw.items() if k != "hydra"}).items():
            full = key if group in ("hypothesis", "experiment") else f"{group}.{key}"  # @package _global_
            assert composed[full] == value, (name, full)


@pytest.mark.parametrize("override, message", [
    ("+population.brain.volume_cvv=0.2", "Unknown config key 'population.brain.volume_cvv'.*'population.brain.volume_cv'"),
    ("+foo=1", "Unknown config key 'foo'"),
    ("+scaling.Z=1", "Unknown config key 'scaling.Z'.* Remove it or fix its spelling"),
    ("+abc.particle=3", "Unknown config key 'abc.particle'.*Did you mean 'abc.particles'"),
    ("+population.architecture.variants.0.weight=1", "Unknown config key 'population.architecture.variants\\[0\\].weight'"),
    ("plots.enabled=yes", "'plots.enabled' parameter must be true or false. Got 'yes'"),
    ("abc.quantile=0", "'abc.quantile' parameter must be a finite float in \\(0.0, 1.0\\]. Got 0"),
    ("abc.particles=-1", "'abc.particles' parameter must be an int in \\[0, 100000\\]"),
    ("threads=0", "'threads' parameter must be an int in \\[1, 1024\\]"),
    ("seed=-1", "'seed' parameter must be an int >= 0"),
    ("plots.dpi=5", "'plots.dpi' parameter must be an int in \\[30, 1200\\]"),
    ("battery.parallel_form=1", "'battery.parallel_form' parameter must be true or false"),
])
def test_schema_names_key_value_and_range(override, message):
    with pytest.raises(ConfigError, match=message):
        _settings(override)


def test_multirun_is_validated_job_by_job_before_anything_is_written(tmp_path):
    jobs = planned_jobs(["-m", "+experiment=units", "seed=1,2"])
    assert len(jobs) == 8 and ["population.data.data_unit=1000.0", "+experiment=units", "seed=2"] in jobs
    res = _cli("-m", "hypothesis=baseline,h2_selection", "population.n=100,0", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "brainsim: error: The 'population.n' parameter must be an int >= 1. Got 0 instead."]
    assert list(tmp_path.iterdir()) == []


# --- atomic outputs -------------------------------------------------------------------------

def test_atomic_writer_leaves_nothing_when_interrupted(tmp_path):
    class Boom(BaseException):  # like the Interrupted a signal raises: not an Exception
        pass

    def half_then_boom(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise Boom

    target = tmp_path / "out.json"
    with pytest.raises(Boom):
        atomic_write(target, half_then_boom)
    assert list(tmp_path.iterdir()) == []
    write_text(target, "old")
    with pytest.raises(Boom):
        atomic_write(target, half_then_boom)
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_summary_json_is_strict_json_with_null_for_undefined(tmp_path):
    write_json(tmp_path / "s.json", {"a": float("nan"), "b": [1.0, float("inf")], "c": {"d": 2.5}})
    assert json.loads((tmp_path / "s.json").read_text()) == {"a": None, "b": [1.0, None], "c": {"d": 2.5}}


# --- interrupt and resume -------------------------------------------------------------------

def _wait_for(path, proc, timeout=300.0):
    start = time.monotonic()
    while not path.exists():
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() - start < timeout
        time.sleep(0.05)


def test_sigterm_mid_abc_then_resume_gives_the_uninterrupted_result(tmp_path):
    args = [*SMALL, *ABC]
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "brainsim.cli", *args, f"hydra.run.dir={run}"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(run / ".checkpoints" / "abc_0.npz", proc)  # generation 0 of 4 is done
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    message = err.strip().splitlines()[-1]
    assert message.startswith("brainsim: interrupted by SIGTERM while running ABC seed 0")
    assert f"hydra.run.dir={run} resume=true" in message
    left = {p.name for p in run.iterdir()}
    # no output, no temporary file; the reference table (simulated before the ABC, whole and
    # fingerprinted) is kept for the resumed run to reuse
    assert left <= {".hydra", ".checkpoints", "brainsim.log", "reference_table.parquet"}, left
    assert not [p for p in (run / ".checkpoints").iterdir() if p.suffix == ".tmp"]

    resumed = _cli(*args, f"hydra.run.dir={run}", "resume=true", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not (run / ".checkpoints").exists()
    whole = _cli(*args, "hydra.run.dir=whole", cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr[-2000:]
    for name in ("posterior_models.csv", "scorecard.csv", "scorecard_posterior.csv"):
        assert (run / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    a, b = (json.loads((d / "summary.json").read_text()) for d in (run, tmp_path / "whole"))
    assert a["statistics"] == b["statistics"] and a["abc"] == b["abc"]


def test_ctrl_c_while_scoring_says_where_it_stopped(tmp_path):
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "brainsim.cli", "population.n=300000", "abc.particles=0", "recovery.per_hypothesis=0",
                             "plots.enabled=false", f"hydra.run.dir={run}"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(run / ".checkpoints" / "score_baseline.npz", proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT
    assert "interrupted by SIGINT while scoring" in err and "resume=true" in err
    assert {p.name for p in run.iterdir()} <= {".hydra", ".checkpoints", "brainsim.log"}


def test_resume_with_another_config_is_refused(tmp_path):
    run = tmp_path / "run"
    (run / ".checkpoints").mkdir(parents=True)
    (run / ".checkpoints" / "fingerprint.json").write_text(json.dumps({"fingerprint": "other"}))
    res = _cli(*SMALL, "abc.particles=0", "recovery.per_hypothesis=0", "hypothesis=baseline", f"hydra.run.dir={run}", "resume=true", cwd=tmp_path)
    assert res.returncode != 0 and "made with another config" in res.stderr


def test_relaunched_multirun_skips_complete_jobs(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "hypothesis=baseline,h2_selection", *SMALL, "abc.particles=0", "recovery.per_hypothesis=0", "plots.enabled=false",
            f"hydra.sweep.dir={sweep}"]
    assert _cli(*args, cwd=tmp_path).returncode == 0
    done = (sweep / "0" / "summary.json").stat().st_mtime_ns
    before = (sweep / "1" / "summary.json").read_bytes()
    (sweep / "1" / "summary.json").unlink()  # job 1 "failed"
    again = _cli(*args, "resume=true", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0: complete" in again.stdout and "skipped" in again.stdout
    assert (sweep / "0" / "summary.json").stat().st_mtime_ns == done
    rerun = json.loads((sweep / "1" / "summary.json").read_text())
    assert rerun["statistics"] == json.loads(before)["statistics"]


# --- determinism ----------------------------------------------------------------------------

def test_printed_command_reproduces_the_run_bit_for_bit(tmp_path):
    first = _cli(*SMALL, "abc.particles=0", "recovery.per_hypothesis=0", "hypothesis=h4_architecture", "seed=null", "hydra.run.dir=a",
                 cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    command = first.stdout.strip().splitlines()[-1].removeprefix("reproduce with: ")
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["provenance"]["command"] == command
    assert summary["provenance"]["config"]["population"]["n"] == 2000 and summary["provenance"]["brainsim_version"]
    argv = command.split()[1:]
    again = _cli(*argv, "hydra.run.dir=b", cwd=tmp_path, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    assert again.returncode == 0, again.stderr[-2000:]
    other = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert other["statistics"] == summary["statistics"] and other["paradox"] == summary["paradox"]
    assert (tmp_path / "a" / "scorecard.csv").read_bytes() == (tmp_path / "b" / "scorecard.csv").read_bytes()
    assert pd.read_csv(tmp_path / "a" / "ranking.csv").equals(pd.read_csv(tmp_path / "b" / "ranking.csv"))
