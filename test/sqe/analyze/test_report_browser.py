"""The analysis report in a real headless browser (Debian's chromium, driven by selenium): the page of a finished
`sqe.bin.analyze --html` run shows every region of regions.tsv, its labels never cover each other, its images
and audio load, and clicking a region moves the player to the region's onset.

Skipped with the reason where chromium or its driver is missing; test/run.sh installs them when it runs as root
and then sets SQE_REQUIRE_CHROMIUM=1, which turns that skip into a failure.
"""
from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
from conftest import need, write_audio
from model_factories import degrade, speech_like

# the flags a closed network needs (no background connections) and a root user needs (no sandbox)
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--mute-audio", "--autoplay-policy=no-user-gesture-required",
                  "--window-size=1200,1400")
SEGMENTS = [(1.0, 1.6, "lpf"), (1.9, 2.5, "clip"), (2.8, 3.3, "wbgn"), (3.5, 4.2, "lpf"), (6.0, 8.0, "clip"),
            (10.0, 10.5, "wbgn"), (10.8, 11.4, "lpf"), (11.6, 12.2, "clip")]


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    need(_missing(), "SQE_REQUIRE_CHROMIUM")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def analysis(tiny_package, tmp_path_factory):
    """A finished analysis with --html: a take with eight close degraded segments, a clean one, a failed one."""
    root = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(5)
    x = speech_like(14.0, rng)
    for a, b, kind in SEGMENTS:
        s, e = int(a * 50) * 320, int(b * 50) * 320
        x[s:e] = degrade(x[s:e], kind, rng)
    write_audio(root / "in" / "dense take.wav", x)
    write_audio(root / "in" / "clean.wav", speech_like(5.0, rng))
    write_audio(root / "in" / "short.wav", speech_like(0.2, rng))
    import importlib

    code = importlib.import_module("sqe.bin.analyze").main(
        ["--model", str(tiny_package), str(root / "in"), "--html", "--out", str(root / "out")])
    assert code == 1  # short.wav fails, the others are analysed
    return root / "out"


def _open(browser, out):
    browser.get((out / "report.html").as_uri())
    deadline = time.time() + 30
    while browser.execute_script("return document.documentElement.dataset.ready") != "true":
        assert time.time() < deadline, "the page's script never finished its layout"
        time.sleep(0.05)


def _wait_for(browser, script, timeout=20.0):
    deadline = time.time() + timeout
    while True:
        value = browser.execute_script(script)
        if value or time.time() > deadline:
            return value
        time.sleep(0.05)


def _overlaps(rects):
    return [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:]
            if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]


LABEL_RECTS = ("return Array.from(document.querySelectorAll('#file-1 .region-label'))"
               ".map(e => {const r = e.getBoundingClientRect(); "
               "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};});")


def test_the_page_shows_every_region_legibly(browser, analysis, tmp_path):
    from selenium.webdriver.common.by import By

    _open(browser, analysis)
    tsv = (analysis / "regions.tsv").read_text().splitlines()[1:]
    assert len(tsv) >= 6  # the close segments are found (the page has something dense to show)
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.region-row")
    assert len(rows) == len(tsv)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".region")) == len(tsv)
    shown = [(r.find_element(By.XPATH, "ancestor::section").get_attribute("data-file"),
              r.find_elements(By.TAG_NAME, "td")[1].text, r.find_elements(By.TAG_NAME, "td")[4].text) for r in rows]
    assert shown == [(line.split("\t")[0], line.split("\t")[1], line.split("\t")[5]) for line in tsv]
    summary = browser.find_element(By.CSS_SELECTOR, "table.summary").text
    assert "too short: 0.200 s" in summary and "dense_take" in summary

    labels = browser.execute_script(LABEL_RECTS)
    assert len(labels) == len(tsv) and _overlaps(labels) == []
    assert len({round(r["top"]) for r in labels}) > 1  # close regions needed a second lane
    images = browser.execute_script("return Array.from(document.images).map(i => i.complete && i.naturalWidth)")
    assert len(images) == 2 and all(images)  # both spectrograms loaded from report_files/
    durations = _wait_for(browser, "const d = Array.from(document.querySelectorAll('audio')).map(a => a.duration);"
                                   "return d.every(x => x > 0) ? d : null;")
    assert durations == pytest.approx([5.0, 14.0], abs=0.05)  # the FLAC files decode in the browser

    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    from PIL import Image

    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB").resize((200, 200))).reshape(-1, 3)
    colours = len(np.unique(pixels, axis=0))
    assert colours > 100  # a rendered page with a spectrogram, not a blank or error page


def test_zoom_keeps_labels_apart(browser, analysis):
    from selenium.webdriver.support.ui import Select

    _open(browser, analysis)
    Select(browser.find_element("css selector", "#file-1 select.zoom")).select_by_value("200")
    width = browser.execute_script("return document.querySelector('#file-1 .canvas').offsetWidth")
    assert width == pytest.approx(14.0 * 200, abs=2)
    labels = browser.execute_script(LABEL_RECTS)
    assert _overlaps(labels) == [] and len({round(r["top"]) for r in labels}) == 1  # room for one lane


@pytest.mark.parametrize("target", ["tr.region-row", ".region"])
def test_clicking_a_region_plays_it_from_its_onset(browser, analysis, target):
    from selenium.webdriver.common.by import By

    _open(browser, analysis)
    _wait_for(browser, "return document.querySelector('#file-1 audio').readyState >= 1")
    element = browser.find_elements(By.CSS_SELECTOR, f"#file-1 {target}")[4]
    onset = float(element.get_attribute("data-onset"))
    assert onset > 5.0  # a region far from the start: the player's time moves to it
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()
    # at once (within a second, before playing from anywhere else could pass the onset by chance)
    time_now = _wait_for(browser, f"const t = document.querySelector('#file-1 audio').currentTime;"
                                  f"return t >= {onset} - 0.05 && t < {onset} + 0.5 ? t : null;", timeout=1.0)
    assert time_now is not None, browser.execute_script("return document.querySelector('#file-1 audio').currentTime")
    active = browser.find_elements(By.CSS_SELECTOR, "#file-1 tr.region-row.active")
    assert [a.get_attribute("data-index") for a in active] == ["4"]
