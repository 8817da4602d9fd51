"""The run directory's figures and report.html; the report rendered in headless Chromium."""

import os
import re
import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# .ci/run installs Debian's chromium and sets this, so CI cannot skip the browser test
REQUIRED = os.environ.get("BRAINSIM_REQUIRE_CHROMIUM") == "1"

FIGURES = {"scorecard", "iq_histograms", "iq_qq", "brain_vs_iq", "loss_landscape", "rt_vs_iq", "twins",
           "output_tail", "posterior_models", "posterior_params", "decomposition", "recovery_confusion",
           "recovery_calibration", "recovery_coverage", "recovery_influence", "recovery_reachability", "model_choice"}

# appended to a copy of the report: after load, record how many images decoded
PROBE = """<script>window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.dataset.images = imgs.length;
  document.body.dataset.broken = imgs.filter(i => !i.complete || i.naturalWidth === 0).length;
});</script>"""


def test_run_writes_every_figure_and_a_self_contained_report(default_run):
    _, run = default_run
    assert {p.stem for p in run.glob("*.png")} == FIGURES
    from brainsim.report import CAPTIONS

    assert FIGURES - set(CAPTIONS) == set()  # a figure without a caption would show its file name
    page = (run / "report.html").read_text()
    assert 'id="scorecard"' in page and "ABC model selection" in page
    assert 'class="dataframe life_course"' in page and "Haworth et al. 2010" in page
    sources = re.findall(r'<img[^>]*src="([^"]+)"', page)
    assert len(sources) == len(FIGURES) and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "brainsim population.n=2000" in page  # the reproduce command
    assert not list(run.glob(".*.tmp"))
    assert oct((run / "report.html").stat().st_mode & 0o777) != oct(0o600)


def test_report_renders_in_headless_chromium(default_run, tmp_path):
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("chromium is required (BRAINSIM_REQUIRE_CHROMIUM=1) but not installed")
        pytest.skip("chromium not installed (Debian: apt-get install chromium)")
    _, run = default_run
    page = tmp_path / "report.html"
    page.write_text((run / "report.html").read_text().replace("</body>", PROBE + "</body>"))
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False).stdout
    assert re.search(r'<table[^>]*id="scorecard"', dom), dom[:500]
    assert "r_brain_iq" in dom
    assert f'data-images="{len(FIGURES)}"' in dom
    assert 'data-broken="0"' in dom
