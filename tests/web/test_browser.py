"""The curator's and the coordinator's flows in a real browser: Debian's
chromium driven headless by Selenium, against ``roadmap serve`` itself.

A curator opens a personal link, marks an overdue item done with a file
upload, and sees it done; the coordinator's dashboard shows the ✓, and the
evidence downloaded from it is byte-identical to the upload; a revoked link
gets the 404 page. The screenshots of the README (desktop and phone) are
taken on the way: set ``ROADMAP_SCREENSHOTS=docs/screenshots`` to refresh
them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures import Env, Run, process_env
from tests.reminders.conftest import free_port
from tests.web.conftest import TODAY

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
    ),
]

from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


@pytest.fixture
def base(run: Run, loaded: Path, env: Env, tmp_path: Path) -> Iterator[str]:
    """``roadmap serve --today`` on a free loopback port, until the test ends."""
    port = free_port()
    log = tmp_path / "serve.log"  # a file: a pipe nobody reads would fill and stall the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "roadmap", "serve", "--port", str(port), "--no-scheduler",
         "--today", TODAY.isoformat()],
        env=process_env(env), stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/static/style.css", timeout=1).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    else:
        proc.kill()
    if proc.poll() is not None:
        pytest.fail(f"serve did not start: {log.read_text(encoding='utf-8')}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    err = log.read_text(encoding="utf-8")
    assert "Traceback" not in err, err


def browser(downloads: Path, profile: Path) -> WebDriver:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=ru",
                 f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "intl.accept_languages": "ru-RU,ru",
    })
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    return driver


def link(run: Run, *args: str) -> dict[str, str]:
    result = run("link", "create", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1]


def shoot(driver: WebDriver, name: str, folder: Path, *, full: bool = False) -> Path:
    """A PNG of the page (the whole page with ``full``); also into
    ``$ROADMAP_SCREENSHOTS`` when that is set."""
    path = folder / name
    if full:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        width = metrics["cssLayoutViewport"]["clientWidth"]
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": min(int(height), 2400), "deviceScaleFactor": 1,
            "mobile": False})
        driver.save_screenshot(str(path))
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    else:
        driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    target = os.environ.get("ROADMAP_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / name)
    return path


def wait_for_file(folder: Path, name: str) -> Path:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = folder / name
        if found.exists() and not list(folder.glob("*.crdownload")):
            return found
        time.sleep(0.1)
    raise AssertionError(f"no download {name} in {list(folder.iterdir())}")


def test_curator_marks_done_and_coordinator_downloads_the_evidence(
    base: str, run: Run, tmp_path: Path
) -> None:
    curator_link = link(run, "--org", "school-1", "--plan", "test-irk", "--label", "куратор")
    coordinator_link = link(run, "--plan", "test-region", "--label", "координатор")
    upload = tmp_path / "План наставников 2024.pdf"
    upload.write_bytes(b"%PDF-1.4\n" + "План работы наставников".encode() * 500 + b"\n%%EOF\n")
    shots = tmp_path / "shots"
    shots.mkdir()

    curator = browser(tmp_path / "curator-downloads", tmp_path / "curator-profile")
    try:
        curator.get(f"{base}/{path_of(curator_link['url'])}")
        assert curator.current_url == f"{base}/"  # the token left the address bar
        assert "МБОУ СОШ № 1 (пример)" in curator.find_element(By.TAG_NAME, "h1").text
        item = curator.find_element(
            By.CSS_SELECTOR, 'li[data-task="1.8"][data-org="school-1"][data-status="overdue"]')
        assert item.get_attribute("data-due") == "2024-03-01"
        shoot(curator, "curator-desktop.png", shots)
        curator.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        curator.refresh()
        shoot(curator, "curator-phone.png", shots)
        overflow = curator.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a 390px phone"
        curator.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        # Keyboard and labels: the first Tab reaches «К содержанию»; every
        # field a person fills has a label; nothing is taken out of the tab order.
        curator.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        first = curator.switch_to.active_element
        assert first.get_attribute("class") == "skip" and first.get_attribute("href").endswith("#main")
        unlabelled = curator.execute_script(
            "return [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]"
            ".filter(e => !(e.labels && e.labels.length)).length")
        assert unlabelled == 0
        assert curator.find_elements(By.CSS_SELECTOR, "[tabindex^='-']") == []

        item = curator.find_element(By.CSS_SELECTOR, 'li[data-task="1.8"][data-org="school-1"]')
        form = item.find_element(By.CSS_SELECTOR, "form.act")
        by = form.find_element(By.NAME, "by")
        label = item.find_element(By.CSS_SELECTOR, f'label[for="{by.get_attribute("id")}"]')
        assert label.text  # every field has its label
        by.send_keys("Иванова Ирина Игоревна")
        form.find_element(By.CSS_SELECTOR, 'input[type="file"][name="evidence"]').send_keys(
            str(upload))
        form.find_element(By.CSS_SELECTOR, 'textarea[name="note"]').send_keys("утверждён приказом")
        form.find_element(By.CSS_SELECTOR, 'button[name="done"]').click()
        WebDriverWait(curator, 20).until(lambda d: "ok=done" in d.current_url)
        done = curator.find_element(By.CSS_SELECTOR, 'li[data-task="1.8"][data-org="school-1"]')
        assert done.get_attribute("data-status") == "done"
        assert "Иванова Ирина Игоревна" in done.text and upload.name in done.text
        assert curator.find_elements(By.NAME, "by") == []  # asked once per session
    finally:
        curator.quit()

    downloads = tmp_path / "coordinator-downloads"
    coordinator = browser(downloads, tmp_path / "coordinator-profile")
    try:
        coordinator.get(f"{base}/{path_of(coordinator_link['url'])}")
        assert coordinator.current_url == f"{base}/plan/test-region"
        coordinator.find_element(By.LINK_TEXT, "План мероприятий (test-irk)").click()
        cell = coordinator.find_element(
            By.CSS_SELECTOR, 'td[data-task="1.8"][data-org="school-1"]')
        assert cell.get_attribute("data-status") == "done" and cell.text == "✓"
        shoot(coordinator, "dashboard-desktop.png", shots, full=True)
        cell.find_element(By.TAG_NAME, "a").click()
        assert "Иванова Ирина Игоревна" in coordinator.page_source
        coordinator.find_element(By.LINK_TEXT, upload.name).click()
        got = wait_for_file(downloads, upload.name)
        assert got.read_bytes() == upload.read_bytes()

        assert run("link", "revoke", str(curator_link["id"])).exit_code == 0
        coordinator.delete_all_cookies()
        coordinator.get(f"{base}/{path_of(curator_link['url'])}")
        assert coordinator.find_element(By.TAG_NAME, "h1").text == "Не найдено"
    finally:
        coordinator.quit()
    with pytest.raises(urllib.error.HTTPError) as revoked:
        urllib.request.urlopen(curator_link["url"].replace(
            curator_link["url"].split("/l/")[0], base), timeout=5)
    assert revoked.value.code == 404
