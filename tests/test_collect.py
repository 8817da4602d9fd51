"""brainsim-collect on a real multirun with a failed and a never-started job."""

import shutil
import subprocess
import sys

import pandas as pd

from brainsim.collect import collect, expected_jobs, main


def test_collect_tolerates_failed_and_missing_runs(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    args = ["-m", "hypothesis=baseline,h2_selection", "scaling=kaplan2020,chinchilla2022", "population.n=1000",
            "battery.norm_n=500", "abc.particles=0", "recovery.per_hypothesis=0", "plots.enabled=false", f"hydra.sweep.dir={sweep}"]
    done = subprocess.run([sys.executable, "-m", "brainsim.cli", *args], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    jobs = expected_jobs(sweep)
    assert len(jobs) == 4 and "hypothesis=baseline" in jobs[0] and "scaling=kaplan2020" in jobs[0]
    (sweep / "1" / "summary.json").unlink()  # a job that failed (or is still running)
    shutil.rmtree(sweep / "3")  # a job that never started

    result = collect(sweep)
    assert result.complete == [0, 2]
    assert list(result.incomplete) == [1] and list(result.not_started) == [3]
    table = result.table
    assert {"job", "scaling", "population.n", "hypothesis", "statistic", "value"} <= set(table.columns)
    assert set(table.job) == {0, 2}
    r = table[(table.job == 2) & (table.statistic == "r_brain_iq")]
    assert list(r.hypothesis) == ["h2_selection"] and list(r.scaling) == ["kaplan2020"]

    assert main([str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "collected 2 of 4 runs" in out and "job 1 failed or still running" in out and "job 3 not started" in out
    saved = pd.read_parquet(sweep / "sweep.parquet")
    assert len(saved) == len(table)
    assert (sweep / "sweep_distance.png").stat().st_size > 0 and (sweep / "sweep_statistics.png").exists()


def test_collect_bad_directory_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err
